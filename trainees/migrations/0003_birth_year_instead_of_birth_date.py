"""Keep only the birth year in plain; drop the plain birth date and region of issue.

With the masked ID number, the plain birth date and region of issue gave the full number
back without any key (issue 9, item 2). The birth year stays for age bands.

Reversible: going back re-adds both columns and fills them from the decrypted ID number
(which needs the PII keys, as every read of the number does).
"""

from django.db import migrations, models
from django.db.models.functions import ExtractYear


def fill_birth_year(apps, schema_editor):
    Trainee = apps.get_model("trainees", "Trainee")
    Trainee.objects.using(schema_editor.connection.alias).update(
        birth_year=ExtractYear("birth_date")
    )


def fill_birth_date_and_region(apps, schema_editor):
    import datetime as dt

    Trainee = apps.get_model("trainees", "Trainee")
    rows = Trainee.objects.using(schema_editor.connection.alias)
    batch = []
    for trainee in rows.only("pk", "id_number").iterator(chunk_size=2000):
        number = trainee.id_number
        trainee.birth_date = dt.date(
            int(number[6:10]), int(number[10:12]), int(number[12:14])
        )
        trainee.id_region_code = number[:6]
        batch.append(trainee)
        if len(batch) >= 2000:
            rows.bulk_update(batch, ["birth_date", "id_region_code"])
            batch = []
    rows.bulk_update(batch, ["birth_date", "id_region_code"])


class Migration(migrations.Migration):

    dependencies = [
        ("trainees", "0002_drop_duplicate_region_indexes"),
    ]

    operations = [
        migrations.AddField(
            model_name="trainee",
            name="birth_year",
            field=models.PositiveSmallIntegerField(
                editable=False, null=True, verbose_name="出生年份"
            ),
        ),
        # Nullable for the moment, so that going back can re-add them to filled tables.
        migrations.AlterField(
            model_name="trainee",
            name="birth_date",
            field=models.DateField(editable=False, null=True, verbose_name="出生日期"),
        ),
        migrations.AlterField(
            model_name="trainee",
            name="id_region_code",
            field=models.CharField(
                db_index=True,
                editable=False,
                max_length=6,
                null=True,
                verbose_name="发证地区划",
            ),
        ),
        migrations.RunPython(fill_birth_year, fill_birth_date_and_region),
        migrations.AlterField(
            model_name="trainee",
            name="birth_year",
            field=models.PositiveSmallIntegerField(
                editable=False, verbose_name="出生年份"
            ),
        ),
        migrations.RemoveField(model_name="trainee", name="birth_date"),
        migrations.RemoveField(model_name="trainee", name="id_region_code"),
    ]
