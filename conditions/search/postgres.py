"""Search on PostgreSQL: full-text search on the weighted `search_vector` column (GIN index,
unaccent), and pg_trgm for words spelt nearly alike."""

from django.db import connection

from conditions.search.indexing import MARK_END, MARK_START
from conditions.search.query import Term
from conditions.search.spelling import words_starting_like


class PostgreSQLSearch:
    """Full-text search on the weighted `search_vector` column; pg_trgm for similar words."""

    CONFIG = "neckinfo"
    # ts_rank weights for D (body), C (headings), B (symptoms), A (title).
    WEIGHTS = "{0.1, 0.4, 0.6, 1.0}"

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
        """
        where, params = filters.sql("m.article_id")
        query_sql, query_params = self._tsquery(terms, "&&" if operator == "AND" else "||")
        sql = (
            "SELECT c.article_id FROM ("
            "SELECT m.article_id, q.query "
            f"FROM ({query_sql}) q(query), conditions_search_matches(q.query, %s::real[]) m "
            f"WHERE {where} ORDER BY m.key_rank DESC, m.article_id LIMIT %s) c "
            # A lookup by key per candidate: joined, the planner reads the whole table.
            "ORDER BY ts_rank(%s, (SELECT e.search_vector FROM conditions_searchentry e "
            "WHERE e.article_id = c.article_id), c.query) DESC, c.article_id"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, [*query_params, self.WEIGHTS, *params, limit, self.WEIGHTS])
            return [row[0] for row in cursor.fetchall()]

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
