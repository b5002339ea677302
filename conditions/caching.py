"""Public pages served from the cache, and invalidated the moment content changes.

Every cached page is stored under the current *content version* (see
`conditions.content_version`), which any change to content replaces, so the very next
request on every app server and worker misses and renders afresh; old entries simply expire.

Signed-in people (anyone with a session cookie) bypass the cache both ways: staff never get
a cached page, and never put one there.

A page is cached under its address: scheme, host, path and the query parameters its view
reads (declared with @reads_query_parameters). Any others (the utm_source or fbclid tags on
links shared on social media, `?page=<random>` on a page that has no pages, made-up ones)
are removed from the request before the view sees it, so the page can't depend on them: a
spike of readers arriving from one shared link, each with their own fbclid, is served from
one cached page, and nobody can make a long page render afresh on every request.

Each page is stored with a gzip-compressed copy, made once when it is rendered, and a reader
whose browser accepts gzip gets that (a search page of 42 KB travels as about 6 KB, which
matters on a phone); the page still works behind a proxy that compresses, or doesn't.

A search page is marked by its view as a reader's search to count, and the mark is stored with
the page, so that a search served from the cache is counted too (conditions.search_insights).
"""

import functools
import hashlib
from urllib.parse import urlencode

from django.conf import settings
from django.core.cache import cache
from django.core.cache.backends.locmem import LocMemCache
from django.http import HttpResponse, QueryDict
from django.middleware.gzip import re_accepts_gzip
from django.urls import Resolver404, get_resolver
from django.utils.cache import get_conditional_response, patch_cache_control, patch_vary_headers
from django.utils.http import http_date
from django.utils.text import compress_string

from conditions.content_version import cache_is_shared, content_version
from conditions.search_insights import count_search

# Headers not stored with a cached page (it is served again with all the others, security
# headers included, so a hit needs no further middleware). Content-Length is set afresh from the
# stored content.
UNSTORED_HEADERS = {"set-cookie", "date", "x-cache", "content-length"}
# Part of every cached page's key: change it whenever what _freeze stores changes. During a
# rolling deploy old and new servers share Redis, and each must only read pages it can serve.
PAGE_FORMAT = "2"  # 2: with a gzip-compressed copy


def reads_query_parameters(*names: str, repeatable: tuple[str, ...] = ()):
    """Declare the query parameters a public view reads (a view declaring none reads none).

    The page cache keeps only these, in this order (the order the site writes them), without
    blank values, and only the last value of each unless it is `repeatable`: so there is one
    cache entry per page the view can give.
    """

    def declare(view):
        view.query_parameters = {name: name in repeatable for name in names}
        return view

    return declare


@functools.lru_cache(maxsize=1024)
def _declared_parameters(resolver, path: str) -> dict[str, bool]:
    """What the view at `path` reads, remembered by each worker: resolving an address costs a
    third as much as serving a cached page. Keyed by the resolver too, which a changed
    URLconf replaces. Raises Resolver404, which isn't remembered: only real pages are."""
    return getattr(resolver.resolve(path).func, "query_parameters", {})


def request_content_version(request) -> dict:
    """The content version this request is served under (read once per request)."""
    if not hasattr(request, "content_version"):
        request.content_version = content_version()
    return request.content_version


def cached_until_content_changes(request, name: str, compute):
    """compute()'s result, kept in the cache under `name` until content changes: for parts
    of pages that are dear to work out and shared by many pages."""
    key = f"{name}:{request_content_version(request)['id']}"
    value = cache.get(key)
    if value is None:
        value = compute()
        cache.set(key, value, settings.PUBLIC_PAGE_CACHE_SECONDS)
    return value


# With Redis, this worker process's copies of the pages it served: a hit then fetches only the
# content version from Redis, not the whole page, which spares Redis's network and CPU when
# several app servers share it during a spike. Bounded (LocMemCache drops a third of its
# entries when full); copies under an old content version are never served.
WORKER_PAGES = LocMemCache("neckinfo-worker-pages", {"OPTIONS": {"MAX_ENTRIES": 1000}})


def _current(page: dict | None, version: dict) -> dict | None:
    """`page` if it was stored under `version` of the content, else None."""
    return page if page is not None and page["version"] == version["id"] else None


class PublicPageCacheMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self.admin_prefix = "/" + settings.ADMIN_PATH

    def __call__(self, request):
        if not self._may_use_cache(request):
            response = self.get_response(request)
            if response.status_code == 200:
                count_search(request, getattr(response, "counted_search", None))
            return response

        query = self._keep_page_parameters(request)
        # The scheme and host too: pages carry absolute addresses (canonical, Open Graph,
        # JSON-LD) built from them. get_host() also refuses a host not in ALLOWED_HOSTS.
        address = f"{request.scheme}://{request.get_host()}{request.path}?{query}"
        key = f"page{PAGE_FORMAT}:" + hashlib.sha256(address.encode()).hexdigest()
        version, cached = self._lookup(key)
        request.content_version = version  # for views that cache parts of pages
        if cached is not None:
            response = self._rebuild(cached, request)
            response["X-Cache"] = "hit"
            # The reader's search, counted though the view doesn't run (conditions.search_insights).
            counted_search = cached.get("counted_search")
        else:
            response = self.get_response(request)
            counted_search = getattr(response, "counted_search", None)
            if not self._may_store(response):
                return response
            response["ETag"] = '"' + hashlib.md5(response.content).hexdigest() + '"'
            response["Last-Modified"] = http_date(int(version["since"]))
            # Browsers keep the page but ask again each time: a change shows at once.
            patch_cache_control(response, no_cache=True)
            page = self._freeze(response, version)
            self._store(key, page)
            # Served as a hit will be, so the first reader gets the same bytes as the rest.
            response = self._rebuild(page, request)
            response["X-Cache"] = "miss"
        # 304 Not Modified for a browser that has this very version, without rendering.
        response = get_conditional_response(
            request,
            etag=response["ETag"],
            last_modified=int(version["since"]),
            response=response,
        )
        if response.status_code == 200:
            count_search(request, counted_search)
        return response

    @staticmethod
    def _lookup(key: str) -> tuple[dict, dict | None]:
        """The current content version, and the page stored under it (None if there is none).

        With Redis, each worker keeps its own copy of the pages it has served (WORKER_PAGES),
        so a hit asks Redis only for the small content version, the one thing that must
        come from the shared cache on every request. The page itself is fetched from Redis
        only when this worker hasn't got it under the current version.
        """
        version = content_version()
        if not cache_is_shared():
            return version, _current(cache.get(key), version)
        page = _current(WORKER_PAGES.get(key), version)
        if page is None:
            page = _current(cache.get(key), version)
            if page is not None:
                WORKER_PAGES.set(key, page, settings.PUBLIC_PAGE_CACHE_SECONDS)
        return version, page

    @staticmethod
    def _store(key: str, page: dict) -> None:
        cache.set(key, page, settings.PUBLIC_PAGE_CACHE_SECONDS)
        if cache_is_shared():
            WORKER_PAGES.set(key, page, settings.PUBLIC_PAGE_CACHE_SECONDS)

    def _may_use_cache(self, request) -> bool:
        return (
            settings.PUBLIC_PAGE_CACHE
            and request.method in ("GET", "HEAD")
            and not request.path.startswith(self.admin_prefix)
            and request.path != "/healthz"
            and settings.SESSION_COOKIE_NAME not in request.COOKIES
        )

    @staticmethod
    def _keep_page_parameters(request) -> str:
        """Keep only the query parameters this page reads; the query string that is left."""
        if not request.META.get("QUERY_STRING"):
            return ""
        try:
            declared = _declared_parameters(get_resolver(), request.path_info)
        except Resolver404:
            declared = {}
        given = {name: values for name, values in request.GET.lists() if name in declared}
        kept = []
        for name, repeatable in declared.items():
            values = [value for value in given.get(name, ()) if value]
            kept += [(name, value) for value in (values if repeatable else values[-1:])]
        query = urlencode(kept)
        if query != request.META.get("QUERY_STRING", ""):
            # Both, so that neither the view nor an address built from the request (the
            # printed page's footer) can differ from the page stored under this key.
            request.META["QUERY_STRING"] = query
            request.GET = QueryDict(query)
        return query

    @staticmethod
    def _may_store(response) -> bool:
        return (
            response.status_code == 200
            and not response.streaming
            and not response.cookies
            and "private" not in response.get("Cache-Control", "")
            and "no-store" not in response.get("Cache-Control", "")
        )

    @staticmethod
    def _freeze(response, version: dict) -> dict:
        patch_vary_headers(response, ("Accept-Encoding",))
        headers = {
            name: value for name, value in response.items() if name.lower() not in UNSTORED_HEADERS
        }
        return {
            "version": version["id"],
            "content": response.content,
            # No random padding (GZipMiddleware's defence against BREACH): a public page
            # holds no secret for an attacker to guess, as signed-in people bypass the cache.
            "gzipped": compress_string(response.content),
            "headers": headers,
            # Read with .get(): pages stored before it was added have none. Old servers in a
            # rolling deploy ignore it.
            "counted_search": getattr(response, "counted_search", None),
        }

    @staticmethod
    def _rebuild(cached: dict, request) -> HttpResponse:
        gzipped = re_accepts_gzip.search(request.META.get("HTTP_ACCEPT_ENCODING", ""))
        content = cached["gzipped"] if gzipped else cached["content"]
        response = HttpResponse(content)
        for name, value in cached["headers"].items():
            response[name] = value
        if gzipped:
            response["Content-Encoding"] = "gzip"
            # Another representation of the page, so another (strong) ETag.
            response["ETag"] = response["ETag"][:-1] + '-gzip"'
        # Without it gunicorn sends the page in chunks (Transfer-Encoding: chunked): an extra
        # write per page, and a browser can't tell how much of the page is still to come.
        response["Content-Length"] = str(len(content))
        return response
