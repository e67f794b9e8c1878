"""Certificates freeze the occupation name they were issued under.

Existing certificates take the occupation's current name (the best record there is).
"""

from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def fill_occupation_names(apps, schema_editor):
    Certificate = apps.get_model("certificates", "Certificate")
    Occupation = apps.get_model("reference", "Occupation")
    Certificate.objects.filter(occupation_name="").update(
        occupation_name=Subquery(
            Occupation.objects.filter(code=OuterRef("occupation_id")).values("name")[
                :1
            ]
        )
    )


class Migration(migrations.Migration):
    dependencies = [
        ("certificates", "0002_holder_id_masked_two_and_two"),
        ("reference", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="certificate",
            name="occupation_name",
            field=models.CharField(
                default="", max_length=120, verbose_name="职业（工种）名称"
            ),
            preserve_default=False,
        ),
        migrations.RunPython(fill_occupation_names, migrations.RunPython.noop),
    ]
