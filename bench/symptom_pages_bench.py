"""Render time, size and queries of the symptom pages, each request a checked cache miss.

    DATABASE_URL=sqlite:////tmp/symptoms.sqlite3 DJANGO_DEBUG=1 \
        .venv/bin/python manage.py generate_demo_content 10000   # after `migrate`, once
    DATABASE_URL=sqlite:////tmp/symptoms.sqlite3 .venv/bin/python bench/symptom_pages_bench.py \
        [--runs 21] [--profile URL] [--json] [URL ...]

The pages measured, unless URLs are given: an article page (what the others are compared
with), the symptom with the most published articles, that symptom narrowed by the symptom
most of its articles share (and by two), its 50th page, the full list of further symptoms
for it and for the narrowed page, and the symptoms A to Z.

Each page is requested through Django's WSGI handler (what gunicorn calls), in this process,
with production settings (debug off) and the page cache on, in local memory. The cache is
emptied before every request (outside the timing) and the response's X-Cache header is
checked to be "miss": every figure is a page rendered from the database, as a crawler, the
first reader after a content change, or a rare narrowing gets it. It prints a Markdown table:
median and slowest time, bytes, gzip-compressed bytes and queries, with the machine's load;
with --json, every request's time and each page's bytes, for bench/peer_bench.py.
"""

import argparse
import cProfile
import gzip
import json
import os
import pstats
import statistics
import sys
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))
sys.path.insert(0, str(PROJECT / "bench"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "neckinfo.settings")
# Production settings (debug off: no query log, no debug pages), over plain HTTP on loopback;
# the page cache in this process's memory, so that emptying it is certain.
os.environ.update(
    DJANGO_DEBUG="0",
    DJANGO_SECURE="0",
    DJANGO_SECRET_KEY="bench-only-" + "x" * 50,
    DJANGO_ALLOWED_HOSTS="127.0.0.1",
    DJANGO_PAGE_CACHE="1",
)
os.environ.pop("REDIS_URL", None)

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402

call_command("collectstatic", interactive=False, verbosity=0)  # the manifest, with debug off

import in_process  # noqa: E402
from django.core.cache import cache  # noqa: E402
from django.core.handlers.wsgi import WSGIHandler  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from conditions.caching import WORKER_PAGES  # noqa: E402
from conditions.models import Article, Symptom  # noqa: E402
from conditions.narrowing import shared_symptom_counts  # noqa: E402

HANDLER = WSGIHandler()


def get(url: str) -> tuple[int, dict, bytes]:
    return in_process.get(HANDLER, url)


def empty_page_cache() -> None:
    """Every cached page gone: the shared cache's and the copies this worker keeps ready to
    send, which outlive `cache.clear()`."""
    cache.clear()
    WORKER_PAGES.clear()


def get_uncached(url: str) -> tuple[float, float, int, bytes]:
    """One request for `url` with the page cache emptied first: (ms, CPU ms, status, body).

    The CPU time is this process's: with SQLite it includes the database's work, with
    PostgreSQL not. On a busy machine it is steadier than the time on the clock.
    """
    empty_page_cache()
    began, began_cpu = time.perf_counter(), time.process_time()
    status, headers, body = get(url)
    elapsed = (time.perf_counter() - began) * 1000
    cpu = (time.process_time() - began_cpu) * 1000
    if status == 200 and headers.get("X-Cache") != "miss":
        raise SystemExit(f"{url} was not a cache miss (X-Cache: {headers.get('X-Cache')})")
    return elapsed, cpu, status, body


def default_urls() -> list[str]:
    """The largest symptom page, narrowed once and twice, and each one's further symptoms."""
    published = Article.objects.published()
    # From the kept counts: counting them from the article–symptom table twice over took
    # minutes at 100,000 articles.
    counts = shared_symptom_counts()
    largest = Symptom.objects.get(pk=max(counts, key=lambda pk: (counts[pk], -pk)))
    shared_with_it = shared_symptom_counts(largest)
    del shared_with_it[largest.pk]
    most_shared = sorted(shared_with_it, key=lambda pk: (-shared_with_it[pk], pk))[:2]
    shared = [Symptom.objects.get(pk=pk) for pk in most_shared]
    base = f"/symptoms/{largest.slug}/"
    narrowed = f"{base}?with={shared[0].slug}"
    narrowed_twice = f"{narrowed}&with={shared[1].slug}"
    # For comparison: an article page, which the symptom pages should cost no more than.
    article = published.order_by("pk").first()
    return [
        article.get_absolute_url(),
        base,
        narrowed,
        narrowed_twice,
        f"{base}?page=50",
        f"/symptoms/{largest.slug}/further-symptoms/",
        f"/symptoms/{largest.slug}/further-symptoms/?with={shared[0].slug}",
        "/symptoms/",
    ]


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} {five:.2f} {fifteen:.2f} on {os.cpu_count()} CPUs"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=21)
    parser.add_argument("--profile", metavar="URL", help="print where one page's time goes")
    parser.add_argument(
        "--json", action="store_true", help="print each page's times as JSON (bench/peer_bench.py)"
    )
    parser.add_argument("urls", nargs="*")
    arguments = parser.parse_args()

    if arguments.profile:
        get_uncached(arguments.profile)
        profiler = cProfile.Profile()
        for _ in range(5):
            empty_page_cache()
            profiler.runcall(get, arguments.profile)
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(40)
        pstats.Stats(profiler).sort_stats("tottime").print_stats(25)
        return

    urls = arguments.urls or default_urls()
    articles = Article.objects.published().count()
    if not arguments.json:
        print(f"Database: {connection.vendor}, {articles} published articles")
        print(f"Load average before: {load()}\n")
    for url in urls:
        get_uncached(url)  # warm up (templates, query plans)
    # Interleaved: each round requests every page once, so a change in the machine's load
    # falls on all pages alike.
    times = {url: [] for url in urls}
    cpu_times = {url: [] for url in urls}
    for _ in range(arguments.runs):
        for url in urls:
            elapsed, cpu, status, body = get_uncached(url)
            times[url].append(elapsed)
            cpu_times[url].append(cpu)
    if arguments.json:
        answers = {url: get(url) for url in urls}
        print(
            json.dumps(
                {
                    "times": times,
                    "bytes": {url: len(body) for url, (_, _, body) in answers.items()},
                    "statuses": {url: status for url, (status, _, _) in answers.items()},
                    "found": {
                        url: in_process.search_count_text(body)
                        for url, (_, _, body) in answers.items()
                    },
                }
            )
        )
        return
    print("| page | status | median ms | slowest ms | median CPU ms | KB | gzip KB | queries |")
    print("| --- | --: | --: | --: | --: | --: | --: | --: |")
    for url in urls:
        empty_page_cache()
        with CaptureQueriesContext(connection) as queries:
            status, _, body = get(url)
        print(
            f"| `{url}` | {status} | {statistics.median(times[url]):.1f} | {max(times[url]):.1f} "
            f"| {statistics.median(cpu_times[url]):.1f} "
            f"| {len(body) / 1024:.0f} | {len(gzip.compress(body)) / 1024:.1f} "
            f"| {len(queries)} |"
        )
    print(f"\nLoad average after: {load()}")


if __name__ == "__main__":
    main()
