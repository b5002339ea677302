"""Preview links on an article's change page: make one for a draft or working copy, see who
made each and until when, revoke one (see conditions.share_links).

Whoever may change the article may share and revoke its links: an Editor for a draft, and
for a live article's working copy; the live article itself is never shared.
"""

from django.contrib import messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from conditions import share_links
from conditions.models import ShareLink


class ShareLinksAdminMixin:
    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        return [
            path(
                "<path:object_id>/preview-links/",
                self.admin_site.admin_view(require_POST(self.share_link_create_view)),
                name="{}_{}_share_link_create".format(*info),
            ),
            path(
                "<path:object_id>/preview-links/<int:link_id>/revoke/",
                self.admin_site.admin_view(require_POST(self.share_link_revoke_view)),
                name="{}_{}_share_link_revoke".format(*info),
            ),
            *super().get_urls(),
        ]

    def share_links_context(self, request, article) -> dict:
        """What the change page shows of the article's links (nothing for a live article)."""
        if not share_links.may_share(article):
            return {}
        links = share_links.links_of(article)
        for link in links:
            link.full_address = request.build_absolute_uri(link.address)
            link.revoke_url = self._share_url("share_link_revoke", article.pk, link.pk)
        return {
            "share_links": links,
            "may_share": self.has_change_permission(request, article),
            "share_link_create_url": self._share_url("share_link_create", article.pk),
            "share_link_days": share_links.DAYS_CHOICES,
            "share_link_default_days": share_links.DEFAULT_DAYS,
            "now": timezone.now(),
        }

    def _share_url(self, name: str, *args) -> str:
        return reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_{name}", args=args)

    def _shareable_or_404(self, request, object_id):
        article = self.get_object(request, unquote(object_id))
        if article is None:
            raise Http404("No such article.")
        if not share_links.may_share(article):
            raise Http404("A live article is shared by its address; share its working copy.")
        if not self.has_change_permission(request, article):
            raise PermissionDenied
        return article

    def share_link_create_view(self, request, object_id):
        article = self._shareable_or_404(request, object_id)
        days = request.POST.get("days", "")
        if not days.isdigit() or int(days) not in share_links.DAYS_CHOICES:
            self.message_user(request, "Choose how long the link should work.", messages.ERROR)
            return redirect(self._share_url("change", article.pk) + "#preview-links")
        link = share_links.create(article, request.user, int(days))
        self.message_user(
            request,
            "A preview link was made: copy it from “Preview links” below. It works until "
            f"{timezone.localtime(link.expires_at):%d %B %Y, %H:%M}.",
            messages.SUCCESS,
        )
        return redirect(self._share_url("change", article.pk) + "#preview-links")

    def share_link_revoke_view(self, request, object_id, link_id):
        article = self._shareable_or_404(request, object_id)
        link = get_object_or_404(ShareLink, pk=link_id, article=article)
        share_links.revoke(link, request.user)
        self.message_user(request, "The preview link no longer works.", messages.SUCCESS)
        return redirect(self._share_url("change", article.pk) + "#preview-links")
