"""History and Compare for any admin whose model django-reversion keeps revisions of: the
list of revisions, and what changed between two of them, in the admin's own words."""

from django.contrib import messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from reversion.models import Version

from conditions.history import compare_snapshots


class RevisionHistoryMixin:
    """Mixed in before VersionAdmin. `revision_snapshot(version)` says what a revision held,
    as readable text for each part (title, body, advice…), for Compare."""

    def revision_snapshot(self, version: Version) -> dict[str, str]:
        raise NotImplementedError

    def history_view(self, request, object_id, extra_context=None):
        obj = self.get_object(request, unquote(object_id))
        versions = (
            Version.objects.get_for_object(obj).select_related("revision__user", "content_type")
            if obj
            else Version.objects.none()
        )
        return super().history_view(
            request, object_id, {**(extra_context or {}), "versions": versions}
        )

    def compare_view(self, request, object_id):
        """What changed between two revisions of one object."""
        obj = self.get_object(request, unquote(object_id))
        if obj is None or not self.has_view_or_change_permission(request, obj):
            raise PermissionDenied
        versions = Version.objects.get_for_object(obj).select_related("revision__user")
        history_url = reverse(
            f"admin:{self.opts.app_label}_{self.opts.model_name}_history", args=[obj.pk]
        )
        try:
            chosen = versions.in_bulk([int(request.GET["from"]), int(request.GET["to"])])
            older, newer = sorted(chosen.values(), key=lambda v: v.revision.date_created)
        except (KeyError, ValueError):
            self.message_user(request, "Choose two different revisions to compare.", messages.ERROR)
            return redirect(history_url)
        return TemplateResponse(
            request,
            "admin/conditions/article_compare.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.opts,
                "original": obj,
                "title": f"Compare revisions of “{obj}”",
                "older": older,
                "newer": newer,
                "parts": compare_snapshots(
                    self.revision_snapshot(older), self.revision_snapshot(newer)
                ),
                "history_url": history_url,
            },
        )
