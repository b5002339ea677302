"""The search index: one `SearchEntry` of plain words per article, and the `SearchTerm`
words "Did you mean …?" suggestions come from.

Work done on save (`conditions.signals` calls `reindex_ids` once per changed article), so a
search does no more than query the index. Publishing needs nothing: see SearchEntry.
"""

from django.db import connection, transaction

from conditions.content_version import new_content_version
from conditions.models import Article, ConditionArticle, FaqArticle, SearchEntry, SearchTerm
from conditions.readability import text_of_markdown
from conditions.search.query import query_words

# Marks around matched words in highlights: private-use characters that never occur in
# indexed text (they are stripped on indexing), replaced by <mark> after escaping.
MARK_START, MARK_END = "\ue000", "\ue001"


def reindex_ids(article_ids) -> None:
    """Rebuild the search entries of the articles with `article_ids` that exist (after
    they, their questions or symptoms changed)."""
    reindex(_articles_for_indexing(list(article_ids)))


def refresh_ids(article_ids) -> None:
    """Rewrite the entries the articles with `article_ids` already have, never adding one:
    an article being deleted has lost its entry already, and a new one would point at it."""
    indexed = SearchEntry.objects.filter(pk__in=list(article_ids)).values_list("pk", flat=True)
    reindex_ids(list(indexed))


def reindex(articles) -> None:
    """Rebuild the search entries of `articles`."""
    articles = list(articles)
    if not articles:
        return
    # No savepoint of its own: inside a change's transaction, it stands or falls with it.
    with transaction.atomic(savepoint=False):
        SearchEntry.objects.filter(article__in=articles).delete()
        entries = [_entry_for(article) for article in articles]
        SearchEntry.objects.bulk_create(entries, batch_size=500)
        _remember_words(entries)


def rebuild_index(batch_size: int = 500) -> int:
    """Index every article from scratch. Returns how many entries were made."""
    with transaction.atomic():
        SearchEntry.objects.all().delete()
        SearchTerm.objects.all().delete()
        made = 0
        ids = list(Article.objects.order_by("pk").values_list("pk", flat=True))
        for start in range(0, len(ids), batch_size):
            entries = [
                _entry_for(a) for a in _articles_for_indexing(ids[start : start + batch_size])
            ]
            SearchEntry.objects.bulk_create(entries, batch_size=batch_size)
            _remember_words(entries)
            made += len(entries)
        new_content_version()  # bulk writes send no signals: drop cached pages here
        if connection.vendor == "postgresql":
            # Fresh statistics, so the planner knows how many rows the index now has.
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE conditions_searchentry, conditions_searchterm")
    return made


def _articles_for_indexing(ids: list[int]) -> list[Article]:
    """The articles with everything indexing reads, in a fixed number of queries."""
    if not ids:
        return []
    conditions = ConditionArticle.objects.filter(pk__in=ids).prefetch_related(
        "symptoms", "other_names"
    )
    faqs = FaqArticle.objects.filter(pk__in=ids).prefetch_related("symptoms", "items")
    return [*conditions, *faqs]


def _entry_for(article) -> SearchEntry:
    symptoms = " ".join(
        f"{symptom.name} {symptom.synonyms.replace(',', ' ')}" for symptom in article.symptoms.all()
    )
    if isinstance(article, ConditionArticle):
        # What the condition is called, and its other names, are found as headings are.
        names = [article.condition_name, *(name.name for name in article.other_names.all())]
        headings = [*filter(None, names), *(section["name"] for section in article.contents)]
        body = [article.summary, article.body, article.medical_help_text]
    else:
        items = list(article.items.all())
        headings = [item.question for item in items]
        body = [article.summary, article.intro, *(item.answer for item in items)]
    return SearchEntry(
        article_id=article.pk,
        title=_clean(article.title),
        headings=_clean("\n".join(headings)),
        symptoms=_clean(symptoms),
        body=_clean("\n".join(text_of_markdown(part) for part in body if part)),
    )


def _clean(text: str) -> str:
    return text.replace(MARK_START, "").replace(MARK_END, "")


def _remember_words(entries: list[SearchEntry]) -> None:
    words = set()
    for entry in entries:
        for text in (entry.title, entry.headings, entry.symptoms, entry.body):
            words.update(w for w in query_words(text) if 3 <= len(w) <= 40 and w.isalpha())
    SearchTerm.objects.bulk_create(
        [SearchTerm(word=word) for word in sorted(words)], ignore_conflicts=True, batch_size=1000
    )
