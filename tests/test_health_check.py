"""/healthz: what a load balancer or an uptime monitor asks, answered while the cache
is down too."""

import pytest
from django.test import override_settings

pytestmark = pytest.mark.django_db


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
