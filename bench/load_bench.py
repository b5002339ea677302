"""Throughput and latency of the production server under load, on SQLite and on PostgreSQL.

    .venv/bin/python bench/load_bench.py [--articles 10000] [--duration 10] [--connections 16]
                                         [--rounds 3]
                                         [--backend sqlite|postgres|both] [--check]
                                         [--cached-only] [--commit COMMIT]
                                         [--results FILE] [--postgres-url URL] [--redis-url URL]

For each database it creates a fresh one (a temporary SQLite file with each worker's own
in-memory page cache; the PostgreSQL database `neckinfo_load_bench`, dropped and created again,
with Redis database 14, emptied, as the shared page cache), migrates it, fills it with
`generate_demo_content`, collects the static files, and serves it as in production:
`gunicorn -c gunicorn.conf.py` with 2 workers, debug off, on plain HTTP (DJANGO_SECURE=0).
`wrk` (apt-get install -y wrk) then drives it from loopback, one page at a time, after a
warm-up: the home page, a condition page, a symptom page narrowed by two more symptoms, a
search, each from the page cache, and, as the ceiling, the site's CSS file through whitenoise.

The condition, symptom and search pages "uncached" come from a second server, started only
after the first is stopped (the two never share the cores): the same command and settings plus
DJANGO_PAGE_CACHE=0, which switches the public page cache off, so every page is rendered from
the database (checked once before its runs: its answers must carry no X-Cache header). The
uncached condition page is loaded at three concurrency levels: 1 connection, one per worker
(2), and --connections. wrk is closed-loop, so once the server is saturated, latency ≈
connections ÷ throughput (Little's law): with more connections than workers, the extra
requests wait in the listen queue and the p99 measures that queue. So the latency target is
checked at one connection per worker, every worker busy and none waiting; the 1- and
--connections runs are reported for information. The uncached symptom and search pages are
loaded at --connections.

Then the first server is started again, and keeps an editor saving the condition article
through the admin every half second while wrk drives the condition and symptom pages; the run
checks that no request failed, that every save is in the article's revision history and that
the public page shows the last one.

Every run counts the X-Cache header of every answer (a wrk script), so a figure is only called
cached when its answers were hits, and uncached when none carried the header at all.

It prints a Markdown report with the targets marked PASS or FAIL (and the runs reported for
information, INFO) and writes it to bench/RESULTS.md (or --results). With --check the exit
status is 1 when a target is missed. --cached-only measures only the static file and the cached
pages (no uncached pages, no editor run); --commit serves that commit of the code instead of
the working tree, so an earlier version can be measured with the same benchmark
(bench/RESULTS-cache.md compares two that way).
"""

import argparse
import http.cookiejar
import json
import os
import platform
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # bench/, when loaded by path
from databases import drop_postgres_database, recreate_postgres_database  # noqa: E402

PROJECT = Path(__file__).resolve().parent.parent
RESULTS_FILE = PROJECT / "bench" / "RESULTS.md"
POSTGRES_URL = "postgres://postgres@127.0.0.1:5432/neckinfo_load_bench"
# The PostgreSQL run's shared page cache. The test suite uses database 15.
REDIS_URL = "redis://127.0.0.1:6379/14"
WORKERS = 2
WARM_UP_SECONDS = 2
WRK_TIMEOUT = "5s"  # a request slower than this counts as an error (wrk's default is 2 s)
EDITOR = "load-bench-editor"
SAVE_INTERVAL = 0.5
READS_AFTER_SAVE = 4

# Targets from the issues: a cached page's throughput as a share of the static file's (issue
# 15: with each worker's own cache on SQLite, and with Redis on PostgreSQL).
CACHED_SHARE_OF_STATIC = {"sqlite": 0.95, "postgres": 0.85}
# A cached run's answers that must have been cache hits (a worker recycled by max_requests
# renders each page once more).
CACHED_HIT_SHARE = 0.999
UNCACHED_CONDITION_P99_MS = 25.0

# Picks the pages to load from the generated content: a condition article, a symptom page
# narrowed by the two symptoms that most often go with it (so it has results), a search that
# finds something, and the addresses the editor needs.
FIND_PAGES = """
import json
from urllib.parse import urlencode
from django.db.models import Count
from django.urls import reverse
from conditions import search
from conditions.models import Article, ConditionArticle, Symptom

published = Article.objects.published()
conditions = ConditionArticle.objects.published().order_by("pk")
condition = conditions[conditions.count() // 2]

def most_shared(selected):
    articles = published.narrowed_by(selected)
    return (
        Symptom.objects.filter(tagged_articles__content_object__in=articles.values("pk"))
        .exclude(pk__in=[s.pk for s in selected])
        .annotate(shared=Count("tagged_articles", distinct=True))
        .order_by("-shared", "name")
        .first()
    )

first = Symptom.objects.in_use().order_by("-article_count", "name").first()
second = most_shared([first])
third = most_shared([first, second])
query = next(q for q in ["stiff neck", "neck pain", "dizziness", "headache"]
             if search.search(q).total)
print(json.dumps({
    "condition": condition.get_absolute_url(),
    "condition_pk": condition.pk,
    "symptom": f"{first.get_absolute_url()}?with={second.slug}&with={third.slug}",
    "symptom_results": published.narrowed_by([first, second, third]).count(),
    "search": "/search/?" + urlencode({"q": query}),
    "search_results": search.search(query).total,
    "login": reverse("admin:login"),
    "change": reverse("admin:conditions_conditionarticle_change", args=[condition.pk]),
}))
"""

# The saves the article's revision history holds, by the number in "Save number N".
FIND_SAVES = """
import json, re
from reversion.models import Version
from conditions.models import ConditionArticle

article = ConditionArticle.objects.get(pk=%d)
numbers = [
    int(match.group(1))
    for version in Version.objects.get_for_object(article)
    if (match := re.search(r"Save number (\\d+)", version.field_dict["body"]))
]
print(json.dumps({"revisions": Version.objects.get_for_object(article).count(),
                  "numbers": sorted(numbers)}))
"""


@dataclass
class Page:
    """One wrk run: a page, and how it is asked for."""

    name: str
    path: str
    cached: bool = True  # False: from the server with the page cache off (DJANGO_PAGE_CACHE=0)
    connections: int | None = None  # None: --connections
    ceiling: bool = False  # the static file, which the pages' throughput is compared with
    p99: str = ""  # "target": p99 checked against UNCACHED_CONDITION_P99_MS; "info": reported


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=10_000)
    parser.add_argument("--duration", type=int, default=10, help="Seconds per page (default 10).")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument(
        "--postgres-url",
        default=POSTGRES_URL,
        help="The benchmark's own database, dropped and created again (its name must end "
        f"in _bench). Default {POSTGRES_URL}.",
    )
    parser.add_argument(
        "--rounds",
        type=int,
        default=3,
        help="Times the cached pages and the static file are measured, in turn; each page's "
        "share of the static file's throughput is the median of its rounds (default 3).",
    )
    parser.add_argument(
        "--redis-url",
        default=REDIS_URL,
        help=f"The PostgreSQL run's Redis database, emptied first. Default {REDIS_URL}.",
    )
    parser.add_argument(
        "--cached-only",
        action="store_true",
        help="Only the static file and the cached pages: no uncached pages, no editor run.",
    )
    parser.add_argument(
        "--commit", help="Serve this commit of the code (git archive) instead of the working tree."
    )
    parser.add_argument(
        "--results",
        type=Path,
        default=RESULTS_FILE,
        help=f"Where to write the report (default {RESULTS_FILE.relative_to(PROJECT)}).",
    )
    parser.add_argument("--check", action="store_true", help="Exit 1 when a target is missed.")
    options = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed: apt-get install -y wrk")

    backends = ["sqlite", "postgres"] if options.backend == "both" else [options.backend]
    machine = machine_info(options)
    results = []
    with tempfile.TemporaryDirectory(prefix="neckinfo-load-bench-code-") as copy:
        options.code = copy_of_project(Path(copy), options.commit)
        for backend in backends:
            print(f"== {backend}: {options.articles} articles, {options.duration} s per page ==")
            result = run_backend(backend, options)
            if result is not None:
                results.append(result)
    if not results:
        return 1
    text = header(options, machine) + "\n".join(report(result) for result in results)
    text += summary(results)
    print("\n" + text)
    options.results.write_text(text, encoding="utf-8")
    print(f"Written to {options.results}")
    missed = any(not passed for result in results for _, passed in targets(result))
    return 1 if options.check and (missed or len(results) < len(backends)) else 0


def copy_of_project(folder: Path, commit: str | None = None) -> Path:
    """The application as it is now (or at `commit`), to serve from: workers recycled by
    max_requests import the code again, so edits made during a run would otherwise mix two
    versions. Static files are collected into the copy too."""
    if commit:
        copy = folder / "project"
        copy.mkdir()
        archive = subprocess.run(
            ["git", "-C", str(PROJECT), "archive", commit], capture_output=True, check=True
        )
        subprocess.run(["tar", "-x", "-C", str(copy)], input=archive.stdout, check=True)
        return copy
    ignore = shutil.ignore_patterns(
        ".git", ".venv", "node_modules", "staticfiles", "bench", "tests", "screenshots",
        "backups", "__pycache__", ".*_cache", "db.sqlite3*", "*.log",
    )  # fmt: skip
    return Path(shutil.copytree(PROJECT, folder / "project", ignore=ignore))


def run_backend(backend: str, options) -> dict | None:
    with tempfile.TemporaryDirectory(prefix="neckinfo-load-bench-") as scratch:
        env = server_env(backend, scratch, options)
        if env is None:
            return None
        try:
            return measure_backend(backend, env, scratch, options)
        finally:
            if backend == "postgres":
                drop_postgres_database(options.postgres_url)


def server_env(backend: str, scratch: str, options) -> dict | None:
    """Production settings on plain HTTP, with this run's database and cache."""
    env = {
        key: value
        for key, value in os.environ.items()
        # GUNICORN_CMD_ARGS passes through, for experiments (the report says when it's set).
        if not key.startswith(("DJANGO_", "DATABASE_URL", "REDIS_URL", "GUNICORN_"))
        or key == "GUNICORN_CMD_ARGS"
    }
    env.update(
        DJANGO_SETTINGS_MODULE="neckinfo.settings",
        DJANGO_DEBUG="0",
        DJANGO_SECURE="0",
        DJANGO_SECRET_KEY="bench",
        # One person saves and publishes during the load: a one-person site's setting.
        DJANGO_ALLOW_SELF_REVIEW="1",
        DJANGO_ALLOWED_HOSTS="127.0.0.1",
        PWD=str(options.code),
        WEB_CONCURRENCY=str(WORKERS),
        GUNICORN_ACCESS_LOG="/dev/null",
        DJANGO_SUPERUSER_PASSWORD=secrets.token_urlsafe(16),
    )
    if backend == "sqlite":
        # No REDIS_URL: each worker keeps its own page cache in memory.
        env["DATABASE_URL"] = f"sqlite:///{scratch}/load-bench.sqlite3"
        return env
    if not recreate_postgres_database(options.postgres_url):
        return None
    import redis

    try:
        redis.Redis.from_url(options.redis_url, socket_connect_timeout=3).flushdb()
    except redis.RedisError as error:
        print(f"postgres: skipped, Redis does not answer at {options.redis_url}: {error}")
        return None
    env["DATABASE_URL"] = options.postgres_url
    env["REDIS_URL"] = options.redis_url
    return env


def measure_backend(backend: str, env: dict, scratch: str, options) -> dict:
    cache = f"Redis ({env['REDIS_URL']})" if "REDIS_URL" in env else "each worker's memory"
    result = {"backend": backend, "setup": {}, "editor_run": None, "cache": cache}
    options.counting_script = Path(scratch) / "count-statuses.lua"
    options.counting_script.write_text(STATUS_COUNTING)
    for name, command in [
        ("migrate", ["migrate", "--noinput", "--verbosity", "0"]),
        ("generate_demo_content", ["generate_demo_content", str(options.articles)]),
        ("collectstatic", ["collectstatic", "--noinput", "--verbosity", "0"]),
        ("createsuperuser", ["createsuperuser", "--noinput", "--username", EDITOR,
                             "--email", "editor@example.org"]),
    ]:  # fmt: skip
        started = time.perf_counter()
        manage(env, *command)
        result["setup"][name] = time.perf_counter() - started
        print(f"  {name}: {result['setup'][name]:.1f} s", flush=True)
    found = json.loads(manage(env, "shell", "-c", FIND_PAGES).strip().splitlines()[-1])
    result["found"] = found
    result["database"] = database_version(env)

    # Never two servers at once, so each has the 2 cores to itself (wrk aside): the page-cached
    # server for the cached runs, the cache-off one for the uncached runs, then the page-cached
    # one again (appending to its log) for the editor run.
    log_path = Path(scratch) / "gunicorn.log"
    cache_off_log_path = Path(scratch) / "gunicorn-cache-off.log"
    result["runs"] = []
    with serving(env, log_path) as base_url:
        home = fetch(base_url + "/")
        stylesheet = re.search(r'<link[^>]+rel="stylesheet"[^>]+href="([^"]+)"', home.body)
        if stylesheet is None:
            stylesheet = re.search(r'<link[^>]+href="([^"]+\.css)"', home.body)
        static = Page("static file (CSS, whitenoise)", stylesheet.group(1), ceiling=True)
        # The load others put on the machine drifts, so the ceiling is measured before and
        # after each cached page, and each is compared with the mean of those two; and it
        # drifts from one run to the next, so all of it is done --rounds times.
        cached = [
            static,
            Page("home", "/"),
            static,
            Page("condition", found["condition"]),
            static,
            Page("symptom + 2 narrowing", found["symptom"]),
            static,
            Page("search", found["search"]),
        ]
        for round_number in range(1, options.rounds + 1):
            print(f"  round {round_number} of {options.rounds}:", flush=True)
            run_pages(base_url, cached, result, options)
        run_pages(base_url, [static], result, options)
    result["server_logs"] = [
        server_log_summary(log_path, f"load-bench-{backend}-gunicorn.log", "page cache on")
    ]
    if options.cached_only:
        compare_with_static(result["runs"])
        keep_median_rounds(result["runs"])
        return result
    # The uncached condition page at 1 connection, at one per worker (every worker busy, none
    # waiting: the target) and at --connections (requests waiting in the listen queue).
    levels = sorted({1, WORKERS, options.connections})
    uncached = [
        Page(
            f"condition (uncached, {n} connection{'' if n == 1 else 's'})",
            found["condition"],
            cached=False,
            connections=n,
            p99="target" if n == WORKERS else "info",
        )
        for n in levels
    ]
    uncached += [
        Page("symptom + 2 narrowing (uncached)", found["symptom"], cached=False),
        Page("search (uncached)", found["search"], cached=False),
    ]
    with serving({**env, "DJANGO_PAGE_CACHE": "0"}, cache_off_log_path) as base_url:
        require_page_cache_off(base_url, [page.path for page in uncached])
        run_pages(base_url, uncached, result, options)
    compare_with_static(result["runs"])
    keep_median_rounds(result["runs"])
    with serving(env, log_path) as base_url:
        result["editor_run"] = editor_during_load(base_url, env, found, scratch, options)
    result["server_logs"] = [
        server_log_summary(log_path, f"load-bench-{backend}-gunicorn.log", "page cache on"),
        server_log_summary(
            cache_off_log_path, f"load-bench-{backend}-gunicorn-cache-off.log", "page cache off"
        ),
    ]
    return result


def run_pages(base_url: str, pages: list[Page], result: dict, options) -> None:
    for page in pages:
        run = load_page(base_url, page, options)
        result["runs"].append(run)
        print(
            f"  {page.name}: {run['rps']:.0f} requests/s, median {run['p50_ms']:.1f} ms, "
            f"p99 {run['p99_ms']:.1f} ms, errors {run['errors']}, X-Cache {x_cache_counted(run)}",
            flush=True,
        )


def require_page_cache_off(base_url: str, paths: list[str]) -> None:
    """The server started with DJANGO_PAGE_CACHE=0 must answer without an X-Cache header (a
    miss says "miss", so twice per page is enough); otherwise the uncached runs would
    measure the page cache."""
    for path in dict.fromkeys(paths):
        for _ in range(2):
            answer = fetch(base_url + path)
            x_cache = {name.lower(): value for name, value in answer.headers.items()}.get("x-cache")
            if answer.status != 200 or x_cache is not None:
                raise SystemExit(
                    f"The server with DJANGO_PAGE_CACHE=0 answered {path} with status "
                    f"{answer.status}, X-Cache {x_cache!r}: it must answer 200 without X-Cache, "
                    "or the uncached runs would not measure uncached pages. Is the setting in "
                    "neckinfo/settings.py and conditions/caching.py?"
                )


def compare_with_static(runs: list[dict]) -> None:
    """Give each page run the static file's requests/s to compare it with: the mean of the
    static runs either side of it, or of all of them."""
    static = [run["rps"] for run in runs if run["ceiling"]]
    for index, run in enumerate(runs):
        beside = [runs[i]["rps"] for i in (index - 1, index + 1) if 0 <= i < len(runs)]
        if run["cached"] and all(runs[i]["ceiling"] for i in (index - 1, index + 1)):
            run["static_rps"] = statistics.mean(beside)
        else:
            run["static_rps"] = statistics.mean(static)


def keep_median_rounds(runs: list[dict]) -> None:
    """Of each cached page's rounds, show the one with the median share of the static file's
    throughput (recording the range over all rounds); hide the others from the tables."""
    by_page: dict[str, list[dict]] = {}
    for run in runs:
        run["share"] = run["rps"] / run["static_rps"]
        if run["cached"] and not run["ceiling"]:
            by_page.setdefault(run["name"], []).append(run)
    for rounds in by_page.values():
        rounds.sort(key=lambda run: run["share"])
        median = rounds[(len(rounds) - 1) // 2]
        for run in rounds:
            run["hidden"] = run is not median
        median["rounds"] = len(rounds)
        median["share_range"] = (rounds[0]["share"], rounds[-1]["share"])


def shown_runs(runs: list[dict]) -> list[dict]:
    """The runs the tables show, each page in the order it was first measured."""
    first = {}
    for index, run in enumerate(runs):
        first.setdefault(run["name"], index)
    return sorted((run for run in runs if not run.get("hidden")), key=lambda r: first[r["name"]])


def manage(env: dict, *args: str) -> str:
    """Run manage.py in the copy of the project that `env` names (PWD)."""
    finished = subprocess.run(
        [sys.executable, "manage.py", *args], env=env, cwd=env["PWD"], capture_output=True,
        text=True,
    )  # fmt: skip
    if finished.returncode != 0:
        raise SystemExit(f"manage.py {' '.join(args)} failed:\n{finished.stdout}{finished.stderr}")
    return finished.stdout


# The server.


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def serving(env: dict, log_path: Path):
    """A server on a free port, answering /healthz, until the block ends; its base URL."""
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    server = start_server(env, port, log_path)
    try:
        wait_for_health(base_url, server)
        yield base_url
    finally:
        stop_server(server)


def start_server(env: dict, port: int, log_path: Path) -> subprocess.Popen:
    """gunicorn as in production; a server started again appends to its log."""
    command = [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py"]
    env = {**env, "HOST": "127.0.0.1", "PORT": str(port)}
    with open(log_path, "ab") as log:
        return subprocess.Popen(command, env=env, cwd=env["PWD"], stdout=log, stderr=log)


def wait_for_health(base_url: str, server: subprocess.Popen, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"gunicorn exited with status {server.returncode} on start-up.")
        try:
            if fetch(base_url + "/healthz", timeout=2).status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"{base_url}/healthz did not answer 200 within {seconds:.0f} s.")


def stop_server(server: subprocess.Popen) -> None:
    server.send_signal(signal.SIGTERM)  # gunicorn's graceful shutdown
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


def server_log_summary(log_path: Path, kept_name: str, label: str) -> dict:
    """Server and worker (re)starts and errors the log records; the log is kept in
    bench/out/ as `kept_name`."""
    text = log_path.read_text(errors="replace")
    kept = PROJECT / "bench" / "out" / kept_name
    kept.parent.mkdir(parents=True, exist_ok=True)
    kept.write_text(text)
    errors = re.findall(r"^.*(?:\[ERROR\]|Internal Server Error|WORKER TIMEOUT).*$", text, re.M)
    return {
        "label": label,
        "server_starts": len(re.findall(r"Starting gunicorn", text)),
        "worker_boots": len(re.findall(r"Booting worker", text)),
        "errors": errors,
        "kept": kept.relative_to(PROJECT),
    }


# Driving it with wrk.


def load_page(base_url: str, page: Page, options) -> dict:
    connections = page.connections or options.connections
    threads = min(2, connections)  # wrk refuses more threads than connections
    # The warm-up fills the page cache in every worker and the database's own caches.
    wrk(base_url + page.path, WARM_UP_SECONDS, connections, threads)
    load = os.getloadavg()[0]
    # Every run counts the X-Cache header of every answer, the static file's too, so that wrk
    # does the same work for the ceiling as for the pages compared with it.
    run = wrk(base_url + page.path, options.duration, connections, threads, options.counting_script)
    return {**run, "name": page.name, "path": page.path, "cached": page.cached,
            "ceiling": page.ceiling, "p99": page.p99, "connections": connections,
            "load": load}  # fmt: skip


def wrk(url: str, seconds: int, connections: int, threads: int, script: Path | None = None) -> dict:
    command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s",
               f"--timeout={WRK_TIMEOUT}", "--latency"]  # fmt: skip
    if script is not None:
        command += ["-s", str(script)]
    finished = subprocess.run(command + [url], capture_output=True, text=True)
    if finished.returncode != 0:
        raise SystemExit(f"{' '.join(command)} {url} failed:\n{finished.stdout}{finished.stderr}")
    return parse_wrk(finished.stdout)


# Counts 5xx answers and the page cache's hits and misses across wrk's threads, and prints
# them at the end (wrk itself only counts "non-2xx or 3xx" answers).
STATUS_COUNTING = """
local threads = {}
function setup(thread)
  table.insert(threads, thread)
end
function init(args)
  server_errors, hits, misses = 0, 0, 0
end
function response(status, headers, body)
  if status >= 500 then server_errors = server_errors + 1 end
  local x_cache = headers["X-Cache"]
  if x_cache == "hit" then hits = hits + 1 elseif x_cache == "miss" then misses = misses + 1 end
end
function done(summary, latency, requests)
  local totals = {server_errors = 0, hits = 0, misses = 0}
  for _, thread in ipairs(threads) do
    for name, _ in pairs(totals) do totals[name] = totals[name] + thread:get(name) end
  end
  io.write(string.format("5xx responses: %d\\nX-Cache hits: %d, misses: %d\\n",
    totals.server_errors, totals.hits, totals.misses))
end
"""

LATENCY_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}


def latency_ms(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m|h)", text).groups()
    return float(number) * LATENCY_UNITS[unit]


def parse_wrk(output: str) -> dict:
    """Requests/s, median and p99 latency (ms) and errors from `wrk --latency` output."""

    def number(pattern: str, default: str | None = None) -> str:
        match = re.search(pattern, output, re.MULTILINE)
        if match is None:
            if default is None:
                raise ValueError(f"wrk output has no {pattern!r}:\n{output}")
            return default
        return match.group(1)

    socket_errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    result = {
        "requests": int(number(r"(\d+) requests in")),
        "rps": float(number(r"Requests/sec:\s+([\d.]+)")),
        "p50_ms": latency_ms(number(r"^\s+50%\s+(\S+)")),
        "p99_ms": latency_ms(number(r"^\s+99%\s+(\S+)")),
        "non_2xx_3xx": int(number(r"Non-2xx or 3xx responses: (\d+)", "0")),
        "socket_errors": sum(map(int, socket_errors.groups())) if socket_errors else 0,
        "socket_detail": socket_errors.group(0) if socket_errors else "",
    }
    result["errors"] = result["non_2xx_3xx"] + result["socket_errors"]
    if "5xx responses:" in output:
        result["server_errors"] = int(number(r"5xx responses: (\d+)"))
        result["hits"] = int(number(r"X-Cache hits: (\d+)"))
        result["misses"] = int(number(r"misses: (\d+)"))
    return result


# An editor saving through the admin while readers load the site.


def editor_during_load(base_url: str, env: dict, found: dict, scratch: str, options) -> dict:
    print(f"  editor during load: saving every {SAVE_INTERVAL} s for {options.duration} s")
    editor = AdminEditor(base_url)
    editor.log_in(found["login"], EDITOR, env["DJANGO_SUPERUSER_PASSWORD"])
    script = Path(scratch) / "count-statuses.lua"
    script.write_text(STATUS_COUNTING)
    half = max(1, options.connections // 2)
    readers = {}
    for name, path in [
        ("condition", found["condition"]),
        ("symptom + 2 narrowing", found["symptom"]),
    ]:
        command = ["wrk", "-t1", f"-c{half}", f"-d{options.duration + 2}s",
                   f"--timeout={WRK_TIMEOUT}", "--latency", "-s", str(script)]  # fmt: skip
        readers[name] = subprocess.Popen(
            [*command, base_url + path], stdout=subprocess.PIPE, text=True
        )
    load = os.getloadavg()[0]
    time.sleep(1)  # the readers are under way before the first save
    saves = editor.keep_saving(
        found["change"], base_url + found["condition"], options.duration, SAVE_INTERVAL
    )
    runs = []
    for name, process in readers.items():
        output, _ = process.communicate(timeout=options.duration + 60)
        runs.append({**parse_wrk(output), "name": name, "load": load})

    saved = [save for save in saves if save["outcome"] == "saved"]
    last = max((save["number"] for save in saved), default=None)
    history = json.loads(
        manage(env, "shell", "-c", FIND_SAVES % found["condition_pk"]).strip().splitlines()[-1]
    )
    # Several fresh connections, so every worker answers some of them.
    public = [fetch(base_url + found["condition"]) for _ in range(12)]
    shows_last = [
        last is not None and re.search(rf"Save number {last}\b", page.body) is not None
        for page in public
    ]
    return {
        "runs": runs,
        "connections_each": half,
        "saves": saves,
        "saved": len(saved),
        # The mean time from one save's start to the next's.
        "save_every": (saves[-1]["at"] - saves[0]["at"]) / (len(saves) - 1)
        if len(saves) > 1
        else None,
        "fresh_reads": sum(save["fresh_reads"] for save in saved),
        "reads_after_saves": READS_AFTER_SAVE * len(saved),
        "last": last,
        "history": history,
        "missing_from_history": sorted({s["number"] for s in saved} - set(history["numbers"])),
        "public_checks": len(public),
        "public_shows_last": sum(shows_last),
        "public_x_cache": sorted({page.headers.get("X-Cache", "none") for page in public}),
    }


@dataclass
class Answer:
    status: int
    headers: dict
    body: str


class NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # a redirect after a save is the answer itself


def fetch(url: str, data: dict | list | None = None, opener=None, timeout: float = 30) -> Answer:
    """GET (or POST `data`) without following redirects; any HTTP status is an answer."""
    opener = opener or urllib.request.build_opener(NoRedirects)
    encoded = urllib.parse.urlencode(data).encode() if data is not None else None
    try:
        with opener.open(url, encoded, timeout=timeout) as response:
            status, headers, raw = response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        status, headers, raw = error.code, dict(error.headers), error.read()
    return Answer(status, headers, raw.decode("utf-8", errors="replace"))


class AdminEditor:
    """An editor in a browser: a session cookie, the CSRF token, the whole change form."""

    def __init__(self, base_url: str):
        self.base_url = base_url
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), NoRedirects
        )

    def request(self, path: str, data=None) -> Answer:
        return fetch(self.base_url + path, data, opener=self.opener)

    def log_in(self, login_path: str, username: str, password: str) -> None:
        fields = dict(form_fields(self.request(login_path).body, "login-form"))
        fields.update(username=username, password=password, next="/")
        answer = self.request(login_path, fields)
        if answer.status != 302:
            raise SystemExit(f"The editor could not sign in: {answer.status}")

    def keep_saving(
        self, change_path: str, public_url: str, seconds: float, interval: float
    ) -> list[dict]:
        """Save every `interval` seconds (or as soon as the last save is done, if it took
        longer); after each save, read the public page as a reader would, a few times."""
        saves = []
        started = time.monotonic()
        number = 0
        while time.monotonic() - started < seconds:
            number += 1
            save_started = time.monotonic()
            save = {**self.save(change_path, number), "at": save_started - started}
            if save["outcome"] == "saved":
                # Fresh connections without the session cookie, so any worker may answer.
                pages = [fetch(public_url) for _ in range(READS_AFTER_SAVE)]
                save["fresh_reads"] = sum(
                    re.search(rf"Save number {number}\b", page.body) is not None for page in pages
                )
            saves.append(save)
            # After a slow save, the next follows at once, without a burst to catch up.
            time.sleep(max(0.0, save_started + interval - time.monotonic()))
        return saves

    def save(self, change_path: str, number: int) -> dict:
        """Change the live article as the admin has it done: open its working copy, write
        "Save number N" at the end of the body, save, and publish the working copy."""
        started = time.perf_counter()
        try:
            live = self.request(change_path)
            if live.status != 200:
                return self._outcome(number, started, live.status, "form not shown")
            token = dict(form_fields(live.body, "start-working-copy"))["csrfmiddlewaretoken"]
            copy = self.request(
                change_path.replace("/change/", "/working-copy/start/"),
                {"csrfmiddlewaretoken": token},
            )
            if copy.status != 302:
                return self._outcome(number, started, copy.status, "working copy not started")
            copy_path = urllib.parse.urlsplit(copy.headers["Location"]).path
            form = self.request(copy_path)
            fields = form_fields(form.body, "conditionarticle_form")
            fields = [
                (name, with_save_number(value, number) if name == "body" else value)
                for name, value in with_reviewer(fields)
            ]
            answer = self.request(copy_path, [*fields, ("_save", "Save")])
            if answer.status == 302:
                # The publish gate wants the copy signed off: on this one-person site
                # (DJANGO_ALLOW_SELF_REVIEW=1) by the same person.
                sign_off = form_fields(self.request(copy_path).body, "moderation_form")
                signed = self.request(
                    copy_path.replace("/change/", "/moderate/"),
                    [*sign_off, ("decision", "sign_off")],
                )
                if signed.status != 302:
                    return self._outcome(number, started, signed.status, "not signed off")
                publish_path = copy_path.replace("/change/", "/working-copy/publish/")
                publish = form_fields(self.request(publish_path).body, "publish-working-copy")
                answer = self.request(publish_path, publish)
        except OSError as error:  # refused, reset or timed out: no answer at all
            return self._outcome(number, started, 0, f"{error.__class__.__name__}: {error}")
        if answer.status == 302:
            return self._outcome(number, started, 302, "saved")
        return self._outcome(number, started, answer.status, f"not saved: {refusal(answer)}")

    @staticmethod
    def _outcome(number: int, started: float, status: int, outcome: str) -> dict:
        return {
            "number": number,
            "status": status,
            "outcome": outcome,
            "ms": (time.perf_counter() - started) * 1000,
        }


def refusal(answer: Answer) -> str:
    """The admin's error messages in a form shown again, as plain text."""
    messages = re.findall(
        r'class="errornote">(.*?)</p>|class="errorlist[^"]*">(.*?)</ul>', answer.body, re.DOTALL
    )
    text = " ".join(part for pair in messages for part in pair if part)
    return re.sub(r"(<[^>]+>|\s)+", " ", text).strip()[:300] or f"HTTP {answer.status}"


def with_reviewer(fields: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The form's fields with "Medically reviewed by" filled in, as a sign-off needs."""
    return [
        (name, (value or "Dr Bench Reviewer, MRCGP") if name == "reviewed_by" else value)
        for name, value in fields
    ]


def with_save_number(body: str, number: int) -> str:
    body = re.sub(r"\s*Save number \d+\.\s*$", "", body)
    return f"{body}\n\nSave number {number}."


class FormFields(HTMLParser):
    """The (name, value) pairs a browser would submit for one <form>, submit buttons aside."""

    def __init__(self, form_id: str):
        super().__init__(convert_charrefs=True)
        self.form_id = form_id
        self.in_form = False
        self.fields: list[tuple[str, str]] = []
        self.textarea: list | None = None  # [name, text] while inside one
        self.select: dict | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.in_form = attrs.get("id") == self.form_id
        if not self.in_form or "disabled" in attrs:
            return
        name = attrs.get("name")
        if tag == "input" and name:
            kind = attrs.get("type", "text").lower()
            if kind in {"submit", "button", "image", "reset", "file"}:
                return
            if kind in {"checkbox", "radio"} and "checked" not in attrs:
                return
            self.fields.append((name, attrs.get("value") or ("on" if kind == "checkbox" else "")))
        elif tag == "textarea" and name:
            self.textarea = [name, ""]
        elif tag == "select" and name:
            self.select = {"name": name, "multiple": "multiple" in attrs, "options": []}
        elif tag == "option" and self.select is not None:
            self.select["options"].append((attrs.get("value", ""), "selected" in attrs))

    def handle_data(self, data):
        if self.textarea is not None:
            self.textarea[1] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self.in_form = False
        elif tag == "textarea" and self.textarea is not None:
            name, text = self.textarea
            # Browsers drop the newline that starts a textarea's content.
            self.fields.append((name, text[1:] if text.startswith("\n") else text))
            self.textarea = None
        elif tag == "select" and self.select is not None:
            options = self.select["options"]
            chosen = [value for value, selected in options if selected]
            if not chosen and options and not self.select["multiple"]:
                chosen = [options[0][0]]
            self.fields += [(self.select["name"], value) for value in chosen]
            self.select = None


def form_fields(html: str, form_id: str) -> list[tuple[str, str]]:
    parser = FormFields(form_id)
    parser.feed(html)
    parser.close()
    if not parser.fields:
        raise ValueError(f"No form with id {form_id!r} and fields in the page.")
    return parser.fields


# The databases.


def database_version(env: dict) -> str:
    code = "from django.db import connection; connection.ensure_connection(); "
    code += "print(connection.display_name, '.'.join(map(str, connection.get_database_version())))"
    return manage(env, "shell", "-c", code).strip().splitlines()[-1]


# The report.


def machine_info(options) -> dict:
    cpuinfo = Path("/proc/cpuinfo").read_text() if Path("/proc/cpuinfo").exists() else ""
    cpu = match.group(1) if (match := re.search(r"model name\s*:\s*(.*)", cpuinfo)) else ""
    versions = {}
    for name, command in [
        ("gunicorn", [sys.executable, "-m", "gunicorn", "--version"]),
        ("wrk", ["wrk", "-v"]),
    ]:
        output = subprocess.run(command, capture_output=True, text=True)
        versions[name] = (output.stdout + output.stderr).strip().splitlines()[0]
    try:
        import redis

        versions["redis"] = redis.Redis.from_url(options.redis_url, socket_connect_timeout=3).info(
            "server"
        )["redis_version"]
    except Exception:  # any failure just leaves the version out
        versions["redis"] = "not answering"
    return {
        "code": f"commit {options.commit} (--commit)" if options.commit else code_version(),
        "recycling": worker_recycling(),
        "cpus": os.cpu_count(),
        "cpu": cpu,
        "load": os.getloadavg(),
        "python": platform.python_version(),
        "started": datetime.now(UTC),
        **versions,
    }


def worker_recycling() -> str:
    """How often gunicorn.conf.py has workers recycled, in words."""
    config = (PROJECT / "gunicorn.conf.py").read_text()
    found = [re.search(rf"^{name}\s*=\s*([\d_]+)", config, re.M) for name in
             ("max_requests", "max_requests_jitter")]  # fmt: skip
    if not all(found):
        return "workers recycled by max_requests"
    limit, jitter = (int(match.group(1)) for match in found)
    return f"workers recycled after {limit:,} requests plus up to {jitter:,} more"


def code_version() -> str:
    """The commit measured, and whether the application's files had uncommitted changes."""
    git = ["git", "-C", str(PROJECT)]
    commit = subprocess.run([*git, "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
    if commit.returncode != 0:
        return "unknown (not a git checkout)"
    changed = subprocess.run(
        [*git, "status", "--porcelain", "--", "conditions", "neckinfo", "templates", "static",
         "gunicorn.conf.py", "requirements.txt"],
        capture_output=True, text=True,
    ).stdout.split("\n")  # fmt: skip
    changed = [line[3:] for line in changed if line.strip()]
    return f"commit {commit.stdout.strip()}" + (
        f" with uncommitted changes to {', '.join(changed)}" if changed else ""
    )


def header(options, machine: dict) -> str:
    load = ", ".join(f"{value:.2f}" for value in machine["load"])
    return (
        "# Load benchmark\n\n"
        f"`bench/load_bench.py --articles {options.articles} --duration {options.duration} "
        f"--connections {options.connections} --rounds {options.rounds} --backend "
        f"{options.backend}"
        + (" --cached-only" if options.cached_only else "")
        + (f" --commit {options.commit}" if options.commit else "")
        + "`, run "
        f"{machine['started']:%Y-%m-%d %H:%M} UTC on {machine['cpus']} CPUs "
        f"({machine['cpu'] or platform.machine()}), load average {load} (1, 5, 15 min) at the "
        "start; anything else running on the machine shares its cores, so the load average "
        "before each run is in the tables. "
        f"Python {machine['python']}, {machine['gunicorn']}, {machine['wrk'].split(' [')[0]}, "
        f"Redis {machine['redis']}. Code: {machine['code']}.\n\n"
        "The code is served from a copy of the working tree taken at the start. Each database "
        "is new: migrated, filled by `generate_demo_content`, static files collected. The "
        "server is `gunicorn -c gunicorn.conf.py` with "
        f"{WORKERS} sync workers (WEB_CONCURRENCY={WORKERS}), DJANGO_DEBUG=0, DJANGO_SECURE=0 "
        "(plain HTTP on loopback), everything else as in production (persistent database "
        f"connections, {machine['recycling']})"
        + (
            f", **except GUNICORN_CMD_ARGS={os.environ['GUNICORN_CMD_ARGS']!r}**. "
            if os.environ.get("GUNICORN_CMD_ARGS")
            else ". "
        )
        + f"Each page: a {WARM_UP_SECONDS} s warm-up, then `wrk -t2 -c{options.connections} "
        f"-d{options.duration}s --latency --timeout {WRK_TIMEOUT}` (`-t1` for 1 connection) "
        "from the same machine, so wrk shares the 2 cores with the server. *Uncached* pages "
        "come from a second server, started the same way plus DJANGO_PAGE_CACHE=0, which "
        "switches the public page cache off: every page is rendered from the database, and "
        "its answers carry no X-Cache header (checked before its runs). The two servers never "
        "run at once: the page-cached one serves the static file and the cached pages and is "
        "stopped, the cache-off one serves the uncached pages and is stopped, and the "
        "page-cached one is started again for the editor run. The uncached condition page is "
        f"loaded with 1 connection, with {WORKERS} (one per worker) and with "
        f"{options.connections}; the uncached symptom and search pages with "
        f"{options.connections}. wrk is closed-loop: each connection sends its next request "
        "when the last one is answered, so once the server is saturated each request waits "
        "for the ones before it and latency ≈ connections ÷ throughput (Little's law). With "
        f"{options.connections} connections on {WORKERS} sync workers, "
        f"{max(options.connections - WORKERS, 0)} requests are always waiting in the listen "
        f"queue, so the {options.connections}-connection p99 measures the queue length the "
        "benchmark chose, not the page. With as many connections as workers the server is "
        "fully busy and no request waits, so the p99 is the page's own time under full load: "
        "that run is the latency target. With 1 connection only one worker is busy at a time. "
        f"The 1- and {options.connections}-connection runs are reported for information "
        "(INFO lines), not as targets. *Errors* are non-2xx/3xx answers plus socket errors "
        "(connect, read, write, timeouts). *× static* is the page's requests/s as a share of "
        "the static file's, the ceiling, measured before and after each cached page (a cached "
        "page is compared with the mean of those two runs, an uncached one with the mean of "
        f"all). The static file and the cached pages are measured in turn {options.rounds} "
        "times over (rounds), because this shared machine's speed drifts from minute to "
        "minute; each cached page's row is its median round, with the range of its share of "
        "the static file over all rounds. *X-Cache* counts the header on every answer of the "
        "run (a wrk script, run for the static file too, so wrk works as hard for the ceiling "
        "as for the pages): a cached figure is hits, an uncached one had no header at all.\n\n"
        + (
            "**--cached-only**: the static file and the cached pages only; no uncached pages "
            "and no editor run.\n\n"
            if options.cached_only
            else ""
        )
        + "Targets: cached pages at least "
        + " and ".join(f"{v:.0%} on {k}" for k, v in CACHED_SHARE_OF_STATIC.items())
        + " of the static file's throughput, their answers at least "
        f"{CACHED_HIT_SHARE:.1%} X-Cache hits; the uncached pages' answers without X-Cache; the "
        f"uncached condition page's p99 under {UNCACHED_CONDITION_P99_MS:.0f} "
        f"ms with {WORKERS} connections, one per worker; no errors. With an editor saving every "
        "half second: no 5xx, every save in the revision history, the public page showing the "
        "last save.\n\n"
    )


def report(result: dict) -> str:
    found, setup = result["found"], result["setup"]
    cache = result["cache"]
    static = [run for run in result["runs"] if run["ceiling"]]
    lines = [
        f"## {result['backend']}\n",
        f"{result['database']}; page cache in {cache}. Setup: migrate "
        f"{setup['migrate']:.1f} s, `generate_demo_content` {setup['generate_demo_content']:.1f} "
        f"s, collectstatic {setup['collectstatic']:.1f} s. Pages: condition "
        f"`{found['condition']}`; symptom `{found['symptom']}` ({found['symptom_results']} "
        f"articles); search `{found['search']}` ({found['search_results']} results).\n",
        "| page | connections | requests/s | median ms | p99 ms | errors | × static "
        "| X-Cache | load avg |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: |",
    ]
    rps = [run["rps"] for run in static]
    lines.append(
        f"| {static[0]['name']}: mean of {len(static)} runs, {min(rps):.0f}–{max(rps):.0f} "
        f"requests/s | {static[0]['connections']} | {statistics.mean(rps):.0f} "
        f"| {statistics.mean(run['p50_ms'] for run in static):.1f} "
        f"| {statistics.mean(run['p99_ms'] for run in static):.1f} "
        f"| {sum(run['errors'] for run in static)} | 1.00 | — "
        f"| {statistics.mean(run['load'] for run in static):.2f} |"
    )
    for run in shown_runs(result["runs"]):
        if run["ceiling"]:
            continue
        share = f"{run['share']:.2f}"
        name = run["name"]
        if run.get("rounds", 1) > 1:
            low, high = run["share_range"]
            share += f" ({low:.2f}–{high:.2f})"
            name += f": median of {run['rounds']} rounds"
        lines.append(
            f"| {name} | {run['connections']} | {run['rps']:.0f} | {run['p50_ms']:.1f} "
            f"| {run['p99_ms']:.1f} | {run['errors']} | {share} "
            f"| {x_cache_counted(run)} | {run['load']:.2f} |"
        )
    lines.append("")
    lines += [f"- {'PASS' if passed else '**FAIL**'}: {text}" for text, passed in targets(result)]
    lines += [f"- INFO: {text}" for text in informational(result)]
    logs = result["server_logs"]
    errors = [f"[{log['label']}] {line}" for log in logs for line in log["errors"]]
    lines.append(
        "\nServer logs: "
        + "; ".join(
            f"`{log['kept']}` ({log['label']}, {plural(log['server_starts'], 'server start')}): "
            f"{plural(log['worker_boots'], 'worker start')} ({WORKERS * log['server_starts']} at "
            "start-up, the others replacing workers recycled by max_requests), "
            f"{plural(len(log['errors']), 'error line')}"
            for log in logs
        )
        + (":\n\n```\n" + "\n".join(errors[:10]) + "\n```\n" if errors else ".\n")
    )
    if result["editor_run"] is not None:
        lines.append(editor_report(result["editor_run"]))
    return "\n".join(lines) + "\n"


def x_cache_counted(run: dict) -> str:
    """What the X-Cache headers of the run's answers said."""
    if not run["cached"]:
        headers = run["hits"] + run["misses"]
        return f"off: {headers} of {run['requests']} answers had the header"
    return f"{run['hits']} hits, {run['misses']} misses of {run['requests']}"


def plural(count: int, thing: str) -> str:
    return f"{count} {thing}{'' if count == 1 else 's'}"


def editor_report(run: dict) -> str:
    saves = run["saves"]
    times = sorted(save["ms"] for save in saves)
    lines = [
        "### Editor saving during load\n",
        f"Two wrk processes (`-t1 -c{run['connections_each']}` each) drive the condition and "
        "symptom pages at their usual, cached addresses, while an editor signed in to the admin "
        'opens the condition article\'s change form and saves it with "Save number N" at the '
        f"end of the body, every {SAVE_INTERVAL} s. A save invalidates every cached page.\n",
        "| page | requests/s | median ms | p99 ms | 5xx | other errors | cache hits / misses "
        "| load avg |",
        "| --- | ---: | ---: | ---: | ---: | ---: | --- | ---: |",
    ]
    for reader in run["runs"]:
        other = reader["errors"] - reader["server_errors"]
        lines.append(
            f"| {reader['name']} | {reader['rps']:.0f} | {reader['p50_ms']:.1f} "
            f"| {reader['p99_ms']:.1f} | {reader['server_errors']} | {other} "
            f"| {reader['hits']} / {reader['misses']} | {reader['load']:.2f} |"
        )
    failed = [save for save in saves if save["outcome"] != "saved"]
    lines.append(
        f"\nEditor: {len(saves)} saves tried, "
        + (f"one every {run['save_every']:.2f} s on average " if run["save_every"] else "")
        + f"(the aim was one every {SAVE_INTERVAL} s, or at once when a save took longer), "
        f"{run['saved']} saved, "
        f"{sum(1 for s in saves if s['status'] >= 500)} answered 5xx, "
        f"{sum(1 for s in saves if s['status'] == 0)} got no answer; "
        f"form + save took median {statistics.median(times):.0f} ms, "
        f"max {times[-1]:.0f} ms. Revision history: {run['history']['revisions']} revisions"
        + (
            f", missing saves {run['missing_from_history']}"
            if run["missing_from_history"]
            else ", every save present"
        )
        + f". Public page, read {READS_AFTER_SAVE} times right after each save: showed that "
        f"save {run['fresh_reads']} of {run['reads_after_saves']} times. After the run: "
        f"{run['public_shows_last']} of {run['public_checks']} requests "
        f'show "Save number {run["last"]}" (X-Cache: {", ".join(run["public_x_cache"])}).'
    )
    if failed:
        lines.append(
            "\nFailed saves: "
            + "; ".join(f"#{s['number']} {s['status']} {s['outcome']}" for s in failed[:5])
        )
    # Its verdicts are in the section's list of targets above, with the others.
    return "\n".join(lines) + "\n"


def targets(result: dict) -> list[tuple[str, bool]]:
    """(description with the figures, passed) for every target of one backend."""
    share_of_static = CACHED_SHARE_OF_STATIC[result["backend"]]
    checks = [
        (
            f"{run['name']} at {run['share']:.0%} of the static file's throughput"
            + (
                f" (median of {run['rounds']} rounds, {run['share_range'][0]:.0%}–"
                f"{run['share_range'][1]:.0%})"
                if run.get("rounds", 1) > 1
                else ""
            )
            + f" (target ≥ {share_of_static:.0%})",
            run["share"] >= share_of_static,
        )
        for run in shown_runs(result["runs"])
        if run["cached"] and not run["ceiling"]
    ]
    # Each figure is what it says: cached runs answered from the cache, uncached ones not.
    cached = [run for run in result["runs"] if run["cached"] and not run["ceiling"]]
    hits = sum(run["hits"] for run in cached)
    answered = sum(run["requests"] for run in cached)
    checks.append(
        (
            f"cached runs: {hits} of {answered} answers were X-Cache hits "
            f"(target ≥ {CACHED_HIT_SHARE:.1%})",
            hits >= CACHED_HIT_SHARE * answered,
        )
    )
    uncached = [run for run in result["runs"] if not run["cached"]]
    if uncached:
        marked = sum(run["hits"] + run["misses"] for run in uncached)
        checks.append(
            (
                f"uncached runs: {marked} of {sum(run['requests'] for run in uncached)} answers "
                "carried an X-Cache header (target 0)",
                marked == 0,
            )
        )
    for run in result["runs"]:
        if run["p99"] != "target":
            continue
        p99 = run["p99_ms"]
        over = (
            f", {p99 - UNCACHED_CONDITION_P99_MS:.1f} ms over"
            if p99 >= UNCACHED_CONDITION_P99_MS
            else ""
        )
        checks.append(
            (
                f"{run['name']} p99 {p99:.1f} ms with {run['connections']} connections, one "
                f"per worker: every worker busy, none waiting (target < "
                f"{UNCACHED_CONDITION_P99_MS:.0f} ms{over})",
                p99 < UNCACHED_CONDITION_P99_MS,
            )
        )
    errors = sum(run["errors"] for run in result["runs"])
    logged = sum(len(log["errors"]) for log in result["server_logs"])
    checks.append(
        (
            f"{errors} errors in {len(result['runs'])} runs, {logged} error lines in the server "
            "logs (target 0)",
            errors + logged == 0,
        )
    )
    if result["editor_run"] is None:
        return checks
    return checks + editor_targets(result["editor_run"])


def informational(result: dict) -> list[str]:
    """The uncached condition page's p99 at the concurrency levels that are not the target,
    with the mean latency Little's law predicts from the throughput."""
    lines = []
    for run in result["runs"]:
        if run["p99"] != "info":
            continue
        if run["connections"] < WORKERS:
            why = (
                f"one request at a time, so {WORKERS - run['connections']} of the "
                f"{WORKERS} workers idle"
            )
        else:
            why = (
                f"{run['connections'] - WORKERS} requests always waiting in the listen queue: "
                f"{run['connections']} connections ÷ {run['rps']:.0f} requests/s = "
                f"{run['connections'] / run['rps'] * 1000:.1f} ms mean latency, mostly queueing"
            )
        lines.append(
            f"{run['name']} p99 {run['p99_ms']:.1f} ms, median {run['p50_ms']:.1f} ms with "
            f"{why} (not a target)"
        )
    return lines


def editor_targets(run: dict) -> list[tuple[str, bool]]:
    server_errors = sum(reader["server_errors"] for reader in run["runs"])
    editor_failures = sum(1 for save in run["saves"] if save["status"] >= 500 or not save["status"])
    other_errors = sum(reader["errors"] - reader["server_errors"] for reader in run["runs"])
    saves = len(run["saves"])
    present = run["saved"] - len(run["missing_from_history"])
    return [
        (
            f"editor run: {server_errors} 5xx to readers, {editor_failures} 5xx or unanswered "
            f"editor requests, {other_errors} other reader errors (target 0)",
            server_errors + editor_failures + other_errors == 0,
        ),
        (f"editor run: {present} of {saves} saves in the revision history", present == saves),
        (
            f"editor run: public page shows the last save in {run['public_shows_last']} of "
            f"{run['public_checks']} requests afterwards, and each save in "
            f"{run['fresh_reads']} of {run['reads_after_saves']} reads right after it",
            run["last"] is not None
            and run["public_shows_last"] == run["public_checks"]
            and run["fresh_reads"] == run["reads_after_saves"],
        ),
    ]


def summary(results: list[dict]) -> str:
    lines = ["## Targets\n", "| backend | passed | missed |", "| --- | ---: | --- |"]
    for result in results:
        checks = targets(result)
        missed = [text for text, passed in checks if not passed]
        lines.append(
            f"| {result['backend']} | {len(checks) - len(missed)} of {len(checks)} "
            f"| {'; '.join(missed) or '—'} |"
        )
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
