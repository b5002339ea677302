"""Looking after the symptom vocabulary: renaming and merging symptoms (and re-tagging an
article restored from before a merge), and keeping every address a symptom ever had working
(`SymptomRedirect`), so links and bookmarks never break.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

import reversion
from django.http import HttpRequest, HttpResponsePermanentRedirect
from django.urls import reverse
from django.utils import timezone

from conditions import symptom_review
from conditions.models import Article, AuditEvent, Symptom, SymptomRedirect, TaggedArticle
from conditions.signals import atomic_change


@dataclass
class AddressChanges:
    """What saving a symptom did to symptom addresses, to tell the editor."""

    # The symptom's previous slug, which now redirects to it ("" if the slug didn't change).
    redirected_from: str = ""
    # The symptom an old address redirected to before this symptom took that slug over.
    taken_over_from: Symptom | None = None
    # The symptom's previous name, now one of its synonyms ("" if it wasn't renamed).
    old_name_kept: str = ""
    # What became of a change to its reviewed text: "", "proposed" or "approved".
    reviewed_text: str = ""


REVISION_COMMENTS = {
    "": "Changed",
    "proposed": "Proposed a change to its description or red-flag advice",
    "approved": "Changed its description or red-flag advice (self-review allowed)",
}


@atomic_change()
def save_symptom(symptom: Symptom, user=None) -> AddressChanges:
    """Save an added or edited symptom; a changed slug leaves a redirect behind, and a
    changed name stays on as a synonym.

    A symptom taking a slug that was someone's old address wins: that redirect goes.
    """
    changes = AddressChanges()
    before = None
    if symptom.pk:
        before = (
            Symptom.objects.filter(pk=symptom.pk)
            .values(
                "name",
                "slug",
                *symptom_review.REVIEWED_FIELDS,
                *(f"proposed_{name}" for name in symptom_review.REVIEWED_FIELDS),
                "proposed_at",
            )
            .first()
        )

    taken_over = (
        SymptomRedirect.objects.filter(old_slug=symptom.slug).select_related("symptom").first()
    )
    if taken_over:
        # Also removes a redirect to this very symptom (renamed and then renamed back),
        # which would otherwise point its current address at itself.
        taken_over.delete()
        if taken_over.symptom_id != symptom.pk:
            changes.taken_over_from = taken_over.symptom

    if before and before["name"].casefold() != symptom.name.casefold():
        # Readers who knew it by its old name still find it, in suggestions and search,
        # as they do a merged symptom's name.
        symptom.synonyms = _combined_synonyms(symptom, [Symptom(name=before["name"])])
        changes.old_name_kept = before["name"]
    # Its description and advice change only as a proposal a reviewer approves.
    changes.reviewed_text = symptom_review.take_proposal(symptom, before, user)
    with reversion.create_revision():
        symptom.save()
        reversion.set_user(user)
        reversion.set_comment(REVISION_COMMENTS[changes.reviewed_text] if before else "Added")

    if before is None or (before["name"], before["slug"]) == (symptom.name, symptom.slug):
        return changes
    if before["slug"] != symptom.slug:
        SymptomRedirect.objects.create(old_slug=before["slug"], symptom=symptom)
        changes.redirected_from = before["slug"]
    AuditEvent.record(
        AuditEvent.Action.SYMPTOM_RENAMED,
        user=user,
        subject=f"{before['name']} → {symptom.name}",
        detail=f"Address /symptoms/{before['slug']}/ → /symptoms/{symptom.slug}/"
        if changes.redirected_from
        else "Address unchanged.",
    )
    return changes


def current_slugs(old_slugs: Iterable[str]) -> dict[str, str]:
    """Where old symptom addresses lead now: {old slug: slug of the symptom now used}."""
    return dict(
        SymptomRedirect.objects.filter(old_slug__in=list(old_slugs)).values_list(
            "old_slug", "symptom__slug"
        )
    )


def redirect_from_old_slugs(
    request: HttpRequest, slug: str, missing: list[str]
) -> HttpResponsePermanentRedirect | None:
    """A permanent redirect to the symptom page's current address, if any of the `missing`
    slugs (the page's own or a `with=` one) is an old address of a symptom.

    Other query parameters are kept as they are.
    """
    current = current_slugs(missing)
    if not current or (slug in missing and slug not in current):
        return None
    slug = current.get(slug, slug)
    query = request.GET.copy()
    if "with" in query:
        narrowing = [current.get(s, s) for s in query.getlist("with")]
        narrowing = [s for s in dict.fromkeys(narrowing) if s != slug]
        if narrowing:
            query.setlist("with", narrowing)
        else:
            del query["with"]
    url = reverse("conditions:symptom", args=[slug])
    return HttpResponsePermanentRedirect(f"{url}?{query.urlencode()}" if query else url)


def articles_by_symptom(symptoms: Iterable[Symptom]) -> dict[int, list[Article]]:
    """Every article (published or not) carrying each symptom: {symptom id: [articles]}."""
    tagged = (
        TaggedArticle.objects.filter(tag__in=list(symptoms))
        .select_related("content_object")
        .order_by("content_object__title", "content_object_id")
    )
    articles = defaultdict(list)
    for row in tagged:
        articles[row.tag_id].append(row.content_object)
    return dict(articles)


@atomic_change()
def merge_symptoms(
    keep: Symptom, merge: Iterable[Symptom], user=None, red_flags_from: Iterable[int] | None = None
) -> list[Article]:
    """Fold the `merge` symptoms into `keep`, and return the articles that were re-tagged.

    Their articles are tagged with `keep` instead, their names and synonyms become its
    synonyms, and their addresses (old ones too) redirect to it. Each re-tagged article
    gets its own revision, so restoring one article never touches another.

    `keep` then has the red-flag advice of the symptoms (among all of them) whose ids are in
    `red_flags_from`, combined, at the highest of their levels: by default (None) all of
    them, so a merge never drops advice unless the reviewer chose to.
    """
    merge_ids = {symptom.pk for symptom in merge} - {keep.pk}
    if not merge_ids:
        raise ValueError("Choose at least one other symptom to merge into the one kept.")
    # The articles being re-tagged are locked first (as an article's own save locks them),
    # and marked changed at the end: an editor who has one open can't save over the merge.
    _lock_articles_with(merge_ids)
    # Fresh rows, locked (on PostgreSQL) so that a concurrent edit can't be lost.
    symptoms = Symptom.objects.select_for_update(no_key=True).in_bulk([keep.pk, *merge_ids])
    keep = symptoms[keep.pk]
    merged = sorted((symptoms[pk] for pk in merge_ids), key=lambda s: s.name.lower())

    merged_names_by_article = defaultdict(list)
    for article_id, tag_id in TaggedArticle.objects.filter(tag__in=merge_ids).values_list(
        "content_object_id", "tag_id"
    ):
        merged_names_by_article[article_id].append(symptoms[tag_id].name)
    already_kept = set(
        TaggedArticle.objects.filter(
            tag=keep, content_object_id__in=merged_names_by_article
        ).values_list("content_object_id", flat=True)
    )
    TaggedArticle.objects.bulk_create(
        TaggedArticle(content_object_id=article_id, tag=keep)
        for article_id in merged_names_by_article
        if article_id not in already_kept
    )
    TaggedArticle.objects.filter(tag__in=merge_ids).delete()

    keep.synonyms = _combined_synonyms(keep, merged)
    red_flags = _combined_red_flags([keep, *merged], red_flags_from)
    keep.red_flag_advice, keep.red_flag_level = red_flags.advice, red_flags.level
    keep.updated_by = user if user is not None and user.is_authenticated else None
    names = [symptom.name for symptom in merged]
    with reversion.create_revision():
        keep.save()
        reversion.set_user(user)
        reversion.set_comment(f"Merged {joined_with_and(names)} into it. {red_flags.summary}")

    merged_slugs = [symptom.slug for symptom in merged]
    # A stray redirect using one of these slugs would block the new ones (old_slug is unique),
    # and one using the kept symptom's own slug would point its address at itself.
    SymptomRedirect.objects.filter(old_slug__in=[*merged_slugs, keep.slug]).delete()
    SymptomRedirect.objects.filter(symptom__in=merge_ids).update(symptom=keep)
    SymptomRedirect.objects.bulk_create(
        SymptomRedirect(old_slug=symptom.slug, symptom=keep, former_symptom_id=symptom.pk)
        for symptom in merged
    )
    Symptom.objects.filter(pk__in=merge_ids).delete()

    articles = list(Article.objects.filter(pk__in=merged_names_by_article).order_by("title"))
    _mark_changed(articles, user)
    for article in articles:
        names = merged_names_by_article[article.pk]
        with reversion.create_revision():
            reversion.set_user(user)
            reversion.set_comment(
                f"Symptom {joined_with_and(names)} merged into {keep.name}"
                if len(names) == 1
                else f"Symptoms {joined_with_and(names)} merged into {keep.name}"
            )
            reversion.add_to_revision(article.specific())

    AuditEvent.record(
        AuditEvent.Action.SYMPTOMS_MERGED,
        user=user,
        subject=f"{joined_with_and(names)} into {keep.name}"[:300],
        detail=(
            f"Merged {joined_with_and(f'{s.name} (/symptoms/{s.slug}/)' for s in merged)} into "
            f"{keep.name} (/symptoms/{keep.slug}/). "
            f"Re-tagged {len(articles)} article{'s' if len(articles) != 1 else ''}"
            + (": " + "; ".join(article.title for article in articles) if articles else ".")
            + f" {red_flags.summary}"
            + "".join(
                f" The change proposed to {s.name}'s advice was dropped with it."
                for s in merged
                if s.has_proposal
            )
        ),
    )
    return articles


@dataclass
class MergedRedFlags:
    advice: str
    level: str
    summary: str  # what was kept and dropped, for the audit log and the revision


# Higher is more urgent.
RED_FLAG_URGENCY = {Symptom.RedFlagLevel.URGENT: 1, Symptom.RedFlagLevel.EMERGENCY: 2}


def _combined_red_flags(
    symptoms: list[Symptom], chosen_ids: Iterable[int] | None
) -> MergedRedFlags:
    """The advice of the `chosen_ids` symptoms (all when None), each text once, kept symptom
    first, at the highest of their levels."""
    with_advice = [symptom for symptom in symptoms if symptom.red_flag_advice.strip()]
    chosen_ids = None if chosen_ids is None else set(chosen_ids)
    kept = [s for s in with_advice if chosen_ids is None or s.pk in chosen_ids]
    dropped = [s for s in with_advice if s not in kept]
    texts = list(dict.fromkeys(symptom.red_flag_advice.strip() for symptom in kept))
    level = max(
        (symptom.red_flag_level for symptom in kept),
        key=lambda value: RED_FLAG_URGENCY.get(value, 0),
        default=symptoms[0].red_flag_level,
    )
    summary = (
        "Red-flag advice kept: "
        + joined_with_and(f"{s.name}'s ({s.red_flag_level})" for s in kept)
        + f"; level {level}."
        if kept
        else "No red-flag advice kept."
    )
    if dropped:
        summary += (
            " Dropped, by the reviewer's choice: "
            + joined_with_and(
                f"{s.name}'s ({s.red_flag_level}: {s.red_flag_advice.strip()})" for s in dropped
            )
            + "."
        )
    return MergedRedFlags(advice="\n\n".join(texts), level=level, summary=summary)


def restore_merged_symptoms(article: Article) -> list[Symptom]:
    """After restoring a revision, drop the tags of symptoms merged away since, and return
    the symptoms they were merged into, to tag the article with instead.

    The revision's tags name symptoms by id; a merged-away symptom's id no longer exists
    (its row would break the database's foreign key). One deleted outright is just dropped.
    """
    orphans = TaggedArticle.objects.filter(content_object=article).exclude(
        tag_id__in=Symptom.objects.values("pk")
    )
    orphan_tag_ids = list(orphans.values_list("tag_id", flat=True))
    if not orphan_tag_ids:
        return []
    merged_into = SymptomRedirect.objects.filter(former_symptom_id__in=orphan_tag_ids)
    orphans.delete()
    return list(Symptom.objects.filter(pk__in=merged_into.values("symptom_id")))


@atomic_change()
def delete_symptoms(symptoms: Iterable[Symptom], user=None) -> None:
    """Delete `symptoms`: the articles carrying them lose them (each marked changed), and
    each deletion is recorded in the audit log."""
    symptoms = list(symptoms)
    ids = [symptom.pk for symptom in symptoms]
    _lock_articles_with(ids)
    articles = articles_by_symptom(symptoms)
    for symptom in symptoms:
        losing = articles.get(symptom.pk, [])
        AuditEvent.record(
            AuditEvent.Action.SYMPTOM_DELETED,
            user=user,
            subject=symptom.name,
            detail=f"/symptoms/{symptom.slug}/; "
            + (
                f"removed from {len(losing)} article{'s' if len(losing) != 1 else ''}: "
                + "; ".join(article.title for article in losing)
                if losing
                else "no article had it."
            ),
        )
        _mark_changed(losing, user)
    Symptom.objects.filter(pk__in=ids).delete()


def _lock_articles_with(symptom_ids) -> None:
    """Lock the articles carrying any of `symptom_ids`, in a fixed order (no deadlocks)."""
    list(
        Article.objects.select_for_update(no_key=True)
        .filter(tagged_symptoms__tag__in=list(symptom_ids))
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def _mark_changed(articles: list[Article], user) -> None:
    """Record that `articles` changed (their symptoms did), so a form opened on one before
    this is refused rather than saving the old symptoms back."""
    Article.objects.filter(pk__in=[a.pk for a in articles]).update(
        updated_at=timezone.now(), updated_by=user if user and user.is_authenticated else None
    )


def _combined_synonyms(keep: Symptom, merged: list[Symptom]) -> str:
    """`keep`'s synonyms, then the merged symptoms' names and synonyms, each word once."""
    seen = {keep.name.casefold()}
    words = []
    for word in [*keep.synonym_list, *(term for symptom in merged for term in symptom.terms)]:
        if word.casefold() not in seen:
            seen.add(word.casefold())
            words.append(word)
    return ", ".join(words)


def joined_with_and(words: Iterable[str]) -> str:
    """ "A", "A and B", "A, B and C"."""
    words = list(words)
    return " and ".join([", ".join(words[:-1]), words[-1]]) if len(words) > 1 else "".join(words)
