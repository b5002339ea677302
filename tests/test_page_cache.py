"""Public pages are served from the cache, compressed, and never out of date: an edit,
an unpublishing or a publish time coming shows at once, in this process, in another
worker and through Redis shared by several app servers."""

import gzip
import hashlib
import sqlite3
import time
from datetime import timedelta

import psycopg
import pytest
import redis
import time_machine
from django.core.cache import cache
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from conditions.caching import WORKER_PAGES
from conditions.content_version import (
    CONTENT_VERSION_KEY,
    VERSION_LEASE_SECONDS,
    WORKER_TRUST_SECONDS,
    content_version,
)
from tests.conftest import REDIS
from tests.factories import make_condition, make_faq
from tests.live_site import LoadWithEdits, live_site

pytestmark = pytest.mark.django_db


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


def another_worker_connection():
    """A connection of its own to the test database, as another worker process has."""
    settings = connection.settings_dict
    if connection.vendor == "sqlite":
        name = settings["NAME"]
        return sqlite3.connect(name, uri=name.startswith("file:"), isolation_level=None)
    return psycopg.connect(
        host=settings["HOST"], port=settings["PORT"] or 5432, user=settings["USER"],
        dbname=settings["NAME"], autocommit=True,
    )  # fmt: skip


@pytest.mark.django_db(transaction=True)  # another worker sees only what commits
def test_a_change_saved_by_another_worker_process_is_seen_at_once(client):
    # Each gunicorn worker has its own in-memory cache when there is no Redis; the content
    # version in the database is what tells this worker that another one saved a change.
    article = make_condition("Whiplash")
    client.get(article.get_absolute_url())
    assert client.get(article.get_absolute_url())["X-Cache"] == "hit"

    other_worker = another_worker_connection()
    try:
        other_worker.execute(
            "UPDATE conditions_contentversion SET token = 'changed-by-another-worker', "
            "number = number + 1 WHERE id = 1"
        )
        after = client.get(article.get_absolute_url())
    finally:
        other_worker.close()

    assert after["X-Cache"] == "miss"


@pytest.mark.django_db(transaction=True)  # as in production: nothing held in a transaction
def test_without_redis_a_hit_on_sqlite_reads_no_table_until_another_connection_commits(
    client, django_assert_num_queries
):
    # SQLite's data_version says whether another connection has committed since the version
    # was read last; PostgreSQL has nothing like it, so there each hit reads the version.
    queries_per_hit = 0 if connection.vendor == "sqlite" else 1
    article = make_condition("Whiplash")
    client.get(article.get_absolute_url())

    with django_assert_num_queries(3 * queries_per_hit):
        hits = [client.get(article.get_absolute_url()) for _ in range(3)]
    other_worker = another_worker_connection()
    try:
        # Another process commits something that isn't content (a search count, a session):
        # the version is read again, and is the same, so the page is still served.
        other_worker.execute("DELETE FROM django_session")
        with django_assert_num_queries(1):
            after_unrelated_commit = client.get(article.get_absolute_url())
    finally:
        other_worker.close()

    assert [hit["X-Cache"] for hit in hits] == ["hit"] * 3
    assert after_unrelated_commit["X-Cache"] == "hit"


@pytest.mark.django_db(transaction=True)  # as in production: each save commits
def test_on_sqlite_without_redis_this_worker_sees_its_own_save_at_once(client):
    article = make_condition("Whiplash", body="The old advice.")
    client.get(article.get_absolute_url())
    assert client.get(article.get_absolute_url())["X-Cache"] == "hit"

    # Saved in this process, on the connection whose data_version doesn't show its own
    # commits.
    article.body = "The corrected advice."
    article.save()
    after = client.get(article.get_absolute_url())

    assert after["X-Cache"] == "miss" and "The corrected advice." in after.content.decode()


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


def test_with_redis_a_lease_that_ran_out_is_renewed_by_the_next_request_alone(
    client, shared_redis, django_assert_num_queries
):
    article = make_condition("Whiplash")
    client.get(article.get_absolute_url())

    # Redis still holds the copy a little after it may no longer be trusted.
    with time_machine.travel(time.time() + VERSION_LEASE_SECONDS + 0.2):
        with django_assert_num_queries(1):  # reads the version, and renews Redis's copy
            renewing = client.get(article.get_absolute_url())
        with django_assert_num_queries(0):
            after = [client.get(article.get_absolute_url()) for _ in range(3)]

    assert [page["X-Cache"] for page in [renewing, *after]] == ["hit"] * 4


def test_with_redis_a_worker_asks_redis_for_the_version_once_per_moment_not_per_hit(
    client, shared_redis
):
    """The round trip to Redis was a third of a cached page's cost; a worker reuses the version
    it read for WORKER_TRUST_SECONDS (a save waits that long before it is acknowledged)."""
    article = make_condition("Whiplash")
    url = article.get_absolute_url()
    client.get(url)
    worker_redis = cache._cache.get_client(write=True)  # this worker's own connection
    worker_address = worker_redis.client_info()["addr"]
    watcher = redis.Redis.from_url(REDIS, socket_timeout=10)

    with watcher.monitor() as monitor, time_machine.travel(time.time(), tick=False) as clock:
        during_a_moment = [client.get(url) for _ in range(20)]
        clock.shift(WORKER_TRUST_SECONDS)
        a_moment_later = client.get(url)
        worker_redis.echo("done")
        asked = []
        while (command := monitor.next_command())["command"] != "ECHO done":
            if command["client_address"] + ":" + command["client_port"] == worker_address:
                asked.append(command["command"])

    assert [page["X-Cache"] for page in [*during_a_moment, a_moment_later]] == ["hit"] * 21
    version_reads = [c for c in asked if c.startswith("GET") and CONTENT_VERSION_KEY in c]
    assert 1 <= len(version_reads) <= 2, asked  # one a moment, not one a hit


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


@pytest.mark.django_db(databases=[])  # the live site has a database of its own
def test_without_redis_every_gunicorn_worker_shows_a_change_on_the_very_next_request():
    """Real worker processes on one SQLite database, each with its own page cache and its
    own remembered content version: a change committed anywhere is on the next page served."""
    with live_site(workers=2, engine="sqlite") as site:
        # A reviewer saving and publishing the article over and over through the admin (in
        # one worker or the other) while four readers read it and other pages.
        load = LoadWithEdits(site)
        load.start("saving through the admin")
        try:
            load.during("saving through the admin", 5)
        finally:
            load.stop()
        lost = load.lost_saves()

        # Another process (an import, a management command) commits a change.
        reader = site.browser()
        cached = [reader.get(load.article_path) for _ in range(10)]
        title = "Changed by another process"
        site.database.execute(
            "UPDATE conditions_article SET title = ? WHERE id = ?", (title, load.article_pk)
        )
        site.database.execute(
            "UPDATE conditions_contentversion SET number = number + 1, token = 'changed' "
            "WHERE id = 1"
        )
        after = [reader.get(load.article_path) for _ in range(10)]

    counts = load.counts["saving through the admin"]
    assert counts.saves > 2 and counts.requests > 50, counts
    assert counts.stale_reads == 0 and counts.server_errors == 0, counts.errors[:5]
    assert lost == []
    # Served from the cache before the change (each worker renders the page once after the
    # last save), so the change had cached pages to replace.
    x_cache = [page.headers.get("X-Cache") for page in cached]
    assert x_cache.count("miss") <= 2 and x_cache.count("hit") >= 8, x_cache
    assert all(title in page.body for page in after), [p.headers.get("X-Cache") for p in after]
