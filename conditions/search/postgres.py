"""Search on PostgreSQL: full-text search on the weighted `search_vector` column (GIN index,
unaccent), and pg_trgm for words spelt nearly alike."""

from django.db import connection
from django.db.models.expressions import RawSQL

from conditions.search.indexing import MARK_END, MARK_START
from conditions.search.query import Term
from conditions.search.spelling import words_starting_like


class PostgreSQLSearch:
    """Full-text search on the weighted `search_vector` column; pg_trgm for similar words."""

    CONFIG = "neckinfo"
    # ts_rank weights for D (body), C (headings), B (symptoms), A (title).
    WEIGHTS = "{0.1, 0.4, 0.6, 1.0}"

    # Matches put in order by their key_vector before the reader's filters are applied: the
    # first `limit` of them that pass the filters are the result. Twice a page of results
    # leaves room for drafts and for a filter by kind; when too few pass, the filters are
    # applied to every match instead (`_filtered_candidates`).
    CANDIDATES_PER_RESULT = 2

    def match(self, terms: list[Term], operator: str, filters, limit: int) -> list[int]:
        """Ids of the best `limit` matches, best first, in two passes.

        A common word matches thousands of entries, and ranking each by its full
        search_vector (1.6 KB on average) took 100 ms and more at 10,000 articles. So the
        matches (from the GIN index alone, conditions_search_matches) are first ranked by
        their small key_vector (title, symptoms, headings), and the best `limit` of them are
        put in order by the full vector. With fewer matches than that, every match is ranked
        as before; with more, an article that has the words only in its body may be left out
        for one that has them in its title, symptoms or headings, or (among body-only
        matches) for an older article. (Ranking twice as many by the full vector, and
        keeping the best, made the slowest searches a sixth slower.)

        The filters (published, and the reader's) are checked by key on the best matches
        only, where a condition on every match read the whole article table (5 ms of each
        search at 10,000 articles, ten times that at 100,000). The result is the same.
        """
        query_sql, query_params = self._tsquery(terms, "&&" if operator == "AND" else "||")
        wanted = limit * self.CANDIDATES_PER_RESULT
        best_first = self._candidates(query_sql, query_params, wanted)
        candidates = filters.keep(best_first, self)[:limit]
        if len(candidates) < limit and len(best_first) == wanted:
            # Too many of the best matches are filtered out (a narrow symptom, FAQs only):
            # filter every match, then keep the best.
            candidates = self._filtered_candidates(query_sql, query_params, filters, limit)
        if not candidates:
            return []
        sql = (
            f"SELECT e.article_id FROM conditions_searchentry e, ({query_sql}) q(query) "
            "WHERE e.article_id = ANY(%s::bigint[]) "
            "ORDER BY ts_rank(%s, e.search_vector, q.query) DESC, e.article_id"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, [*query_params, _array(candidates), self.WEIGHTS])
            return [row[0] for row in cursor.fetchall()]

    def _candidates(self, query_sql: str, query_params: list, limit: int) -> list[int]:
        """The best `limit` matches by their key_vector, whatever the filters."""
        sql = (
            f"SELECT m.article_id FROM ({query_sql}) q(query), "
            "conditions_search_matches(q.query, %s::real[]) m "
            "ORDER BY m.key_rank DESC, m.article_id LIMIT %s"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, [*query_params, self.WEIGHTS, limit])
            return [row[0] for row in cursor.fetchall()]

    def _filtered_candidates(self, query_sql: str, query_params: list, filters, limit: int):
        """The best `limit` matches by their key_vector among those passing the filters."""
        where, params = filters.sql("m.article_id")
        sql = (
            f"SELECT m.article_id FROM ({query_sql}) q(query), "
            f"conditions_search_matches(q.query, %s::real[]) m WHERE {where} "
            "ORDER BY m.key_rank DESC, m.article_id LIMIT %s"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, [*query_params, self.WEIGHTS, *params, limit])
            return [row[0] for row in cursor.fetchall()]

    @staticmethod
    def id_list(article_ids: list[int]) -> RawSQL:
        """A subquery of `article_ids`, as one array parameter: planned as a lookup by key
        per id, where a list of 600 parameters took 5 ms to plan and read the whole table."""
        # Written out as an array literal: psycopg's own conversion of a list took 0.5 ms.
        return RawSQL("SELECT unnest(%s::bigint[])", [_array(article_ids)])

    def highlights(self, terms: list[Term], article_ids) -> dict[int, tuple[str, str]]:
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
            "WHERE e.article_id = ANY(%s::bigint[])"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, [options, snippet_options, *query_params, _array(article_ids)])
            return {row[0]: (row[1], row[2]) for row in cursor.fetchall()}

    def similar_words(self, word: str) -> list[str]:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT word FROM conditions_searchterm WHERE word %% %s "
                "ORDER BY similarity(word, %s) DESC LIMIT 50",
                [word, word],
            )
            candidates = [row[0] for row in cursor.fetchall()]
        return candidates + words_starting_like(word)

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


def _array(article_ids: list[int]) -> str:
    """A PostgreSQL array literal of `article_ids` (integers: nothing to escape)."""
    return "{" + ",".join(str(int(article_id)) for article_id in article_ids) + "}"
