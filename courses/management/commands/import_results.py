"""python manage.py import_results --class <id or code> FILE --user <username> [--dry-run]

Imports attendance and assessment results acting as ``--user`` (who must be staff of
the class's institution). Prints the summary as JSON; exits non-zero when the file or
the user was refused.
"""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from courses.results_import import RESULTS_IMPORT
from courses.selectors import class_by_ref
from training_platform.imports.commands import import_file_command


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
        import_file_command(
            self,
            kind=RESULTS_IMPORT,
            target=training_class,
            path=file,
            actor=user,
            dry_run=dry_run,
        )
