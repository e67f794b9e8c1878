"""Test settings: fast hashing, in-process tasks, fixed keys."""

import base64

from .base import *  # noqa: F403
from .base import env, parse_key_ring
from .known_keys import (
    TEST_BLIND_INDEX_KEY,
    TEST_PII_KEYS,
    TEST_SECRET_KEY,
    TEST_SIGNING_SEEDS,
)

DEBUG = False
SECRET_KEY = TEST_SECRET_KEY
ALLOWED_HOSTS = ["testserver", "127.0.0.1", "localhost"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

_K1, _K2 = (base64.b64encode(key).decode() for key in TEST_PII_KEYS)
PII_ENCRYPTION_KEYS = parse_key_ring(f"t1:{_K1},t2:{_K2}")
PII_ACTIVE_KEY_ID = "t2"
PII_BLIND_INDEX_KEY = TEST_BLIND_INDEX_KEY
# Two signing keys so that rotation is testable; s2 signs, s1 still verifies.
_S1, _S2 = (base64.b64encode(seed).decode() for seed in TEST_SIGNING_SEEDS)
CERTIFICATE_SIGNING_KEYS = parse_key_ring(f"s1:{_S1},s2:{_S2}")
CERTIFICATE_SIGNING_ACTIVE_KEY = "s2"
CERTIFICATE_RETIRED_PUBLIC_KEYS = {}

TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
if env("DATABASE_URL", "").startswith("postgres"):
    DATABASES["default"]["CONN_MAX_AGE"] = 0  # noqa: F405
# Quiet the task runner's per-task INFO lines in test output.
LOGGING = {
    **LOGGING,  # noqa: F405
    "loggers": {**LOGGING["loggers"], "django_tasks": {"level": "WARNING"}},  # noqa: F405
}
# Tests that exercise the verification rate limit turn it on with override_settings.
CERTIFICATE_VERIFY_RATE = "0"
# Tests read the verification log right after a request.
CERTIFICATE_VERIFY_LOG_FLUSH_SECONDS = 0

# --- sign-up with proof of control and SMS (issue 9, item 3) ---------------------------
# Messages go to training_platform.sms.outbox; tests that exercise the sign-up limits
# turn them on with override_settings.
SMS_BACKEND = "training_platform.sms.backends.locmem.SmsBackend"
TRAINEE_SIGNUP_RATE = "0"
NOTICE_OBJECTION_RATE = "0"
TRAINEE_SIGNUP_VERIFY_RATE = "0"
TRAINEE_SIGNUP_SMS_PER_PHONE_RATE = "0"
# --- c14-prod ---
# `DJANGO_TASKS_BACKEND=rq pytest -m tasks` runs the background-task tests again through
# django-tasks-rq and Redis (REDIS_URL): a real RQ worker runs each job in-process
# (tests/deploy/rq_burst.py). Otherwise tasks run immediately.
if DJANGO_TASKS_BACKEND == "rq":  # noqa: F405
    TASKS = {
        "default": {
            "BACKEND": "tests.deploy.rq_burst.BurstRQBackend",
            "QUEUES": ["default"],
        }
    }
# --- end c14-prod ---
