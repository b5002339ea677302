"""From a reader's query to a page of results: matching, ranking, highlights, the question
of an FAQ that matches best, a spelling suggestion when the query finds little, and the
symptoms the query names when it finds nothing."""

import re
from dataclasses import dataclass, field

from django.core.paginator import Page, Paginator
from django.db import connection
from django.db.models import BooleanField, Count, ExpressionWrapper, Q
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from conditions.content_version import content_version
from conditions.models import Article, FaqItem, Symptom
from conditions.narrowing import read_card_symptoms
from conditions.readability import text_of_markdown
from conditions.search.highlighting import highlighted, query_roots, snippet
from conditions.search.indexing import MARK_END, MARK_START
from conditions.search.postgres import PostgreSQLSearch
from conditions.search.query import (
    MAX_QUERY_LENGTH,
    Synonyms,
    Term,
    fold,
    parse,
    query_words,
)
from conditions.search.spelling import correct_spelling
from conditions.search.sqlite import SQLiteSearch
from conditions.search.symptoms import symptoms_named_in

RESULTS_PER_PAGE = 10
# Candidates considered per query; a reader never pages this far.
MAX_MATCHES = 300
# Fewer results than this and a spelling correction is offered.
FEW_RESULTS = 3
# Symptoms the symptom filter offers: those most of the results have. Listing all the results'
# symptoms (200 and more for a common word) made the filter half of the page, and a long list
# is slow to go through with a keyboard or a screen reader.
FILTER_SYMPTOMS = 20


@dataclass
class SearchHit:
    """One result. When it is one question of an FAQ, `title_html` is that question,
    `snippet_html` comes from its answer, `url` goes to its anchor and `question` is set."""

    article: Article
    url: str
    title_html: SafeString
    snippet_html: SafeString
    question: str = ""


@dataclass
class SearchResults:
    query: str
    page: Page | None = None
    total: int = 0
    # A better spelling of the query, e.g. "stiff neck" for "stiff nek", when it finds little.
    suggestion: str = ""
    # Set when nothing matched the query as typed and these are the suggestion's results.
    showing_suggestion: bool = False
    # When nothing matched: the symptoms the query names, whose pages carry their advice.
    named_symptoms: list[Symptom] = field(default_factory=list)
    # The symptoms most of the results carry (slug and name, by name): the symptom filter
    # offers these, so no choice of it leaves nothing.
    result_symptoms: list[dict] = field(default_factory=list)

    @property
    def hits(self) -> list[SearchHit]:
        return list(self.page.object_list) if self.page else []


def symptom_synonyms() -> Synonyms:
    """Every symptom name and synonym, as words, mapped to the symptom's name.

    Expanding a synonym to the name (not to every other synonym) is enough: an article's
    entry lists its symptoms' synonyms too, and one extra phrase keeps queries fast.
    Cached per content version, as symptoms only change with content.
    """
    version = content_version()["id"]
    if _synonyms_cache.get("version") != version:
        synonyms = {}
        for name, other_names in Symptom.objects.values_list("name", "synonyms"):
            name_words = query_words(name)
            synonyms[tuple(name_words)] = []
            for synonym in other_names.split(","):
                words = query_words(synonym)
                if words and words != name_words:
                    synonyms.setdefault(tuple(words), []).append(name_words)
        _synonyms_cache.update(version=version, synonyms=synonyms)
    return _synonyms_cache["synonyms"]


_synonyms_cache: dict = {}


def search(
    query: str, *, kind: str | None = None, symptom: str | None = None, page: int | str = 1
) -> SearchResults:
    """Published articles matching `query`, best first, a page at a time.

    `kind` ("condition" or "faq") and `symptom` (a slug) narrow the results. A page past the
    end raises django.core.paginator.InvalidPage.
    """
    query = " ".join(query.split())[:MAX_QUERY_LENGTH]
    results = SearchResults(query=query)
    synonyms = symptom_synonyms()
    terms = parse(query, synonyms)
    if not terms:
        return results
    backend = database_search()
    filters = _Filters(kind=kind, symptom=symptom)
    matches, full_matches = _ranked_matches(backend, terms, filters)

    if full_matches < FEW_RESULTS:
        corrected = correct_spelling(query, backend)
        if corrected:
            corrected_terms = parse(corrected, synonyms)
            corrected_matches, corrected_full = _ranked_matches(backend, corrected_terms, filters)
            if corrected_full and corrected_full >= full_matches:
                results.suggestion = corrected
                if not matches:
                    results.showing_suggestion = True
                    terms, matches = corrected_terms, corrected_matches

    results.total = len(matches)
    if matches:
        results.result_symptoms = _symptoms_of(matches, symptom, backend)
    else:
        results.named_symptoms = symptoms_named_in(query)
    paginator = Paginator(matches, RESULTS_PER_PAGE, allow_empty_first_page=True)
    results.page = paginator.page(page)
    results.page.object_list = _hits(backend, terms, results.page.object_list)
    return results


def database_search() -> SQLiteSearch | PostgreSQLSearch:
    """The search of the database in use."""
    return PostgreSQLSearch() if connection.vendor == "postgresql" else SQLiteSearch()


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

    def keep(self, article_ids: list[int], backend) -> list[int]:
        """Those of `article_ids` that are public and pass the reader's filters, in order:
        one query, looking each up by key, where `sql()` reads every published article."""
        if not article_ids:
            return []
        articles = Article.objects.published().filter(backend.among("pk", article_ids))
        if self.kind in Article.Kind.values:
            articles = articles.filter(kind=self.kind)
        if self.symptom:
            articles = articles.filter(tagged_symptoms__tag__slug=self.symptom)
        kept = set(articles.values_list("pk", flat=True))
        return [article_id for article_id in article_ids if article_id in kept]


def _symptoms_of(article_ids: list[int], chosen: str | None, backend) -> list[dict]:
    """The FILTER_SYMPTOMS symptoms most of the articles have (the one `chosen` always among
    them), by name."""
    most_common = (
        # The ids as one parameter: as 300, planning the query took longer than running it.
        Symptom.objects.filter(backend.among("tagged_articles__content_object_id", article_ids))
        .values("slug", "name")
        .annotate(articles=Count("tagged_articles"))
        .order_by(
            ExpressionWrapper(Q(slug=chosen or ""), output_field=BooleanField()).desc(),
            "-articles",
            "name",
        )[:FILTER_SYMPTOMS]
    )
    return sorted(
        ({"slug": s["slug"], "name": s["name"]} for s in most_common),
        key=lambda symptom: symptom["name"].lower(),
    )


def _ranked_matches(backend, terms: list[Term], filters: _Filters):
    """Ids of the matching articles, best first; and how many match every term.

    Articles matching every term come first. Only when they don't fill a page are those
    matching some of the terms added after them (and that costs a second query).
    """
    ids = backend.match(terms, "AND", filters, MAX_MATCHES)
    full_matches = len(ids)
    if len(terms) > 1 and full_matches < RESULTS_PER_PAGE:
        seen = set(ids)
        ids += [i for i in backend.match(terms, "OR", filters, MAX_MATCHES) if i not in seen]
    return ids, full_matches


def _hits(backend, terms: list[Term], article_ids: list[int]) -> list[SearchHit]:
    """The page's articles as hits, with highlighted titles and snippets; an FAQ hit points
    at the question that matches best."""
    highlights = backend.highlights(terms, article_ids)
    articles = Article.objects.published().in_bulk(article_ids)
    read_card_symptoms(list(articles.values()))
    roots = query_roots(terms)
    questions = _best_questions(
        roots, [pk for pk, article in articles.items() if article.kind == Article.Kind.FAQ]
    )
    hits = []
    for article_id in article_ids:
        article = articles.get(article_id)
        if article is None:  # unpublished since the match: skip
            continue
        title_html, snippet_html = highlights.get(article_id, (article.title, article.summary))
        url, question = article.get_absolute_url(), ""
        if article_id in questions:
            # The question is what the reader looked for, and the article's snippet may come
            # from another answer: the hit is the question, its answer and its anchor.
            question, answer, anchor = questions[article_id]
            url += f"#{anchor}"
            title_html = highlighted(question, roots)
            snippet_html = snippet(text_of_markdown(answer), roots)
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


def _best_questions(roots: set[str], faq_ids: list[int]) -> dict[int, tuple[str, str, str]]:
    """For each FAQ, the (question, answer, anchor) matching the query best, if any matches."""
    best = {}
    items = FaqItem.objects.filter(faq_id__in=faq_ids).values_list(
        "faq_id", "question", "answer", "anchor"
    )
    # A word starting with the root: the root, not preceded by a letter or digit (what
    # query.WORD counts as a word). Searched for in the folded text, where splitting every
    # answer into words took 2 to 4 ms a page.
    word_starts = [re.compile(r"(?<![^\W_])" + re.escape(root)) for root in roots]
    for faq_id, question, answer, anchor in items:
        question_text, answer_text = fold(question), fold(answer)
        score = sum(
            3 * bool(start.search(question_text)) + bool(start.search(answer_text))
            for start in word_starts
        )
        if score and score > best.get(faq_id, (0,))[0]:
            best[faq_id] = (score, question, answer, anchor)
    return {faq_id: found[1:] for faq_id, found in best.items()}


def marked(text: str) -> SafeString:
    """Escape `text`, then turn the highlight marks into <mark> elements."""
    html = escape(text).replace(MARK_START, "<mark>").replace(MARK_END, "</mark>")
    return mark_safe(html)  # everything but our own <mark> was escaped just above
