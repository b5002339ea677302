"""Working copies: changes to a live article, kept off the site until a reviewer publishes them.

A working copy is an article row of the same kind whose `live_article` names the live one.
It is never published itself (a database constraint says so), so every public path, which
reaches content only through `Article.objects.published()`, keeps showing the live article
exactly as it was. Publishing copies the working copy's content onto the live row (keeping
its id, slug and address), records a revision and an audit event, and deletes the copy.
"""

from dataclasses import dataclass, field
from datetime import datetime

import reversion
from django.db import transaction
from django.utils import timezone
from reversion.models import Version

from conditions import editorial, history, vocabulary
from conditions.models import (
    Article,
    AuditEvent,
    ConditionArticle,
    ConditionName,
    FaqArticle,
    FaqItem,
    Source,
    first_free,
)
from conditions.signals import atomic_change, questions_replaced

Status = Article.Status

COPY_SLUG_SUFFIX = "working-copy"

# What is not content: who and where the article is, and whether it is public.
NOT_CONTENT = {
    "id", "article_ptr", "kind", "slug", "status", "published_at", "created_at", "updated_at",
    "updated_by", "import_source", "live_article", "publish_copy_at", "publish_copy_by",
}  # fmt: skip
SOURCE_FIELDS = ["title", "publisher", "url", "accessed_on", "position"]
QUESTION_FIELDS = ["question", "answer", "position", "anchor"]
OTHER_NAME_FIELDS = ["name", "section", "position"]


class PublishRefused(Exception):
    """Why a working copy can't be published; each message is for the reviewer."""

    def __init__(self, reasons: list[str]):
        super().__init__(" ".join(reasons))
        self.reasons = reasons


@dataclass
class Content:
    """Everything readers see of an article: its fields, symptoms, sources and questions,
    and a condition's other names."""

    fields: dict
    symptoms: list = field(default_factory=list)
    sources: list[dict] = field(default_factory=list)
    questions: list[dict] = field(default_factory=list)
    other_names: list[dict] = field(default_factory=list)


def content_fields(model) -> list:
    return [f for f in model._meta.concrete_fields if f.name not in NOT_CONTENT]


def content_of(article: Article) -> Content:
    """`article`'s content (the article as its own type)."""
    return Content(
        fields={f.attname: getattr(article, f.attname) for f in content_fields(type(article))},
        symptoms=list(article.symptoms.all()),
        sources=list(article.sources.order_by("position", "id").values(*SOURCE_FIELDS)),
        questions=list(article.items.order_by("position", "id").values(*QUESTION_FIELDS))
        if isinstance(article, FaqArticle)
        else [],
        other_names=list(article.other_names.order_by("position", "id").values(*OTHER_NAME_FIELDS))
        if isinstance(article, ConditionArticle)
        else [],
    )


def write_content(article: Article, content: Content, user) -> None:
    """Make `article` (saved, as its own type) hold `content`, replacing what it had."""
    for name, value in content.fields.items():
        setattr(article, name, value)
    article.updated_by = user
    article.save()
    article.symptoms.set(content.symptoms)
    article.sources.all().delete()
    Source.objects.bulk_create([Source(article=article, **row) for row in content.sources])
    if isinstance(article, FaqArticle):
        article.items.all().delete()
        questions = [FaqItem(faq=article, **row) for row in content.questions]
        for question in questions:
            question.render_markdown()
        FaqItem.objects.bulk_create(questions)
        questions_replaced(article)
    if isinstance(article, ConditionArticle):
        # Bulk writes send no signals: the article's own save above re-indexes it.
        article.other_names.all().delete()
        ConditionName.objects.bulk_create(
            [ConditionName(article=article, **row) for row in content.other_names]
        )
    # Again, now that its symptoms, sources, questions and names are written: the revision under
    # way then holds them as they are now.
    if reversion.is_active():
        reversion.add_to_revision(article)


def working_copy_of(article: Article) -> Article | None:
    """The working copy of live `article`, as its own type, if it has one."""
    model = type(article.specific())
    return model.objects.filter(live_article_id=article.pk).first()


def _locked_live(article_id: int) -> Article | None:
    # The live row is locked first, always: two publishes, a publish and an import, or two
    # runs of publish_scheduled wait for each other instead of both writing.
    row = Article.objects.select_for_update(no_key=True).filter(pk=article_id).first()
    return row.specific() if row is not None else None


def _copy_slug(live: Article) -> str:
    base = f"{live.slug[: 200 - len(COPY_SLUG_SUFFIX) - 4]}-{COPY_SLUG_SUFFIX}"
    taken = set(Article.objects.filter(slug__startswith=base).values_list("slug", flat=True))
    return first_free(base, taken)


def start(live: Article, user, *, audit: bool = True) -> Article:
    """The working copy of `live`, made now as a copy of it if it has none."""
    with atomic_change():
        live = _locked_live(live.pk)
        if live is None or live.is_working_copy or live.status != Status.PUBLISHED:
            raise ValueError("Only a published article has a working copy.")
        if (copy := working_copy_of(live)) is not None:
            return copy
        copy = type(live)(
            live_article=live, status=Status.DRAFT, slug=_copy_slug(live), title=live.title
        )
        with reversion.create_revision():
            write_content(copy, content_of(live), user)
            reversion.set_user(user)
            reversion.set_comment("Started as a copy of the live page")
        if audit:
            AuditEvent.record(AuditEvent.Action.COPY_STARTED, user, live)
        return copy


def publish(copy: Article, user, *, scheduled: bool = False) -> Article | None:
    """Put `copy`'s content on its live article, then delete the copy. Returns the live
    article, or None when there was nothing to publish (published or discarded meanwhile,
    or, for a scheduled run, rescheduled to later). Raises PublishRefused."""
    with atomic_change():
        live = _locked_live(copy.live_article_id)
        copy = type(live).objects.filter(pk=copy.pk, live_article=live).first() if live else None
        if copy is None:
            return None
        if scheduled and not (copy.publish_copy_at and copy.publish_copy_at <= timezone.now()):
            return None
        if refusals := editorial.publish_refusals(copy, user):
            raise PublishRefused(refusals)
        with reversion.create_revision():
            write_content(live, content_of(copy), user)
            reversion.set_user(user)
            reversion.set_comment("Published the working copy")
        AuditEvent.record(
            AuditEvent.Action.COPY_PUBLISHED,
            user,
            live,
            detail="At its scheduled time" if scheduled else "",
        )
        copy.delete()
        return live


def schedule(copy: Article, when: datetime, user) -> None:
    """Publish `copy` at `when` (by the publish_scheduled command). Raises PublishRefused."""
    with atomic_change():
        live = _locked_live(copy.live_article_id)
        if refusals := editorial.publish_refusals(copy, user):
            raise PublishRefused(refusals)
        Article.objects.filter(pk=copy.pk).update(publish_copy_at=when, publish_copy_by=user)
        AuditEvent.record(
            AuditEvent.Action.COPY_SCHEDULED,
            user,
            live,
            detail=f"To be published {timezone.localtime(when):%d %B %Y, %H:%M}",
        )


def discard(copy: Article, user) -> None:
    with atomic_change():
        live = _locked_live(copy.live_article_id)
        deleted, _ = Article.objects.filter(pk=copy.pk).delete()
        if deleted:
            AuditEvent.record(AuditEvent.Action.COPY_DISCARDED, user, live)


def publish_due(now: datetime | None = None) -> list[tuple[Article, list[str]]]:
    """Publish every working copy whose scheduled time has come. Returns (live article,
    refusals) for each: no refusals means it was published.

    Safe to run twice at once: each copy is published under its live article's lock, and
    one already published (deleted) by the other run is skipped.
    """
    due = Article.objects.filter(
        live_article__isnull=False, publish_copy_at__lte=now or timezone.now()
    ).select_related("publish_copy_by", "live_article")
    outcomes = []
    for copy in due.order_by("publish_copy_at", "pk"):
        scheduled_by = copy.publish_copy_by
        try:
            if scheduled_by is None:
                raise PublishRefused(["The reviewer who scheduled it no longer has an account."])
            # Not copy.specific(): another run may have published (deleted) it meanwhile.
            live = publish(copy, scheduled_by, scheduled=True)
        except PublishRefused as refused:
            outcomes.append((copy.live_article, refused.reasons))
            continue
        if live is not None:
            outcomes.append((live, []))
    return outcomes


def compare_with_live(copy: Article) -> list[history.PartComparison]:
    """What the working copy changes on the live page."""
    live = copy.live_article.specific()
    return history.compare_snapshots(snapshot(live), snapshot(copy))


def snapshot(article: Article) -> dict[str, str]:
    """The readable parts of `article` as it is now, as history.article_snapshot reads a
    revision (so Compare reads the same for both)."""
    parts = {}
    for label, name in history.ARTICLE_FIELDS:
        if name in {"slug", "status", "published_at"} or not hasattr(article, name):
            continue
        parts[label] = history.readable_value(name, getattr(article, name))
    parts["Symptoms"] = ", ".join(sorted(symptom.name for symptom in article.symptoms.all()))
    if isinstance(article, FaqArticle):
        parts["Questions and answers"] = "\n\n".join(
            f"Q: {item.question}\nA: {item.answer}" for item in article.items.all()
        )
    if isinstance(article, ConditionArticle):
        parts["Other names"] = history.other_names_text(
            article.other_names.values(*OTHER_NAME_FIELDS)
        )
    fields = {name: getattr(article, name, "") for name in history.MARKDOWN_FIELDS}
    fields["lead_image_id"] = article.lead_image_id
    parts.update(history.images_snapshot(fields, parts.get("Questions and answers", "")))
    parts["Sources"] = "\n".join(
        " · ".join(str(part) for part in [s.title, s.publisher, s.url] if part)
        for s in article.sources.all()
    )
    return parts


class _Undo(Exception):
    pass


def restore_revision(live: Article, version: Version, user) -> Article:
    """Write `version`'s revision of live article `live` into its working copy (made if
    needed); the live article is unchanged. Raises history.RestoreError."""
    with atomic_change():
        live = _locked_live(live.pk)
        # The revision is written back over the live row inside a savepoint, read, and
        # rolled back: history.revert_article knows how a revision's rows fit together.
        try:
            with transaction.atomic():
                history.revert_article(version)
                restored = type(live).objects.get(pk=live.pk)
                replacements = vocabulary.restore_merged_symptoms(restored)
                content = content_of(restored)
                content.symptoms += replacements
                raise _Undo
        except _Undo:
            pass
        copy = start(live, user, audit=False)
        with reversion.create_revision():
            write_content(copy, content, user)
            reversion.set_user(user)
            reversion.set_comment(f"Restored the revision of {history.revision_time(version)}")
        AuditEvent.record(
            AuditEvent.Action.RESTORED_INTO_COPY,
            user,
            live,
            detail=f"Restored the revision of {history.revision_time(version)} "
            "into the working copy",
        )
        return copy
