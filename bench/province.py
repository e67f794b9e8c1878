"""One province-scale database for the dashboard and the lists benchmarks.

Seeding at full size takes minutes (``bench.dashboard.seed``: 1,000,000 enrolments,
400,000 trainees, ...; progress on stderr), so ``bench.run`` seeds once, in a child
process on a scratch SQLite file (or ``BENCH_DASHBOARD_DATABASE_URL``), and runs
``bench.dashboard.measure`` and ``bench.lists.time_lists`` on it, as selected:
``python -m bench.province dashboard,lists``. Results go to
``bench/results/dashboard.json`` (``BENCH_DASHBOARD_RESULT``) and ``lists.json``.

Size: ``BENCH_DASHBOARD_ENROLMENTS`` (default 1,000,000; bench.run sets it from
``BENCH_SCALE``); rounds: ``BENCH_DASHBOARD_ROUNDS`` (5), ``BENCH_DASHBOARD_LIVE_ROUNDS``
(1), ``BENCH_LISTS_ROUNDS`` (5).
"""

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.common import RESULTS, ROOT, env_int, machine, write_result

PARTS = ("dashboard", "lists")


def _django(tmp: str) -> None:
    url = os.environ.get("BENCH_DASHBOARD_DATABASE_URL", "")
    if not url:
        from bench.common import setup_django

        setup_django(Path(tmp) / "province.sqlite3")
        return
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "training_platform.settings.test")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("flush", verbosity=0, interactive=False)
    call_command("migrate", verbosity=0, interactive=False)


def _child(parts: list[str]) -> None:
    from bench import dashboard, lists

    enrolments = env_int("BENCH_DASHBOARD_ENROLMENTS", 1_000_000)
    with tempfile.TemporaryDirectory() as tmp:
        _django(tmp)
        from django.db import connection

        seeded = dashboard.seed_database(enrolments)
        if "lists" in parts:
            rows = lists.time_lists(env_int("BENCH_LISTS_ROUNDS", 5))
            write_result(
                "lists",
                {
                    "name": "lists",
                    "machine": machine(),
                    "database": connection.vendor,
                    "seed": seeded,
                    "rows": rows,
                },
            )
        if "dashboard" in parts:
            result = dashboard.measure(
                seeded,
                env_int("BENCH_DASHBOARD_ROUNDS", 5),
                env_int("BENCH_DASHBOARD_LIVE_ROUNDS", 1),
            )
            write_result(os.environ.get("BENCH_DASHBOARD_RESULT", "dashboard"), result)


def main(parts=PARTS) -> dict:
    """Seed once in a child process and run ``parts`` there; their results."""
    parts = [p for p in PARTS if p in parts]
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "training_platform.settings.test"}
    subprocess.run(  # noqa: S603 - our own module, fixed arguments
        [sys.executable, "-m", "bench.province", ",".join(parts)],
        cwd=ROOT,
        env=env,
        check=True,
    )
    names = {
        "dashboard": os.environ.get("BENCH_DASHBOARD_RESULT", "dashboard"),
        "lists": "lists",
    }
    return {
        part: json.loads((RESULTS / f"{names[part]}.json").read_text(encoding="utf-8"))
        for part in parts
    }


if __name__ == "__main__":
    _child([p for p in sys.argv[1].split(",") if p in PARTS])
