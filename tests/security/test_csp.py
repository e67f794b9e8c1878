"""Gate (issue 14 item 5, SPEC §5): a Content-Security-Policy on every kind of page —
public, back-office home, list, edit form, API docs, the verification page, and the
404/403/500 error pages — and a sane one: no wildcard source, 'unsafe-eval' nowhere,
no plugins, framing and <base> limited to the site.

Public pages allow scripts from the site only. The back-office (/admin/) also allows
inline scripts: Wagtail 8.0's own templates still carry them — the date, time and
date-time widgets (wagtailadmin/widgets/date_input.html, time_input.html,
datetime_input.html) and inline/multiple-chooser panels (panels/inline_panel.html,
multiple_chooser_panel.html) print an inline ``<script>`` with per-field ids and
options, without a nonce attribute, so neither a nonce nor a hash policy would let
them run; forms of this project use both (class dates, competition events). The test
pins the admin policy to exactly that one difference, and checks the claim (so that the
line goes as soon as a Wagtail upgrade removes the inline scripts).
"""

import re
from pathlib import Path

import pytest
import wagtail
from django.test import Client

from tests.factories import CertificateFactory, TraineeFactory, UserFactory, staff_user

pytestmark = pytest.mark.django_db

SANE = {
    "default-src": ["'self'"],
    "object-src": ["'none'"],
    "base-uri": ["'self'"],
    "frame-ancestors": ["'self'"],
    "form-action": ["'self'"],
}


def policy_of(response) -> dict[str, list[str]]:
    header = response.headers.get("Content-Security-Policy")
    assert header, f"no Content-Security-Policy on {response.request['PATH_INFO']}"
    out = {}
    for part in header.split(";"):
        if part.strip():
            name, *values = part.split()
            out[name] = values
    return out


def assert_sane(response, *, admin: bool):
    policy = policy_of(response)
    for directive, values in policy.items():
        assert not any("*" in v for v in values), (directive, values)
        assert "'unsafe-eval'" not in values, directive
    for directive, expected in SANE.items():
        assert policy.get(directive) == expected, directive
    scripts = policy["script-src"]
    assert scripts == (["'self'", "'unsafe-inline'"] if admin else ["'self'"])
    return policy


@pytest.fixture
def bureau():
    return staff_user("bureau", region_code="520100")


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/verify/",
        "/accounts/login/",
        "/accounts/signup/",
        "/notice/",
        "/search/",
        "/api/v1/docs",
        "/api/v1/openapi.json",
        "/api/v1/courses",
        "/.well-known/certificate-keys.json",
        "/robots.txt",
        "/no-such-page/",  # the 404 page
    ],
)
def test_public_pages_and_the_api_carry_the_public_policy(client, path):
    response = client.get(path)
    assert response.status_code in (200, 404)
    assert_sane(response, admin=False)


def test_the_verification_page_carries_the_public_policy(client):
    certificate = CertificateFactory()
    response = client.get(f"/verify/{certificate.token}/")
    assert response.status_code == 200
    assert_sane(response, admin=False)


def test_a_signed_in_trainees_pages_carry_the_public_policy(client):
    client.force_login(UserFactory())
    for path in ("/me/", "/me/record/"):
        assert_sane(client.get(path), admin=False)


@pytest.mark.parametrize(
    "path",
    [
        "/admin/",  # home
        "/admin/trainees/",  # a list
        "/admin/certificate/",
        "/admin/subsidies/review/",
        "/admin/monitoring/",
        "/admin/no-such-screen/",  # the back-office 404
    ],
)
def test_back_office_pages_carry_the_admin_policy(client, bureau, path):
    client.force_login(bureau)
    response = client.get(path)
    assert response.status_code in (200, 404)
    policy = assert_sane(response, admin=True)
    # The one difference from the public policy is the inline scripts.
    public = policy_of(Client().get("/"))
    assert {k: v for k, v in policy.items() if k != "script-src"} == {
        k: v for k, v in public.items() if k != "script-src"
    }


def test_a_back_office_edit_form_carries_the_admin_policy(client, bureau):
    trainee = TraineeFactory()
    client.force_login(bureau)
    response = client.get(f"/admin/trainees/edit/{trainee.pk}/")
    assert response.status_code == 200
    assert_sane(response, admin=True)


def test_the_sign_in_page_of_the_back_office_carries_the_admin_policy(client):
    assert_sane(client.get("/admin/login/"), admin=True)


def test_the_403_page_carries_the_policy():
    client = Client(enforce_csrf_checks=True)
    response = client.post("/accounts/login/", {"username": "x", "password": "y"})
    assert response.status_code == 403
    assert_sane(response, admin=False)


def test_the_500_page_carries_the_policy():
    """Wagtail's error-test view raises; the 500 page still gets its header."""
    client = Client(raise_request_exception=False)
    client.force_login(UserFactory(is_superuser=True, is_staff=True))
    response = client.get("/admin/failwhale/")
    assert response.status_code == 500
    assert_sane(response, admin=True)


INLINE_SCRIPT = re.compile(
    r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", re.I
)


def test_wagtails_admin_still_needs_inline_scripts():
    """Why /admin/ keeps 'unsafe-inline' for scripts: these templates of the installed
    Wagtail print inline scripts without a nonce. When none does any more, drop
    'unsafe-inline' from CONTENT_SECURITY_POLICY_ADMIN and this test with it."""
    root = Path(wagtail.__file__).parent / "admin" / "templates" / "wagtailadmin"
    needing = {
        name
        for name in (
            "widgets/date_input.html",
            "widgets/time_input.html",
            "widgets/datetime_input.html",
            "panels/inline_panel.html",
            "panels/multiple_chooser_panel.html",
        )
        if INLINE_SCRIPT.search((root / name).read_text(encoding="utf-8"))
    }
    assert needing, "Wagtail's admin has no inline script left: tighten the policy"
