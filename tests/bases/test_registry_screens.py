"""Back-office screens of the registry: the studio form refuses a master below 技师 and
saves its rows, the level changes only through its own confirmed action, the 建设目标
page counts from the registry for the viewer's region; allowed and denied."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from wagtail.test.utils.form_data import inline_formset, nested_form_data

from bases.models import (
    ApprovalLevel,
    BuildType,
    HonourKind,
    LevelChange,
    SkillMasterStudio,
    StudioHonour,
)
from tests.factories import (
    InstitutionFactory,
    StudioFactory,
    TrainingBaseFactory,
    UserFactory,
    region,
    staff_user,
)
from training_platform.audit.models import AuditEvent
from training_platform.reference.models import SkillLevel
from training_platform.roles import Role

pytestmark = pytest.mark.django_db

ELECTRICIAN = "6-31-01-03"
INLINES = ("members", "apprentices", "achievements", "evaluations", "funding_rows")


@pytest.fixture
def world():
    gy = InstitutionFactory(name="贵阳甲培训学校", region=region("520102"))
    zy = InstitutionFactory(name="遵义乙技工学校", region=region("520302"))
    return {
        "gy": gy,
        "zy": zy,
        "gy_base": TrainingBaseFactory(host=gy, level=ApprovalLevel.PREFECTURE),
        "zy_base": TrainingBaseFactory(host=zy, level=ApprovalLevel.PREFECTURE),
        "gy_studio": StudioFactory(host=gy),
        "zy_studio": StudioFactory(host=zy),
        "bureau_gy": staff_user(Role.BUREAU, region_code="520100"),
        "inst_gy": staff_user(Role.INSTITUTION, institution=gy),
    }


def studio_post(host, master_level, honours=()):
    return nested_form_data(
        {
            "name": "李师傅焊工技能大师工作室",
            "level": ApprovalLevel.PROVINCIAL,
            "status": "operating",
            "host": host.pk,
            "region": host.region_id,
            "occupation": ELECTRICIAN,
            "funding": "100000",
            "master_name": "李师傅",
            "master_level": master_level,
            "honours": inline_formset(list(honours)),
            **{name: inline_formset([]) for name in INLINES},
        }
    )


def test_studio_form_refuses_a_master_below_technician(client, world):
    client.force_login(world["bureau_gy"])
    response = client.post(
        reverse("skillmasterstudio:add"), studio_post(world["gy"], SkillLevel.LEVEL_3)
    )
    assert response.status_code == 200
    assert "领办人须具有技师（二级）及以上职业技能等级" in response.content.decode()
    assert not SkillMasterStudio.objects.filter(master_name="李师傅").exists()


def test_studio_form_saves_the_master_and_honours(client, world):
    client.force_login(world["bureau_gy"])
    honour = {"kind": HonourKind.NATIONAL_EXPERT, "name": "", "year": "2020"}
    response = client.post(
        reverse("skillmasterstudio:add"),
        studio_post(world["gy"], SkillLevel.LEVEL_1, [honour]),
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    studio = SkillMasterStudio.objects.get(master_name="李师傅")
    assert studio.master_level == SkillLevel.LEVEL_1
    assert StudioHonour.objects.get(studio=studio).display_name == "全国技术能手"
    assert AuditEvent.objects.filter(
        action="bases.studio.create", object_id=str(studio.pk)
    ).exists()


def test_edit_forms_have_no_level_field(client, world):
    client.force_login(world["bureau_gy"])
    for name, obj in (
        ("skillmasterstudio", world["gy_studio"]),
        ("trainingbase", world["gy_base"]),
    ):
        body = client.get(reverse(f"{name}:edit", args=[obj.pk])).content.decode()
        assert 'name="level"' not in body
        assert 'name="status"' in body
    add = client.get(reverse("trainingbase:add")).content.decode()
    assert 'name="level"' in add and 'name="build_type"' in add


def test_inspect_shows_the_facts_and_the_level_action_to_the_bureau(client, world):
    studio = world["gy_studio"]
    StudioHonour.objects.create(studio=studio, kind=HonourKind.PROVINCIAL_EXPERT)
    level_url = reverse("bases_studio_level_change", args=[studio.pk])
    client.force_login(world["bureau_gy"])
    body = client.get(reverse("skillmasterstudio:inspect", args=[studio.pk])).content
    assert "贵州省技术能手" in body.decode() and level_url in body.decode()
    client.force_login(world["inst_gy"])
    body = client.get(reverse("skillmasterstudio:inspect", args=[studio.pk])).content
    assert "贵州省技术能手" in body.decode() and level_url not in body.decode()


def level_post(**extra):
    return {
        "to_level": ApprovalLevel.PROVINCIAL,
        "changed_on": "2024-05-06",
        "document_no": "黔人社厅发〔2024〕12号",
        **extra,
    }


def test_level_change_asks_first_then_writes_history(client, world):
    base = world["gy_base"]
    url = reverse("bases_base_level_change", args=[base.pk])
    client.force_login(world["bureau_gy"])
    assert client.get(url).status_code == 200
    asked = client.post(url, level_post())
    assert asked.status_code == 200
    assert "确认变更级别" in asked.content.decode()
    base.refresh_from_db()
    assert base.level == ApprovalLevel.PREFECTURE and not LevelChange.objects.exists()
    done = client.post(url, level_post(confirmed="1"))
    assert done.status_code == 302
    assert done.headers["Location"] == reverse("trainingbase:inspect", args=[base.pk])
    change = LevelChange.objects.get()
    assert (change.base, change.from_level, change.to_level) == (
        base,
        ApprovalLevel.PREFECTURE,
        ApprovalLevel.PROVINCIAL,
    )
    assert change.changed_on == dt.date(2024, 5, 6)


def test_level_change_errors_show_on_the_form(client, world):
    url = reverse("bases_studio_level_change", args=[world["gy_studio"].pk])
    client.force_login(world["bureau_gy"])
    response = client.post(url, level_post(document_no="", confirmed="1"))
    assert response.status_code == 200
    assert not LevelChange.objects.exists()
    same = client.post(url, level_post(confirmed="1"))  # the studio is 省级 already
    assert "新级别与现级别相同" in same.content.decode()
    assert not LevelChange.objects.exists()


def test_level_change_denied(client, world):
    client.force_login(world["bureau_gy"])
    other = reverse("bases_base_level_change", args=[world["zy_base"].pk])
    assert client.get(other).status_code == 404
    assert client.post(other, level_post(confirmed="1")).status_code == 404
    client.force_login(world["inst_gy"])
    own = reverse("bases_base_level_change", args=[world["gy_base"].pk])
    assert client.get(own).status_code == 403
    assert client.post(own, level_post(confirmed="1")).status_code == 403
    assert not LevelChange.objects.exists()


def test_targets_page_is_scoped_to_the_viewers_region(client, world):
    TrainingBaseFactory(
        host=world["zy"],
        level=ApprovalLevel.COUNTY,
        build_type=BuildType.NEW,
        build_year=2023,
    )
    url = reverse("bases_targets")
    client.force_login(staff_user(Role.BUREAU, region_code="520300"))
    body = client.get(url).content.decode()
    assert "遵义市" in body and "新建县级公共实训基地" in body
    assert "规划未分解到本地" in body
    assert "<td>1 个" in body
    client.force_login(world["bureau_gy"])
    body = client.get(url).content.decode()
    assert "贵阳市" in body and "<td>0 个" in body
    client.force_login(UserFactory(is_superuser=True, is_staff=True))
    body = client.get(url).content.decode()
    assert "全省" in body and "45 个" in body


def test_targets_page_denied_to_institution_staff(client, world):
    client.force_login(world["inst_gy"])
    assert client.get(reverse("bases_targets")).status_code in (302, 403)


@pytest.mark.parametrize("name", ["trainingbase", "skillmasterstudio"])
def test_registry_lists_query_count_is_flat(client, world, name):
    client.force_login(world["bureau_gy"])
    url = reverse(f"{name}:index")

    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx.captured_queries)

    few = count()
    host = InstitutionFactory(region=region("520103"))
    TrainingBaseFactory.create_batch(4, host=host)
    StudioFactory.create_batch(4, host=host)
    assert count() == few


def test_studio_edit_saves_and_deletes_inline_rows(client, world):
    studio = world["gy_studio"]
    old = StudioHonour.objects.create(studio=studio, kind=HonourKind.PROVINCIAL_EXPERT)
    data = studio_post(world["gy"], SkillLevel.LEVEL_2)
    del data["level"]
    data.update(
        nested_form_data(
            {
                "honours": inline_formset(
                    [{"id": old.pk, "kind": old.kind, "name": "", "DELETE": "1"}],
                    initial=1,
                ),
                "members": inline_formset([{"name": "张三", "role": "教学"}]),
            }
        )
    )
    client.force_login(world["bureau_gy"])
    response = client.post(reverse("skillmasterstudio:edit", args=[studio.pk]), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    studio.refresh_from_db()
    assert studio.master_name == "李师傅"
    assert studio.level == ApprovalLevel.PROVINCIAL
    assert not StudioHonour.objects.filter(pk=old.pk).exists()
    assert [m.name for m in studio.members.all()] == ["张三"]
    assert AuditEvent.objects.filter(action="bases.studio.update").count() == 1
