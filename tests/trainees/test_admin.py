"""Trainee screens in the back-office: masked lists, search by ID, create, reveal."""

import pytest
from django.urls import reverse

from tests.factories import (
    InstitutionFactory,
    KeyGroupMembershipFactory,
    StudioFactory,
    TraineeFactory,
    TrainingBaseFactory,
    make_id_number,
    region,
    staff_user,
)
from trainees.models import Trainee
from training_platform.audit.models import AuditEvent
from training_platform.roles import Role

pytestmark = pytest.mark.django_db


@pytest.fixture
def bureau(db):
    return staff_user(Role.BUREAU, region_code="520100")


def test_list_shows_masked_id_and_phone_only(client, bureau):
    number = make_id_number("520102")
    TraineeFactory(name="张三", id_number=number, phone="13812345678")
    client.force_login(bureau)
    body = client.get(reverse("trainees:index")).content.decode()
    assert "张三" in body
    assert number[:2] + "*" * 14 + number[-2:] in body
    assert number not in body
    assert "138****5678" in body
    assert "13812345678" not in body


FULL_WIDTH = str.maketrans({c: chr(ord(c) + 0xFEE0) for c in "0123456789X"})


def id_forms(number):
    """The ways people type an ID number into a box."""
    return [
        number,
        " ".join([number[:6], number[6:14], number[14:].lower()]),
        "-".join([number[:6], number[6:14], number[14:]]),
        number.translate(FULL_WIDTH),
        number[:17],
        "%" + "%".join(f"{ord(c):02X}" for c in number),  # pasted from an address
    ]


def assert_number_absent(number, body):
    assert number not in body
    assert number[6:14] not in body
    assert number[:17] not in body
    assert number.translate(FULL_WIDTH)[6:14] not in body


@pytest.mark.parametrize("form", range(6))
@pytest.mark.parametrize("url_name", ["trainees:index", "trainees:index_results"])
def test_search_box_refuses_an_id_number_and_says_where_to_look(
    client, bureau, form, url_name
):
    """Searching by ID with GET would put it in the address, history and access log."""
    number = make_id_number("520103")
    TraineeFactory(name="李四", id_number=number)
    TraineeFactory(name="王五")
    client.force_login(bureau)
    typed = id_forms(number)[form]
    response = client.get(reverse(url_name), {"q": typed})
    assert response.status_code == 200
    body = response.content.decode()
    assert "李四" not in body and "王五" not in body
    assert "搜索框不按身份证号码查找" in body and "按身份证号查找" in body
    assert_number_absent(number, body)
    assert typed not in body


def test_the_list_links_to_the_id_number_look_up(client, bureau):
    client.force_login(bureau)
    body = client.get(reverse("trainees:index")).content.decode()
    assert reverse("trainees:find") in body and "按身份证号查找" in body


@pytest.mark.parametrize("form", [0, 1, 2, 3])
def test_find_by_id_number_posts_and_opens_the_record(client, bureau, form):
    number = make_id_number("520103")
    trainee = TraineeFactory(name="李四", id_number=number)
    TraineeFactory(name="王五")
    client.force_login(bureau)
    page = client.get(reverse("trainees:find"))
    assert page.status_code == 200 and "身份证号码" in page.content.decode()
    response = client.post(
        reverse("trainees:find"), {"id_number": id_forms(number)[form]}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("trainees:inspect", args=[trainee.pk])


@pytest.mark.parametrize("case", ["wrong_check", "elsewhere", "unknown"])
def test_find_by_id_number_answers_not_found_without_echoing_it(client, bureau, case):
    number = make_id_number("520103")
    if case == "elsewhere":  # a trainee of another prefecture's bureau
        TraineeFactory(
            id_number=number,
            household_region=region("520201"),
            residence_region=region("520201"),
        )
    elif case == "wrong_check":
        TraineeFactory(id_number=number)
        number = number[:17] + ("1" if number[17] == "0" else "0")
    client.force_login(bureau)
    response = client.post(reverse("trainees:find"), {"id_number": number})
    assert response.status_code == 200
    body = response.content.decode()
    assert ("格式不正确" if case == "wrong_check" else "未找到") in body
    assert_number_absent(number, body)


def test_find_by_id_number_needs_trainee_view_permission(client):
    from django.contrib.auth.models import Group

    from tests.factories import UserFactory
    from training_platform.roles import group_name

    editor = UserFactory()
    editor.groups.add(Group.objects.get(name=group_name(Role.EDITOR)))
    client.force_login(editor)
    assert client.get(reverse("trainees:find")).status_code in (302, 403)
    number = make_id_number("520103")
    TraineeFactory(id_number=number)
    response = client.post(reverse("trainees:find"), {"id_number": number})
    assert response.status_code in (302, 403)
    assert "/inspect/" not in response.get("Location", "")


def test_search_by_name_and_filter_by_region(client, bureau):
    TraineeFactory(name="赵六", household_region=region("520102"))
    TraineeFactory(name="钱七", household_region=region("520111"))
    client.force_login(bureau)
    body = client.get(reverse("trainees:index"), {"q": "赵"}).content.decode()
    assert "赵六" in body and "钱七" not in body
    body = client.get(reverse("trainees:index"), {"region": "520111"}).content.decode()
    assert "钱七" in body and "赵六" not in body


def test_create_normalises_and_refuses_a_duplicate_id(client):
    inst_staff = staff_user(Role.BUREAU, region_code="520000")
    client.force_login(inst_staff)
    number = make_id_number("520102")
    data = {
        "name": "孙八",
        "id_number_input": "　" + number[:17] + number[17].lower(),
        "phone": "+86 138-0000-1111",
        "household_region": "520102",
        "residence_region": "520102",
        "education": "senior",
    }
    response = client.post(reverse("trainees:add"), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    trainee = Trainee.objects.get(name="孙八")
    assert trainee.id_number == number
    assert trainee.phone == "13800001111"
    assert trainee.birth_date.strftime("%Y%m%d") == number[6:14]
    response = client.post(reverse("trainees:add"), {**data, "name": "孙八二"})
    assert response.status_code == 200
    assert "已有学员档案" in response.content.decode()
    assert Trainee.objects.count() == 1


def test_create_refuses_a_bad_check_digit_in_chinese(client):
    client.force_login(staff_user(Role.BUREAU, region_code="520000"))
    number = make_id_number("520102")
    wrong = number[:17] + ("0" if number[17] != "0" else "1")
    response = client.post(
        reverse("trainees:add"), {"name": "周九", "id_number_input": wrong}
    )
    assert response.status_code == 200
    assert "校验位错误" in response.content.decode()
    assert not Trainee.objects.exists()


def test_reveal_is_permitted_scoped_and_audited(client, bureau):
    number = make_id_number("520102")
    trainee = TraineeFactory(id_number=number)
    url = reverse("trainee_reveal", args=[trainee.pk, "id_number"])
    # Inspect shows the masked form and a reveal button.
    client.force_login(bureau)
    inspect = client.get(
        reverse("trainees:inspect", args=[trainee.pk])
    ).content.decode()
    assert number not in inspect
    assert url in inspect
    assert client.get(url).status_code == 405  # POST only
    response = client.post(url)
    assert response.status_code == 200
    assert number in response.content.decode()
    assert response.headers["Cache-Control"].startswith("max-age=0")
    event = AuditEvent.objects.get(action="pii.reveal")
    assert event.actor == bureau
    assert event.object_id == str(trainee.pk)
    assert number not in str(event.after)


def test_reveal_refused_outside_scope_or_without_permission(client):
    trainee = TraineeFactory(household_region=region("520302"))
    url = reverse("trainee_reveal", args=[trainee.pk, "id_number"])
    client.force_login(staff_user(Role.BUREAU, region_code="520100"))
    assert client.post(url).status_code == 404
    client.force_login(staff_user(Role.INSTITUTION, institution=InstitutionFactory()))
    assert client.post(url).status_code in (403, 404)
    assert not AuditEvent.objects.exists()


def _add_rows(n, host):
    for _ in range(n):
        trainee = TraineeFactory(household_region=region("520102"))
        KeyGroupMembershipFactory(trainee=trainee)
        TrainingBaseFactory(host=host)
        StudioFactory(host=host)
        InstitutionFactory(region=region("520103"))


@pytest.mark.parametrize(
    "viewset",
    [
        "trainees",
        "traininginstitution",
        "trainingbase",
        "skillmasterstudio",
        "occupation",
    ],
)
def test_list_query_count_does_not_grow_with_rows(
    client, bureau, viewset, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    host = InstitutionFactory(region=region("520102"))
    _add_rows(2, host)
    client.force_login(bureau)
    url = reverse(f"{viewset}:index")
    client.get(url)  # warm caches (content types, site, permissions)
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    _add_rows(15, host)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(url).status_code == 200
