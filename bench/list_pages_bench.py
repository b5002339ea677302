"""Render time, size and queries of the long public lists, on a database you already filled.

    DATABASE_URL=sqlite:////tmp/lists.sqlite3 DJANGO_DEBUG=1 \
        .venv/bin/python manage.py generate_demo_content 10000   # after `migrate`, once
    DATABASE_URL=sqlite:////tmp/lists.sqlite3 .venv/bin/python bench/list_pages_bench.py \
        [--runs 7] [--hits 5000] [--whole-sitemap-sections] [URL ...]

Each page is requested through Django's WSGI handler (what gunicorn calls), in this process:
uncached (the page cache switched off: every request renders from the database) and, with
the cache on, as a cache hit, both with and without ignored query parameters. It prints a
Markdown table: median and slowest time, bytes, gzip-compressed bytes, and queries.
"""

import argparse
import gzip
import os
import statistics
import sys
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))
sys.path.insert(0, str(PROJECT / "bench"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "neckinfo.settings")
# Production settings (debug off: no query log, no debug pages), over plain HTTP on loopback.
os.environ.update(
    DJANGO_DEBUG="0",
    DJANGO_SECURE="0",
    DJANGO_SECRET_KEY="bench-only-" + "x" * 50,
    DJANGO_ALLOWED_HOSTS="127.0.0.1",
)

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402

call_command("collectstatic", interactive=False, verbosity=0)  # the manifest, with debug off

import in_process  # noqa: E402
from django.conf import settings  # noqa: E402
from django.core.cache import cache  # noqa: E402
from django.core.handlers.wsgi import WSGIHandler  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

DEFAULT_URLS = [
    "/conditions/",
    "/conditions/?page=35",
    "/faqs/",
    "/faqs/?page=30",
    "/symptoms/",
    "/sitemap.xml",
    "/sitemap-pages.xml",
    "/sitemap-conditions.xml",
    "/sitemap-conditions.xml?p=2",
    "/sitemap-faqs.xml",
    "/sitemap-symptoms.xml",
]
# Cache hits on a small page: without a query string, and with one the page ignores or reads.
HIT_URLS = ["/", "/?fbclid=IwAR0abc", "/search/?q=neck", "/search/?q=neck&fbclid=IwAR0abc"]
HANDLER = WSGIHandler()


def get(url: str) -> tuple[int, bytes]:
    status, _, body = in_process.get(HANDLER, url)
    return status, body


def timed(url: str, runs: int) -> tuple[list[float], int, bytes]:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        status, body = get(url)
        times.append((time.perf_counter() - started) * 1000)
    return times, status, body


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--hits", type=int, default=5000)
    parser.add_argument(
        "--whole-sitemap-sections", action="store_true", help="also time a 7,000-address page"
    )
    parser.add_argument("urls", nargs="*", default=DEFAULT_URLS)
    arguments = parser.parse_args()

    print(f"Database: {connection.vendor}, {connection.settings_dict['NAME']}\n")
    print("| page | status | uncached median ms | slowest ms | KB | gzip KB | queries |")
    print("| --- | --: | --: | --: | --: | --: | --: |")
    settings.PUBLIC_PAGE_CACHE = False
    for url in arguments.urls:
        get(url)  # warm up (templates, query plans)
        times, status, body = timed(url, arguments.runs)
        with CaptureQueriesContext(connection) as queries:
            get(url)
        print(
            f"| `{url}` | {status} | {statistics.median(times):.1f} | {max(times):.1f} "
            f"| {len(body) / 1024:.0f} | {len(gzip.compress(body)) / 1024:.0f} "
            f"| {len(queries)} |"
        )

    if arguments.whole_sitemap_sections:
        # What a section page of the protocol's 50,000 addresses would cost: the conditions
        # section (7,000 at 10,000 articles) as one page, per address.
        from conditions.sitemaps import ArticleSitemap

        ArticleSitemap.limit = 50_000
        url = "/sitemap-conditions.xml"
        get(url)
        times, status, body = timed(url, arguments.runs)
        addresses = body.count(b"<url>")
        per_address = statistics.median(times) / addresses
        print(
            f"\nOne sitemap page of all {addresses} conditions: {statistics.median(times):.0f} ms, "
            f"{per_address * 1000:.0f} µs an address: 50,000 would take "
            f"{per_address * 50_000 / 1000:.1f} s and weigh "
            f"{len(body) / addresses * 50_000 / 1024 / 1024:.1f} MB"
        )

    settings.PUBLIC_PAGE_CACHE = True
    print(f"\nCache hits (µs per request, median of {arguments.hits}):\n")
    print("| page | hit µs |")
    print("| --- | --: |")
    for url in HIT_URLS:
        cache.clear()
        get(url)
        times, status, _ = timed(url, arguments.hits)
        print(f"| `{url}` | {statistics.median(times) * 1000:.0f} (status {status}) |")


if __name__ == "__main__":
    main()
