"""Raw SQL building blocks: each path returns exactly what the equivalent ORM query does.

Run on SQLite and on PostgreSQL (DATABASE_URL): the statements differ per vendor.
"""

import datetime as dt

import pytest
from django.db import IntegrityError, connection, transaction
from django.forms.models import model_to_dict
from django.utils import timezone

from certificates import selectors
from certificates.models import (
    Certificate,
    CertificateStatus,
    VerificationChannel,
    VerificationLog,
    VerificationOutcome,
)
from certificates.verification_log import verification_log
from courses.models import Enrolment, EnrolmentSource, EnrolmentStatus
from tests.certificates.test_verify import make_certificate
from tests.factories import (
    EnrolmentFactory,
    KeyGroupMembershipFactory,
    TraineeFactory,
    TrainingClassFactory,
)
from trainees.models import KeyGroupMembership, Trainee
from training_platform import sql

pytestmark = pytest.mark.django_db


def test_chunks_respect_the_parameter_limit():
    assert sql.IN_BATCH < 999  # SQLite's limit of parameters per statement
    assert list(sql.chunks(list(range(5)), 2)) == [[0, 1], [2, 3], [4]]
    assert [len(c) for c in sql.chunks(list(range(2000)))] == [900, 900, 200]
    assert list(sql.chunks([])) == []


def test_names_are_quoted_from_meta():
    quote = connection.ops.quote_name
    assert sql.table(Trainee) == quote(Trainee._meta.db_table)
    assert sql.column(Trainee, "household_region") == quote("household_region_id")
    assert sql.column(Trainee, "name", alias="t") == f"t.{quote('name')}"


@pytest.mark.parametrize("size", [None, 2])
def test_select_in_returns_what_the_orm_returns(size):
    people = [TraineeFactory() for _ in range(5)]
    TraineeFactory()  # not asked for
    hashes = [p.id_number_hash for p in people[:4]] + ["no such hash"]
    columns = ("id_number_hash", "id", "name", "birth_year", "household_region")
    raw = list(sql.select_in(Trainee, columns, "id_number_hash", hashes, size=size))
    orm = list(Trainee.objects.filter(id_number_hash__in=hashes).values_list(*columns))
    assert sorted(raw) == sorted(orm) and len(raw) == 4


def test_select_in_with_a_condition_returns_what_the_orm_returns():
    cls, other = TrainingClassFactory(), TrainingClassFactory()
    enrolments = [EnrolmentFactory(training_class=cls) for _ in range(3)]
    EnrolmentFactory(training_class=other, trainee=enrolments[0].trainee)
    ids = [e.trainee_id for e in enrolments]
    raw = sql.select_in(
        Enrolment,
        ("trainee", "id", "status"),
        "trainee",
        ids,
        where=f"{sql.column(Enrolment, 'training_class')} = %s",
        params=(cls.pk,),
        size=2,
    )
    orm = Enrolment.objects.filter(training_class=cls, trainee__in=ids).values_list(
        "trainee", "id", "status"
    )
    assert sorted(raw) == sorted(orm)


def test_select_in_of_nothing_runs_no_query(django_assert_num_queries):
    with django_assert_num_queries(0):
        assert list(sql.select_in(Trainee, ("id",), "id", [])) == []


def test_ids_read_back_are_the_orms():
    people = [TraineeFactory() for _ in range(3)]
    hashes = [p.id_number_hash for p in people]
    assert sql.ids_by(Trainee, "id_number_hash", hashes) == dict(
        Trainee.objects.values_list("id_number_hash", "id")
    )


def _fields(obj, *exclude):
    return {k: v for k, v in model_to_dict(obj).items() if k not in {"id", *exclude}}


def test_insert_writes_what_the_orm_writes():
    """Given fields per row, fixed values, defaults and auto_now(_add) as the ORM does."""
    cls = TrainingClassFactory()
    first, second = TraineeFactory(), TraineeFactory()
    now = timezone.now()
    insert = sql.Insert(
        Enrolment,
        ("trainee",),
        values={
            "training_class": cls.pk,
            "status": EnrolmentStatus.ENROLLED,
            "source": EnrolmentSource.ROSTER,
        },
        now=now,
    )
    with connection.cursor() as cursor:
        insert.run(cursor, [(first.pk,)])
        insert.run(cursor, [])  # nothing: no statement
    raw = Enrolment.objects.get(trainee=first)
    orm = Enrolment.objects.create(
        trainee=second,
        training_class=cls,
        status=EnrolmentStatus.ENROLLED,
        source=EnrolmentSource.ROSTER,
    )
    orm.refresh_from_db()
    assert _fields(raw, "trainee", "enrolled_at") == _fields(
        orm, "trainee", "enrolled_at"
    )
    assert raw.enrolled_at == now


def test_insert_skips_a_conflict_only_when_asked():
    membership = KeyGroupMembershipFactory(group_id="veteran")
    row = (membership.trainee_id, "veteran")
    values = {"since": membership.since}
    quiet = sql.Insert(
        KeyGroupMembership, ("trainee", "group"), values=values, ignore_conflicts=True
    )
    with connection.cursor() as cursor:
        quiet.run(cursor, [row, row])
    assert KeyGroupMembership.objects.count() == 1
    loud = sql.Insert(KeyGroupMembership, ("trainee", "group"), values=values)
    with (
        pytest.raises(IntegrityError),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        loud.run(cursor, [row])


def test_statements_are_built_once_per_vendor_and_arguments():
    built = []

    @sql.per_vendor
    def statement(name):
        built.append(name)
        return f"SELECT {name}"

    assert statement("a") == statement("a") == "SELECT a"
    assert statement("b") == "SELECT b"
    assert built == ["a", "b"]
    assert set(statement.cache) == {(connection.vendor, "a"), (connection.vendor, "b")}


# --- the users of these blocks -------------------------------------------------------


def _orm_verified(certificate: Certificate) -> selectors.Verified:
    row = Certificate.objects.values_list(
        *selectors.VERIFY_COLUMNS,
        "occupation",
        "occupation_name",
        "superseded_by__number",
        "superseded_by__token",
    ).get(pk=certificate.pk)
    return selectors.Verified(*row)


def test_the_verification_lookup_returns_what_the_orm_returns():
    old = make_certificate(n=1)
    new = make_certificate(trainee=old.trainee, n=2)
    Certificate.objects.filter(pk=old.pk).update(
        status=CertificateStatus.REVOKED,
        revoked_at=timezone.now(),
        revoked_reason="换发",
        superseded_by=new,
        expires_on=dt.date(2031, 2, 28),
    )
    for certificate in (old, new):
        expected = _orm_verified(certificate)
        assert selectors.certificate_by_token(certificate.token) == expected
        assert (
            selectors.certificate_by_query(
                number=certificate.number,
                name=certificate.holder_name,
                id_number=certificate.trainee.id_number,
            )
            == expected
        )
    assert _orm_verified(old).successor_token == new.token
    assert _orm_verified(old).revoked_at.tzinfo is not None


def test_the_verification_log_row_is_what_the_orm_writes(settings):
    settings.CERTIFICATE_VERIFY_LOG_FLUSH_SECONDS = 0
    certificate = make_certificate()
    at = timezone.now()
    values = {
        "channel": VerificationChannel.PAGE,
        "asked": certificate.token,
        "outcome": VerificationOutcome.VALID,
        "signature": True,
    }
    verification_log.write(
        verification_log.row(
            at=at, certificate_id=certificate.pk, ip="2001:db8::1", **values
        )
    )
    orm = VerificationLog.objects.create(
        certificate=certificate, client_ip="2001:db8::1", **values
    )
    VerificationLog.objects.filter(pk=orm.pk).update(at=at)
    raw, orm = VerificationLog.objects.order_by("id")
    assert _fields(raw) == _fields(orm)
    assert raw.at == at


def test_values_subquery_selects_what_an_in_list_selects():
    from training_platform.reference.models import Region

    codes = ["520102", "520103", "999999"]
    regions = Region.objects.filter(code__in=sql.values_subquery(codes, text=True))
    assert sorted(regions.values_list("code", flat=True)) == ["520102", "520103"]
    # Longer than SQLite's 999 parameters: still one parameter.
    many = [f"{n:06d}" for n in range(2000)] + ["520102"]
    assert (
        Region.objects.filter(code__in=sql.values_subquery(many, text=True)).count()
        == 1
    )
