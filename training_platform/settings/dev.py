"""Local development and `make run`: safe defaults so nothing needs configuring."""

import base64

from .base import *  # noqa: F403
from .base import env, env_bool, env_list, parse_key_ring

DEBUG = env_bool("DJANGO_DEBUG", True)
SECRET_KEY = env(
    "DJANGO_SECRET_KEY", "dev-only-insecure-key-not-for-production-0123456789"
)
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]")

# Development keys: fixed so a local database stays readable across restarts.
# Production supplies its own through the environment (see production.py).
_DEV_KEY = base64.b64encode(b"dev-only-pii-key-32-bytes-long!!").decode()
PII_ENCRYPTION_KEYS = parse_key_ring(env("PII_ENCRYPTION_KEYS", f"dev1:{_DEV_KEY}"))
PII_ACTIVE_KEY_ID = env("PII_ACTIVE_KEY_ID", "dev1")
PII_BLIND_INDEX_KEY = base64.b64decode(
    env("PII_BLIND_INDEX_KEY", base64.b64encode(b"dev-only-blind-index-key").decode())
)
_DEV_SIGNING_SEED = base64.b64encode(b"dev-only-cert-signing-seed-32by!").decode()
CERTIFICATE_SIGNING_KEYS = parse_key_ring(
    env("CERTIFICATE_SIGNING_KEYS", f"dev1:{_DEV_SIGNING_SEED}")
)
CERTIFICATE_SIGNING_ACTIVE_KEY = env("CERTIFICATE_SIGNING_ACTIVE_KEY", "dev1")
EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
