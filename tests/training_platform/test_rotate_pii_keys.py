"""manage.py rotate_pii_keys: re-encrypt personal data under the active key."""

import ast
import datetime as dt
import inspect
import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from subsidies.models import Claim, ClaimStatus
from tests.factories import ClaimFactory, TraineeFactory
from trainees.models import Trainee
from training_platform.accounts.management.commands import rotate_pii_keys
from training_platform.pii import DecryptionError

pytestmark = pytest.mark.usefixtures("reference")

ACCOUNTS = ["6222021234567890123", "", "6217001234567890"]


def _raw(pks) -> dict:
    table = connection.ops.quote_name(Trainee._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id, id_number, bank_account, id_number_hash, updated_at FROM {table}"  # noqa: S608
        )
        rows = {row[0]: row[1:] for row in cursor.fetchall()}
    return {pk: rows[pk] for pk in pks}


def _rotate_all(**options) -> dict:
    out = StringIO()
    call_command("rotate_pii_keys", stdout=out, **options)
    return json.loads(out.getvalue())


def _rotate(**options) -> dict:
    """The trainees' part of the report (the other encrypted models hold no rows here)."""
    report = _rotate_all(**options)
    assert all(n == 0 for label, n in report.items() if label != "trainees.Trainee")
    return {"trainees.Trainee": report["trainees.Trainee"]}


def _make_trainees():
    trainees = []
    for account in ACCOUNTS:
        trainee = TraineeFactory()
        trainee.bank_account = account
        trainee.save()
        trainees.append(trainee)
    return trainees


@pytest.mark.parametrize("batch_size", [1, 2, 500])
def test_rows_under_an_old_key_are_reencrypted(settings, batch_size):
    settings.PII_ACTIVE_KEY_ID = "t1"
    old = _make_trainees()
    pks = [t.pk for t in old]
    before = _raw(pks)
    assert all(row[0].startswith("t1:") for row in before.values())

    settings.PII_ACTIVE_KEY_ID = "t2"
    assert _rotate(batch_size=batch_size) == {"trainees.Trainee": 3}

    after = _raw(pks)
    for trainee in old:
        id_number, bank_account, digest, updated_at = after[trainee.pk]
        assert id_number.startswith("t2:")
        assert id_number != before[trainee.pk][0]
        if trainee.bank_account:
            assert bank_account.startswith("t2:")
        else:
            assert bank_account == ""  # empty stays empty, not encrypted
        assert digest == before[trainee.pk][2]  # the blind index does not change
        assert updated_at == before[trainee.pk][3]  # not a change of the record

    # The plain values are the same, and no longer need the old key.
    settings.PII_ENCRYPTION_KEYS = {"t2": settings.PII_ENCRYPTION_KEYS["t2"]}
    for trainee in old:
        fresh = Trainee.objects.get(pk=trainee.pk)
        assert fresh.id_number == trainee.id_number
        assert fresh.bank_account == trainee.bank_account


def test_second_run_reencrypts_nothing(settings):
    settings.PII_ACTIVE_KEY_ID = "t1"
    pks = [t.pk for t in _make_trainees()]
    settings.PII_ACTIVE_KEY_ID = "t2"
    assert _rotate() == {"trainees.Trainee": 3}
    rotated = _raw(pks)
    assert _rotate() == {"trainees.Trainee": 0}
    assert _raw(pks) == rotated  # not even a fresh nonce


def test_rows_already_under_the_active_key_are_left_alone(settings):
    current = TraineeFactory()
    current.bank_account = ACCOUNTS[0]
    current.save()
    untouched = _raw([current.pk])

    settings.PII_ACTIVE_KEY_ID = "t1"
    stale = TraineeFactory()
    settings.PII_ACTIVE_KEY_ID = "t2"

    assert _rotate() == {"trainees.Trainee": 1}
    assert _raw([current.pk]) == untouched
    assert _raw([stale.pk])[stale.pk][0].startswith("t2:")


def test_a_row_with_one_stale_column_is_reencrypted(settings):
    trainee = TraineeFactory()  # id_number under t2
    settings.PII_ACTIVE_KEY_ID = "t1"
    Trainee.objects.filter(pk=trainee.pk).update(bank_account=ACCOUNTS[0])
    settings.PII_ACTIVE_KEY_ID = "t2"
    assert _raw([trainee.pk])[trainee.pk][1].startswith("t1:")

    assert _rotate() == {"trainees.Trainee": 1}
    id_number, bank_account, *_ = _raw([trainee.pk])[trainee.pk]
    assert id_number.startswith("t2:")
    assert bank_account.startswith("t2:")
    assert Trainee.objects.get(pk=trainee.pk).bank_account == ACCOUNTS[0]


def test_empty_database_reports_every_encrypted_model():
    assert _rotate_all() == {
        "subsidies.Claim": 0,
        "subsidies.Payment": 0,
        "trainees.Trainee": 0,
    }


def test_a_paid_claims_account_is_reencrypted_though_the_claim_is_frozen(settings):
    settings.PII_ACTIVE_KEY_ID = "t1"
    claim = ClaimFactory(
        status=ClaimStatus.PAID, paid_on=dt.date(2026, 11, 2), bank_reference="B1"
    )
    settings.PII_ACTIVE_KEY_ID = "t2"
    report = _rotate_all()
    assert report["subsidies.Claim"] == 1
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT payee_account, status FROM subsidies_claim WHERE id = %s",
            [claim.pk],
        )
        stored, status = cursor.fetchone()
    assert stored.startswith("t2:") and status == ClaimStatus.PAID
    assert Claim.objects.get(pk=claim.pk).payee_account == claim.payee_account


def test_value_under_a_key_that_left_the_ring_stops_the_command(settings):
    trainee = TraineeFactory()
    settings.PII_ACTIVE_KEY_ID = "t1"
    Trainee.objects.filter(pk=trainee.pk).update(bank_account=ACCOUNTS[0])
    settings.PII_ACTIVE_KEY_ID = "t2"
    settings.PII_ENCRYPTION_KEYS = {"t2": settings.PII_ENCRYPTION_KEYS["t2"]}
    before = _raw([trainee.pk])
    with pytest.raises(CommandError, match="trainees.Trainee"):
        _rotate()
    assert _raw([trainee.pk]) == before
    with pytest.raises(DecryptionError):
        Trainee.objects.get(pk=trainee.pk)


def test_misconfigured_key_ring_is_a_command_error(settings):
    settings.PII_ACTIVE_KEY_ID = "t9"
    with pytest.raises(CommandError, match="PII_ACTIVE_KEY_ID"):
        _rotate()


def test_batch_size_must_be_positive():
    with pytest.raises(CommandError):
        _rotate(batch_size=0)


def test_command_imports_no_app_module():
    tree = ast.parse(inspect.getsource(rotate_pii_keys))
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            imported |= {f"{node.module}.{alias.name}" for alias in node.names}
    assert imported
    assert all(
        name.startswith(("django.", "json")) or name == "training_platform.pii"
        for name in imported
    ), imported
