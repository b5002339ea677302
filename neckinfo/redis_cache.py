"""Django's Redis cache, keeping its Redis client and that client's connection between calls.

Django's own RedisCacheClient builds a new `redis.Redis` object for every cache call, and
each call takes a connection from the pool and gives it back. Building the client costs
about as much as the round trip to Redis itself, and a cached public page makes one cache
call per request, so the client is kept. It also keeps one connection of its own
(`single_connection_client`), which spares the pool's checks on every call: Django gives each
thread its own cache object, so in a gunicorn worker that connection is never shared (and
redis-py locks it if it were).

It also skips Django's check that every key would suit memcached (no spaces, control
characters or more than 250 characters): it walks each key character by character on every
call, and Redis takes any key.
"""

from django.core.cache.backends.redis import RedisCache, RedisCacheClient


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


class ReusedClientRedisCache(RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = ReusedClientRedisCacheClient

    def validate_key(self, key):
        pass
