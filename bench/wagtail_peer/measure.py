"""Time pages of the Wagtail peer site through Django's WSGI handler, in this process (run by
bench/peer_bench.py with the peer's virtualenv): prints {url: [ms, …]} as JSON.

    PEER_DATABASE_URL=sqlite:////tmp/peer.sqlite3 python measure.py --runs 21 URL ...

Every request renders from the database: the peer site has no page cache, as Wagtail has
none unless one is added (wagtail-cache, a CDN).
"""

import argparse
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # bench/: in_process.py
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "peer_site.settings")

import django  # noqa: E402

django.setup()

import in_process  # noqa: E402
from django.core.handlers.wsgi import WSGIHandler  # noqa: E402

HANDLER = WSGIHandler()


def get(url: str) -> tuple[int, bytes]:
    status, _, body = in_process.get(HANDLER, url)
    return status, body


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=21)
    parser.add_argument("urls", nargs="+")
    arguments = parser.parse_args()
    sizes, found = {}, {}
    for url in arguments.urls:
        status, body = get(url)  # warm up (templates, query plans)
        if status != 200:
            raise SystemExit(f"{url} answered {status}")
        sizes[url] = len(body)
        found[url] = in_process.search_count_text(body)
    times = {url: [] for url in arguments.urls}
    for _ in range(arguments.runs):
        for url in arguments.urls:  # interleaved, as bench/symptom_pages_bench.py does
            began = time.perf_counter()
            get(url)
            times[url].append((time.perf_counter() - began) * 1000)
    print(json.dumps({"times": times, "bytes": sizes, "found": found}))


if __name__ == "__main__":
    main()
