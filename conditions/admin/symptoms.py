"""The symptom vocabulary in the admin: names, synonyms, how many articles use each, and
renaming, merging and deleting symptoms without breaking links (see `conditions.vocabulary`).
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.actions import delete_selected as django_delete_selected
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.views.decorators.http import require_POST
from reversion.admin import VersionAdmin
from reversion.models import Version

from conditions import editorial, symptom_review, vocabulary
from conditions.admin.editing import KeepTypingAdminMixin
from conditions.admin.input import SelectionMustBeIds
from conditions.admin.revisions import RevisionHistoryMixin
from conditions.forms import SymptomAdminForm
from conditions.history import revision_time, word_diff
from conditions.models import Article, Symptom, published_q

# The admin page where each kind of article is edited.
ARTICLE_CHANGE_URL_NAMES = {
    Article.Kind.CONDITION: "admin:conditions_conditionarticle_change",
    Article.Kind.FAQ: "admin:conditions_faqarticle_change",
}


# What Compare shows of a symptom's revision, in this order: (label, field name).
SYMPTOM_FIELDS = [
    ("Name", "name"),
    ("Slug", "slug"),
    ("Synonyms", "synonyms"),
    ("Description", "description"),
    ("Red-flag advice", "red_flag_advice"),
    ("Red-flag level", "red_flag_level"),
    ("Proposed description", "proposed_description"),
    ("Proposed red-flag advice", "proposed_red_flag_advice"),
    ("Proposed red-flag level", "proposed_red_flag_level"),
]


def symptom_snapshot(version: Version) -> dict[str, str]:
    """The symptom as it was in `version`: readable text for each part."""
    fields = version.field_dict
    return {label: str(fields.get(name) or "") for label, name in SYMPTOM_FIELDS}


def whole_diff(older: str, newer: str) -> str:
    """A choice changed: the old one removed, the new one added (no words in common)."""
    return format_html("<del>{}</del> <ins>{}</ins>", older, newer) if older != newer else newer


class PendingProposalFilter(admin.SimpleListFilter):
    title = "proposed changes"
    parameter_name = "proposal"

    def lookups(self, request, model_admin):
        return [("pending", "Waiting for approval")]

    def queryset(self, request, queryset):
        if self.value() == "pending":
            return queryset.filter(proposed_at__isnull=False)
        return queryset


@admin.register(Symptom)
class SymptomAdmin(KeepTypingAdminMixin, SelectionMustBeIds, RevisionHistoryMixin, VersionAdmin):
    form = SymptomAdminForm
    # Django's list, without django-reversion's "Recover deleted symptoms" (see recover_view).
    change_list_template = None
    object_history_template = "admin/conditions/article_history.html"
    list_display = ["name", "synonyms", "published_articles", "all_articles", "proposal"]
    list_filter = [PendingProposalFilter]
    change_form_template = "admin/conditions/symptom/change_form.html"
    search_fields = ["name", "synonyms"]  # also what the articles' autocomplete searches
    ordering = ["name"]
    prepopulated_fields = {"slug": ["name"]}
    actions = ["delete_selected", "merge_selected"]
    delete_confirmation_template = "admin/conditions/symptom/delete_confirmation.html"
    delete_selected_confirmation_template = (
        "admin/conditions/symptom/delete_selected_confirmation.html"
    )
    merge_confirmation_template = "admin/conditions/symptom/merge_confirmation.html"

    def get_queryset(self, request):
        # Both counts in the list's one query, instead of two queries per row.
        return (
            super()
            .get_queryset(request)
            .annotate(
                article_total=Count("tagged_articles", distinct=True),
                published_total=Count(
                    "tagged_articles",
                    filter=published_q("tagged_articles__content_object__"),
                    distinct=True,
                ),
            )
        )

    def get_fields(self, request, obj=None):
        fields = ["name", "slug", "description", "synonyms", "red_flag_advice", "red_flag_level"]
        return [*fields, "old_addresses", "loaded_version"] if obj else fields

    def get_readonly_fields(self, request, obj=None):
        readonly = ["old_addresses"] if obj else []
        if not editorial.can_edit_symptom(request.user, obj):
            # Its name and address are on public pages: a medical reviewer changes them.
            # (Its description and advice anyone may propose: see save_model.)
            readonly += ["name", "slug", "synonyms"]
        return readonly

    def get_prepopulated_fields(self, request, obj=None):
        if "slug" in self.get_readonly_fields(request, obj):
            return {}
        return super().get_prepopulated_fields(request, obj)

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if db_field.name == "slug":
            field.help_text = (
                "The last part of the symptom page's address (neck-pain for "
                "/symptoms/neck-pain/). If you change it, the old address keeps working: "
                "it redirects here."
            )
        elif db_field.name == "synonyms":
            field.widget = forms.Textarea(attrs={"rows": 2, "cols": 80})
            field.help_text = (
                "Other words readers use for this symptom, separated by commas, e.g. for "
                "Dizziness: vertigo, light-headedness, giddiness. The importer tags articles "
                "that use any of them. Merging symptoms into this one adds their names here."
            )
        return field

    def save_model(self, request, obj, form, change):
        obj.updated_by = request.user
        changes = request.symptom_changes = vocabulary.save_symptom(obj, user=request.user)
        if changes.reviewed_text == "proposed":
            self.message_user(
                request,
                "Your change to the description and red-flag advice is a proposal: readers "
                "see the approved text until another medical reviewer approves it.",
                messages.WARNING,
            )
        if changes.redirected_from:
            self.message_user(
                request,
                f"The old address /symptoms/{changes.redirected_from}/ now redirects to "
                f"/symptoms/{obj.slug}/.",
                messages.INFO,
            )
        if changes.old_name_kept:
            self.message_user(
                request,
                f"“{changes.old_name_kept}” is kept as a synonym, so searches and suggestions "
                "for it still find this symptom.",
                messages.INFO,
            )
        if changes.taken_over_from:
            self.message_user(
                request,
                f"/symptoms/{obj.slug}/ used to redirect to “{changes.taken_over_from}”; "
                f"it now shows “{obj}”.",
                messages.WARNING,
            )

    @admin.display(description="proposed change", boolean=True, ordering="proposed_at")
    def proposal(self, symptom):
        return symptom.has_proposal

    def log_change(self, request, obj, message):
        changes = getattr(request, "symptom_changes", None)
        if changes is not None and changes.reviewed_text:
            # save_symptom named the revision: "Changed Red-flag advice" would say it is live.
            return admin.ModelAdmin.log_change(self, request, obj, message)
        return super().log_change(request, obj, message)

    def changelist_view(self, request, extra_context=None):
        # Not inside one revision for the whole list (django-reversion's way): a merge saves
        # each re-tagged article and the kept symptom as revisions of their own.
        return admin.ModelAdmin.changelist_view(self, request, extra_context)

    # History, compare and restore.

    def revision_snapshot(self, version: Version) -> dict[str, str]:
        return symptom_snapshot(version)

    def revision_view(self, request, object_id, version_id, extra_context=None):
        """The change form filled in from an earlier revision; saving it restores its name
        and synonyms, and proposes its description and advice (never straight to readers).

        Nothing is written over the symptom before the save, unlike django-reversion's own
        restore: the save is an ordinary one, judged and proposed like any other.
        """
        current = self.get_object(request, unquote(object_id))
        if current is None or not self.has_change_permission(request, current):
            raise PermissionDenied
        version = get_object_or_404(Version.objects.get_for_object(current), pk=version_id)
        if request.method != "POST":
            request.symptom_revision = version
        context = {
            "title": f"Restore the revision of {revision_time(version)} of “{current}”",
            "restoring_revision": revision_time(version),
            **(extra_context or {}),
        }
        return self.changeform_view(request, object_id, request.path, context)

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        version = getattr(request, "symptom_revision", None)
        if obj is not None and version is not None:
            # Shown, not saved: the form opens on the revision's text.
            fields = version.field_dict
            for name in ["name", "slug", "synonyms", *editorial.REVIEWED_SYMPTOM_FIELDS]:
                if name in fields:
                    setattr(obj, name, fields[name])
            obj.proposed_at = None
        return obj

    def recoverlist_view(self, request, extra_context=None):
        # A deleted symptom is added again by hand: recovering one would bring its advice
        # back to readers without review.
        raise PermissionDenied

    def recover_view(self, request, version_id, extra_context=None):
        raise PermissionDenied

    # Approving or rejecting a proposed change to the description and advice.

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        return [
            path(
                "<path:object_id>/proposal/",
                self.admin_site.admin_view(require_POST(self.proposal_view)),
                name=f"{info[0]}_{info[1]}_proposal",
            ),
            path(
                "<path:object_id>/history/compare/",
                self.admin_site.admin_view(self.compare_view),
                name=f"{info[0]}_{info[1]}_compare",
            ),
            *super().get_urls(),
        ]

    def proposal_view(self, request, object_id):
        """Approve or reject the symptom's pending proposal (the panel on its change form)."""
        symptom = self.get_object(request, unquote(object_id))
        if symptom is None:
            raise Http404("No such symptom")
        if not self.has_view_or_change_permission(request, symptom):
            raise PermissionDenied
        decision = request.POST.get("decision")
        review = {"approve": symptom_review.approve, "reject": symptom_review.reject}.get(decision)
        if review is None:
            self.message_user(request, "Choose Approve or Reject.", messages.ERROR)
        else:
            try:
                review(symptom.pk, request.user, request.POST.get("proposal_version", ""))
            except symptom_review.ReviewRefused as refusal:
                self.message_user(request, str(refusal), messages.ERROR)
            else:
                self.message_user(
                    request,
                    "Approved: every article with this symptom now shows the new advice."
                    if decision == "approve"
                    else "Rejected: the approved advice stays as it was.",
                    messages.SUCCESS,
                )
        return redirect(f"admin:{self.opts.app_label}_{self.opts.model_name}_change", symptom.pk)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        symptom = self.get_object(request, unquote(object_id))
        if symptom is not None and symptom.has_proposal:
            extra_context = {**(extra_context or {}), **self._proposal_context(request, symptom)}
        return super().change_view(request, object_id, form_url, extra_context)

    def _proposal_context(self, request, symptom: Symptom) -> dict:
        live = symptom_review.live_text(symptom)
        proposed = symptom_review.proposed_text(symptom)
        levels = symptom_review.LEVELS
        # (label, live, proposed, how to mark the difference)
        rows = [
            ("Level", levels.get(live["red_flag_level"], ""),
             levels.get(proposed["red_flag_level"], ""), whole_diff),
            ("Red-flag advice", live["red_flag_advice"], proposed["red_flag_advice"], word_diff),
            ("Description", live["description"], proposed["description"], word_diff),
        ]  # fmt: skip
        refusal = symptom_review.approval_refusal(request.user, symptom)
        return {
            "proposal": {
                "rows": [
                    {"label": label, "live": old, "diff": diff(old, new), "same": old == new}
                    for label, old, new, diff in rows
                ],
                "proposed_by": symptom.proposed_by,
                "proposed_at": symptom.proposed_at,
                "version": symptom_review.proposal_version(symptom),
                "url": reverse(
                    f"admin:{self.opts.app_label}_{self.opts.model_name}_proposal",
                    args=[symptom.pk],
                ),
                "approval_refusal": refusal,
                "may_reject": editorial.can_publish(request.user),
            }
        }

    @admin.display(description="published articles", ordering="published_total")
    def published_articles(self, symptom):
        return symptom.published_total

    @admin.display(description="all articles", ordering="article_total")
    def all_articles(self, symptom):
        return symptom.article_total

    @admin.display(description="old addresses")
    def old_addresses(self, symptom):
        slugs = symptom.redirects.order_by("old_slug").values_list("old_slug", flat=True)
        if not slugs:
            return "None: this symptom has never been renamed or had others merged into it."
        return format_html(
            "<ul>{}</ul><p>These redirect here.</p>",
            format_html_join("", "<li>/symptoms/{}/</li>", ((slug,) for slug in slugs)),
        )

    # Deleting: warn which articles lose the symptom.

    def delete_model(self, request, obj):
        vocabulary.delete_symptoms([obj], user=request.user)

    def delete_queryset(self, request, queryset):
        vocabulary.delete_symptoms(queryset, user=request.user)

    def render_delete_form(self, request, context):
        context["affected"] = self._affected_articles([context["object"]])
        context["title"] = f"Delete the symptom “{context['object']}”?"
        return super().render_delete_form(request, context)

    @admin.action(permissions=["delete"], description="Delete selected %(verbose_name_plural)s")
    def delete_selected(self, request, queryset):
        response = django_delete_selected(self, request, queryset)
        if isinstance(response, TemplateResponse):  # the confirmation page, not yet rendered
            response.context_data["affected"] = self._affected_articles(queryset)
        return response

    def _affected_articles(self, symptoms) -> list[tuple[Symptom, list[tuple[Article, str]]]]:
        """The symptoms that articles use, each with those articles and their admin pages."""
        articles = vocabulary.articles_by_symptom(symptoms)
        return [
            (
                symptom,
                [
                    (article, reverse(ARTICLE_CHANGE_URL_NAMES[article.kind], args=[article.pk]))
                    for article in articles[symptom.pk]
                ],
            )
            for symptom in symptoms
            if symptom.pk in articles
        ]

    # Merging.

    @admin.action(permissions=["delete"], description="Merge selected symptoms into one…")
    def merge_selected(self, request, queryset):
        # Most used first: the one offered as the symptom to keep.
        symptoms = list(queryset.order_by("-published_total", "-article_total", "name"))
        if len(symptoms) < 2:
            self.message_user(
                request,
                "Select at least two symptoms to merge. Nothing was changed.",
                messages.WARNING,
            )
            return None

        by_id = {str(symptom.pk): symptom for symptom in symptoms}
        keep = by_id.get(request.POST.get("keep", ""))
        if request.POST.get("confirm") and keep:
            merged = [symptom for symptom in symptoms if symptom != keep]
            red_flags_from = self._red_flags_chosen(request, by_id)
            articles = vocabulary.merge_symptoms(
                keep, merged, user=request.user, red_flags_from=red_flags_from
            )
            self.message_user(
                request,
                f"Merged {vocabulary.joined_with_and(f'“{s}”' for s in merged)} into “{keep}”: "
                f"{len(articles)} article{'s' if len(articles) != 1 else ''} re-tagged. "
                "Their addresses now redirect to it.",
                messages.SUCCESS,
            )
            return None

        context = {
            **self.admin_site.each_context(request),
            "title": "Merge symptoms",
            "subtitle": None,
            "opts": self.opts,
            "symptoms": symptoms,
            "keep": keep or symptoms[0],
            "red_flags_chosen": self._red_flags_chosen(request, by_id),
            "symptoms_with_red_flags": [s for s in symptoms if s.red_flag_advice.strip()],
            "not_chosen": bool(request.POST.get("confirm")),
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "media": self.media,
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, self.merge_confirmation_template, context)

    @staticmethod
    def _red_flags_chosen(request, by_id: dict[str, Symptom]) -> list[int] | None:
        """The selected symptoms whose red-flag advice the reviewer chose to keep; None (all
        of them) unless the merge screen's choice was posted."""
        if not request.POST.get("red_flags_chosen"):
            return None
        return [by_id[pk].pk for pk in request.POST.getlist("keep_red_flags") if pk in by_id]
