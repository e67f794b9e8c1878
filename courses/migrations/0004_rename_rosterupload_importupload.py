# The upload row holds results uploads too: named for what it holds.

from django.conf import settings
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("courses", "0003_rosterupload_kind_expiry"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RenameModel(old_name="RosterUpload", new_name="ImportUpload"),
    ]
