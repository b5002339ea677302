"""A GET request through a WSGI application in this process, as gunicorn would make it, with
no server or network between: what the in-process benchmarks time (list_pages_bench.py,
symptom_pages_bench.py, and the Wagtail peer's wagtail_peer/measure.py, which runs in its own
virtualenv: so nothing here imports Django or the project)."""

import io
import re
import sys


def get(application, url: str) -> tuple[int, dict, bytes]:
    """(status code, headers, body) of `application`'s answer to a GET for `url`."""
    path, _, query = url.partition("?")
    environ = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "HTTP_HOST": "127.0.0.1",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(),
        "wsgi.errors": sys.stderr,
    }
    started = []
    body = b"".join(application(environ, lambda status, headers: started.append((status, headers))))
    status, headers = started[0]
    return int(status.split()[0]), dict(headers), body


def search_count_text(body: bytes) -> str:
    """The text of a search page's result count (the element marked `data-search-count`, on
    NeckInfo's page and the Wagtail peer's), or "" for a page without one."""
    text = body.decode(errors="replace")
    start = text.find("data-search-count>")
    if start < 0:
        return ""
    end = text.find("</p>", start)
    return re.sub(r"<[^>]+>", "", text[start + len("data-search-count>") : end]).strip()
