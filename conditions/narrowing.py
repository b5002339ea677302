"""A symptom page and its narrowing: how many of its articles carry each symptom (its own
count among them), the further symptoms it offers, its cards' symptom chips, and the
addresses of the pages a reader goes to by adding or removing a symptom.

At 10,000 articles a symptom page has a couple of hundred further symptoms. Counting them
with `annotate(Count(...))` on Symptom, grouped by every symptom column, text included, took
22 ms of a 57 ms page (issue 15's measurement); building each address with `reverse()` and
`urlencode()` 6.6 ms more (addresses are now built as conditions.addresses builds them).
Counting from the article–symptom table then still took 4 ms on SQLite and 10 ms on
PostgreSQL for the largest symptom page, and grew with the articles: a symptom page not
narrowed, and the symptoms A to Z, now read counts kept up to date as content changes
(SharedSymptoms: `recount_shared_symptoms`, `shared_symptom_counts`). So does a page narrowed
by two symptoms that many articles share (NarrowedSymptoms, `narrowed_counts`): counting
the symptoms of headache and neck pain's 5,372 articles took 19 ms of 26 at 100,000 articles
on SQLite, and 28 of 33 on PostgreSQL.
"""

from dataclasses import dataclass
from typing import NamedTuple
from urllib.parse import quote

from django.core.paginator import Paginator
from django.db import connection
from django.db.models import Count, Exists, F, OuterRef
from django.urls import reverse

from conditions.addresses import page_address, page_addresses
from conditions.models import (
    IN_TITLE_ORDER,
    Article,
    NarrowedSymptoms,
    SharedSymptoms,
    Symptom,
    TaggedArticle,
    scheduled_q,
)

# A page narrowed by two symptoms that at least this many published articles share reads
# counts kept as content changes (NarrowedSymptoms); for fewer, counting them live takes
# under 0.5 ms (about 2.6 µs an article on SQLite). 134 pairs at 100,000 articles, 43 at
# 10,000; recounting all of them takes about a second at 100,000.
KEEP_NARROWED_FROM = 200


def symptom_counts(selected: list[Symptom]) -> dict[int, int]:
    """How many of the published articles carrying every `selected` symptom carry each
    symptom: {symptom id: count}. Each of `selected` has the number of those articles, so a
    page needs no query of its own to count them.

    For one symptom, read from the kept counts (`shared_symptom_counts`); for two that many
    articles share, likewise (`narrowed_counts`). Otherwise their article–symptom rows are
    counted per symptom id alone (no symptom columns to group by). On SQLite the articles
    are found from the symptoms' index before any is read for whether it is published
    (`_carrying_every`): its planner read every article of the first symptom before checking
    (42 against 31 ms for headache and neck pain at 100,000 articles). PostgreSQL plans the
    joins better itself (10.4 against 10.9 ms for that page at 10,000).
    """
    first, *others = selected
    if not others:
        return shared_symptom_counts(first)
    if len(others) == 1 and (kept := narrowed_counts(first, others[0])) is not None:
        return kept
    if connection.vendor == "sqlite":
        carrying_all = Article.objects.published().filter(pk__in=_carrying_every(selected))
        carrying_all = carrying_all.values("pk")
    else:
        carrying_all = Article.objects.published().narrowed_by(selected).values("pk")
    return dict(
        TaggedArticle.objects.filter(content_object_id__in=carrying_all)
        .values_list("tag_id")
        .annotate(article_count=Count("*"))
        .order_by()
    )


def narrowed_counts(first: Symptom, second: Symptom) -> dict[int, int] | None:
    """symptom_counts([first, second]) read from the kept counts (NarrowedSymptoms), or None
    when the pair isn't kept (fewer than KEEP_NARROWED_FROM articles share it)."""
    low, high = sorted((first.pk, second.pk))
    kept = NarrowedSymptoms.objects.filter(first_id=low, second_id=high)
    counts = dict(kept.values_list("other_id", "article_count"))
    if not counts:
        return None
    return _without_scheduled(counts, [first, second])


def _carrying_every(selected: list[Symptom | int]):
    """The ids of the articles carrying every `selected` symptom (or symptom id), found from
    the (symptom, article) index alone, before any article is read: as joins, SQLite's planner
    read each article of the first symptom and only then checked it for the others. For a
    narrowed page's list, 1.6 against 0.8 ms for headache and neck pain at 10,000 articles,
    and 23 against 10 ms with a third symptom at 100,000. Its counts (symptom_counts) read
    them too: the same as, or up to 1.8 ms less than, checking each of the first symptom's
    articles for the others with EXISTS."""
    first, *others = selected
    carrying = TaggedArticle.objects.filter(tag=first)
    for symptom in others:
        carrying = carrying.filter(
            content_object_id__in=TaggedArticle.objects.filter(tag=symptom).values(
                "content_object_id"
            )
        )
    return carrying.values("content_object_id")


def shared_symptom_counts(symptom: Symptom | None = None) -> dict[int, int]:
    """How many of the published articles carrying `symptom` carry each symptom, read from the
    kept counts (SharedSymptoms); with no symptom, how many published articles carry each.

    The kept counts include articles scheduled for later: their symptoms are counted and
    taken off. They are listed first, by the index on status and publish time (usually
    there are none, and that is the end of it): asked in one query with the symptom's,
    SQLite's planner would go through every article of the symptom to find them.
    """
    if symptom is None:  # each symptom's own count: its rows only (index symptom_own_count)
        kept = SharedSymptoms.objects.filter(other=F("symptom"))
        counts = dict(kept.values_list("symptom_id", "article_count"))
    else:
        kept = SharedSymptoms.objects.filter(symptom=symptom)
        counts = dict(kept.values_list("other_id", "article_count"))
    return _without_scheduled(counts, [symptom] if symptom is not None else [])


def _without_scheduled(counts: dict[int, int], carrying: list[Symptom]) -> dict[int, int]:
    """Kept `counts` of the articles carrying every one of `carrying`, less those articles
    that are scheduled for later (kept counts include them: no row changes when a publish
    time comes)."""
    scheduled = list(Article.objects.filter(scheduled_q()).values_list("pk", flat=True))
    if scheduled:
        not_yet = TaggedArticle.objects.filter(content_object_id__in=scheduled)
        if carrying:
            not_yet = not_yet.filter(content_object_id__in=_carrying_every(carrying))
        for symptom_id, count in not_yet.values_list("tag_id").annotate(n=Count("*")).order_by():
            counts[symptom_id] -= count
    return {symptom_id: count for symptom_id, count in counts.items() if count > 0}


def recount_shared_symptoms(symptom_ids=None) -> None:
    """Count the SharedSymptoms rows for every pair among `symptom_ids` (every pair when None)
    again, from the article–symptom table.

    A change to an article's symptoms, or to whether it is published, changes the counts of
    the pairs among its symptoms, before and after the change, and no others: so
    conditions.signals passes all of those. Each count is counted whole, never adjusted, so
    it can't drift (13 ms for four common symptoms at 10,000 articles on SQLite, against 20
    for every pair of theirs).

    Called inside the change's transaction, after its new content version: that row's lock
    makes changes recount one at a time, each after the one before committed, so two saves
    at the same instant can't each write counts that miss the other's change.
    """
    if symptom_ids is not None:
        symptom_ids = set(symptom_ids)
        if not symptom_ids:
            return
    pairs = TaggedArticle.objects.filter(
        content_object__status=Article.Status.PUBLISHED,
        content_object__published_at__isnull=False,
    )
    rows = SharedSymptoms.objects.all()
    if symptom_ids is not None:
        pairs = pairs.filter(
            content_object__tagged_symptoms__tag_id__in=symptom_ids, tag_id__in=symptom_ids
        )
        rows = rows.filter(symptom_id__in=symptom_ids, other_id__in=symptom_ids)
    counted = (
        pairs.values_list("content_object__tagged_symptoms__tag_id", "tag_id")
        .annotate(article_count=Count("*"))
        .order_by()
    )
    rows.delete()
    SharedSymptoms.objects.bulk_create(
        (
            SharedSymptoms(symptom_id=symptom_id, other_id=other_id, article_count=count)
            for symptom_id, other_id, count in counted
        ),
        batch_size=1000,
    )
    _recount_narrowed_symptoms(symptom_ids)


def _recount_narrowed_symptoms(symptom_ids: set[int] | None) -> None:
    """Count the NarrowedSymptoms rows of every pair among `symptom_ids` (every pair when None)
    again, after the pairs' own counts (which say whether a pair is kept).

    A changed article changes the counts of the threes among its symptoms, so each of its
    pairs is counted again whole, with every other symptom its articles carry: a pair that
    has just come to be shared by KEEP_NARROWED_FROM articles needs them all, and a pair
    that no longer is loses its rows (and is counted live)."""
    rows = NarrowedSymptoms.objects.all()
    kept_pairs = SharedSymptoms.objects.filter(
        symptom_id__lt=F("other_id"), article_count__gte=KEEP_NARROWED_FROM
    )
    if symptom_ids is not None:
        rows = rows.filter(first_id__in=symptom_ids, second_id__in=symptom_ids)
        kept_pairs = kept_pairs.filter(symptom_id__in=symptom_ids, other_id__in=symptom_ids)
    rows.delete()
    marked_published = Article.objects.filter(
        status=Article.Status.PUBLISHED, published_at__isnull=False
    )
    for first_id, second_id in kept_pairs.values_list("symptom_id", "other_id"):
        carrying_both = marked_published.filter(pk__in=_carrying_every([first_id, second_id]))
        counted = (
            TaggedArticle.objects.filter(content_object_id__in=carrying_both.values("pk"))
            .values_list("tag_id")
            .annotate(article_count=Count("*"))
            .order_by()
        )
        NarrowedSymptoms.objects.bulk_create(
            (
                NarrowedSymptoms(
                    first_id=first_id, second_id=second_id, other_id=other_id, article_count=count
                )
                for other_id, count in counted
            ),
            batch_size=1000,
        )


# SQLite's planner reads every article of a symptom and sorts them all by title, even a
# common symptom's thousands for a first page of 20 (2.8 ms at 10,000 articles for 2,508 of
# them, and ten times that at 100,000). Stepping along the titles' index
# (article_title_order_public, which also says whether each article is public) and keeping
# the articles that carry the symptoms finds them in 0.1 ms when they are common, but would
# step past nearly every article for a rare one. Which costs less follows from how many
# articles there are and how many carry the symptoms. Per row, measured at 10,000 and
# 100,000 articles (a common symptom's first and 50th pages):
SORTED_MICROSECONDS = 0.9  # looked up and sorted: 0.7–1.0 for a first page
STEPPED_MICROSECONDS = 1.5  # stepped past in the index, checked for the symptoms: 0.3–1.9
# Fewer articles than this are always sorted (at most about 2 ms): stepping could walk far
# past them if they all have titles late in the alphabet.
FEW_TO_SORT = 2000


def in_title_order(selected: list[Symptom], count: int, until: int):
    """The published articles carrying every `selected` symptom (`count` of them), A to Z,
    as a query to read the ones up to the `until`th from."""
    articles = Article.objects.published()
    if connection.vendor == "sqlite" and count >= FEW_TO_SORT:
        stepped = until * _about_how_many_articles() / count
        if STEPPED_MICROSECONDS * stepped < SORTED_MICROSECONDS * count:
            carrying = [
                Exists(TaggedArticle.objects.filter(content_object=OuterRef("pk"), tag=symptom))
                for symptom in selected
            ]
            return articles.filter(*carrying).order_by(*IN_TITLE_ORDER)
    if connection.vendor == "sqlite" and len(selected) > 1:
        return articles.filter(pk__in=_carrying_every(selected)).order_by(*IN_TITLE_ORDER)
    return articles.narrowed_by(selected).order_by(*IN_TITLE_ORDER)


def _about_how_many_articles() -> int:
    """The highest article id: about how many articles there are, which is all that choosing
    how to read them needs, from the primary key's index (counting the published ones took
    4 ms at 100,000 articles). Drafts and deleted articles make it more: stepping is then
    chosen a little less often than it could be."""
    return Article.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


@dataclass(slots=True)
class FurtherSymptom:
    """A symptom a reader can add to their selection: its name, its slug, how many of the
    current articles carry it, and (set by the view) the address of the page with it added."""

    name: str
    slug: str
    match_count: int
    narrowed_url: str = ""


def further_symptoms(
    counts: dict[int, int], selected: list[Symptom], limit: int | None = None
) -> list[FurtherSymptom]:
    """The symptoms in `counts` (see symptom_counts) besides `selected`, each with
    `match_count`: how many articles it would leave. Most shared first, then by name; the
    first `limit`. One query, for the names of just the symptoms returned (as plain values:
    model instances took a third of this function's 0.6 ms)."""
    counts = {pk: count for pk, count in counts.items() if pk not in {s.pk for s in selected}}
    wanted = counts.keys()
    if limit is not None and len(counts) > limit:
        # Ties are put in order by name, which only the symptom table has: read every symptom
        # with at least the count of the last one shown.
        last_shown = sorted(counts.values(), reverse=True)[limit - 1]
        wanted = [pk for pk, count in counts.items() if count >= last_shown]
    symptoms = [
        FurtherSymptom(name, slug, counts[pk])
        for pk, name, slug in Symptom.objects.filter(pk__in=wanted).values_list(
            "pk", "name", "slug"
        )
    ]
    symptoms.sort(key=lambda symptom: (-symptom.match_count, symptom.name.lower()))
    return symptoms[:limit]


class CardSymptom(NamedTuple):
    """A symptom as an article's card shows it: a chip with its name, linking to its page."""

    name: str
    slug: str

    def get_absolute_url(self) -> str:
        return page_address("conditions:symptom", self.slug)


def read_card_symptoms(articles) -> None:
    """Set `card_symptoms` on each of `articles` (evaluated) in one query: the name and slug of
    each of its symptoms, by name, for its card (conditions/templatetags/cards.py). django-taggit's
    prefetch reads every column of every symptom: 5–7 ms for a page of 20 cards, against 1."""
    rows = (
        TaggedArticle.objects.filter(content_object__in=[article.pk for article in articles])
        .order_by("tag__name")
        .values_list("content_object_id", "tag__name", "tag__slug")
    )
    by_article = {}
    for article_id, name, slug in rows:
        by_article.setdefault(article_id, []).append(CardSymptom(name, slug))
    for article in articles:
        article.card_symptoms = by_article.get(article.pk, [])


class CountedPaginator(Paginator):
    """A paginator told how many items there are, by a query that has counted them already."""

    def __init__(self, object_list, per_page: int, count: int):
        super().__init__(object_list, per_page)
        self.count = count  # in place of Paginator.count, which would run a COUNT query


class NarrowingLinks:
    """Addresses of a symptom page (`conditions:symptom`) or of its full list of further
    symptoms (`conditions:further_symptoms`) for a list of slugs: the first the page's own
    and the rest `?with=` narrowing it."""

    def __init__(self, view_name: str = "conditions:symptom"):
        self.address = page_addresses(view_name)

    def to(self, slugs: list[str], page: int = 1) -> str:
        """The page for `slugs` (the symptoms A to Z when there are none), at `page`."""
        if not slugs:
            return reverse("conditions:symptom_list")
        query = [f"with={quote(slug, safe='')}" for slug in slugs[1:]]
        if page > 1:
            query.append(f"page={page}")
        address = self.address(slugs[0])
        return f"{address}?{'&'.join(query)}" if query else address
