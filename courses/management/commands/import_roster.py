"""python manage.py import_roster --class <id or code> FILE [--dry-run]

Prints the import summary as JSON; exits non-zero when the file was refused.
"""

import json

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from courses.roster import read_roster, roster_import
from courses.selectors import class_by_ref


class Command(BaseCommand):
    help = "Import a class roster (xlsx) and print the summary as JSON."

    def add_arguments(self, parser):
        parser.add_argument(
            "--class",
            dest="class_ref",
            required=True,
            help="class id or code, e.g. DEMO-001",
        )
        parser.add_argument("file")
        parser.add_argument(
            "--dry-run", action="store_true", help="validate and count, write nothing"
        )

    def handle(self, *args, class_ref, file, dry_run, **options):
        training_class = class_by_ref(class_ref)
        if training_class is None:
            raise CommandError(f"找不到培训班：{class_ref}")
        try:
            with open(file, "rb") as fh:
                summary = roster_import(
                    training_class=training_class, rows=read_roster(fh), dry_run=dry_run
                )
        except OSError as exc:
            raise CommandError(f"无法读取文件：{exc.strerror}") from None
        except ValidationError as exc:
            summary = {
                "rows": 0,
                "created_trainees": 0,
                "matched_trainees": 0,
                "enrolled": 0,
                "already_enrolled": 0,
                "errors": [
                    {"row": 0, "column": "", "message": m} for m in exc.messages
                ],
            }
        self.stdout.write(json.dumps(summary, ensure_ascii=False))
        if summary["errors"]:
            raise CommandError(f"文件未导入：{len(summary['errors'])} 处错误")
