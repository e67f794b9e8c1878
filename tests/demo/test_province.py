"""``seed_demo --scale province`` at a small fraction: counts follow the fraction,
every prefecture trains in every year, certificates in every state, believable levels,
valid ID numbers stored as the app stores them, the demo users and their scopes, and a
second run that writes nothing."""

import csv
import datetime as dt
import io
import json
from collections import Counter

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.db.models import Count
from wagtail.models import Page

from certificates.models import Certificate, CertificateStatus, DisplayStatus
from competitions.models import Competition, Entry, Registration
from courses.models import ClassStatus, Enrolment, TrainingClass
from demo.divisions import code_periods, id_region_code, today_of
from demo.fixtures import DEMO_USERNAMES
from demo.province import (
    CLASS_PREFIX,
    OCCUPATIONS,
    YEARS,
    province_seed,
    sizes,
)
from subsidies.models import Claim, ClaimStatus
from trainees.models import Trainee, id_number_hash
from training_platform import access
from training_platform.reference.models import Region, RegionLevel
from training_platform.reference.services import DATA_DIR
from training_platform.validators import parse_id_number

pytestmark = pytest.mark.django_db

FRACTION = 0.003


@pytest.fixture(scope="module")
def province(django_db_setup, django_db_blocker):
    """The demo and the province data at FRACTION, seeded once for the module."""
    with django_db_blocker.unblock():
        from django.db import transaction

        from training_platform.reference.services import reference_data_load

        with transaction.atomic():
            reference_data_load()
            bar = io.StringIO()
            calls = []

            def progress(label, done, total):
                calls.append((label, done, total))

            summary = province_seed(fraction=FRACTION, progress=progress)
            yield {"summary": summary, "calls": calls, "bar": bar}
            transaction.set_rollback(True)


def province_classes():
    return TrainingClass.objects.filter(code__startswith=CLASS_PREFIX)


def province_trainees():
    return Trainee.objects.filter(
        pk__in=Enrolment.objects.filter(
            training_class__code__startswith=CLASS_PREFIX
        ).values("trainee")
    )


def test_counts_follow_the_fraction(province):
    summary = province["summary"]
    expected = sizes(round(1_000_000 * FRACTION))
    assert summary["created"] is True
    assert summary["enrolments"] == 3000 == expected["enrolments"]
    assert summary["trainees"] == expected["trainees"] == 1200
    assert (summary["prefectures"], summary["counties"]) == (9, 88)
    assert (
        Enrolment.objects.filter(training_class__code__startswith=CLASS_PREFIX).count()
        == 3000
    )
    assert province_classes().count() == summary["classes"] == 60
    assert Certificate.objects.filter(number__startswith="QJ").count() == 1800
    assert summary["certificates"] == 1800
    # Every person enrols 2–3 times, so nearly all of them have an enrolment.
    assert province_trainees().count() >= 0.95 * summary["trainees"]
    # At full size: the figures.
    full = sizes(1_000_000)
    assert (full["trainees"], full["certificates"]) == (400_000, 600_000)
    assert full["institutions"] == 1000
    # Half the fraction, half the rows (written beside the first: distinct numbers).
    half = sizes(round(1_000_000 * FRACTION / 2))
    assert half["enrolments"] * 2 == expected["enrolments"]
    assert abs(half["trainees"] * 2 - expected["trainees"]) <= 2


def test_progress_reports_every_table_to_its_end(province):
    calls = province["calls"]
    finished = {label for label, done, total in calls if done == total}
    assert {label for label, _d, _t in calls} == finished
    assert any("enrolments" in label for label in finished)
    assert any("trainees" in label for label in finished)


def test_every_prefecture_trains_in_every_year(province):
    rows = (
        Enrolment.objects.filter(training_class__code__startswith=CLASS_PREFIX)
        .values_list("training_class__region_id", "training_class__start_date__year")
        .distinct()
    )
    have = {(region[:4], year) for region, year in rows}
    prefectures = {
        code[:4]
        for code in Region.objects.filter(level=RegionLevel.PREFECTURE).values_list(
            "code", flat=True
        )
    }
    assert len(prefectures) == 9
    assert have == {(p, y) for p in prefectures for y in YEARS}
    # Held in a county, at an institution of that county.
    for cls in province_classes().select_related("course__institution", "region"):
        assert cls.region.level == RegionLevel.COUNTY
        assert cls.course.institution.region_id == cls.region_id
    assert province_classes().filter(status=ClassStatus.FINISHED).exists()
    assert province_classes().filter(status=ClassStatus.RUNNING).exists()


def test_certificates_in_every_state(province):
    certificates = Certificate.objects.filter(number__startswith="QJ")
    shown = Counter(c.display_status() for c in certificates)
    assert set(shown) == set(DisplayStatus.values)
    for revoked in certificates.filter(status=CertificateStatus.REVOKED):
        assert revoked.revoked_at and revoked.revoked_reason
    superseded = certificates.filter(status=CertificateStatus.SUPERSEDED)
    assert superseded.exists()
    for old in superseded.select_related("superseded_by"):
        new = old.superseded_by
        assert new.replaces_id == old.pk
        assert new.status == CertificateStatus.VALID
        assert new.fact_key == old.fact_key and new.trainee_id == old.trainee_id
        assert new.issued_on > old.issued_on and old.superseded_at
    # A certificate is the passed enrolment's: its holder and occupation.
    for cert in certificates.filter(replaces__isnull=True).select_related(
        "enrolment__training_class__course", "trainee"
    )[:200]:
        assert cert.enrolment.trainee_id == cert.trainee_id
        assert cert.enrolment.result == "passed"
        assert cert.occupation_id == cert.enrolment.training_class.course.occupation_id
        assert cert.holder_id_hash == cert.trainee.id_number_hash
        assert cert.issued_on > cert.enrolment.training_class.end_date


def test_levels_and_trades_are_guizhous(province):
    levels = Counter(
        Certificate.objects.filter(number__startswith="QJ")
        .exclude(level="")
        .values_list("level", flat=True)
    )
    assert levels["5"] + levels["4"] > 5 * levels["1"]
    assert levels["5"] > levels["3"] > levels["1"]
    trades = set(
        province_classes().values_list("course__occupation_id", flat=True).distinct()
    )
    assert trades <= {code for code, _w, _n in OCCUPATIONS}
    assert len(trades) >= 8


def test_id_numbers_are_valid_and_stored_as_the_app_stores_them(province):
    periods = code_periods(
        Region.objects.filter(level=RegionLevel.COUNTY).values_list("code", flat=True)
    )
    people = list(province_trainees())
    assert len(people) >= 1100
    for trainee in people:
        info = parse_id_number(trainee.id_number)  # check digit, date, province
        assert info.birth_date.year == trainee.birth_year and info.sex == trainee.sex
        # The division code it carries was given out at the birth date.
        first, last = periods.get(info.region_code, (0, 9999))
        assert first <= info.birth_date.year <= last, info.region_code
        assert info.region_code == id_region_code(
            today_of(info.region_code), info.birth_date
        )
        assert trainee.household_region_id[:4] == today_of(info.region_code)[:4]
        assert trainee.id_number_hash == id_number_hash(trainee.id_number)
        assert 2 <= len(trainee.name) <= 3 and len(trainee.phone) == 11
    # Some people carry a code their county no longer has (born before a change).
    assert any(
        today_of(parse_id_number(t.id_number).region_code)
        != parse_id_number(t.id_number).region_code
        for t in people
    )
    # Encrypted at rest: the column never holds the number itself.
    sample = people[0]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id_number FROM trainees_trainee WHERE id = %s", [sample.pk]
        )
        (stored,) = cursor.fetchone()
    assert sample.id_number not in str(stored)
    assert (
        Trainee.objects.get(id_number_hash=id_number_hash(sample.id_number)).pk
        == sample.pk
    )


def test_the_division_table_agrees_with_the_reference_aliases():
    with open(DATA_DIR / "gz_region_aliases.csv", encoding="utf-8") as fh:
        rows = [r for r in csv.DictReader(fh) if r["alias"].isdigit()]
    assert rows
    for row in rows:
        since = int(row["since"])
        # The old code up to the year before the change, the new one from it.
        assert id_region_code(row["code"], dt.date(since - 1, 6, 1)) == row["alias"]
        assert today_of(row["alias"]) == row["code"]
    assert id_region_code("520581", dt.date(2021, 6, 1)) == "520581"


def test_claims_and_competitions(province):
    claims = Claim.objects.filter(trainee__in=province_trainees())
    states = set(claims.values_list("status", flat=True))
    assert {ClaimStatus.PAID, ClaimStatus.SUBMITTED, ClaimStatus.REJECTED} <= states
    assert claims.count() == province["summary"]["claims"] == 300
    for claim in claims.filter(status=ClaimStatus.PAID)[:50]:
        assert claim.paid_on and claim.bank_reference
        assert claim.certificate.trainee_id == claim.trainee_id
    competitions = Competition.objects.filter(name__contains="年职业技能大赛")
    assert competitions.count() == 9
    assert {c.region_id[:4] for c in competitions} == {
        code[:4]
        for code in Region.objects.filter(level=RegionLevel.PREFECTURE).values_list(
            "code", flat=True
        )
    }
    entries = Entry.objects.filter(event__competition__in=competitions)
    assert entries.count() == 9 * 3 * 20
    assert Registration.objects.filter(entry__in=entries).count() == entries.count()


def test_the_demo_users_and_their_scopes(province):
    users = get_user_model().objects.in_bulk(DEMO_USERNAMES, field_name="username")
    assert set(users) == set(DEMO_USERNAMES)
    guiyang = access.visible(users["bureau_gy"], province_trainees())
    assert guiyang.exists()
    for trainee in guiyang:
        assert "5201" in (
            (trainee.household_region_id or "")[:4],
            (trainee.residence_region_id or "")[:4],
        )
    outside = province_trainees().exclude(household_region__code__startswith="5201")
    outside = outside.exclude(residence_region__code__startswith="5201")
    assert outside.exists()
    assert not guiyang.filter(pk__in=outside.values("pk")).exists()
    assert access.visible(users["bureau_gz"], province_trainees()).count() == (
        province_trainees().count()
    )
    # The institution sees its own classes, not the province's.
    assert not access.visible(users["inst_a"], province_classes()).exists()


def test_a_second_run_writes_nothing(province):
    before = {
        model.__name__: model.objects.count()
        for model in (Trainee, Enrolment, Certificate, Claim, TrainingClass, Page)
    }
    again = province_seed(fraction=FRACTION)
    assert again["created"] is False
    after = {
        model.__name__: model.objects.count()
        for model in (Trainee, Enrolment, Certificate, Claim, TrainingClass, Page)
    }
    assert after == before
    out = io.StringIO()
    err = io.StringIO()
    call_command(
        "seed_demo", "--scale", "province", "--fraction", "0.5", stdout=out, stderr=err
    )
    assert json.loads(out.getvalue().splitlines()[-1])["created"] is False
    assert "已存在" in err.getvalue()
    assert (
        Trainee.objects.values("id_number_hash")
        .annotate(n=Count("pk"))
        .filter(n__gt=1)
        .count()
        == 0
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--scale", "province", "--fraction", "0"], "--fraction"),
        (["--scale", "province", "--fraction", "1.5"], "--fraction"),
        (["--scale", "county"], "province"),
        (["--fraction", "0.5"], "--scale province"),
    ],
)
def test_bad_arguments_are_refused_clearly(args, message):
    with pytest.raises(CommandError, match=message):
        call_command("seed_demo", *args, stdout=io.StringIO())
