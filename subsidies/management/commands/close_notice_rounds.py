"""python manage.py close_notice_rounds [--today YYYY-MM-DD]

Ends the notice (公示) periods that are over: the claims of those rounds with no open
objection move on to 公示期满待拨付, and a round with no claim left in notice closes.
Run it daily (cron), after midnight; running it again changes nothing. Prints
``{"noticed": n, "held": n, "closed": n}``.
"""

import datetime as dt
import json

from django.core.management.base import BaseCommand, CommandError

from subsidies.notice import notice_rounds_close


class Command(BaseCommand):
    help = (
        "End the notice periods that are over (claims with no open objection move on)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--today", help="the date to close as of (default today)")

    def handle(self, *args, today=None, **options):
        day = None
        if today:
            try:
                day = dt.date.fromisoformat(today)
            except ValueError:
                raise CommandError("--today 应为 YYYY-MM-DD 格式的日期。") from None
        self.stdout.write(json.dumps(notice_rounds_close(today=day)))
