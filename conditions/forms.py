"""The admin's forms for content, each refusing to save over a change made after it opened.

Two people can open the same article (or symptom) and both press Save. The form carries
the row's `updated_at` as it was when the form was opened; when saving, the row is locked
and compared inside the save's own transaction, so the check and the write are one atomic
step: the second save waits for the first to commit, then sees the change and is refused,
with who and when, its text kept in the form. (Comparing without the lock loses updates
under PostgreSQL's READ COMMITTED: both saves read the old time, both pass, one vanishes.)

The lock is PostgreSQL's FOR NO KEY UPDATE, the lock an UPDATE itself takes: it stops a
second save of the same row, but not another transaction adding rows that refer to this one
(tagging an article with a symptom, re-indexing an article), which would otherwise wait on
it and could deadlock with it.
"""

from django import forms
from django.core.exceptions import ValidationError
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html

from conditions import editorial
from conditions.markdown import markdown_problem
from conditions.models import Article, FaqItem, Symptom

Status = Article.Status


class RefusesLostUpdates(forms.ModelForm):
    """A model form that never saves over someone else's change.

    `versioned_model` is the model whose row holds `updated_at` and `updated_by` for the
    instance (the shared Article row for both kinds of article).
    """

    # The "last updated" time of the row as the form was opened.
    loaded_version = forms.CharField(widget=forms.HiddenInput, required=False)

    versioned_model: type = None
    noun = "item"
    # Set by the admin while restoring a revision: the row as it was before the revision
    # was written over it ({"updated_at": …, "updated_by": …}), read under the lock.
    state_before_restore: dict | None = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            current = self._current_state(lock=False)
            self.fields["loaded_version"].initial = current["version"] if current else ""

    def clean(self):
        cleaned_data = super().clean()
        self._refuse_lost_update()
        return cleaned_data

    def _current_state(self, lock: bool) -> dict | None:
        """The row's version and who saved it last, locked until the save's transaction ends
        (when there is one: Preview reads without saving, outside any transaction)."""
        if self.state_before_restore is not None:
            return self.state_before_restore
        rows = self.versioned_model.objects.filter(pk=self.instance.pk)
        if lock and connection.in_atomic_block:
            rows = rows.select_for_update(no_key=True)
        row = rows.values("updated_at", "updated_by").first()
        return state_of_row(row) if row else None

    def _refuse_lost_update(self) -> None:
        if not self.instance.pk:
            return
        current = self._current_state(lock=True)
        if current is None:
            raise ValidationError(
                format_html(
                    "This {} was deleted after you opened it. Your changes have "
                    "<strong>not</strong> been saved; they are still in the form below.",
                    self.noun,
                ),
                code="deleted_meanwhile",
            )
        if current["version"] == self.cleaned_data.get("loaded_version"):
            return
        raise ValidationError(saved_meanwhile_message(self.noun, current, self.change_url()))

    def change_url(self) -> str:
        opts = self._meta.model._meta
        return reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[self.instance.pk])


def state_of_row(row: dict) -> dict:
    """A row's version and who saved it, from its `updated_at` and `updated_by` values."""
    return {
        "version": row["updated_at"].isoformat() if row["updated_at"] else "",
        "updated_at": row["updated_at"],
        "updated_by": row["updated_by"],
    }


def saved_meanwhile_message(noun: str, current: dict, latest_url: str) -> str:
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.filter(pk=current["updated_by"]).first()
    who = (
        (user.get_full_name() or user.username) if user else "someone else (an import or a script)"
    )
    when = (
        date_format(timezone.localtime(current["updated_at"]), "j F Y, H:i:s")
        if current["updated_at"]
        else "an unknown time"
    )
    return format_html(
        "This {} was changed by {} at {}, after you opened it. Your changes have "
        "<strong>not</strong> been saved; they are still in the form below. "
        '<a href="{}" target="_blank">Open the latest version in a new tab</a>, '
        "bring your changes across, and save there.",
        noun,
        who,
        when,
        latest_url,
    )


class MarkdownFieldsForm(forms.ModelForm):
    """Refuses Markdown too long or too deeply nested to render quickly, saying in the field
    what to change (see conditions.markdown): the text stays in the form."""

    markdown_fields: list[str] = []

    def clean(self):
        cleaned_data = super().clean()
        for name in self.markdown_fields:
            text = cleaned_data.get(name)
            if text and (problem := markdown_problem(text)):
                self.add_error(name, problem)
        return cleaned_data


class ArticleAdminForm(RefusesLostUpdates, MarkdownFieldsForm):
    """The change form of both kinds of article: no lost updates, no change of state the user
    may not make, and Markdown that renders quickly."""

    versioned_model = Article
    noun = "article"
    user = None  # set on the form class by the admin's get_form
    # What the publish gate found missing when this form was last saved (set by the admin,
    # which then shows the form again: see conditions.admin.moderation).
    gate_refusals: list[str] | None = None
    markdown_fields = [
        "body", "when_to_get_medical_help", "urgent_help", "emergency_help", "intro",
    ]  # fmt: skip

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._saved_status = self._status_in_database()
        if "status" in self.fields and not editorial.can_publish(self.user):
            allowed = {Status.DRAFT, Status.IN_REVIEW, self._saved_status}
            self.fields["status"].choices = [
                choice for choice in Status.choices if choice[0] in allowed
            ]
            self.fields["status"].error_messages["invalid_choice"] = editorial.REFUSED_STATUS_CHANGE

    def _status_in_database(self) -> str:
        if not self.instance.pk:
            return Status.DRAFT
        saved = Article.objects.filter(pk=self.instance.pk).values_list("status", flat=True)
        return saved[0] if saved else Status.DRAFT

    def clean(self):
        cleaned_data = super().clean()
        if "status" in cleaned_data:
            refusal = editorial.status_change_refusal(
                self.user, self._saved_status, cleaned_data["status"]
            )
            if refusal:
                self.add_error("status", refusal)
        if self.gate_refusals:
            raise ValidationError(
                [
                    "This article can't be published yet. Nothing has been saved; your text "
                    "is still in the form below.",
                    *self.gate_refusals,
                ],
                code="publish_gate",
            )
        return cleaned_data


class SymptomAdminForm(RefusesLostUpdates, MarkdownFieldsForm):
    """A symptom's form: no lost updates, and red-flag advice that renders quickly.

    Its description and advice open on the change waiting for approval, if there is one:
    saving them is a proposal (conditions.symptom_review), never a live change.
    """

    versioned_model = Symptom
    noun = "symptom"
    markdown_fields = ["red_flag_advice"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk and self.instance.has_proposal:
            for name in editorial.REVIEWED_SYMPTOM_FIELDS:
                self.initial[name] = getattr(self.instance, f"proposed_{name}")

    class Meta:
        model = Symptom
        # The admin's get_fields() decides which of them the form shows.
        fields = ["name", "slug", "description", "synonyms", "red_flag_advice", "red_flag_level"]


class FaqItemForm(MarkdownFieldsForm):
    """One question of an FAQ, whose answer must render quickly."""

    markdown_fields = ["answer"]

    class Meta:
        model = FaqItem
        fields = ["position", "question", "answer"]
