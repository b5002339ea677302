"""Django's Redis cache, made for a cache that is never the source of truth.

Redis down or slow degrades, never fails: every call has short connect and socket timeouts
(settings), and when Redis can't answer, a read answers as a miss and a write does nothing,
so the site serves from the database (a correct page, just uncached). After a failure, the
process leaves Redis alone for RETRY_AFTER_SECONDS instead of paying the timeout on every
request, then tries again. `outages` counts the failures of this process, so that
`conditions.content_version` can bring Redis's copy of the content version up to date before
trusting it again.

Two changes for speed, as before: Django's own RedisCacheClient builds a new `redis.Redis`
object for every call and takes a connection from the pool and gives it back; here the client
and one connection of its own (`single_connection_client`) are kept. Django gives each thread
its own cache object, so in a gunicorn worker that connection is never shared (and redis-py
locks it if it were). And Django's check that every key would suit memcached (it walks each
key character by character on every call) is skipped: Redis takes any key.
"""

import logging
import threading
import time

from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

# After Redis fails to answer, how long this process serves without it before asking again.
RETRY_AFTER_SECONDS = 2.0


class RedisHealth:
    """Whether this process should ask Redis at all; shared by its threads."""

    def __init__(self):
        self.lock = threading.Lock()
        self.resting_until = 0.0
        self.outages = 0
        self.last_error = ""

    def resting(self) -> bool:
        return time.monotonic() < self.resting_until

    def failed(self, error: Exception) -> None:
        with self.lock:
            was_up = not self.last_error
            self.resting_until = time.monotonic() + RETRY_AFTER_SECONDS
            self.outages += 1
            self.last_error = f"{error.__class__.__name__}: {error}"
        if was_up:
            logger.warning(
                "Redis did not answer (%s); serving from the database without it, "
                "asking again every %.0f s.",
                self.last_error,
                RETRY_AFTER_SECONDS,
            )

    def answered(self) -> None:
        if self.last_error:
            with self.lock:
                self.last_error = ""
            logger.warning("Redis answers again.")


HEALTH = RedisHealth()


class ReusedClientRedisCacheClient(RedisCacheClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        index = self._get_connection_pool_index(write)
        client = self._clients.get(index)
        if client is None:
            client = self._client(
                connection_pool=self._get_connection_pool(write), single_connection_client=True
            )
            self._clients[index] = client
        return client


class ResilientRedisCache(RedisCache):
    """Django's Redis cache that answers a miss (and stores nothing) when Redis is down."""

    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = ReusedClientRedisCacheClient

    def validate_key(self, key):
        pass

    @property
    def outages(self) -> int:
        return HEALTH.outages

    @property
    def problem(self) -> str:
        """Why Redis is not being used now, or "" when it is."""
        return HEALTH.last_error if HEALTH.resting() or HEALTH.last_error else ""

    def run(self, operation, default=None, even_if_resting=False):
        """operation(redis client)'s result, or `default` when Redis can't answer (now, or
        within the last RETRY_AFTER_SECONDS, unless `even_if_resting`: for the rare call that
        is worth a try whatever)."""
        if HEALTH.resting() and not even_if_resting:
            return default
        try:
            result = operation(self._cache.get_client(write=True))
        except RedisError as error:
            HEALTH.failed(error)
            return default
        HEALTH.answered()
        return result

    # Django's cache API, each answering as a miss (and storing nothing) while Redis can't
    # answer.

    def get(self, key, default=None, version=None):
        return self.run(
            lambda _: super(ResilientRedisCache, self).get(key, default, version), default
        )

    def get_many(self, keys, version=None):
        return self.run(lambda _: super(ResilientRedisCache, self).get_many(keys, version), {})

    def has_key(self, key, version=None):
        return self.run(lambda _: super(ResilientRedisCache, self).has_key(key, version), False)

    def add(self, *args, **kwargs):
        return self.run(lambda _: super(ResilientRedisCache, self).add(*args, **kwargs), False)

    def set(self, *args, **kwargs):
        return self.run(lambda _: super(ResilientRedisCache, self).set(*args, **kwargs))

    def set_many(self, *args, **kwargs):
        return self.run(lambda _: super(ResilientRedisCache, self).set_many(*args, **kwargs), [])

    def touch(self, *args, **kwargs):
        return self.run(lambda _: super(ResilientRedisCache, self).touch(*args, **kwargs), False)

    def delete(self, *args, **kwargs):
        return self.run(lambda _: super(ResilientRedisCache, self).delete(*args, **kwargs), False)

    def delete_many(self, *args, **kwargs):
        return self.run(lambda _: super(ResilientRedisCache, self).delete_many(*args, **kwargs))

    def clear(self):
        return self.run(lambda _: super(ResilientRedisCache, self).clear())
