"""Production settings demand their secrets; nothing falls back to a default, and keys
that are public (committed for dev/test) or too short are refused at start-up."""

import base64
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from training_platform.settings import known_keys

ROOT = Path(__file__).resolve().parents[2]
FULL_ENV = {
    "DJANGO_SETTINGS_MODULE": "training_platform.settings.production",
    "DJANGO_SECRET_KEY": "prod-like-7Hq2vN9xKp4Lm8Rt3Wz6Yb1Cd5Fg0Js2Qe7Uo4Ia9Xk3Vn6",
    "DATABASE_URL": "sqlite:///unused.sqlite3",
    "DJANGO_ALLOWED_HOSTS": "example.org",
    "PII_ENCRYPTION_KEYS": "k1:MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=",
    "PII_ACTIVE_KEY_ID": "k1",
    # 35 bytes: "lint-only-blind-index-key-32-bytes!"
    "PII_BLIND_INDEX_KEY": "bGludC1vbmx5LWJsaW5kLWluZGV4LWtleS0zMi1ieXRlcyE=",
    "CERTIFICATE_SIGNING_KEYS": "k1:bGludC1vbmx5LWNlcnQtc2lnbmluZy1zZWVkLTMyYiE=",
    "CERTIFICATE_SIGNING_ACTIVE_KEY": "k1",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
    "SMS_BACKEND": "training_platform.sms.backends.dummy.SmsBackend",
}


def load_production(env, code=None):
    code = code or (
        "import django; from django.conf import settings; django.setup(); "
        "print(settings.DEBUG, settings.SESSION_COOKIE_SECURE, settings.SECURE_SSL_REDIRECT)"
    )
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO", "PII", "CERTIFICATE", "TRUSTED_PROXIES", "SMS"))
    }
    clean.pop("REDIS_URL", None)
    clean.pop("DATABASE_URL", None)
    return subprocess.run(  # noqa: S603
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_settings_load_with_every_secret_set():
    result = load_production(FULL_ENV)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "True", "True"]


@pytest.mark.parametrize(
    "missing",
    [
        "DJANGO_SECRET_KEY",
        "DATABASE_URL",
        "PII_ENCRYPTION_KEYS",
        "PII_BLIND_INDEX_KEY",
        "CERTIFICATE_SIGNING_KEYS",
        "CERTIFICATE_SIGNING_ACTIVE_KEY",
        "REDIS_URL",
        "SMS_BACKEND",
    ],
)
def test_production_settings_refuse_to_start_without(missing):
    env = {k: v for k, v in FULL_ENV.items() if k != missing}
    result = load_production(env)
    assert result.returncode != 0
    assert missing in result.stderr


def b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


@pytest.mark.parametrize(
    ("name", "value", "complaint"),
    [
        # the committed development and test keys are public
        ("DJANGO_SECRET_KEY", known_keys.DEV_SECRET_KEY, "DJANGO_SECRET_KEY"),
        ("DJANGO_SECRET_KEY", known_keys.TEST_SECRET_KEY, "DJANGO_SECRET_KEY"),
        (
            "DJANGO_SECRET_KEY",
            "django-insecure-" + "a1b2c3d4e5" * 5,
            "DJANGO_SECRET_KEY",
        ),
        (
            "PII_ENCRYPTION_KEYS",
            f"k1:{b64(known_keys.DEV_PII_KEY)}",
            "PII_ENCRYPTION_KEYS",
        ),
        (
            "PII_ENCRYPTION_KEYS",
            f"k1:{b64(known_keys.TEST_PII_KEYS[0])}",
            "PII_ENCRYPTION_KEYS",
        ),
        (
            "CERTIFICATE_SIGNING_KEYS",
            f"k1:{b64(known_keys.DEV_SIGNING_SEED)}",
            "CERTIFICATE_SIGNING_KEYS",
        ),
        (
            "CERTIFICATE_SIGNING_KEYS",
            f"k1:{b64(known_keys.TEST_SIGNING_SEEDS[1])}",
            "CERTIFICATE_SIGNING_KEYS",
        ),
        # too short (or too weak)
        ("DJANGO_SECRET_KEY", "short-key-1234567890", "DJANGO_SECRET_KEY"),
        ("DJANGO_SECRET_KEY", "x" * 60, "DJANGO_SECRET_KEY"),
        ("PII_ENCRYPTION_KEYS", f"k1:{b64(b'sixteen-byte-key')}", "32 bytes"),
        ("PII_BLIND_INDEX_KEY", "a2V5", "PII_BLIND_INDEX_KEY"),
        (
            "PII_BLIND_INDEX_KEY",
            b64(known_keys.DEV_BLIND_INDEX_KEY),
            "PII_BLIND_INDEX_KEY",
        ),
        ("CERTIFICATE_SIGNING_KEYS", f"k1:{b64(b'x' * 31)}", "32 bytes"),
        ("PII_ENCRYPTION_KEYS", "k1:not base64!", "base64"),
        ("PII_ACTIVE_KEY_ID", "k9", "PII_ACTIVE_KEY_ID"),
        # codes printed to the console or kept in memory never reach anyone
        ("SMS_BACKEND", "training_platform.sms.backends.console.SmsBackend", "SMS"),
        ("SMS_BACKEND", "training_platform.sms.backends.locmem.SmsBackend", "SMS"),
    ],
)
def test_production_settings_refuse_public_and_short_keys(name, value, complaint):
    result = load_production({**FULL_ENV, name: value})
    assert result.returncode != 0, f"{name}={value!r} was accepted"
    assert "ImproperlyConfigured" in result.stderr
    assert complaint in result.stderr


def test_makefile_lint_keys_load_the_production_settings():
    """`make lint` runs `check --deploy` with the Makefile's dummy keys: they must pass."""
    makefile = (ROOT / "Makefile").read_text()
    block = re.search(r"^DEPLOY_ENV := (.*?)\n\n", makefile, re.S | re.M).group(1)
    env = dict(re.findall(r"([A-Z_]+)=(\S+)", block.replace("\\\n", " ")))
    assert env["DJANGO_SETTINGS_MODULE"] == "training_platform.settings.production"
    result = load_production(env)
    assert result.returncode == 0, result.stderr


def test_production_refuses_a_cache_that_is_not_shared():
    from django.core.exceptions import ImproperlyConfigured

    from training_platform.settings.production_checks import check_shared_cache

    for backend in ("locmem.LocMemCache", "dummy.DummyCache"):
        with pytest.raises(ImproperlyConfigured, match="REDIS_URL"):
            check_shared_cache(
                {"default": {"BACKEND": f"django.core.cache.backends.{backend}"}}
            )
    redis = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache"}}
    assert check_shared_cache(redis) is redis


def test_production_cache_is_redis_from_redis_url():
    code = (
        "import django; from django.conf import settings; django.setup(); "
        "print(settings.CACHES['default']['BACKEND'], settings.CACHES['default']['LOCATION'])"
    )
    result = load_production(FULL_ENV, code=code)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "django.core.cache.backends.redis.RedisCache",
        "redis://127.0.0.1:6379/0",
    ]
