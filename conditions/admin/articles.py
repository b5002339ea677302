"""Condition and FAQ articles in the admin: the list, the form with its questions and
sources, the state-changing actions, and the preview, history, compare, restore and recover
views.

Who may do what is decided in `conditions.editorial`; this module applies it to the admin's
forms, actions and views, so a refused change is refused however it is posted.
"""

from dataclasses import dataclass
from datetime import timedelta

import reversion
from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import quote, unquote
from django.contrib.admin.widgets import RelatedFieldWidgetWrapper
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.html import format_html
from django.utils.translation import ngettext
from reversion.admin import VersionAdmin
from reversion.models import Version

from conditions import editorial, history, readability, vocabulary, working_copies
from conditions.admin import side_by_side
from conditions.admin.editing import EditingPresenceAdminMixin, KeepTypingAdminMixin
from conditions.admin.feedback import UsefulnessColumns
from conditions.admin.image_picker import ImagePickerMixin, reference_help
from conditions.admin.input import SelectionMustBeIds, SymptomAutocomplete
from conditions.admin.moderation import ModerationAdminMixin
from conditions.admin.ordering import AppendsAtTheEnd, PositionLeftEmptyForm
from conditions.admin.revisions import RevisionHistoryMixin
from conditions.admin.share_links import ShareLinksAdminMixin
from conditions.forms import ArticleAdminForm, FaqItemForm, state_of_row
from conditions.models import (
    MAX_QUESTIONS,
    Article,
    AuditEvent,
    ConditionArticle,
    ConditionName,
    FaqArticle,
    FaqItem,
    Source,
    Symptom,
)
from conditions.signals import atomic_change
from conditions.views import render_article

Status = Article.Status

# Fields that say whether and when an article is public, and its medical review. Restoring
# an old revision brings back content, never these: publishing stays a reviewer's decision.
PUBLISHING_FIELDS = ["status", "published_at"]
REVIEW_FIELDS = ["reviewed_by", "last_reviewed_on", "next_review_due"]
SIGN_OFF_FIELDS = ["signed_off_by_id", "signed_off_fingerprint", "content_changed_by_id"]
KEPT_ON_RESTORE = ["slug", *PUBLISHING_FIELDS, *REVIEW_FIELDS, *SIGN_OFF_FIELDS]
# How many of an article's symptoms the list shows ("… and 9 more").
SYMPTOMS_LISTED = 4


class SymptomListFilter(admin.SimpleListFilter):
    title = "symptom"
    parameter_name = "symptom"

    def lookups(self, request, model_admin):
        return Symptom.objects.order_by("name").values_list("slug", "name")

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(tagged_symptoms__tag__slug=self.value())
        return queryset


class ReviewDueFilter(admin.SimpleListFilter):
    title = "medical review"
    parameter_name = "review"

    def lookups(self, request, model_admin):
        return [
            ("overdue", "Review overdue"),
            ("due_30", "Due within 30 days"),
            ("never", "Never reviewed"),
        ]

    def queryset(self, request, queryset):
        today = timezone.localdate()
        if self.value() == "overdue":
            return queryset.filter(next_review_due__lt=today)
        if self.value() == "due_30":
            return queryset.filter(
                next_review_due__gte=today, next_review_due__lte=today + timedelta(days=30)
            )
        if self.value() == "never":
            return queryset.filter(last_reviewed_on__isnull=True)
        return queryset


class AwaitingReviewFilter(admin.SimpleListFilter):
    """Articles in review, and live articles whose working copy is: the list shows a copy as
    its live article's row, so the status filter alone would hide it."""

    title = "awaiting review"
    parameter_name = "awaiting"

    def lookups(self, request, model_admin):
        return [("review", "In review (working copies too)")]

    def queryset(self, request, queryset):
        if self.value() == "review":
            return queryset.filter(
                Q(status=Status.IN_REVIEW) | Q(working_copies__status=Status.IN_REVIEW)
            ).distinct()
        return queryset


class NeedsEditingFilter(admin.SimpleListFilter):
    """Articles with scraped leftovers in their text (or their working copy's): see
    conditions.leftovers."""

    title = "needs editing"
    parameter_name = "needs_editing"

    def lookups(self, request, model_admin):
        return [("yes", "Scraped leftovers to fix")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.needing_editing()
        return queryset


class SourceInline(admin.TabularInline):
    model = Source
    form = PositionLeftEmptyForm
    formset = AppendsAtTheEnd
    fields = ["position", "title", "publisher", "url", "accessed_on"]
    extra = 1
    verbose_name = "source"
    verbose_name_plural = "sources (shown at the end of the page)"

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "url":
            kwargs["assume_scheme"] = "https"  # "nhs.uk/…" means https://nhs.uk/…
        return super().formfield_for_dbfield(db_field, request, **kwargs)


WHOLE_ARTICLE = ("", "— the whole article (also called)")


class ConditionNameForm(PositionLeftEmptyForm):
    """Another name of the condition (no section), or a condition one of the article's
    sections explains: the section is picked from the headings of the body as saved."""

    section = forms.ChoiceField(required=False)
    headings: dict[str, str] = {}  # anchor → heading text, set per article by the inline

    class Meta:
        model = ConditionName
        fields = ["position", "name", "section"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["name"].required = False
        self.fields["name"].help_text = "Left empty for a section, its heading's words."
        choices = [WHOLE_ARTICLE, *self.headings.items()]
        if (current := self.instance.section) and current not in self.headings:
            choices.append((current, f"#{current} (no longer a heading of the body)"))
        self.fields["section"].choices = choices

    def clean(self):
        cleaned = super().clean()
        name, section = cleaned.get("name", "").strip(), cleaned.get("section", "")
        if not name and section:
            # The heading as it reads is the usual name: "Cervical spondylosis".
            name = self.headings.get(section, "")
        if not name:
            self.add_error("name", "Give the name readers would look it up under.")
        cleaned["name"] = name
        self.instance.name = name
        return cleaned


class ConditionNameInline(admin.TabularInline):
    model = ConditionName
    form = ConditionNameForm
    formset = AppendsAtTheEnd
    extra = 1
    verbose_name = "other name"
    verbose_name_plural = "other names (listed in the conditions A to Z)"

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        headings = {section["id"]: section["name"] for section in getattr(obj, "contents", [])}
        # A fresh form class per request, so one article's headings are not another's.
        formset.form = type("ConditionNameForm", (formset.form,), {"headings": headings})
        return formset


class ArticleAdmin(
    KeepTypingAdminMixin,
    EditingPresenceAdminMixin,
    ShareLinksAdminMixin,
    ModerationAdminMixin,
    ImagePickerMixin,
    SelectionMustBeIds,
    RevisionHistoryMixin,
    UsefulnessColumns,
    VersionAdmin,
):
    """What condition and FAQ articles share in the admin."""

    form = ArticleAdminForm
    # What deleting does, in words (conditions.admin.deletion), not Django's database rows.
    delete_confirmation_template = "admin/conditions/article_delete_confirmation.html"
    delete_selected_confirmation_template = (
        "admin/conditions/article_delete_selected_confirmation.html"
    )
    list_display = [
        "title",
        "state",
        "usefulness_column",
        "symptom_names",
        "reading_grade_column",
        "needs_editing_column",
        "next_review_due",
        "updated_at",
    ]
    list_filter = [
        "status",
        AwaitingReviewFilter,
        NeedsEditingFilter,
        ReviewDueFilter,
        SymptomListFilter,
    ]
    prepopulated_fields = {"slug": ["title"]}
    actions = ["submit_for_review", "publish_selected", "unpublish_selected"]
    save_on_top = True
    change_form_template = "admin/conditions/article_change_form.html"
    object_history_template = "admin/conditions/article_history.html"
    recover_list_template = "admin/conditions/article_recover_list.html"
    content_fields: list[str] = []  # the type's own Markdown fields
    # An id box with a link to the library's list: a <select> of every image would grow with it.
    raw_id_fields = ["lead_image"]

    @property
    def markdown_fields(self) -> list[str]:
        return self.content_fields

    class Media:
        # Questions, sources and other names put in order by dragging or from the keyboard.
        # On a phone, the sources' and other names' tables shown as a box per row.
        js = ["js/admin-reorder.js", "js/admin-table-labels.js"]

    def get_prepopulated_fields(self, request, obj=None):
        if obj is not None and obj.is_working_copy:
            return {}  # its slug is private and fixed
        return super().get_prepopulated_fields(request, obj)

    def get_fieldsets(self, request, obj=None):
        return [
            (None, {"fields": ["title", "slug", "summary", "symptoms", "loaded_version"]}),
            (
                "Content",
                {
                    "fields": ["lead_image", *self.content_fields, "readability_report"],
                    "description": render_to_string("admin/conditions/markdown_cheat_sheet.html"),
                },
            ),
            (
                "Publishing",
                {
                    "fields": PUBLISHING_FIELDS,
                    "description": "Editors save drafts and choose “In review” when an "
                    "article is ready; a medical reviewer publishes it. A publish time in "
                    "the future schedules it.",
                },
            ),
            ("Medical review", {"fields": REVIEW_FIELDS}),
            *([("Readers", {"fields": ["readers_feedback"]})] if obj and obj.is_public else []),
        ]

    def get_readonly_fields(self, request, obj=None):
        readonly = ["readability_report", "readers_feedback"]
        if obj is not None and obj.is_working_copy:
            # Its address is private, and whether and when it goes live is decided by
            # publishing it (see working_copy_publish_view), never by its own fields.
            readonly += ["slug", "published_at"]
        restoring = self._restoring(request) is not None
        if not editorial.can_publish(request.user) or restoring:
            readonly += ["published_at"]
        if restoring:
            readonly += ["status"]
        if not editorial.can_sign_off_review(request.user) or restoring:
            readonly += REVIEW_FIELDS
        return readonly

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        # A fresh class per request, so these are not shared.
        form.user = request.user
        if obj is not None and obj.is_working_copy:
            form = type("WorkingCopyForm", (WorkingCopyFormMixin, form), {})
        restoring = self._restoring(request)
        if restoring is not None and restoring.before is not None:
            # The revision is already written over the row: compare with the row before.
            form.state_before_restore = restoring.before_state
        return form

    def get_queryset(self, request):
        # The symptoms and state columns would otherwise cost a query per row.
        queryset = super().get_queryset(request).prefetch_related("symptoms", "working_copies")
        if request.resolver_match and request.resolver_match.url_name.endswith("_changelist"):
            # A working copy is listed as its live article's state ("Live, with unpublished
            # changes"), not as an article of its own; so list actions never reach it either.
            queryset = self.with_usefulness(queryset.filter(live_article__isnull=True))
        return queryset

    def has_change_permission(self, request, obj=None):
        if self._restoring(request) is not None:
            # The restore and recover views have judged the article as it is now (or that it
            # is deleted); `obj` is the old revision, written over it.
            obj = None
        if obj is not None and is_live(obj):
            # Nobody changes a live article in place: its changes are made in a working
            # copy, which a medical reviewer publishes.
            return False
        return super().has_change_permission(request, obj) and editorial.can_edit(request.user, obj)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and is_live(obj) and not editorial.can_publish(request.user):
            return False  # taking a page off the site is a reviewer's decision
        return super().has_delete_permission(request, obj)

    def has_publish_permission(self, request):
        return editorial.can_publish(request.user)

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "symptoms":
            return self._symptom_field(db_field)
        if db_field.name == "summary":
            kwargs["widget"] = forms.Textarea(attrs={"rows": 3, "cols": 80})
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if db_field.name == "published_at" and hasattr(field.widget, "widgets"):
            # Its label names the date box only; the time box needs a name of its own.
            date, time = field.widget.widgets
            date.attrs["aria-label"], time.attrs["aria-label"] = "Publish date", "Publish time"
        return field

    def _symptom_field(self, db_field):
        # Symptoms are picked from the vocabulary with autocomplete, instead of taggit's
        # free-text box, so a typo can't quietly create a new symptom. Adding one is a
        # deliberate click on "+", which opens the symptom form.
        widget = RelatedFieldWidgetWrapper(
            SymptomAutocomplete(db_field, self.admin_site),
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

    # List columns

    @admin.display(description="state", ordering="status")
    def state(self, article):
        if article.is_working_copy:
            return f"Working copy ({article.get_status_display().lower()})"
        if article.is_scheduled:
            return f"Scheduled for {editorial.describe_publish_time(article)}"
        copies = list(article.working_copies.all())
        if copies and article.status == Status.PUBLISHED:
            return live_state(copies[0])
        return article.get_status_display()

    @admin.display(description="symptoms")
    def symptom_names(self, article):
        # The first few, so the list's columns fit the window: all of them are on its form.
        names = [symptom.name for symptom in article.symptoms.all()]
        if len(names) > SYMPTOMS_LISTED + 1:
            return f"{', '.join(names[:SYMPTOMS_LISTED])} and {len(names) - SYMPTOMS_LISTED} more"
        return ", ".join(names) or "—"

    @admin.display(description="readability (Flesch–Kincaid grade)")
    def readability_report(self, article):
        if article.pk is None:
            return "The reading grade appears here after you save some text."
        return readability.report_html(article.readability())

    @admin.display(description="reading grade", ordering="reading_grade")
    def reading_grade_column(self, article):
        return "—" if article.reading_grade is None else f"{article.reading_grade:.1f}"

    @admin.display(description="needs editing")
    def needs_editing_column(self, article):
        # Words, not Django's boolean icons: its green tick would read as "all is well".
        # The working copies are prefetched (see get_queryset): no query per row.
        problems = len(article.needs_editing)
        in_copy = sum(len(copy.needs_editing) for copy in article.working_copies.all())
        if problems:
            return ngettext("%d leftover to fix", "%d leftovers to fix", problems) % problems
        if in_copy:
            return (
                ngettext(
                    "%d leftover to fix in its working copy",
                    "%d leftovers to fix in its working copy",
                    in_copy,
                )
                % in_copy
            )
        return "—"

    # Saving

    def save_model(self, request, obj, form, change):
        restoring = self._restoring(request)
        if restoring is not None:
            before = restoring.before
            if before is None:
                # A deleted article comes back as a draft: whether it is public again is a
                # medical reviewer's decision, made afresh.
                obj.status, obj.published_at = Status.DRAFT, None
            else:
                for field in KEPT_ON_RESTORE:
                    setattr(obj, field, before[field])
            replacements = vocabulary.restore_merged_symptoms(obj)
            form.cleaned_data["symptoms"] = [*form.cleaned_data["symptoms"], *replacements]
        elif change:
            before = Article.objects.filter(pk=obj.pk).values(*KEPT_ON_RESTORE).first()
        else:
            before = None
        obj.updated_by = request.user
        super().save_model(request, obj, form, change)
        if obj.is_working_copy and restoring is None:
            # Recorded on the live article (the copy is deleted when published), by id: this
            # saves a query for its title, the copy's being the one it will have.
            AuditEvent.record(
                AuditEvent.Action.COPY_SAVED,
                request.user,
                Article(pk=obj.live_article_id),
                subject=obj.title,
            )
        elif restoring is None:
            # Every change to what may reach readers is on the record, drafts included.
            AuditEvent.record(
                AuditEvent.Action.SAVED if change else AuditEvent.Action.CREATED,
                request.user,
                obj,
            )
        editorial.record_status_change(
            obj, before["status"] if before else Status.DRAFT, request.user
        )
        editorial.record_review_sign_off(
            obj, before["last_reviewed_on"] if before else None, request.user
        )

    def response_change(self, request, obj):
        if obj.is_working_copy and "_save" in request.POST:
            # Back to the working copy (the list doesn't show it), with its Compare and
            # Publish buttons.
            super().response_change(request, obj)  # its message
            return redirect(self._url("change", obj.pk))
        return super().response_change(request, obj)

    def delete_model(self, request, obj):
        editorial.delete_articles([obj], request.user)

    def delete_queryset(self, request, queryset):
        editorial.delete_articles(queryset, request.user)

    # Actions

    @admin.action(description="Submit selected articles for review")
    def submit_for_review(self, request, queryset):
        self._change_status(request, queryset, Status.IN_REVIEW, {Status.DRAFT, Status.UNPUBLISHED})

    @admin.action(description="Publish selected articles", permissions=["publish"])
    def publish_selected(self, request, queryset):
        self._change_status(
            request,
            queryset,
            Status.PUBLISHED,
            {Status.DRAFT, Status.IN_REVIEW, Status.UNPUBLISHED},
        )

    @admin.action(description="Unpublish selected articles", permissions=["publish"])
    def unpublish_selected(self, request, queryset):
        self._change_status(request, queryset, Status.UNPUBLISHED, {Status.PUBLISHED})

    def _change_status(self, request, queryset, new_status, from_states):
        for status in from_states:
            if editorial.status_change_refusal(request.user, status, new_status):
                raise PermissionDenied
        changed = editorial.change_status(
            queryset.values_list("pk", flat=True), new_status, from_states, request.user,
            refusals := {},
        )  # fmt: skip
        self.report_publish_refusals(request, refusals)
        label = Status(new_status).label.lower()
        self.message_user(
            request,
            ngettext(
                "%(count)d article is now %(label)s.",
                "%(count)d articles are now %(label)s.",
                changed,
            )
            % {"count": changed, "label": label},
            messages.SUCCESS if changed else messages.WARNING,
        )

    # Preview, history and restore

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        return [
            path(
                "<path:object_id>/history/compare/",
                self.admin_site.admin_view(self.compare_view),
                name=f"{info[0]}_{info[1]}_compare",
            ),
            path(
                "<path:object_id>/working-copy/start/",
                self.admin_site.admin_view(self.working_copy_start_view),
                name=f"{info[0]}_{info[1]}_working_copy_start",
            ),
            path(
                "<path:object_id>/working-copy/compare/",
                self.admin_site.admin_view(self.working_copy_compare_view),
                name=f"{info[0]}_{info[1]}_working_copy_compare",
            ),
            path(
                "<path:object_id>/working-copy/discard/",
                self.admin_site.admin_view(self.working_copy_discard_view),
                name=f"{info[0]}_{info[1]}_working_copy_discard",
            ),
            path(
                "<path:object_id>/working-copy/publish/",
                self.admin_site.admin_view(self.working_copy_publish_view),
                name=f"{info[0]}_{info[1]}_working_copy_publish",
            ),
            path(
                "<path:object_id>/history/<int:version_id>/into-working-copy/",
                self.admin_site.admin_view(self.restore_into_working_copy_view),
                name=f"{info[0]}_{info[1]}_restore_into_working_copy",
            ),
            *super().get_urls(),
        ]

    # Preview is answered before the admin opens the transaction a save runs in: rendering
    # a page with unsaved text writes nothing, so it must hold no lock (on SQLite, the whole
    # database's write lock) while it renders.

    def add_view(self, request, form_url="", extra_context=None):
        if self._is_preview(request):
            return self.preview_view(request)
        return super().add_view(request, form_url, extra_context)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        if self._is_preview(request):
            return self.preview_view(request, object_id)
        if request.method == "POST" and (refused := self._refused_save(request, object_id)):
            return refused
        return super().change_view(request, object_id, form_url, extra_context)

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        # Here rather than in change_view: a save that succeeds renders no form, and so
        # costs no query for this.
        if obj is not None and obj.pk and self._restoring(request) is None:
            context.update(self._working_copy_context(request, obj))
            context.update(self.share_links_context(request, obj))
            if not is_live(obj):  # a live article's page is read-only: nobody edits it there
                context.update(self.editing_presence_context(request, obj))
        return super().render_change_form(request, context, add, change, form_url, obj)

    # Working copies

    def _url(self, name: str, *args) -> str:
        return reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_{name}", args=args)

    def _working_copy_context(self, request, article) -> dict:
        if article.is_working_copy:
            live = article.live_article
            return {
                "working_copy": article,
                "live_article": live,
                "live_state": live_state(article),
                "compare_url": self._url("working_copy_compare", article.pk),
                "discard_url": self._url("working_copy_discard", article.pk),
                "publish_url": self._url("working_copy_publish", article.pk)
                if editorial.can_publish(request.user)
                else None,
                "live_change_url": self._url("change", live.pk),
                "scheduled_for": article.publish_copy_at,
            }
        if is_live(article):
            copy = working_copies.working_copy_of(article)
            return {
                "live_page": article,
                "existing_copy": copy,
                "live_state": live_state(copy) if copy else "Live",
                "copy_url": self._url("change", copy.pk) if copy else None,
                "start_url": self._url("working_copy_start", article.pk),
                "may_start_copy": super().has_change_permission(request, None),
            }
        return {}

    def _working_copy_or_404(self, request, object_id) -> Article:
        copy = self.get_object(request, unquote(object_id))
        if copy is None or not copy.is_working_copy:
            raise Http404("No such working copy.")
        if not self.has_change_permission(request, copy):
            raise PermissionDenied
        return copy

    def working_copy_start_view(self, request, object_id):
        """Open the working copy of a live article, making it first if there is none."""
        live = self.get_object(request, unquote(object_id))
        if live is None or not is_live(live):
            raise Http404("Only a live article has a working copy.")
        if not super().has_change_permission(request, None):
            raise PermissionDenied
        if request.method != "POST":
            return redirect(self._url("change", live.pk))
        copy = working_copies.start(live, request.user)
        return redirect(self._url("change", copy.pk))

    def working_copy_compare_view(self, request, object_id):
        copy = self._working_copy_or_404(request, object_id)
        return self._working_copy_page(
            request,
            copy,
            f"Compare the working copy with the live page “{copy.live_article}”",
            {"parts": working_copies.compare_with_live(copy), "comparing": True},
        )

    def working_copy_discard_view(self, request, object_id):
        copy = self._working_copy_or_404(request, object_id)
        if request.method == "POST":
            live = copy.live_article
            working_copies.discard(copy, request.user)
            self.message_user(
                request, f"The working copy of “{live}” was discarded.", messages.SUCCESS
            )
            return redirect(self._url("change", live.pk))
        return self._working_copy_page(
            request,
            copy,
            f"Discard the working copy of “{copy.live_article}”?",
            {"discarding": True},
        )

    def working_copy_publish_view(self, request, object_id):
        copy = self._working_copy_or_404(request, object_id)
        if not editorial.can_publish(request.user):
            raise PermissionDenied
        refusals = []
        if request.method == "POST":
            when = None
            if request.POST.get("when") == "later":
                when = parse_datetime(request.POST.get("publish_at", ""))
                if when is None:
                    refusals = ["Choose the date and time to publish it at."]
                elif timezone.is_naive(when):
                    when = timezone.make_aware(when)
            if not refusals:
                try:
                    if when is not None and when > timezone.now():
                        working_copies.schedule(copy, when, request.user)
                        self.message_user(
                            request,
                            f"The working copy of “{copy.live_article}” will be published "
                            f"{timezone.localtime(when):%d %B %Y, %H:%M}.",
                            messages.SUCCESS,
                        )
                        return redirect(self._url("change", copy.pk))
                    live = working_copies.publish(copy, request.user)
                except working_copies.PublishRefused as refused:
                    refusals = refused.reasons
                else:
                    if live is not None:
                        self.message_user(
                            request, f"The changes to “{live}” are live.", messages.SUCCESS
                        )
                    return redirect(self._url("change", copy.live_article_id))
        return self._working_copy_page(
            request,
            copy,
            f"Publish the working copy of “{copy.live_article}”",
            {"publishing": True, "refusals": refusals},
        )

    def _working_copy_page(self, request, copy, title, context):
        return TemplateResponse(
            request,
            "admin/conditions/working_copy.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.opts,
                "original": copy,
                "live_article": copy.live_article,
                "title": title,
                **context,
            },
        )

    def restore_into_working_copy_view(self, request, object_id, version_id):
        """An earlier revision of a live article, written into its working copy."""
        live = self.get_object(request, unquote(object_id))
        if live is None or not is_live(live):
            raise Http404
        if not super().has_change_permission(request, None):
            raise PermissionDenied
        version = get_object_or_404(Version.objects.get_for_object(live), pk=version_id)
        if request.method == "POST":
            try:
                copy = working_copies.restore_revision(live, version, request.user)
            except history.RestoreError as error:
                self.message_user(request, str(error), messages.ERROR)
                return redirect(self._url("history", live.pk))
            self.message_user(
                request,
                f"The revision of {history.revision_time(version)} is in the working copy. "
                "The live page is unchanged until a medical reviewer publishes it.",
                messages.SUCCESS,
            )
            return redirect(self._url("change", copy.pk))
        return TemplateResponse(
            request,
            "admin/conditions/working_copy.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.opts,
                "original": live,
                "live_article": live,
                "title": f"Restore an earlier revision of “{live}” into its working copy",
                "restoring_version": version,
                "restoring_time": history.revision_time(version),
            },
        )

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        if self._is_preview(request):  # e.g. posted to the restore page
            return self.preview_view(request, object_id)
        with atomic_change():
            return super().changeform_view(request, object_id, form_url, extra_context)

    @staticmethod
    def _is_preview(request) -> bool:
        return request.method == "POST" and "_preview" in request.POST

    def _refused_save(self, request, object_id):
        """When the user may no longer change the article (it was published after they
        opened it), their text, to copy, instead of a bare "403 Forbidden"."""
        article = self.get_object(request, unquote(object_id))
        if article is None or self.has_change_permission(request, article):
            return None
        if not self.has_view_permission(request, article):
            raise PermissionDenied
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "original": article,
            "title": "Your changes were not saved",
            "status": article.get_status_display().lower(),
            "posted_text": self.posted_text(request),
        }
        return TemplateResponse(request, "admin/conditions/refused_save.html", context, status=403)

    def posted_text(self, request) -> list[tuple[str, str]]:
        """(label, text) of every piece of writing in a posted form (also shown when the form
        is refused for a stale security token: neckinfo.error_pages)."""
        fields = ["title", "summary", *self.content_fields]
        text = [(self.model._meta.get_field(name).verbose_name, request.POST.get(name, ""))
                for name in fields]  # fmt: skip
        count = request.POST.get("items-TOTAL_FORMS", "")
        # However many questions a hand-made post claims, no more than a form can hold.
        for number in range(min(int(count), MAX_QUESTIONS) if count.isdigit() else 0):
            for part in ("question", "answer"):
                text.append(
                    (f"{part} {number + 1}", request.POST.get(f"items-{number}-{part}", ""))
                )
        return [(label.capitalize(), value) for label, value in text if value.strip()]

    def preview_view(self, request, object_id=None):
        """The page as readers would see it with the form's (unsaved) content."""
        obj = self.get_object(request, unquote(object_id)) if object_id else None
        if object_id and obj is None:
            raise Http404
        if not (
            self.has_view_or_change_permission(request, obj) or self.has_add_permission(request)
        ):
            raise PermissionDenied
        form = self.get_form(request, obj, change=bool(obj))(request.POST, instance=obj)
        # Only the article's own fields must be valid to show it; a save would check it all.
        form.is_valid()
        wanted_errors = {k: v for k, v in form.errors.items() if k not in ("__all__", "status")}
        if wanted_errors:
            return TemplateResponse(
                request,
                "admin/conditions/preview_errors.html",
                {
                    **self.admin_site.each_context(request),
                    "form": form,
                    "title": "Can't preview yet",
                },
            )
        article = form.instance
        article.render_markdown()
        article.slug = article.slug or "preview"
        items = self._previewed_items(request, article)
        sources = self._previewed_sources(request, article)
        symptoms = list(form.cleaned_data.get("symptoms") or [])
        response = render_article(
            request,
            article,
            symptoms=symptoms,
            sources=sources,
            items=items,
            related=Article.objects.published().related_to(article, symptoms),
            preview=True,
        )
        if side_by_side.wanted(request):
            return side_by_side.side_by_side(request, self.admin_site, article, response)
        response["X-Robots-Tag"] = "noindex"
        response["Cache-Control"] = "private, no-store"
        return response

    def _previewed_items(self, request, article):
        return []

    def _previewed_sources(self, request, article):
        return self._inline_instances_from_post(request, article, SourceInline)

    def _inline_instances_from_post(self, request, article, inline_class):
        """The unsaved rows an inline formset holds in the POST, in their position order."""
        inline = inline_class(self.model, self.admin_site)
        formset_class = inline.get_formset(request, article if article.pk else None)
        formset = formset_class(
            request.POST, instance=article, prefix=formset_class.get_default_prefix()
        )
        rows = []
        for form in formset.forms:
            if not form.is_valid() or not form.has_changed() and not form.instance.pk:
                continue
            if form.cleaned_data.get("DELETE"):
                continue
            rows.append(form.instance)
        return sorted(rows, key=lambda row: (row.position is None, row.position or 0))

    def revision_snapshot(self, version: Version) -> dict[str, str]:
        return history.article_snapshot(version)

    def revision_view(self, request, object_id, version_id, extra_context=None):
        # Judged on the article as it is now, not as it was in the revision: an editor can't
        # change a published article by restoring an old draft of it.
        current = self.get_object(request, unquote(object_id))
        if current is not None and is_live(current):
            # A live article is never changed in place: the revision goes into its working copy.
            return self.restore_into_working_copy_view(request, object_id, version_id)
        if current is None or not self.has_change_permission(request, current):
            raise PermissionDenied
        # Only a revision of this very article (reversion would take any revision whose
        # object has this id, of any kind).
        version = get_object_or_404(Version.objects.get_for_object(current), pk=version_id)
        return self._restore_view(
            request,
            version,
            current,
            "admin/conditions/article_revision_form.html",
            {
                "title": f"Restore an earlier revision of “{current}”",
                "article_state": current.get_status_display().lower(),
                "restore_button": "Restore this revision",
                "back_url": self._url("history", current.pk),
                "back_label": "Back to the history, restoring nothing",
                **self._revision_context(version),
                **(extra_context or {}),
            },
        )

    @staticmethod
    def _revision_context(version) -> dict:
        """Who saved `version`'s revision and when, for the restore and recover forms."""
        return {
            "restoring_by": history.person(version.revision.user),
            "restoring_time": history.revision_time(version),
            "restoring_title": version.object_repr,
        }

    def recover_view(self, request, version_id, extra_context=None):
        """A deleted article brought back, as a draft, from its last revision."""
        if not (self.has_add_permission(request) and self.has_change_permission(request)):
            raise PermissionDenied
        version = get_object_or_404(Version.objects.get_deleted(self.model), pk=version_id)
        if version.field_dict.get("live_article_id") is not None:
            # A discarded or published working copy would come back as a second article.
            raise Http404("A working copy can't be recovered.")
        return self._restore_view(
            request,
            version,
            None,
            "admin/conditions/article_recover_form.html",
            {
                "title": f"Recover “{version.object_repr}” as a draft",
                "recover": True,
                "restore_button": "Recover as a draft",
                "back_url": self._url("recoverlist"),
                "back_label": "Back to the deleted articles, recovering nothing",
                **self._revision_context(version),
                **(extra_context or {}),
            },
        )

    def _restore_view(self, request, version, current, template, context):
        """Write `version`'s revision over the article (or bring it back) and show the change
        form on it; saving the form keeps it, anything else rolls it back.

        The article's row is locked throughout, so nobody's save can slip in between the
        check of what the form was opened on and the restore.
        """
        try:
            with atomic_change():
                before = None
                if current is not None:
                    before = (
                        Article.objects.select_for_update(no_key=True)
                        .filter(pk=current.pk)
                        .values(*KEPT_ON_RESTORE, "updated_at", "updated_by")
                        .first()
                    )
                request.restoring = Restoring(version, before)
                history.revert_article(version)
                with self.create_revision(request):
                    response = self.changeform_view(
                        request, quote(version.object_id), request.path, context
                    )
                    if request.method == "POST" and response.status_code == 302:
                        self._record_restore(request, version, current)
                        return response
                response.template_name = template
                response.render()  # with the revision's content, before it is rolled back
                raise _ShownOnly(response)
        except _ShownOnly as shown:
            return shown.response
        except history.RestoreError as error:
            self.message_user(request, str(error), messages.ERROR)
            return redirect(
                f"admin:{self.opts.app_label}_{self.opts.model_name}_changelist"
                if current is None
                else f"admin:{self.opts.app_label}_{self.opts.model_name}_history",
                *([] if current is None else [current.pk]),
            )

    def _record_restore(self, request, version, current) -> None:
        saved_on = history.revision_time(version)
        reversion.set_comment(f"Restored the revision of {saved_on}")
        AuditEvent.record(
            AuditEvent.Action.RESTORED if current else AuditEvent.Action.RECOVERED,
            request.user,
            Article.objects.get(pk=version.object_id),
            detail=f"Restored the revision of {saved_on}"
            if current
            else f"Recovered as a draft from the revision of {saved_on}",
        )

    def _reversion_order_version_queryset(self, request, queryset):
        queryset = super()._reversion_order_version_queryset(request, queryset)
        if request.resolver_match and request.resolver_match.url_name.endswith("_recoverlist"):
            # A deleted working copy (discarded or published) would come back as a second
            # article: it isn't offered. Its shared Article row names its live article.
            queryset = queryset.exclude(
                Exists(
                    Version.objects.filter(
                        revision=OuterRef("revision"),
                        object_id=OuterRef("object_id"),
                        content_type=ContentType.objects.get_for_model(Article),
                        serialized_data__regex=r'"live_article": [0-9]',
                    )
                )
            )
        return queryset

    def delete_view(self, request, object_id, extra_context=None):
        article = self.get_object(request, unquote(object_id))
        if article is not None:
            extra_context = {**(extra_context or {}), "title": f"Delete “{article}”?"}
        return super().delete_view(request, object_id, extra_context)

    @staticmethod
    def _restoring(request) -> "Restoring | None":
        return getattr(request, "restoring", None)


def is_live(article: Article) -> bool:
    """Published (or scheduled): changed only through a working copy."""
    return article.status == Status.PUBLISHED and not article.is_working_copy


def live_state(copy: Article) -> str:
    """How a live article with working copy `copy` is described."""
    if copy.status == Status.IN_REVIEW:
        return "Live, with unpublished changes in review"
    return "Live, with unpublished changes"


class WorkingCopyFormMixin:
    """A working copy's form: it may be a draft or in review, never published itself."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "status" in self.fields:
            self.fields["status"].choices = [
                choice for choice in Status.choices if choice[0] in (Status.DRAFT, Status.IN_REVIEW)
            ]
            self.fields["status"].help_text = (
                "A working copy goes live when a medical reviewer publishes it "
                "(“Publish working copy” above)."
            )


@dataclass
class Restoring:
    """A restore under way: the revision, and the article's row before it (None: recovering a
    deleted article)."""

    version: Version
    before: dict | None

    @property
    def before_state(self) -> dict:
        return state_of_row(self.before)


class _ShownOnly(Exception):
    """Unwinds the restore's transaction after its form has been shown, not saved."""

    def __init__(self, response):
        self.response = response


@admin.register(ConditionArticle)
class ConditionArticleAdmin(ArticleAdmin):
    search_fields = ["title", "condition_name", "summary", "body"]
    content_fields = ["body", "when_to_get_medical_help", "urgent_help", "emergency_help"]
    inlines = [ConditionNameInline, SourceInline]

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        fieldsets[0][1]["fields"].insert(1, "condition_name")  # under the title it names
        return fieldsets


class FaqItemInline(admin.StackedInline):
    model = FaqItem
    form = FaqItemForm
    # Each question collapsed to its wording, to open one at a time; reordered by dragging or
    # with the keyboard (static/js/admin-reorder.js, loaded for every article form).
    template = "admin/conditions/faq_questions_inline.html"
    max_num = MAX_QUESTIONS
    fields = ["position", "question", "answer", "anchor"]
    # The anchor is made from the question on first save and then never changes, so links
    # people have shared to a question keep working after its wording is edited.
    readonly_fields = ["anchor"]
    extra = 1

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if db_field.name == "answer":
            field.help_text = format_html("{} {}", field.help_text, reference_help())
        return field


@admin.register(FaqArticle)
class FaqArticleAdmin(ArticleAdmin):
    search_fields = ["title", "summary", "intro", "items__question", "items__answer"]
    content_fields = ["intro"]
    inlines = [FaqItemInline, SourceInline]

    def _previewed_items(self, request, article):
        items = self._inline_instances_from_post(request, article, FaqItemInline)
        for number, item in enumerate(items, start=1):
            item.render_markdown()
            item.anchor = item.anchor or f"question-{number}"
        return items
