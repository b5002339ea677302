"""Shared fixtures: named people and content, built through the models' own methods."""

import os

import pytest

from tests.factories import *  # noqa: F403  (fixtures used across test files)


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
    from neckinfo import redis_cache

    # Nor does it remember an earlier test's Redis failure.
    redis_cache.HEALTH = redis_cache.RedisHealth()
    cache.clear()
    WORKER_PAGES.clear()
    yield
    cache.clear()
    WORKER_PAGES.clear()
