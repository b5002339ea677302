"""Search latency on SQLite and PostgreSQL, over a fresh database of demo articles.

    .venv/bin/python bench/search_bench.py [--articles 10000] [--queries 200]
                                           [--backend sqlite|postgres|both]
                                           [--filled-database URL] [--results FILE]

For each database it creates a fresh one (a temporary SQLite file; the PostgreSQL database
`neckinfo_bench`, dropped and created again), migrates it, fills it with
`generate_demo_content`, then times a fixed mix of reader queries through
`conditions.search.search()` and through the test client on `/search/?q=…`. It prints a
Markdown table per database and writes them all to bench/RESULTS-search.md.

Each database is measured in a child process of this script, started with its own
DATABASE_URL: Django's settings are read once per process.

`--filled-database URL` measures one database already filled by `generate_demo_content`
(at 100,000 articles filling it again for every run takes minutes), as it is: it is neither
migrated, filled, nor dropped. `--results FILE` writes the report there instead.
"""

import argparse
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # bench/, when loaded by path
from databases import drop_postgres_database, recreate_postgres_database  # noqa: E402

PROJECT = Path(__file__).resolve().parent.parent
RESULTS_FILE = PROJECT / "bench" / "RESULTS-search.md"
POSTGRES_URL = "postgres://postgres@127.0.0.1:5432/neckinfo_bench"
WARM_UP_QUERIES = 20

# What readers type, by kind of query. The demo content is written in British English
# (anaemia, oedema, tumour), so the American spellings test spelling-variant matching.
QUERIES = {
    "single word": [
        "dizziness", "headache", "whiplash", "tingling", "numbness", "migraine", "spasm",
        "jaw", "fatigue", "posture", "nausea", "shoulder", "stiffness", "swallowing",
        "physiotherapy", "thyroid", "fever", "palpitations", "fingers", "collarbone",
    ],
    "two words": [
        "stiff neck", "neck pain", "shoulder blade", "blurred vision", "tension headache",
        "trapped nerve", "upper back", "left arm", "swollen glands", "muscle spasm",
        "heat pack", "neck stretches", "cervical spondylosis", "arm numbness", "pale skin",
        "double vision", "sleep problems", "burning hands", "jaw joint", "ear ringing",
    ],
    "quoted phrase": [
        '"pins and needles"', '"stiff neck"', '"base of the skull"', '"neck pain"',
        '"left shoulder blade"', '"tension headache"', '"herniated disc"',
        '"ringing in the ears"', '"heat pack"', '"car accident"', '"low iron"',
        '"turn your head"', '"between the shoulder blades"', '"physiotherapy" neck',
        '"trapped nerve"',
    ],
    "typo": [
        "dizzyness", "stiff nek", "hedache", "migrane", "whiplsh", "numbnes", "tinglng",
        "spondilosis", "nausia", "palpitatons", "torticolis", "nueralgia", "anxeity",
        "swolen glands", "blured vision", "shouldr pain", "faitgue", "menigitis",
    ],
    "synonym": [
        "vertigo", "pins and needles", "lightheaded", "tinnitus", "photophobia",
        "crick in the neck", "brain fog", "dysphagia", "tiredness", "insomnia",
        "queasy", "diplopia", "racing heart", "giddy", "pallor", "dead arm", "feeling faint",
        "jaw ache",
    ],
    "British/American": [
        "anaemia", "anemia", "oedema", "edema", "tumour", "tumor", "haemorrhage",
        "hemorrhage", "orthopaedic", "orthopedic", "manoeuvre", "maneuver", "lymphoedema",
        "lymphedema", "anemia tiredness", "edema fingers",
    ],
    "question": [
        "why does my neck keep spasming", "why does my neck click when I turn my head",
        "why do I feel dizzy when I stand up", "can anaemia cause dizziness",
        "what causes tingling in the fingers at night", "is neck pain a sign of something serious",
        "when should I see a GP about a headache", "how long does whiplash last",
        "why do my fingers go numb at night", "can stress cause neck pain",
        "what helps a stiff neck", "why does the back of my head hurt",
        "is dizziness with neck pain serious", "why does my jaw click when I chew",
        "how do I know if I have meningitis",
    ],
}  # fmt: skip


def query_mix(count: int) -> list[tuple[str, str]]:
    """`count` (kind, query) pairs, the kinds in turn so each gets its share."""
    kinds = list(QUERIES)
    return [
        (kind, QUERIES[kind][(n // len(kinds)) % len(QUERIES[kind])])
        for n, kind in ((n, kinds[n % len(kinds)]) for n in range(count))
    ]


def p95(values: list[float]) -> float:
    """The 95th percentile, nearest rank: 95% of the values are at or below it."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


# The parent process: one child per database, then the report.


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=10_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--postgres-url",
        default=POSTGRES_URL,
        help="The benchmark's own database, dropped and created again (its name must end "
        f"in _bench). Default {POSTGRES_URL}.",
    )
    parser.add_argument("--keep", action="store_true", help="Keep the databases afterwards.")
    parser.add_argument(
        "--filled-database",
        metavar="URL",
        help="Measure this database, already filled by generate_demo_content, as it is.",
    )
    parser.add_argument("--results", type=Path, default=RESULTS_FILE, help="Write the report here.")
    parser.add_argument("--child", help=argparse.SUPPRESS)  # internal: write results here
    options = parser.parse_args()
    if options.child:
        return measure(options)

    if options.filled_database:
        backends = ["postgres" if options.filled_database.startswith("postgres") else "sqlite"]
    else:
        backends = ["sqlite", "postgres"] if options.backend == "both" else [options.backend]
    load_at_start = os.getloadavg()[0]
    reports = []
    for backend in backends:
        print(f"== {backend}: {what_filled(options)}, {options.queries} queries ==")
        result = run_child(backend, options)
        if result is not None:
            reports.append(report(result))
    if not reports:
        return 1
    text = header(options, load_at_start) + "\n\n".join(reports) + "\n"
    print("\n" + text)
    options.results.write_text(text)
    print(f"Written to {options.results}")
    return 0


def run_child(backend: str, options) -> dict | None:
    with tempfile.TemporaryDirectory(prefix="neckinfo-bench-") as folder:
        if options.filled_database:
            database_url = options.filled_database
        elif backend == "sqlite":
            database_url = f"sqlite:///{folder}/bench.sqlite3"
        else:
            database_url = options.postgres_url
            if not recreate_postgres_database(database_url):
                return None
        results_path = Path(folder) / "results.json"
        env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "DJANGO_SETTINGS_MODULE": "neckinfo.settings",
            "DJANGO_SECRET_KEY": "bench",
            "DJANGO_DEBUG": "0",
            "DJANGO_ALLOWED_HOSTS": "testserver",
            # Measure searching, not opening a database connection for every request.
            "DJANGO_CONN_MAX_AGE": "600",
        }
        # The page cache stays in this process's memory: a shared Redis cache would carry
        # pages over from one database's run to the next.
        env.pop("REDIS_URL", None)
        command = [
            sys.executable, __file__, "--child", str(results_path),
            "--articles", str(options.articles), "--queries", str(options.queries),
            "--seed", str(options.seed),
        ] + (["--filled-database", database_url] if options.filled_database else [])  # fmt: skip
        finished = subprocess.run(command, env=env, cwd=PROJECT)
        if backend == "postgres" and not options.keep and not options.filled_database:
            drop_postgres_database(database_url)
        if finished.returncode != 0 or not results_path.exists():
            print(f"{backend}: the benchmark failed (exit status {finished.returncode}).")
            return None
        return json.loads(results_path.read_text())


def what_filled(options) -> str:
    if options.filled_database:
        return f"--filled-database {options.filled_database}"
    return f"--articles {options.articles}"


def header(options, load_at_start: float) -> str:
    return (
        "# Search benchmark\n\n"
        f"`bench/search_bench.py {what_filled(options)} --queries {options.queries} "
        f"--seed {options.seed}`, run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on "
        f"{os.cpu_count()} CPUs (load average {load_at_start:.1f} at the start: other "
        f"work on the machine skews the times), Python {platform.python_version()}.\n\n"
        + (
            "The database was filled before the run (`--filled-database`), then warmed up with "
            if options.filled_database
            else "Each database is new: migrated, filled by `generate_demo_content` (which "
            "rebuilds the search index and runs ANALYZE at the end), then warmed up with "
        )
        + f"{WARM_UP_QUERIES} queries. "
        "Latencies are wall-clock milliseconds per query: `search()` is "
        "`conditions.search.search(query)`; `/search/` is the whole page through Django's "
        "test client (DEBUG off, HTTPS, persistent database connection), rendering included, "
        "at an address not requested before (a query asked again has a space more after it, "
        "which the search ignores), each one checked to be a miss by its X-Cache header, "
        "and measured before or after its `search()` in turn; the page adds: the median of "
        "each query's page time less its `search()` time (and the same in CPU time); the "
        "cached page is the same address again, checked to be a hit. "
        "`search()` CPU: the CPU time each `search()` used, in this process and (PostgreSQL) "
        "in the database server's process serving it: what it costs when no other work "
        "competes for the CPUs, as wall-clock times do on a busy machine. "
        "Results: the mean `SearchResults.total`; none: queries that found nothing.\n\n"
    )


def report(result: dict) -> str:
    if result.get("filled_before"):
        lines = [
            f"## {result['backend']}\n",
            f"Database {result['database']}, filled before the run ({result['articles']} "
            f"articles); database size {result['database_mb']:.0f} MB.\n",
        ]
    else:
        lines = [
            f"## {result['backend']}\n",
            f"Database {result['database']}. Setup: migrate {result['migrate_s']:.1f} s, "
            f"`generate_demo_content {result['articles']}` {result['generate_s']:.1f} s "
            f"(index rebuild included); database size {result['database_mb']:.0f} MB.\n",
            "```\n" + result["generate_output"].strip("\n") + "\n```\n",
        ]
    if result.get("search_missing"):
        lines.append("`conditions.search` is missing: no queries were timed.\n")
        return "\n".join(lines)
    lines += [
        "| query type | queries | `search()` median | `search()` p95 | `search()` CPU median "
        "| `search()` CPU p95 | `/search/` median | `/search/` p95 | page adds | page adds CPU "
        "| cached page median | results (mean) | none |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: "
        "| ---: |",
    ]
    samples = result["samples"]
    kinds = [*QUERIES, "all"]
    for kind in kinds:
        rows = [s for s in samples if kind in (s["kind"], "all")]
        if not rows:
            continue
        search_ms = [s["search_ms"] for s in rows]
        cpu_ms = [s["search_cpu_ms"] for s in rows]
        page_ms = [s["page_ms"] for s in rows]
        label = f"**{kind}**" if kind == "all" else kind
        cached_ms = statistics.median(s["cached_page_ms"] for s in rows)
        page_adds = statistics.median(s["page_ms"] - s["search_ms"] for s in rows)
        page_adds_cpu = statistics.median(s["page_cpu_ms"] - s["search_cpu_ms"] for s in rows)
        lines.append(
            f"| {label} | {len(rows)} | {statistics.median(search_ms):.1f} "
            f"| {p95(search_ms):.1f} | {statistics.median(cpu_ms):.1f} | {p95(cpu_ms):.1f} "
            f"| {statistics.median(page_ms):.1f} | {p95(page_ms):.1f} "
            f"| {page_adds:.1f} | {page_adds_cpu:.1f} | {cached_ms:.1f} "
            f"| {statistics.mean(s['total'] for s in rows):.1f} "
            f"| {sum(1 for s in rows if s['total'] == 0)} |"
        )
    slowest = sorted(samples, key=lambda s: s["search_ms"], reverse=True)[:5]
    lines.append(
        "\nSlowest `search()` calls: "
        + ", ".join(f"`{s['query']}` {s['search_ms']:.0f} ms" for s in slowest)
        + "."
    )
    if failed := [s for s in samples if s["status"] != 200]:
        lines.append(f"\n{len(failed)} page requests did not answer 200: {failed[:5]}")
    return "\n".join(lines) + "\n"


# The child process: one database, set up and measured.


def measure(options) -> int:
    sys.path.insert(0, str(PROJECT))
    import django

    django.setup()
    from io import StringIO

    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    result = {
        "backend": connection.vendor,
        "articles": options.articles,
        "database": f"{connection.display_name} {'.'.join(map(str, database_version()))}",
    }
    if options.filled_database:
        from conditions.models import Article

        result["articles"] = Article.objects.count()
        result["filled_before"] = True
        output = StringIO()
    else:
        started = time.perf_counter()
        call_command("migrate", verbosity=0)
        result["migrate_s"] = time.perf_counter() - started

        started = time.perf_counter()
        output = StringIO()
        call_command(
            "generate_demo_content", options.articles, seed=options.seed, stdout=output, verbosity=2
        )
        result["generate_s"] = time.perf_counter() - started
    result["generate_output"] = output.getvalue()
    result["database_mb"] = database_bytes() / 1e6
    print(output.getvalue(), end="")

    try:
        from conditions import search
    except ModuleNotFoundError as error:
        if error.name != "conditions.search":
            raise
        print("conditions.search does not exist yet: no queries timed.")
        result["search_missing"] = True
        Path(options.child).write_text(json.dumps(result))
        return 0

    # DEBUG is off, so pages need the hashed static files' manifest, as in production;
    # collect them into a throwaway folder.
    with tempfile.TemporaryDirectory(prefix="neckinfo-bench-static-") as static_root:
        settings.STATIC_ROOT = static_root
        call_command("collectstatic", interactive=False, verbosity=0)
        client = Client()
        queries = query_mix(options.queries)
        asked = Counter()  # how often each query was asked for as a page
        for _, query in queries[:WARM_UP_QUERIES]:
            search.search(query)
            page_of(client, query, asked, expect="miss")

        samples = []
        for number, (kind, query) in enumerate(queries):
            # Each measured first in turn, so neither always finds the database's caches
            # warmed by the other.
            page = (page_of, client, query, asked)
            if number % 2:
                (page_ms, response), page_cpu_ms = cpu_timed(timed, *page, expect="miss")
                (search_ms, found), search_cpu_ms = cpu_timed(timed, search.search, query)
            else:
                (search_ms, found), search_cpu_ms = cpu_timed(timed, search.search, query)
                (page_ms, response), page_cpu_ms = cpu_timed(timed, *page, expect="miss")
            # The same address again, now served by the page cache.
            cached_page_ms, _ = timed(page_of, client, query, asked, expect="hit", again=True)
            samples.append(
                {
                    "kind": kind,
                    "query": query,
                    "total": found.total,
                    "search_ms": search_ms,
                    "search_cpu_ms": search_cpu_ms,
                    "page_ms": page_ms,
                    "page_cpu_ms": page_cpu_ms,
                    "cached_page_ms": cached_page_ms,
                    "status": response.status_code,
                }
            )
    result["samples"] = samples
    Path(options.child).write_text(json.dumps(result))
    return 0


def timed(call, *args, **kwargs) -> tuple[float, object]:
    """How long call(*args, **kwargs) took in milliseconds, and what it returned."""
    started = time.perf_counter()
    returned = call(*args, **kwargs)
    return (time.perf_counter() - started) * 1000, returned


def cpu_timed(call, *args, **kwargs) -> tuple[object, float]:
    """What call(*args, **kwargs) returned, and the CPU time it took in milliseconds: this
    process's, plus (on PostgreSQL) that of the database server process serving it.

    On a busy machine a query waits for a CPU as well as using one, so its wall-clock time
    says as much about the other work as about the query; its CPU time does not.
    """
    server_before = database_server_cpu_ms()
    started = time.process_time()
    returned = call(*args, **kwargs)
    used = (time.process_time() - started) * 1000
    return returned, used + database_server_cpu_ms() - server_before


def database_server_cpu_ms() -> float:
    """The CPU time the PostgreSQL server process of this connection has used (from
    /proc/<pid>/schedstat, in nanoseconds: the server runs on this machine); 0 on SQLite,
    which runs in this process."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return 0.0
    connection.ensure_connection()
    pid = connection.connection.info.backend_pid
    try:
        with open(f"/proc/{pid}/schedstat") as schedstat:
            return int(schedstat.read().split()[0]) / 1e6
    except OSError as error:
        raise SystemExit(
            f"Can't read the CPU time of PostgreSQL's server process {pid} ({error}): the "
            "benchmark needs the server on this machine, so as not to report only half of it."
        ) from error


def page_of(client, query: str, asked: Counter, *, expect: str, again: bool = False):
    """/search/ for `query`, at an address of its own unless `again`; stops the benchmark
    when the page cache's X-Cache header is not `expect`.

    The page cache keys a page by the parameters its view reads, so a made-up one (the
    `run=N` this benchmark used to add) is dropped and a query asked again was a hit. A
    query is asked the n-th time with n spaces after it instead: `q` is part of the
    address, and the search ignores the spaces.
    """
    if not again:
        asked[query] += 1
    address = {"q": query + " " * (asked[query] - 1)}
    # Over HTTPS, as in production (plain HTTP answers a redirect to it).
    response = client.get("/search/", address, secure=True)
    if response.status_code != 200:
        raise SystemExit(f"/search/?q={address['q']!r} answered {response.status_code}, not 200.")
    if response.get("X-Cache") != expect:
        raise SystemExit(
            f"/search/?q={address['q']!r} was a cache {response.get('X-Cache')}, not a "
            f"{expect}: its time would be reported as the wrong kind."
        )
    return response


def database_version() -> tuple:
    from django.db import connection

    return connection.get_database_version()


def database_bytes() -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT pg_database_size(current_database())")
        else:
            cursor.execute(
                "SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()"
            )
        return cursor.fetchone()[0]


if __name__ == "__main__":
    sys.exit(main())
