"""Security headers on public pages, cached or not, and HSTS over HTTPS behind the proxy."""

import pytest
from django.test import override_settings

pytestmark = pytest.mark.django_db


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
