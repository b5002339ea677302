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

A hit is made to cost little more than serving a static file: each worker process keeps the
pages it serves ready to send (WORKER_PAGES: headers checked once, each copy's Content-Length
and ETag worked out once), remembers each address it has seen with its cache key (the query
string read once, not on every request), and learns the content version without a database
query while nothing has changed (conditions.content_version).
"""

import functools
import hashlib
import threading
import time
from dataclasses import dataclass
from urllib.parse import urlencode

from django.conf import settings
from django.core.cache import cache
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.http import HttpResponse, QueryDict
from django.http.response import ResponseHeaders
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


@dataclass(frozen=True, slots=True)
class PageCopy:
    """One way a cached page is sent: its bytes and its headers, checked once when stored."""

    content: bytes
    headers: ResponseHeaders
    etag: str

    def response(self) -> HttpResponse:
        response = HttpResponse(self.content)
        response.headers = _copy_of(self.headers)
        return response


def _copy_of(headers: ResponseHeaders) -> ResponseHeaders:
    # Django checks each header as it is set (its characters, no newlines): 13 of them cost a
    # tenth of a hit. These were checked when the page was stored, so their store is copied as
    # it is (Django keeps it in `_store`: {lower-case name: (name, value)}).
    copy = ResponseHeaders({})
    copy._store = headers._store.copy()
    return copy


@dataclass(frozen=True, slots=True)
class ServablePage:
    """A cached page as this worker sends it: plain and gzip-compressed."""

    version: str  # the content version it was rendered under
    since: float  # when that version began: the page's Last-Modified
    plain: PageCopy
    gzipped: PageCopy
    counted_search: tuple[str, int] | None
    expires_at: float  # time.monotonic()

    @classmethod
    def from_frozen(cls, page: dict, since: float) -> "ServablePage":
        headers = page["headers"]
        plain = ResponseHeaders(headers)
        plain["Content-Length"] = str(len(page["content"]))
        plain["X-Cache"] = "hit"
        gzipped = ResponseHeaders(headers)
        gzipped["Content-Encoding"] = "gzip"
        # Another representation of the page, so another (strong) ETag.
        gzipped["ETag"] = plain["ETag"][:-1] + '-gzip"'
        # Without it gunicorn sends the page in chunks (Transfer-Encoding: chunked): an extra
        # write per page, and a browser can't tell how much of the page is still to come.
        gzipped["Content-Length"] = str(len(page["gzipped"]))
        gzipped["X-Cache"] = "hit"
        return cls(
            version=page["version"],
            since=since,
            plain=PageCopy(page["content"], plain, plain["ETag"]),
            gzipped=PageCopy(page["gzipped"], gzipped, gzipped["ETag"]),
            # Read with .get(): pages stored before it was added have none.
            counted_search=page.get("counted_search"),
            expires_at=time.monotonic() + settings.PUBLIC_PAGE_CACHE_SECONDS,
        )

    def copy_for(self, request) -> PageCopy:
        accepts_gzip = re_accepts_gzip.search(request.META.get("HTTP_ACCEPT_ENCODING", ""))
        return self.gzipped if accepts_gzip else self.plain


class WorkerPages:
    """This worker process's cached pages, ready to send, each under its content version.

    Kept as objects, not pickled (Django's local-memory cache pickles every value it stores
    and unpickles it on every read). With Redis, a hit then asks Redis only for the small
    content version, not the whole page, which spares Redis's network and CPU when several
    app servers share it during a spike. Bounded: when full, pages of old content versions
    go first, then the oldest third.
    """

    MAX_PAGES = 1000

    def __init__(self):
        self.pages: dict[str, ServablePage] = {}
        self.lock = threading.Lock()

    def get(self, key: str, version: dict) -> ServablePage | None:
        """The page stored under `key` for this very `version` of the content, if any."""
        page = self.pages.get(key)
        if page is None or page.version != version["id"] or time.monotonic() >= page.expires_at:
            return None
        return page

    def set(self, key: str, page: ServablePage) -> None:
        with self.lock:
            if key not in self.pages and len(self.pages) >= self.MAX_PAGES:
                current = {k: p for k, p in self.pages.items() if p.version == page.version}
                keep = list(current)[-(self.MAX_PAGES * 2 // 3) :]
                self.pages = {k: current[k] for k in keep}
            self.pages[key] = page

    def clear(self) -> None:
        with self.lock:
            self.pages = {}


WORKER_PAGES = WorkerPages()


# Each address this worker has been asked for: (scheme, Host, X-Forwarded-Host, path, query
# string as sent) → (cache key, the query string the page is cached under). Reading the query
# string, keeping the parameters the view reads and hashing the address cost a third of a hit,
# and nearly every hit is for an address asked for before. Only addresses whose host
# get_host() accepted are kept; emptied when full (a crawler's made-up addresses cost what
# they did before, and at most a few megabytes are held) and whenever a setting changes (tests
# change ALLOWED_HOSTS and URLconfs).
MAX_ADDRESSES = 2000
_addresses: dict[tuple, tuple[str, str]] = {}


@receiver(setting_changed)
def _forget_addresses(**kwargs) -> None:
    _addresses.clear()


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

        meta = request.META
        raw_query = meta.get("QUERY_STRING", "")
        address = (request.scheme, meta.get("HTTP_HOST"), meta.get("HTTP_X_FORWARDED_HOST"),
                   request.path, raw_query)  # fmt: skip
        known = _addresses.get(address)
        if known is None:
            known = self._cache_key(request)
            if len(_addresses) >= MAX_ADDRESSES:
                _addresses.clear()
            _addresses[address] = known
        key, query = known

        version, page = self._lookup(key)
        request.content_version = version  # for views that cache parts of pages
        if page is not None:
            copy = page.copy_for(request)
            response = copy.response()
        else:
            if query != raw_query:
                # Both, so that neither the view nor an address built from the request (the
                # printed page's footer) can differ from the page stored under this key.
                meta["QUERY_STRING"] = query
                request.GET = QueryDict(query)
            response = self.get_response(request)
            if not self._may_store(response):
                return response
            response["ETag"] = '"' + hashlib.md5(response.content).hexdigest() + '"'
            response["Last-Modified"] = http_date(int(version["since"]))
            # Browsers keep the page but ask again each time: a change shows at once.
            patch_cache_control(response, no_cache=True)
            frozen = self._freeze(response, version)
            page = ServablePage.from_frozen(frozen, version["since"])
            self._store(key, frozen, page)
            # Served as a hit will be, so the first reader gets the same bytes as the rest.
            copy = page.copy_for(request)
            response = copy.response()
            response["X-Cache"] = "miss"
        if CONDITIONAL_HEADERS.intersection(meta):
            # 304 Not Modified for a browser that has this very version, without rendering.
            response = get_conditional_response(
                request, etag=copy.etag, last_modified=int(page.since), response=response
            )
        if response.status_code == 200:
            # The reader's search, counted though on a hit the view doesn't run
            # (conditions.search_insights).
            count_search(request, page.counted_search)
        return response

    @staticmethod
    def _lookup(key: str) -> tuple[dict, ServablePage | None]:
        """The current content version, and the page stored under it (None if there is none).

        A worker keeps the pages it has served (WORKER_PAGES). With Redis, a page this worker
        hasn't got under the current version is fetched from Redis, where other workers and
        app servers put theirs.
        """
        version = content_version()
        page = WORKER_PAGES.get(key, version)
        if page is None and cache_is_shared():
            frozen = cache.get(key)
            if frozen is not None and frozen["version"] == version["id"]:
                page = ServablePage.from_frozen(frozen, version["since"])
                WORKER_PAGES.set(key, page)
        return version, page

    @staticmethod
    def _store(key: str, frozen: dict, page: ServablePage) -> None:
        WORKER_PAGES.set(key, page)
        if cache_is_shared():
            cache.set(key, frozen, settings.PUBLIC_PAGE_CACHE_SECONDS)

    def _may_use_cache(self, request) -> bool:
        return (
            settings.PUBLIC_PAGE_CACHE
            and request.method in ("GET", "HEAD")
            and not request.path.startswith(self.admin_prefix)
            and request.path != "/healthz"
            # Preview links show unreviewed text to one person (conditions.share_links).
            and not request.path.startswith("/preview/")
            and settings.SESSION_COOKIE_NAME not in request.COOKIES
        )

    @classmethod
    def _cache_key(cls, request) -> tuple[str, str]:
        """The key the page at this address is cached under, and the query string it is
        cached with (only the query parameters the page reads)."""
        query = cls._page_parameters(request)
        # The scheme and host too: pages carry absolute addresses (canonical, Open Graph,
        # JSON-LD) built from them. get_host() also refuses a host not in ALLOWED_HOSTS.
        address = f"{request.scheme}://{request.get_host()}{request.path}?{query}"
        return f"page{PAGE_FORMAT}:" + hashlib.sha256(address.encode()).hexdigest(), query

    @staticmethod
    def _page_parameters(request) -> str:
        """The query string made of only the query parameters this page reads."""
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
        return urlencode(kept)

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
        """The page as it is shared through Redis (pickled), in the format PAGE_FORMAT names."""
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
            # Old servers in a rolling deploy ignore it.
            "counted_search": getattr(response, "counted_search", None),
        }


# The request headers that can make an answer 304 Not Modified (or 412), as WSGI names them.
CONDITIONAL_HEADERS = frozenset(
    ["HTTP_IF_MATCH", "HTTP_IF_NONE_MATCH", "HTTP_IF_MODIFIED_SINCE", "HTTP_IF_UNMODIFIED_SINCE"]
)
