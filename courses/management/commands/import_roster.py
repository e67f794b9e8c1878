"""python manage.py import_roster --class <id or code> FILE [--dry-run]

Prints the import summary as JSON; exits non-zero when the file was refused.
"""

from django.core.management.base import BaseCommand, CommandError

from courses.roster import ROSTER_IMPORT
from courses.selectors import class_by_ref
from training_platform.imports.commands import import_file_command


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
        import_file_command(
            self, kind=ROSTER_IMPORT, target=training_class, path=file, dry_run=dry_run
        )
