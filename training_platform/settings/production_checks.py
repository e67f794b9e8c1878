"""Start-up checks for production settings (production.py), importable on their own."""

import base64
import binascii
import os

from django.core.exceptions import ImproperlyConfigured

from . import known_keys

MIN_SECRET_KEY_LENGTH = 50
MIN_SECRET_KEY_UNIQUE_CHARACTERS = 5
KEY_BYTES = 32  # AES-256 keys and Ed25519 seeds / public keys
MIN_BLIND_INDEX_KEY_BYTES = 32
SHARED_CACHE_BACKENDS = {
    "django.core.cache.backends.redis.RedisCache",
    "django.core.cache.backends.memcached.PyMemcacheCache",
    "django.core.cache.backends.memcached.PyLibMCCache",
    "django.core.cache.backends.db.DatabaseCache",
}


def required(name):
    value = os.environ.get(name)
    if not value:
        raise ImproperlyConfigured(f"Set the environment variable {name}.")
    return value


def decode_key(name, value):
    try:
        return base64.b64decode(value.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise ImproperlyConfigured(f"{name}: not valid base64.") from None


def key_ring(name, value, *, length):
    """ "kid:base64,kid2:base64" → {kid: bytes}, each exactly ``length`` bytes, none public."""
    ring = {}
    for item in value.split(","):
        if not item.strip():
            continue
        kid, sep, encoded = item.strip().partition(":")
        if not sep or not kid:
            raise ImproperlyConfigured(f"{name}: write each key as kid:base64key.")
        key = decode_key(f"{name} ({kid})", encoded)
        if len(key) != length:
            raise ImproperlyConfigured(
                f"{name} ({kid}): the key must be {length} bytes, not {len(key)}."
            )
        if key in known_keys.BYTE_KEYS:
            raise ImproperlyConfigured(
                f"{name} ({kid}): this is a development/test key committed to the "
                "repository; generate a new one."
            )
        ring[kid] = key
    if not ring:
        raise ImproperlyConfigured(f"Set the environment variable {name}.")
    return ring


def check_secret_key(value):
    if value in known_keys.SECRET_KEYS or value.startswith("django-insecure-"):
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY is a development/test key; generate a new one."
        )
    if (
        len(value) < MIN_SECRET_KEY_LENGTH
        or len(set(value)) < MIN_SECRET_KEY_UNIQUE_CHARACTERS
    ):
        raise ImproperlyConfigured(
            f"DJANGO_SECRET_KEY is too weak: at least {MIN_SECRET_KEY_LENGTH} characters "
            f"with at least {MIN_SECRET_KEY_UNIQUE_CHARACTERS} different ones."
        )
    return value


def check_shared_cache(caches):
    backend = caches.get("default", {}).get("BACKEND", "")
    if backend not in SHARED_CACHE_BACKENDS:
        raise ImproperlyConfigured(
            f"The default cache ({backend or 'none'}) is not shared between processes: "
            "rate limits and sign-in throttling would count per process. Set REDIS_URL."
        )
    return caches
