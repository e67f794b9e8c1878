"""Production settings demand their secrets; nothing falls back to a default."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FULL_ENV = {
    "DJANGO_SETTINGS_MODULE": "training_platform.settings.production",
    "DJANGO_SECRET_KEY": "x" * 60,
    "DATABASE_URL": "sqlite:///unused.sqlite3",
    "DJANGO_ALLOWED_HOSTS": "example.org",
    "PII_ENCRYPTION_KEYS": "k1:MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=",
    "PII_ACTIVE_KEY_ID": "k1",
    "PII_BLIND_INDEX_KEY": "a2V5",
    "CERTIFICATE_SIGNING_KEYS": "k1:bGludC1vbmx5LWNlcnQtc2lnbmluZy1zZWVkLTMyYiE=",
    "CERTIFICATE_SIGNING_ACTIVE_KEY": "k1",
}


def load_production(env):
    code = (
        "import django; from django.conf import settings; django.setup(); "
        "print(settings.DEBUG, settings.SESSION_COOKIE_SECURE, settings.SECURE_SSL_REDIRECT)"
    )
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO", "PII", "CERTIFICATE"))
    }
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
    ],
)
def test_production_settings_refuse_to_start_without(missing):
    env = {k: v for k, v in FULL_ENV.items() if k != missing}
    result = load_production(env)
    assert result.returncode != 0
    assert missing in result.stderr
