"""Public pages run no inline script: their CSP has no 'unsafe-inline' for scripts (issue 9
item 12). Wagtail's own admin templates still need it, so only /admin/ gets it."""

import re
from pathlib import Path

import pytest

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
SCRIPT_TAG = re.compile(r"<script\b([^>]*)>", re.I)
INLINE_HANDLER = re.compile(r"\son[a-z]+\s*=", re.I)
PUBLIC_PATHS = ["/", "/verify/", "/accounts/login/", "/accounts/signup/", "/verify/x/"]


def directives(policy: str) -> dict[str, list[str]]:
    out = {}
    for part in policy.split(";"):
        name, *values = part.split()
        out[name] = values
    return out


def script_sources(response) -> list[str]:
    policy = directives(response.headers["Content-Security-Policy"])
    return policy.get("script-src", policy.get("default-src"))


def inline_scripts(html: str) -> list[str]:
    """<script> elements that would run inline code (JSON data blocks do not run)."""
    return [
        attrs
        for attrs in SCRIPT_TAG.findall(html)
        if "src=" not in attrs and "application/json" not in attrs
    ]


@pytest.mark.parametrize("path", PUBLIC_PATHS)
def test_public_pages_forbid_inline_script(client, path):
    response = client.get(path)
    sources = script_sources(response)
    assert "'unsafe-inline'" not in sources
    assert "'unsafe-eval'" not in sources
    assert sources == ["'self'"]
    if response.status_code == 200:
        html = response.content.decode()
        assert inline_scripts(html) == []
        assert not INLINE_HANDLER.search(html)


def test_a_signed_in_trainee_page_forbids_inline_script(client):
    client.force_login(UserFactory())
    response = client.get("/me/")
    assert "'unsafe-inline'" not in script_sources(response)


def test_only_the_back_office_allows_wagtails_inline_scripts(client):
    response = client.get("/admin/login/")
    assert "'unsafe-inline'" in script_sources(response)
    # The rest of the policy is the public one.
    admin = directives(response.headers["Content-Security-Policy"])
    public = directives(client.get("/").headers["Content-Security-Policy"])
    assert {k: v for k, v in admin.items() if k != "script-src"} == {
        k: v for k, v in public.items() if k != "script-src"
    }


def test_no_project_template_carries_an_inline_script():
    templates = [
        path
        for path in ROOT.rglob("*.html")
        if ".venv" not in path.parts
        and "node_modules" not in path.parts
        and "templates" in path.parts
    ]
    assert templates
    offenders = {}
    for path in templates:
        text = path.read_text(encoding="utf-8")
        found = inline_scripts(text) + INLINE_HANDLER.findall(text)
        if found:
            offenders[str(path.relative_to(ROOT))] = found
    assert offenders == {}
