"""Time pages of the Wagtail peer site through Django's WSGI handler, in this process (run by
bench/peer_bench.py with the peer's virtualenv): prints {url: [ms, …]} as JSON.

    PEER_DATABASE_URL=sqlite:////tmp/peer.sqlite3 python measure.py --runs 21 URL ...

Every request renders from the database: the peer site has no page cache, as Wagtail has
none unless one is added (wagtail-cache, a CDN).
"""

import argparse
import io
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "peer_site.settings")

import django  # noqa: E402

django.setup()

from django.core.handlers.wsgi import WSGIHandler  # noqa: E402

HANDLER = WSGIHandler()


def get(url: str) -> tuple[int, bytes]:
    path, _, query = url.partition("?")
    environ = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "80",
        "HTTP_HOST": "127.0.0.1",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(),
        "wsgi.errors": sys.stderr,
    }
    started = []
    body = b"".join(HANDLER(environ, lambda status, headers: started.append(status)))
    return int(started[0].split()[0]), body


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=21)
    parser.add_argument("urls", nargs="+")
    arguments = parser.parse_args()
    sizes = {}
    for url in arguments.urls:
        status, body = get(url)  # warm up (templates, query plans)
        if status != 200:
            raise SystemExit(f"{url} answered {status}")
        sizes[url] = len(body)
    times = {url: [] for url in arguments.urls}
    for _ in range(arguments.runs):
        for url in arguments.urls:  # interleaved, as bench/symptom_pages_bench.py does
            began = time.perf_counter()
            get(url)
            times[url].append((time.perf_counter() - began) * 1000)
    print(json.dumps({"times": times, "bytes": sizes}))


if __name__ == "__main__":
    main()
