"""The production server itself: gunicorn with gunicorn.conf.py, as `make serve` starts it,
sending pages and static files whole, compressed and cacheable."""

import gzip
import http.client
import re
import socket
import subprocess
import sys
import time

import pytest

from tests.production import (
    PRODUCTION_ENV,
    PROJECT,
    fresh_environment,
    manage,
    static_files_held,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def production_server(tmp_path_factory):
    """gunicorn on a free port, debug off, behind the (pretend) TLS proxy, on a new SQLite
    database holding the sample articles, with the static files collected: `make serve`'s
    steps. Yields a function that asks it for a path and returns the http.client response
    with its body read. One for the module: its tests only read, and starting it takes
    seconds."""
    tmp_path = tmp_path_factory.mktemp("serve")
    env = {
        **PRODUCTION_ENV,
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'serve.sqlite3'}",
    }
    for step in (
        ["migrate", "--noinput"],
        ["import_articles", "--publish", "conditions/sample_content"],
    ):
        # The sample content, published unreviewed as `make serve` does.
        finished = manage(*step, **env, DJANGO_PUBLISH_UNREVIEWED_IMPORTS="1")
        assert finished.returncode == 0, finished.stderr
    with static_files_held():
        finished = manage("collectstatic", "--noinput", "--verbosity", "0", **env)
        assert finished.returncode == 0, finished.stderr
        yield from _serve(env, tmp_path)


def _serve(env: dict, tmp_path):
    """gunicorn with gunicorn.conf.py on the prepared database; yields `get`."""
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
