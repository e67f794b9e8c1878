"""The shared shape of the commands that import a file into one class."""

from django.core.management.base import BaseCommand, CommandError

from courses.selectors import class_by_ref
from training_platform.imports.commands import import_file_command


class ClassImportCommand(BaseCommand):
    """``--class <id or code> FILE [--dry-run]``; subclasses set ``kind`` (an ImportKind)
    and may add arguments and name the acting user in ``actor``."""

    kind = None

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

    def actor(self, options):
        return None

    def handle(self, *args, class_ref, file, dry_run, **options):
        training_class = class_by_ref(class_ref)
        if training_class is None:
            raise CommandError(f"找不到培训班：{class_ref}")
        import_file_command(
            self,
            kind=self.kind,
            target=training_class,
            path=file,
            actor=self.actor(options),
            dry_run=dry_run,
        )
