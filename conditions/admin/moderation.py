"""Moderation in the article admin: the publish gate on every save, a reviewer's approve,
request changes and sign-off, and what the author is told.

`ModerationAdminMixin` is mixed into the article admin. The gate is judged on the article as
saved (fields, symptoms, sources, questions), inside the save's transaction: a save that
would publish (or schedule) content the gate refuses is rolled back and the form shown again
with the typed text and every missing item.
"""

from django.contrib import messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils import timezone

from conditions import editorial, notifications, working_copies
from conditions.models import Article, ReviewComment
from conditions.signals import atomic_change

Status = Article.Status


class GateRefused(Exception):
    """Unwinds a save the publish gate refused, carrying what is missing."""

    def __init__(self, refusals: list[str]):
        self.refusals = refusals


def same_second(one, other) -> bool:
    """The form shows times to the second: a time saved with microseconds comes back without."""
    if one is None or other is None:
        return one is other
    return one.replace(microsecond=0) == other.replace(microsecond=0)


class ModerationAdminMixin:
    # The form

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        form.gate_refusals = getattr(request, "gate_refusals", None)
        return form

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except GateRefused as refused:
            # Everything the save wrote is rolled back; the form is shown again from the
            # POST, with the reasons, so nothing typed is lost.
            request.gate_refusals = refused.refusals
            return super().changeform_view(request, object_id, form_url, extra_context)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        article = self.get_object(request, unquote(object_id))
        if article is not None:
            extra_context = {
                **(extra_context or {}),
                "review_comments": ReviewComment.objects.filter(
                    article=article, resolved=False
                ).select_related("reviewer"),
                "sign_off_current": editorial.sign_off_is_current(article),
                "may_moderate": editorial.can_publish(request.user),
                "moderate_url": reverse(
                    f"admin:{self.opts.app_label}_{self.opts.model_name}_moderate",
                    args=[article.pk],
                ),
            }
        return super().change_view(request, object_id, form_url, extra_context)

    # Saving

    def save_model(self, request, obj, form, change):
        restoring = getattr(request, "restoring", None)
        saved = self.model.objects.filter(pk=obj.pk).first() if change else None
        before = {"row": None, "fingerprint": None}
        if saved is not None:
            before["row"] = {
                name: getattr(saved, name)
                for name in ("status", "published_at", "reviewed_by", "last_reviewed_on")
            }
            # A restore is a change of content by whoever restores it (the row holds the
            # revision being restored already, and `restoring.before` the row as it was).
            if restoring is None:
                before["fingerprint"] = editorial.content_fingerprint(saved)
            elif restoring.before is not None:
                before["row"] = restoring.before
        request.moderation_before = before
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        article = form.instance
        before = request.moderation_before
        row = before["row"] or {}
        content_changed = editorial.content_fingerprint(article) != before["fingerprint"]
        if content_changed:
            editorial.record_content_change(article, request.user)
        review_changed = (article.reviewed_by, article.last_reviewed_on) != (
            row.get("reviewed_by", ""),
            row.get("last_reviewed_on"),
        )
        if (
            review_changed
            and article.reviewed_by
            and article.last_reviewed_on
            and editorial.can_sign_off_review(request.user)
        ):
            editorial.sign_off(article, request.user)
        if self._publishes(article, row, content_changed) and (
            refusals := editorial.publish_refusals(article, request.user)
        ):
            raise GateRefused(refusals)

    @staticmethod
    def _publishes(article, row: dict, content_changed: bool) -> bool:
        """Whether this save makes the article public or sets when it will be: a new state of
        Published, a new publish time, or new content for a scheduled article."""
        if article.status != Status.PUBLISHED:
            return False
        if row.get("status") != Status.PUBLISHED or not same_second(
            row.get("published_at"), article.published_at
        ):
            return True
        return article.is_scheduled and content_changed

    # The list action

    def report_publish_refusals(self, request, refusals: dict[str, list[str]]) -> None:
        for title, missing in refusals.items():
            self.message_user(
                request,
                f"“{title}” was not published: " + " ".join(missing),
                messages.ERROR,
            )

    # Approve, request changes, sign off

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        return [
            path(
                "<path:object_id>/moderate/",
                self.admin_site.admin_view(self.moderate_view),
                name=f"{info[0]}_{info[1]}_moderate",
            ),
            *super().get_urls(),
        ]

    def moderate_view(self, request, object_id):
        """A reviewer's decision on an article: approve (publish, through the gate), request
        changes (back to its author as a draft, with a comment), or sign off its content."""
        if request.method != "POST" or not editorial.can_publish(request.user):
            raise PermissionDenied
        article = self.get_object(request, unquote(object_id))
        if article is None:
            raise PermissionDenied
        change_url = reverse(
            f"admin:{self.opts.app_label}_{self.opts.model_name}_change", args=[article.pk]
        )
        decision = request.POST.get("decision")
        if decision == "approve" and article.is_working_copy:
            return self._approve_working_copy(request, article, change_url)
        if decision == "approve":
            refusals = {}
            changed = editorial.change_status(
                [article.pk], Status.PUBLISHED, {Status.IN_REVIEW}, request.user, refusals
            )
            if refusals:
                self.report_publish_refusals(request, refusals)
            elif changed:
                self.message_user(request, f"“{article}” is approved and published.")
            else:
                self.message_user(
                    request, "Only an article in review can be approved.", messages.ERROR
                )
        elif decision == "request_changes":
            comment = request.POST.get("comment", "").strip()
            if not comment:
                self.message_user(request, "Say what should change.", messages.ERROR)
            elif article.status != Status.IN_REVIEW:
                self.message_user(
                    request, "Changes can be requested on an article in review.", messages.ERROR
                )
            else:
                editorial.request_changes(article, request.user, comment)
                self.message_user(request, f"“{article}” went back to its author for changes.")
        elif decision == "sign_off":
            self._sign_off(request, article)
        else:
            raise PermissionDenied
        return redirect(change_url)

    def _approve_working_copy(self, request, copy, change_url):
        """Approving a working copy publishes it onto its live page (a copy itself is never
        published), through the same gate."""
        author = editorial.submitter(copy)
        try:
            live = working_copies.publish(copy, request.user)
        except working_copies.PublishRefused as refused:
            self.report_publish_refusals(request, {str(copy): refused.reasons})
            return redirect(change_url)
        if live is None:
            self.message_user(request, "This working copy was published or discarded meanwhile.")
            return redirect(f"admin:{self.opts.app_label}_{self.opts.model_name}_changelist")
        notifications.review_approved(live, author, request.user)
        self.message_user(request, f"“{live}” is approved: the working copy is now live.")
        return redirect(f"admin:{self.opts.app_label}_{self.opts.model_name}_change", live.pk)

    def _sign_off(self, request, article) -> None:
        if not article.reviewed_by.strip():
            self.message_user(
                request,
                "Fill in “Medically reviewed by” (name and credentials) and save first.",
                messages.ERROR,
            )
            return
        with atomic_change():
            article = Article.objects.select_for_update(no_key=True).get(pk=article.pk).specific()
            article.sign_off_review(article.reviewed_by, on=timezone.localdate())
            editorial.sign_off(article, request.user)
            editorial.record_review_sign_off(article, None, request.user)
        self.message_user(request, f"You signed off “{article}” as it is now.")
