"""A paid claim cannot change: a trigger refuses any change of its money, person,
status or payment, and its deletion, whoever sends the statement.

The account's ciphertext is not frozen: rotating the PII keys (``rotate_pii_keys``)
re-encrypts it without changing what it says."""

from django.db import migrations

from training_platform.sql import frozen_row_statements

FROZEN_COLUMNS = (
    "status",
    "amount",
    "trainee_id",
    "kind",
    "occupation_id",
    "level",
    "payee_name",
    "payment_id",
    "paid_on",
    "bank_reference",
    "standard_id",
)


def _statements(schema_editor):
    return frozen_row_statements(
        table_name="subsidies_claim",
        status_column="status",
        frozen_value="paid",
        columns=FROZEN_COLUMNS,
        vendor=schema_editor.connection.vendor,
    )


def install(apps, schema_editor):
    for statement in _statements(schema_editor)[0]:
        schema_editor.execute(statement, params=None)


def remove(apps, schema_editor):
    for statement in _statements(schema_editor)[1]:
        schema_editor.execute(statement, params=None)


class Migration(migrations.Migration):
    dependencies = [("subsidies", "0001_claims")]

    operations = [migrations.RunPython(install, remove)]
