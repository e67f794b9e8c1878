"""补贴标准 screens: every bureau and auditor reads, only the province bureau edits."""

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from subsidies.models import SubsidyKind, SubsidyStandard
from tests.factories import InstitutionFactory, StandardFactory, UserFactory, region
from tests.factories import staff_user as make_staff
from training_platform.audit.models import AuditEvent
from training_platform.reference.models import SkillLevel
from training_platform.roles import Role, group_name

pytestmark = pytest.mark.django_db

ELECTRICIAN = "6-31-01-03"
INDEX = "subsidystandard:index"


def denied(response) -> bool:
    """Wagtail's refusal: 403, or back to the dashboard with a permission message."""
    return response.status_code == 403 or (
        response.status_code == 302 and response.url == reverse("wagtailadmin_home")
    )


def editor():
    user = UserFactory()
    user.groups.add(Group.objects.get(name=group_name(Role.EDITOR)))
    return user


def province_bureau():
    return make_staff(Role.BUREAU, region_code="520000")


def form_data(**changes):
    data = {
        "name": "技能提升补贴（中级）",
        "kind": SubsidyKind.SKILL_UPGRADE,
        "payee": "person",
        "certificate_kind": "skill_level",
        "level": SkillLevel.LEVEL_4,
        "amount": "1500.00",
        "region": "520000",
        "valid_from": "2025-01-01",
        "valid_to": "2026-12-31",
        "occupation_codes": "",
        "attendance_threshold": "80",
        "claim_window_months": "12",
        "uses_per_year": "1",
        "extra_uses_per_year": "0",
        "is_active": "on",
    }
    data.update(changes)
    return data


def text(response) -> str:
    return response.content.decode()


@pytest.mark.parametrize(
    "make_user",
    [
        province_bureau,
        lambda: make_staff(Role.BUREAU, region_code="520100"),
        lambda: make_staff(Role.BUREAU, region_code="520102"),
        lambda: make_staff(Role.AUDITOR, region_code="520300"),
        lambda: UserFactory(is_superuser=True, is_staff=True),
    ],
)
def test_every_bureau_and_auditor_reads_the_standards(client, make_user):
    standard = StandardFactory(name="全省中级标准")
    client.force_login(make_user())
    listing = client.get(reverse(INDEX))
    assert listing.status_code == 200
    assert "全省中级标准" in text(listing) and "1,500.00 元" in text(listing)
    assert "共 1 条" in text(listing)
    page = client.get(reverse("subsidystandard:inspect", args=[standard.pk]))
    assert page.status_code == 200
    assert "1,500.00 元" in text(page) and "不限职业" in text(page)


@pytest.mark.parametrize(
    "make_user",
    [
        lambda: make_staff(Role.BUREAU, region_code="520100"),
        lambda: make_staff(Role.BUREAU, region_code="520102"),
        lambda: make_staff(Role.AUDITOR, region_code="520000"),
    ],
)
def test_only_the_province_bureau_adds_or_edits(client, make_user):
    standard = StandardFactory()
    client.force_login(make_user())
    add_url = reverse("subsidystandard:add")
    edit_url = reverse("subsidystandard:edit", args=[standard.pk])
    assert denied(client.get(add_url))
    assert denied(client.post(add_url, form_data(level=SkillLevel.LEVEL_3)))
    assert denied(client.get(edit_url))
    assert denied(client.post(edit_url, form_data(amount="9999.00")))
    standard.refresh_from_db()
    assert standard.amount == Decimal("1500.00")
    assert SubsidyStandard.objects.count() == 1
    listing = text(client.get(reverse(INDEX)))
    assert add_url not in listing and edit_url not in listing


@pytest.mark.parametrize(
    "make_user",
    [
        lambda: make_staff(Role.INSTITUTION, institution=InstitutionFactory()),
        lambda: editor(),
    ],
)
def test_other_roles_do_not_see_the_standards(client, make_user):
    standard = StandardFactory()
    client.force_login(make_user())
    assert denied(client.get(reverse(INDEX)))
    response = client.get(reverse("subsidystandard:inspect", args=[standard.pk]))
    assert denied(response) or response.status_code == 404
    home = text(client.get(reverse("wagtailadmin_home")))
    assert reverse(INDEX) not in home


def test_anonymous_visitors_are_sent_to_sign_in(client):
    response = client.get(reverse(INDEX))
    assert response.status_code == 302 and "login" in response.url


@pytest.mark.parametrize(
    "make_user",
    [province_bureau, lambda: UserFactory(is_superuser=True, is_staff=True)],
)
def test_the_province_bureau_adds_a_standard_with_an_occupation_list(client, make_user):
    user = make_user()
    client.force_login(user)
    response = client.post(
        reverse("subsidystandard:add"),
        form_data(
            name="急需紧缺技能提升补贴（中级）",
            amount="1800.00",
            occupation_codes=f"{ELECTRICIAN}，4-04-05-01",
            extra_uses_per_year="2",
        ),
    )
    assert response.status_code == 302, text(response)
    standard = SubsidyStandard.objects.get()
    assert standard.amount == Decimal("1800.00") and standard.level == "4"
    assert set(standard.occupations.values_list("code", flat=True)) == {
        ELECTRICIAN,
        "4-04-05-01",
    }
    event = AuditEvent.objects.get(action="subsidies.standard.saved")
    assert event.actor == user and event.after["amount"] == "1800.00"


def test_an_edit_is_saved_and_audited_with_the_old_amount(client):
    standard = StandardFactory()
    client.force_login(province_bureau())
    url = reverse("subsidystandard:edit", args=[standard.pk])
    page = client.get(url)
    assert page.status_code == 200
    response = client.post(url, form_data(amount="1600.00", valid_to=""))
    assert response.status_code == 302, text(response)
    standard.refresh_from_db()
    assert standard.amount == Decimal("1600.00") and standard.valid_to is None
    event = AuditEvent.objects.get(action="subsidies.standard.saved")
    assert (event.before["amount"], event.after["amount"]) == ("1500.00", "1600.00")


def test_an_overlapping_standard_is_refused_at_the_top_of_the_form(client):
    StandardFactory(name="现行全省中级标准")
    client.force_login(province_bureau())
    response = client.post(reverse("subsidystandard:add"), form_data())
    assert response.status_code == 200
    page = text(response)
    assert "现行全省中级标准" in page and "重叠" in page
    # The refusal comes before the first field, and what was typed is kept.
    assert page.index("重叠") < page.index('name="name"')
    assert 'value="技能提升补贴（中级）"' in page
    assert SubsidyStandard.objects.count() == 1
    assert not AuditEvent.objects.filter(action="subsidies.standard.saved").exists()


def test_unknown_occupation_codes_and_a_county_region_are_refused(client):
    client.force_login(province_bureau())
    page = text(
        client.post(
            reverse("subsidystandard:add"),
            form_data(occupation_codes="6-31-01-03\n9-99-99-99"),
        )
    )
    assert "9-99-99-99" in page and "职业分类中没有这些编码" in page
    response = client.post(reverse("subsidystandard:add"), form_data(region="520102"))
    assert response.status_code == 200
    assert not SubsidyStandard.objects.exists()


def test_the_list_filters_by_kind_level_region_and_date(client):
    StandardFactory(name="甲-全省中级")
    StandardFactory(
        name="乙-贵阳中级", region=region("520100"), valid_to=dt.date(2025, 6, 30)
    )
    StandardFactory(name="丙-全省高级", level=SkillLevel.LEVEL_3)
    StandardFactory(
        name="丁-评价补贴", kind=SubsidyKind.EVALUATION, level=SkillLevel.LEVEL_4
    )
    client.force_login(make_staff(Role.AUDITOR, region_code="520000"))

    def names(**params):
        page = text(client.get(reverse(INDEX), params))
        return sorted(set(re.findall(r"[甲乙丙丁]-[^<\s”]+", page)))

    assert names(level="3") == ["丙-全省高级"]
    assert names(kind=SubsidyKind.EVALUATION) == ["丁-评价补贴"]
    assert names(region="520100") == ["乙-贵阳中级"]
    assert "乙-贵阳中级" not in names(valid_on="2025-07-01")
    assert "乙-贵阳中级" in names(valid_on="2025-06-30")
    assert names(valid_on="2024-12-31") == []


def test_the_list_takes_the_same_queries_for_few_or_many_standards(client):
    client.force_login(province_bureau())
    StandardFactory().occupations.set(["6-31-01-03"])

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse(INDEX)).status_code == 200
        return len(queries)

    few = count()
    for level in ("5", "3", "2", "1"):
        StandardFactory(level=level).occupations.set(["6-31-01-03", "4-04-05-01"])
        StandardFactory(level=level, region=region("520100"))
    assert count() == few


@pytest.mark.parametrize(
    ("make_user", "shown"),
    [
        (lambda: make_staff(Role.BUREAU, region_code="520100"), True),
        (lambda: make_staff(Role.AUDITOR, region_code="520000"), True),
        (lambda: make_staff(Role.INSTITUTION, institution=InstitutionFactory()), False),
    ],
)
def test_the_standards_sit_in_the_subsidies_menu(client, make_user, shown):
    from tests.training_platform.test_admin_menus import menu_labels

    client.force_login(make_user())
    labels = menu_labels(client)
    assert ({"培训补贴", "补贴标准"} <= labels) is shown
    assert ("培训补贴" in labels) is shown and ("补贴标准" in labels) is shown


def test_the_export_writes_amounts_and_levels_in_words(client):
    StandardFactory(name="全省中级标准")
    StandardFactory(
        name="培训合格证书标准",
        kind=SubsidyKind.TRAINING,
        payee="institution",
        certificate_kind="training",
        level="",
        amount=Decimal("600"),
    )
    client.force_login(make_staff(Role.AUDITOR, region_code="520000"))
    response = client.get(reverse(INDEX), {"export": "csv"})
    assert response.status_code == 200
    body = b"".join(response.streaming_content).decode()
    assert "1,500.00 元" in body and "600.00 元" in body
    assert "不分等级" in body and "四级/中级工" in body and "长期有效" in body
