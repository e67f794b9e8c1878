"""Mask ID-, account- and phone-like numbers that earlier versions kept in the
verification log's ``asked`` column (people type their ID number into the
certificate-number field of /verify/). New rows are stored masked already
(``QueryForm.asked``); this cleans the rows written before that."""

from django.db import migrations

from certificates.numbering import OTHER_NUMBER, SKILL_LEVEL_NUMBER
from training_platform.redact import scrub


def scrub_asked(apps, schema_editor):
    log = apps.get_model("certificates", "VerificationLog")
    changed = []
    # Only rows with a digit (ASCII or full-width) or a percent sign can hold a number.
    rows = log.objects.filter(asked__regex=r"[0-9０-９%]").only("id", "asked")
    for row in rows.iterator(chunk_size=2000):
        asked = row.asked
        if SKILL_LEVEL_NUMBER.fullmatch(asked) or OTHER_NUMBER.fullmatch(asked):
            continue
        cleaned = scrub(asked)
        if cleaned != asked:
            row.asked = cleaned
            changed.append(row)
        if len(changed) >= 2000:
            log.objects.bulk_update(changed, ["asked"])
            changed = []
    if changed:
        log.objects.bulk_update(changed, ["asked"])


class Migration(migrations.Migration):
    dependencies = [
        ("certificates", "0003_certificate_occupation_name"),
    ]

    operations = [
        # What was masked cannot be unmasked; going back leaves the rows masked.
        migrations.RunPython(scrub_asked, migrations.RunPython.noop),
    ]
