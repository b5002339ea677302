"""Search on PostgreSQL: full-text search on the weighted `search_vector` column (GIN index,
unaccent), and pg_trgm for words spelt nearly alike."""

from django.db import connection
from django.db.models import BooleanField, F, Func, Value

from conditions.search.indexing import MARK_END, MARK_START
from conditions.search.query import Term
from conditions.search.spelling import words_starting_like


class PostgreSQLSearch:
    """Full-text search on the weighted `search_vector` column; pg_trgm for similar words."""

    CONFIG = "neckinfo"
    # ts_rank weights for D (body), C (headings), B (symptoms), A (title).
    WEIGHTS = "{0.1, 0.4, 0.6, 1.0}"

    # The most matches ranked for one query past RANK_EVERY_MATCH_BELOW entries: the newest,
    # and when there are more, the newest with the words in their titles too. Half SQLite's
    # (SQLiteSearch.CANDIDATES), as each is found by checking entries one by one, not read
    # from an index that stops at a limit: at 100,000 articles 1,500 made the median search
    # 43 ms and 750 made it 35. Still more than twice the 300 results a search shows.
    CANDIDATES = 750
    # Entries read for the first window of newest matches; each later window is sized by the
    # share of entries that matched in the windows before.
    FIRST_WINDOW = 2 * CANDIDATES
    # With fewer entries than this, every match is ranked (see `_best_by_key`).
    RANK_EVERY_MATCH_BELOW = 20_000
    # Beyond this many entries a window would cost more than listing every older match from
    # the GIN index: the matches are then that rare. (A window checks an entry in about a
    # microsecond; the index lists matches for less, but a phrase or a word's ending is then
    # checked again on every entry having all its words, often ten times the matches.) At
    # 100,000 articles, with 50,000 the benchmark's slowest searches were second windows of
    # 40,000 entries (40–55 ms: `"left shoulder blade"`, `how long does whiplash last`).
    # With 20,000 its p95 went from 63.9 to 45.0 ms (bench/RESULTS-scale.md, fifth pass);
    # the best of two runs per query gave 56 → 38 (25,000: 44; 15,000: 42, as the index then
    # lists matches that are not rare).
    MAX_WINDOW = 20_000
    MAX_WINDOWS = 3
    # The best matches by key_vector checked against the reader's filters first: twice a
    # page of results leaves room for drafts and for a filter by kind.
    CANDIDATES_PER_RESULT = 2

    def match(self, terms: list[Term], operator: str, filters, limit: int) -> list[int]:
        """Ids of the best `limit` matches, best first, in two passes.

        A common word or phrase matches a third of the entries and more, and ranking every
        match grew with them: 170 to 290 ms for "neck pain" or "stiff nek" at 100,000
        articles. So, as on SQLite, at most about CANDIDATES matches are ranked: the newest
        (read by article id, a window of entries at a time, `_newest_matches`), and, when
        there are more, the newest CANDIDATES with the words in their titles (an older
        article named for the words is still found). With fewer matches, every match is
        ranked. They are put in order by their small key_vector (title, symptoms,
        headings), and the best `limit` that pass the filters (published, and the reader's:
        checked by key, where a condition on every match read the whole article table) are
        put in order by the full search_vector.
        """
        query_sql, query_params = self._tsquery(terms, "&&" if operator == "AND" else "||")
        wanted = limit * self.CANDIDATES_PER_RESULT
        with connection.cursor() as cursor:
            best_first, complete = self._best_by_key(cursor, query_sql, query_params, wanted)
        candidates = filters.keep(best_first[:wanted], self)
        if len(candidates) < limit and len(best_first) > wanted:
            candidates = filters.keep(best_first, self)
        if len(candidates) < limit and not complete:
            # The reader's filters left fewer than a page of the candidates (a narrow symptom
            # with a common word): every match passing them is ranked (slower, and rare).
            candidates = self._filtered_candidates(query_sql, query_params, filters, limit)
        candidates = candidates[:limit]
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

    def _best_by_key(self, cursor, query_sql: str, query_params: list, wanted: int):
        """Matches best first by their key_vector: at least the best `wanted` of those
        considered; and whether the list is complete (every match considered, and listed).

        With fewer entries than RANK_EVERY_MATCH_BELOW, every match is considered: the GIN
        index lists them for less than windows would cost (at 10,000 articles, a third more),
        and only the best `wanted` are returned. Otherwise, the newest matches
        (`_newest_matches`) and, if there are more, the newest CANDIDATES named for the words.
        """
        oldest, newest = self._entry_ids(cursor)
        if newest is None:
            return [], True
        if newest - oldest < self.RANK_EVERY_MATCH_BELOW:
            cursor.execute(
                f"SELECT m.article_id FROM ({query_sql}) q(query), "
                "conditions_search_matches(q.query, %s::real[]) m "
                "ORDER BY m.key_rank DESC, m.article_id LIMIT %s",
                [*query_params, self.WEIGHTS, wanted],
            )
            best_first = [row[0] for row in cursor.fetchall()]
            return best_first, len(best_first) < wanted
        scores, capped = self._newest_matches(cursor, query_sql, query_params, oldest, newest)
        if capped:
            for article_id, score in self._rows(
                cursor, query_sql, query_params, "conditions_search_titles", self.CANDIDATES
            ):
                scores.setdefault(article_id, score)
        best_first = sorted(scores, key=lambda article_id: (-scores[article_id], article_id))
        return best_first, not capped

    def _entry_ids(self, cursor) -> tuple[int | None, int | None]:
        """The lowest and highest article id of the search entries: read once per search (this
        object serves one), as a search that finds little matches twice or three times."""
        if not hasattr(self, "_ids"):
            cursor.execute("SELECT min(article_id), max(article_id) FROM conditions_searchentry")
            self._ids = cursor.fetchone()
        return self._ids

    def _newest_matches(self, cursor, query_sql: str, query_params: list, oldest: int, newest: int):
        """The key ranks of the newest CANDIDATES (or a few more) matches, and whether older
        matches were left out.

        Read a window of entries at a time by article id, newest first, each entry checked
        by its vector (conditions_search_window): a common word's newest matches cost a few
        thousand checks, where the GIN index would list every match of the word first. Once
        the windows show matches to be rare, every older match comes from the GIN index
        (conditions_search_older_matches), as there are few. Article ids are given in the
        order articles are made, so the newest matches are those with the highest ids.
        """
        scores = {}
        high, window = newest, self.FIRST_WINDOW
        for _ in range(self.MAX_WINDOWS):
            if window > self.MAX_WINDOW:
                break
            low = max(oldest, high - window + 1)
            scores.update(
                self._rows(cursor, query_sql, query_params, "conditions_search_window", low, high)
            )
            high = low - 1
            if high < oldest:
                return scores, False
            if len(scores) >= self.CANDIDATES:
                return scores, True
            share = len(scores) / (newest - high)
            missing = self.CANDIDATES - len(scores)
            window = int(missing * 1.25 / share) if share else self.MAX_WINDOW + 1
        scores.update(
            self._rows(cursor, query_sql, query_params, "conditions_search_older_matches", high)
        )
        return scores, False

    def _rows(self, cursor, query_sql: str, query_params: list, function: str, *arguments):
        """(article id, key rank) rows of one of the search functions (migration 0027)."""
        placeholders = "".join(", %s" for _ in arguments)
        cursor.execute(
            f"SELECT m.article_id, m.key_rank FROM ({query_sql}) q(query), "
            f"{function}(q.query, %s::real[]{placeholders}) m",
            [*query_params, self.WEIGHTS, *arguments],
        )
        return cursor.fetchall()

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
    def among(field: str, article_ids: list[int]) -> "AnyOf":
        """A condition for `filter()`: `field` is one of `article_ids`, as `= ANY(array)`. As
        `IN (…)`, 600 parameters took longer to plan than to run; as `IN (SELECT unnest(…))`,
        the planner took 300 ids for 200 and read the whole article–symptom table."""
        return AnyOf(F(field), Value(_array(article_ids)))

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


class AnyOf(Func):
    """`field = ANY(array)`, a condition `filter()` takes (see `PostgreSQLSearch.among`)."""

    arg_joiner = " = ANY("
    template = "(%(expressions)s::bigint[]))"
    output_field = BooleanField()
