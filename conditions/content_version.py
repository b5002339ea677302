"""The content version: the clock every cached public page is stored under.

Any change to content (an article, its questions, sources or symptoms, a symptom, a
redirect) replaces the version (`new_content_version`, called by `conditions.signals`), so
the very next request on every app server and worker misses the page cache and renders
afresh. A scheduled article becoming public changes no row, so the version also records the
next publish time still to come, and the first request after it replaces the version.

The database holds it (one row, `ContentVersion`), and is always right. With Redis, every
request reads a copy from Redis instead (one round trip, no query), which each change
pushes there as it commits. Redis may miss a push (down, paused, cut off from one app
server) and later answer again, with an older copy or a late one that was queued while it
was paused, so no page older than an acknowledged save is ever served:
- a copy only ever replaces an older one (versions are numbered in commit order);
- a copy carries the time until which it may be trusted: VERSION_LEASE_SECONDS after it
  was read from the database (readers check that time themselves, so a copy delivered
  late expires all the same);
- a save whose push fails isn't acknowledged until that time has passed for every copy
  read before it committed (`_publish`): from then on, every reader goes to the database;
- a process that has seen Redis fail reads the database until Redis answers again, and
  then brings Redis's copy up to date before trusting it.
(Across app servers this relies on their clocks agreeing to well under a second, as NTP
keeps them.)

A worker also reuses the copy it read from Redis (or the database) for the next
WORKER_TRUST_SECONDS, without asking again: that round trip was a third of the cost of a cached
page. It stays true that no page older than an acknowledged save is served, because a save's
answer waits that long after its push to Redis (`_publish`): any copy read before the push was
read before that wait began, so it is no longer reused once the editor is told "saved".

Without Redis, on SQLite (one machine, several worker processes), each process remembers the
version it last read together with SQLite's `PRAGMA data_version`, which changes for a
connection whenever any other connection, in any process, commits to the database: while it is
unchanged nothing at all was committed elsewhere, so the remembered version is still the
database's, and a cached page costs no query of a table. This process's own change is the one
a connection's data_version doesn't show, so `new_content_version` forgets the remembered
version. The pragma is asked before the version is read, so a change committed in between
only makes the next request read it again. On PostgreSQL without Redis, every request reads
the version from the database.
"""

import threading
import time
import uuid
from functools import partial

from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import F, Min
from django.utils import timezone

from conditions.models import Article, ContentVersion, scheduled_q

CONTENT_VERSION_KEY = "content-version"

# How long a copy in Redis is trusted after it was read from the database: about one small
# query a second, whatever the load, and what a save waits for while Redis doesn't answer.
VERSION_LEASE_SECONDS = 1.0

# How long a worker reuses a copy it has read, and how long each save's answer waits after its
# push to Redis. At a thousand cached pages a second a worker asks Redis about twenty times a
# second instead of a thousand; a save, which takes a few hundred milliseconds, takes 50 more.
WORKER_TRUST_SECONDS = 0.05

# Replaces the copy in Redis only with a newer one (a higher number): a push that arrives
# late, or a copy read from the database before a change committed, can't go back in time. A
# copy of the same number is replaced only by one trusted for longer (its lease renewed):
# without that, a lease that ran out stayed in Redis until Redis dropped it, and every request
# meanwhile read the database and pushed again. A renewal read before a change committed is
# trusted no longer than the change's own wait (`_publish`), so it can't outlive the change.
# The copy is "<number> <valid until> <token> <since> <next publish time or ->".
SHARE_IF_NEWER = """
local current = redis.call('GET', KEYS[1])
if current then
  local number, valid_until = string.match(current, '^(%d+) (%S+) ')
  number, valid_until = tonumber(number), tonumber(valid_until)
  local offered = tonumber(ARGV[1])
  if number and number > offered then return 0 end
  if number == offered and valid_until and valid_until >= tonumber(ARGV[4]) then return 0 end
end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
return 1
"""

# The number of Redis outages this process had brought Redis up to date after.
_outages_reconciled = 0

# With Redis, the copy this process read last: (reused until this time.time(), Redis outages
# counted then, version). One for the whole process, so a save can forget it for every thread.
_recently_read = None

# On SQLite, the version this thread's connection last read: (connection, its data_version
# then, version). Per thread, as Django's connections are.
_last_read = threading.local()


def cache_is_shared() -> bool:
    """Whether every app server and worker process reads the same cache (Redis)."""
    return "LocMemCache" not in settings.CACHES["default"]["BACKEND"]


def content_version() -> dict:
    """{"id": …, "number": …, "since": unix time, "next_publish_at": unix time or None}."""
    if cache_is_shared():
        version = _recent_shared_version()
    elif connection.vendor == "sqlite":
        version = _version_unless_sqlite_unchanged()
    else:
        version = _version_in_database()
    if version["next_publish_at"] and timezone.now().timestamp() >= version["next_publish_at"]:
        # A scheduled article has just become public: a change no save announced.
        version = new_content_version()
    return version


def new_content_version() -> dict:
    """Invalidate every cached page: a new version, in the database at once (within the
    caller's transaction, so it commits with the change) and in Redis as it commits."""
    forget_last_read()  # this connection's data_version won't show its own commit
    forget_recently_read()
    with transaction.atomic():
        scheduled = Article.objects.filter(scheduled_q())
        next_publish_at = scheduled.aggregate(next=Min("published_at"))["next"]
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
    shared = _share(version, committed_at, even_if_resting=True)
    forget_recently_read()
    if shared:
        # Until every worker's reused copy from before the push has run out.
        time.sleep(WORKER_TRUST_SECONDS)
    else:
        # Copies in Redis read before the commit are trusted until their lease ends at the
        # latest, and a worker reuses one no longer than that (`_recent_shared_version`).
        time.sleep(max(0.0, committed_at + VERSION_LEASE_SECONDS - time.time()))


def forget_recently_read() -> None:
    """Ask Redis (or the database) for the version on this process's next request."""
    global _recently_read
    _recently_read = None


def forget_last_read() -> None:
    """Read the version from the database next time (on SQLite without Redis): for a change
    this thread's own connection makes, which its data_version doesn't show."""
    _last_read.__dict__.clear()


def _version_unless_sqlite_unchanged() -> dict:
    """The version this connection last read, if no other connection has committed anything
    since; otherwise read afresh."""
    if connection.in_atomic_block:
        # Inside a transaction, its own uncommitted writes may be what is read: not kept.
        return _version_in_database()
    connection.ensure_connection()
    sqlite = connection.connection
    # The driver's own connection, past Django's cursor wrapper: a tenth of the cost, and this
    # reads no table (it asks SQLite whether the database file has changed).
    (data_version,) = sqlite.execute("PRAGMA data_version").fetchone()
    last = getattr(_last_read, "version", None)
    if last is not None and last[0] is sqlite and last[1] == data_version:
        return last[2]
    version = _version_in_database()
    _last_read.version = (sqlite, data_version, version)
    return version


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


def _recent_shared_version() -> dict:
    """The version, with Redis: this process's copy if read in the last WORKER_TRUST_SECONDS
    (and Redis hasn't failed since), otherwise Redis's copy, or the database's."""
    global _recently_read
    recent = _recently_read
    asked_at = time.time()
    if recent is not None and asked_at < recent[0] and recent[1] == cache.outages:
        return recent[2]
    outages = cache.outages
    shared = _shared_version()
    if shared is not None:
        version, valid_until = shared
    else:
        version = _version_in_database()
        _share(version, asked_at)
        valid_until = asked_at + VERSION_LEASE_SECONDS
    if shared is None and connection.in_atomic_block:
        # Read inside a transaction: it may be the transaction's own uncommitted change.
        return version
    # Counted from before the question was asked: the answer may date from any moment since.
    # Never past the copy's own lease, which is what a save waits for when Redis fails.
    _recently_read = (min(asked_at + WORKER_TRUST_SECONDS, valid_until), outages, version)
    return version


def _shared_version() -> tuple[dict, float] | None:
    """Redis's copy of the content version and the time its lease ends; None when it has
    none, or it can't be trusted: expired, or Redis failed since this process last brought it
    up to date."""
    if cache.outages != _outages_reconciled:
        return None
    text = cache.run(lambda redis: redis.get(cache.make_key(CONTENT_VERSION_KEY)))
    if text is None:
        return None
    number, valid_until, token, since, next_publish_at = text.decode().split(" ")
    valid_until = float(valid_until)
    if time.time() >= valid_until:
        return None
    version = {
        "id": token,
        "number": int(number),
        "since": float(since),
        "next_publish_at": float(next_publish_at) if next_publish_at != "-" else None,
    }
    return version, valid_until


def _share(version: dict, read_at: float, even_if_resting: bool = False) -> bool:
    """Put `version`, read from the database at `read_at`, in Redis unless Redis has a newer
    one. Whether Redis answered."""
    global _outages_reconciled
    outages = cache.outages
    valid_until = repr(read_at + VERSION_LEASE_SECONDS)
    text = " ".join(
        [str(version["number"]), valid_until, version["id"],
         repr(version["since"]),
         repr(version["next_publish_at"]) if version["next_publish_at"] else "-"]
    )  # fmt: skip
    # Redis forgets it a little after it expires (the readers' own check is what counts).
    keep_ms = int(VERSION_LEASE_SECONDS * 2000)
    key = cache.make_key(CONTENT_VERSION_KEY)
    answered = cache.run(
        lambda redis: redis.eval(
            SHARE_IF_NEWER, 1, key, version["number"], text, keep_ms, valid_until
        ),
        even_if_resting=even_if_resting,
    )
    if answered is not None and cache.outages == outages:
        _outages_reconciled = outages
    return answered is not None
