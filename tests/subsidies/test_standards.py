"""Which 补贴标准 applies to a case, and saving standards without overlaps."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from subsidies.models import PayeeKind, SubsidyKind, SubsidyStandard
from subsidies.standards import Case, standard_overlaps, standard_save, standards_for
from tests.factories import StandardFactory, UserFactory, region
from training_platform.audit.models import AuditEvent
from training_platform.reference.models import (
    CertificateKind,
    KeyGroup,
    Occupation,
    SkillLevel,
)

pytestmark = pytest.mark.django_db

DAY = dt.date(2025, 6, 1)


def case(**kw) -> Case:
    values = {
        "kind": SubsidyKind.SKILL_UPGRADE,
        "payee": PayeeKind.PERSON,
        "certificate_kind": CertificateKind.SKILL_LEVEL,
        "level": SkillLevel.LEVEL_4,
        "occupation_id": occupations()[0].pk,
        "region_code": "520102",
        "day": DAY,
    }
    values.update(kw)
    return Case(**values)


def occupations(n=3) -> list[Occupation]:
    return list(Occupation.objects.order_by("code")[:n])


def with_occupations(standard, items):
    standard.occupations.set(items)
    return standard


def test_the_prefecture_standard_wins_over_the_province_one():
    StandardFactory(amount=Decimal("1500.00"))
    guiyang = StandardFactory(region=region("520100"), amount=Decimal("1600.00"))
    zunyi_case = case(region_code="520302")
    assert standards_for([case(), zunyi_case]) == [
        guiyang,
        SubsidyStandard.objects.get(region_id="520000"),
    ]


def test_a_standard_listing_the_occupation_wins_and_others_do_not_take_it():
    general = StandardFactory()
    first, second, third = occupations()
    shortage = with_occupations(
        StandardFactory(amount=Decimal("1800.00")), [first, second]
    )
    found = standards_for([case(occupation_id=first.pk), case(occupation_id=third.pk)])
    assert found == [shortage, general]


def test_a_listed_province_standard_loses_to_a_prefecture_one():
    first = occupations()[0]
    with_occupations(StandardFactory(amount=Decimal("1800.00")), [first])
    local = StandardFactory(region=region("520100"))
    assert standards_for([case(occupation_id=first.pk)]) == [local]


def test_a_standard_applies_only_within_its_dates_and_when_active():
    StandardFactory(valid_from=dt.date(2025, 1, 1), valid_to=dt.date(2025, 12, 31))
    later = StandardFactory(valid_from=dt.date(2026, 1, 1), amount=Decimal("1700"))
    StandardFactory(valid_from=dt.date(2027, 1, 1), is_active=False)
    found = standards_for(
        [
            case(day=dt.date(2024, 12, 31)),
            case(day=dt.date(2025, 12, 31)),
            case(day=dt.date(2026, 1, 1)),
            case(day=dt.date(2028, 1, 1)),
        ]
    )
    assert [s and s.amount for s in found] == [None, Decimal("1500.00"), 1700, 1700]
    assert found[3] == later


def test_the_level_must_match_and_a_blank_level_matches_only_a_blank_level():
    level_4 = StandardFactory()
    training = StandardFactory(
        kind=SubsidyKind.TRAINING,
        payee=PayeeKind.INSTITUTION,
        certificate_kind=CertificateKind.TRAINING,
        level="",
        amount=Decimal("800.00"),
    )
    found = standards_for(
        [
            case(level=SkillLevel.LEVEL_3),
            case(level=SkillLevel.LEVEL_4),
            case(level=""),
            case(
                kind=SubsidyKind.TRAINING,
                payee=PayeeKind.INSTITUTION,
                certificate_kind=CertificateKind.TRAINING,
                level="",
            ),
            case(
                kind=SubsidyKind.TRAINING,
                payee=PayeeKind.INSTITUTION,
                certificate_kind=CertificateKind.TRAINING,
                level=SkillLevel.LEVEL_4,
            ),
        ]
    )
    assert found == [None, level_4, None, training, None]


def test_kind_and_payee_must_match():
    StandardFactory()
    assert standards_for(
        [
            case(kind=SubsidyKind.EVALUATION),
            case(payee=PayeeKind.INSTITUTION),
            case(certificate_kind=CertificateKind.QUALIFICATION),
        ]
    ) == [None, None, None]


def test_a_standard_listing_key_groups_applies_only_to_their_members():
    general = StandardFactory()
    group = KeyGroup.objects.order_by("code").first()
    for_group = StandardFactory(amount=Decimal("2000.00"))
    for_group.key_groups.set([group])
    found = standards_for([case(), case(key_groups=frozenset({group.pk}))])
    assert found == [general, for_group]


def test_standards_for_takes_the_same_queries_for_one_case_or_five_hundred():
    StandardFactory()
    StandardFactory(region=region("520100"), amount=Decimal("1600.00"))
    with_occupations(StandardFactory(amount=Decimal("1800.00")), occupations()[:2])
    codes = [o.pk for o in occupations()]
    single = case()
    many = [
        case(
            occupation_id=codes[i % 3],
            region_code=("520102", "520302", "522301")[i % 3],
            level=(SkillLevel.LEVEL_4, SkillLevel.LEVEL_3)[i % 2],
            day=DAY + dt.timedelta(days=i),
        )
        for i in range(500)
    ]
    with CaptureQueriesContext(connection) as one:
        assert standards_for([single])[0] is not None
    with CaptureQueriesContext(connection) as five_hundred:
        found = standards_for(many)
    assert len(one) == len(five_hundred) == 3
    assert len(found) == 500 and found[1] is None  # level 3: no standard


def test_standards_for_no_cases_asks_nothing(django_assert_num_queries):
    with django_assert_num_queries(0):
        assert standards_for([]) == []


# --- saving -----------------------------------------------------------------------------


def new_standard(**kw) -> SubsidyStandard:
    values = {
        "name": "技能提升补贴（中级）",
        "kind": SubsidyKind.SKILL_UPGRADE,
        "payee": PayeeKind.PERSON,
        "certificate_kind": CertificateKind.SKILL_LEVEL,
        "level": SkillLevel.LEVEL_4,
        "amount": Decimal("1500.00"),
        "valid_from": dt.date(2025, 1, 1),
        "region": region("520000"),
    }
    values.update(kw)
    return SubsidyStandard(**values)


def test_an_overlapping_standard_is_refused_with_the_name_of_the_one_it_overlaps():
    StandardFactory(name="现行中级标准", valid_to=dt.date(2025, 12, 31))
    with pytest.raises(ValidationError) as caught:
        standard_save(
            standard=new_standard(valid_from=dt.date(2025, 12, 1)), actor=None
        )
    assert "现行中级标准" in str(caught.value) and "重叠" in str(caught.value)
    assert SubsidyStandard.objects.count() == 1
    assert not AuditEvent.objects.filter(action="subsidies.standard.saved").exists()


def test_two_listed_standards_sharing_an_occupation_overlap():
    first, second, third = occupations()
    with_occupations(StandardFactory(name="急需紧缺A"), [first, second])
    with pytest.raises(ValidationError, match="急需紧缺A"):
        standard_save(standard=new_standard(), occupations=[second, third])
    standard_save(standard=new_standard(), occupations=[third])
    assert SubsidyStandard.objects.count() == 2


def test_a_listed_standard_does_not_overlap_an_unlisted_one():
    StandardFactory()
    saved = standard_save(
        standard=new_standard(amount=Decimal("1800.00")), occupations=occupations(2)
    )
    assert set(saved.occupations.values_list("pk", flat=True)) == {
        o.pk for o in occupations(2)
    }


def test_standards_of_other_dates_levels_or_regions_do_not_overlap():
    StandardFactory(valid_to=dt.date(2025, 12, 31))
    standard_save(standard=new_standard(valid_from=dt.date(2026, 1, 1)))
    standard_save(standard=new_standard(level=SkillLevel.LEVEL_3))
    standard_save(standard=new_standard(region=region("520100")))
    standard_save(standard=new_standard(is_active=False))
    assert SubsidyStandard.objects.count() == 5


def test_an_open_ended_standard_overlaps_a_later_one():
    StandardFactory(name="长期标准")  # valid_to None
    overlapping = standard_overlaps(new_standard(valid_from=dt.date(2030, 1, 1)))
    assert [s.name for s in overlapping] == ["长期标准"]


def test_editing_a_standard_does_not_overlap_itself_and_audits_the_amounts():
    actor = UserFactory()
    standard = StandardFactory()
    standard.amount = Decimal("1600.00")
    standard_save(standard=standard, actor=actor)
    event = AuditEvent.objects.get(action="subsidies.standard.saved")
    assert event.before["amount"] == "1500.00" and event.after["amount"] == "1600.00"
    assert event.actor == actor and event.object_id == str(standard.pk)


def test_a_county_region_or_dates_out_of_order_are_refused():
    with pytest.raises(ValidationError) as caught:
        standard_save(standard=new_standard(region=region("520102")))
    assert "全省或某一市（州）" in str(caught.value)
    with pytest.raises(ValidationError):
        standard_save(
            standard=new_standard(
                valid_from=dt.date(2025, 2, 1), valid_to=dt.date(2025, 1, 1)
            )
        )
    assert not SubsidyStandard.objects.exists()


# --- demo values ------------------------------------------------------------------------


def test_the_demo_standards_load_once_and_resolve_as_domain_md_says():
    from subsidies.demo_standards import DEMO_STANDARDS, demo_standards_load

    assert demo_standards_load() == len(DEMO_STANDARDS)
    assert demo_standards_load() == 0  # repeat-safe
    assert SubsidyStandard.objects.count() == len(DEMO_STANDARDS)
    electrician, welder = "6-31-01-03", "6-18-02-04"
    found = standards_for(
        [
            case(level=SkillLevel.LEVEL_5, occupation_id=welder),
            case(level=SkillLevel.LEVEL_4, occupation_id=welder),
            case(level=SkillLevel.LEVEL_3, occupation_id=welder),
            case(level=SkillLevel.LEVEL_4, occupation_id=electrician),
            case(level=SkillLevel.LEVEL_4, day=dt.date(2027, 1, 1)),
            case(
                kind=SubsidyKind.TRAINING,
                payee=PayeeKind.INSTITUTION,
                certificate_kind=CertificateKind.TRAINING,
                level="",
            ),
        ]
    )
    assert [s and s.amount for s in found[:4]] == [1000, 1500, 2000, 1800]
    assert found[3].extra_uses_per_year == 2 and found[1].uses_per_year == 1
    assert found[4] is None
    assert found[5].payee == PayeeKind.INSTITUTION


def test_the_demo_leaves_a_changed_standard_alone_and_skips_a_refused_one():
    from demo.skips import SeedNotes
    from subsidies.demo_standards import DEMO_STANDARDS, demo_standards_load

    StandardFactory(name="手工录入的中级标准", valid_from=dt.date(2024, 1, 1))
    notes = SeedNotes()
    created = demo_standards_load(notes=notes)
    assert created == len(DEMO_STANDARDS) - 1
    assert len(notes.items) == 1 and "技能提升补贴（中级）" in notes.items[0]
    changed = SubsidyStandard.objects.get(name="技能提升补贴（初级）")
    changed.amount = Decimal("999.00")
    changed.save()
    assert demo_standards_load(notes=notes) == 0
    changed.refresh_from_db()
    assert changed.amount == Decimal("999.00")


def test_a_standard_claims_rest_on_keeps_its_case_and_covers_their_dates():
    from tests.factories import ClaimFactory

    claim = ClaimFactory()
    standard = claim.standard
    standard.level = SkillLevel.LEVEL_3
    with pytest.raises(ValidationError, match="已有申领按此标准核定"):
        standard_save(standard=standard)
    standard.level = SkillLevel.LEVEL_4
    standard.valid_to = claim.basis_date - dt.timedelta(days=1)
    with pytest.raises(ValidationError, match=claim.basis_date.isoformat()):
        standard_save(standard=standard)
    # The amount and an end date after the claims may change (claims keep their amount).
    standard.valid_to = claim.basis_date
    standard.amount = Decimal("1600.00")
    standard_save(standard=standard)
    claim.refresh_from_db()
    assert claim.amount == Decimal("1500.00")
    # A standard no claim rests on may change its case.
    free = StandardFactory(valid_from=dt.date(2030, 1, 1))
    free.level = SkillLevel.LEVEL_3
    standard_save(standard=free)
