"""The load benchmark's own parts: reading wrk's report, and saving like an editor in a browser."""

import importlib.util
from pathlib import Path

import pytest
from django.urls import reverse
from reversion.models import Version

from tests.factories import make_condition

pytestmark = pytest.mark.django_db

spec = importlib.util.spec_from_file_location(
    "load_bench", Path(__file__).resolve().parent.parent / "bench" / "load_bench.py"
)
load_bench = importlib.util.module_from_spec(spec)
spec.loader.exec_module(load_bench)

WRK_OUTPUT = """\
Running 10s test @ http://127.0.0.1:8123/conditions/whiplash/
  2 threads and 16 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     5.12ms    8.31ms 312.40ms   98.71%
    Req/Sec     1.52k   210.33     1.90k    71.50%
  Latency Distribution
     50%  850.00us
     75%    4.71ms
     90%    5.60ms
     99%    1.20s
  30412 requests in 10.01s, 512.33MB read
  Socket errors: connect 0, read 2, write 0, timeout 1
  Non-2xx or 3xx responses: 4
Requests/sec:   3038.26
Transfer/sec:     51.18MB
5xx responses: 3
X-Cache hits: 30100, misses: 312
"""


def test_wrk_report_gives_throughput_latency_in_ms_and_every_kind_of_error():
    result = load_bench.parse_wrk(WRK_OUTPUT)

    assert result["rps"] == 3038.26
    assert result["p50_ms"] == pytest.approx(0.85)
    assert result["p99_ms"] == 1200.0
    assert result["errors"] == 4 + 3  # non-2xx/3xx answers, then socket errors
    assert (result["server_errors"], result["hits"], result["misses"]) == (3, 30100, 312)


def test_editor_form_fields_save_the_article_through_the_admin(superuser_client, settings):
    settings.ALLOW_SELF_REVIEW = True  # as the benchmark's server runs: one person
    article = make_condition(
        "Whiplash",
        symptoms=["Neck pain", "Headache"],
        when_to_get_medical_help="- the pain lasts more than a few weeks",
    )
    change = reverse("admin:conditions_conditionarticle_change", args=[article.pk])
    # As the benchmark does it: the live article's working copy, saved, then published.
    live_page = superuser_client.get(change).content.decode()
    start = dict(load_bench.form_fields(live_page, "start-working-copy"))
    copy_change = superuser_client.post(change.replace("/change/", "/working-copy/start/"), start)[
        "Location"
    ]

    page = superuser_client.get(copy_change).content.decode()
    fields = load_bench.form_fields(page, "conditionarticle_form")
    fields = [
        (name, load_bench.with_save_number(value, 7) if name == "body" else value)
        for name, value in load_bench.with_reviewer(fields)
    ]
    response = superuser_client.post(copy_change, dict_of_lists(fields) | {"_save": "Save"})
    assert response.status_code == 302, load_bench.refusal(
        load_bench.Answer(response.status_code, {}, response.content.decode())
    )
    sign_off = load_bench.form_fields(
        superuser_client.get(copy_change).content.decode(), "moderation_form"
    )
    response = superuser_client.post(
        copy_change.replace("/change/", "/moderate/"),
        dict_of_lists([*sign_off, ("decision", "sign_off")]),
    )
    assert response.status_code == 302
    publish = copy_change.replace("/change/", "/working-copy/publish/")
    publish_page = superuser_client.get(publish).content.decode()
    response = superuser_client.post(
        publish, dict(load_bench.form_fields(publish_page, "publish-working-copy"))
    )

    assert response.status_code == 302
    article.refresh_from_db()
    assert article.body.endswith("\n\nSave number 7.")
    assert sorted(s.name for s in article.symptoms.all()) == ["Headache", "Neck pain"]
    assert Version.objects.get_for_object(article).count() == 1


def test_a_new_save_number_replaces_the_last_one():
    body = load_bench.with_save_number("## About\n\nText.", 1)

    assert load_bench.with_save_number(body, 2) == "## About\n\nText.\n\nSave number 2."


def bench_run(name: str, rps: float, hits: int, misses: int, cached=True, ceiling=False):
    return {"name": name, "rps": rps, "requests": 10_000, "hits": hits, "misses": misses,
            "cached": cached, "ceiling": ceiling, "errors": 0, "p99": ""}  # fmt: skip


def test_a_figure_is_only_called_cached_or_uncached_when_the_answers_say_so():
    runs = [
        bench_run("static file", 3000, 0, 0, ceiling=True),
        bench_run("condition", 2900, 9_000, 1_000),  # a tenth rendered afresh: not cached
        bench_run("static file", 3000, 0, 0, ceiling=True),
        bench_run("search (uncached)", 80, 0, 10, cached=False),  # the page cache was on
    ]
    load_bench.compare_with_static(runs)
    load_bench.keep_median_rounds(runs)
    result = {"backend": "sqlite", "runs": runs, "server_logs": [], "editor_run": None}

    verdicts = dict(load_bench.targets(result))

    assert verdicts["condition at 97% of the static file's throughput (target ≥ 95%)"]
    assert not verdicts["cached runs: 9000 of 10000 answers were X-Cache hits (target ≥ 99.9%)"]
    assert not verdicts["uncached runs: 10 of 10000 answers carried an X-Cache header (target 0)"]


def dict_of_lists(pairs: list[tuple[str, str]]) -> dict[str, list[str]]:
    """What the test client posts for a form with repeated names (several symptoms)."""
    data: dict[str, list[str]] = {}
    for name, value in pairs:
        data.setdefault(name, []).append(value)
    return data
