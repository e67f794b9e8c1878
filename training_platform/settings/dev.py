"""Local development and `make run`: safe defaults so nothing needs configuring."""

import base64

from .base import *  # noqa: F403
from .base import env, env_bool, env_list, parse_key_ring
from .known_keys import (
    DEV_BLIND_INDEX_KEY,
    DEV_PII_KEY,
    DEV_SECRET_KEY,
    DEV_SIGNING_SEED,
)

DEBUG = env_bool("DJANGO_DEBUG", True)
SECRET_KEY = env("DJANGO_SECRET_KEY", DEV_SECRET_KEY)
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]")

# Development keys: fixed so a local database stays readable across restarts.
# Production supplies its own through the environment (see production.py).
_DEV_KEY = base64.b64encode(DEV_PII_KEY).decode()
PII_ENCRYPTION_KEYS = parse_key_ring(env("PII_ENCRYPTION_KEYS", f"dev1:{_DEV_KEY}"))
PII_ACTIVE_KEY_ID = env("PII_ACTIVE_KEY_ID", "dev1")
PII_BLIND_INDEX_KEY = base64.b64decode(
    env("PII_BLIND_INDEX_KEY", base64.b64encode(DEV_BLIND_INDEX_KEY).decode())
)
_DEV_SIGNING_SEED = base64.b64encode(DEV_SIGNING_SEED).decode()
CERTIFICATE_SIGNING_KEYS = parse_key_ring(
    env("CERTIFICATE_SIGNING_KEYS", f"dev1:{_DEV_SIGNING_SEED}")
)
CERTIFICATE_SIGNING_ACTIVE_KEY = env("CERTIFICATE_SIGNING_ACTIVE_KEY", "dev1")
EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
