"""What Markdown costs to check and to render, at the edge of what the limits accept.

    .venv/bin/python bench/markdown_bench.py [--runs 5] [--unchecked-timeout 60]

For each shape of text an editor (or an attacker) can write, the longest text of that shape
that `markdown_problem` accepts is found, then rendered: its estimated and its measured
rendering time (median of --runs) show whether the cost model in conditions/markdown.py
holds, and the slowest of them is what one Preview or save can cost a worker. Real articles
are measured the same way. Then the texts the issue found (runs of "[") are rendered as the
code before the limits did, unchecked, each in a process of its own stopped after
--unchecked-timeout seconds, beside what checking and refusing them costs now.
Appends to bench/RESULTS-markdown.md.
"""

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "neckinfo.settings")
os.environ.setdefault("DJANGO_DEBUG", "1")

import django  # noqa: E402

django.setup()

from conditions.markdown import (  # noqa: E402
    MAX_MARKDOWN_LENGTH,
    _rendered,
    estimated_render_microseconds,
    markdown_problem,
)
from tests.test_markdown import SAMPLE_FOLDERS, long_nhs_style_article, words  # noqa: E402

RESULTS = PROJECT / "bench" / "RESULTS-markdown.md"

# Shapes of text, each made n times over; the costly ones Python-Markdown meets in articles.
SHAPES = {
    "brackets `[[[`": lambda n: "[" * n,
    "unclosed links `[word word…`": lambda n: ("[" + words(20)) * n,
    "unclosed addresses `[a](word…`": lambda n: ("[a](" + words(20)) * n,
    "unclosed tags `<a word…`": lambda n: ("<a " + words(20)) * n,
    "links `[a](b)`": lambda n: "[a](b) " * n,
    "paragraphs": lambda n: "a\n\n" * n,
    "list items": lambda n: "- a\n" * n,
    "nested list items": lambda n: "  - a\n" * n,
    "headings": lambda n: "# h\n" * n,
    "italics `*a `": lambda n: "*a " * n,
    "bold paragraphs": lambda n: ("**a** " * 50 + "\n\n") * max(1, n // 50),
    "ampersands `&`": lambda n: "&" * n,
    "table columns": lambda n: "|" + " a |" * n + "\n|" + "---|" * n,
    "lists nested 8 deep": lambda n: "\n".join("  " * (i % 8) + "- x" for i in range(n)),
}
# Texts the issue found: Python-Markdown's time grows with the square of their length.
UNCHECKED = [4000, 8000, 16000]


def longest_accepted(make) -> str:
    """The longest make(n) that markdown_problem accepts (bisection on n)."""
    low, high = 1, 1
    while markdown_problem(make(high)) is None and len(make(high)) <= MAX_MARKDOWN_LENGTH:
        low, high = high, high * 2
    while high - low > 1:
        middle = (low + high) // 2
        if markdown_problem(make(middle)) is None:
            low = middle
        else:
            high = middle
    return make(low)


def median_ms(function, text: str, runs: int) -> float:
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        function(text)
        timings.append((time.perf_counter() - started) * 1000)
    return statistics.median(timings)


def rendered_unchecked_ms(text_length: int, timeout: float) -> float | None:
    """Seconds Python-Markdown takes on "[" * text_length, as before the limits; None if it
    outlives `timeout`."""
    program = (
        "import sys, time; sys.path.insert(0, sys.argv[1]);"
        "import django; django.setup();"
        "from conditions.markdown import _rendered;"
        "started = time.perf_counter(); _rendered('[' * int(sys.argv[2]));"
        "print((time.perf_counter() - started) * 1000)"
    )
    try:
        finished = subprocess.run(
            [sys.executable, "-c", program, str(PROJECT), str(text_length)],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=True,
        )
    except subprocess.TimeoutExpired:
        return None
    return float(finished.stdout)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--unchecked-timeout", type=float, default=60)
    options = parser.parse_args()

    load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    rows = [
        f"## {time.strftime('%Y-%m-%d %H:%M')} UTC\n",
        f"{os.cpu_count()} cores, load average {load} before the run (this machine is shared "
        "and its speed drifts); median of {runs} runs.\n".replace("{runs}", str(options.runs)),
        "### The longest text of each shape the limits accept\n",
        "| text | characters | check | estimated render | measured render |",
        "| --- | --: | --: | --: | --: |",
    ]
    # The sample articles and the seeds they came from are the same files: each once.
    samples = {
        path.name: path.read_text()
        for folder in SAMPLE_FOLDERS
        for path in sorted(folder.glob("*.txt"))
    }
    texts = [(name, longest_accepted(make)) for name, make in SHAPES.items()]
    texts += [
        *samples.items(),
        ("NHS-style article, 2,500 words, 200 references", long_nhs_style_article()),
    ]
    slowest = 0.0
    for name, text in texts:
        assert markdown_problem(text) is None, name
        check = median_ms(markdown_problem, text, options.runs)
        render = median_ms(_rendered, text, options.runs)
        estimate = estimated_render_microseconds(text) / 1000
        slowest = max(slowest, render)
        rows.append(
            f"| {name} | {len(text):,} | {check:.1f} ms | {estimate:.0f} ms | {render:.1f} ms |"
        )
        print(rows[-1], flush=True)
    rows.append(f"\nThe slowest accepted text renders in {slowest:.0f} ms.\n")

    rows += [
        "### Runs of `[`: rendered unchecked (as before the limits) and checked now\n",
        "| text | unchecked render (before) | check and refuse (now) |",
        "| --- | --: | --: |",
    ]
    for length in UNCHECKED:
        text = "[" * length
        assert markdown_problem(text) is not None
        check = median_ms(markdown_problem, text, options.runs)
        unchecked = rendered_unchecked_ms(length, options.unchecked_timeout)
        shown = (
            f"over {options.unchecked_timeout:.0f} s (stopped)"
            if unchecked is None
            else f"{unchecked / 1000:.1f} s"
        )
        rows.append(f"| `[` × {length:,} | {shown} | {check:.1f} ms |")
        print(rows[-1], flush=True)

    section = "\n".join(rows) + "\n"
    with RESULTS.open("a") as results:
        results.write("\n" + section)
    print(section)
    return 0


if __name__ == "__main__":
    sys.exit(main())
