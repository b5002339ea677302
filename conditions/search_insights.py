"""What readers search for, and what they don't find: anonymous counts of searches, and the
editors' reports on them.

Only the normalised words are kept, per day, with how many times they were searched and how
many articles the last search found (`SearchCount`): no address, cookie, user agent or user.

Search pages are mostly served from the page cache, where the view never runs, so the count
is taken by conditions.caching for every search page it serves (a hit or a miss): the view
marks its page with what to count (`mark_countable`), and the mark is stored with the
cached page. Each app process adds the counts up in memory and writes them in one batched
statement at most every SEARCH_LOG_FLUSH_SECONDS, and when it exits: a cached page hit costs
no query. A process killed outright loses at most that last minute of counts, which is
acceptable for what is only a guide to what readers look for.
"""

import atexit
import logging
import threading
import time
from dataclasses import dataclass
from datetime import date, timedelta

from django.conf import settings
from django.db import Error, connection, transaction
from django.db.models import Max, OuterRef, Subquery, Sum
from django.utils import timezone

from conditions.models import SearchCount

logger = logging.getLogger(__name__)

# Longer than this is not a reader's query (a bot's, or text pasted by mistake): not counted.
# Not cut short either, as that would count words nobody typed.
MAX_COUNTED_QUERY_LENGTH = SearchCount._meta.get_field("query").max_length
# Different queries a process holds before it writes them, whatever the time: bounds its memory
# when a bot searches for thousands of made-up words.
MAX_HELD_QUERIES = 5000
# After the database failed to take the counts, how long searches are only held, not written.
RETRY_AFTER_FAILURE_SECONDS = 30.0
# The periods the reports cover, in days.
REPORT_PERIODS = (7, 30, 90)
REPORT_ROWS = 50


def normalised_query(text: str) -> str:
    """The query as it is counted and matched to promoted results: lower case, one space
    between words; "" if it is empty or too long to be a reader's."""
    words = " ".join(text.casefold().split())
    return words if len(words) <= MAX_COUNTED_QUERY_LENGTH else ""


def mark_countable(response, query: str, results: int) -> None:
    """Mark a search page as a reader's search to count each time it is served (see
    conditions.caching), with the number of articles it found."""
    words = normalised_query(query)
    if words:
        response.counted_search = (words, results)


class SearchCounter:
    """This process's counts not yet written: {(query, day): [searches, last results]}."""

    def __init__(self):
        self.lock = threading.Lock()
        self.held: dict[tuple[str, date], list[int]] = {}
        self.last_written = time.monotonic()
        # After the database failed to take the counts, when to try again (not on every search).
        self.retry_after = 0.0
        self.last_purged: date | None = None

    def count(self, query: str, results: int) -> None:
        key = (query, timezone.localdate())
        now = time.monotonic()
        with self.lock:
            if key not in self.held and len(self.held) >= MAX_HELD_QUERIES:
                return  # full, and the database not taking them: this one goes uncounted
            tally = self.held.setdefault(key, [0, 0])
            tally[0] += 1
            tally[1] = results
            due = now >= self.retry_after and (
                len(self.held) >= MAX_HELD_QUERIES
                or (
                    settings.SEARCH_LOG_FLUSH_SECONDS is not None
                    and now - self.last_written >= settings.SEARCH_LOG_FLUSH_SECONDS
                )
            )
        if due:
            self.flush()

    def flush(self) -> int:
        """Write the counts held in one statement; how many rows it wrote. If the database
        can't take them, they are kept for the next time."""
        with self.lock:
            held, self.held = self.held, {}
            self.last_written = time.monotonic()
        if not held:
            return 0
        rows = [
            (query, day, searches, results) for (query, day), (searches, results) in held.items()
        ]
        try:
            with transaction.atomic():
                _add_counts(rows)
                self._purge_daily()
        except Error:  # the database down or its connection lost (InterfaceError too)
            logger.warning("Could not write %d search counts; keeping them.", len(rows))
            with self.lock:
                self.retry_after = time.monotonic() + RETRY_AFTER_FAILURE_SECONDS
                for key, (searches, results) in held.items():
                    tally = self.held.setdefault(key, [0, results])
                    tally[0] += searches
            return 0
        return len(rows)

    def _purge_daily(self) -> None:
        # So that old counts go even where nobody runs purge_search_log: once a day per process.
        today = timezone.localdate()
        if self.last_purged != today:
            purge_expired_counts()
            self.last_purged = today


def _add_counts(rows: list[tuple[str, date, int, int]]) -> None:
    """Add searches to the stored counts, in one statement for all rows (SQLite and
    PostgreSQL both take ON CONFLICT ... DO UPDATE)."""
    table = connection.ops.quote_name(SearchCount._meta.db_table)
    with connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {table} (query, day, searches, results) VALUES (%s, %s, %s, %s) "
            f"ON CONFLICT (query, day) DO UPDATE SET "
            f"searches = {table}.searches + excluded.searches, results = excluded.results",
            rows,
        )


COUNTER = SearchCounter()


def count_search(request, counted: tuple[str, int] | None) -> None:
    """Count a served search page marked by `mark_countable` (None: not a countable page).

    Signed-in people's searches are not readers' (editors trying a page out), nor is a HEAD
    request (a link checker's).
    """
    if counted and request.method == "GET" and settings.SESSION_COOKIE_NAME not in request.COOKIES:
        COUNTER.count(*counted)


def flush_search_counts() -> int:
    """Write this process's held counts now; how many rows were written."""
    return COUNTER.flush()


def _flush_at_exit() -> None:
    if settings.SEARCH_LOG_FLUSH_SECONDS is None:
        return  # tests: their database is gone by now
    try:
        COUNTER.flush()
    except Exception:  # the process is ending: never fail its exit over analytics
        logger.exception("Could not write search counts at exit.")


atexit.register(_flush_at_exit)


def purge_expired_counts() -> int:
    """Delete counts older than SEARCH_LOG_RETENTION_DAYS; how many rows went."""
    oldest_kept = timezone.localdate() - timedelta(days=settings.SEARCH_LOG_RETENTION_DAYS - 1)
    deleted, _ = SearchCount.objects.filter(day__lt=oldest_kept).delete()
    return deleted


# The editors' reports.


@dataclass
class SearchReport:
    """What readers searched for over the last `days` days."""

    days: int
    # Each a list of {"query", "searches", "results"} (results: found by the latest search).
    found_nothing: list[dict]
    most_searched: list[dict]


def search_report(days: int) -> SearchReport:
    """The searches that found nothing, and the most searched, over the last `days` days,
    each a single query."""
    per_query = _per_query(days)
    return SearchReport(
        days=days,
        found_nothing=list(per_query.filter(results=0)[:REPORT_ROWS]),
        most_searched=list(per_query[:REPORT_ROWS]),
    )


def searches_that_found_nothing(days: int = 7) -> int:
    """How many different queries found nothing when last searched in the last `days` days
    (for the admin's home page)."""
    return _per_query(days).filter(results=0).count()


def _per_query(days: int):
    """Each query searched in the last `days` days: its searches in all, and the results
    its latest search found, most searched first."""
    since = timezone.localdate() - timedelta(days=days - 1)
    latest_results = Subquery(
        SearchCount.objects.filter(query=OuterRef("query"), day__gte=since)
        .order_by("-day")
        .values("results")[:1]
    )
    return (
        SearchCount.objects.filter(day__gte=since)
        .values("query")
        .annotate(searches=Sum("searches"), results=latest_results, last_day=Max("day"))
        .order_by("-searches", "query")
    )
