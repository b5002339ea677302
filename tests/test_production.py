"""Production behaviour: settings, caching with instant invalidation, security, backups."""

import gzip
import hashlib
import http.client
import os
import re
import socket
import sqlite3
import subprocess
import sys
import time
from datetime import timedelta
from io import StringIO
from pathlib import Path

import pytest
import redis
import time_machine
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from conditions.caching import CONTENT_VERSION_KEY, WORKER_PAGES, content_version
from conditions.models import ContentVersion
from tests.factories import make_condition, make_faq

pytestmark = pytest.mark.django_db

PROJECT = Path(__file__).resolve().parent.parent
PRODUCTION_ENV = {
    "DJANGO_DEBUG": "0",
    "DJANGO_SECRET_KEY": "x7#k2!pQ9zL0vR4mW8nB3cY6tH1jF5dS-uE0aG7iO2wK9qZ4rT8yX1cV6bN3mM5",
    "DJANGO_ALLOWED_HOSTS": "www.neckinfo.example",
    "DJANGO_BEHIND_TLS_PROXY": "1",
}
REDIS = "redis://127.0.0.1:6379/15"


@pytest.fixture
def shared_redis(settings):
    """Django's cache in Redis, as several app servers share it; emptied before and after."""
    settings.CACHES = {
        "default": {
            "BACKEND": "neckinfo.redis_cache.ResilientRedisCache",
            "LOCATION": REDIS,
            "KEY_PREFIX": "neckinfo-test",
        }
    }
    shared = redis.Redis.from_url(REDIS)
    shared.flushdb()
    yield shared
    shared.flushdb()


def fresh_environment(**env: str) -> dict:
    """This process's environment without the test settings, plus the real settings module and
    `env`: for running the site in another process as an operator would."""
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "PYTEST", "REDIS_URL"))
    }
    environment.update(env, DJANGO_SETTINGS_MODULE="neckinfo.settings")
    return environment


def manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    """Run manage.py in a fresh process, with the real settings module and `env`."""
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=PROJECT,
        env=fresh_environment(**env),
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_is_clean_with_the_documented_production_settings():
    result = manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION_ENV)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_without_a_secret_key_production_refuses_to_start():
    result = manage("check", DJANGO_DEBUG="0")

    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY must be set" in result.stderr


def test_the_example_secret_key_is_refused():
    example = (PROJECT / ".env.example").read_text()
    placeholder = re.search(r"^DJANGO_SECRET_KEY=(.*)$", example, re.M)[1]

    result = manage("check", "--deploy", **{**PRODUCTION_ENV, "DJANGO_SECRET_KEY": placeholder})

    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY is the example's placeholder" in result.stderr


def test_make_serve_makes_a_secret_key_of_its_own_and_keeps_it(tmp_path):
    key_file = tmp_path / "serve-secret-key"
    make = ["make", "--no-print-directory", "-s", f"SERVE_SECRET_KEY_FILE={key_file}"]

    first = subprocess.run([*make, str(key_file)], cwd=PROJECT, capture_output=True, text=True)
    key = key_file.read_text().strip()
    again = subprocess.run([*make, str(key_file)], cwd=PROJECT, capture_output=True, text=True)

    assert first.returncode == 0 and again.returncode == 0, first.stderr + again.stderr
    assert len(key) >= 50 and key_file.read_text().strip() == key  # made once, then kept
    assert oct(key_file.stat().st_mode & 0o777) == "0o600"


def test_the_admin_address_is_configurable():
    result = manage(
        "shell", "-c", "from django.urls import reverse; print(reverse('admin:index'))",
        DJANGO_DEBUG="1", DJANGO_ADMIN_PATH="editors-7f3a",
    )  # fmt: skip

    assert result.stdout.strip().splitlines()[-1] == "/editors-7f3a/"


def test_healthz_answers_when_database_and_cache_answer(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "cache": "ok"}


@override_settings(
    CACHES={
        "default": {
            "BACKEND": "neckinfo.redis_cache.ResilientRedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens there
        }
    }
)
def test_healthz_reports_a_cache_that_is_down_as_degraded_while_the_site_serves(client):
    response = client.get("/healthz")

    # Still in service: pages come from the database meanwhile.
    assert response.status_code == 200
    assert response.json()["status"] == "degraded"
    assert response.json()["cache"].startswith("degraded: ConnectionError")


def test_public_pages_are_served_from_the_cache(client):
    article = make_condition("Whiplash")

    first = client.get(article.get_absolute_url())
    second = client.get(article.get_absolute_url())

    assert first["X-Cache"] == "miss" and second["X-Cache"] == "hit"
    assert second.content == first.content


def test_a_browser_that_accepts_gzip_gets_the_cached_page_compressed(
    client, django_assert_max_num_queries
):
    article = make_condition("Whiplash", body="## Causes\n\n" + "A sprain of the neck. " * 200)
    plain = client.get(article.get_absolute_url())

    with django_assert_max_num_queries(1):  # the content version; nothing is rendered
        compressed = client.get(article.get_absolute_url(), HTTP_ACCEPT_ENCODING="gzip, br")

    assert compressed["X-Cache"] == "hit" and compressed["Content-Encoding"] == "gzip"
    assert gzip.decompress(compressed.content) == plain.content
    assert int(compressed["Content-Length"]) == len(compressed.content) < len(plain.content) / 3
    assert "Content-Encoding" not in plain
    # Caches between here and the reader keep the two apart.
    assert "Accept-Encoding" in compressed["Vary"] and "Accept-Encoding" in plain["Vary"]
    assert compressed["ETag"] != plain["ETag"]
    revalidated = client.get(
        article.get_absolute_url(),
        HTTP_ACCEPT_ENCODING="gzip",
        HTTP_IF_NONE_MATCH=compressed["ETag"],
    )
    assert revalidated.status_code == 304


def test_the_first_reader_of_a_page_gets_it_compressed_too(client):
    article = make_condition("Whiplash")

    first = client.get(article.get_absolute_url(), HTTP_ACCEPT_ENCODING="gzip")

    assert first["X-Cache"] == "miss" and first["Content-Encoding"] == "gzip"
    assert "Whiplash" in gzip.decompress(first.content).decode()


def test_pages_cached_by_the_previous_release_are_never_served(client, shared_redis):
    # During a rolling deploy the old servers go on filling Redis with pages in their own
    # format (the previous release stored no compressed copy); the new servers skip them.
    article = make_condition("Whiplash")
    address = f"http://testserver{article.get_absolute_url()}?"
    previous_release_key = "page:" + hashlib.sha256(address.encode()).hexdigest()
    old_page = {"version": content_version()["id"], "content": b"Old", "headers": {}}
    cache.set(previous_release_key, old_page, 600)

    response = client.get(article.get_absolute_url(), HTTP_ACCEPT_ENCODING="gzip")

    assert response.status_code == 200 and response["X-Cache"] == "miss"
    assert "Whiplash" in gzip.decompress(response.content).decode()


def test_readers_from_a_shared_link_with_tracking_tags_share_one_cached_page(
    client, django_assert_max_num_queries
):
    article = make_condition("Whiplash")
    url = article.get_absolute_url()
    client.get(url)

    # Each reader arriving from social media carries their own click identifier.
    with django_assert_max_num_queries(1):  # the content version; nothing is rendered
        tagged = client.get(url + "?utm_source=facebook&fbclid=IwAR0abc123")
    client.get(url + "?fbclid=IwAR0def456&made_up=1")

    assert tagged["X-Cache"] == "hit"
    # The page never shows one reader's tags to another (the printed footer's address).
    assert "fbclid" not in tagged.content.decode() and "utm_source" not in tagged.content.decode()


def test_query_parameters_the_site_reads_still_give_their_own_pages(client):
    make_condition("Whiplash", body="A sudden jolt of the head.")
    make_condition("Torticollis", body="A twisted neck on waking.")

    whiplash = client.get("/search/?q=whiplash&utm_campaign=spring")
    torticollis = client.get("/search/?q=torticollis")
    whiplash_again = client.get("/search/?q=whiplash")

    assert whiplash["X-Cache"] == "miss" and torticollis["X-Cache"] == "miss"
    assert whiplash_again["X-Cache"] == "hit"
    assert "Whiplash" in whiplash_again.content.decode()
    assert "Whiplash" not in torticollis.content.decode()


@pytest.mark.parametrize(
    "url, same_page",
    [
        ("/", "/?page=2&q=x"),
        ("/conditions/", "/conditions/?q=x&with=y&p=3"),
        ("/conditions/?page=1", "/conditions/?q=x&page=1"),
        ("/faqs/", "/faqs/?q=x&page="),
        ("/symptoms/", "/symptoms/?page=7"),
        ("/symptoms/neck-pain/", "/symptoms/neck-pain/?q=x&p=2"),
        ("/symptoms/neck-pain/?with=headache", "/symptoms/neck-pain/?symptom=x&with=headache"),
        ("/conditions/article-0/", "/conditions/article-0/?page=xyz"),
        ("/faqs/faq-0/", "/faqs/faq-0/?page=2&with=x"),
        ("/search/?q=neck&type=condition", "/search/?type=condition&q=spasm&q=neck&page=&with=x"),
        ("/search/?q=neck", "/search/?q=neck&type=&symptom="),
        ("/search/suggest/?q=neck", "/search/suggest/?q=neck&page=3"),
        ("/sitemap.xml", "/sitemap.xml?x=1&p=2"),
        ("/sitemap-conditions.xml", "/sitemap-conditions.xml?page=2"),
        ("/feed/", "/feed/?page=2"),
        ("/robots.txt", "/robots.txt?q=x"),
    ],
)
def test_query_parameters_a_page_does_not_read_get_the_page_already_cached(
    client, django_assert_max_num_queries, url, same_page
):
    # Otherwise `?page=<random>` on a page without pages renders it afresh every time.
    for number in range(2):
        make_condition(f"Article {number}", ["Neck pain", "Headache"], body="Neck spasm.")
        make_faq(f"Faq {number}", [("Why?", "Because.")], ["Neck pain"])
    assert client.get(url).status_code == 200

    with django_assert_max_num_queries(1):  # the content version; nothing is rendered
        response = client.get(same_page)

    assert response.status_code == 200 and response["X-Cache"] == "hit"


@pytest.mark.parametrize(
    "url, status, redirect_to",
    [
        ("/faqs/?page=xyz", 404, None),
        ("/conditions/?page=07", 404, None),
        ("/symptoms/neck-pain/?page=1.0", 404, None),
        ("/sitemap-conditions.xml?p=x", 404, None),
        ("/search/?q=neck&page=-1", 404, None),
        ("/search/?q=neck&type=x", 302, "/search/?q=neck"),
        ("/search/?q=neck&symptom=x&type=faq", 302, "/search/?q=neck&type=faq"),
        ("/symptoms/neck-pain/?with=headache&with=x", 302, "/symptoms/neck-pain/?with=headache"),
    ],
)
def test_values_a_page_cannot_use_get_a_cheap_answer(
    client, django_assert_max_num_queries, url, status, redirect_to
):
    make_condition("Whiplash", ["Neck pain", "Headache"])

    # At most: the content version, the symptoms asked for, and their old addresses.
    with django_assert_max_num_queries(3):
        response = client.get(url)

    assert response.status_code == status
    assert response.get("Location") == redirect_to


@override_settings(ALLOWED_HOSTS=["neckinfo.example", "www.neckinfo.example"])
def test_each_host_gets_the_page_with_its_own_addresses(client):
    article = make_condition("Whiplash")
    url = article.get_absolute_url()
    client.get(url, HTTP_HOST="neckinfo.example")

    response = client.get(url, HTTP_HOST="www.neckinfo.example")
    stranger = client.get(url, HTTP_HOST="evil.example")

    assert f'rel="canonical" href="http://www.neckinfo.example{url}"' in response.content.decode()
    assert stranger.status_code == 400  # a host the site doesn't serve, cached page or not


@override_settings(PUBLIC_PAGE_CACHE=False)
def test_with_the_page_cache_switched_off_every_page_is_rendered_afresh(client):
    article = make_condition("Whiplash")
    client.get(article.get_absolute_url())

    with CaptureQueriesContext(connection) as rendering:
        response = client.get(article.get_absolute_url())

    assert response.status_code == 200 and "Whiplash" in response.content.decode()
    assert "X-Cache" not in response
    assert len(rendering.captured_queries) > 1  # the article, its symptoms and sources


def test_an_edit_is_visible_on_the_very_next_request(client, django_assert_max_num_queries):
    article = make_condition("Whiplash", body="The old advice.")
    client.get(article.get_absolute_url())

    article.body = "The corrected advice."
    article.save()

    response = client.get(article.get_absolute_url())
    assert response["X-Cache"] == "miss"
    assert "The corrected advice." in response.content.decode()


def test_unpublishing_takes_a_cached_page_down_at_once(client):
    article = make_condition("Whiplash")
    client.get("/conditions/")
    client.get(article.get_absolute_url())

    article.unpublish()

    assert client.get(article.get_absolute_url()).status_code == 404
    assert "Whiplash" not in client.get("/conditions/").content.decode()


def test_a_scheduled_article_appears_in_cached_lists_when_its_time_comes(client):
    publish_time = timezone.now() + timedelta(hours=2)
    make_condition("Whiplash", published_at=publish_time)
    assert "Whiplash" not in client.get("/conditions/").content.decode()
    assert client.get("/conditions/")["X-Cache"] == "hit"

    with time_machine.travel(publish_time + timedelta(seconds=1)):
        response = client.get("/conditions/")

    assert response["X-Cache"] == "miss"
    assert "Whiplash" in response.content.decode()


def test_a_hit_answers_a_conditional_get_with_304_without_rendering(
    client, django_assert_num_queries
):
    article = make_condition("Whiplash")
    first = client.get(article.get_absolute_url())

    # One query at most: the content version, read from the database when the cache is
    # each process's own (with Redis, none).
    with django_assert_num_queries(1):
        again = client.get(article.get_absolute_url(), HTTP_IF_NONE_MATCH=first["ETag"])

    assert again.status_code == 304
    assert first["Last-Modified"]


def test_staff_never_get_a_cached_page_and_never_fill_the_cache(superuser_client, reader):
    article = make_condition("Whiplash", status="draft")

    staff_view = superuser_client.get(article.get_absolute_url())
    public_view = reader.get(article.get_absolute_url())

    assert "X-Cache" not in staff_view and "Preview" in staff_view.content.decode()
    assert public_view.status_code == 404
    make_condition("Neck pain article")
    reader.get("/")
    assert "X-Cache" not in superuser_client.get("/")


@pytest.mark.django_db(transaction=True)  # changes reach Redis as they commit
def test_with_redis_every_app_server_sees_the_same_content_version(client, shared_redis):
    shared = shared_redis
    article = make_condition("Whiplash", body="Old.")
    client.get(article.get_absolute_url())
    before = {key for key in shared.scan_iter() if CONTENT_VERSION_KEY.encode() in key}

    article.body = "New."
    article.save()

    assert before, "the content version lives in Redis, where every app server reads it"
    version_key = before.pop()
    assert shared.get(version_key) is not None
    response = client.get(article.get_absolute_url())
    assert response["X-Cache"] == "miss" and "New." in response.content.decode()


def test_with_redis_a_cached_page_needs_no_database_query(
    client, shared_redis, django_assert_num_queries
):
    article = make_condition("Whiplash")
    client.get(article.get_absolute_url())

    # The content version comes from Redis, the page from this worker's own copy.
    with django_assert_num_queries(0):
        response = client.get(article.get_absolute_url() + "?utm_medium=email")

    assert response["X-Cache"] == "hit" and "Whiplash" in response.content.decode()


@pytest.mark.django_db(transaction=True)  # changes reach Redis as they commit
def test_with_redis_a_worker_that_has_not_served_a_page_gets_it_from_redis(
    client, shared_redis, django_assert_num_queries
):
    article = make_condition("Whiplash", body="Old.")
    client.get(article.get_absolute_url())  # rendered by one worker, stored in Redis
    WORKER_PAGES.clear()  # another worker (or app server), with no copy of its own

    with django_assert_num_queries(0):
        other_worker = client.get(article.get_absolute_url())
    article.body = "New."
    article.save()
    after_edit = client.get(article.get_absolute_url())

    assert other_worker["X-Cache"] == "hit" and "Old." in other_worker.content.decode()
    # Its copy was of the old content version, so it isn't served after the edit.
    assert after_edit["X-Cache"] == "miss" and "New." in after_edit.content.decode()


def test_security_headers_on_public_pages(client):
    client.get("/")
    response = client.get("/")  # from the cache: the headers are kept with the page

    assert response["X-Cache"] == "hit"
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy.split("style-src")[0]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert response["X-Frame-Options"] == "DENY"


@override_settings(
    SECURE_HSTS_SECONDS=31536000, SECURE_PROXY_SSL_HEADER=("HTTP_X_FORWARDED_PROTO", "https")
)
def test_hsts_is_sent_over_https_behind_the_proxy(client):
    response = client.get("/", HTTP_X_FORWARDED_PROTO="https")

    assert response["Strict-Transport-Security"].startswith("max-age=31536000")


def test_database_is_set_up_so_readers_never_block_an_editor():
    settings_dict = connection.settings_dict
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA journal_mode")
            mode = cursor.fetchone()[0]
        # The test database lives in memory, where SQLite keeps "memory"; a file gets WAL.
        assert mode in {"wal", "memory"}
        assert "journal_mode=WAL" in settings_dict["OPTIONS"]["init_command"]
        assert settings_dict["OPTIONS"]["timeout"] >= 5  # a busy timeout, not an error
    else:
        # PostgreSQL readers never block writers; connections persist and are health-checked.
        assert settings_dict["CONN_MAX_AGE"] > 0 and settings_dict["CONN_HEALTH_CHECKS"]


@pytest.mark.django_db(transaction=True)  # as in production: no transaction left open
def test_backup_makes_a_copy_that_restores(tmp_path):
    make_condition("Whiplash")
    make_condition("Torticollis")
    target = tmp_path / "backup.copy"

    output = StringIO()
    call_command("backup_database", str(target), stdout=output)

    assert output.getvalue().strip() == str(target)
    assert _titles_in_backup(target) == ["Torticollis", "Whiplash"]


def test_backup_refuses_to_overwrite_a_file(tmp_path):
    target = tmp_path / "backup.copy"
    target.write_text("precious")

    with pytest.raises(Exception, match="exists already"):
        call_command("backup_database", str(target), stdout=StringIO())
    assert target.read_text() == "precious"


def _titles_in_backup(target: Path) -> list[str]:
    """Restore the backup the way an operator would, and read the articles back."""
    if connection.vendor == "sqlite":
        restored = sqlite3.connect(target)
        rows = restored.execute("SELECT title FROM conditions_article ORDER BY title").fetchall()
        restored.close()
        return [row[0] for row in rows]
    database = connection.settings_dict["NAME"] + "_restored"
    server = ["-h", connection.settings_dict["HOST"] or "127.0.0.1", "-U",
              connection.settings_dict["USER"] or "postgres"]  # fmt: skip
    subprocess.run(["dropdb", "--if-exists", *server, database], check=True)
    subprocess.run(["createdb", *server, database], check=True)
    try:
        subprocess.run(
            ["pg_restore", "--no-owner", *server, "-d", database, str(target)], check=True
        )
        result = subprocess.run(
            ["psql", *server, "-d", database, "-Atc",
             "SELECT title FROM conditions_article ORDER BY title"],
            check=True, capture_output=True, text=True,
        )  # fmt: skip
        return result.stdout.split("\n")[:-1]
    finally:
        subprocess.run(["dropdb", "--if-exists", *server, database], check=True)


def test_a_change_saved_by_another_worker_process_is_seen_at_once(client):
    # Each gunicorn worker has its own in-memory cache when there is no Redis; the content
    # version in the database is what tells this worker that another one saved a change.
    article = make_condition("Whiplash")
    client.get(article.get_absolute_url())
    assert client.get(article.get_absolute_url())["X-Cache"] == "hit"

    ContentVersion.objects.filter(pk=1).update(token="changed-by-another-worker")

    assert client.get(article.get_absolute_url())["X-Cache"] == "miss"


# The production server itself: gunicorn with gunicorn.conf.py, as `make serve` starts it.


@pytest.fixture
def production_server(tmp_path):
    """gunicorn on a free port, debug off, behind the (pretend) TLS proxy, on a new SQLite
    database holding the sample articles, with the static files collected: `make serve`'s
    steps. Yields a function that asks it for a path and returns the http.client response
    with its body read."""
    env = {
        **PRODUCTION_ENV,
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'serve.sqlite3'}",
    }
    for step in (
        ["migrate", "--noinput"],
        ["import_articles", "--publish", "conditions/sample_content"],
        ["collectstatic", "--noinput", "--verbosity", "0"],
    ):
        finished = manage(*step, **env)
        assert finished.returncode == 0, finished.stderr
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    log = tmp_path / "gunicorn.log"
    with log.open("w") as output:
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py"],
            cwd=PROJECT,
            env=fresh_environment(
                **env, PORT=str(port), WEB_CONCURRENCY="1", GUNICORN_ACCESS_LOG="/dev/null"
            ),
            stdout=subprocess.DEVNULL,
            stderr=output,
        )

    def get(path: str, **headers: str) -> http.client.HTTPResponse:
        # The proxy terminates TLS and says so; without it the site redirects to https.
        headers = {"X-Forwarded-Proto": "https", **headers}
        conversation = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        conversation.request("GET", path, headers=headers)
        response = conversation.getresponse()
        response.body = response.read()
        conversation.close()
        return response

    try:
        for _ in range(100):
            try:
                get("/healthz")
                break
            except OSError:
                time.sleep(0.1)
        else:
            pytest.fail("gunicorn did not answer:\n" + log.read_text())
        yield get
    finally:
        server.terminate()
        server.wait(timeout=20)


def test_the_production_server_sends_pages_whole_with_their_length_and_compressed(
    production_server,
):
    home = production_server("/")
    article = re.search(r'href="(/conditions/[a-z0-9-]+/)"', home.body.decode())[1]

    first = production_server(article)
    again = production_server(article)

    assert (first.status, first.getheader("X-Cache")) == (200, "miss")
    assert (again.status, again.getheader("X-Cache")) == (200, "hit")
    assert again.body == first.body
    for response in (first, again):
        # Not sent in chunks: a browser can tell how much of the page is still to come.
        assert response.getheader("Transfer-Encoding") is None
        assert response.getheader("Content-Length") == str(len(response.body))
        assert response.getheader("Strict-Transport-Security")
        assert "script-src 'self'" in response.getheader("Content-Security-Policy")
    compressed = production_server(article, **{"Accept-Encoding": "gzip, deflate, br"})
    assert compressed.getheader("Content-Encoding") == "gzip"
    assert compressed.getheader("Content-Length") == str(len(compressed.body))
    assert gzip.decompress(compressed.body) == first.body


def test_the_production_server_sends_static_files_hashed_compressed_and_cached_for_good(
    production_server,
):
    home = production_server("/").body.decode()
    stylesheet = re.search(r'href="(/static/[^"]+\.css)"', home)[1]

    plain = production_server(stylesheet)
    compressed = production_server(stylesheet, **{"Accept-Encoding": "gzip"})

    assert re.search(r"\.[0-9a-f]{12}\.css$", stylesheet)  # a new name for each version
    assert plain.status == 200 and b"{" in plain.body
    assert "immutable" in plain.getheader("Cache-Control")
    assert compressed.getheader("Content-Encoding") == "gzip"
    assert len(compressed.body) < len(plain.body)
    assert production_server("/healthz").status == 200
