"""What readers search for, in the admin: the report of searches that found nothing and the
most searched (7, 30 or 90 days), and from a query, starting an article, adding the words as
a symptom's synonym, or pinning an article to it (promoted results).

The counts themselves are kept by conditions.search_insights; pins are shown on the search
page by conditions.promotions.
"""

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models.functions import Lower
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse

from conditions import editorial, vocabulary
from conditions.models import Article, PromotedResult, SearchCount, Symptom
from conditions.search_insights import (
    MAX_COUNTED_QUERY_LENGTH,
    REPORT_PERIODS,
    normalised_query,
    search_report,
)
from conditions.signals import atomic_change


@admin.register(SearchCount)
class SearchCountAdmin(admin.ModelAdmin):
    """The counts are only ever shown as the report: nobody adds, edits or deletes them."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_urls(self):
        return [
            path(
                "synonym/",
                self.admin_site.admin_view(self.synonym_view),
                name="conditions_searchcount_synonym",
            ),
            *super().get_urls(),
        ]

    def changelist_view(self, request, extra_context=None):
        """The report, over the period chosen (7 days unless another is asked for)."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        days = request.GET.get("days", "")
        days = int(days) if days in {str(period) for period in REPORT_PERIODS} else 7
        user = request.user
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": "What readers search for",
            "report": search_report(days),
            "periods": REPORT_PERIODS,
            "retention_days": settings.SEARCH_LOG_RETENTION_DAYS,
            "may_start_article": user.has_perm("conditions.add_conditionarticle"),
            "may_add_synonym": user.has_perm("conditions.change_symptom"),
            "may_pin": user.has_perm("conditions.add_promotedresult"),
            **(extra_context or {}),
        }
        return TemplateResponse(request, "admin/conditions/search_report.html", context)

    def synonym_view(self, request):
        """Add a query's words to a symptom's synonyms, through the symptom's own save (a
        revision, a new content version, its articles re-indexed), so searches for them find
        the symptom's articles."""
        if not request.user.has_perm("conditions.change_symptom"):
            raise PermissionDenied
        form = SynonymForm(request.POST or None, initial={"words": request.GET.get("q", "")})
        if request.method == "POST" and form.is_valid():
            added = add_synonym(request, form.cleaned_data["symptom"], form.cleaned_data["words"])
            if added:
                return redirect(reverse("admin:conditions_searchcount_changelist"))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": "Add the words as a symptom's synonym",
            "form": form,
        }
        return TemplateResponse(request, "admin/conditions/search_synonym.html", context)


class SynonymForm(forms.Form):
    words = forms.CharField(
        label="Words readers searched for",
        max_length=MAX_COUNTED_QUERY_LENGTH,
        help_text="What readers typed. Searches for these words will find the symptom's articles.",
    )
    symptom = forms.ModelChoiceField(
        label="The symptom they mean",
        queryset=Symptom.objects.order_by(Lower("name")),
        help_text="A symptom that published articles carry is changed by a medical reviewer.",
    )

    def clean_words(self) -> str:
        words = normalised_query(self.cleaned_data["words"])
        if not words:
            raise forms.ValidationError("Type the words readers use.")
        if "," in words:
            # Synonyms are written separated by commas: one with a comma would be two.
            raise forms.ValidationError("A synonym can't contain a comma: add one at a time.")
        return words


def add_synonym(request, chosen: Symptom, words: str) -> bool:
    """Add `words` to `chosen`'s synonyms, telling the editor what happened; whether they
    were added. Only people who may change the symptom's synonyms in its own form may."""
    with atomic_change():
        # Locked while it changes, so an edit saved meanwhile in its form isn't lost.
        symptom = Symptom.objects.select_for_update().get(pk=chosen.pk)
        if not editorial.can_edit_symptom(request.user, symptom):
            messages.error(
                request,
                f"“{symptom}” is on published pages: a medical reviewer adds its synonyms.",
            )
            return False
        if words in {term.casefold() for term in symptom.terms}:
            messages.info(request, f"“{words}” already means “{symptom}”.")
            return True
        symptom.synonyms = ", ".join([*symptom.synonym_list, words])
        symptom.updated_by = request.user
        vocabulary.save_symptom(symptom, user=request.user)
        symptom_admin = admin.site._registry[Symptom]
        # The symptom's own history line, as its change form would write it.
        admin.ModelAdmin.log_change(
            symptom_admin, request, symptom, f"Added the synonym “{words}” (from searches)."
        )
    messages.success(
        request,
        f"“{words}” is now a synonym of “{symptom}”: searches for it find its articles.",
    )
    return True


class PromotedResultForm(forms.ModelForm):
    class Meta:
        model = PromotedResult
        fields = ["query", "other_phrasings", "article"]
        widgets = {"other_phrasings": forms.Textarea(attrs={"rows": 3, "cols": 60})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Never a working copy: its live article is the one readers find.
        self.fields["article"].queryset = Article.objects.filter(
            live_article__isnull=True
        ).order_by(Lower("title"), "pk")
        self.fields["article"].label_from_instance = article_choice_label
        self.fields[
            "article"
        ].help_text = (
            "Shown first, marked “Recommended”, while it is published; never while it isn't."
        )

    def clean_query(self) -> str:
        query = normalised_query(self.cleaned_data["query"])
        if not query:
            raise forms.ValidationError("Type the words readers search for.")
        return query

    def clean_other_phrasings(self) -> str:
        phrasings = []
        for line in self.cleaned_data["other_phrasings"].splitlines():
            words = normalised_query(line)
            if line.strip() and not words:
                raise forms.ValidationError(
                    f"Each phrasing is at most {MAX_COUNTED_QUERY_LENGTH} characters."
                )
            if words and words not in phrasings:
                phrasings.append(words)
        return "\n".join(phrasings)


def article_choice_label(article: Article) -> str:
    status = (
        "" if article.status == Article.Status.PUBLISHED else f", {article.get_status_display()}"
    )
    return f"{article.title} ({article.get_kind_display()}{status})"


@admin.register(PromotedResult)
class PromotedResultAdmin(admin.ModelAdmin):
    form = PromotedResultForm
    list_display = ["query", "article", "other_phrasings", "created_at", "created_by"]
    list_select_related = ["article", "created_by"]
    search_fields = ["query", "other_phrasings", "article__title"]

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)
