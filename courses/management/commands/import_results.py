"""python manage.py import_results --class <id or code> FILE --user <username> [--dry-run]

Imports attendance and assessment results acting as ``--user`` (who must be staff of
the class's institution). Prints the summary as JSON; exits non-zero when the file or
the user was refused.
"""

from django.contrib.auth import get_user_model
from django.core.management.base import CommandError

from courses.management.class_import import ClassImportCommand
from courses.results_import import RESULTS_IMPORT


class Command(ClassImportCommand):
    help = "Import attendance and assessment results (xlsx); print the summary as JSON."
    kind = RESULTS_IMPORT

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument(
            "--user",
            dest="username",
            required=True,
            help="act as this user (staff of the class's institution)",
        )

    def actor(self, options):
        username = options["username"]
        user = get_user_model().objects.filter(username=username).first()
        if user is None or not user.is_active:
            raise CommandError(f"找不到用户：{username}")
        return user
