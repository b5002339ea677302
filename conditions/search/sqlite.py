"""Search on SQLite: the FTS5 tables over the search entries and the indexed words."""

from django.db import connection

from conditions.search.indexing import MARK_END, MARK_START
from conditions.search.query import Term
from conditions.search.spelling import words_starting_like


class SQLiteSearch:
    """FTS5, ranked by bm25 with weights title 10, headings 4, symptoms 6, body 1."""

    RANK = "bm25(conditions_searchentry_fts, 10.0, 4.0, 6.0, 1.0)"

    def match(self, terms: list[Term], operator: str, filters, limit: int) -> list[int]:
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
            cursor.execute(sql, [self._expression(terms, operator), *params, limit])
            return [row[0] for row in cursor.fetchall()]

    def highlights(self, terms: list[Term], article_ids) -> dict[int, tuple[str, str]]:
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
