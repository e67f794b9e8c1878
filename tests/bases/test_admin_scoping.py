"""Every back-office list and object view, for each role: own rows yes, others 404/403."""

import pytest
from django.urls import reverse

from bases.models import BaseKind
from tests.factories import (
    InstitutionFactory,
    StudioFactory,
    TraineeFactory,
    TrainingBaseFactory,
    UserFactory,
    region,
    staff_user,
)
from training_platform.roles import Role

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    """Two institutions in two prefectures (贵阳 南明区, 遵义 红花岗区), each with a base,
    a studio and a trainee, plus a user for every role."""
    gy = InstitutionFactory(name="贵阳甲培训学校", region=region("520102"))
    zy = InstitutionFactory(name="遵义乙技工学校", region=region("520302"))
    w = {
        "gy": gy,
        "zy": zy,
        # High-skill bases belong to their host; public training bases are shared
        # (see test_public_training_bases_are_open_to_every_institution).
        "gy_base": TrainingBaseFactory(host=gy, kind=BaseKind.HIGH_SKILL),
        "zy_base": TrainingBaseFactory(host=zy, kind=BaseKind.HIGH_SKILL),
        "gy_studio": StudioFactory(host=gy),
        "zy_studio": StudioFactory(host=zy),
        "gy_trainee": TraineeFactory(household_region=region("520102")),
        "zy_trainee": TraineeFactory(household_region=region("520302")),
    }
    w["users"] = {
        "bureau_gz": staff_user(Role.BUREAU, region_code="520000"),
        "bureau_gy": staff_user(Role.BUREAU, region_code="520100"),
        "bureau_nm": staff_user(Role.BUREAU, region_code="520102"),
        "auditor_gy": staff_user(Role.AUDITOR, region_code="520100"),
        "inst_gy": staff_user(Role.INSTITUTION, institution=gy),
        "inst_zy": staff_user(Role.INSTITUTION, institution=zy),
        "evaluator_gy": staff_user(Role.EVALUATOR, institution=gy),
    }
    return w


def assert_denied(response):
    """404 for rows outside the scope; 403 or Wagtail's permission-denied redirect to the
    dashboard for actions the role may not take at all. Never the page itself."""
    if response.status_code == 302:
        assert response.headers["Location"] in (
            "/admin/",
            "/admin/login/?next=" + response.request["PATH_INFO"],
        )
    else:
        assert response.status_code in (403, 404)


def url(viewset, action, obj=None):
    name = f"{viewset}:{action}"
    return reverse(name, args=[obj.pk]) if obj is not None else reverse(name)


INSTITUTION = "traininginstitution"
BASE = "trainingbase"
STUDIO = "skillmasterstudio"
TRAINEE = "trainees"

# (user, viewset, own object key, other object key)
VIEW_CASES = [
    ("bureau_gy", INSTITUTION, "gy", "zy"),
    ("bureau_gy", BASE, "gy_base", "zy_base"),
    ("bureau_gy", STUDIO, "gy_studio", "zy_studio"),
    ("bureau_gy", TRAINEE, "gy_trainee", "zy_trainee"),
    ("bureau_nm", INSTITUTION, "gy", "zy"),
    ("bureau_nm", TRAINEE, "gy_trainee", "zy_trainee"),
    ("auditor_gy", INSTITUTION, "gy", "zy"),
    ("auditor_gy", BASE, "gy_base", "zy_base"),
    ("auditor_gy", STUDIO, "gy_studio", "zy_studio"),
    ("auditor_gy", TRAINEE, "gy_trainee", "zy_trainee"),
    ("inst_gy", INSTITUTION, "gy", "zy"),
    ("inst_gy", BASE, "gy_base", "zy_base"),
    ("inst_gy", STUDIO, "gy_studio", "zy_studio"),
    ("inst_zy", INSTITUTION, "zy", "gy"),
    ("inst_zy", BASE, "zy_base", "gy_base"),
    ("evaluator_gy", INSTITUTION, "gy", "zy"),
]


@pytest.mark.parametrize(("who", "viewset", "own", "other"), VIEW_CASES)
def test_lists_and_object_views_are_scoped(client, world, who, viewset, own, other):
    client.force_login(world["users"][who])
    listing = client.get(url(viewset, "index"))
    assert listing.status_code == 200
    own_obj, other_obj = world[own], world[other]
    assert str(own_obj) in listing.content.decode()
    assert str(other_obj) not in listing.content.decode()
    assert client.get(url(viewset, "inspect", own_obj)).status_code == 200
    assert client.get(url(viewset, "inspect", other_obj)).status_code == 404
    # Editing someone else's row is refused, never a form with their data.
    assert_denied(client.get(url(viewset, "edit", other_obj)))
    assert_denied(client.post(url(viewset, "edit", other_obj), {"name": "x"}))
    assert_denied(client.get(url(viewset, "delete", other_obj)))
    assert_denied(client.post(url(viewset, "delete", other_obj)))
    other_obj.refresh_from_db()  # still there, unchanged
    assert str(other_obj) != "x"


def test_province_bureau_sees_both_prefectures(client, world):
    client.force_login(world["users"]["bureau_gz"])
    body = client.get(url(INSTITUTION, "index")).content.decode()
    assert "贵阳甲培训学校" in body
    assert "遵义乙技工学校" in body


@pytest.mark.parametrize(
    ("who", "viewset", "obj", "status"),
    [
        ("bureau_gy", INSTITUTION, "gy", 200),  # the bureau approves institutions
        ("inst_gy", INSTITUTION, "gy", 200),  # staff keep their own record up to date
        ("auditor_gy", INSTITUTION, "gy", 403),  # read-only
        ("evaluator_gy", INSTITUTION, "gy", 403),
        ("inst_gy", BASE, "gy_base", 403),  # bases are registered by the bureau
        ("bureau_gy", BASE, "gy_base", 200),
        ("auditor_gy", TRAINEE, "gy_trainee", 403),
        ("bureau_gy", TRAINEE, "gy_trainee", 200),
    ],
)
def test_change_rights_follow_the_role(client, world, who, viewset, obj, status):
    client.force_login(world["users"][who])
    response = client.get(url(viewset, "edit", world[obj]))
    if status == 200:
        assert response.status_code == 200
    else:
        assert_denied(response)


def test_institution_staff_cannot_set_their_own_qualification(client, world):
    client.force_login(world["users"]["inst_gy"])
    form = client.get(url(INSTITUTION, "edit", world["gy"])).content.decode()
    # Staff keep their contact details; the name changes through a change request
    # the bureau reviews (tests/bases/test_institution_changes.py).
    assert 'name="contact_phone"' in form
    assert 'name="name"' not in form
    assert 'name="status"' not in form
    client.force_login(world["users"]["bureau_gy"])
    form = client.get(url(INSTITUTION, "edit", world["gy"])).content.decode()
    assert 'name="status"' in form


def test_region_choices_are_limited_to_the_bureau_region(client, world):
    client.force_login(world["users"]["bureau_gy"])
    form = client.get(url(INSTITUTION, "add")).content.decode()
    assert "南明区" in form
    assert "红花岗区" not in form


def test_a_user_without_a_role_cannot_enter_the_back_office(client, world):
    client.force_login(UserFactory())
    assert_denied(client.get(url(INSTITUTION, "index")))


def test_trainee_sees_no_back_office(client, world):
    user = UserFactory()
    world["gy_trainee"].user = user
    world["gy_trainee"].save()
    client.force_login(user)
    assert_denied(client.get(url(TRAINEE, "index")))


def test_public_training_bases_are_open_to_every_institution(client, world):
    """Any institution may see (and hold classes at) another's public training base,
    but only the bureau changes it."""
    shared = TrainingBaseFactory(host=world["zy"], kind=BaseKind.PUBLIC_TRAINING)
    client.force_login(world["users"]["inst_gy"])
    assert client.get(url(BASE, "inspect", shared)).status_code == 200
    assert_denied(client.get(url(BASE, "edit", shared)))
    # A bureau still sees only its own region's bases.
    client.force_login(world["users"]["bureau_gy"])
    assert client.get(url(BASE, "inspect", shared)).status_code == 404
