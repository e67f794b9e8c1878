"""Occupations and key groups hold for the whole province: only the province edits them."""

import pytest
from django.urls import reverse

from tests.factories import UserFactory, staff_user
from training_platform.reference.models import KeyGroup, Occupation
from training_platform.roles import Role

pytestmark = pytest.mark.django_db

ELECTRICIAN = "6-31-01-03"


def occupation_form(**changes):
    data = {"name": "电工", "is_digital": "", "is_green": ""}
    data.update(changes)
    return data


def key_group_form(group, **changes):
    data = {
        "code": group.code,
        "name": group.name,
        "sort_order": group.sort_order,
        "is_active": "on" if group.is_active else "",
    }
    data.update(changes)
    return data


def edit_url(model_name, pk):
    return reverse(f"{model_name}:edit", args=[pk])


def denied(response) -> bool:
    """Wagtail's refusal: 403, or back to the dashboard with a permission message."""
    return response.status_code == 403 or (
        response.status_code == 302 and response.url == reverse("wagtailadmin_home")
    )


def province_bureau():
    return staff_user(Role.BUREAU, region_code="520000")


def administrator():
    return UserFactory(is_superuser=True, is_staff=True)


@pytest.mark.parametrize("region_code", ["520100", "522601"])
def test_prefecture_and_county_bureaus_cannot_edit_an_occupation(client, region_code):
    client.force_login(staff_user(Role.BUREAU, region_code=region_code))
    url = edit_url("occupation", ELECTRICIAN)
    assert denied(client.get(url))
    assert denied(client.post(url, occupation_form(name="电工（已改名）")))
    assert Occupation.objects.get(code=ELECTRICIAN).name == "电工"
    # They still see the occupation.
    inspect = client.get(reverse("occupation:inspect", args=[ELECTRICIAN]))
    assert inspect.status_code == 200
    assert "电工" in inspect.content.decode()
    listing = client.get(reverse("occupation:index"), {"q": "电工"})
    assert listing.status_code == 200
    assert url not in listing.content.decode()  # no edit link


@pytest.mark.parametrize("region_code", ["520100", "522601"])
def test_prefecture_and_county_bureaus_cannot_edit_or_add_a_key_group(
    client, region_code
):
    group = KeyGroup.objects.order_by("pk").first()
    before = (group.code, group.name, group.sort_order, group.is_active)
    count = KeyGroup.objects.count()
    client.force_login(staff_user(Role.BUREAU, region_code=region_code))
    url = edit_url("keygroup", group.pk)
    assert denied(client.get(url))
    assert denied(client.post(url, key_group_form(group, name="被改掉的群体")))
    group.refresh_from_db()
    assert (group.code, group.name, group.sort_order, group.is_active) == before
    add_url = reverse("keygroup:add")
    assert denied(client.get(add_url))
    assert denied(
        client.post(add_url, {"code": "new", "name": "新群体", "sort_order": 99})
    )
    assert KeyGroup.objects.count() == count
    listing = client.get(reverse("keygroup:index"))
    assert listing.status_code == 200
    assert add_url not in listing.content.decode()


@pytest.mark.parametrize("make_user", [province_bureau, administrator])
def test_the_province_bureau_and_administrators_edit_reference_data(client, make_user):
    client.force_login(make_user())
    url = edit_url("occupation", ELECTRICIAN)
    assert client.get(url).status_code == 200
    response = client.post(url, occupation_form(name="电工（新）"))
    assert response.status_code == 302
    assert Occupation.objects.get(code=ELECTRICIAN).name == "电工（新）"

    group = KeyGroup.objects.order_by("pk").first()
    url = edit_url("keygroup", group.pk)
    assert client.get(url).status_code == 200
    response = client.post(url, key_group_form(group, name="改名后的群体"))
    assert response.status_code == 302
    group.refresh_from_db()
    assert group.name == "改名后的群体"


def test_other_roles_cannot_edit_reference_data(client):
    from tests.factories import InstitutionFactory

    for user in (
        staff_user(Role.INSTITUTION, institution=InstitutionFactory()),
        staff_user(Role.AUDITOR, region_code="520000"),
    ):
        client.force_login(user)
        response = client.post(
            edit_url("occupation", ELECTRICIAN), occupation_form(name="改")
        )
        assert denied(response) or response.status_code == 404
        assert Occupation.objects.get(code=ELECTRICIAN).name == "电工"
