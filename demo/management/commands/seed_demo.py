import json
import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from demo.services import demo_seed


class Command(BaseCommand):
    help = (
        "Create the demo data set (users, institutions, bases, 240 × scale trainees); "
        "running it again creates nothing new."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--scale", type=int, default=1, help="build 240 × N trainees (default 1)"
        )

    def handle(self, *args, scale, verbosity, **options):
        if scale < 1:
            raise CommandError("--scale must be at least 1.")
        # The demo users share a published password: never in production (SPEC §6).
        if (settings.SETTINGS_MODULE or "").endswith(".production"):
            raise CommandError("Demo data is never loaded with production settings.")
        started = time.perf_counter()
        # Progress (large scales only) goes to stderr; stdout stays one line of JSON.
        progress = self.stderr if verbosity > 0 else None
        summary = demo_seed(scale=scale, stdout=progress)
        summary["seconds"] = round(time.perf_counter() - started, 2)
        self.stdout.write(json.dumps(summary, ensure_ascii=False))
