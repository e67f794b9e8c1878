"""Production: every secret comes from the environment, with no default."""

import base64
import os

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import env, env_list, parse_key_ring


def required(name):
    value = os.environ.get(name)
    if not value:
        raise ImproperlyConfigured(f"Set the environment variable {name}.")
    return value


DEBUG = False
SECRET_KEY = required("DJANGO_SECRET_KEY")
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS") or required("DJANGO_ALLOWED_HOSTS")
required("DATABASE_URL")
PII_ENCRYPTION_KEYS = parse_key_ring(required("PII_ENCRYPTION_KEYS"))
PII_ACTIVE_KEY_ID = required("PII_ACTIVE_KEY_ID")
PII_BLIND_INDEX_KEY = base64.b64decode(required("PII_BLIND_INDEX_KEY"))
CERTIFICATE_SIGNING_KEYS = parse_key_ring(required("CERTIFICATE_SIGNING_KEYS"))
CERTIFICATE_SIGNING_ACTIVE_KEY = required("CERTIFICATE_SIGNING_ACTIVE_KEY")
CERTIFICATE_RETIRED_PUBLIC_KEYS = parse_key_ring(env("CERTIFICATE_RETIRED_PUBLIC_KEYS"))

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = True
SECURE_HSTS_SECONDS = int(env("DJANGO_HSTS_SECONDS", "31536000"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"
    },
}
# Wagtail's live preview shows the page in a same-origin iframe, so frames stay
# SAMEORIGIN (base.py) instead of DENY; other origins are still refused.
SILENCED_SYSTEM_CHECKS = ["security.W019"]
