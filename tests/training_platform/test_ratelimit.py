"""The shared-cache rate limit: counts per client and window, on locmem and on Redis."""

import os
import uuid

import pytest
from django.core.cache import caches
from django.test import override_settings

from training_platform import ratelimit

REDIS_URL = "redis://127.0.0.1:6379/9"


def _redis_available() -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping())
    except redis.exceptions.ConnectionError:
        return False


def _require_redis():
    if not _redis_available():
        message = f"Redis is not running at {REDIS_URL}"
        if os.environ.get("CI"):  # CI always has it: a missing Redis is a failure there
            pytest.fail(message)
        pytest.skip(message)


@pytest.fixture(params=["locmem", "redis"])
def shared_cache(request):
    if request.param == "redis":
        _require_redis()
        backend = {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": f"rltest-{uuid.uuid4().hex}",
        }
    else:
        backend = {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": f"rltest-{uuid.uuid4().hex}",
        }
    with override_settings(CACHES={"default": backend}):
        # `cache` in ratelimit is the connection proxy: it follows the new settings.
        yield request.param
        cache = caches["default"]
        if request.param == "redis":
            client = cache._cache.get_client(write=True)
            for key in client.scan_iter(f"{backend['KEY_PREFIX']}:*"):
                client.delete(key)
        else:
            cache.clear()


def test_allows_the_limit_then_refuses_with_the_wait(shared_cache, monkeypatch):
    monkeypatch.setattr(ratelimit.time, "time", lambda: 1_000_020)
    client = uuid.uuid4().hex
    assert [ratelimit.check("verify", client, "3/60") for _ in range(3)] == [0, 0, 0]
    # 1,000,020 is the first second of its 60 s window: the whole window is left.
    assert ratelimit.check("verify", client, "3/60") == 60
    # Another client and another bucket count on their own.
    assert ratelimit.check("verify", uuid.uuid4().hex, "3/60") == 0
    assert ratelimit.check("signup", client, "3/60") == 0


def test_a_new_window_starts_a_new_count(shared_cache, monkeypatch):
    now = [1_000_020]
    monkeypatch.setattr(ratelimit.time, "time", lambda: now[0])
    client = uuid.uuid4().hex
    assert ratelimit.check("verify", client, "1/60") == 0
    assert ratelimit.check("verify", client, "1/60") > 0
    now[0] += 60
    assert ratelimit.check("verify", client, "1/60") == 0


@pytest.mark.parametrize("shared_cache", ["redis"], indirect=True)
def test_the_redis_counter_expires_with_its_window(shared_cache, monkeypatch):
    cache = caches["default"]

    def refused(*args, **kwargs):
        raise AssertionError("Redis counts in one round trip, not through add()/incr()")

    monkeypatch.setattr(cache, "add", refused)
    monkeypatch.setattr(cache, "incr", refused)
    client = uuid.uuid4().hex
    ratelimit.check("verify", client, "5/60")
    ratelimit.check("verify", client, "5/60")
    keys = list(cache._cache.get_client().keys(f"*rl:verify:{client}:*"))
    assert len(keys) == 1
    ttl = cache._cache.get_client().ttl(keys[0])
    assert 0 < ttl <= 61
    # The value stays a readable count through Django's own cache API.
    assert cache.get(keys[0].decode().split(":", 2)[-1]) == 2


def test_disabled_rate_never_touches_the_cache(shared_cache):
    client = uuid.uuid4().hex
    assert all(ratelimit.check("verify", client, "0") == 0 for _ in range(50))
