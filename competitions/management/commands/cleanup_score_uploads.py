"""python manage.py cleanup_score_uploads [--days N]

Deletes the stored files of score sheets (成绩表) older than N days (default 7) that
were never imported, and marks them expired. Run it daily (cron); each new upload also
expires a few on the way. Prints ``{"days": n, "expired": n}``.
"""

import json

from django.core.management.base import BaseCommand, CommandError

from competitions.score_tasks import UPLOAD_KEEP_DAYS, score_upload_cleanup


class Command(BaseCommand):
    help = "Delete the files of score uploads never imported after N days (default 7)."

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=UPLOAD_KEEP_DAYS)

    def handle(self, *args, days, **options):
        if days < 0:
            raise CommandError("--days 不能为负数。")
        expired = score_upload_cleanup(days=days)
        self.stdout.write(json.dumps({"days": days, "expired": expired}))
