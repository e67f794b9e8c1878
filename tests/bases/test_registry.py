"""The studio and base registry: a master below 技师 is refused, levels change only
through the services (history and audit), earned honours show beside declared ones,
the public selectors' query counts stay flat, and the demo facts are repeat-safe."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.http import Http404
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from bases import selectors, services
from bases.extensions import earned_honours
from bases.honours import EarnedHonour
from bases.models import (
    AchievementKind,
    ApprovalLevel,
    EvaluationResult,
    Funding,
    FundingSource,
    HonourKind,
    LevelChange,
    RegistryStatus,
    SkillMasterStudio,
    StudioAchievement,
    StudioApprentice,
    StudioEvaluation,
    StudioHonour,
    StudioMember,
)
from tests.factories import (
    InstitutionFactory,
    StudioFactory,
    TraineeFactory,
    TrainingBaseFactory,
    region,
    staff_user,
)
from training_platform.audit.models import AuditEvent
from training_platform.reference.models import SkillLevel
from training_platform.roles import Role

pytestmark = pytest.mark.django_db

ELECTRICIAN = "6-31-01-03"


@pytest.fixture
def gy():
    return InstitutionFactory(name="贵阳甲培训学校", region=region("520102"))


@pytest.fixture
def bureau_gy():
    return staff_user(Role.BUREAU, region_code="520100")


def new_studio(host, **fields):
    values = {
        "name": "王师傅电工技能大师工作室",
        "level": ApprovalLevel.PROVINCIAL,
        "host": host,
        "region_id": host.region_id,
        "occupation_id": ELECTRICIAN,
        "master_name": "王师傅",
        "master_level": SkillLevel.LEVEL_2,
    }
    values.update(fields)
    return SkillMasterStudio(**values)


# --- the leading master holds 技师 or above ---------------------------------------------


@pytest.mark.parametrize("level", [SkillLevel.LEVEL_3, SkillLevel.LEVEL_5])
def test_model_refuses_a_master_below_technician(gy, level):
    with pytest.raises(ValidationError) as exc:
        new_studio(gy, master_level=level).full_clean()
    message = " ".join(exc.value.message_dict["master_level"])
    assert "技师（二级）及以上" in message
    assert SkillLevel(level).label in message


@pytest.mark.parametrize(
    "level",
    [SkillLevel.LEVEL_2, SkillLevel.LEVEL_1, SkillLevel.PRINCIPAL, SkillLevel.CHIEF],
)
def test_model_accepts_technician_and_above(gy, level):
    new_studio(gy, master_level=level).full_clean()


def test_service_refuses_a_master_below_technician(gy, bureau_gy):
    with pytest.raises(ValidationError) as exc:
        services.studio_save(
            actor=bureau_gy, studio=new_studio(gy, master_level=SkillLevel.LEVEL_3)
        )
    assert "技师" in " ".join(exc.value.message_dict["master_level"])
    assert not SkillMasterStudio.objects.exists()


def test_service_registers_a_studio_audited(gy, bureau_gy):
    studio = services.studio_save(actor=bureau_gy, studio=new_studio(gy))
    event = AuditEvent.objects.get(action="bases.studio.create")
    assert event.object_id == str(studio.pk)
    assert event.actor == bureau_gy


def test_only_the_regions_bureau_saves_registry_facts(gy):
    for user in (
        staff_user(Role.BUREAU, region_code="520300"),  # 遵义
        staff_user(Role.INSTITUTION, institution=gy),
    ):
        with pytest.raises(PermissionDenied):
            services.studio_save(actor=user, studio=new_studio(gy))
    assert not SkillMasterStudio.objects.exists()


def test_saving_cannot_change_the_level(gy, bureau_gy):
    studio = StudioFactory(host=gy)
    studio.level = ApprovalLevel.NATIONAL
    with pytest.raises(ValidationError) as exc:
        services.studio_save(actor=bureau_gy, studio=studio)
    assert "级别变更" in " ".join(exc.value.message_dict["level"])
    studio.refresh_from_db()
    assert studio.level == ApprovalLevel.PROVINCIAL


# --- level history -------------------------------------------------------------------------


def test_base_level_change_writes_history_and_audit(gy, bureau_gy):
    base = TrainingBaseFactory(host=gy, level=ApprovalLevel.PREFECTURE)
    change = services.base_level_change(
        actor=bureau_gy,
        base=base,
        to_level=ApprovalLevel.PROVINCIAL,
        changed_on=dt.date(2024, 3, 1),
        document_no="黔人社厅发〔2024〕9号",
    )
    base.refresh_from_db()
    assert base.level == ApprovalLevel.PROVINCIAL
    assert (change.from_level, change.to_level) == ("prefecture", "provincial")
    assert change.document_no == "黔人社厅发〔2024〕9号"
    assert change.changed_by == bureau_gy
    assert list(base.level_changes.all()) == [change]
    event = AuditEvent.objects.get(action="bases.base.level")
    assert event.before == {"level": "prefecture"}
    assert event.after["level"] == "provincial"


def test_studio_level_change_writes_history(gy, bureau_gy):
    studio = StudioFactory(host=gy)
    services.studio_level_change(
        actor=bureau_gy,
        studio=studio,
        to_level=ApprovalLevel.NATIONAL,
        changed_on=dt.date(2025, 1, 2),
        document_no="人社厅函〔2025〕1号",
    )
    studio.refresh_from_db()
    assert studio.level == ApprovalLevel.NATIONAL
    assert studio.level_changes.get().from_level == ApprovalLevel.PROVINCIAL
    assert AuditEvent.objects.filter(action="bases.studio.level").count() == 1


@pytest.mark.parametrize(
    "to_level, changed_on, document_no, field",
    [
        (ApprovalLevel.PREFECTURE, dt.date(2024, 1, 1), "文号1", "to_level"),
        (ApprovalLevel.PROVINCIAL, dt.date(2024, 1, 1), " ", "document_no"),
        (ApprovalLevel.PROVINCIAL, dt.date(2999, 1, 1), "文号1", "changed_on"),
    ],
)
def test_level_change_refusals(gy, bureau_gy, to_level, changed_on, document_no, field):
    base = TrainingBaseFactory(host=gy, level=ApprovalLevel.PREFECTURE)
    with pytest.raises(ValidationError) as exc:
        services.base_level_change(
            actor=bureau_gy,
            base=base,
            to_level=to_level,
            changed_on=changed_on,
            document_no=document_no,
        )
    assert field in exc.value.message_dict
    assert not LevelChange.objects.exists()
    assert not AuditEvent.objects.filter(action="bases.base.level").exists()


def test_level_change_by_another_regions_bureau_is_refused(gy):
    base = TrainingBaseFactory(host=gy, level=ApprovalLevel.PREFECTURE)
    with pytest.raises(PermissionDenied):
        services.base_level_change(
            actor=staff_user(Role.BUREAU, region_code="520300"),
            base=base,
            to_level=ApprovalLevel.PROVINCIAL,
            changed_on=dt.date(2024, 1, 1),
            document_no="文号",
        )
    base.refresh_from_db()
    assert base.level == ApprovalLevel.PREFECTURE
    assert not LevelChange.objects.exists()


def test_the_province_bureau_may_change_a_level(gy):
    base = TrainingBaseFactory(host=gy, level=ApprovalLevel.PREFECTURE)
    services.base_level_change(
        actor=staff_user(Role.BUREAU, region_code="520000"),
        base=base,
        to_level=ApprovalLevel.PROVINCIAL,
        changed_on=dt.date(2024, 1, 1),
        document_no="文号",
    )
    assert LevelChange.objects.count() == 1


def test_funding_and_level_rows_belong_to_exactly_one_owner(gy):
    base = TrainingBaseFactory(host=gy)
    studio = StudioFactory(host=gy)
    with pytest.raises(IntegrityError), transaction.atomic():
        Funding.objects.create(
            base=base,
            studio=studio,
            year=2024,
            amount=Decimal("1"),
            source=FundingSource.SELF,
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        LevelChange.objects.create(
            to_level=ApprovalLevel.COUNTY, changed_on=dt.date(2024, 1, 1)
        )


# --- honours: declared and earned on the platform -------------------------------------


def add_studio_rows(studio, n: int, start: int = 0):
    for i in range(start, start + n):
        StudioHonour.objects.create(
            studio=studio, kind=HonourKind.OTHER, name=f"荣誉{i}", year=2010 + i
        )
        StudioMember.objects.create(studio=studio, name=f"成员{i}", role="教学")
        StudioApprentice.objects.create(
            studio=studio, year=2020 + i % 3, name=f"徒弟{i}", level_reached="3"
        )
        StudioAchievement.objects.create(
            studio=studio, kind=AchievementKind.PATENT, title=f"专利{i}", year=2020
        )
        StudioEvaluation.objects.create(
            studio=studio, year=2000 + i, result=EvaluationResult.PASS
        )
        Funding.objects.create(
            studio=studio,
            year=2020,
            amount=Decimal("1000.00"),
            source=FundingSource.SELF,
        )
        LevelChange.objects.create(
            studio=studio,
            to_level=ApprovalLevel.PROVINCIAL,
            changed_on=dt.date(2020, 1, 1 + i),
            document_no=f"文{i}",
        )


def test_earned_honours_show_beside_declared_ones(gy):
    master = TraineeFactory(household_region=region("520102"))
    studio = StudioFactory(host=gy, master_trainee=master)
    StudioHonour.objects.create(
        studio=studio,
        kind=HonourKind.NATIONAL_EXPERT,
        year=2014,
        document_no="人社部发〔2014〕92号",
    )
    asked = []

    def provider(trainee_ids):
        asked.append(sorted(trainee_ids))
        return {
            master.pk: [
                EarnedHonour(
                    "贵州省技术能手",
                    2026,
                    "黔人社发〔2026〕1号",
                    "2026年贵州省焊工技能大赛",
                )
            ]
        }

    with earned_honours.register_temporarily(provider):
        shown = selectors.studio_for_page(studio.pk)
        html = render_to_string("bases/public/studio_facts.html", {"studio": shown})
    assert asked == [[master.pk]]
    assert [(h.name, h.declared) for h in shown.all_honours] == [
        ("全国技术能手", True),
        ("贵州省技术能手", False),
    ]
    assert "2026年贵州省焊工技能大赛" in html
    assert 'data-origin="earned"' in html and 'data-origin="declared"' in html
    assert "平台认定" in html and "申报" in html


def test_no_provider_call_without_a_linked_master(gy):
    studio = StudioFactory(host=gy)
    calls = []
    with earned_honours.register_temporarily(lambda ids: calls.append(ids) or {}):
        selectors.studio_for_page(studio.pk)
    assert calls == []


def test_studio_page_groups_apprentices_by_year_and_sums_funding(gy):
    studio = StudioFactory(host=gy)
    add_studio_rows(studio, 4)
    shown = selectors.studio_for_page(studio.pk)
    assert [(y.year, y.count) for y in shown.apprentice_years] == [
        (2022, 1),
        (2021, 1),
        (2020, 2),
    ]
    assert shown.apprentice_total == 4
    assert shown.funding_received == Decimal("4000.00")
    html = render_to_string("bases/public/studio_facts.html", {"studio": shown})
    assert "2020 年带徒 2 名" in html
    assert "1,000.00" in html


def test_revoked_rows_are_not_public(gy):
    base = TrainingBaseFactory(host=gy, status=RegistryStatus.REVOKED)
    studio = StudioFactory(host=gy, status=RegistryStatus.REVOKED)
    assert not selectors.base_list_public().exists()
    assert not selectors.studio_list_public().exists()
    with pytest.raises(Http404):
        selectors.base_for_page(base.pk)
    with pytest.raises(Http404):
        selectors.studio_for_page(studio.pk)


def test_facts_partials_render_in_english(gy):
    base = TrainingBaseFactory(host=gy, funding=Decimal("1200"))
    Funding.objects.create(
        base=base, year=2024, amount=Decimal("5000"), source=FundingSource.PROVINCIAL
    )
    studio = StudioFactory(host=gy)
    add_studio_rows(studio, 1)
    with translation.override("en"):
        base_html = render_to_string(
            "bases/public/base_facts.html", {"base": selectors.base_for_page(base.pk)}
        )
        studio_html = render_to_string(
            "bases/public/studio_facts.html",
            {"studio": selectors.studio_for_page(studio.pk)},
        )
    assert "Stations" in base_html and "工位数" not in base_html
    assert "1,200.00" in base_html and "5,000.00" in base_html
    assert "Leading master" in studio_html and "领办人" not in studio_html.replace(
        "领办人技能等级", ""
    )
    assert "Apprentices" in studio_html


# --- query counts: constant in the number of rows ----------------------------------------


def _count(fn) -> int:
    with CaptureQueriesContext(connection) as ctx:
        fn()
    return len(ctx.captured_queries)


def _render_base_list():
    for base in selectors.base_list_public():
        _ = (
            base.region.parent,
            base.host.name,
            [o.name for o in base.occupations.all()],
        )


def _render_studio_list():
    for studio in selectors.studio_list_public():
        _ = (studio.region.parent, studio.host.name, studio.occupation.name)


def test_public_lists_query_count_is_flat():
    host = InstitutionFactory(region=region("520302"))
    bases = TrainingBaseFactory.create_batch(2, host=host)
    for base in bases:
        base.occupations.set([ELECTRICIAN])
    StudioFactory.create_batch(2, host=host)
    few = (_count(_render_base_list), _count(_render_studio_list))
    more = TrainingBaseFactory.create_batch(4, host=InstitutionFactory())
    for base in more:
        base.occupations.set([ELECTRICIAN])
    StudioFactory.create_batch(4, host=InstitutionFactory(region=region("520102")))
    assert (_count(_render_base_list), _count(_render_studio_list)) == few
    assert few == (2, 1)


def test_detail_pages_query_count_is_flat(gy):
    master = TraineeFactory(household_region=region("520102"))
    studio = StudioFactory(host=gy, master_trainee=master)
    base = TrainingBaseFactory(host=gy)

    def render():
        render_to_string(
            "bases/public/studio_facts.html",
            {"studio": selectors.studio_for_page(studio.pk)},
        )
        render_to_string(
            "bases/public/base_facts.html", {"base": selectors.base_for_page(base.pk)}
        )

    add_studio_rows(studio, 2)
    for year in (2020, 2021):
        Funding.objects.create(
            base=base, year=year, amount=Decimal("1"), source=FundingSource.SELF
        )
    few = _count(render)
    add_studio_rows(studio, 6, start=2)
    for year in (2022, 2023, 2024, 2025):
        Funding.objects.create(
            base=base, year=year, amount=Decimal("1"), source=FundingSource.SELF
        )
    assert _count(render) == few


# --- demo ---------------------------------------------------------------------------------


def test_demo_registry_facts_are_repeat_safe():
    from demo.bases_registry import NEW_BASES, STUDIO_FACTS, seed_bases_registry
    from demo.skips import SeedNotes

    institutions = {
        "base_operator": InstitutionFactory(region=region("520181")),
        "tea": InstitutionFactory(region=region("520328")),
        "qianbei_tech": InstitutionFactory(region=region("520303")),
        "embroidery": InstitutionFactory(region=region("520111")),
    }
    studio = StudioFactory(
        name="罗建国电工技能大师工作室",
        host=institutions["qianbei_tech"],
        level=ApprovalLevel.NATIONAL,
        master_level=SkillLevel.LEVEL_1,
    )
    seed_bases_registry(institutions, SeedNotes())
    models = (StudioHonour, StudioMember, StudioApprentice, Funding, LevelChange)
    counts = [m.objects.count() for m in models]
    seed_bases_registry(institutions, SeedNotes())
    assert [m.objects.count() for m in models] == counts
    from bases.models import TrainingBase

    assert TrainingBase.objects.count() == len(NEW_BASES)
    facts = STUDIO_FACTS[studio.name]
    assert studio.honours.count() == len(facts.honours)
    assert studio.level_changes.first().to_level == studio.level
    targets = selectors.base_target_counts()
    assert targets["prefecture_upgraded"]["counted"] == 0  # 贵阳's is the foundation's
    assert targets["prefecture_new"]["counted"] == 1  # 遵义
    assert targets["county_new"]["counted"] == 2  # 湄潭, 清镇
    assert all(b.region_id == b.host.region_id for b in TrainingBase.objects.all())
