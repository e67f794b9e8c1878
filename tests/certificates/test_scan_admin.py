"""核查记录 in the back office: scoped like the verification log, read-only, constant
queries, in the 证书 menu for auditors and bureaus."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import NoReverseMatch, reverse

from certificates.scan_models import SpotCheck
from tests.certificates.admin_world import assert_denied, login
from tests.certificates.scan_world import session

pytestmark = pytest.mark.django_db

INDEX = reverse("spotcheck:index")


def inspect(spot_check):
    return reverse("spotcheck:inspect", args=[spot_check.pk])


@pytest.fixture
def sessions(world):
    auditor = world["users"]["auditor_gz"]
    return {
        "both": session(auditor, [world["cert_a"], world["cert_b"]], place="两地抽查"),
        "zunyi": session(auditor, [world["cert_b"]], place="遵义抽查"),
        "nothing": session(auditor, [None], place="外省二维码"),
    }


@pytest.mark.parametrize(
    ("who", "seen"),
    [
        ("auditor_gz", {"both", "zunyi", "nothing"}),
        ("bureau_gy", {"both"}),
        ("bureau_zy", {"both", "zunyi"}),
    ],
)
def test_sessions_are_scoped_like_the_verification_log(
    client, world, sessions, who, seen
):
    login(client, world, who)
    body = client.get(INDEX).content.decode()
    for key, spot_check in sessions.items():
        assert (spot_check.place in body) is (key in seen), key
    for key, spot_check in sessions.items():
        response = client.get(inspect(spot_check))
        if key in seen:
            assert response.status_code == 200
        else:
            assert_denied(response)


def test_a_bureau_sees_only_the_items_of_its_region(client, world, sessions):
    login(client, world, "bureau_gy")
    body = client.get(inspect(sessions["both"])).content.decode()
    assert world["cert_a"].number in body
    assert world["cert_b"].number not in body
    assert "另有 1 条涉及您管辖范围以外的证书，未显示。" in body
    assert world["cert_a"].holder_name not in body
    assert world["cert_a"].masked_holder_name in body


def test_the_auditor_who_saved_it_sees_every_item(client, world, sessions):
    auditor = world["users"]["auditor_gz"]
    # Another prefecture's auditor saved a session with a 贵阳 certificate in it.
    from tests.factories import staff_user
    from training_platform.roles import Role

    other = staff_user(Role.AUDITOR, region_code="520300")
    mine = session(other, [world["cert_a"], world["cert_b"]], place="跨区抽查")
    client.force_login(other)
    body = client.get(inspect(mine)).content.decode()
    assert world["cert_a"].number in body and world["cert_b"].number in body
    assert "未显示" not in body
    client.force_login(auditor)
    assert client.get(inspect(mine)).status_code == 200


@pytest.mark.parametrize("who", ["inst_a", "evaluator_a", "trainee", "anonymous"])
def test_other_roles_do_not_see_them(client, world, sessions, who):
    login(client, world, who)
    assert_denied(client.get(INDEX))
    assert_denied(client.get(inspect(sessions["both"])))


@pytest.mark.parametrize(
    ("who", "shown"),
    [
        ("auditor_gz", True),
        ("bureau_gy", True),
        ("inst_a", False),
        ("evaluator_a", False),
    ],
)
def test_menu_item_for_auditors_and_bureaus(client, world, who, shown):
    login(client, world, who)
    body = client.get("/admin/").content.decode()
    assert (INDEX in body) is shown


def test_read_only(client, world, sessions):
    login(client, world, "auditor_gz")
    for name in ("add", "edit", "delete"):
        try:
            url = reverse(f"spotcheck:{name}", args=[] if name == "add" else [1])
        except NoReverseMatch:
            continue  # not even routed
        assert_denied(client.get(url))


def test_list_queries_do_not_grow_with_rows(client, world, sessions):
    login(client, world, "bureau_zy")
    client.get(INDEX)
    with CaptureQueriesContext(connection) as few:
        assert client.get(INDEX).status_code == 200
    for n in range(6):
        session(
            world["users"]["auditor_gz"],
            [world["cert_b"], world["cert_a"]],
            place=f"第{n}次",
        )
    with CaptureQueriesContext(connection) as many:
        body = client.get(INDEX).content.decode()
    assert "第5次" in body
    assert len(many) == len(few)
    assert SpotCheck.objects.count() == 9
