"""Production: every secret comes from the environment, with no default.

Start-up is refused (ImproperlyConfigured) when a secret is missing, malformed, too short,
or one of the keys committed to the repository (known_keys.py), and when the cache is not
shared between processes (rate limits and sign-in throttling count in it).
"""

from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

from . import known_keys
from .base import *  # noqa: F403
from .base import env, env_list
from .production_checks import (
    KEY_BYTES,
    MIN_BLIND_INDEX_KEY_BYTES,
    check_secret_key,
    check_shared_cache,
    decode_key,
    key_ring,
    required,
)

DEBUG = False
SECRET_KEY = check_secret_key(required("DJANGO_SECRET_KEY"))
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS") or required("DJANGO_ALLOWED_HOSTS")
required("DATABASE_URL")

PII_ENCRYPTION_KEYS = key_ring(
    "PII_ENCRYPTION_KEYS", required("PII_ENCRYPTION_KEYS"), length=KEY_BYTES
)
PII_ACTIVE_KEY_ID = required("PII_ACTIVE_KEY_ID")
if PII_ACTIVE_KEY_ID not in PII_ENCRYPTION_KEYS:
    raise ImproperlyConfigured("PII_ACTIVE_KEY_ID names no key of PII_ENCRYPTION_KEYS.")
PII_BLIND_INDEX_KEY = decode_key("PII_BLIND_INDEX_KEY", required("PII_BLIND_INDEX_KEY"))
if len(PII_BLIND_INDEX_KEY) < MIN_BLIND_INDEX_KEY_BYTES:
    raise ImproperlyConfigured(
        f"PII_BLIND_INDEX_KEY must be at least {MIN_BLIND_INDEX_KEY_BYTES} bytes."
    )
if PII_BLIND_INDEX_KEY in known_keys.BYTE_KEYS:
    raise ImproperlyConfigured(
        "PII_BLIND_INDEX_KEY is a development/test key; generate a new one."
    )
CERTIFICATE_SIGNING_KEYS = key_ring(
    "CERTIFICATE_SIGNING_KEYS", required("CERTIFICATE_SIGNING_KEYS"), length=KEY_BYTES
)
CERTIFICATE_SIGNING_ACTIVE_KEY = required("CERTIFICATE_SIGNING_ACTIVE_KEY")
if CERTIFICATE_SIGNING_ACTIVE_KEY not in CERTIFICATE_SIGNING_KEYS:
    raise ImproperlyConfigured(
        "CERTIFICATE_SIGNING_ACTIVE_KEY names no key of CERTIFICATE_SIGNING_KEYS."
    )
CERTIFICATE_RETIRED_PUBLIC_KEYS = (
    key_ring(
        "CERTIFICATE_RETIRED_PUBLIC_KEYS",
        env("CERTIFICATE_RETIRED_PUBLIC_KEYS"),
        length=KEY_BYTES,
    )
    if env("CERTIFICATE_RETIRED_PUBLIC_KEYS")
    else {}
)

# One cache for every app server: the rate limits and sign-in throttling count there.
CACHES = check_shared_cache(
    {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": required("REDIS_URL"),
            # Apps sharing one Redis database keep apart by prefix.
            "KEY_PREFIX": env("DJANGO_CACHE_KEY_PREFIX", ""),
        }
    }
)

# Sign-up codes go out by SMS: a real gateway backend (or the dummy one, which sends
# nothing, so that only staff-issued activation codes work) must be chosen explicitly;
# the console and in-memory backends are for development and tests.
SMS_BACKEND = required("SMS_BACKEND")
if SMS_BACKEND.rsplit(".", 2)[-2] in {"console", "locmem"}:
    raise ImproperlyConfigured(
        f"SMS_BACKEND={SMS_BACKEND} is for development and tests; "
        "set a gateway backend (or training_platform.sms.backends.dummy.SmsBackend)."
    )

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = True
SECURE_HSTS_SECONDS = int(env("DJANGO_HSTS_SECONDS", "31536000"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")
STATIC_ROOT = Path(env("DJANGO_STATIC_ROOT", str(STATIC_ROOT)))  # noqa: F405
# Static files: `collectstatic` hashes and compresses them (gzip; brotli when installed)
# into STATIC_ROOT and WhiteNoise serves them from every app server, cached for a year
# under their hashed names; no separate static server or CDN (docs/deploy.md).
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
MIDDLEWARE = [*MIDDLEWARE]  # noqa: F405
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.middleware.security.SecurityMiddleware") + 1,
    "whitenoise.middleware.WhiteNoiseMiddleware",
)
# Wagtail's live preview shows the page in a same-origin iframe, so frames stay
# SAMEORIGIN (base.py) instead of DENY; other origins are still refused.
SILENCED_SYSTEM_CHECKS = ["security.W019"]

# --- c14-lean ---
# Uploaded files (the encrypted import uploads, Wagtail's images and documents) go
# through the storage API only, so object storage is this switch: DJANGO_STORAGE=s3
# puts them in an S3-compatible bucket every app server shares (MinIO, Aliyun OSS,
# Tencent COS, ...). It needs `pip install "django-storages[s3]"` on top of
# requirements.lock; the filesystem default needs nothing more. Generated PDFs and
# exports are never stored. Credentials: DJANGO_S3_ACCESS_KEY_ID and
# DJANGO_S3_SECRET_ACCESS_KEY, or, when unset, boto3's own chain (AWS_* variables, an
# instance role). Objects are private and served by short-lived signed URLs.
DJANGO_STORAGE = env("DJANGO_STORAGE", "filesystem")
if DJANGO_STORAGE == "s3":
    STORAGES = {
        **STORAGES,
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": required("DJANGO_S3_BUCKET"),
                "endpoint_url": env("DJANGO_S3_ENDPOINT_URL") or None,
                "region_name": env("DJANGO_S3_REGION") or None,
                "access_key": env("DJANGO_S3_ACCESS_KEY_ID") or None,
                "secret_key": env("DJANGO_S3_SECRET_ACCESS_KEY") or None,
                "addressing_style": env("DJANGO_S3_ADDRESSING_STYLE") or None,
                "location": env("DJANGO_S3_PREFIX", "media"),
                "default_acl": "private",
                "querystring_auth": True,
                "querystring_expire": int(env("DJANGO_S3_URL_SECONDS", "300")),
                "file_overwrite": False,
            },
        },
    }
elif DJANGO_STORAGE != "filesystem":
    raise ImproperlyConfigured(
        f"DJANGO_STORAGE={DJANGO_STORAGE}: choose filesystem (the default) or s3."
    )
# --- end c14-lean ---
