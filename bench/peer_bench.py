"""NeckInfo beside Wagtail 8.0.1 (the system a team would pick instead), on the same articles
and symptoms, the same machine, runs interleaved.

    .venv/bin/python bench/peer_bench.py [--articles 10000] [--runs 21] [--rounds 3]
                                         [--backend sqlite|postgres|both]
                                         [--filled-database /path/to/neckinfo.sqlite3]

The peer is a small Wagtail site in bench/wagtail_peer/, modelled as a Wagtail team would
model NeckInfo's content (an article page type with its symptoms as tags; an index page
whose tag route lists a tag's articles 20 to a page, A to Z, their tags prefetched), in a
virtualenv of its own (bench/wagtail_peer/.venv, made from its requirements.txt on the first
run). Its database is filled from NeckInfo's: the same published articles (titles, slugs,
summaries, rendered text) and the same symptoms as tags.

Both run on the same database engine, SQLite or PostgreSQL (databases `neckinfo_peer_bench`
and `wagtail_peer_bench`, dropped and made again; NeckInfo's filled by `generate_demo_content`
with the same seed, so with the same articles as the SQLite file the peer is filled from),
each through Django's WSGI handler in a process of its own, debug off:
NeckInfo's pages with its page cache emptied before every request and each answer checked
to be a miss (bench/symptom_pages_bench.py --json), Wagtail's with no page cache (it has none
unless one is added). Each round measures NeckInfo, then Wagtail, then the next round starts:
a change in the machine's load falls on both. Pages compared: an article page, the symptom
(tag) page with the most articles, and its 50th page; then the search page for SEARCHES of
search_bench.py's queries, each asked once a round (a new Wagtail project's search view, on
Wagtail's database search backend: SQLite's FTS5 or PostgreSQL's full-text search), with how
many articles each site found. NeckInfo's pages carry more than the
peer's (red flags, help callouts, the further symptoms with their counts, navigation and
footer), so the comparison is in Wagtail's favour.

Writes bench/RESULTS-peer.md.
"""

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote_plus

PROJECT = Path(__file__).resolve().parent.parent
PEER = PROJECT / "bench" / "wagtail_peer"
PEER_PYTHON = PEER / ".venv" / "bin" / "python"
RESULTS_FILE = PROJECT / "bench" / "RESULTS-peer.md"
POSTGRES_URLS = {
    "NeckInfo": "postgres://postgres@127.0.0.1:5432/neckinfo_peer_bench",
    "Wagtail": "postgres://postgres@127.0.0.1:5432/wagtail_peer_bench",
}

sys.path.insert(0, str(Path(__file__).resolve().parent))  # bench/, when loaded by path
from databases import drop_postgres_database, recreate_postgres_database  # noqa: E402
from search_bench import p95, query_mix  # noqa: E402

# Searches compared: the first of search_bench.py's mix (words, phrases, typos, synonyms,
# British/American spellings, questions), each asked once a round on each site.
SEARCHES = 21


def run(command: list[str], **kwargs) -> str:
    result = subprocess.run(command, capture_output=True, text=True, **kwargs)
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout


def peer_virtualenv() -> None:
    """The peer's virtualenv, made once (its requirements.txt pins every package)."""
    if PEER_PYTHON.exists():
        return
    print("Making the Wagtail peer's virtualenv (once)...", flush=True)
    run([sys.executable, "-m", "venv", str(PEER / ".venv")])
    run([str(PEER_PYTHON), "-m", "pip", "install", "-q", "-r", str(PEER / "requirements.txt")])


def fill_neckinfo(database_url: str, articles: int) -> None:
    environment = {**os.environ, "DATABASE_URL": database_url, "DJANGO_DEBUG": "1"}
    manage = [sys.executable, str(PROJECT / "manage.py")]
    print(f"Filling NeckInfo ({database_url}) with {articles} articles...", flush=True)
    run([*manage, "migrate", "-v0"], env=environment)
    # The same seed on every database: the same articles and symptoms.
    run([*manage, "generate_demo_content", str(articles), "--seed", "1"], env=environment)


def neckinfo_database(options, folder: Path) -> Path:
    """The NeckInfo SQLite file measured on SQLite and copied into the peer."""
    if options.filled_database:
        return Path(options.filled_database)
    path = folder / "neckinfo.sqlite3"
    fill_neckinfo(f"sqlite:///{path}", options.articles)
    return path


def peer_database(source: Path, url: str) -> str:
    environment = {**os.environ, "PEER_DATABASE_URL": url}
    manage = [str(PEER_PYTHON), str(PEER / "manage.py")]
    print("Filling the Wagtail peer from it...", flush=True)
    run([*manage, "migrate", "-v0"], env=environment, cwd=PEER)
    print(run([*manage, "fill_from_neckinfo", str(source)], env=environment, cwd=PEER).strip())
    return url


def pages_to_compare(source: Path) -> tuple[list[str], list[str], str]:
    """(NeckInfo's addresses, the peer's, the symptom): one article, the symptom with the
    most published articles, its 50th page."""
    import sqlite3

    database = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    slug, kind = database.execute(
        "SELECT slug, kind FROM conditions_article WHERE status = 'published' "
        "AND kind = 'condition' ORDER BY id LIMIT 1"
    ).fetchone()
    (symptom,) = database.execute(
        "SELECT s.slug FROM conditions_symptom s JOIN conditions_taggedarticle t "
        "ON t.tag_id = s.id JOIN conditions_article a ON a.id = t.content_object_id "
        "WHERE a.status = 'published' GROUP BY s.id ORDER BY COUNT(*) DESC, s.id LIMIT 1"
    ).fetchone()
    neckinfo = [f"/conditions/{slug}/", f"/symptoms/{symptom}/", f"/symptoms/{symptom}/?page=50"]
    peer = [f"/{slug}/", f"/tags/{symptom}/", f"/tags/{symptom}/?page=50"]
    return neckinfo, peer, symptom


def measure_neckinfo(database_url: str, urls: list[str], runs: int) -> dict:
    environment = {**os.environ, "DATABASE_URL": database_url}
    script = PROJECT / "bench" / "symptom_pages_bench.py"
    output = run(
        [sys.executable, str(script), "--json", "--runs", str(runs), *urls], env=environment
    )
    measured = json.loads(output.strip().splitlines()[-1])
    if wrong := {url: status for url, status in measured["statuses"].items() if status != 200}:
        raise SystemExit(f"NeckInfo answered {wrong}: not the pages to compare")
    return measured


def measure_peer(url: str, urls: list[str], runs: int) -> dict:
    environment = {**os.environ, "PEER_DATABASE_URL": url}
    script = PEER / "measure.py"
    output = run([str(PEER_PYTHON), str(script), "--runs", str(runs), *urls], env=environment)
    return json.loads(output.strip().splitlines()[-1])


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} {five:.2f} {fifteen:.2f}"


def measure(options, source: Path, backend: str, folder: Path) -> tuple[str, dict]:
    """One database engine's rounds: (its report section, the samples)."""
    if backend == "sqlite":
        neckinfo_url = f"sqlite:///{source}"
        peer_url = peer_database(source, f"sqlite:///{folder / 'peer.sqlite3'}")
    else:
        for url in POSTGRES_URLS.values():
            if not recreate_postgres_database(url):
                raise SystemExit(f"PostgreSQL does not answer at {url}")
        neckinfo_url = POSTGRES_URLS["NeckInfo"]
        fill_neckinfo(neckinfo_url, options.articles)
        peer_url = peer_database(source, POSTGRES_URLS["Wagtail"])
    neckinfo_urls, peer_urls, symptom = pages_to_compare(source)
    load_before, started = load(), time.perf_counter()
    samples = {"NeckInfo": {url: [] for url in neckinfo_urls}}
    samples["Wagtail"] = {url: [] for url in peer_urls}
    sizes = {}
    for round_number in range(options.rounds):
        print(
            f"{backend}: round {round_number + 1} of {options.rounds} (load {load()})", flush=True
        )
        for name, measured in (
            ("NeckInfo", measure_neckinfo(neckinfo_url, neckinfo_urls, options.runs)),
            ("Wagtail", measure_peer(peer_url, peer_urls, options.runs)),
        ):
            for url, times in measured["times"].items():
                samples[name][url] += times
            sizes.update({(name, url): size for url, size in measured["bytes"].items()})
    queries = [query for _, query in query_mix(SEARCHES)]
    search_urls = {
        "NeckInfo": [f"/search/?q={quote_plus(query)}" for query in queries],
        "Wagtail": [f"/search/?query={quote_plus(query)}" for query in queries],
    }
    search_times = {"NeckInfo": [], "Wagtail": []}
    found = {}
    for round_number in range(options.rounds):
        print(f"{backend}: searches, round {round_number + 1} (load {load()})", flush=True)
        for name, measured in (
            ("NeckInfo", measure_neckinfo(neckinfo_url, search_urls["NeckInfo"], 1)),
            ("Wagtail", measure_peer(peer_url, search_urls["Wagtail"], 1)),
        ):
            for times in measured["times"].values():
                search_times[name] += times
            found[name] = [_count(measured["found"][url]) for url in search_urls[name]]
    if backend == "postgres":
        for url in POSTGRES_URLS.values():
            drop_postgres_database(url)

    lines = [
        f"## {'SQLite' if backend == 'sqlite' else 'PostgreSQL'}",
        "",
        f"Load average {load_before} before and {load()} after (measured in "
        f"{time.perf_counter() - started:.0f} s).",
        "",
        "| page | NeckInfo median | NeckInfo rounds | Wagtail median | Wagtail rounds "
        "| Wagtail ÷ NeckInfo | NeckInfo KB | Wagtail KB |",
        "| --- | --: | --- | --: | --- | --: | --: | --: |",
    ]
    labels = ["an article page", f"the largest symptom page ({symptom})", "its 50th page"]
    runs = options.runs

    def rounds(times):
        return ", ".join(
            f"{statistics.median(times[i : i + runs]):.1f}" for i in range(0, len(times), runs)
        )

    for label, ours, theirs in zip(labels, neckinfo_urls, peer_urls, strict=True):
        our_times, their_times = samples["NeckInfo"][ours], samples["Wagtail"][theirs]
        ours_ms, theirs_ms = statistics.median(our_times), statistics.median(their_times)
        lines.append(
            f"| {label}: `{ours}`, `{theirs}` | {ours_ms:.1f} | {rounds(our_times)} "
            f"| {theirs_ms:.1f} | {rounds(their_times)} | {theirs_ms / ours_ms:.2f} "
            f"| {sizes[('NeckInfo', ours)] / 1024:.0f} | {sizes[('Wagtail', theirs)] / 1024:.0f} |"
        )
    lines += [
        "",
        f"Search pages, {len(queries)} queries (`search_bench.query_mix`), each asked once a "
        f"round, {options.rounds} rounds: NeckInfo's `/search/?q=…` (10 results a page, each "
        "with its passage highlighted and its symptoms), the peer's `/search/?query=…` (a new "
        "Wagtail project's search view: `.live().search(query)`, 10 a page, Wagtail's "
        "database search backend). NeckInfo lists at most the best 300 matches, so its "
        "count stops at 300.",
        "",
        "| | NeckInfo | Wagtail |",
        "| --- | --: | --: |",
        f"| median ms | {statistics.median(search_times['NeckInfo']):.1f} "
        f"| {statistics.median(search_times['Wagtail']):.1f} |",
        f"| p95 ms | {p95(search_times['NeckInfo']):.1f} | {p95(search_times['Wagtail']):.1f} |",
        f"| slowest ms | {max(search_times['NeckInfo']):.1f} "
        f"| {max(search_times['Wagtail']):.1f} |",
        f"| queries finding nothing | {found['NeckInfo'].count(0)} | {found['Wagtail'].count(0)} |",
        "",
        "| query | NeckInfo found | Wagtail found |",
        "| --- | --: | --: |",
        *(
            f"| `{query}` | {ours} | {theirs} |"
            for query, ours, theirs in zip(
                queries, found["NeckInfo"], found["Wagtail"], strict=True
            )
        ),
    ]
    return "\n".join(lines), samples


def _count(text: str) -> int:
    """The number in a search page's result count ("300 articles found.", "2,451 found."), 0
    for "No articles found…"."""
    number = re.search(r"\d[\d,]*", text)
    return int(number.group().replace(",", "")) if number else 0


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--articles", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=21)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="sqlite")
    parser.add_argument("--filled-database", help="a NeckInfo SQLite file already filled")
    options = parser.parse_args()
    backends = ["sqlite", "postgres"] if options.backend == "both" else [options.backend]

    peer_virtualenv()
    sections = []
    with tempfile.TemporaryDirectory(prefix="neckinfo-peer-") as folder:
        source = neckinfo_database(options, Path(folder))
        for backend in backends:
            section, _ = measure(options, source, backend, Path(folder))
            sections.append(section)

    command = f"bench/peer_bench.py --runs {options.runs} --rounds {options.rounds}"
    command += f" --backend {options.backend}"
    if options.filled_database:
        command += f" --filled-database {options.filled_database}"
    articles = f"{options.articles:,} articles" if not options.filled_database else "Its articles"
    report = "\n".join(
        [
            "# NeckInfo beside Wagtail 8.0.1",
            "",
            f"`{command}`, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} CPUs. "
            f"{articles}, the same on both sites; every request rendered from the database "
            "(NeckInfo's page cache emptied before each and checked to be a miss; the peer has "
            "none). Milliseconds per page, in-process through Django's WSGI handler, the median "
            "of every request of every round, and each round's median.",
            "",
            *(section + "\n" for section in sections),
        ]
    )
    print("\n" + report)
    RESULTS_FILE.write_text(report)
    print(f"Written to {RESULTS_FILE.relative_to(PROJECT)}")


if __name__ == "__main__":
    main()
