"""python manage.py import_results --class <id or code> FILE --user <username> [--dry-run]

Imports attendance and assessment results acting as ``--user`` (who must be staff of
the class's institution). Prints the summary as JSON; exits non-zero when the file or
the user was refused.
"""

import json

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError

from courses.results_import import read_results, results_import
from courses.selectors import class_by_ref


def _refused(messages) -> dict:
    return {
        "rows": 0,
        "updated": 0,
        "unchanged": 0,
        "errors": [{"row": 0, "column": "", "message": m} for m in messages],
    }


class Command(BaseCommand):
    help = "Import attendance and assessment results (xlsx); print the summary as JSON."

    def add_arguments(self, parser):
        parser.add_argument(
            "--class",
            dest="class_ref",
            required=True,
            help="class id or code, e.g. DEMO-001",
        )
        parser.add_argument("file")
        parser.add_argument(
            "--user",
            dest="username",
            required=True,
            help="act as this user (staff of the class's institution)",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="validate and count, write nothing"
        )

    def handle(self, *args, class_ref, file, username, dry_run, **options):
        training_class = class_by_ref(class_ref)
        if training_class is None:
            raise CommandError(f"找不到培训班：{class_ref}")
        user = get_user_model().objects.filter(username=username).first()
        if user is None or not user.is_active:
            raise CommandError(f"找不到用户：{username}")
        try:
            with open(file, "rb") as fh:
                # Read while the file is open: a refusal may leave the rows unread.
                rows = list(read_results(fh))
            summary = results_import(
                training_class=training_class, rows=rows, actor=user, dry_run=dry_run
            )
        except OSError as exc:
            raise CommandError(f"无法读取文件：{exc.strerror}") from None
        except PermissionDenied as exc:
            summary = _refused([str(exc) or "没有权限。"])
        except ValidationError as exc:
            summary = _refused(exc.messages)
        self.stdout.write(json.dumps(summary, ensure_ascii=False))
        if summary["errors"]:
            raise CommandError(f"文件未导入：{len(summary['errors'])} 处错误")
