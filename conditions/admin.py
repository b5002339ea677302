"""The editors' workplace: articles, their questions, and the symptom vocabulary."""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.widgets import AutocompleteSelectMultiple, RelatedFieldWidgetWrapper
from django.utils.translation import ngettext
from taggit.models import Tag

from conditions.models import (
    Article,
    ConditionArticle,
    FaqArticle,
    FaqItem,
    Symptom,
)

admin.site.site_header = "NeckInfo editors"
admin.site.site_title = "NeckInfo editors"
admin.site.index_title = "Articles and symptoms"

# taggit's own generic Tag model is unused: symptoms are NeckInfo's tags.
admin.site.unregister(Tag)

# The symptom vocabulary's admin lives in its own module.
import conditions.symptom_admin  # noqa: E402,F401


class SymptomListFilter(admin.SimpleListFilter):
    title = "symptom"
    parameter_name = "symptom"

    def lookups(self, request, model_admin):
        return Symptom.objects.order_by("name").values_list("slug", "name")

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(tagged_symptoms__tag__slug=self.value())
        return queryset


class ArticleAdmin(admin.ModelAdmin):
    """What condition and FAQ articles share in the admin."""

    list_display = ["title", "status", "symptom_names", "updated_at"]
    list_filter = ["status", SymptomListFilter]
    prepopulated_fields = {"slug": ["title"]}
    date_hierarchy = "updated_at"
    actions = ["publish_selected", "unpublish_selected"]
    save_on_top = True

    def get_queryset(self, request):
        # The symptoms column would otherwise cost a query per row.
        return super().get_queryset(request).prefetch_related("symptoms")

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "symptoms":
            return self._symptom_field(db_field)
        if db_field.name == "summary":
            kwargs["widget"] = forms.Textarea(attrs={"rows": 3, "cols": 80})
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    def _symptom_field(self, db_field):
        # Symptoms are picked from the vocabulary with autocomplete, instead of taggit's
        # free-text box, so a typo can't quietly create a new symptom. Adding one is a
        # deliberate click on "+", which opens the symptom form.
        widget = RelatedFieldWidgetWrapper(
            AutocompleteSelectMultiple(db_field, self.admin_site),
            db_field.remote_field,
            self.admin_site,
            can_add_related=True,
        )
        return forms.ModelMultipleChoiceField(
            queryset=Symptom.objects.all(),
            required=False,
            widget=widget,
            help_text="Type to find a symptom. Use + to add one that isn't in the list yet.",
        )

    @admin.display(description="symptoms")
    def symptom_names(self, article):
        return ", ".join(symptom.name for symptom in article.symptoms.all()) or "—"

    @admin.action(description="Publish selected articles")
    def publish_selected(self, request, queryset):
        articles = [a for a in queryset if a.status != Article.Status.PUBLISHED]
        for article in articles:
            article.publish()
        self.message_user(
            request,
            ngettext("Published %d article.", "Published %d articles.", len(articles))
            % len(articles),
            messages.SUCCESS,
        )

    @admin.action(description="Unpublish selected articles")
    def unpublish_selected(self, request, queryset):
        articles = [a for a in queryset if a.status == Article.Status.PUBLISHED]
        for article in articles:
            article.unpublish()
        self.message_user(
            request,
            ngettext("Unpublished %d article.", "Unpublished %d articles.", len(articles))
            % len(articles),
            messages.SUCCESS,
        )


@admin.register(ConditionArticle)
class ConditionArticleAdmin(ArticleAdmin):
    search_fields = ["title", "summary", "body"]
    fieldsets = [
        (None, {"fields": ["title", "slug", "summary", "symptoms"]}),
        ("Content", {"fields": ["body", "when_to_get_medical_help"]}),
        ("Publishing", {"fields": ["status", "published_at"]}),
    ]


class FaqItemInline(admin.StackedInline):
    model = FaqItem
    fields = ["position", "question", "answer", "anchor"]
    # The anchor is made from the question on first save and then never changes, so links
    # people have shared to a question keep working after its wording is edited.
    readonly_fields = ["anchor"]
    extra = 1


@admin.register(FaqArticle)
class FaqArticleAdmin(ArticleAdmin):
    search_fields = ["title", "summary", "intro", "items__question", "items__answer"]
    inlines = [FaqItemInline]
    fieldsets = [
        (None, {"fields": ["title", "slug", "summary", "symptoms"]}),
        ("Content", {"fields": ["intro"]}),
        ("Publishing", {"fields": ["status", "published_at"]}),
    ]
