"""Lighthouse scores for the home, a condition, an FAQ and a symptom page, the conditions A to Z
and a search that finds nothing, served as in production.

    make audit        (or: .venv/bin/python bench/audit.py [--preset mobile|desktop])

It fills a temporary SQLite database with the sample articles (`import_articles --publish`),
runs `collectstatic` with debug off, serves the site on plain HTTP (DJANGO_SECURE=0) with
gunicorn and gunicorn.conf.py (or, when gunicorn isn't installed, Django's `runserver
--insecure`, labelled as a stand-in in the results), and runs Lighthouse 12 from node_modules
on each page with Debian's Chromium. It prints the four
category scores and the audits that lost points, and writes them to bench/RESULTS-audit.md;
the full Lighthouse reports go to bench/out/ (not committed).

Targets: 100 for accessibility, best practices and SEO; at least 95 for performance.
"""

import argparse
import importlib.util
import json
import os
import platform
import re
import socket
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
RESULTS_FILE = PROJECT / "bench" / "RESULTS-audit.md"
REPORTS = PROJECT / "bench" / "out"
LIGHTHOUSE = PROJECT / "node_modules" / ".bin" / "lighthouse"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = (
    "--headless --no-sandbox --disable-gpu --disable-background-networking "
    "--disable-component-update --disable-sync --disable-quic --no-first-run "
    "--disable-dev-shm-usage"
)
CATEGORIES = ["performance", "accessibility", "best-practices", "seo"]
# Lighthouse simulates a slow phone from the measured CPU time: on a 2-core machine, anything
# else running (a test suite, a load test) costs the performance score points.
BUSY_LOAD = 1.0
TARGETS = {"performance": 95, "accessibility": 100, "best-practices": 100, "seo": 100}
# Search results tell search engines not to index them (`noindex`), as search engines ask:
# Lighthouse's SEO score counts that against them ("is-crawlable"), so for these pages that
# one audit is expected and every other must pass.
NOINDEX_ON_PURPOSE = {"search-nothing-found"}

# Finds one published page of each kind in the imported sample content.
FIND_PAGES = """
import json
from conditions.models import Article, Symptom
published = Article.objects.published().order_by("title")
print(json.dumps({
    "home": "/",
    "condition": published.filter(kind="condition").first().get_absolute_url(),
    "faq": published.filter(kind="faq").first().get_absolute_url(),
    "symptom": Symptom.objects.in_use().order_by("-article_count", "name")
        .first().get_absolute_url(),
    "conditions-a-to-z": "/conditions/",
    "search-nothing-found": "/search/?q=meningitis",
}))
"""

# A condition page with three library images in its text and a lead image (issue 16): the
# sample condition's content, illustrated, published as a page of its own.
ILLUSTRATE = r"""
import io, json
import PIL.Image
from django.core.files.uploadedfile import SimpleUploadedFile
from conditions import images
from conditions.models import Article, ConditionArticle, Image

def picture(width, height, seed):
    # A colour gradient, so it compresses like a photo rather than a flat diagram.
    bands = [PIL.Image.linear_gradient("L").resize((width, height)).rotate(angle)
             for angle in (0, 90 + seed * 30, 180)]
    output = io.BytesIO()
    PIL.Image.merge("RGB", bands).save(output, "JPEG", quality=90)
    return output.getvalue()

library = []
for seed, alt in enumerate(["Side view of the neck", "A disc pressing on a nerve",
                            "A desk set up for good posture", "Where the nerves run"]):
    image = Image(alt_text=alt, caption=f"{alt}.", credit="NeckInfo")
    upload = SimpleUploadedFile("picture.jpg", picture(1600, 1000, seed))
    images.store_file(image, images.prepare_upload(upload))
    image.save()
    images.make_renditions(image)
    library.append(image)
sample = ConditionArticle.objects.filter(status="published").order_by("title").first()
paragraphs = sample.body.split("\n\n")
placed = [f'![](image:{library[0].pk} "large")', f'![](image:{library[1].pk} "medium right")',
          f'![](image:{library[2].pk} "small left")']
for number, reference in enumerate(placed):
    paragraphs.insert(min(len(paragraphs), 2 + number * 4), reference)
article = ConditionArticle.objects.create(
    title="Illustrated: " + sample.title, summary=sample.summary, body="\n\n".join(paragraphs),
    when_to_get_medical_help=sample.when_to_get_medical_help, urgent_help=sample.urgent_help,
    emergency_help=sample.emergency_help, lead_image=library[3], status="published",
)
article.symptoms.set(sample.symptoms.all())
print(json.dumps(article.get_absolute_url()))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--preset", choices=["mobile", "desktop"], default="mobile")
    args = parser.parse_args()
    if not LIGHTHOUSE.exists():
        sys.exit(
            "Lighthouse is not installed: run `npm ci --no-audit --no-fund` (or `make audit`)."
        )
    if not Path(CHROMIUM).exists():
        sys.exit("Chromium is not installed: apt-get install -y chromium chromium-driver")

    with tempfile.TemporaryDirectory(prefix="neckinfo-audit-") as scratch:
        env = {
            **os.environ,
            "DJANGO_DEBUG": "0",
            "DJANGO_SECRET_KEY": "audit",
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
            # Production settings, but on plain HTTP: no redirect to HTTPS, no HSTS.
            "DJANGO_SECURE": "0",
            "DATABASE_URL": f"sqlite:///{scratch}/audit.sqlite3",
            "DJANGO_MEDIA_ROOT": f"{scratch}/media",
            "DJANGO_PUBLISH_UNREVIEWED_IMPORTS": "1",  # the sample content, as `make serve`
        }
        manage = [sys.executable, str(PROJECT / "manage.py")]
        for command in (
            ["migrate", "--noinput", "--verbosity", "0"],
            ["import_articles", "--publish", "conditions/sample_content"],
            ["collectstatic", "--noinput", "--verbosity", "0"],
        ):
            subprocess.run(
                manage + command, env=env, cwd=PROJECT, check=True, stdout=subprocess.DEVNULL
            )
        found = subprocess.run(
            manage + ["shell", "-c", FIND_PAGES], env=env, cwd=PROJECT, check=True,
            capture_output=True, text=True,
        )  # fmt: skip
        # The JSON is the last line: apps may print their own start-up lines before it.
        pages = json.loads(found.stdout.strip().splitlines()[-1])
        illustrated = subprocess.run(
            manage + ["shell", "-c", ILLUSTRATE], env=env, cwd=PROJECT, check=True,
            capture_output=True, text=True,
        )  # fmt: skip
        pages["condition-with-images"] = json.loads(illustrated.stdout.strip().splitlines()[-1])

        port = free_port()
        load_before = os.getloadavg()[0]
        server, server_name = start_server(port, env)
        try:
            wait_for(port)
            REPORTS.mkdir(parents=True, exist_ok=True)
            reports = {
                name: lighthouse(f"http://127.0.0.1:{port}{path}", name, args.preset, scratch)
                for name, path in pages.items()
            }
        finally:
            server.terminate()
            server.wait(timeout=10)

    text = results_markdown(pages, reports, server_name, args.preset, load_before)
    print(text)
    RESULTS_FILE.write_text(text, encoding="utf-8")
    print(f"Written to {RESULTS_FILE.relative_to(PROJECT)}; full reports in bench/out/.")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_server(port: int, env: dict) -> tuple[subprocess.Popen, str]:
    """gunicorn as in production; Django's runserver only as a stand-in when it's missing."""
    address = f"127.0.0.1:{port}"
    if importlib.util.find_spec("gunicorn"):
        command = [sys.executable, "-m", "gunicorn", "neckinfo.wsgi:application"]
        if (PROJECT / "gunicorn.conf.py").exists():
            command += ["--config", "gunicorn.conf.py"]
        command += ["--bind", address, "--workers", "2", "--log-level", "warning"]
        name = "gunicorn (2 workers)"
    else:
        command = [sys.executable, "manage.py", "runserver", address, "--insecure", "--noreload"]
        name = "Django runserver --insecure (STAND-IN: gunicorn is not installed)"
    print(f"Serving with {name} on http://{address}/", flush=True)
    server = subprocess.Popen(
        command, env=env, cwd=PROJECT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    return server, name


def wait_for(port: int, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.2)
    sys.exit(f"The server did not answer on port {port} within {seconds} s.")


def lighthouse(url: str, name: str, preset: str, scratch: str) -> dict:
    """Run Lighthouse on one page in a fresh Chromium profile; return its JSON report."""
    output = REPORTS / f"lighthouse-{name}-{preset}.json"
    profile = tempfile.mkdtemp(prefix=f"chromium-{name}-", dir=scratch)
    command = [
        str(LIGHTHOUSE), url, "--output=json", f"--output-path={output}", "--quiet",
        f"--chrome-flags={CHROMIUM_FLAGS} --user-data-dir={profile}",
    ]  # fmt: skip
    if preset == "desktop":
        command.append("--preset=desktop")
    print(f"Lighthouse ({preset}): {url}", flush=True)
    subprocess.run(command, env={**os.environ, "CHROME_PATH": CHROMIUM}, check=True, timeout=300)
    return json.loads(output.read_text(encoding="utf-8"))


def lost_points(report: dict) -> list[tuple[str, str, str]]:
    """Audits that count towards a category score and did not pass: (category, id, title, score)."""
    failing = []
    for category in CATEGORIES:
        for ref in report["categories"][category]["auditRefs"]:
            audit = report["audits"][ref["id"]]
            if ref["weight"] > 0 and audit["score"] is not None and audit["score"] < 1:
                failing.append((category, audit["id"], audit["title"], audit["score"]))
    return failing


def results_markdown(pages: dict, reports: dict, server_name: str, preset: str, load: float) -> str:
    lighthouse_version = next(iter(reports.values()))["lighthouseVersion"]
    user_agent = next(iter(reports.values()))["environment"]["hostUserAgent"]
    chromium_version = re.search(r"Chrome/(\S+)", user_agent).group(1)
    lines = [
        "# Lighthouse audit",
        "",
        f"Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC by `bench/audit.py` "
        f"(`make audit`): Lighthouse {lighthouse_version}, {preset} preset, headless Chromium "
        f"{chromium_version}.",
        f"Served by {server_name}, debug off, collected static files, on a "
        f"{os.cpu_count()}-core {platform.machine()} machine; a temporary SQLite database "
        "with the sample articles (`import_articles --publish conditions/sample_content`).",
        f"Load average before the run: {load:.2f}"
        + (
            " (busy: other work was running, which can lower the performance scores)."
            if load > BUSY_LOAD
            else "."
        ),
        "Targets: performance at least 95; accessibility, best practices and SEO 100.",
        "",
        "| page | address | performance | accessibility | best practices | SEO |",
        "| --- | --- | ---: | ---: | ---: | ---: |",
    ]
    for name, report in reports.items():
        scores = []
        for category in CATEGORIES:
            score = report["categories"][category]["score"]
            value = "n/a" if score is None else round(score * 100)
            below = score is not None and value < TARGETS[category]
            if below and category == "seo" and name in NOINDEX_ON_PURPOSE:
                lost = {audit for cat, audit, *_ in lost_points(report) if cat == "seo"}
                if lost == {"is-crawlable"}:
                    scores.append(f"{value} (noindex on purpose; every other audit passed)")
                    continue
            scores.append(f"**{value}** (below target)" if below else str(value))
        lines.append(f"| {name} | `{pages[name]}` | " + " | ".join(scores) + " |")

    lines += ["", "## Audits that lost points", ""]
    any_failing = False
    for name, report in reports.items():
        failing = lost_points(report)
        if failing:
            any_failing = True
            lines.append(f"- **{name}**:")
            lines += [
                f"  - {category}: `{audit_id}` {title} (score {score:.2f})"
                for category, audit_id, title, score in failing
            ]
    if not any_failing:
        lines.append("None: every scored audit passed on every page.")

    lines += ["", "## Other advice (no weight in the scores)", ""]
    advice = {}
    for name, report in reports.items():
        for audit_id, title, value in unweighted_advice(report):
            advice.setdefault((audit_id, title), []).append(f"{name}: {value}" if value else name)
    lines += [
        f"- `{audit_id}` {title} ({'; '.join(where)})"
        for (audit_id, title), where in advice.items()
    ]
    if not advice:
        lines.append("None.")
    return "\n".join(lines) + "\n"


def unweighted_advice(report: dict) -> list[tuple[str, str, str]]:
    """Diagnostics and insights below full marks that don't count: (id, title, display value)."""
    weighted = {
        ref["id"]
        for category in CATEGORIES
        for ref in report["categories"][category]["auditRefs"]
        if ref["weight"] > 0
    }
    return [
        (audit_id, audit["title"], audit.get("displayValue", ""))
        for audit_id, audit in report["audits"].items()
        if audit_id not in weighted
        and audit["score"] is not None
        and audit["score"] < 1
        and audit["scoreDisplayMode"] in ("binary", "numeric", "metricSavings")
    ]


if __name__ == "__main__":
    main()
