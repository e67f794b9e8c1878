"""Masked ID numbers cannot be rebuilt from what a role without reveal permission sees,
nor from the database without the keys (issue 9, item 2).

The attacker is granted more than any view shows: the county of issue and the birth year
of every person. From each view (back-office pages, exports, certificate PDFs, the public
verification page and API, and every column of every table read with a raw cursor) they
also take every masked number that agrees with the person's number and the birth date if
it appears in any usual form. Then they list every valid ID number that fits. Each person
must keep at least ``MIN_CANDIDATES`` candidates in every view.
"""

import datetime as dt
import functools
import io
import re
import zipfile

import pytest
from django.db import connection
from django.urls import reverse
from pypdf import PdfReader

from certificates import services as certificate_services
from certificates.models import Certificate
from courses import roster
from courses.models import AssessmentResult, ClassStatus, Enrolment
from tests.factories import (
    CourseFactory,
    EnrolmentFactory,
    InstitutionFactory,
    TraineeFactory,
    TrainingClassFactory,
    evaluation_org,
    make_id_number,
    region,
    staff_user,
)
from trainees.models import Trainee, age_band
from trainees.services import trainee_create
from training_platform import pii
from training_platform.reference.models import CertificateKind, Occupation, SkillLevel
from training_platform.roles import Role
from training_platform.validators import id_check_char

pytestmark = pytest.mark.django_db

MIN_CANDIDATES = 100

# An 18-character run of ID characters and mask stars, not part of a longer run.
_MASKED = re.compile(r"(?<![0-9Xx*])[0-9Xx*]{18}(?![0-9Xx*])")


# --- the attacker ----------------------------------------------------------------------


def date_forms(day: dt.date) -> set[str]:
    """The ways a page, a file or a database writes a date."""
    y, m, d = day.year, day.month, day.day
    return {
        day.isoformat(),
        f"{day:%Y%m%d}",
        f"{day:%Y/%m/%d}",
        f"{y}/{m}/{d}",
        f"{day:%Y.%m.%d}",
        f"{y}年{m}月{d}日",
        f"{day:%Y年%m月%d日}",
        f"{day:%d/%m/%Y}",
        f"{day:%m/%d/%Y}",
    }


def revealed(text: str, number: str) -> tuple[dict[int, str], dt.date | None]:
    """What ``text`` tells about ``number``: characters at known positions, birth date."""
    birth = dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    if number in re.sub(r"\s", "", text).upper():
        return dict(enumerate(number)), birth
    known: dict[int, str] = {}
    for token in _MASKED.findall(text):
        token = token.upper()
        if "*" in token and all(
            c in ("*", n) for c, n in zip(token, number, strict=True)
        ):
            known.update((i, c) for i, c in enumerate(token) if c != "*")
    shown = any(form in text for form in date_forms(birth))
    return known, birth if shown else None


@functools.lru_cache(maxsize=256)
def _candidates(
    known: frozenset, county: str, year: int, birth: dt.date | None
) -> tuple[str, ...]:
    known = dict(known)

    def fits(text: str, offset: int) -> bool:
        return all(known.get(offset + i, c) == c for i, c in enumerate(text))

    if not fits(county, 0):
        return ()
    sequences = [s for s in (f"{n:03d}" for n in range(1000)) if fits(s, 14)]
    if birth is not None:
        days = [birth]
    else:
        first = dt.date(year, 1, 1)
        days = [first + dt.timedelta(n) for n in range(366)]
        days = [d for d in days if d.year == year and d <= dt.date.today()]
    found = []
    for day in days:
        body = f"{county}{day:%Y%m%d}"
        if not fits(body[6:], 6):
            continue
        for seq in sequences:
            check = id_check_char(body + seq)
            if known.get(17, check) == check:
                found.append(body + seq + check)
    return tuple(found)


def candidates(
    known: dict[int, str], *, county: str, year: int, birth: dt.date | None
) -> tuple[str, ...]:
    """Every valid ID number of ``county`` and ``year`` that agrees with what is known."""
    return _candidates(frozenset(known.items()), county, year, birth)


def assert_not_rebuildable(view: str, text: str, people: list[Trainee]) -> None:
    for person in people:
        number = person.id_number
        known, birth = revealed(text, number)
        # Granted, whether or not any view shows them: the county and the birth year.
        county, year = number[:6], int(number[6:10])
        found = candidates(known, county=county, year=year, birth=birth)
        assert number in found, (view, "the attacker's enumeration is wrong")
        assert len(found) >= MIN_CANDIDATES, (
            f"{view}: {person.name} narrowed to {len(found)} candidate ID numbers"
        )


def test_the_attacker_rebuilds_the_number_from_the_old_four_and_four_mask():
    """The enumeration has teeth: the old mask beside a birth date leaves one number."""
    number = make_id_number("520102", dt.date(1990, 5, 17), seq=123)
    old_mask = number[:4] + "*" * 10 + number[-4:]
    page = f"<td>{old_mask}</td><td>1990年5月17日</td>"
    known, birth = revealed(page, number)
    assert birth == dt.date(1990, 5, 17)
    assert candidates(known, county=number[:6], year=1990, birth=birth) == (number,)
    # The new mask beside the birth year alone leaves thousands.
    known, birth = revealed(
        f"<td>{pii.mask_id_number(number)}</td><td>1990</td>", number
    )
    assert birth is None
    assert len(candidates(known, county=number[:6], year=1990, birth=None)) > 3000


# --- the data: people reaching the platform by every path -----------------------------


@pytest.fixture
def world():
    institution = InstitutionFactory(name="贵阳甲培训学校", region=region("520102"))
    inst_staff = staff_user(Role.INSTITUTION, institution=institution)
    cls = TrainingClassFactory(
        course=CourseFactory(institution=institution, target_level=SkillLevel.LEVEL_4),
        status=ClassStatus.RUNNING,
        code="GY-2026-0001",
    )
    # A roster import (writes its columns directly).
    rows = [
        {
            "name": name,
            "id_number": make_id_number(county, birth, seq=seq),
            "phone": phone,
            "household_region": household,
            "education": "初中",
            "key_groups": "",
        }
        for name, county, household, birth, seq, phone in [
            ("花名册甲", "520102", "南明区", dt.date(1988, 2, 29), 417, "13900000001"),
            (
                "花名册乙",
                "520302",
                "红花岗区",
                dt.date(2004, 12, 31),
                20,
                "13900000002",
            ),
        ]
    ]
    summary = roster.roster_import(
        training_class=cls, rows=list(enumerate(rows, start=2)), actor=inst_staff
    )
    assert summary["created_trainees"] == 2, summary
    # A record made in the back-office, and one made by a factory.
    created = trainee_create(
        name="后台甲",
        id_number=make_id_number("520111", dt.date(1975, 7, 1), seq=999),
        household_region=region("520111"),
    )
    EnrolmentFactory(training_class=cls, trainee=created)
    EnrolmentFactory(
        training_class=cls,
        trainee=TraineeFactory(
            name="工厂乙", id_number=make_id_number("520103", dt.date(1966, 1, 1))
        ),
    )
    Enrolment.objects.filter(training_class=cls).update(
        result=AssessmentResult.PASSED, score=90, attendance_hours=cls.course.hours
    )
    enrolments = list(Enrolment.objects.filter(training_class=cls))
    for enrolment in enrolments:
        certificate_services.certificate_issue_for_enrolment(
            actor=inst_staff, enrolment=enrolment, kind=CertificateKind.TRAINING
        )
    org = evaluation_org(region=region("520302"))
    evaluator = staff_user(Role.EVALUATOR, institution=org)
    for person in Trainee.objects.all()[:2]:
        certificate_services.certificate_issue_by_evaluation(
            actor=evaluator,
            trainee=person,
            occupation=Occupation.objects.get(code="6-31-01-03"),
            level=SkillLevel.LEVEL_4,
            reason="理论和实操考核均合格",
        )
    people = list(Trainee.objects.all())
    assert len(people) == 4
    assert Certificate.objects.count() == 6
    return {
        "institution": institution,
        "org": org,
        "class": cls,
        "people": people,
        "enrolments": enrolments,
        "inst_staff": inst_staff,
        "evaluator": evaluator,
    }


# --- what each view shows --------------------------------------------------------------


def body(response) -> bytes:
    assert response.status_code == 200, response
    if response.streaming:
        return b"".join(response.streaming_content)
    return response.content


def text_of(response) -> str:
    data = body(response)
    kind = response.get("Content-Type", "")
    if kind.startswith("application/pdf"):
        reader = PdfReader(io.BytesIO(data))
        return "\n".join(page.extract_text() for page in reader.pages)
    if data[:2] == b"PK":  # xlsx
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return "".join(
                archive.read(name).decode("utf-8", "replace")
                for name in archive.namelist()
            )
    return data.decode("utf-8")


def staff_views(world) -> list[tuple[str, str, dict]]:
    """(name, URL, query) of every screen and file showing these people's records."""
    views = []
    for name in ("trainees:index", "enrolment:index", "certificate:index"):
        views.append((name, reverse(name), {}))
        for fmt in ("xlsx", "csv"):
            views.append((f"{name} {fmt}", reverse(name), {"export": fmt}))
    for person in world["people"]:
        views.append(
            (
                f"trainee {person.name}",
                reverse("trainees:inspect", args=[person.pk]),
                {},
            )
        )
    for enrolment in world["enrolments"]:
        views.append(
            (
                f"enrolment {enrolment.pk}",
                reverse("enrolment:inspect", args=[enrolment.pk]),
                {},
            )
        )
    cls = world["class"]
    views.append(("results", reverse("courses_class_results", args=[cls.pk]), {}))
    return views


def certificate_views(certificates) -> list[tuple[str, str, dict]]:
    views = []
    for cert in certificates:
        views.append(
            (f"cert {cert.number}", reverse("certificate:inspect", args=[cert.pk]), {})
        )
        views.append(
            (f"pdf {cert.number}", reverse("certificates_pdf", args=[cert.pk]), {})
        )
    return views


def test_institution_staff_cannot_rebuild_an_id_number(client, world):
    client.force_login(world["inst_staff"])
    assert not world["inst_staff"].has_perm("trainees.reveal_pii")
    certificates = Certificate.objects.filter(issuer=world["institution"])
    assert certificates.count() == 4
    views = [
        *staff_views(world),
        *certificate_views(certificates),
        (
            "class pdf",
            reverse("certificates_class_pdf", args=[world["class"].pk]),
            {},
        ),
    ]
    for name, url, query in views:
        text = text_of(client.get(url, query))
        assert any(p.name in text or p.masked_name in text for p in world["people"]), (
            name,
            "the view shows none of the people: the test would prove nothing",
        )
        assert_not_rebuildable(name, text, world["people"])


def test_evaluators_cannot_rebuild_an_id_number(client, world):
    evaluator = world["evaluator"]
    client.force_login(evaluator)
    assert not evaluator.has_perm("trainees.reveal_pii")
    certificates = Certificate.objects.filter(issuer=world["org"])
    assert certificates.count() == 2
    views = [
        ("certificate:index", reverse("certificate:index"), {}),
        ("certificate:index xlsx", reverse("certificate:index"), {"export": "xlsx"}),
        ("certificate:index csv", reverse("certificate:index"), {"export": "csv"}),
        *certificate_views(certificates),
    ]
    for name, url, query in views:
        text = text_of(client.get(url, query))
        assert_not_rebuildable(name, text, world["people"])


def test_public_verification_cannot_rebuild_an_id_number(client, world):
    for cert in Certificate.objects.all():
        page = text_of(client.get(reverse("certificate_verify", args=[cert.token])))
        assert cert.holder_id_masked in page
        api = text_of(client.get(reverse("api_certificate", args=[cert.token])))
        assert cert.holder_id_masked in api
        for name, text in (("verify page", page), ("verify API", api)):
            assert_not_rebuildable(f"{name} {cert.number}", text, [cert.trainee])


def _database_dump() -> str:
    """Every value of every table, as someone holding the database but no key reads it."""
    quote = connection.ops.quote_name
    parts = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f"SELECT * FROM {quote(table)}")  # noqa: S608
            for row in cursor.fetchall():
                parts.append(" | ".join(str(value) for value in row))
    return "\n".join(parts)


def test_the_database_without_the_keys_cannot_rebuild_an_id_number(world):
    dump = _database_dump()
    for cert in Certificate.objects.all():
        assert cert.holder_id_masked in dump  # the frozen masked holder is there
    assert_not_rebuildable("database", dump, world["people"])


def test_no_table_has_a_plain_birth_date_or_region_of_issue_column():
    columns = {}
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            for column in connection.introspection.get_table_description(cursor, table):
                columns.setdefault(column.name, []).append(table)
    assert "birth_date" not in columns
    assert "id_region_code" not in columns
    trainee_columns = {f.column for f in Trainee._meta.concrete_fields}
    assert {"birth_year", "sex"} <= trainee_columns


@pytest.mark.parametrize(
    "year, band",
    [
        (2011, "16岁以下"),
        (2010, "16-24岁"),
        (2002, "16-24岁"),
        (2001, "25-34岁"),
        (1982, "35-44岁"),
        (1981, "45-54岁"),
        (1971, "55岁及以上"),
        (None, ""),
    ],
)
def test_age_band_by_the_birth_year(year, band):
    assert age_band(year, on=dt.date(2026, 6, 30)) == band


def test_statistics_keep_birth_year_sex_and_region_of_residence(client):
    number = make_id_number("520103", dt.date(1986, 3, 9), seq=8)  # 8: even, a woman
    trainee = TraineeFactory(id_number=number, household_region=region("520111"))
    assert (trainee.birth_year, trainee.sex) == (1986, "F")
    assert trainee.birth_date == dt.date(1986, 3, 9)  # for rules, from the number
    client.force_login(staff_user(Role.BUREAU, region_code="520100"))
    page = text_of(client.get(reverse("trainees:inspect", args=[trainee.pk])))
    for shown in ("出生年份", "1986", "年龄段", trainee.age_band, "女", "花溪区"):
        assert shown in page
    assert not any(form in page for form in date_forms(trainee.birth_date))
    assert pii.mask_id_number(number) in page and number not in page
