"""Shared fixtures: named people and content, built through the models' own methods."""

import os
from contextlib import contextmanager

import pytest
import redis
from django.contrib.auth.models import User
from django.test import Client, TestCase

from tests.factories import PASSWORD, make_staff


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    # In CI every service and browser is installed, so a skip means a check silently
    # didn't run: report it as a failure instead.
    outcome = yield
    report = outcome.get_result()
    required = os.environ.get("NECKINFO_REQUIRE_ALL_TESTS")
    if required and report.skipped and not hasattr(report, "wasxfail"):
        report.outcome = "failed"
        report.longrepr = f"Skipped, but CI requires every test to run: {report.longrepr}"


@pytest.fixture(autouse=True)
def empty_cache():
    """Each test starts with an empty cache, as a fresh server would."""
    from django.core.cache import cache

    from conditions.caching import WORKER_PAGES
    from conditions.content_version import forget_last_read, forget_recently_read
    from neckinfo import redis_cache

    # Nor does it remember an earlier test's Redis failure.
    redis_cache.HEALTH = redis_cache.RedisHealth()
    cache.clear()
    WORKER_PAGES.clear()
    # A committing test's database is emptied through this same connection, which its
    # data_version doesn't show.
    forget_last_read()
    forget_recently_read()
    yield
    cache.clear()
    WORKER_PAGES.clear()
    forget_last_read()
    forget_recently_read()


@contextmanager
def shared_by_the_tests_inside(django_db_blocker):
    """Content made once for several tests, as Django's setUpTestData makes it: in a
    transaction of its own that each test's transaction nests in (so a test's writes are
    undone before the next test), rolled back at the end (so nothing reaches later tests).
    For module- or class-scoped fixtures, used by tests that don't commit."""
    with django_db_blocker.unblock():
        atomics = TestCase._enter_atomics()
        try:
            yield
        finally:
            TestCase._rollback_atomics(atomics)


# People.


@pytest.fixture
def superuser(db) -> User:
    """Eve, a superuser: every permission, no group."""
    return User.objects.create_superuser("eve", "eve@example.org", PASSWORD)


@pytest.fixture
def editor(db) -> User:
    """Ed, in the Editor group: writes drafts and submits them for review."""
    return make_staff("ed", "Editor", "Ed Writer")


@pytest.fixture
def reviewer(db) -> User:
    """Rita, in the Medical reviewer group: publishes and signs off reviews."""
    return make_staff("rita", "Medical reviewer", "Rita Okafor")


@pytest.fixture
def second_reviewer(db) -> User:
    """Raj, another medical reviewer: the independent check on Rita's work, and she on his."""
    return make_staff("raj", "Medical reviewer", "Raj Mehta")


@pytest.fixture
def superuser_client(client, superuser) -> Client:
    client.force_login(superuser)
    return client


@pytest.fixture
def editor_client(editor) -> Client:
    client = Client()
    client.force_login(editor)
    return client


@pytest.fixture
def reviewer_client(reviewer) -> Client:
    client = Client()
    client.force_login(reviewer)
    return client


@pytest.fixture
def second_reviewer_client(second_reviewer) -> Client:
    client = Client()
    client.force_login(second_reviewer)
    return client


@pytest.fixture
def reader(db) -> Client:
    """A member of the public: not signed in."""
    return Client()


# Django's cache in Redis.

# A database of the shared Redis for each pass, since `make test` runs them side by side and
# each empties its own. NECKINFO_TEST_REDIS_DB picks another, for a second checkout's tests
# running beside these.
REDIS = "redis://127.0.0.1:6379/{}".format(
    os.environ.get("NECKINFO_TEST_REDIS_DB")
    or (14 if os.environ.get("DATABASE_URL", "").startswith("postgres") else 15)
)


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
