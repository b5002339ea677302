"""Faults under load: what readers and editors see when Redis is killed or hangs, when
PostgreSQL drops every connection, and when two people press Save at the same instant.

    .venv/bin/python bench/fault_bench.py [--code PATH] [--label NAME] [--seconds 10]

Serves the checkout at --code (default: this one) with gunicorn (2 sync workers) on a new
database, PostgreSQL with a Redis of its own and SQLite with a Redis of its own, the way
tests/live_site.py does for the tests. Readers (threads, each with its own connection)
read eight kinds of public page while a reviewer saves an article through the admin over
and over; each phase counts requests, 5xx (or no answer), stale reads (the article page
without a save acknowledged before the read began), saves that failed (neither applied nor
refused with the text kept) and, at the end, acknowledged saves missing from the article's
history or from the live page. Then Rita and Raj press Save at the same instant, ROUNDS
times, on each database. Appends a section to bench/RESULTS-faults.md.
"""

import argparse
import os
import sys
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))

from tests.live_site import (  # noqa: E402
    LoadWithEdits,
    OwnRedis,
    PostgresDatabase,
    live_site,
    simultaneous_saves,
)

RESULTS = PROJECT / "bench" / "RESULTS-faults.md"
ROUNDS = 300
READERS = 6


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--code", type=Path, default=PROJECT, help="the checkout to serve")
    parser.add_argument("--label", default="this checkout")
    parser.add_argument("--seconds", type=float, default=10, help="length of each phase")
    parser.add_argument("--rounds", type=int, default=ROUNDS)
    parser.add_argument("--engines", default="postgres,sqlite")
    options = parser.parse_args()

    sections = [f"## {options.label}\n", machine_line()]
    for engine in options.engines.split(","):
        print(f"== {engine}: faults under load")
        sections.append(faults_under_load(engine, options))
        print(f"== {engine}: simultaneous saves")
        sections.append(simultaneous(engine, options))
    RESULTS.parent.mkdir(exist_ok=True)
    with RESULTS.open("a") as results:
        results.write("\n".join(sections) + "\n")
    print("\n".join(sections))
    return 0


def machine_line() -> str:
    load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    return (
        f"{time.strftime('%Y-%m-%d %H:%M')} UTC, {os.cpu_count()} cores, load average {load} "
        "before the run (this machine is shared and its speed drifts).\n"
    )


def faults_under_load(engine: str, options) -> str:
    redis = OwnRedis()
    redis.start()
    seconds = options.seconds
    try:
        with live_site(workers=2, redis=redis, engine=engine, project=options.code) as site:
            load = LoadWithEdits(site, readers=READERS)
            load.start("Redis up")
            try:
                load.during("Redis up", seconds)
                redis.kill()
                load.during("Redis killed (SIGKILL)", seconds)
                redis.start()
                load.during("Redis restarted, empty", seconds / 2)
                redis.pause()
                load.during("Redis hung (SIGSTOP)", seconds * 1.5)
                redis.resume()
                load.during("Redis resumed, with its old data", seconds / 2)
                if isinstance(site.database, PostgresDatabase):
                    load.phase = "PostgreSQL: every connection killed each second"
                    end = time.monotonic() + seconds
                    while time.monotonic() < end:
                        site.database.terminate_connections()
                        time.sleep(1)
                load.during("after the faults", seconds / 2)
            finally:
                load.stop()
            lost = load.lost_saves()
            errors = [e for counts in load.counts.values() for e in counts.errors]
    finally:
        redis.stop()
    title = "PostgreSQL + Redis" if engine == "postgres" else "SQLite + Redis"
    rows = [
        f"### {title}: {READERS} readers and a reviewer saving, 2 gunicorn workers\n",
        "| phase | requests | 5xx or no answer | stale reads | saves | saves failed | "
        "slowest read |",
        "| --- | --: | --: | --: | --: | --: | --: |",
    ]
    for phase, counts in load.counts.items():
        rows.append(
            f"| {phase} | {counts.requests} | {counts.server_errors} | {counts.stale_reads} | "
            f"{counts.saves} | {counts.saves_failed} | {counts.slowest_ms:.0f} ms |"
        )
    total = sum(c.server_errors for c in load.counts.values())
    stale = sum(c.stale_reads for c in load.counts.values())
    failed = sum(c.saves_failed for c in load.counts.values())
    rows.append(
        f"\nIn all: {total} 5xx, {stale} stale reads, {failed} failed saves, "
        f"{len(lost)} acknowledged saves lost ({len(load.acknowledged)} acknowledged)."
    )
    if errors:
        rows.append("First problems: " + "; ".join(e[:120] for e in errors[:3]) + "\n")
    return "\n".join(rows) + "\n"


def simultaneous(engine: str, options) -> str:
    with live_site(workers=2, engine=engine, project=options.code) as site:
        pk = site.database.query("SELECT MIN(article_ptr_id) FROM conditions_conditionarticle")[0][
            0
        ]

        def body():
            sql = "SELECT body FROM conditions_conditionarticle WHERE article_ptr_id = ?"
            return site.database.query(sql, (pk,))[0][0]

        started = time.monotonic()
        outcomes = simultaneous_saves(
            site, f"/admin/conditions/conditionarticle/{pk}/change/", "conditionarticle_form",
            "body", body, options.rounds,
        )  # fmt: skip
        took = time.monotonic() - started
    title = "PostgreSQL" if engine == "postgres" else "SQLite"
    listed = ", ".join(f"{outcome}: {count}" for outcome, count in sorted(outcomes.items()))
    return (
        f"### {title}: two reviewers pressing Save at the same instant, {options.rounds} rounds "
        f"({took:.0f} s)\n\n{listed}\n"
    )


if __name__ == "__main__":
    sys.exit(main())
