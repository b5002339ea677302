"""Search on SQLite: the FTS5 tables over the search entries and the indexed words."""

import json

from django.db import connection
from django.db.models import Q
from django.db.models.expressions import RawSQL

from conditions.models import SearchEntry
from conditions.search.highlighting import highlighted, query_roots, snippet
from conditions.search.query import Term
from conditions.search.spelling import words_starting_like


class SQLiteSearch:
    """FTS5, ranked by bm25 with weights title 10, headings 4, symptoms 6, body 1."""

    RANK = "bm25(conditions_searchentry_fts, 10.0, 4.0, 6.0, 1.0)"
    # The most matches ranked for one query. A common word or phrase matches a third of the
    # articles, and ranking every match grew with them: 80 ms of bm25 for the 31,000
    # matches of "stiff neck" at 100,000 articles. FTS5 reads its matches newest first and
    # stops at a LIMIT, so the newest CANDIDATES matches are ranked and, when there are
    # more, the newest CANDIDATES with the words in their titles too (an older article
    # named for the words is still found). With fewer matches, every match is ranked.
    CANDIDATES = 1500

    def match(self, terms: list[Term], operator: str, filters, limit: int) -> list[int]:
        expression = self._expression(terms, operator)
        scores = self._newest_matches(expression)
        capped = len(scores) >= self.CANDIDATES
        if capped:
            for article_id, score in self._newest_matches(f"{{title}} : ({expression})").items():
                # A title-only score is lower than the entry's whole score: never better.
                scores.setdefault(article_id, score)
        best_first = sorted(scores, key=lambda article_id: (scores[article_id], article_id))
        ranked = filters.keep(best_first, self)
        if capped and len(ranked) < limit:
            # The reader's filters left fewer than a full page of candidates: rank every
            # match that passes them (slower, and only for narrow filters on common words).
            return self._every_match(expression, filters, limit)
        return ranked[:limit]

    def _newest_matches(self, expression: str) -> dict[int, float]:
        """The newest CANDIDATES matches' bm25 scores (lower is better)."""
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT rowid, {self.RANK} FROM conditions_searchentry_fts "
                "WHERE conditions_searchentry_fts MATCH %s ORDER BY rowid DESC LIMIT %s",
                [expression, self.CANDIDATES],
            )
            return dict(cursor.fetchall())

    def _every_match(self, expression: str, filters, limit: int) -> list[int]:
        where, params = filters.sql("m.id")
        # The matches are materialised first: given `rowid IN (…)` as well, FTS5 would run
        # the whole match once per published article.
        sql = (
            "WITH m AS MATERIALIZED ("
            f"SELECT rowid AS id, {self.RANK} AS score FROM conditions_searchentry_fts "
            "WHERE conditions_searchentry_fts MATCH %s) "
            f"SELECT m.id FROM m WHERE {where} ORDER BY m.score, m.id LIMIT %s"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, [expression, *params, limit])
            return [row[0] for row in cursor.fetchall()]

    @staticmethod
    def among(field: str, article_ids: list[int]) -> Q:
        """A condition for `filter()`: `field` is one of `article_ids`, passed as one
        parameter however many there are."""
        ids = RawSQL("SELECT value FROM json_each(%s)", [json.dumps(article_ids)])
        return Q(**{f"{field}__in": ids})

    def highlights(self, terms: list[Term], article_ids) -> dict[int, tuple[str, str]]:
        # From the entries' text, in one query: FTS5's highlight() and snippet() run the
        # match again for each row, and a prefix ("caus*", for "causes") is read from the
        # whole index each time (6 ms a row at 100,000 articles).
        roots = query_roots(terms)
        entries = SearchEntry.objects.filter(article_id__in=list(article_ids))
        return {
            article_id: (highlighted(title, roots), snippet(body, roots))
            for article_id, title, body in entries.values_list("article_id", "title", "body")
        }

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
        return candidates + words_starting_like(word)

    @staticmethod
    def _expression(terms: list[Term], operator: str) -> str:
        # Only letters and digits ever reach the quotes (see query.WORD), so the expression
        # is always valid FTS5 syntax, whatever the reader typed.
        groups = []
        for term in terms:
            options = [
                '"' + " ".join(alt.words) + '"' + ("*" if alt.prefix else "")
                for alt in term.alternatives
            ]
            groups.append("(" + " OR ".join(options) + ")")
        return f" {operator} ".join(groups)
