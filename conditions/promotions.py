"""Promoted search results: articles editors pin to the top of the results for a query (and
other ways of asking it), marked "Recommended".

Only a published article is ever shown, whatever was pinned (a draft, an unpublished article;
a working copy can't be pinned at all). Pins are content: saving or deleting one gives a new
content version (conditions.signals), so cached search pages show the change at once.
"""

from conditions.caching import cached_until_content_changes
from conditions.models import Article, PromotedResult
from conditions.search import SearchResults
from conditions.search_insights import normalised_query


def pins_by_phrase() -> dict[str, list[int]]:
    """Every pinned query and other phrasing, normalised: {phrase: [article ids]}, the
    earliest pinned first."""
    pins: dict[str, list[int]] = {}
    for query, other_phrasings, article_id in PromotedResult.objects.order_by(
        "created_at", "pk"
    ).values_list("query", "other_phrasings", "article_id"):
        for phrase in [query, *other_phrasings.splitlines()]:
            words = normalised_query(phrase)
            if words and article_id not in pins.get(words, []):
                pins.setdefault(words, []).append(article_id)
    return pins


def pin_to_top(request, results: SearchResults) -> list[Article]:
    """The published articles pinned to the reader's query, to show first on the first page
    of results; they are taken out of `results` so that none is listed twice.

    Costs no query unless the query has pins (the phrases are kept until content changes).
    """
    queries = {normalised_query(results.query)}
    if results.showing_suggestion:
        queries.add(normalised_query(results.suggestion))
    queries.discard("")
    if not queries:
        return []
    pins = cached_until_content_changes(request, "promoted-results", pins_by_phrase)
    pinned = list(dict.fromkeys(pk for query in queries for pk in pins.get(query, [])))
    if not pinned:
        return []
    articles = Article.objects.published().in_bulk(pinned)
    if results.page:
        results.page.object_list = [
            hit for hit in results.page.object_list if hit.article.pk not in articles
        ]
        if results.page.number > 1:
            return []
    return [articles[pk] for pk in pinned if pk in articles]
