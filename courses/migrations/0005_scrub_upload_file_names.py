"""Mask ID-, account- and phone-like numbers in the file names of uploads stored before
file names were scrubbed at upload (an office may name a file after a person)."""

from django.db import migrations

from training_platform.redact import scrub


def scrub_file_names(apps, schema_editor):
    upload = apps.get_model("courses", "ImportUpload")
    changed = []
    rows = upload.objects.filter(original_name__regex=r"[0-9０-９%]").only(
        "id", "original_name"
    )
    for row in rows.iterator(chunk_size=2000):
        cleaned = scrub(row.original_name)[:255]
        if cleaned != row.original_name:
            row.original_name = cleaned
            changed.append(row)
    upload.objects.bulk_update(changed, ["original_name"], batch_size=2000)


class Migration(migrations.Migration):
    dependencies = [
        ("courses", "0004_rename_rosterupload_importupload"),
    ]

    operations = [
        # What was masked cannot be unmasked; going back leaves the names masked.
        migrations.RunPython(scrub_file_names, migrations.RunPython.noop),
    ]
