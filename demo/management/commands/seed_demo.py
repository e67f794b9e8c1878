import json
import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from demo.services import demo_seed


def _scale(value: str):
    """``--scale N`` (240 × N trainees) or ``--scale province``."""
    if value == "province":
        return value
    try:
        return int(value)
    except ValueError:
        raise CommandError(f"--scale 应为正整数或 province，收到“{value}”。") from None


class Command(BaseCommand):
    help = (
        "Create the demo data set (users, institutions, bases, 240 × scale trainees); "
        "running it again creates nothing new. --scale province adds Guizhou at "
        "province scale (400,000 trainees, 1,000,000 enrolments × --fraction)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--scale",
            default="1",
            help="N: build 240 × N trainees (default 1); province: the province-scale "
            "data set (demo.province)",
        )
        parser.add_argument(
            "--fraction",
            type=float,
            default=1.0,
            help="with --scale province: this share of every count (default 1.0)",
        )

    def handle(self, *args, scale, fraction, verbosity, **options):
        scale = _scale(scale)
        if scale != "province" and scale < 1:
            raise CommandError("--scale must be at least 1.")
        if scale != "province" and fraction != 1.0:
            raise CommandError("--fraction 只能与 --scale province 一起使用。")
        if not 0 < fraction <= 1:
            raise CommandError("--fraction 应在 0 与 1 之间（大于 0，不超过 1）。")
        # The demo users share a published password: never in production (SPEC §6).
        if (settings.SETTINGS_MODULE or "").endswith(".production"):
            raise CommandError("Demo data is never loaded with production settings.")
        started = time.perf_counter()
        if scale == "province":
            from demo.province import province_seed, text_progress

            progress = text_progress(self.stderr._out) if verbosity > 0 else None
            summary = province_seed(fraction=fraction, progress=progress)
            if not summary["created"] and verbosity > 0:
                self.stderr.write(
                    "省级规模演示数据已存在，本次未重复创建（小型演示数据已补齐）。"
                )
        else:
            # Progress (large scales only) goes to stderr; stdout stays one line of JSON.
            progress = self.stderr if verbosity > 0 else None
            summary = demo_seed(scale=scale, stdout=progress)
        summary["seconds"] = round(time.perf_counter() - started, 2)
        self.stdout.write(json.dumps(summary, ensure_ascii=False))
