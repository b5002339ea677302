"""Public pages served from the cache, and invalidated the moment content changes.

Every cached page is stored under the current *content version*, a value kept in the
database and, when the cache is shared by every app server (Redis), in the cache itself.
Any change to content (an article, its questions, sources or symptoms, a symptom, a
redirect) replaces the version, so the very next request on every app server and worker
misses and renders afresh; old entries simply expire. A scheduled article becoming
public changes no row, so the version also records the next publish time still to come,
and the first request after it replaces the version.

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
"""

import functools
import hashlib
import time
import uuid
from functools import partial
from urllib.parse import urlencode

from django.conf import settings
from django.core.cache import cache
from django.core.cache.backends.locmem import LocMemCache
from django.db import connection, transaction
from django.db.models import F, Min
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import receiver
from django.http import HttpResponse, QueryDict
from django.middleware.gzip import re_accepts_gzip
from django.urls import Resolver404, get_resolver
from django.utils import timezone
from django.utils.cache import get_conditional_response, patch_cache_control, patch_vary_headers
from django.utils.http import http_date
from django.utils.text import compress_string

from conditions.models import (
    Article,
    ConditionArticle,
    ContentVersion,
    FaqArticle,
    FaqItem,
    SlugRedirect,
    Source,
    Symptom,
    SymptomRedirect,
    TaggedArticle,
)

CONTENT_VERSION_KEY = "content-version"
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


def cache_is_shared() -> bool:
    """Whether every app server and worker process reads the same cache (Redis)."""
    return "LocMemCache" not in settings.CACHES["default"]["BACKEND"]


# The content version.
#
# The database holds it (one row, `ContentVersion`), and is always right. With Redis, every
# request reads a copy from Redis instead (one round trip, no query), which each change
# pushes there as it commits. Redis may miss a push (down, paused, cut off from one app
# server) and later answer again, with an older copy or a late one that was queued while it
# was paused, so no page older than an acknowledged save is ever served:
# - a copy only ever replaces an older one (versions are numbered in commit order);
# - a copy carries the time until which it may be trusted: VERSION_LEASE_SECONDS after it
#   was read from the database (readers check that time themselves, so a copy delivered
#   late expires all the same);
# - a save whose push fails isn't acknowledged until that time has passed for every copy
#   read before it committed (`_publish`): from then on, every reader goes to the database;
# - a process that has seen Redis fail reads the database until Redis answers again, and
#   then brings Redis's copy up to date before trusting it.
# (Across app servers this relies on their clocks agreeing to well under a second, as NTP
# keeps them.)

# How long a copy in Redis is trusted after it was read from the database: about one small
# query a second, whatever the load, and what a save waits for while Redis doesn't answer.
VERSION_LEASE_SECONDS = 1.0

# Replaces the copy in Redis only with a newer one (a higher number): a push that arrives
# late, or a copy read from the database before a change committed, can't go back in time.
# The copy is "<number> <valid until> <token> <since> <next publish time or ->".
SHARE_IF_NEWER = """
local current = redis.call('GET', KEYS[1])
if current then
  local number = tonumber(string.match(current, '^(%d+) '))
  if number and number >= tonumber(ARGV[1]) then return 0 end
end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
return 1
"""

# The number of Redis outages this process had brought Redis up to date after.
_outages_reconciled = 0


def content_version() -> dict:
    """{"id": …, "number": …, "since": unix time, "next_publish_at": unix time or None}."""
    version = _shared_version() if cache_is_shared() else None
    if version is None:
        read_at = time.time()
        version = _version_in_database()
        if cache_is_shared():
            _share(version, read_at)
    if version["next_publish_at"] and timezone.now().timestamp() >= version["next_publish_at"]:
        # A scheduled article has just become public: a change no save announced.
        version = new_content_version()
    return version


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


def new_content_version() -> dict:
    """Invalidate every cached page: a new version, in the database at once (within the
    caller's transaction, so it commits with the change) and in Redis as it commits."""
    with transaction.atomic():
        next_publish_at = Article.objects.filter(
            status=Article.Status.PUBLISHED, published_at__gt=timezone.now()
        ).aggregate(next=Min("published_at"))["next"]
        fields = {
            "token": uuid.uuid4().hex,
            "changed_at": timezone.now().timestamp(),
            "next_publish_at": next_publish_at.timestamp() if next_publish_at else None,
        }
        # One statement, so the numbers follow the order in which changes commit (the row
        # stays locked until this transaction ends).
        updated = ContentVersion.objects.filter(pk=1).update(number=F("number") + 1, **fields)
        if not updated:  # the row is made by a migration; this is for a database without it
            ContentVersion.objects.create(pk=1, number=1, **fields)
        version = _version_in_database()
        transaction.on_commit(partial(_publish, version), robust=True)
    return version


def _publish(version: dict) -> None:
    """Once a new version has committed: make it known to every app server.

    If Redis doesn't take it, hold the save's answer until every copy in Redis that was
    read before the commit has expired: once the editor is told "saved", no reader can be
    served a page from before it.
    """
    if not cache_is_shared():
        return
    committed_at = time.time()
    if not _share(version, committed_at, even_if_resting=True):
        time.sleep(max(0.0, committed_at + VERSION_LEASE_SECONDS - time.time()))


def _version_in_database() -> dict:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT token, number, changed_at, next_publish_at FROM conditions_contentversion "
            "WHERE id = 1"
        )
        row = cursor.fetchone()
    if row is None:
        return new_content_version()
    return {"id": row[0], "number": row[1], "since": row[2], "next_publish_at": row[3]}


def _shared_version() -> dict | None:
    """Redis's copy of the content version; None when it has none, or it can't be trusted:
    expired, or Redis failed since this process last brought it up to date."""
    if cache.outages != _outages_reconciled:
        return None
    text = cache.run(lambda redis: redis.get(cache.make_key(CONTENT_VERSION_KEY)))
    if text is None:
        return None
    number, valid_until, token, since, next_publish_at = text.decode().split(" ")
    if time.time() >= float(valid_until):
        return None
    return {
        "id": token,
        "number": int(number),
        "since": float(since),
        "next_publish_at": float(next_publish_at) if next_publish_at != "-" else None,
    }


def _share(version: dict, read_at: float, even_if_resting: bool = False) -> bool:
    """Put `version`, read from the database at `read_at`, in Redis unless Redis has a newer
    one. Whether Redis answered."""
    global _outages_reconciled
    outages = cache.outages
    text = " ".join(
        [str(version["number"]), repr(read_at + VERSION_LEASE_SECONDS), version["id"],
         repr(version["since"]),
         repr(version["next_publish_at"]) if version["next_publish_at"] else "-"]
    )  # fmt: skip
    # Redis forgets it a little after it expires (the readers' own check is what counts).
    keep_ms = int(VERSION_LEASE_SECONDS * 2000)
    key = cache.make_key(CONTENT_VERSION_KEY)
    answered = cache.run(
        lambda redis: redis.eval(SHARE_IF_NEWER, 1, key, version["number"], text, keep_ms),
        even_if_resting=even_if_resting,
    )
    if answered is not None and cache.outages == outages:
        _outages_reconciled = outages
    return answered is not None


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
            return self.get_response(request)

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
        else:
            response = self.get_response(request)
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
        return get_conditional_response(
            request,
            etag=response["ETag"],
            last_modified=int(version["since"]),
            response=response,
        )

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


# What changes content. The new version is written in the same transaction as the change, so
# the two commit together, once per transaction however many rows it changes.
CONTENT_MODELS = [ConditionArticle, FaqArticle, FaqItem, Source, Symptom, SymptomRedirect,
                  SlugRedirect]  # fmt: skip


def content_changed(**kwargs) -> None:
    if kwargs.get("raw") or _transaction_has_new_version():
        return
    new_content_version()


def _transaction_has_new_version() -> bool:
    """Whether the transaction under way has written a new content version already (in a
    part that hasn't been rolled back): its `_publish` is waiting for the commit.

    In the test suite, a test's own transaction never commits and holds everything a test
    does; only the site's own transaction inside it counts (for test code itself, none).
    """
    ours = [i for i, block in enumerate(connection.atomic_blocks) if not block._from_testcase]
    if not ours:
        return False
    # The outermost block of a real transaction has no savepoint; inside a test's, its id.
    savepoint = connection.savepoint_ids[ours[0] - 1] if ours[0] else None
    if ours[0] and savepoint is None:
        return False
    return any(
        getattr(callback, "func", None) is _publish and (savepoint is None or savepoint in ids)
        for ids, callback, _ in connection.run_on_commit
    )


for model in CONTENT_MODELS:
    post_save.connect(content_changed, sender=model, dispatch_uid=f"cache-save-{model.__name__}")
    post_delete.connect(
        content_changed, sender=model, dispatch_uid=f"cache-delete-{model.__name__}"
    )


@receiver(m2m_changed, sender=TaggedArticle)
def symptoms_changed(sender, action, **kwargs):
    if action in {"post_add", "post_remove", "post_clear"}:
        content_changed()
