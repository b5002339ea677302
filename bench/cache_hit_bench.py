"""What a cached page costs a worker, measured in the process: this code against an earlier
commit, with each worker's own cache (SQLite) and with Redis.

    .venv/bin/python bench/cache_hit_bench.py [--commit 4bb598d] [--articles 1000]
                                              [--requests 2000] [--rounds 3]

wrk through gunicorn (bench/load_bench.py) is what readers get, but on a shared 2-core
machine its figures swing with everyone else's load. Here the WSGI application gunicorn runs
is called directly, with the request a browser sends (no network, no server), and the
worker's own CPU time is counted (time.process_time: what others run on the machine barely
moves it), per request, for the static file and for the cached pages the load benchmark
uses: the home page, a condition page, a narrowed symptom page, a search. Each code gets a
database of its own (migrated, `generate_demo_content`), and the measurements take turns:
earlier code, this code, each with its own cache and with Redis, --rounds times over; each
figure is the median of its rounds. With Redis, the database is still SQLite (a hit reads the
content version from Redis, not the database), Redis database 11, emptied first; a wait for
Redis is not CPU time, so the wall-clock time is given too.

It prints a Markdown table; bench/RESULTS-cache.md quotes it.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # bench/, when loaded by path
from load_bench import FIND_PAGES, copy_of_project, manage  # noqa: E402

REDIS_URL = "redis://127.0.0.1:6379/11"

# Run in the served code's folder, with its settings: the cost of each page, per request.
MEASURE = r"""
import io, json, os, statistics, sys, time
sys.path.insert(0, os.getcwd())
from django.core.wsgi import get_wsgi_application
from django.contrib.staticfiles.storage import staticfiles_storage

application = get_wsgi_application()
pages = json.loads(sys.argv[1])
requests = int(sys.argv[2])

def environ(address):
    path, _, query = address.partition("?")
    return {"REQUEST_METHOD": "GET", "PATH_INFO": path, "QUERY_STRING": query,
            "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "8000", "HTTP_HOST": "127.0.0.1",
            "SERVER_PROTOCOL": "HTTP/1.1", "wsgi.url_scheme": "http",
            "wsgi.input": io.BytesIO(b""), "wsgi.errors": sys.stderr,
            "HTTP_USER_AGENT": "cache-hit-bench", "HTTP_ACCEPT": "text/html"}

def get(address):
    answer = []
    body = application(environ(address), lambda status, headers: answer.extend([status, headers]))
    b"".join(body)
    body.close()  # what the server does: Django's request_finished runs here
    return answer[0], dict(answer[1]).get("X-Cache")

pages["static file"] = staticfiles_storage.url("css/site.css")
costs = {}
for name, address in pages.items():
    for _ in range(3):
        status, x_cache = get(address)  # the first renders and stores the page
    assert status.startswith("200"), (address, status)
    assert (x_cache == "hit") != (name == "static file"), (address, x_cache)
    cpu, wall = time.process_time(), time.perf_counter()
    for _ in range(requests):
        get(address)
    costs[name] = {"cpu_us": (time.process_time() - cpu) / requests * 1e6,
                   "wall_us": (time.perf_counter() - wall) / requests * 1e6}
print(json.dumps(costs))
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--commit", default="4bb598d", help="The earlier code (default 4bb598d).")
    parser.add_argument("--articles", type=int, default=1000)
    parser.add_argument("--requests", type=int, default=2000, help="Per page and measurement.")
    parser.add_argument("--rounds", type=int, default=3)
    options = parser.parse_args()

    import redis

    with tempfile.TemporaryDirectory(prefix="neckinfo-cache-hit-bench-") as scratch:
        codes = {}
        for label, commit in [(f"commit {options.commit}", options.commit), ("this code", None)]:
            folder = Path(scratch) / label.replace(" ", "-")
            folder.mkdir()
            code = copy_of_project(folder, commit)
            env = environment(code, folder)
            manage(env, "migrate", "--noinput", "--verbosity", "0")
            manage(env, "generate_demo_content", str(options.articles))
            manage(env, "collectstatic", "--noinput", "--verbosity", "0")
            pages = json.loads(manage(env, "shell", "-c", FIND_PAGES).strip().splitlines()[-1])
            pages = {
                "home": "/",
                "condition": pages["condition"],
                "symptom + 2 narrowing": pages["symptom"],
                "search": pages["search"],
            }
            codes[label] = (env, pages)
            print(f"{label}: ready", flush=True)

        results: dict[tuple[str, str], list[dict]] = {}
        for round_number in range(1, options.rounds + 1):
            for cache in ["own memory", "Redis"]:
                for label, (env, pages) in codes.items():
                    run_env = dict(env)
                    if cache == "Redis":
                        redis.Redis.from_url(REDIS_URL).flushdb()
                        run_env["REDIS_URL"] = REDIS_URL
                    finished = subprocess.run(
                        [sys.executable, "-c", MEASURE, json.dumps(pages), str(options.requests)],
                        env=run_env, cwd=env["PWD"], capture_output=True, text=True, check=True,
                    )  # fmt: skip
                    costs = json.loads(finished.stdout.strip().splitlines()[-1])
                    results.setdefault((cache, label), []).append(costs)
                    print(f"round {round_number}, {cache}, {label}: {costs}", flush=True)
    print()
    print(table(results, options))
    return 0


def environment(code: Path, folder: Path) -> dict:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "DATABASE_URL", "REDIS_URL"))
    }
    env.update(
        DJANGO_SETTINGS_MODULE="neckinfo.settings",
        DJANGO_DEBUG="0",
        DJANGO_SECURE="0",
        DJANGO_SECRET_KEY="bench",
        DJANGO_ALLOWED_HOSTS="127.0.0.1",
        DJANGO_CACHE_PREFIX=f"cache-hit-bench-{folder.name}",
        DATABASE_URL=f"sqlite:///{folder}/bench.sqlite3",
        PWD=str(code),
    )
    return env


def table(results: dict, options) -> str:
    names = list(next(iter(results.values()))[0])
    lines = [
        f"`bench/cache_hit_bench.py --commit {options.commit} --articles {options.articles} "
        f"--requests {options.requests} --rounds {options.rounds}`: CPU µs per request in the "
        "worker (wall-clock µs in brackets), median of the rounds.\n",
        "| page | " + " | ".join(f"{cache}, {label}" for cache, label in results) + " |",
        "| --- |" + " ---: |" * len(results),
    ]
    for name in names:
        cells = []
        for runs in results.values():
            cpu = statistics.median(run[name]["cpu_us"] for run in runs)
            wall = statistics.median(run[name]["wall_us"] for run in runs)
            cells.append(f"{cpu:.0f} ({wall:.0f})")
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
