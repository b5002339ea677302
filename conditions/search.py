"""Search: finding published articles however readers describe their symptoms.

One module with the same behaviour on both databases. The reader's words are parsed here
(never passed to the database's query syntax, so no input can cause a syntax error),
widened with British/American spellings, symptom synonyms and word stems, and run against
the database's own full-text index: SQLite FTS5 (porter stemming, accents folded) or
PostgreSQL full-text search (weighted tsvector, GIN index, unaccent) with pg_trgm for typos.

Ranking: an entry's title counts most, then its symptoms (names and synonyms), then its
body. Entries matching every query word come before entries matching only some.
"""

import difflib
import re
import unicodedata
from dataclasses import dataclass, field

from django.core.paginator import Page, Paginator
from django.db import connection, transaction
from django.db.models.functions import Length
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_delete
from django.dispatch import receiver
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from conditions.caching import content_version, new_content_version
from conditions.models import (
    Article,
    ConditionArticle,
    FaqArticle,
    FaqItem,
    SearchEntry,
    SearchTerm,
    Symptom,
    TaggedArticle,
)
from conditions.readability import plain_text

RESULTS_PER_PAGE = 10
# Candidates considered per query; a reader never pages this far.
MAX_MATCHES = 300
MAX_QUERY_LENGTH = 200
MAX_TERMS = 12
# Fewer results than this and a spelling correction is offered.
FEW_RESULTS = 3

# Marks around matched words in highlights: private-use characters that never occur in
# indexed text (they are stripped on indexing), replaced by <mark> after escaping.
MARK_START, MARK_END = "\ue000", "\ue001"

WORD = re.compile(r"[^\W_]+")
PHRASE = re.compile(r'"([^"]*)"')
STOPWORDS = frozenset(
    """
    a about am an and any are as at be been but by can could did do does doing for from get
    gets had has have having how i if im in into is it its just me my of on or should so
    some than that the their them then there these they this those to too very was we were
    what when where which while who why will with would you your
    """.split()  # noqa: SIM905 (a word list reads better as text)
)
# British and American spellings readers mix up: (British, American) fragments.
SPELLINGS = [("ae", "e"), ("oe", "e"), ("our", "or"), ("isation", "ization"), ("ise", "ize"),
             ("tre", "ter")]  # fmt: skip
MIN_SPELLING_VARIANT_LENGTH = 5
MAX_SPELLING_VARIANTS = 8
# Endings dropped to search by a word's root, so "stiffening" also finds "stiffness".
ENDINGS = ("ening", "ness", "ings", "ing", "ened", "ed", "es", "s", "ly")
MIN_ROOT = 4


@dataclass
class Alternative:
    """One way a query term may appear: a word or phrase, or a prefix (root*)."""

    words: tuple[str, ...]
    prefix: bool = False


@dataclass
class Term:
    """One word or phrase of the reader's query, with everything that counts as it."""

    text: str
    alternatives: list[Alternative] = field(default_factory=list)


@dataclass
class SearchHit:
    article: Article
    url: str
    title_html: SafeString
    snippet_html: SafeString
    question: str = ""  # set when the hit is one question of an FAQ


@dataclass
class SearchResults:
    query: str
    page: Page | None = None
    total: int = 0
    # A better spelling of the query, e.g. "stiff neck" for "stiff nek", when it finds little.
    suggestion: str = ""
    # Set when nothing matched the query as typed and these are the suggestion's results.
    showing_suggestion: bool = False

    @property
    def hits(self) -> list[SearchHit]:
        return list(self.page.object_list) if self.page else []


# Reading the query


def fold(text: str) -> str:
    """Lower case without accents: "Anémia" → "anemia"."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def query_words(text: str) -> list[str]:
    return WORD.findall(fold(text))


def parse(query: str, vocabulary: dict[tuple[str, ...], list[str]]) -> list[Term]:
    """The terms of `query`: quoted phrases, symptom phrases, and single words.

    `vocabulary` maps a symptom name or synonym (as words) to every word sequence that means
    the same symptom, for synonym expansion.
    """
    query = query[:MAX_QUERY_LENGTH]
    terms = []
    for phrase in PHRASE.findall(query):
        words = tuple(query_words(phrase))
        if words:
            terms.append(_term(words, vocabulary, quoted=True))
    words = [w for w in query_words(PHRASE.sub(" ", query))]
    meaningful = [w for w in words if w not in STOPWORDS] or words
    position = 0
    while position < len(meaningful):
        # The longest symptom name or synonym starting here ("pins and needles") is one term.
        for length in range(min(4, len(meaningful) - position), 0, -1):
            candidate = tuple(meaningful[position : position + length])
            if length == 1 or candidate in vocabulary:
                terms.append(_term(candidate, vocabulary))
                position += length
                break
    unique = list({term.text: term for term in terms}.values())
    return unique[:MAX_TERMS]


def _term(words: tuple[str, ...], vocabulary, quoted: bool = False) -> Term:
    term = Term(text=" ".join(words), alternatives=[Alternative(words)])
    if quoted:
        return term
    for synonym in vocabulary.get(words, []):
        term.alternatives.append(Alternative(tuple(synonym)))
    if len(words) == 1:
        word = words[0]
        term.alternatives += [Alternative((variant,)) for variant in spelling_variants(word)]
        root = word_root(word)
        if root:
            term.alternatives.append(Alternative((root,), prefix=True))
    return term


def spelling_variants(word: str) -> list[str]:
    """The word in the other spelling: "anaemia" → "anemia", "anemia" → "anaemia", …

    One fragment is swapped at a time, in both directions. Most variants are not words and
    simply match nothing; the real one finds the other spelling.
    """
    if len(word) < MIN_SPELLING_VARIANT_LENGTH:
        return []
    variants = set()
    for british, american in SPELLINGS:
        for old, new in ((british, american), (american, british)):
            for found in re.finditer(re.escape(old), word):
                variants.add(word[: found.start()] + new + word[found.end() :])
    variants.discard(word)
    return sorted(variants)[:MAX_SPELLING_VARIANTS]


def word_root(word: str) -> str:
    """The word without a common ending, to search by prefix ("stiffening" → "stiff")."""
    for ending in ENDINGS:
        if word.endswith(ending) and len(word) - len(ending) >= MIN_ROOT:
            return word[: -len(ending)]
    return ""


def symptom_vocabulary() -> dict[tuple[str, ...], list[list[str]]]:
    """Every symptom name and synonym, as words, mapped to the symptom's name.

    Expanding a synonym to the name (not to every other synonym) is enough: an article's
    entry lists its symptoms' synonyms too, and one extra phrase keeps queries fast.
    Cached per content version, as symptoms only change with content.
    """
    version = content_version()["id"]
    if _vocabulary_cache.get("version") != version:
        vocabulary = {}
        for name, synonyms in Symptom.objects.values_list("name", "synonyms"):
            name_words = query_words(name)
            vocabulary[tuple(name_words)] = []
            for synonym in synonyms.split(","):
                words = query_words(synonym)
                if words and words != name_words:
                    vocabulary.setdefault(tuple(words), []).append(name_words)
        _vocabulary_cache.update(version=version, vocabulary=vocabulary)
    return _vocabulary_cache["vocabulary"]


_vocabulary_cache: dict = {}


# Searching


def search(
    query: str, *, kind: str | None = None, symptom: str | None = None, page: int | str = 1
) -> SearchResults:
    """Published articles matching `query`, best first, a page at a time.

    `kind` ("condition" or "faq") and `symptom` (a slug) narrow the results. A page past the
    end raises django.core.paginator.InvalidPage.
    """
    query = " ".join(query.split())[:MAX_QUERY_LENGTH]
    results = SearchResults(query=query)
    vocabulary = symptom_vocabulary()
    terms = parse(query, vocabulary)
    if not terms:
        return results
    backend = _backend()
    filters = _Filters(kind=kind, symptom=symptom)
    matches, full_matches = _ranked_matches(backend, terms, filters)

    if full_matches < FEW_RESULTS:
        corrected = correct_spelling(query, backend)
        if corrected:
            corrected_terms = parse(corrected, vocabulary)
            corrected_matches, corrected_full = _ranked_matches(backend, corrected_terms, filters)
            if corrected_full and corrected_full >= full_matches:
                results.suggestion = corrected
                if not matches:
                    results.showing_suggestion = True
                    terms, matches = corrected_terms, corrected_matches

    results.total = len(matches)
    paginator = Paginator(matches, RESULTS_PER_PAGE, allow_empty_first_page=True)
    results.page = paginator.page(page)
    results.page.object_list = _hits(backend, terms, results.page.object_list)
    return results


@dataclass
class _Filters:
    kind: str | None
    symptom: str | None

    def sql(self, article_id: str) -> tuple[str, list]:
        """Conditions on the column `article_id`: public, and the reader's filters."""
        published = Article.objects.published().values("pk").order_by()
        published_sql, params = published.query.sql_with_params()
        clauses = [f"{article_id} IN ({published_sql})"]
        params = list(params)
        if self.kind in Article.Kind.values:
            clauses.append(f"{article_id} IN (SELECT id FROM conditions_article WHERE kind = %s)")
            params.append(self.kind)
        if self.symptom:
            clauses.append(
                f"{article_id} IN (SELECT t.content_object_id FROM conditions_taggedarticle t "
                "JOIN conditions_symptom s ON s.id = t.tag_id WHERE s.slug = %s)"
            )
            params.append(self.symptom)
        return " AND ".join(clauses), params


def _ranked_matches(backend, terms: list[Term], filters: _Filters):
    """Ids of the matching articles, best first; and how many match every term.

    Articles matching every term come first. Only when they don't fill a page are those
    matching some of the terms added after them (and that costs a second query).
    """
    ids = backend.match(terms, "AND", filters)
    full_matches = len(ids)
    if len(terms) > 1 and full_matches < RESULTS_PER_PAGE:
        seen = set(ids)
        ids += [i for i in backend.match(terms, "OR", filters) if i not in seen]
    return ids, full_matches


def _hits(backend, terms: list[Term], article_ids: list[int]) -> list[SearchHit]:
    """The page's articles as hits, with highlighted titles and snippets; an FAQ hit points
    at the question that matches best."""
    highlights = backend.highlights(terms, article_ids)
    articles = Article.objects.published().with_symptoms().in_bulk(article_ids)
    questions = _best_questions(
        terms, [pk for pk, article in articles.items() if article.kind == Article.Kind.FAQ]
    )
    hits = []
    for article_id in article_ids:
        article = articles.get(article_id)
        if article is None:  # unpublished since the match: skip
            continue
        title_html, snippet_html = highlights.get(article_id, (article.title, article.summary))
        url, question = article.get_absolute_url(), ""
        if article_id in questions:
            question, anchor = questions[article_id]
            url += f"#{anchor}"
        hits.append(
            SearchHit(
                article=article,
                url=url,
                title_html=marked(title_html),
                snippet_html=marked(snippet_html),
                question=question,
            )
        )
    return hits


def _best_questions(terms: list[Term], faq_ids: list[int]) -> dict[int, tuple[str, str]]:
    """For each FAQ, the (question, anchor) matching the query best, if any matches."""
    roots = {
        word_root(word) or word
        for term in terms
        for alternative in term.alternatives
        for word in alternative.words
        if word not in STOPWORDS
    }
    best = {}
    items = FaqItem.objects.filter(faq_id__in=faq_ids).values_list(
        "faq_id", "question", "answer", "anchor"
    )
    for faq_id, question, answer, anchor in items:
        question_words, answer_words = query_words(question), query_words(answer)
        score = sum(
            3 * any(w.startswith(root) for w in question_words)
            + any(w.startswith(root) for w in answer_words)
            for root in roots
        )
        if score and score > best.get(faq_id, (0,))[0]:
            best[faq_id] = (score, question, anchor)
    return {faq_id: (question, anchor) for faq_id, (_, question, anchor) in best.items()}


def marked(text: str) -> SafeString:
    """Escape `text`, then turn the highlight marks into <mark> elements."""
    html = escape(text).replace(MARK_START, "<mark>").replace(MARK_END, "</mark>")
    return mark_safe(html)  # everything but our own <mark> was escaped just above


# Spelling


def correct_spelling(query: str, backend=None) -> str:
    """The query with unknown words replaced by the closest indexed words, or ""."""
    backend = backend or _backend()
    words = query_words(query)
    checkable = [w for w in words if w not in STOPWORDS and len(w) >= 3 and not w.isdigit()]
    if not checkable:
        return ""
    known = set(SearchTerm.objects.filter(word__in=checkable).values_list("word", flat=True))
    replacements = {}
    for word in checkable:
        if word in known:
            continue
        candidates = backend.similar_words(word)
        close = difflib.get_close_matches(word, candidates, n=1, cutoff=0.7)
        if close:
            replacements[word] = close[0]
    if not replacements:
        return ""
    return " ".join(replacements.get(word, word) for word in words)


# Indexing


def reindex(articles) -> None:
    """Rebuild the search entries of `articles` (after they, their questions or symptoms
    changed). Work done on save, so a search does no more than query the index."""
    articles = list(articles)
    if not articles:
        return
    with transaction.atomic():
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


def reindex_ids(article_ids) -> None:
    reindex(_articles_for_indexing(list(article_ids)))


def _articles_for_indexing(ids: list[int]) -> list[Article]:
    """The articles with everything indexing reads, in a fixed number of queries."""
    conditions = ConditionArticle.objects.filter(pk__in=ids).prefetch_related("symptoms")
    faqs = FaqArticle.objects.filter(pk__in=ids).prefetch_related("symptoms", "items")
    return [*conditions, *faqs]


def _entry_for(article) -> SearchEntry:
    symptoms = " ".join(
        f"{symptom.name} {symptom.synonyms.replace(',', ' ')}" for symptom in article.symptoms.all()
    )
    if isinstance(article, ConditionArticle):
        headings = [section["name"] for section in article.contents]
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
        body=_clean("\n".join(plain_text(part) for part in body if part)),
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


# The two databases


def _backend():
    return _PostgreSQL() if connection.vendor == "postgresql" else _SQLite()


class _SQLite:
    """FTS5, ranked by bm25 with weights title 10, headings 4, symptoms 6, body 1."""

    RANK = "bm25(conditions_searchentry_fts, 10.0, 4.0, 6.0, 1.0)"

    def match(self, terms, operator, filters) -> list[int]:
        where, params = filters.sql("m.id")
        # The matches are materialised first: given `rowid IN (…)` as well, FTS5 would run
        # the whole match once per published article.
        sql = (
            "WITH m AS MATERIALIZED ("
            f"SELECT rowid AS id, {self.RANK} AS score FROM conditions_searchentry_fts "
            "WHERE conditions_searchentry_fts MATCH %s) "
            f"SELECT m.id FROM m WHERE {where} ORDER BY m.score LIMIT %s"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, [self._expression(terms, operator), *params, MAX_MATCHES])
            return [row[0] for row in cursor.fetchall()]

    def highlights(self, terms, article_ids) -> dict[int, tuple[str, str]]:
        # One row at a time: FTS5 looks a rowid up directly, where IN (…) would make it
        # scan every match.
        expression = self._expression(terms, "OR")
        sql = (
            "SELECT highlight(conditions_searchentry_fts, 0, %s, %s), "
            "snippet(conditions_searchentry_fts, 3, %s, %s, '…', 30) "
            "FROM conditions_searchentry_fts "
            "WHERE conditions_searchentry_fts MATCH %s AND rowid = %s"
        )
        found = {}
        with connection.cursor() as cursor:
            for article_id in article_ids:
                cursor.execute(
                    sql, [MARK_START, MARK_END, MARK_START, MARK_END, expression, article_id]
                )
                row = cursor.fetchone()
                if row:
                    found[article_id] = row
        return found

    def similar_words(self, word: str) -> list[str]:
        trigrams = {word[i : i + 3] for i in range(len(word) - 2)}
        expression = " OR ".join(f'"{trigram}"' for trigram in sorted(trigrams))
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT word FROM conditions_searchterm_trigrams "
                "WHERE conditions_searchterm_trigrams MATCH %s "
                "ORDER BY bm25(conditions_searchterm_trigrams) LIMIT 50",
                [expression],
            )
            candidates = [row[0] for row in cursor.fetchall()]
        # Short words share few trigrams with their misspelling ("nek", "neck"): also look
        # at words with the same beginning.
        return candidates + _words_starting_like(word)

    @staticmethod
    def _expression(terms: list[Term], operator: str) -> str:
        # Only letters and digits ever reach the quotes (see WORD), so the expression is
        # always valid FTS5 syntax, whatever the reader typed.
        groups = []
        for term in terms:
            options = [
                '"' + " ".join(alt.words) + '"' + ("*" if alt.prefix else "")
                for alt in term.alternatives
            ]
            groups.append("(" + " OR ".join(options) + ")")
        return f" {operator} ".join(groups)


class _PostgreSQL:
    """Full-text search on the weighted `search_vector` column; pg_trgm for similar words."""

    CONFIG = "neckinfo"
    # ts_rank weights for D (body), C (headings), B (symptoms), A (title).
    WEIGHTS = "{0.1, 0.4, 0.6, 1.0}"

    def match(self, terms, operator, filters) -> list[int]:
        where, params = filters.sql("e.article_id")
        query_sql, query_params = self._tsquery(terms, "&&" if operator == "AND" else "||")
        sql = (
            f"SELECT e.article_id FROM conditions_searchentry e, ({query_sql}) q(query) "
            f"WHERE e.search_vector @@ q.query AND {where} "
            "ORDER BY ts_rank(%s, e.search_vector, q.query) DESC, e.article_id LIMIT %s"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, [*query_params, *params, self.WEIGHTS, MAX_MATCHES])
            return [row[0] for row in cursor.fetchall()]

    def highlights(self, terms, article_ids) -> dict[int, tuple[str, str]]:
        if not article_ids:
            return {}
        query_sql, query_params = self._tsquery(terms, "||")
        options = f"StartSel={MARK_START}, StopSel={MARK_END}, HighlightAll=true"
        snippet_options = (
            f"StartSel={MARK_START}, StopSel={MARK_END}, MaxWords=35, MinWords=15, "
            'MaxFragments=2, FragmentDelimiter=" … "'
        )
        sql = (
            f"SELECT e.article_id, ts_headline('{self.CONFIG}', e.title, q.query, %s), "
            f"ts_headline('{self.CONFIG}', e.body, q.query, %s) "
            f"FROM conditions_searchentry e, ({query_sql}) q(query) "
            "WHERE e.article_id = ANY(%s)"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, [options, snippet_options, *query_params, list(article_ids)])
            return {row[0]: (row[1], row[2]) for row in cursor.fetchall()}

    def similar_words(self, word: str) -> list[str]:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT word FROM conditions_searchterm WHERE word %% %s "
                "ORDER BY similarity(word, %s) DESC LIMIT 50",
                [word, word],
            )
            candidates = [row[0] for row in cursor.fetchall()]
        return candidates + _words_starting_like(word)

    def _tsquery(self, terms: list[Term], operator: str) -> tuple[str, list]:
        """SQL for one tsquery combining the terms; every word is passed as a parameter."""
        groups, params = [], []
        for term in terms:
            options = []
            for alt in term.alternatives:
                if alt.prefix:
                    options.append(f"to_tsquery('{self.CONFIG}', %s)")
                    params.append(f"{alt.words[0]}:*")
                else:
                    options.append(f"websearch_to_tsquery('{self.CONFIG}', %s)")
                    params.append('"' + " ".join(alt.words) + '"')
            groups.append("(" + " || ".join(options) + ")")
        return "SELECT " + f" {operator} ".join(groups), params


def _words_starting_like(word: str) -> list[str]:
    """Indexed words of about the same length with the same first two letters."""
    start = word[:2]
    following = start[:-1] + chr(ord(start[-1]) + 1)
    return list(
        SearchTerm.objects.filter(word__gte=start, word__lt=following)
        .annotate(length=Length("word"))
        .filter(length__range=(len(word) - 2, len(word) + 2))
        .values_list("word", flat=True)[:500]
    )


# Keeping the index fresh: every change to what an article says, or to the symptoms it
# carries, re-indexes it at once. (Publishing needs nothing: see SearchEntry.)
# Raw saves (restoring a revision, loading fixtures) are followed by a normal save that
# re-indexes, so they are skipped.


@receiver(post_save, sender=ConditionArticle)
@receiver(post_save, sender=FaqArticle)
def _article_saved(sender, instance, raw=False, **kwargs):
    if not raw:
        reindex_ids([instance.pk])


@receiver(post_save, sender=FaqItem)
def _question_saved(sender, instance, raw=False, **kwargs):
    if not raw:
        reindex_ids([instance.faq_id])


@receiver(post_delete, sender=FaqItem)
def _question_deleted(sender, instance, **kwargs):
    # Update, never create: when the whole FAQ is being deleted, its entry is going too,
    # and a new one would point at a deleted article.
    faq = _articles_for_indexing([instance.faq_id])
    if faq:
        entry = _entry_for(faq[0])
        SearchEntry.objects.filter(pk=instance.faq_id).update(
            headings=entry.headings, body=entry.body
        )


@receiver(m2m_changed, sender=TaggedArticle)
def _symptoms_changed(sender, instance, action, **kwargs):
    if action in {"post_add", "post_remove", "post_clear"} and isinstance(instance, Article):
        reindex_ids([instance.pk])


@receiver(post_save, sender=Symptom)
def _symptom_saved(sender, instance, raw=False, created=False, **kwargs):
    # A renamed symptom, or new synonyms, change what its articles are found by.
    if not raw and not created:
        reindex_ids(_articles_with(instance))


@receiver(pre_delete, sender=Symptom)
def _symptom_deleted(sender, instance, **kwargs):
    article_ids = _articles_with(instance)
    # Re-index once the symptom (and its tags) are gone.
    transaction.on_commit(lambda: reindex_ids(article_ids), robust=True)


def _articles_with(symptom: Symptom) -> list[int]:
    return list(
        TaggedArticle.objects.filter(tag=symptom).values_list("content_object_id", flat=True)
    )
