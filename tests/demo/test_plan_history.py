"""The demo's plan-period history (demo.plan_history): the plan dashboard has figures in
every prefecture and year of 2021–2025, from believable records."""

from collections import Counter

import pytest

from certificates.models import Certificate
from courses.models import (
    AssessmentResult,
    ClassStatus,
    CourseKind,
    Enrolment,
    TrainingClass,
)
from demo.divisions import id_region_code, today_of
from demo.plan_history import CLASSES_PER_YEAR, PREFECTURES, YEARS, history_classes
from demo.services import demo_seed
from monitoring.summary import indicator_rows
from training_platform.reference.models import CertificateKind, Region, RegionLevel
from training_platform.validators import parse_id_number

pytestmark = pytest.mark.django_db


def test_the_dashboard_has_training_in_all_nine_prefectures_every_plan_year():
    demo_seed()

    rows = indicator_rows(
        "training_person_times", regions="52", by="prefecture", year_from=2021
    ).rows
    have = {(row.region_code, row.year) for row in rows if row.value > 0}
    prefectures = set(
        Region.objects.filter(level=RegionLevel.PREFECTURE).values_list(
            "code", flat=True
        )
    )
    assert len(prefectures) == 9 and set(PREFECTURES) == prefectures
    assert {(code, year) for code in prefectures for year in YEARS} <= have
    entrepreneurship = indicator_rows(
        "entrepreneurship_person_times", regions="52", by="prefecture"
    ).rows
    assert {row.year for row in entrepreneurship} & set(YEARS)

    codes = [demo.code for _, _, demo, _ in history_classes()]
    classes = TrainingClass.objects.filter(code__in=codes).select_related("course")
    assert classes.count() == len(codes) == 9 * len(YEARS) * CLASSES_PER_YEAR
    for cls in classes:
        assert cls.status == ClassStatus.FINISHED
        assert cls.start_date.year == cls.end_date.year
        assert cls.start_date.year in YEARS
    assert any(c.course.kind == CourseKind.ENTREPRENEURSHIP for c in classes)
    enrolments = Enrolment.objects.filter(training_class__code__in=codes)
    assert 6 * len(codes) <= enrolments.count() <= min(10 * len(codes), 1500)
    # Each class's people come from its prefecture and are adults when it starts.
    for enrolment in enrolments.select_related("trainee", "training_class"):
        trainee, cls = enrolment.trainee, enrolment.training_class
        info = parse_id_number(trainee.id_number)
        assert today_of(info.region_code)[:4] == cls.region_id[:4]
        assert info.region_code == id_region_code(
            today_of(info.region_code), info.birth_date
        )
        assert trainee.household_region_id[:4] == cls.region_id[:4]
        assert (cls.start_date - trainee.birth_date).days >= 18 * 365

    # Most who passed hold a skill-level certificate issued after their class, and
    # 五级/四级 outnumber 三级 and above.
    certificates = Certificate.objects.filter(
        kind=CertificateKind.SKILL_LEVEL,
        trainee__enrolments__training_class__code__in=codes,
        issued_on__year__lte=2025,
    ).distinct()
    passed = enrolments.filter(result=AssessmentResult.PASSED).exclude(
        training_class__course__kind=CourseKind.ENTREPRENEURSHIP
    )
    assert certificates.count() >= 0.75 * passed.count()
    levels = Counter(certificates.values_list("level", flat=True))
    assert levels["5"] > levels["4"] > levels["3"] > 0
    assert not set(levels) - {"5", "4", "3"}
    skill = indicator_rows("skill_talent", regions="52", by="province").rows
    assert set(YEARS) <= {row.year for row in skill}


def test_a_second_seed_adds_no_history():
    demo_seed()
    again = demo_seed()

    assert again["created"]["classes"] == 0
    assert again["created"]["enrolments"] == 0
    assert again["created"]["certificates"] == 0
    assert again["created"]["trainees"] == 0
