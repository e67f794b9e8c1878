"""Gate (issue 14 item 5, SPEC §5 "Access"): every URL pattern of the project, as every
demo role and as an anonymous visitor, with the objects of ANOTHER institution in
ANOTHER region — none of them is served.

The routes come from the URL resolver (tests/security/walker.py), so a new screen, API
path or viewset is walked as soon as it exists; one the walker cannot fill and that is
not allow-listed (walker.ALLOW, each with its reason) fails
``test_every_route_is_walked_or_allowed``.

For each route and role, GET only:

- a route naming a foreign object answers 403, 404, 405 or a redirect (to sign-in or
  the back-office home), never 200 — except the routes public by design (PUBLIC: the
  verification page and API of a certificate token), which may show only public fields;
- no answer (page, JSON, csv or xlsx export) carries a private mark of the foreign side
  (its people's names, phones, certificate numbers, account numbers, typed text), and a
  list's export as one institution has none of another's rows;
- no answer carries a full ID number of any fixture person: no role sees one on a page;
  the roles that may (trainees.reveal_pii) do so only through the audited reveal action;
- nothing answers 500.

The province-wide bureau covers the whole (single-province) reference data, so for it
only the last two points are checked. One fixture world per module (``world``: built
once in a transaction the module rolls back), clients reused by session cookie.
Run it alone: ``.venv/bin/pytest tests/security -q``.
"""

import io
import re
import zipfile

import pytest
from django.conf import settings
from django.db import transaction
from django.test import Client

from tests.conftest import full_id_numbers
from tests.security import walker
from tests.security.world import PROVINCE_WIDE, ROLES, build_world

pytestmark = pytest.mark.django_db

ROUTES = walker.routes()

# Routes that show a foreign object's public side to anyone, by design (SPEC §6).
PUBLIC = {
    "certificate_verify": "the verification page of a token (printed QR code)",
    "api:api_certificate": "the verification API of a token",
    "api_certificate": "the verification API of a token",
    "certificate_credential": "a token's verifiable credential: the verification page's facts, signed",
    "class_enrol": "an open class's enrolment page (the catalogue is public)",
}
# The audited reveal action (trainees.services.trainee_reveal_pii) is the one place a
# full ID number may appear, for roles holding trainees.reveal_pii.
REVEAL = {"trainee_reveal"}
SIGN_IN = ("/accounts/login/", "/admin/login/")
# Where a refusal may send the visitor: sign-in, or a home that lists nothing foreign.
REFUSAL_TARGETS = ("/admin/", "/", "/me/")


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """The world of tests/security/world.py, inside a transaction rolled back at the end
    of the module; each test runs in a savepoint inside it."""
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            built = build_world()
            built.sessions = {}
            for role, user in built.users.items():
                if user is None:
                    continue
                client = Client()
                client.force_login(user)
                built.sessions[role] = client.cookies[
                    settings.SESSION_COOKIE_NAME
                ].value
            built.shared = _shared(built)
            yield built
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


def _shared(built) -> dict:
    """Values for parameters that name no institution's or region's object."""
    from subsidies.anomalies import LISTS_BY_SLUG
    from subsidies.models import Claim, SubsidyStandard
    from training_platform.reference.models import Holiday, KeyGroup, Occupation

    holiday = Holiday.objects.first()
    indicator = built.foreign.objects[
        next(m for m in built.foreign.objects if m.__name__ == "Indicator")
    ]
    shared = {
        Occupation: Occupation.objects.first().pk,
        KeyGroup: KeyGroup.objects.first().pk,
        # Standards are the province's rules: every bureau reads them (SPEC §3).
        SubsidyStandard: built.foreign.objects[Claim].standard_id,
        "params": {
            "slug": sorted(LISTS_BY_SLUG),
            "field": ["id_number"],
            "action": ["approve"],
            "to": ["approved"],
            "rest": ["no-such-path"],
            "code": [indicator.code],
        },
    }
    if holiday is not None:
        shared[Holiday] = holiday.pk
    return shared


def _client(world, role) -> Client:
    client = Client(raise_request_exception=False)
    if role in world.sessions:
        client.cookies[settings.SESSION_COOKIE_NAME] = world.sessions[role]
    return client


def body_text(response) -> str:
    """What a reader of the answer sees: text, or an xlsx's cell values."""
    if getattr(response, "streaming", False):
        content = b"".join(response.streaming_content)
    else:
        content = response.content
    kind = response.headers.get("Content-Type", "")
    if "spreadsheetml" in kind or content[:2] == b"PK":
        try:
            with zipfile.ZipFile(io.BytesIO(content)) as book:
                return "\n".join(
                    book.read(name).decode("utf-8", "replace")
                    for name in book.namelist()
                    if name.endswith(".xml")
                )
        except zipfile.BadZipFile:
            pass
    if "pdf" in kind or "image/" in kind:
        return ""  # compressed streams: what they show is checked by their own tests
    return content.decode("utf-8", "replace")


def _is_refusal(response) -> bool:
    if response.status_code in (403, 404, 405, 410):
        return True
    if response.status_code in (301, 302, 303):
        target = response.headers.get("Location", "").split("?")[0]
        return target.startswith(SIGN_IN) or target in REFUSAL_TARGETS
    # The API answers 401 without a token.
    return response.status_code == 401


def _problems(world, route, role, path, response, foreign_route) -> list[str]:
    problems = []
    status = response.status_code
    if status >= 500:
        return [f"{role} GET {path}: {status}"]
    refused = _is_refusal(response)
    in_scope = role in PROVINCE_WIDE
    if foreign_route and not in_scope and not refused and route.name not in PUBLIC:
        problems.append(f"{role} GET {path}: {status}, the foreign object is served")
    text = (
        body_text(response)
        if status == 200
        else response.content.decode("utf-8", "replace")
    )
    if not in_scope:
        private = set(world.foreign.private)
        if route.name in PUBLIC:
            private -= set(world.foreign.public_on_token)
        leaked = sorted({m for m in private if m in text})
        if leaked:
            problems.append(f"{role} GET {path}: {status} shows {leaked}")
    ids = set(full_id_numbers(text)) & set(world.all_id_numbers)
    if ids and route.name not in REVEAL:
        problems.append(f"{role} GET {path}: {status} shows full ID numbers {ids}")
    return problems


def _walk(world, route, side, *, extra_roles=()):
    paths, foreign_route = walker.fill(route, side, world.shared)
    if route.name.endswith(":index"):
        paths += [f"{p}?export=csv" for p in paths] + [
            f"{p}?export=xlsx" for p in paths
        ]
    problems = []
    roles = list(ROLES) + list(extra_roles)
    for role in roles:
        for path in paths:
            client = _client(world, role)
            headers = {}
            if role == "api_token":
                headers["Authorization"] = f"Bearer {world.own.api_token}"
            response = client.get(path, headers=headers)
            problems += _problems(
                world,
                route,
                role,
                path,
                response,
                foreign_route and side is world.foreign,
            )
    return problems


def _walkable(route) -> bool:
    return walker.allowed_reason(route) is None


@pytest.mark.parametrize(
    "route", [r for r in ROUTES if _walkable(r)], ids=lambda r: r.text or "/"
)
def test_no_role_is_served_another_institutions_objects(world, route):
    extra = ("api_token",) if route.text.startswith("api/") else ()
    try:
        problems = _walk(world, route, world.foreign, extra_roles=extra)
    except walker.Unfillable as exc:
        pytest.fail(f"{route.text} ({route.name}): {exc}; fill it or allow-list it")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize(
    "route",
    [r for r in ROUTES if _walkable(r) and r.params],
    ids=lambda r: r.text,
)
def test_own_objects_show_no_full_id_number(world, route):
    """The same routes with the user's own side's objects: in scope, so served — but
    still no full ID number outside the reveal action, nothing foreign, no 500."""
    extra = ("api_token",) if route.text.startswith("api/") else ()
    try:
        problems = _walk(world, route, world.own, extra_roles=extra)
    except walker.Unfillable as exc:
        pytest.fail(f"{route.text} ({route.name}): {exc}; fill it or allow-list it")
    assert not problems, "\n".join(problems)


def test_every_route_is_walked_or_allowed(world):
    """A route the walker cannot fill must be allow-listed, with its reason."""
    missing = []
    for route in ROUTES:
        if not _walkable(route):
            continue
        try:
            walker.fill(route, world.foreign, world.shared)
        except walker.Unfillable as exc:
            missing.append(f"{route.text} ({route.name}): {exc}")
    assert not missing, "\n".join(missing)
    # Every allow-list line still matches a route (a stale line hides nothing new).
    stale = [
        regex
        for regex in walker.ALLOW
        if not any(re.search(regex, r.text) for r in ROUTES)
    ]
    assert not stale, stale


def test_the_walk_covers_the_projects_screens():
    """The resolver walk reaches the screens of every app (a broken walk would pass)."""
    texts = {r.text for r in ROUTES if _walkable(r)}
    for expected in (
        "admin/trainees/edit/<int:pk>/",
        "admin/certificates/<int:pk>/certificate.pdf",
        "admin/subsidies/batches/<int:pk>/bank-file/",
        "admin/monitoring/reported/<int:pk>/",
        "api/v1/institution/classes/<class_id>",
        "verify/<str:token>/",
        "me/certificates/<str:token>/",
    ):
        assert expected in texts
    assert len(texts) > 250


def test_the_walk_is_signed_in_and_reaches_its_own_side(world):
    """The refusals above mean something: each role's session works and reaches its own
    side's objects, while the same screen with the foreign object is refused."""
    from courses.models import TrainingClass
    from subsidies.models import Claim
    from trainees.models import Trainee

    cases = [
        ("institution", "/admin/trainingclass/inspect/{}/", TrainingClass),
        ("prefecture_bureau", "/admin/subsidies/review/{}/", Claim),
        ("auditor", "/admin/trainees/inspect/{}/", Trainee),
    ]
    for role, path, model in cases:
        own = _client(world, role).get(path.format(world.own.objects[model].pk))
        assert own.status_code == 200, (role, path)
        foreign = _client(world, role).get(path.format(world.foreign.objects[model].pk))
        assert _is_refusal(foreign), (role, path, foreign.status_code)
    assert _client(world, "trainee").get("/me/").status_code == 200
