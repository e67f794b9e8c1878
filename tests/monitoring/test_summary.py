"""The indicator summary behind ``monitoring.summary.indicator_rows``: refreshed rows
equal the live query's at every grouping, a missing summary counts live, a stale one is
served with its time while one refresh is queued,
refreshing twice changes nothing, and reading costs the same few queries however many
rows and regions there are."""

import datetime as dt
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from courses.models import ClassStatus, CourseKind
from monitoring.indicators import REGISTRY
from monitoring.models import IndicatorSummary
from monitoring.summary import MARKER, indicator_rows, summary_refresh
from monitoring.tasks import indicator_summary_refresh_task
from subsidies.models import ClaimStatus
from tests.factories import (
    CertificateFactory,
    ClaimFactory,
    CourseFactory,
    EnrolmentFactory,
    InstitutionFactory,
    StudioFactory,
    TrainingBaseFactory,
    TrainingClassFactory,
    region,
)
from training_platform.reference.models import CertificateKind, SkillLevel

pytestmark = pytest.mark.django_db

GROUPINGS = [
    # (regions, by, year_from, year_to): what the dashboard asks for.
    (None, "county", None, None),
    ("52", "province", None, None),
    ("52", "prefecture", None, None),
    ("5201", "county", None, None),
    ("520103", "county", None, None),
    ("52", "prefecture", 2022, 2023),
    ("5203", "province", 2023, None),
]


def finished_class(code, year, kind=CourseKind.EMPLOYMENT):
    return TrainingClassFactory(
        course=CourseFactory(
            institution=InstitutionFactory(region=region(code)), kind=kind
        ),
        region=region(code),
        start_date=dt.date(year, 3, 1),
        end_date=dt.date(year, 3, 21),
        status=ClassStatus.FINISHED,
    )


def records(codes=("520102", "520103", "520302"), years=(2022, 2023)):
    """Something for every registered indicator, in several counties and years."""
    for code in codes:
        for year in years:
            EnrolmentFactory(training_class=finished_class(code, year))
            EnrolmentFactory(
                training_class=finished_class(
                    code, year, kind=CourseKind.ENTREPRENEURSHIP
                )
            )
            for level in (SkillLevel.LEVEL_4, SkillLevel.LEVEL_3):
                CertificateFactory(
                    kind=CertificateKind.SKILL_LEVEL,
                    level=level,
                    issuer=InstitutionFactory(region=region(code)),
                    issued_on=dt.date(year, 6, 1),
                )
            certificate = CertificateFactory(
                issuer=InstitutionFactory(region=region(code)),
                issued_on=dt.date(year, 7, 1),
            )
            ClaimFactory(
                certificate=certificate,
                trainee=certificate.trainee,
                status=ClaimStatus.PAID,
                paid_on=dt.date(year, 9, 1),
                bank_reference=f"B{code}{year}",
            )
    TrainingBaseFactory(build_year=2022)
    StudioFactory(approval_year=2023)


def live(key, regions, by, year_from, year_to):
    return REGISTRY[key](regions=regions, year_from=year_from, year_to=year_to, by=by)


@pytest.mark.parametrize("key", sorted(REGISTRY))
def test_summary_rows_equal_live_rows_at_every_grouping(key, reference):
    records()
    expected = {g: live(key, *g) for g in GROUPINGS}
    assert expected[GROUPINGS[0]], f"{key}: the records give it no rows"
    stored = summary_refresh()
    assert stored[key] == len(expected[GROUPINGS[0]])

    for regions, by, year_from, year_to in GROUPINGS:
        computed = indicator_rows(
            key, regions=regions, by=by, year_from=year_from, year_to=year_to
        )
        assert computed.from_summary
        assert computed.rows == expected[(regions, by, year_from, year_to)]


def test_from_summary_says_when_it_was_refreshed_and_not_now(reference):
    records()
    at = timezone.now() - dt.timedelta(minutes=5)
    summary_refresh(now=at)
    computed = indicator_rows("training_person_times", regions="52", by="province")
    assert computed.from_summary
    assert computed.computed_at == at
    assert sum(r.value for r in computed.rows) == 12


def test_missing_summary_counts_live_and_queues_the_first_refresh(
    reference, django_capture_on_commit_callbacks
):
    records()
    with django_capture_on_commit_callbacks(execute=True) as queued:
        computed = indicator_rows("training_person_times")  # never refreshed
    assert not computed.from_summary
    assert computed.rows == live("training_person_times", None, "county", None, None)
    assert len(queued) == 1  # the refresh ran (immediate backend in tests)
    again = indicator_rows("training_person_times")
    assert again.from_summary and again.rows == computed.rows


def test_stale_summary_is_served_with_its_time_and_queues_one_refresh(
    reference, settings, django_capture_on_commit_callbacks
):
    records()
    settings.MONITORING_SUMMARY_MAX_AGE = 600
    refreshed = timezone.now() - dt.timedelta(minutes=11)
    summary_refresh(now=refreshed)
    EnrolmentFactory(training_class=finished_class("520102", 2022))  # after it
    with django_capture_on_commit_callbacks(execute=False) as queued:
        first = indicator_rows("training_person_times", by="province")
        second = indicator_rows("training_person_times", by="province")
    # Served at once from the summary, saying when it was counted: not the new row.
    assert first.from_summary and first.computed_at == refreshed
    assert sum(r.value for r in first.rows) == 12
    assert second.computed_at == refreshed
    assert len(queued) == 1  # two stale reads, one refresh queued
    queued[0]()  # the worker runs it
    fresh = indicator_rows("training_person_times", by="province")
    assert fresh.from_summary and fresh.computed_at > refreshed
    assert sum(r.value for r in fresh.rows) == 13  # the new enrolment now counted


def test_fresh_summary_queues_nothing(
    reference, settings, django_capture_on_commit_callbacks
):
    records()
    settings.MONITORING_SUMMARY_MAX_AGE = 3600
    summary_refresh(now=timezone.now() - dt.timedelta(minutes=11))
    with django_capture_on_commit_callbacks(execute=False) as queued:
        computed = indicator_rows("training_person_times", by="province")
    assert computed.from_summary and queued == []


def test_an_indicator_without_rows_is_served_from_the_summary_too(reference):
    summary_refresh()
    computed = indicator_rows("master_studios", regions="52", by="province")
    assert computed.from_summary
    assert computed.rows == []


def test_unknown_query_key_fails_summary_or_not(reference):
    summary_refresh()
    with pytest.raises(KeyError):
        indicator_rows("no_such_indicator")


def test_refresh_is_idempotent_and_replaces_what_changed(reference):
    records()
    first = summary_refresh()

    def snapshot():
        return sorted(
            IndicatorSummary.objects.values_list(
                "query_key", "region_code", "year", "key", "value"
            )
        )

    before = snapshot()
    assert summary_refresh() == first
    assert snapshot() == before
    assert IndicatorSummary.objects.filter(region_code=MARKER).count() == len(REGISTRY)

    EnrolmentFactory(training_class=finished_class("520102", 2024))
    summary_refresh()
    rows = indicator_rows("training_person_times", regions="520102").rows
    assert [(r.year, r.value) for r in rows] == [(2022, 2), (2023, 2), (2024, 1)]


def test_refresh_and_read_cost_a_constant_number_of_queries(
    reference, django_assert_num_queries, django_assert_max_num_queries
):
    def refresh_cost():
        # One count per registered indicator, one delete, the inserts in batches (the
        # summary's size grows with counties × years × keys, never with records).
        with django_assert_max_num_queries(len(REGISTRY) + 10) as ctx:
            summary_refresh()
        return len(ctx.captured_queries)

    def read_costs():
        for regions, by, year_from, year_to in GROUPINGS:
            for key in ("certificates", "training_person_times"):
                with django_assert_num_queries(2):  # freshness, then the rows
                    indicator_rows(
                        key,
                        regions=regions,
                        by=by,
                        year_from=year_from,
                        year_to=year_to,
                    )

    records(codes=("520102", "520302"), years=(2022,))
    small = refresh_cost()
    read_costs()
    records(codes=("520102", "520302"), years=(2022,))  # twice the records
    assert refresh_cost() == small
    read_costs()
    records(codes=("520103", "520402", "522301"), years=(2021, 2024, 2025))
    refresh_cost()
    read_costs()  # more regions and years: still two queries a read


def test_the_task_and_the_command_refresh_the_summary(reference):
    records(codes=("520102",), years=(2022,))
    result = indicator_summary_refresh_task.enqueue()  # tests run tasks immediately
    assert result.return_value["training_person_times"] == 1
    assert indicator_rows("training_person_times").from_summary

    IndicatorSummary.objects.all().delete()
    out = StringIO()
    call_command("refresh_indicator_summary", stdout=out)
    assert "指标统计汇总已刷新" in out.getvalue()
    assert indicator_rows("skill_talent").from_summary
