"""A per-client rate limit on public endpoints, counted in the shared cache.

Fixed windows: at most ``limit`` requests per ``window`` seconds per client address and
bucket. The count lives in the default cache (Redis when configured), so every app
server shares it. Over the limit the view is not called: 429 with Retry-After.
"""

import functools
import time

from django.conf import settings
from django.core.cache import cache, caches
from django.core.cache.backends.redis import RedisCache
from django.http import HttpResponse

from training_platform.clientip import client_ip


def parse_rate(value: str) -> tuple[int, int]:
    """ "60/60" → (60 requests, 60 seconds); "0" or "" disables the limit."""
    value = (value or "").strip()
    if value in ("", "0"):
        return 0, 0
    count, _, seconds = value.partition("/")
    return int(count), int(seconds or 60)


def _redis_client(backend: RedisCache, key: str):
    """The write client for ``key``, kept on the (per-thread) cache backend: Django makes
    a new redis-py client on every call, and building one costs more than the round trip."""
    clients = backend.__dict__.setdefault("_ratelimit_clients", {})
    index = backend._cache._get_connection_pool_index(write=True)
    if index not in clients:
        clients[index] = backend._cache.get_client(key, write=True)
    return clients[index]


def _count(key: str, window: int) -> int:
    """This window's count after this request, in one step of the shared cache."""
    backend = caches["default"]  # `cache` is a proxy: isinstance needs the backend
    if isinstance(backend, RedisCache):
        # One round trip (INCR and EXPIRE NX in a MULTI block) instead of the three the
        # generic path makes on Redis (SET NX, then EXISTS and INCRBY): the limit sits in
        # front of every public verification, so its cost is paid on each request.
        full_key = backend.make_and_validate_key(key)
        pipe = _redis_client(backend, full_key).pipeline(transaction=True)
        pipe.incr(full_key)
        pipe.expire(full_key, window + 1, nx=True)
        count, _ = pipe.execute()
        return int(count)
    # add() is atomic: only the first request of a window creates the counter.
    if cache.add(key, 1, timeout=window + 1):
        return 1
    try:
        return cache.incr(key)
    except ValueError:  # expired between add() and incr()
        cache.add(key, 1, timeout=window + 1)
        return 1


def check(bucket: str, client: str, rate: str) -> int:
    """0 when the request may go on, else the seconds to wait before the next window."""
    limit, window = parse_rate(rate)
    if not limit:
        return 0
    now = int(time.time())
    start = now - now % window
    count = _count(f"rl:{bucket}:{client}:{start}", window)
    return 0 if count <= limit else max(start + window - now, 1)


def too_many(retry_after: int, message: str = "请求过于频繁，请稍后再试。"):
    response = HttpResponse(
        message, status=429, content_type="text/plain; charset=utf-8"
    )
    response["Retry-After"] = str(retry_after)
    return response


def rate_limited(bucket: str, setting: str, *, methods=None, response=None):
    """Decorate a view with the limit named by ``setting`` (read on every request)."""

    def decorator(view):
        @functools.wraps(view)
        def wrapped(request, *args, **kwargs):
            if methods is None or request.method in methods:
                wait = check(
                    bucket, client_ip(request) or "-", getattr(settings, setting, "")
                )
                if wait:
                    return (response or too_many)(wait)
            return view(request, *args, **kwargs)

        return wrapped

    return decorator
