"""The editorial rules: who may change an article's state, and the record kept when they do.

Editors write and correct drafts and submit them for review; medical reviewers decide what
is public (publish, schedule, unpublish) and sign off medical reviews. The admin asks these
functions, so the rules live in one place and hold for forms, actions and direct POSTs alike.
"""

import hashlib
import json
from datetime import timedelta

import reversion
from django.conf import settings
from django.utils import timezone
from django.utils.formats import date_format

from conditions import image_references, notifications
from conditions.models import Article, AuditEvent, Image, ReviewComment, Symptom
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


# A symptom's fields that readers see as advice: anyone's change to them is a proposal that
# goes live when another medical reviewer approves it (see conditions.symptom_review).
REVIEWED_SYMPTOM_FIELDS = ["description", "red_flag_advice", "red_flag_level"]


def can_edit_symptom(user, symptom: Symptom | None) -> bool:
    """Whether `user` may change `symptom`'s name, address and synonyms (None: symptoms in
    general).

    A symptom that published (or scheduled) articles carry is on public pages under its
    name: like those articles, a medical reviewer changes it.
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
            AuditEvent.record(
                AuditEvent.Action.PUBLISHED,
                user,
                article,
                detail="Approved after review" if old_status == Status.IN_REVIEW else "",
            )
        if old_status == Status.IN_REVIEW:
            approved(article, user)
    elif article.status == Status.UNPUBLISHED:
        AuditEvent.record(AuditEvent.Action.UNPUBLISHED, user, article)
    elif article.status == Status.IN_REVIEW:
        AuditEvent.record(AuditEvent.Action.SUBMITTED, user, article)
        # The author has answered the changes asked for by submitting again.
        ReviewComment.objects.filter(article=article, resolved=False).update(resolved=True)
        notifications.review_requested(article, user)


def change_status(article_ids, new_status: str, from_states, user, refusals=None) -> int:
    """Move the articles among `article_ids` that are in one of `from_states` to `new_status`,
    as `user`: each saved as a new revision, and audited. Returns how many changed.

    Each article is locked and read afresh, so an edit saved since the list was shown is
    kept (only the state changes), and one that changed state meanwhile is left alone. The
    caller checks permission first (see `status_change_refusal`). Publishing passes through
    the publish gate: an article it refuses is left as it is, and, when `refusals` (a dict)
    is given, listed in it (title: what is missing).
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
            if new_status == Status.PUBLISHED and (missing := publish_refusals(article, user)):
                if refusals is not None:
                    refusals[article.title] = missing
                continue
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
    """Audit a sign-off (a new review date). The sign-off itself, who and for what content,
    is recorded by `sign_off` once the whole article (symptoms, sources, questions) is saved."""
    if article.last_reviewed_on and article.last_reviewed_on != previously_reviewed_on:
        AuditEvent.record(
            AuditEvent.Action.REVIEW_SIGNED_OFF,
            user,
            article,
            detail=f"Reviewed by {article.reviewed_by} on "
            f"{date_format(article.last_reviewed_on, 'j F Y')}",
        )


def articles_needing_attention() -> dict[str, int]:
    """Counts for the admin home page: what waits for review (articles and symptoms' safety
    text), reviews falling due, and articles with scraped leftovers to fix."""
    today = timezone.localdate()
    return {
        "awaiting_review": Article.objects.filter(status=Status.IN_REVIEW).count(),
        "review_overdue": Article.objects.filter(next_review_due__lt=today).count(),
        "review_due_soon": Article.objects.filter(
            next_review_due__gte=today, next_review_due__lte=today + timedelta(days=30)
        ).count(),
        # Scraped leftovers the importer found: counted as the admin's list shows them.
        "needs_editing": Article.objects.filter(live_article__isnull=True)
        .needing_editing()
        .count(),
        # Proposed changes to symptoms' safety text wait for a reviewer like articles do.
        "symptom_proposals": Symptom.objects.filter(proposed_at__isnull=False).count(),
    }


# The publish gate.


def content_fingerprint(article: Article, symptoms=None, sources=None, items=None) -> str:
    """A digest of everything readers read of `article`: a sign-off is for this exact content.

    `symptoms`, `sources` and `items` (FAQ questions) are read from the database unless given
    (the article page passes what it has already loaded). Symptoms count by identity, not by
    name: renaming a symptom doesn't change what an article says.
    """
    article = article if type(article) is not Article else article.specific()
    if symptoms is None:
        symptoms = article.symptoms.all() if article.pk else []
    if sources is None:
        sources = article.sources.all() if article.pk else []
    if items is None:
        items = article.items.all() if article.kind == Article.Kind.FAQ and article.pk else []
    content = {
        "title": article.title,
        "summary": article.summary,
        **{name: getattr(article, name, "") for name in CONTENT_FIELDS},
        "questions": [[item.question, item.answer] for item in items],
        "sources": [
            [source.title, source.publisher, source.url, str(source.accessed_on or "")]
            for source in sorted(sources, key=lambda source: (source.position, source.pk or 0))
        ],
        "symptoms": sorted(symptom.pk for symptom in symptoms),
        **_names_content(article),
        **_images_content(article, items),
    }
    encoded = json.dumps(content, sort_keys=True, ensure_ascii=False).encode()
    return hashlib.sha256(encoded).hexdigest()


def _names_content(article: Article) -> dict:
    """What a condition article is called, and its other names (listed in the conditions
    A–Z): only when it has some, so the fingerprint of content without names, and the
    sign-offs given to it before articles had names, stay as they were."""
    if article.kind != Article.Kind.CONDITION:
        return {}
    content = {}
    if article.condition_name:
        content["condition_name"] = article.condition_name
    other_names = article.other_names.all() if article.pk else []
    if other_names := [[name.name, name.section] for name in other_names]:
        content["other_names"] = other_names
    return content


def _images_content(article: Article, items) -> dict:
    """The library images the article shows (placed in its text, and its lead image) as they
    are in the library now: a new file, alt text or caption voids a sign-off like a change of
    the article's words. Only when it has some, so sign-offs of articles without images stay
    as they were. One query."""
    texts = [getattr(article, name, "") for name in CONTENT_FIELDS]
    texts += [item.answer for item in items]
    ids = image_references.referenced_ids(texts)
    if article.lead_image_id is not None:
        ids.add(article.lead_image_id)
    if not ids:
        return {}
    shown = {
        row[0]: list(row[1:])
        for row in Image.objects.filter(pk__in=ids).values_list(*IMAGE_CONTENT_FIELDS)
    }
    # A deleted image counts as such: an article showing it can't carry an earlier sign-off.
    return {
        "images": [[image_id, shown.get(image_id)] for image_id in sorted(ids)],
        "lead_image": article.lead_image_id,
    }


# What a reader gets of a library image: its file, and the words shown or said with it.
IMAGE_CONTENT_FIELDS = ["pk", "file_hash", "alt_text", "decorative", "caption", "credit"]

# Each kind's own text, with the care advice (a condition's three levels).
CONTENT_FIELDS = ["body", "intro", *["when_to_get_medical_help", "urgent_help", "emergency_help"]]
CARE_ADVICE_FIELDS = ["when_to_get_medical_help", "urgent_help", "emergency_help"]


def sign_off_is_current(article: Article, symptoms=None, sources=None, items=None) -> bool:
    """Whether `article` carries a medical sign-off that still holds.

    A sign-off recorded before the content was fingerprinted (no fingerprint) is shown as it
    was recorded, but never lets an article be published; one whose content changed since
    is void.
    """
    if not (article.reviewed_by and article.last_reviewed_on):
        return False
    if not article.signed_off_fingerprint:
        return True
    return article.signed_off_fingerprint == content_fingerprint(article, symptoms, sources, items)


def sign_off(article: Article, user) -> None:
    """Record that `user` signed off `article`'s content as it is now (in the database)."""
    article.signed_off_by = user
    article.signed_off_fingerprint = content_fingerprint(article)
    Article.objects.filter(pk=article.pk).update(
        signed_off_by=user, signed_off_fingerprint=article.signed_off_fingerprint
    )


def record_content_change(article: Article, user) -> None:
    article.content_changed_by = user
    Article.objects.filter(pk=article.pk).update(content_changed_by=user)


def self_review_allowed() -> bool:
    return getattr(settings, "ALLOW_SELF_REVIEW", False)


def publish_refusals(article: Article, user) -> list[str]:
    """Everything that stops `user` publishing `article` as it is in the database now, in plain
    words; empty when it may be published.

    Every way of publishing asks this (the change form, the list action, scheduling, a
    working copy, an import), so nothing reaches a reader without an independent medical
    sign-off of its exact content.
    """
    article = article.specific() if type(article) is Article else article
    refusals = []
    if not can_publish(user):
        refusals.append("Only a medical reviewer can publish it.")
    if not (article.reviewed_by and article.last_reviewed_on and article.signed_off_by_id):
        refusals.append(
            "It has no medical sign-off: a medical reviewer must fill in “Medically reviewed "
            "by” (name and credentials) and “Last reviewed”."
        )
    elif article.signed_off_fingerprint != content_fingerprint(article):
        refusals.append(
            "Its medical sign-off no longer holds: the content changed after it was signed "
            "off, so a medical reviewer must review it again."
        )
    elif (
        article.content_changed_by_id is not None
        and article.signed_off_by_id == article.content_changed_by_id
        and not self_review_allowed()
    ):
        refusals.append(
            "It was signed off by the person who last changed it: another medical reviewer "
            "must review it independently."
        )
    if not article.pk or not article.symptoms.exists():
        refusals.append("It has no symptoms: add at least one.")
    if not article.summary.strip():
        refusals.append("It has no summary.")
    if article.kind == Article.Kind.CONDITION and not any(
        getattr(article, name, "").strip() for name in CARE_ADVICE_FIELDS
    ):
        refusals.append(
            "It has no care advice: fill in at least one of “When to get medical help”, "
            "urgent help or emergency help."
        )
    return refusals


# Moderation.


def submitter(article: Article):
    """Who last submitted `article` for review (else who last changed its content)."""
    event = (
        AuditEvent.objects.filter(article=article, action=AuditEvent.Action.SUBMITTED)
        .select_related("user")
        .first()
    )
    return event.user if event and event.user else article.content_changed_by


def approved(article: Article, user) -> None:
    """A reviewer published an article that was in review: the author hears of it."""
    ReviewComment.objects.filter(article=article, resolved=False).update(resolved=True)
    notifications.review_approved(article, submitter(article), user)


def request_changes(article: Article, user, comment: str) -> ReviewComment:
    """Send `article` back to its author as a draft, with `comment` saying what to change."""
    with atomic_change():
        locked = Article.objects.select_for_update(no_key=True).get(pk=article.pk).specific()
        author = submitter(locked)
        with reversion.create_revision():
            locked.status = Status.DRAFT
            locked.updated_by = user
            locked.save()
            reversion.set_user(user)
            reversion.set_comment("Changes requested")
        review = ReviewComment.objects.create(
            article=locked, author=author, reviewer=user, comment=comment
        )
        AuditEvent.record(AuditEvent.Action.CHANGES_REQUESTED, user, locked, detail=comment)
        notifications.changes_requested(review)
    return review


def open_review_comments(user):
    """Changes asked of `user` that they have not answered yet, newest first."""
    return ReviewComment.objects.filter(author=user, resolved=False).select_related(
        "article", "reviewer"
    )
