"""What every benchmark shares: Django on a scratch database, interleaved timings, query
counts, the machine's description and the results file.

bench.run (``make bench``), bench.roster and bench.verify import it; none of them
imports another, so each runs alone (``python -m bench.roster``) or from bench.run.
"""

import json
import os
import platform
import statistics
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"


def env_int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


def setup_django(db_path: Path):
    os.environ["DATABASE_URL"] = f"sqlite:///{db_path}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "training_platform.settings.test")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


def interleaved(a, b, rounds=15):
    """Median seconds of ``a`` and ``b``, run alternately so noise hits both alike."""
    times_a, times_b = [], []
    for _ in range(rounds):
        for fn, sink in ((a, times_a), (b, times_b)):
            start = time.perf_counter()
            fn()
            sink.append(time.perf_counter() - start)
    return statistics.median(times_a), statistics.median(times_b)


def count_queries(fn):
    """SQL statements ``fn`` runs (request_started resets connection.queries_log)."""
    from django.db import connection

    statements = []

    def counter(execute, sql, params, many, context):
        statements.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(counter):
        fn()
    return len(statements)


def machine():
    """The machine the figures come from: host, CPU model and count, memory, the load
    average when measured (the machine may be shared), Python, date."""
    return {
        "host": platform.node(),
        "cpu": _cpu_model(),
        "python": platform.python_version(),
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "memory_gb": _memory_gb(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "date": time.strftime("%Y-%m-%d"),
    }


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _memory_gb() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    return None


def write_result(name: str, result: dict) -> Path:
    """``bench/results/<name>.json``, as the README's tables are made from."""
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"{name}.json"
    path.write_text(
        json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    return path


# --- c13-bench: shared seeding helpers --- (moved to demo.bulk; c14-scale)
def _stderr_progress():
    import sys

    start = time.perf_counter()

    def show(label, done, total):
        rate = done / max(time.perf_counter() - start, 1e-9)
        sys.stderr.write(f"\r  {label}: {done:,}/{total:,} ({rate:,.0f}/s)   ")
        if done >= total:
            sys.stderr.write("\n")
        sys.stderr.flush()

    return show


def person_id_fields(i: int, region_code: str = "520102") -> dict:
    from demo.bulk import person_id_fields

    return person_id_fields(i, region_code)


def pks_of(model, field: str, values: list) -> list:
    from demo.bulk import pks_of

    return pks_of(model, field, values)


def bulk_insert(model, rows, *, total: int, label: str, batch: int = 10_000) -> range:
    """demo.bulk.bulk_insert with a progress line on stderr."""
    from demo.bulk import bulk_insert

    return bulk_insert(
        model, rows, total=total, label=label, batch=batch, progress=_stderr_progress()
    )


# --- end c13-bench ---
