"""How the importer's time and memory grow with the number of questions in one FAQ file.

    .venv/bin/python bench/import_bench.py [--code PATH] [--label NAME]
        [--questions 1000,10000] [--timeout 900]

For each size, a new process imports one FAQ file of that many questions into a new SQLite
database (migrated first, not timed), then imports the same file again (an update, which
replaces every question). It prints and appends to bench/RESULTS-import.md the seconds of
each import, the growth from the previous size, and the process's peak memory. A run that
outlives --timeout is recorded as such and the larger sizes are left out.

--code points at another checkout (say, an older commit unpacked with `git archive`) so
"before" and "after" run on the same machine minutes apart. The importer refuses FAQs of
more than 100 questions; this benchmark asks for more through `import_paths(max_questions=)`
where the checkout has it (older checkouts had no limit). Each question and answer is short
so that 10,000 of them fit in the 1 MB file limit.
"""

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
RESULTS = PROJECT / "bench" / "RESULTS-import.md"

# Runs inside the checkout being measured: argv = file, questions. Prints three numbers.
IMPORT_TWICE = """
import inspect, resource, sys, time
import django
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
from conditions.importer import import_paths
path, questions = sys.argv[1], int(sys.argv[2])
# Drafts: re-importing a published article that hasn't changed is a no-op ("unchanged") and
# one that has goes into a working copy, so only drafts measure a whole second write.
options = {"publish": False}
if "max_questions" in inspect.signature(import_paths).parameters:
    options["max_questions"] = questions
timings = []
for _ in range(2):
    started = time.perf_counter()
    outcomes = list(import_paths([path], **options))
    timings.append(time.perf_counter() - started)
    assert [o.action for o in outcomes] in (["created"], ["updated"]), outcomes
peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(f"{timings[0]:.2f} {timings[1]:.2f} {peak_mib:.0f}")
"""


def faq_text(questions: int) -> str:
    lines = []
    for number in range(1, questions + 1):
        lines.append(f"Is neck pain with dizziness number {number} serious?")
        lines.append(f"Usually not. See a GP if it lasts {number} days.")
    return "\n".join(lines) + "\n"


def import_twice(code: Path, questions: int, timeout: float) -> tuple[float, float, int] | None:
    with tempfile.TemporaryDirectory(prefix="neckinfo-import-bench-") as folder:
        faq = Path(folder) / "many_questions.txt"
        faq.write_text(faq_text(questions))
        environment = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "neckinfo.settings",
            "DJANGO_DEBUG": "1",
            "DATABASE_URL": f"sqlite:///{folder}/bench.sqlite3",
            "PYTHONPATH": str(code),
        }
        try:
            finished = subprocess.run(
                [sys.executable, "-c", IMPORT_TWICE, str(faq), str(questions)],
                cwd=code,
                env=environment,
                capture_output=True,
                text=True,
                timeout=timeout,
                check=True,
            )
        except subprocess.TimeoutExpired:
            return None
        except subprocess.CalledProcessError as error:
            sys.exit(f"the import failed:\n{error.stderr}")
        created, updated, peak = finished.stdout.split()
        return float(created), float(updated), int(peak)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--code", type=Path, default=PROJECT, help="the checkout to measure")
    parser.add_argument("--label", default="this checkout")
    parser.add_argument("--questions", default="1000,10000", help="sizes, comma-separated")
    parser.add_argument("--timeout", type=float, default=900, help="seconds per size")
    options = parser.parse_args()

    load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    rows = [
        f"## {options.label}\n",
        f"{time.strftime('%Y-%m-%d %H:%M')} UTC, {os.cpu_count()} cores, load average {load} "
        "before the run (this machine is shared and its speed drifts). SQLite.\n",
        "| questions | file | first import | import again | time per question "
        "| growth in time per question | peak memory |",
        "| --: | --: | --: | --: | --: | --: | --: |",
    ]
    previous_per_question = None
    for questions in (int(size) for size in options.questions.split(",")):
        size_kb = len(faq_text(questions).encode()) / 1000
        print(f"{options.label}: {questions:,} questions ({size_kb:,.0f} KB)", flush=True)
        measured = import_twice(options.code.resolve(), questions, options.timeout)
        if measured is None:
            rows.append(
                f"| {questions:,} | {size_kb:,.0f} KB | over {options.timeout:.0f} s "
                "(stopped) | | | | |"
            )
            break
        created, updated, peak = measured
        per_question = created / questions * 1000
        growth = f"× {per_question / previous_per_question:.1f}" if previous_per_question else ""
        previous_per_question = per_question
        rows.append(
            f"| {questions:,} | {size_kb:,.0f} KB | {created:.2f} s | {updated:.2f} s "
            f"| {per_question:.2f} ms | {growth} | {peak} MiB |"
        )
    section = "\n".join(rows) + "\n"
    with RESULTS.open("a") as results:
        results.write("\n" + section)
    print(section)
    return 0


if __name__ == "__main__":
    sys.exit(main())
