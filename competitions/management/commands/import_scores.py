"""python manage.py import_scores <event id> FILE [--confirm] [--user <username>]

Checks an event's score sheet (成绩表) and prints the summary as JSON; writes only with
``--confirm``. With ``--user`` it acts as that user (who must manage the competition);
without, as the operator. Exits non-zero when the file or the user was refused.
"""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from competitions.models import Event
from competitions.score_import import SCORES
from training_platform.imports.commands import import_file_command


class Command(BaseCommand):
    help = "Import an event's score sheet (xlsx); print the summary as JSON."

    def add_arguments(self, parser):
        parser.add_argument("event_id", type=int)
        parser.add_argument("file")
        parser.add_argument(
            "--confirm", action="store_true", help="write the scores (default: check)"
        )
        parser.add_argument(
            "--user", dest="username", help="act as this user (a competition manager)"
        )

    def handle(self, *args, event_id, file, confirm, username=None, **options):
        actor = None
        if username:
            actor = get_user_model().objects.filter(username=username).first()
            if actor is None or not actor.is_active:
                raise CommandError(f"找不到用户：{username}")
        event = Event.objects.select_related("competition").filter(pk=event_id).first()
        if event is None:
            raise CommandError(f"找不到赛项：{event_id}")
        import_file_command(
            self,
            kind=SCORES,
            target=event,
            path=file,
            actor=actor,
            dry_run=not confirm,
        )
