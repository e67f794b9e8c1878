"""What a fresh worker loads: ``django.setup()`` and the URLconf (every view module)
must not import the test tools, nor pypinyin's phrase dictionary (~58 MB resident,
needed only when an editor saves a page: cms.slugs imports it there)."""

import json
import os
import subprocess
import sys
from pathlib import Path

from cms.slugs import pinyin_slug

ROOT = Path(__file__).resolve().parents[2]

PROBE = """
import json, sys
import django
django.setup()
from django.urls import get_resolver
get_resolver().url_patterns
print(json.dumps(sorted(m for m in sys.modules if "." not in m)))
"""

NOT_AT_STARTUP = {
    "pypinyin",
    "pytest",
    "factory",
    "faker",
    "hypothesis",
    "schemathesis",
    "playwright",
    "pypdf",
}


def test_a_worker_starts_without_pypinyin_or_test_tools():
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "training_platform.settings.test"}
    done = subprocess.run(  # noqa: S603 - this interpreter, fixed code
        [sys.executable, "-c", PROBE],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    loaded = set(json.loads(done.stdout.splitlines()[-1]))
    assert "django" in loaded and "wagtail" in loaded
    assert loaded & NOT_AT_STARTUP == set()


def test_the_slug_still_comes_from_pinyin_when_asked():
    assert pinyin_slug("新闻公告") == "xin-wen-gong-gao"
