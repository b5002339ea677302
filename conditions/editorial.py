"""The editorial rules: who may change an article's state, and the record kept when they do.

Editors write and correct drafts and submit them for review; medical reviewers decide what
is public (publish, schedule, unpublish) and sign off medical reviews. The admin asks these
functions, so the rules live in one place and hold for forms, actions and direct POSTs alike.
"""

from datetime import timedelta

import reversion
from django.utils import timezone
from django.utils.formats import date_format

from conditions.models import Article, AuditEvent, Symptom
from conditions.signals import atomic_change

Status = Article.Status

# States only a medical reviewer may move an article into or out of.
PUBLISHING_STATES = {Status.PUBLISHED, Status.UNPUBLISHED}

REFUSED_STATUS_CHANGE = (
    "Only medical reviewers can publish, schedule or unpublish articles. "
    "Choose “In review” to ask a reviewer to publish it."
)


def can_publish(user) -> bool:
    return user.has_perm("conditions.publish_article")


def can_sign_off_review(user) -> bool:
    return user.has_perm("conditions.sign_off_review")


def can_edit(user, article: Article | None) -> bool:
    """Whether `user` may change `article`'s content (None: articles in general).

    Editors don't edit what readers can see: a published (or scheduled) article is changed
    by a medical reviewer, so nothing unreviewed reaches a public page.
    """
    return article is None or article.status != Status.PUBLISHED or can_publish(user)


# A symptom's fields that readers see as advice: only medical reviewers change them.
REVIEWED_SYMPTOM_FIELDS = ["description", "red_flag_advice", "red_flag_level"]


def can_edit_symptom(user, symptom: Symptom | None) -> bool:
    """Whether `user` may change `symptom` (None: symptoms in general).

    A symptom that published (or scheduled) articles carry is on public pages, with its
    name, description and red-flag advice: like those articles, a medical reviewer changes it.
    """
    if symptom is None or symptom.pk is None or can_publish(user):
        return True
    return not symptom.tagged_articles.filter(content_object__status=Status.PUBLISHED).exists()


def status_change_refusal(user, old_status: str, new_status: str) -> str | None:
    """Why `user` may not move an article from `old_status` to `new_status`, or None."""
    if old_status == new_status or can_publish(user):
        return None
    if new_status in PUBLISHING_STATES or old_status == Status.PUBLISHED:
        return REFUSED_STATUS_CHANGE
    return None


def describe_publish_time(article: Article) -> str:
    """E.g. "3 December 2026, 09:00", in the site's time zone."""
    return date_format(timezone.localtime(article.published_at), "j F Y, H:i")


def record_status_change(article: Article, old_status: str, user) -> None:
    """Add an audit event for a change of state, if there was one worth recording."""
    if article.status == old_status:
        return
    if article.status == Status.PUBLISHED:
        if article.is_scheduled:
            AuditEvent.record(
                AuditEvent.Action.SCHEDULED,
                user,
                article,
                detail=f"Scheduled for {describe_publish_time(article)}",
            )
        else:
            AuditEvent.record(AuditEvent.Action.PUBLISHED, user, article)
    elif article.status == Status.UNPUBLISHED:
        AuditEvent.record(AuditEvent.Action.UNPUBLISHED, user, article)
    elif article.status == Status.IN_REVIEW:
        AuditEvent.record(AuditEvent.Action.SUBMITTED, user, article)


def change_status(article_ids, new_status: str, from_states, user) -> int:
    """Move the articles among `article_ids` that are in one of `from_states` to `new_status`,
    as `user`: each saved as a new revision, and audited. Returns how many changed.

    Each article is locked and read afresh, so an edit saved since the list was shown is
    kept (only the state changes), and one that changed state meanwhile is left alone. The
    caller checks permission first (see `status_change_refusal`).
    """
    changed = 0
    with atomic_change():
        articles = (
            Article.objects.select_for_update(no_key=True)
            .filter(pk__in=list(article_ids), status__in=from_states)
            .order_by("pk")  # always locked in the same order: no deadlock between two lists
        )
        for article in articles:
            article = article.specific()
            old_status = article.status
            with reversion.create_revision():
                article.status = new_status
                article.updated_by = user
                article.save()
                reversion.set_user(user)
                reversion.set_comment(f"Status changed to {article.get_status_display()}")
            record_status_change(article, old_status, user)
            changed += 1
    return changed


def delete_articles(articles, user) -> None:
    """Delete `articles` (a reviewer's decision), recording each in the audit log."""
    with atomic_change():
        for article in articles:
            AuditEvent.record(
                AuditEvent.Action.DELETED,
                user,
                subject=article.title,
                detail=f"Was {article.get_status_display().lower()}, "
                f"at {article.get_absolute_url()}",
            )
            article.delete()


def record_review_sign_off(article: Article, previously_reviewed_on, user) -> None:
    if article.last_reviewed_on and article.last_reviewed_on != previously_reviewed_on:
        AuditEvent.record(
            AuditEvent.Action.REVIEW_SIGNED_OFF,
            user,
            article,
            detail=f"Reviewed by {article.reviewed_by} on "
            f"{date_format(article.last_reviewed_on, 'j F Y')}",
        )


def articles_needing_attention() -> dict[str, int]:
    """Counts for the admin home page: what waits for review, and reviews falling due."""
    today = timezone.localdate()
    return {
        "awaiting_review": Article.objects.filter(status=Status.IN_REVIEW).count(),
        "review_overdue": Article.objects.filter(next_review_due__lt=today).count(),
        "review_due_soon": Article.objects.filter(
            next_review_due__gte=today, next_review_due__lte=today + timedelta(days=30)
        ).count(),
    }


def publish_refusals(article: Article, user) -> list[str]:
    """Why `user` may not publish `article` (a working copy, say), in plain words; [] if
    they may."""
    if not can_publish(user):
        return [REFUSED_STATUS_CHANGE]
    return []
