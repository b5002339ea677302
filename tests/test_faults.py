"""When Redis goes away or hangs, or the database drops connections, the site slows down at
most; it never fails, never loses a save and never shows a page older than a save it has
acknowledged.

Real servers throughout: gunicorn with two workers on this pass's database, and a Redis of
the test's own, killed, restarted and paused (SIGSTOP) while readers read and a reviewer saves;
on PostgreSQL, every connection is also killed each second for a while. `make bench-faults`
runs the same for longer (bench/RESULTS-faults.md).
"""

import threading
import time

import pytest
from django.db import connections

from conditions import content_version
from conditions.models import Article
from tests.browser_forms import admin_change_form, edit_live_article
from tests.factories import make_condition, ready_to_publish
from tests.live_site import LoadWithEdits, OwnRedis, PostgresDatabase, live_site


@pytest.fixture
def redis_server():
    server = OwnRedis()
    server.start()
    yield server
    server.stop()


@pytest.mark.django_db(databases=[])  # the live site has a database of its own
def test_readers_and_editors_ride_out_a_redis_kill_and_a_redis_pause(redis_server):
    with live_site(workers=2, redis=redis_server) as site:
        load = LoadWithEdits(site)
        load.start("Redis up")
        try:
            load.during("Redis up", 2)
            redis_server.kill()
            # While Redis doesn't answer, each commit waits out the content version's lease
            # (a second), and a save through a working copy is four commits (start, save,
            # sign-off, publish): long enough phases to see saves complete.
            load.during("Redis killed", 6)
            redis_server.start()  # a new, empty Redis on the same port
            load.during("Redis back (empty)", 3)
            redis_server.pause()
            load.during("Redis paused", 6)
            redis_server.resume()  # the same Redis, with what it held before the pause
            load.during("Redis resumed", 2)
            if isinstance(site.database, PostgresDatabase):
                # Every connection to the database ended, each second (a failover, a restart).
                load.phase = "PostgreSQL connections killed"
                for _ in range(3):
                    assert site.database.terminate_connections() > 0
                    time.sleep(1)
        finally:
            load.stop()
        healthy = site.browser().get("/healthz")
        lost = load.lost_saves()

    for phase, counts in load.counts.items():
        assert counts.server_errors == 0, (phase, counts.errors[:5])
        assert counts.stale_reads == 0, (phase, counts.errors[:5])
        assert counts.saves_failed == 0, (phase, counts.errors[:5])
        assert counts.requests > 10, (phase, counts)  # the readers kept being served
    assert load.counts["Redis paused"].saves > 0 and load.counts["Redis killed"].saves > 0
    assert lost == []
    assert healthy.status == 200 and '"cache": "ok"' in healthy.body


# The same, in this process, one step at a time.


@pytest.fixture
def cache_in_own_redis(settings, redis_server):
    """The site's cache in a Redis of this test's own, set up as in production."""
    settings.CACHES = {
        "default": {
            "BACKEND": "neckinfo.redis_cache.ResilientRedisCache",
            "LOCATION": redis_server.url,
            "OPTIONS": {
                "socket_connect_timeout": settings.REDIS_TIMEOUT_SECONDS,
                "socket_timeout": settings.REDIS_TIMEOUT_SECONDS,
            },
        }
    }
    return redis_server


def within(seconds: float, action):
    """action()'s result, failing the test if it hasn't answered within `seconds` (a hung
    Redis must never hold a request)."""
    results = []

    def answer():
        try:
            results.append(action())
        finally:
            # The thread's own database connection, closed now: left to the garbage collector,
            # it could still be open when pytest-django drops the test database.
            connections.close_all()

    worker = threading.Thread(target=answer, daemon=True)
    worker.start()
    worker.join(seconds)
    assert results, f"no answer within {seconds} s"
    return results[0]


@pytest.mark.django_db(transaction=True)  # commits, as in production
def test_with_redis_killed_pages_and_saves_go_on_from_the_database(
    cache_in_own_redis, client, reviewer_client
):
    article = make_condition("Whiplash", body="The old advice.", status=Article.Status.DRAFT)
    ready_to_publish(article)  # signed off by another reviewer: the gate isn't the subject
    change = f"/admin/conditions/conditionarticle/{article.pk}/change/"
    form = admin_change_form(reviewer_client, change)
    form.update(status=Article.Status.PUBLISHED)
    assert reviewer_client.post(change, form).status_code == 302
    assert client.get("/conditions/whiplash/")["X-Cache"] == "miss"
    assert client.get("/conditions/whiplash/")["X-Cache"] == "hit"

    cache_in_own_redis.kill()
    # Corrected in its working copy, saved and published (each step answered 302).
    edit_live_article(reviewer_client, article, {"body": "The corrected advice."})
    pages = [client.get(path) for path in ("/conditions/whiplash/", "/", "/search/?q=whiplash")]
    health = client.get("/healthz")

    assert [page.status_code for page in pages] == [200, 200, 200]
    assert "The corrected advice." in pages[0].content.decode()
    assert health.status_code == 200 and health.json()["cache"].startswith("degraded")


@pytest.mark.django_db(transaction=True)  # commits, as in production
def test_a_hung_redis_holds_no_request_and_its_old_copy_is_never_served(cache_in_own_redis, client):
    article = make_condition("Whiplash", body="The old advice.")
    assert "The old advice." in client.get("/conditions/whiplash/").content.decode()
    assert client.get("/conditions/whiplash/")["X-Cache"] == "hit"

    cache_in_own_redis.pause()
    article.body = "The corrected advice."
    within(10, article.save)  # its push can't reach Redis: the save waits out Redis's copy
    during = [within(10, lambda: client.get("/conditions/whiplash/")) for _ in range(20)]
    cache_in_own_redis.resume()  # still holding the old version and the old page
    after = client.get("/conditions/whiplash/")

    for page in [*during, after]:
        assert page.status_code == 200 and "The corrected advice." in page.content.decode()


@pytest.mark.django_db(transaction=True)  # commits, as in production
def test_a_copy_of_the_version_read_before_a_change_never_outlives_it(cache_in_own_redis, client):
    """A reader that read the version just before an edit committed, and whose copy reaches
    Redis late (queued while Redis was paused), can't make the old page come back."""
    article = make_condition("Whiplash", body="The old advice.")
    client.get("/conditions/whiplash/")
    before_the_edit = content_version._version_in_database()
    read_at = time.time()

    article.body = "The corrected advice."
    article.save()
    content_version._share(before_the_edit, read_at)  # arrives after the edit's own push

    assert "The corrected advice." in client.get("/conditions/whiplash/").content.decode()
