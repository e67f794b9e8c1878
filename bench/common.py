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


# --- c13-bench: shared seeding helpers ---
def person_id_fields(i: int, region_code: str = "520102") -> dict:
    """Trainee columns for the ``i``-th made-up person: a valid ID number, unique per
    ``i`` (birth date and sequence), its blind index, birth year and sex."""
    import datetime as dt

    from trainees.models import id_number_fields
    from training_platform.validators import complete_id_number, parse_id_number

    day, seq = divmod(i, 1000)
    birth = dt.date(1965, 1, 1) + dt.timedelta(days=day * 11)
    number = complete_id_number(f"{region_code}{birth:%Y%m%d}{seq:03d}")
    return id_number_fields(parse_id_number(number))


def pks_of(model, field: str, values: list) -> list:
    """The primary keys of the rows whose ``field`` is each of ``values``, in order."""
    found = {}
    for i in range(0, len(values), 900):
        found.update(
            model.objects.filter(**{f"{field}__in": values[i : i + 900]})
            .values_list(field, "pk")
            .iterator()
        )
    return [found[v] for v in values]


def bulk_insert(model, rows, *, total: int, label: str, batch: int = 10_000) -> range:
    """Insert ``rows`` (dicts by attname: ``trainee_id``, ``name``) into ``model``'s
    table with one executemany per batch, a progress line on stderr; returns the new
    primary keys (a range: one writer on a scratch database gets consecutive ids;
    checked).

    Fields a row leaves out get their default (``auto_now_add``: now), and every value
    goes through the field's ``get_db_prep_save``, so encrypted and hashed fields are
    written as the model would write them; no instances are built, no signals sent.
    """
    import sys

    from django.db import connection
    from django.db.models import Max, Min
    from django.utils import timezone

    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    qn = connection.ops.quote_name
    sql = "INSERT INTO {} ({}) VALUES ({})".format(  # noqa: S608 (names from _meta)
        qn(model._meta.db_table),
        ", ".join(qn(f.column) for f in fields),
        ", ".join(["%s"] * len(fields)),
    )
    from django.db import models

    plain_types = (
        models.CharField,
        models.TextField,
        models.SlugField,
        models.IntegerField,
        models.PositiveIntegerField,
        models.PositiveSmallIntegerField,
        models.SmallIntegerField,
        models.BigIntegerField,
        models.BooleanField,
        models.ForeignKey,
        models.OneToOneField,
    )
    now = timezone.now()
    # Per field: a constant (prepared once) for what rows leave out, a callable default,
    # or whether a row's value needs preparing (plain ints and strings do not).
    constant, per_row_default, plain = {}, {}, {}
    for f in fields:
        if getattr(f, "auto_now_add", False) or getattr(f, "auto_now", False):
            constant[f.attname] = f.get_db_prep_save(now, connection)
        elif f.has_default() and callable(f.default):
            per_row_default[f.attname] = f
        else:
            constant[f.attname] = f.get_db_prep_save(f.get_default(), connection)
        plain[f.attname] = type(f) in plain_types

    def prepared(f, row):
        name = f.attname
        if name not in row:
            if name in per_row_default:
                return f.get_db_prep_save(f.get_default(), connection)
            return constant[name]
        value = row[name]
        if not plain[name]:
            return f.get_db_prep_save(value, connection)
        if value is None or type(value) in (int, str):
            return value
        return str(value) if isinstance(value, str) else value

    before = model.objects.aggregate(m=Max("pk"))["m"] or 0
    done, chunk, start = 0, [], time.perf_counter()

    def flush():
        nonlocal done
        with connection.cursor() as cursor:
            cursor.executemany(sql, chunk)
        done += len(chunk)
        chunk.clear()
        rate = done / max(time.perf_counter() - start, 1e-9)
        sys.stderr.write(f"\r  {label}: {done:,}/{total:,} ({rate:,.0f}/s)   ")
        sys.stderr.flush()

    for row in rows:
        chunk.append([prepared(f, row) for f in fields])
        if len(chunk) >= batch:
            flush()
    if chunk:
        flush()
    sys.stderr.write("\n")
    new = model.objects.filter(pk__gt=before).aggregate(lo=Min("pk"), hi=Max("pk"))
    if done and new["hi"] - new["lo"] + 1 != done:
        raise RuntimeError(f"{label}: ids not consecutive ({new}, {done} rows)")
    return range(new["lo"], new["hi"] + 1) if done else range(0)


# --- end c13-bench ---
