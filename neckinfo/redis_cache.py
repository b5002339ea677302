"""Django's Redis cache, keeping one Redis client per connection pool.

Django's own RedisCacheClient builds a new `redis.Redis` object for every cache call. The
connections are pooled either way, but building the client costs about as much as the round
trip to Redis itself, and a cached public page makes one such call per request. A
`redis.Redis` client is safe to share between threads, so one per pool is enough.

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
            client = self._client(connection_pool=self._get_connection_pool(write))
            self._clients[index] = client
        return client


class ReusedClientRedisCache(RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = ReusedClientRedisCacheClient

    def validate_key(self, key):
        pass
