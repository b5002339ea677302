"""Preview links: a draft or working copy shown, read-only, to someone without an account (a
clinician asked to check it) until the link expires or is revoked.

The address carries the link's row id signed with the site's secret key
(`django.core.signing.Signer`), so it can't be guessed or altered, and it is the same each
time the article's page shows it; whether it still works (not revoked, not expired) is read
from the row on every visit. A link shows the article as it is now: later edits appear. It
never shows a published article (readers have the real page) and never touches the page
cache: its answers are `no-store`, `noindex`, and it reaches content through its own row only.
"""

import re
from datetime import timedelta

from django.core import signing
from django.db.models import prefetch_related_objects
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_safe

from conditions.models import Article, AuditEvent, ShareLink
from conditions.views import render_article

SALT = "conditions.share_links"
DEFAULT_DAYS = 7
# What an editor may choose; a link is a copy of unreviewed text outside the admin, so not
# for ever.
DAYS_CHOICES = [1, 3, 7, 14, 30]
# The shape of every token `token_for` makes (id, signature) for an id below 10**12: anything
# else is refused before any signature is checked or the database asked.
TOKEN_SHAPE = re.compile(r"[1-9][0-9]{0,11}:[A-Za-z0-9_-]{43}")


class Unusable(Exception):
    """The link was revoked, has expired, or its article is no longer a draft."""

    def __init__(self, reason: str, article: Article | None = None):
        super().__init__(reason)
        self.reason = reason
        self.article = article


def may_share(article: Article) -> bool:
    """Drafts, articles in review or unpublished, and working copies: never a live article,
    whose page readers already have."""
    return article.is_working_copy or article.status != Article.Status.PUBLISHED


def create(article: Article, user, days: int = DEFAULT_DAYS) -> ShareLink:
    if days not in DAYS_CHOICES:
        raise ValueError(f"A link lasts one of {DAYS_CHOICES} days, not {days}.")
    if not may_share(article):
        raise ValueError("Only a draft or a working copy is shared by a preview link.")
    now = timezone.now()
    link = ShareLink.objects.create(
        article=article, created_by=user, created_at=now, expires_at=now + timedelta(days=days)
    )
    AuditEvent.record(
        AuditEvent.Action.SHARE_LINK_CREATED,
        user,
        _audited_article(article),
        subject=article.title,
        detail=f"Until {timezone.localtime(link.expires_at):%d %B %Y, %H:%M}",
    )
    return link


def revoke(link: ShareLink, user) -> None:
    if link.revoked_at is not None or link.article is None:
        return
    link.revoked_at, link.revoked_by = timezone.now(), user
    link.save(update_fields=["revoked_at", "revoked_by"])
    AuditEvent.record(
        AuditEvent.Action.SHARE_LINK_REVOKED,
        user,
        _audited_article(link.article),
        subject=link.article.title,
    )


def _audited_article(article: Article) -> Article:
    # A working copy is deleted when published: its events are recorded on the live article.
    return Article(pk=article.live_article_id) if article.is_working_copy else article


def token_for(link: ShareLink) -> str:
    return signing.Signer(salt=SALT).sign(str(link.pk))


def address(link: ShareLink) -> str:
    return reverse("conditions:shared_preview", args=[token_for(link)])


def link_for_token(token: str) -> ShareLink | None:
    """The link `token` was made for, or None for anything this site never made."""
    if not TOKEN_SHAPE.fullmatch(token):
        return None
    try:
        link_id = int(signing.Signer(salt=SALT).unsign(token))
    except signing.BadSignature:
        return None
    return ShareLink.objects.select_related("article").filter(pk=link_id).first()


def shared_article(link: ShareLink) -> Article:
    """The article `link` shows, as its own type, as it is now; Unusable when it may not."""
    if link.revoked_at is not None:
        raise Unusable("revoked")
    if link.expires_at <= timezone.now():
        raise Unusable("expired")
    if link.article is None:
        raise Unusable("deleted")  # a working copy published or discarded, a draft deleted
    article = link.article.specific()
    if not may_share(article):
        # Published since: its page is the one to read (once its publish time has come).
        raise Unusable("published", article)
    return article


def links_of(article: Article) -> list[ShareLink]:
    """An article's links, newest first, each with its address and whether it still works."""
    links = list(article.share_links.select_related("created_by", "revoked_by"))
    for link in links:
        link.address = address(link)
    return links


# The page a link opens.


@require_safe
def shared_preview(request, token: str):
    """A draft or working copy as readers would see it, for someone without an account."""
    link = link_for_token(token)
    if link is None:
        return _private(_gone(request, "unknown", status=404))
    try:
        article = shared_article(link)
    except Unusable as unusable:
        return _private(_gone(request, unusable.reason, unusable.article, status=410))
    if article.kind == Article.Kind.CONDITION:
        prefetch_related_objects([article], "other_names")
        items = []
    else:
        items = article.items.all()
    response = render_article(
        request,
        article,
        symptoms=list(article.symptoms.all()),
        sources=article.sources.all(),
        items=items,
        related=Article.objects.published().related_to(article),
        preview=True,
        shared_until=link.expires_at,
    )
    return _private(response)


def _gone(request, reason: str, article: Article | None = None, status: int = 410):
    return render(
        request,
        "conditions/preview_link_gone.html",
        {"reason": reason, "published": article if article and article.is_public else None},
        status=status,
    )


def _private(response):
    # Unreviewed text, for one person: never in the page cache, a browser's or a proxy's
    # cache, a search engine, or (through a source's link) another site's referrer logs.
    response["Cache-Control"] = "no-store, private"
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Referrer-Policy"] = "no-referrer"
    return response
