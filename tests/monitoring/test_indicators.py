"""Plan monitoring data layer: computed indicators (one GROUP BY each), region roll-up,
status against the time-proportional target, reported figures kept apart and approved
by a second bureau person, and the plan's seeded indicators."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from courses.models import ClassStatus, CourseKind, EnrolmentStatus
from monitoring import indicators
from monitoring.indicators import (
    REGISTRY,
    Row,
    indicator_status,
    roll_up,
    share_of_period,
)
from monitoring.models import FigureStatus, Indicator, IndicatorTarget, Measure
from monitoring.services import (
    approve_reported_figure,
    approved_figures,
    enter_reported_figure,
)
from subsidies.models import ClaimStatus, SubsidyKind
from tests.factories import (
    CertificateFactory,
    ClaimFactory,
    CourseFactory,
    EnrolmentFactory,
    IndicatorFactory,
    InstitutionFactory,
    ReportedFigureFactory,
    StudioFactory,
    TraineeFactory,
    TrainingBaseFactory,
    TrainingClassFactory,
    region,
    staff_user,
)
from training_platform.audit.models import AuditEvent
from training_platform.reference.models import CertificateKind, SkillLevel
from training_platform.roles import Role

pytestmark = pytest.mark.django_db


def finished_class(code="520102", year=2022, kind=CourseKind.EMPLOYMENT):
    institution = InstitutionFactory(region=region(code))
    return TrainingClassFactory(
        course=CourseFactory(institution=institution, kind=kind),
        region=region(code),
        start_date=dt.date(year, 3, 1),
        end_date=dt.date(year, 3, 21),
        status=ClassStatus.FINISHED,
    )


def as_dict(rows):
    return {(r.region_code, r.year, r.key): r.value for r in rows}


# --- 人次 ---------------------------------------------------------------------------------


def test_person_times_count_each_enrolment_so_a_person_trained_twice_counts_twice():
    person = TraineeFactory()
    EnrolmentFactory(trainee=person, training_class=finished_class())
    EnrolmentFactory(trainee=person, training_class=finished_class())
    EnrolmentFactory(training_class=finished_class())
    rows = indicators.training_person_times()
    assert as_dict(rows) == {("520102", 2022, ""): Decimal(3)}


def test_person_times_leave_out_withdrawn_enrolments_and_unfinished_classes():
    done = finished_class()
    EnrolmentFactory(training_class=done)
    EnrolmentFactory(
        training_class=done,
        status=EnrolmentStatus.WITHDRAWN,
        withdrawn_at=timezone.now(),
    )
    running = finished_class()
    running.status = ClassStatus.RUNNING
    running.save(update_fields=["status"])
    EnrolmentFactory(training_class=running)
    assert as_dict(indicators.training_person_times()) == {
        ("520102", 2022, ""): Decimal(1)
    }


def test_entrepreneurship_counts_only_courses_of_that_kind_and_is_within_training():
    EnrolmentFactory(training_class=finished_class(kind=CourseKind.ENTREPRENEURSHIP))
    EnrolmentFactory(training_class=finished_class(kind=CourseKind.EMPLOYMENT))
    assert as_dict(indicators.entrepreneurship_person_times()) == {
        ("520102", 2022, ""): Decimal(1)
    }
    assert as_dict(indicators.training_person_times()) == {
        ("520102", 2022, ""): Decimal(2)
    }


# --- years and regions ---------------------------------------------------------------


def test_rows_are_grouped_by_year_and_filtered_by_years():
    EnrolmentFactory(training_class=finished_class(year=2021))
    EnrolmentFactory(training_class=finished_class(year=2023))
    EnrolmentFactory(training_class=finished_class(year=2023))
    assert as_dict(indicators.training_person_times()) == {
        ("520102", 2021, ""): Decimal(1),
        ("520102", 2023, ""): Decimal(2),
    }
    assert as_dict(indicators.training_person_times(year_from=2022, year_to=2025)) == {
        ("520102", 2023, ""): Decimal(2)
    }
    assert indicators.training_person_times(year_from=2024) == []


def test_a_countys_rows_add_up_to_its_prefecture_and_the_province():
    EnrolmentFactory(training_class=finished_class("520102"))  # 南明区, 贵阳
    EnrolmentFactory(training_class=finished_class("520103"))  # 云岩区, 贵阳
    EnrolmentFactory(training_class=finished_class("520103"))
    EnrolmentFactory(training_class=finished_class("520302"))  # 红花岗区, 遵义
    county = indicators.training_person_times()
    assert as_dict(county) == {
        ("520102", 2022, ""): 1,
        ("520103", 2022, ""): 2,
        ("520302", 2022, ""): 1,
    }
    by_prefecture = {("520100", 2022, ""): 3, ("520300", 2022, ""): 1}
    assert as_dict(indicators.training_person_times(by="prefecture")) == by_prefecture
    assert as_dict(roll_up(county, by="prefecture")) == by_prefecture
    assert as_dict(indicators.training_person_times(by="province")) == {
        ("520000", 2022, ""): 4
    }
    assert as_dict(roll_up(county, by="province")) == {("520000", 2022, ""): 4}
    # A region prefix keeps that prefecture (or county) and what lies under it.
    assert as_dict(indicators.training_person_times(regions="5201")) == {
        ("520102", 2022, ""): 1,
        ("520103", 2022, ""): 2,
    }
    assert as_dict(
        indicators.training_person_times(regions="5203", by="prefecture")
    ) == {("520300", 2022, ""): 1}


# --- skill talent ----------------------------------------------------------------------


def skill_certificate(level, *, kind=CertificateKind.SKILL_LEVEL, code="520102", **kw):
    return CertificateFactory(
        kind=kind,
        level=level,
        issuer=InstitutionFactory(region=region(code)),
        issued_on=kw.pop("issued_on", dt.date(2023, 6, 1)),
        **kw,
    )


def test_high_skill_is_level_three_and_above_and_level_four_is_not():
    skill_certificate(SkillLevel.LEVEL_4)
    skill_certificate(SkillLevel.LEVEL_3)
    skill_certificate(SkillLevel.LEVEL_2, kind=CertificateKind.QUALIFICATION)
    skill_certificate(SkillLevel.LEVEL_1)
    assert as_dict(indicators.high_skill_talent()) == {
        ("520102", 2023, "1"): 1,
        ("520102", 2023, "2"): 1,
        ("520102", 2023, "3"): 1,
    }
    assert as_dict(indicators.skill_talent()) == {
        ("520102", 2023, "1"): 1,
        ("520102", 2023, "2"): 1,
        ("520102", 2023, "3"): 1,
        ("520102", 2023, "4"): 1,
    }


def test_skill_talent_counts_valid_skill_certificates_only():
    skill_certificate(SkillLevel.LEVEL_3)
    skill_certificate(
        SkillLevel.LEVEL_3,
        status="revoked",
        revoked_at=timezone.now(),
        revoked_reason="测试",
    )
    CertificateFactory(kind=CertificateKind.TRAINING, issued_on=dt.date(2023, 1, 5))
    total = sum(r.value for r in indicators.skill_talent())
    assert total == 1
    by_kind = as_dict(indicators.certificates_by_kind_level())
    assert by_kind[("520102", 2023, "skill_level:3")] == 1
    assert by_kind[("520102", 2023, "training:")] == 1


# --- subsidies and bases -----------------------------------------------------------------


def test_subsidy_paid_sums_paid_claims_by_kind_and_year_paid():
    paid = ClaimFactory(
        status=ClaimStatus.PAID, paid_on=dt.date(2024, 5, 1), bank_reference="B1"
    )
    ClaimFactory()  # submitted, not paid
    rows = indicators.subsidy_paid()
    assert as_dict(rows) == {
        (paid.region_id.ljust(6, "0"), 2024, SubsidyKind.SKILL_UPGRADE): paid.amount
    }
    assert isinstance(rows[0].value, Decimal)


def test_bases_and_studios_by_level_leave_out_revoked():
    TrainingBaseFactory(build_year=2022)
    TrainingBaseFactory(build_year=2022, status="revoked")
    StudioFactory(approval_year=2023)
    assert as_dict(indicators.training_bases()) == {
        ("520102", 2022, "public_training:prefecture"): 1
    }
    assert [(r.year, r.key, r.value) for r in indicators.master_studios()] == [
        (2023, "provincial", 1)
    ]


# --- one query each ---------------------------------------------------------------------


@pytest.mark.parametrize("key", sorted(REGISTRY))
def test_each_indicator_is_one_query_however_many_rows_and_regions(
    key, django_assert_num_queries
):
    with django_assert_num_queries(1):
        REGISTRY[key]()
    for code in ("520102", "520103", "520302"):
        EnrolmentFactory(training_class=finished_class(code))
        EnrolmentFactory(
            training_class=finished_class(code, kind=CourseKind.ENTREPRENEURSHIP)
        )
        skill_certificate(SkillLevel.LEVEL_3, code=code)
        ClaimFactory(
            certificate=skill_certificate(SkillLevel.LEVEL_4, code=code),
            status=ClaimStatus.PAID,
            paid_on=dt.date(2024, 1, 2),
            bank_reference=f"B{code}",
        )
        TrainingBaseFactory(
            build_year=2022, host=InstitutionFactory(region=region(code))
        )
        StudioFactory(approval_year=2022, host=InstitutionFactory(region=region(code)))
    with django_assert_num_queries(1):
        rows = REGISTRY[key](year_from=2021, year_to=2025)
    assert len({r.region_code for r in rows}) == 3
    with django_assert_num_queries(1):
        REGISTRY[key](regions="52", by="prefecture")


# --- status ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("actual", "share", "expected"),
    [
        (400, Decimal("0.5"), "done"),  # target reached
        (180, Decimal("0.5"), "on_track"),  # 90% of 200
        (179, Decimal("0.5"), "at_risk"),
        (140, Decimal("0.5"), "at_risk"),  # 70% of 200
        (139, Decimal("0.5"), "behind"),
        (0, Decimal("0"), "on_track"),  # nothing expected yet
    ],
)
def test_status_against_the_time_proportional_target(actual, share, expected):
    assert indicator_status(actual, 400, share) == expected


def test_status_uses_the_thresholds_stored_with_the_indicator():
    assert indicator_status(150, 400, Decimal("0.5")) == "at_risk"
    assert (
        indicator_status(
            150,
            400,
            Decimal("0.5"),
            on_track_share=Decimal("0.75"),
            at_risk_share=Decimal("0.5"),
        )
        == "on_track"
    )


def test_share_of_period_and_the_indicators_own_status():
    assert share_of_period(2021, 2025, dt.date(2020, 6, 1)) == 0
    assert share_of_period(2021, 2025, dt.date(2022, 12, 31)) == Decimal(730) / Decimal(
        1826
    )
    assert share_of_period(2021, 2025, dt.date(2026, 3, 1)) == 1
    training = Indicator.objects.get(code="vocational_training")  # 400 万人次
    end_of_2022 = dt.date(2022, 12, 31)  # 2/5 of the period: 160 万 expected
    assert training.status_of(1_500_000, on=end_of_2022) == "on_track"
    assert training.status_of(1_000_000, on=end_of_2022) == "behind"
    training.on_track_share, training.at_risk_share = Decimal("0.6"), Decimal("0.5")
    assert training.status_of(1_000_000, on=end_of_2022) == "on_track"
    assert training.status_of(4_000_000, on=end_of_2022) == "done"


# --- reported figures ----------------------------------------------------------------


def reported(code="technical_school_enrolment"):
    return Indicator.objects.get(code=code)


def test_a_reported_figure_is_approved_by_a_second_bureau_person_and_audited():
    clerk = staff_user(Role.BUREAU, region_code="520000")
    chief = staff_user(Role.BUREAU, region_code="520000")
    figure = enter_reported_figure(
        actor=clerk,
        indicator=reported(),
        region=region("520000"),
        year=2022,
        value=Decimal("31250"),
        source="省人社厅技工院校招生统计",
        source_date=dt.date(2022, 12, 31),
    )
    assert figure.status == FigureStatus.DRAFT
    assert list(approved_figures(indicator=reported())) == []
    with pytest.raises(PermissionDenied):
        approve_reported_figure(actor=clerk, figure=figure)
    approve_reported_figure(actor=chief, figure=figure)
    figure.refresh_from_db()
    assert (figure.status, figure.approved_by) == (FigureStatus.APPROVED, chief)
    assert list(approved_figures(indicator=reported())) == [figure]
    actions = AuditEvent.objects.filter(
        object_type="monitoring.reportedfigure", object_id=str(figure.pk)
    ).values_list("action", "actor")
    assert set(actions) == {
        ("monitoring.figure_entered", clerk.pk),
        ("monitoring.figure_approved", chief.pk),
    }
    with pytest.raises(ValidationError):
        enter_reported_figure(
            actor=clerk,
            indicator=reported(),
            region=region("520000"),
            year=2022,
            value=Decimal("1"),
            source="改",
            source_date=dt.date(2023, 1, 1),
        )


def test_the_database_refuses_a_figure_approved_by_the_person_who_entered_it():
    clerk = staff_user(Role.BUREAU, region_code="520000")
    with pytest.raises(IntegrityError), transaction.atomic():
        ReportedFigureFactory(
            entered_by=clerk,
            approved_by=clerk,
            approved_at=timezone.now(),
            status=FigureStatus.APPROVED,
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        ReportedFigureFactory(status=FigureStatus.APPROVED)  # no approver
    with pytest.raises(IntegrityError), transaction.atomic():
        IndicatorFactory(measure=Measure.COMPUTED, query_key="")


def test_only_bureau_staff_of_the_region_report_and_only_for_reported_indicators():
    zunyi = staff_user(Role.BUREAU, region_code="520300")
    institution_user = staff_user(Role.INSTITUTION, institution=InstitutionFactory())
    fields = {
        "year": 2022,
        "value": Decimal("1"),
        "source": "统计",
        "source_date": dt.date(2022, 12, 31),
    }
    for actor in (zunyi, institution_user):
        with pytest.raises(PermissionDenied):
            enter_reported_figure(
                actor=actor, indicator=reported(), region=region("520102"), **fields
            )
    with pytest.raises(ValidationError):
        enter_reported_figure(
            actor=zunyi,
            indicator=reported("vocational_training"),
            region=region("520302"),
            **fields,
        )


def test_reported_figures_are_never_in_computed_rows():
    clerk = staff_user(Role.BUREAU, region_code="520000")
    chief = staff_user(Role.BUREAU, region_code="520000")
    figure = enter_reported_figure(
        actor=clerk,
        indicator=reported("skill_workers_total"),
        region=region("520102"),
        year=2022,
        value=Decimal("500"),
        source="统计",
        source_date=dt.date(2022, 12, 31),
    )
    approve_reported_figure(actor=chief, figure=figure)
    assert indicators.skill_talent() == []
    assert indicators.high_skill_talent() == []


# --- the seeded plan ------------------------------------------------------------------


def test_the_plans_indicators_and_targets_are_seeded_by_the_migration():
    seeded = {i.code: i for i in Indicator.objects.all()}
    expect = {
        "vocational_training": ("4000000", "computed", "training_person_times"),
        "entrepreneurship_training": (
            "250000",
            "computed",
            "entrepreneurship_person_times",
        ),
        "skill_talent": ("600000", "computed", "skill_talent"),
        "high_skill_talent": ("150000", "computed", "high_skill_talent"),
        "technical_school_enrolment": ("150000", "reported", ""),
        "prefecture_bases_new": ("4", "computed", "training_bases"),
        "prefecture_bases_upgraded": ("5", "computed", "training_bases"),
        "county_bases_new": ("45", "computed", "training_bases"),
        "skill_workers_total": ("2550000", "reported", ""),
        "high_skill_workers_total": ("600000", "reported", ""),
    }
    for code, (target, measure, key) in expect.items():
        indicator = seeded[code]
        assert (indicator.target, indicator.measure, indicator.query_key) == (
            Decimal(target),
            measure,
            key,
        )
        assert (indicator.period_start, indicator.period_end) == (2021, 2025)
        assert not key or key in REGISTRY
    yearly = IndicatorTarget.objects.filter(
        indicator__code="vocational_training", region_code=""
    )
    assert sorted(yearly.values_list("year", "target")) == [
        (year, Decimal("800000")) for year in range(2021, 2026)
    ]
    assert set(
        IndicatorTarget.objects.filter(
            indicator__code="prefecture_bases_new"
        ).values_list("region_code", flat=True)
    ) == {"520300", "520200", "520600", "522300"}


def test_row_defaults():
    assert Row("520100", 2022, Decimal(1)).key == ""
