"""Re-mask the frozen holder ID numbers from first 4 + last 4 to first 2 + last 2.

The old form kept enough of the number to rebuild it with a birth date and region
(issue 9, item 2). The old value holds both ends of the new one, so no key is needed.

Reversible where it can be: going back rebuilds the 4 + 4 form from the holder's
decrypted ID number when the certificate's frozen holder hash still matches the
trainee's number; other certificates keep the 2 + 2 form.
"""

from django.db import migrations

KEEP = 2


def _is_old_form(masked: str) -> bool:
    return (
        len(masked) == 18
        and "*" not in masked[:4]
        and set(masked[4:14]) == {"*"}
        and "*" not in masked[14:]
    )


def remask(apps, schema_editor):
    Certificate = apps.get_model("certificates", "Certificate")
    rows = Certificate.objects.using(schema_editor.connection.alias)
    batch = []
    for cert in rows.only("pk", "holder_id_masked").iterator(chunk_size=2000):
        masked = cert.holder_id_masked
        if _is_old_form(masked):
            cert.holder_id_masked = masked[:KEEP] + "*" * 14 + masked[-KEEP:]
            batch.append(cert)
        if len(batch) >= 2000:
            rows.bulk_update(batch, ["holder_id_masked"])
            batch = []
    rows.bulk_update(batch, ["holder_id_masked"])


def unmask_to_old_form(apps, schema_editor):
    Certificate = apps.get_model("certificates", "Certificate")
    rows = Certificate.objects.using(schema_editor.connection.alias)
    batch = []
    certs = rows.select_related("trainee").only(
        "pk",
        "holder_id_masked",
        "holder_id_hash",
        "trainee__id_number",
        "trainee__id_number_hash",
    )
    for cert in certs.iterator(chunk_size=2000):
        number = cert.trainee.id_number
        if cert.holder_id_hash == cert.trainee.id_number_hash and len(number) == 18:
            cert.holder_id_masked = number[:4] + "*" * 10 + number[-4:]
            batch.append(cert)
        if len(batch) >= 2000:
            rows.bulk_update(batch, ["holder_id_masked"])
            batch = []
    rows.bulk_update(batch, ["holder_id_masked"])


class Migration(migrations.Migration):

    dependencies = [
        ("certificates", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(remask, unmask_to_old_form),
    ]
