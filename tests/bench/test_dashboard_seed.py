"""bench/dashboard.py at a tiny size: the province-scale seed writes what the plan
dashboard counts (every county's years, 创业培训, certificates, paid claims), and the
timing loop reports every registered indicator at every grouping, live and from the
summary, in a constant number of queries."""

import pytest
from django.db.models import Count

from bench import dashboard
from certificates.models import Certificate
from courses.models import ClassStatus, CourseKind, Enrolment, TrainingClass
from monitoring.indicators import REGISTRY
from monitoring.summary import summary_refresh
from subsidies.models import Claim, ClaimStatus
from trainees.models import Trainee

pytestmark = pytest.mark.django_db


def test_seed_writes_a_small_province(reference):
    result = dashboard.seed(5000)

    assert result["enrolments"] == Enrolment.objects.count() == 5000
    assert result["trainees"] == Trainee.objects.count()
    assert result["certificates"] == Certificate.objects.count() == 3000
    assert (
        result["paid_claims"] == Claim.objects.filter(status=ClaimStatus.PAID).count()
    )
    assert (result["prefectures"], result["counties"]) == (9, 88)
    # Valid, distinct people: a class never has the same person twice.
    assert not (
        Enrolment.objects.values("trainee", "training_class")
        .annotate(n=Count("pk"))
        .filter(n__gt=1)
        .exists()
    )
    assert (
        Trainee.objects.values("id_number_hash").distinct().count()
        == result["trainees"]
    )
    years = set(
        TrainingClass.objects.filter(status=ClassStatus.FINISHED).values_list(
            "end_date__year", flat=True
        )
    )
    assert years == set(dashboard.YEARS)
    assert TrainingClass.objects.exclude(status=ClassStatus.FINISHED).exists()
    assert Enrolment.objects.filter(
        training_class__course__kind=CourseKind.ENTREPRENEURSHIP
    ).exists()
    prefectures = {
        c[:4] for c in TrainingClass.objects.values_list("region", flat=True)
    }
    assert len(prefectures) == 9  # every prefecture has classes


def test_queries_are_timed_live_and_from_the_summary(reference):
    dashboard.seed(1000)
    live = dashboard.time_queries(rounds=1)
    assert set(live) == {
        f"{key}/{label}" for key in REGISTRY for label, *_ in dashboard.GROUPINGS
    }
    assert not any(t["from_summary"] for t in live.values())
    assert {t["queries"] for t in live.values()} == {2}  # freshness check + the count
    assert live["training_person_times/province"]["rows"] == len(dashboard.YEARS)

    summary_refresh()
    served = dashboard.time_queries(rounds=1)
    assert all(t["from_summary"] for t in served.values())
    assert {t["queries"] for t in served.values()} == {2}
    assert {k: t["rows"] for k, t in served.items()} == {
        k: t["rows"] for k, t in live.items()
    }
