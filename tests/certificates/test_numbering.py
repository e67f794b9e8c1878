"""Certificate numbers: the national skill-level format, our own formats, serials."""

import datetime as dt
import threading

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone

from bases.models import InstitutionKind, TrainingInstitution
from certificates import services
from certificates.models import Certificate, CertificateSeries
from certificates.numbering import (
    MAX_SERIAL,
    OTHER_NUMBER,
    SKILL_LEVEL_NUMBER,
    format_number,
    is_valid_number,
    number_prefix,
    reserve_serials,
)
from courses.models import ClassStatus
from tests.factories import (
    CourseFactory,
    InstitutionFactory,
    TraineeFactory,
    TrainingClassFactory,
    evaluation_org,
    passed_enrolment,
    region,
    staff_user,
)
from training_platform.audit.models import AuditEvent
from training_platform.reference.models import CertificateKind, Occupation, SkillLevel
from training_platform.roles import Role

pytestmark = pytest.mark.django_db

YY = f"{timezone.localdate():%y}"


def electrician():
    return Occupation.objects.get(code="6-31-01-03")


def evaluate(actor, trainee=None, level=SkillLevel.LEVEL_4, **kw):
    return services.certificate_issue_by_evaluation(
        actor=actor,
        trainee=trainee or TraineeFactory(),
        occupation=kw.pop("occupation", electrician()),
        level=level,
        reason="考核合格",
        **kw,
    )


def serial_of(number: str) -> int:
    return int(number[-6:])


# --- the national skill-level format ------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "letter"),
    [
        (InstitutionKind.ENTERPRISE, "Y"),
        (InstitutionKind.EVALUATION_ORG, "S"),
        (InstitutionKind.TECHNICAL_SCHOOL, "S"),
        (InstitutionKind.PRIVATE_SCHOOL, "S"),
    ],
)
def test_skill_level_numbers_have_the_national_parts(kind, letter):
    org = evaluation_org(kind=kind, max_level=SkillLevel.LEVEL_1)
    actor = staff_user(Role.EVALUATOR, institution=org)
    first = evaluate(actor, level=SkillLevel.LEVEL_3).number
    second = evaluate(actor, level=SkillLevel.LEVEL_3).number

    for number in (first, second):
        assert SKILL_LEVEL_NUMBER.match(number), number
        assert len(number) == 22
        assert number[0] == letter  # organisation type
        assert number[1:5] == "0000"  # filed with the province
        assert number[5:7] == "52"  # 贵州
        assert number[7:13] == f"{org.pk:06d}"  # site sequence: the issuer
        assert number[13:15] == YY  # year issued
        assert number[15] == "3"  # level digit
    assert serial_of(second) == serial_of(first) + 1


@pytest.mark.parametrize("level", ["1", "2", "3", "4", "5"])
def test_the_level_digit_is_the_level(level):
    org = InstitutionFactory(kind=InstitutionKind.EVALUATION_ORG)
    prefix = number_prefix(
        kind=CertificateKind.SKILL_LEVEL, issuer=org, level=level, year=2031
    )
    assert prefix == f"S000052{org.pk:06d}31{level}"
    assert SKILL_LEVEL_NUMBER.match(format_number(prefix, 1))


@pytest.mark.parametrize("level", [SkillLevel.PRINCIPAL, SkillLevel.CHIEF, ""])
def test_skill_level_numbers_refuse_levels_without_a_digit(level):
    org = InstitutionFactory(kind=InstitutionKind.EVALUATION_ORG)
    with pytest.raises(ValidationError) as excinfo:
        number_prefix(
            kind=CertificateKind.SKILL_LEVEL, issuer=org, level=level, year=2026
        )
    assert excinfo.value.code == "level_unnumbered"


@pytest.mark.parametrize("level", [SkillLevel.PRINCIPAL, SkillLevel.CHIEF])
def test_an_evaluator_filed_for_the_top_levels_still_gets_no_number_for_them(level):
    org = evaluation_org(max_level=SkillLevel.CHIEF)
    actor = staff_user(Role.EVALUATOR, institution=org)
    with pytest.raises(ValidationError) as excinfo:
        evaluate(actor, level=level)
    # Refused before numbering: evaluation issues 五级 to 一级 only (the level rule).
    assert excinfo.value.code == "level_not_allowed"
    assert not Certificate.objects.exists()
    assert not AuditEvent.objects.filter(action="certificate.issue").exists()


def test_a_skill_level_number_needs_an_issuer():
    with pytest.raises(ValidationError) as excinfo:
        number_prefix(
            kind=CertificateKind.SKILL_LEVEL, issuer=None, level="4", year=2026
        )
    assert excinfo.value.code == "no_issuer"


@pytest.mark.parametrize(
    "kind", [CertificateKind.SKILL_LEVEL, CertificateKind.TRAINING]
)
def test_numbers_keep_their_format_for_any_issuer_id(kind):
    # The site sequence is six digits: an issuer id of 1,000,000 or more must be
    # refused, never turned into a number of the wrong length.
    org = TrainingInstitution(pk=1_234_567, kind=InstitutionKind.EVALUATION_ORG)
    try:
        prefix = number_prefix(kind=kind, issuer=org, level="4", year=2026)
    except ValidationError:
        return
    assert is_valid_number(format_number(prefix, 1)), format_number(prefix, 1)


# --- the other kinds -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "letters"),
    [
        (CertificateKind.TRAINING, "PX"),
        (CertificateKind.SPECIAL_ABILITY, "ZX"),
        (CertificateKind.COMPETITION, "JS"),
        (CertificateKind.QUALIFICATION, "ZG"),
    ],
)
def test_other_kinds_have_their_own_format(kind, letters):
    org = InstitutionFactory()
    prefix = number_prefix(kind=kind, issuer=org, level="", year=2027)
    assert prefix == f"{letters}5227{org.pk:06d}"
    number = format_number(prefix, 42)
    assert number == f"{letters}5227{org.pk:06d}000042"
    assert OTHER_NUMBER.match(number)
    assert not SKILL_LEVEL_NUMBER.match(number)
    assert number_prefix(kind=kind, issuer=None, level="", year=2027) == (
        f"{letters}5227000000"
    )


def test_issued_training_numbers_have_the_documented_parts(gy_staff, gy_class):
    inst = gy_class.course.institution
    numbers = [
        services.certificate_issue_for_enrolment(
            actor=gy_staff, enrolment=passed_enrolment(training_class=gy_class)
        ).number
        for _ in range(3)
    ]
    for number in numbers:
        assert OTHER_NUMBER.match(number)
        assert number[:2] == "PX"
        assert number[2:4] == "52"
        assert number[4:6] == YY
        assert number[6:12] == f"{inst.pk:06d}"
    assert [serial_of(n) for n in numbers] == [1, 2, 3]


def test_an_award_number_carries_its_year():
    bureau = staff_user(Role.BUREAU, region_code="520000")
    certificate = services.certificate_issue_for_award(
        actor=bureau,
        trainee=TraineeFactory(),
        award_key="c:1",
        occupation=electrician(),
        issuer_name="贵州省人力资源和社会保障厅",
        title="二等奖",
        issued_on=dt.date(2025, 9, 1),
    )
    assert certificate.number == "JS5225000000000001"
    assert certificate.issued_on == dt.date(2025, 9, 1)


@pytest.mark.parametrize(
    ("number", "valid"),
    [
        ("S00005200012326400012", False),  # 21 characters
        ("S000052000123264000123", True),
        ("Y000052000123261000001", True),
        ("X000052000123264000123", False),
        ("s000052000123264000123", False),
        ("2652010400123400", False),  # the old 16-digit qualification number
        ("PX5226000123000001", True),
        ("PX5326000123000001", False),  # another province
        ("AB5226000123000001", False),
        ("PX52260001230000012", False),
        ("PX5226000123000001\n", False),
        ("PX5226０００123000001", False),  # full-width digits
        ("S0000５２000123264000123", False),
    ],
)
def test_is_valid_number(number, valid):
    assert is_valid_number(number) is valid


# --- serials -------------------------------------------------------------------------------


def test_serials_increase_per_prefix():
    assert list(reserve_serials("PX5226000001", 3)) == [1, 2, 3]
    assert list(reserve_serials("PX5226000001", 2)) == [4, 5]
    assert list(reserve_serials("PX5226000002", 1)) == [1]
    assert list(reserve_serials("PX5226000001", 1)) == [6]
    assert CertificateSeries.objects.get(prefix="PX5226000001").last_serial == 6


def test_serials_never_run_past_six_digits():
    CertificateSeries.objects.create(prefix="PX5226000009", last_serial=MAX_SERIAL - 1)
    assert list(reserve_serials("PX5226000009", 1)) == [MAX_SERIAL]
    with pytest.raises(ValidationError) as excinfo:
        reserve_serials("PX5226000009", 1)
    assert excinfo.value.code == "serial_exhausted"


def test_each_issuer_level_and_year_has_its_own_serials():
    a = evaluation_org(max_level=SkillLevel.LEVEL_1)
    b = evaluation_org(max_level=SkillLevel.LEVEL_1)
    actor_a = staff_user(Role.EVALUATOR, institution=a)
    actor_b = staff_user(Role.EVALUATOR, institution=b)
    a4 = [evaluate(actor_a).number for _ in range(2)]
    a3 = evaluate(actor_a, level=SkillLevel.LEVEL_3).number
    b4 = evaluate(actor_b).number
    assert [serial_of(n) for n in a4] == [1, 2]
    assert serial_of(a3) == 1
    assert serial_of(b4) == 1
    assert len({*a4, a3, b4}) == 4


# --- uniqueness under concurrency (PostgreSQL row locks) ---------------------------------


@pytest.fixture
def gy_class():
    inst = InstitutionFactory(region=region("520102"))
    return TrainingClassFactory(
        course=CourseFactory(institution=inst), status=ClassStatus.RUNNING, capacity=50
    )


@pytest.fixture
def gy_staff(gy_class):
    return staff_user(Role.INSTITUTION, institution=gy_class.course.institution)


def _race(count, work):
    """Run ``work(i)`` in ``count`` threads released together; (results, errors)."""
    barrier = threading.Barrier(count)
    results, errors = [None] * count, []

    def run(i):
        try:
            barrier.wait()
            results[i] = work(i)
        except Exception as exc:  # noqa: BLE001 - reported by the test
            errors.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results, errors


def _own_user(user):
    # Each thread resolves its own scope on its own connection.
    return get_user_model().objects.get(pk=user.pk)


THREADS = 12
PG_ONLY = "SQLite serialises writers; the race needs PostgreSQL's row locks"


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_issuers_never_share_a_number(reference, gy_class, gy_staff):
    if connection.vendor != "postgresql":
        pytest.skip(PG_ONLY)
    enrolments = [passed_enrolment(training_class=gy_class) for _ in range(THREADS)]
    org = evaluation_org(max_level=SkillLevel.LEVEL_1)
    evaluator = staff_user(Role.EVALUATOR, institution=org)
    trainees = [TraineeFactory() for _ in range(THREADS)]

    def work(i):
        # Half issue training certificates for their own pass, half evaluate: two
        # prefixes, each new, each raced on from six threads at once.
        if i % 2:
            return services.certificate_issue_for_enrolment(
                actor=_own_user(gy_staff), enrolment=enrolments[i]
            ).number
        return evaluate(_own_user(evaluator), trainees[i]).number

    numbers, errors = _race(THREADS, work)
    assert errors == []
    assert len(set(numbers)) == THREADS
    assert all(is_valid_number(n) for n in numbers)
    by_prefix = {}
    for number in numbers:
        by_prefix.setdefault(number[:-6], []).append(serial_of(number))
    assert sorted(map(sorted, by_prefix.values())) == [list(range(1, 7))] * 2
    assert Certificate.objects.count() == THREADS


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_issues_for_the_same_pass_make_one_certificate(
    reference, gy_class, gy_staff
):
    if connection.vendor != "postgresql":
        pytest.skip(PG_ONLY)
    enrolment = passed_enrolment(training_class=gy_class)

    def work(i):
        return services.certificate_issue_for_enrolment(
            actor=_own_user(gy_staff), enrolment=enrolment
        ).pk

    pks, errors = _race(THREADS, work)
    assert errors == []
    assert len(set(pks)) == 1
    assert Certificate.objects.count() == 1
    assert AuditEvent.objects.filter(action="certificate.issue").count() == 1


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_evaluations_of_the_same_fact_make_one_certificate(reference):
    if connection.vendor != "postgresql":
        pytest.skip(PG_ONLY)
    # No row locks the fact here: the one_certificate_per_fact constraint decides.
    org = evaluation_org(max_level=SkillLevel.LEVEL_1)
    evaluator = staff_user(Role.EVALUATOR, institution=org)
    trainee = TraineeFactory()

    def work(i):
        return evaluate(_own_user(evaluator), trainee).pk

    pks, errors = _race(THREADS, work)
    assert errors == []
    assert len(set(pks)) == 1
    assert Certificate.objects.count() == 1
    assert AuditEvent.objects.filter(action="certificate.issue").count() == 1


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_award_issues_make_one_certificate(reference):
    if connection.vendor != "postgresql":
        pytest.skip(PG_ONLY)
    bureau = staff_user(Role.BUREAU, region_code="520000")
    trainee = TraineeFactory()

    def work(i):
        return services.certificate_issue_for_award(
            actor=_own_user(bureau),
            trainee=trainee,
            award_key="competition:1:place:1",
            occupation=electrician(),
            issuer_name="贵州省人力资源和社会保障厅",
            title="一等奖",
        ).pk

    pks, errors = _race(THREADS, work)
    assert errors == []
    assert len(set(pks)) == 1
    assert Certificate.objects.count() == 1


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_class_batches_and_single_issues_all_complete(
    reference, gy_class, gy_staff
):
    if connection.vendor != "postgresql":
        pytest.skip(PG_ONLY)
    # Two staff press "issue to the class" while a third issues one by one: each fact
    # gets one certificate and none of the runs fails (a background batch cannot
    # "refresh and retry").
    enrolments = [passed_enrolment(training_class=gy_class) for _ in range(THREADS)]

    def work(i):
        actor = _own_user(gy_staff)
        if i < 2:
            return services.certificate_issue_for_class(
                actor=actor, training_class=gy_class, chunk=3
            ).as_dict()
        return services.certificate_issue_for_enrolment(
            actor=actor, enrolment=enrolments[i]
        ).pk

    results, errors = _race(THREADS, work)
    assert errors == []
    assert Certificate.objects.count() == THREADS
    assert Certificate.objects.values("fact_key").distinct().count() == THREADS
    for summary in results[:2]:
        assert summary["issued"] + summary["already_issued"] == THREADS
