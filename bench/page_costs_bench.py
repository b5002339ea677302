"""What each public page type costs to render, uncached, on a database already filled.

    DATABASE_URL=... .venv/bin/python bench/page_costs_bench.py [--runs 5]

For the home page, an article of each kind, the largest symptom page (narrowed once, and its
further symptoms), the A–Z lists and the sitemaps: the page's queries and the median CPU
time and wall-clock time of `--runs` requests, each with every cache emptied first (the
shared cache and each worker's ready pages), so every part kept "until content changes" is
worked out again, as on the first request after an edit. Every answer's X-Cache header is
checked to be a miss. Run it on databases of 1,000, 10,000 and 100,000 articles
(`generate_demo_content N`) to see how each page grows. CPU time is this process's: on
SQLite it includes the database's work, on PostgreSQL not (the wall-clock time does).
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "neckinfo.settings")
os.environ.setdefault("DJANGO_SECRET_KEY", "page-costs-bench-" + "x" * 40)
os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "testserver")
os.environ["DJANGO_DEBUG"] = "0"
os.environ["DJANGO_SECURE"] = "0"  # plain HTTP in the process: no redirect to HTTPS

import django  # noqa: E402

django.setup()

from django.core.cache import cache  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402

from conditions.caching import WORKER_PAGES  # noqa: E402
from conditions.models import Article, ConditionArticle, FaqArticle, Symptom  # noqa: E402
from conditions.views import FAQS_PER_PAGE  # noqa: E402


def page_urls() -> list[str]:
    condition = ConditionArticle.objects.published().order_by("-pk").first()
    faq = FaqArticle.objects.published().order_by("-pk").first()
    largest = Symptom.objects.in_use().order_by("-article_count").first()
    second = Symptom.objects.in_use().exclude(pk=largest.pk).order_by("-article_count").first()
    faqs = Article.objects.published().filter(kind=Article.Kind.FAQ).count()
    last_faq_page = max(1, -(-faqs // FAQS_PER_PAGE))
    return [
        "/",
        condition.get_absolute_url(),
        faq.get_absolute_url(),
        f"/symptoms/{largest.slug}/",
        f"/symptoms/{largest.slug}/?with={second.slug}",
        f"/symptoms/{largest.slug}/further-symptoms/",
        "/symptoms/",
        "/conditions/",
        "/faqs/",
        f"/faqs/?page={last_faq_page}",
        "/sitemap.xml",
        "/sitemap-conditions.xml",
    ]


def uncached(client: Client, url: str):
    cache.clear()
    WORKER_PAGES.clear()  # the pages each worker keeps ready to send outlive cache.clear()
    queries = []
    with connection.execute_wrapper(lambda execute, *args: queries.append(1) or execute(*args)):
        began, began_cpu = time.perf_counter(), time.process_time()
        response = client.get(url)
        cpu, wall = time.process_time() - began_cpu, time.perf_counter() - began
    if response.status_code != 200 or response.get("X-Cache") not in ("miss", None):
        raise SystemExit(f"{url}: {response.status_code}, X-Cache {response.get('X-Cache')}")
    return cpu * 1000, wall * 1000, len(queries), len(response.content)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    options = parser.parse_args()
    client = Client()
    articles = Article.objects.published().count()
    print(
        f"{connection.vendor}, {articles:,} published articles, load average "
        f"{os.getloadavg()[0]:.1f}, median of {options.runs} uncached requests\n"
    )
    print("| page | CPU ms | wall ms | queries | KB |")
    print("| --- | --: | --: | --: | --: |")
    for url in page_urls():
        uncached(client, url)  # warm: templates, connections
        runs = [uncached(client, url) for _ in range(options.runs)]
        cpu = statistics.median(run[0] for run in runs)
        wall = statistics.median(run[1] for run in runs)
        print(f"| `{url}` | {cpu:.1f} | {wall:.1f} | {runs[0][2]} | {runs[0][3] / 1024:.0f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
