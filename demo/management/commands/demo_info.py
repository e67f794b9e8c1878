import json

from django.core.management.base import BaseCommand

from demo.selectors import demo_info, demo_logins_text


class Command(BaseCommand):
    help = (
        "Print the demo users with their roles and scopes (JSON), or a sign-in table."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--logins",
            action="store_true",
            help="print a short human-readable table of sign-ins instead of JSON",
        )

    def handle(self, *args, logins, **options):
        info = demo_info()
        if logins:
            self.stdout.write(demo_logins_text(info))
        else:
            self.stdout.write(json.dumps(info, ensure_ascii=False, indent=2))
