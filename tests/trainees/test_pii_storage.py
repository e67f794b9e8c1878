"""Trainee personal data at rest: encrypted columns, blind index, audited reveal."""

import datetime as dt
import hashlib
import hmac
import json
import re

import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext

from tests.factories import (
    InstitutionFactory,
    TraineeFactory,
    UserFactory,
    make_id_number,
    region,
    staff_user,
)
from trainees.models import Trainee
from trainees.selectors import trainee_find_by_id_number
from trainees.services import trainee_create, trainee_reveal_pii
from training_platform.audit.models import AuditEvent
from training_platform.pii import DecryptionError
from training_platform.validators import complete_id_number

pytestmark = pytest.mark.usefixtures("reference")

ID_NUMBER = complete_id_number("52010219900101123")  # male, born 1990-01-01
ACCOUNT = "6222021234567890123"


def _full_width(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


def _raw_row(pk) -> dict:
    """The stored row, read past the ORM (no from_db_value)."""
    table = connection.ops.quote_name(Trainee._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {table} WHERE id = %s", [pk])  # noqa: S608
        names = [col[0] for col in cursor.description]
        rows = cursor.fetchall()
    assert len(rows) == 1
    return dict(zip(names, rows[0], strict=True))


def _expected_hash(number: str) -> str:
    return hmac.new(
        settings.PII_BLIND_INDEX_KEY,
        f"trainee.id_number\x00{number}".encode(),
        hashlib.sha256,
    ).hexdigest()


def _create(id_number=ID_NUMBER, **kwargs):
    kwargs.setdefault("name", "张三")
    kwargs.setdefault("phone", "+86 138-1234-5678")
    kwargs.setdefault("household_region", region("520102"))
    return trainee_create(id_number=id_number, **kwargs)


# --- storage ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "typed",
    [
        ID_NUMBER,
        ID_NUMBER.lower(),
        _full_width(ID_NUMBER),
        f" {ID_NUMBER[:6]} {ID_NUMBER[6:14]}\t{ID_NUMBER[14:]} ",
    ],
)
def test_plain_id_number_and_account_never_reach_the_table(typed):
    trainee = _create(typed)
    trainee.bank_account = ACCOUNT
    trainee.save()

    row = _raw_row(trainee.pk)
    cells = [str(value) for value in row.values() if value is not None]
    for secret in (ID_NUMBER, ID_NUMBER[:17], ID_NUMBER.lower(), ACCOUNT, ACCOUNT[:-4]):
        assert not any(secret in cell for cell in cells), secret

    assert re.fullmatch(r"t2:[A-Za-z0-9+/]+=*", row["id_number"])
    assert re.fullmatch(r"t2:[A-Za-z0-9+/]+=*", row["bank_account"])
    assert re.fullmatch(r"[0-9a-f]{64}", row["id_number_hash"])
    assert row["id_number_hash"] == _expected_hash(ID_NUMBER)
    assert row["birth_year"] == 1990
    assert row["sex"] == "M"
    # Neither the birth date nor the region of issue in plain (with the mask, they
    # would give the number back).
    assert "birth_date" not in row and "id_region_code" not in row
    assert row["phone"] == "13812345678"

    fresh = Trainee.objects.get(pk=trainee.pk)
    assert fresh.id_number == ID_NUMBER  # normalised: upper-case X, half-width
    assert fresh.bank_account == ACCOUNT
    assert fresh.birth_date == dt.date(1990, 1, 1)


def test_empty_bank_account_is_stored_empty():
    trainee = _create()
    assert _raw_row(trainee.pk)["bank_account"] == ""
    assert Trainee.objects.get(pk=trainee.pk).bank_account == ""


def test_ciphertext_cannot_be_moved_to_another_column():
    trainee = _create()
    table = connection.ops.quote_name(Trainee._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET bank_account = id_number WHERE id = %s",  # noqa: S608
            [trainee.pk],
        )
    with pytest.raises(DecryptionError):
        Trainee.objects.get(pk=trainee.pk)


def test_no_query_carries_the_plain_values():
    with CaptureQueriesContext(connection) as queries:
        trainee = _create(ID_NUMBER.lower())
        trainee.bank_account = ACCOUNT
        trainee.save()
        assert trainee_find_by_id_number(ID_NUMBER) == trainee
    assert any("INSERT" in q["sql"] for q in queries.captured_queries)
    for query in queries.captured_queries:
        for secret in (ID_NUMBER, ID_NUMBER[:17], ACCOUNT):
            assert secret not in query["sql"]


def test_values_list_decrypts():
    trainee = _create()
    trainee.bank_account = ACCOUNT
    trainee.save()
    assert list(
        Trainee.objects.filter(pk=trainee.pk).values_list("id_number", "bank_account")
    ) == [(ID_NUMBER, ACCOUNT)]


def test_derived_columns_for_a_woman():
    number = complete_id_number("52030219851124002")  # 17th digit 2: female
    trainee = _create(number)
    row = _raw_row(trainee.pk)
    assert row["birth_year"] == 1985
    assert row["sex"] == "F"
    assert trainee.birth_date == dt.date(1985, 11, 24)  # from the decrypted number


def test_invalid_id_number_creates_nothing():
    wrong = ID_NUMBER[:17] + ("0" if ID_NUMBER[17] != "0" else "1")
    with pytest.raises(ValidationError) as excinfo:
        _create(wrong)
    assert excinfo.value.code == "id_number_check_digit"
    assert Trainee.objects.count() == 0


# --- lookup and uniqueness -------------------------------------------------------------


@pytest.mark.parametrize(
    "typed",
    [
        ID_NUMBER,
        ID_NUMBER.lower(),
        _full_width(ID_NUMBER.lower()),
        f"{ID_NUMBER[:6]} {ID_NUMBER[6:14]} {ID_NUMBER[14:]}",
        f"\t{ID_NUMBER.lower()}\u3000",
    ],
)
def test_find_by_id_number_accepts_any_formatting(typed):
    trainee = _create()
    TraineeFactory()  # someone else
    assert trainee_find_by_id_number(typed) == trainee


def test_find_by_id_number_misses_other_numbers_and_respects_the_queryset():
    trainee = _create()
    assert trainee_find_by_id_number(make_id_number()) is None
    assert trainee_find_by_id_number(ID_NUMBER, Trainee.objects.none()) is None
    assert (
        trainee_find_by_id_number(ID_NUMBER, Trainee.objects.filter(pk=trainee.pk))
        == trainee
    )


def test_second_record_for_the_same_person_is_refused():
    _create(ID_NUMBER)
    with pytest.raises(ValidationError) as excinfo:
        _create(_full_width(ID_NUMBER.lower()), name="张三三")
    errors = excinfo.value.error_dict["id_number"]
    assert [e.code for e in errors] == ["duplicate"]
    assert errors[0].message == "该身份证号码已有学员档案。"
    assert Trainee.objects.count() == 1


def test_database_refuses_a_duplicate_blind_index():
    first = TraineeFactory()
    second = TraineeFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Trainee.objects.filter(pk=second.pk).update(id_number_hash=first.id_number_hash)
    clone = Trainee(
        name="冒名",
        id_number=make_id_number(),
        id_number_hash=first.id_number_hash,
        birth_year=1990,
        sex="M",
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        Trainee.objects.bulk_create([clone])  # bypasses save(), which would rehash
    assert Trainee.objects.count() == 2
    assert Trainee.objects.filter(id_number_hash=first.id_number_hash).count() == 1


# --- save() keeps the hash and derived columns in step ---------------------------------


def test_changing_the_id_number_recomputes_hash_and_derived_columns():
    trainee = TraineeFactory(id_number=ID_NUMBER)
    old_hash = trainee.id_number_hash
    new_number = complete_id_number("52030219851124002")

    trainee.id_number = f" {new_number.lower()} "
    trainee.save()

    row = _raw_row(trainee.pk)
    assert row["id_number_hash"] == _expected_hash(new_number) != old_hash
    assert row["birth_year"] == 1985
    assert row["sex"] == "F"
    fresh = Trainee.objects.get(pk=trainee.pk)
    assert fresh.id_number == new_number
    assert fresh.birth_date == dt.date(1985, 11, 24)
    assert trainee_find_by_id_number(new_number) == trainee
    assert trainee_find_by_id_number(ID_NUMBER) is None


def test_saving_an_invalid_id_number_is_refused():
    trainee = TraineeFactory(id_number=ID_NUMBER)
    trainee.id_number = "52010219900230123X"
    with pytest.raises(ValidationError):
        trainee.save()
    assert Trainee.objects.get(pk=trainee.pk).id_number == ID_NUMBER


def test_saving_without_a_change_keeps_the_hash():
    trainee = TraineeFactory(id_number=ID_NUMBER)
    before = _raw_row(trainee.pk)
    trainee.name = "李四"
    trainee.save()
    after = _raw_row(trainee.pk)
    assert after["id_number_hash"] == before["id_number_hash"]
    assert after["name"] == "李四"
    assert after["birth_year"] == before["birth_year"]
    assert Trainee.objects.get(pk=trainee.pk).id_number == ID_NUMBER


# --- audited reveal --------------------------------------------------------------------


@pytest.fixture
def trainee():
    trainee = TraineeFactory(id_number=ID_NUMBER)  # household region 520102
    trainee.bank_account = ACCOUNT
    trainee.save()
    return Trainee.objects.get(pk=trainee.pk)


def _audit_text(event) -> str:
    return json.dumps([event.before, event.after, event.reason], ensure_ascii=False)


@pytest.mark.parametrize(
    "field, value", [("id_number", ID_NUMBER), ("bank_account", ACCOUNT)]
)
def test_bureau_of_the_region_sees_the_full_value_and_is_audited(trainee, field, value):
    actor = staff_user("bureau", region_code="520100")
    assert trainee_reveal_pii(actor=actor, trainee=trainee, field=field) == value

    events = list(AuditEvent.objects.all())
    assert len(events) == 1
    event = events[0]
    assert event.action == "pii.reveal"
    assert event.actor == actor
    assert event.object_type == "trainees.trainee"
    assert event.object_id == str(trainee.pk)
    assert event.after == {"field": field}
    text = _audit_text(event)
    for secret in (ID_NUMBER, ID_NUMBER[:17], ACCOUNT, ACCOUNT[:-4]):
        assert secret not in text


def test_each_reveal_is_audited_again(trainee):
    actor = staff_user("bureau", region_code="520000")  # the province covers 520102
    for _ in range(3):
        assert trainee_reveal_pii(actor=actor, trainee=trainee, field="id_number")
    assert AuditEvent.objects.filter(action="pii.reveal", actor=actor).count() == 3


def test_reveal_records_the_client_address(trainee, rf):
    actor = staff_user("bureau", region_code="520100")
    request = rf.get("/", REMOTE_ADDR="10.0.0.7")
    trainee_reveal_pii(actor=actor, trainee=trainee, field="id_number", request=request)
    assert AuditEvent.objects.get().client_ip == "10.0.0.7"


@pytest.mark.parametrize(
    "make_actor",
    [
        lambda: UserFactory(),
        lambda: staff_user("institution", institution=InstitutionFactory()),
        lambda: staff_user("evaluator", institution=InstitutionFactory()),
    ],
    ids=["no-role", "institution", "evaluator"],
)
def test_users_without_the_permission_are_refused_and_nothing_is_audited(
    trainee, make_actor
):
    actor = make_actor()
    assert not actor.has_perm("trainees.reveal_pii")
    with pytest.raises(PermissionDenied):
        trainee_reveal_pii(actor=actor, trainee=trainee, field="id_number")
    assert AuditEvent.objects.count() == 0


def test_bureau_of_another_prefecture_is_refused_despite_the_permission(trainee):
    actor = staff_user("bureau", region_code="520300")
    assert actor.has_perm("trainees.reveal_pii")
    for field in ("id_number", "bank_account"):
        with pytest.raises(PermissionDenied):
            trainee_reveal_pii(actor=actor, trainee=trainee, field=field)
    assert AuditEvent.objects.count() == 0


def test_inactive_bureau_user_is_refused(trainee):
    actor = staff_user("bureau", region_code="520100")
    actor.is_active = False
    actor.save()
    with pytest.raises(PermissionDenied):
        trainee_reveal_pii(actor=actor, trainee=trainee, field="id_number")
    assert AuditEvent.objects.count() == 0


@pytest.mark.parametrize("field", ["phone", "name", "id_number_hash", "password"])
def test_only_personal_data_fields_can_be_revealed(trainee, field):
    actor = staff_user("bureau", region_code="520100")
    with pytest.raises(ValueError):
        trainee_reveal_pii(actor=actor, trainee=trainee, field=field)
    assert AuditEvent.objects.count() == 0
