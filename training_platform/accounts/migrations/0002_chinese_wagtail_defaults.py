"""Wagtail's default records in Chinese (issue 16: the back-office speaks Chinese).

Wagtail's own migrations create the root page and the root collection "Root", the groups "Moderators" and
"Editors", and the workflow and task "Moderators approval"; editors see all of them.
Only records still carrying Wagtail's English name are renamed, so a name an administrator
chose is kept; reversing puts the English names back.
"""

from django.db import migrations

NAMES = [
    # (app, model, field, English, Chinese)
    ("wagtailcore", "Page", "title", "Root", "根目录"),
    ("wagtailcore", "Page", "draft_title", "Root", "根目录"),
    ("wagtailcore", "Collection", "name", "Root", "根目录"),
    ("auth", "Group", "name", "Moderators", "审核人员"),
    ("auth", "Group", "name", "Editors", "编辑人员"),
    ("wagtailcore", "Workflow", "name", "Moderators approval", "审核人员审批"),
    ("wagtailcore", "Task", "name", "Moderators approval", "审核人员审批"),
]


def rename(apps, pairs):
    for app, model, field, old, new in pairs:
        manager = apps.get_model(app, model).objects
        if model == "Group" and manager.filter(**{field: new}).exists():
            continue  # the Chinese name is taken: leave the record as it is
        manager.filter(**{field: old}).update(**{field: new})


def to_chinese(apps, schema_editor):
    rename(apps, NAMES)


def to_english(apps, schema_editor):
    rename(apps, [(a, m, f, new, old) for a, m, f, old, new in NAMES])


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("wagtailcore", "0098_apitoken"),
    ]

    operations = [migrations.RunPython(to_chinese, to_english)]
