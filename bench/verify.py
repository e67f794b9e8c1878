"""Public certificate verification under load: 1,000,000 certificates, a real server.

Issue 5's performance target: with 1,000,000 certificates seeded, verification by token
uses at most 2 SQL queries, and under concurrent load on the same server it reaches at
least 50% of the throughput of a trivial view that goes through the same middleware.

1. **Seed** (child process, ``bench.settings`` on a fresh SQLite file in a temporary
   directory): migrate, reference data, ``demo_seed`` (institutions, trainees), then
   :func:`seed_certificates` inserts the certificates set-based: row tuples in the
   column order of ``Certificate._meta``, ``executemany`` in batches of 10,000, a commit
   every 100,000 rows, the table's secondary indexes rebuilt once at the end. Numbers
   follow ``certificates.numbering`` (the serial series are stored, so later issuance
   continues after them), tokens come from ``secrets``, fact keys are ``bench:<id>``.
   About 2% are revoked, 2% superseded by a reissue (written in the same transaction),
   and about a quarter are expired.
2. **Queries** (same child, in-process): one verification of each displayed status
   through the test client under ``CaptureQueriesContext``, page and JSON API, and the
   ``EXPLAIN QUERY PLAN`` of the token lookup (it must use the unique index on token).
   Then median in-process timings of whole requests and of the parts of a page
   verification (lookup, log INSERT, rendering), to show where the time goes.
3. **Load** (parent): gunicorn serves ``training_platform.wsgi`` with ``bench.settings``
   (DEBUG off, the project's middleware, rate limit off, ``bench.urls`` = the project's
   URLs plus ``/bench/trivial/``) on a free port of 127.0.0.1, in its own process group,
   stopped whatever happens. A stdlib asyncio client keeps
   ``BENCH_VERIFY_CONCURRENCY`` keep-alive connections busy for ``BENCH_VERIFY_SECONDS``
   per run: the trivial view, ``/verify/<token>/`` and ``/api/v1/certificates/<token>``
   (random tokens of the seeded set), interleaved (trivial, page, API, trivial, ...)
   for ``BENCH_VERIFY_ROUNDS`` rounds after a warm-up. Every answer must be 200 with a
   certificate in it. Reported per target: requests/s (median of the rounds), p50/p95/
   p99 latency, errors, and the server's CPU per request (``/proc`` of the gunicorn
   processes), which stays meaningful when other jobs share the machine.

Environment: ``BENCH_CERTIFICATES`` (1000000), ``BENCH_VERIFY_SCALE`` (demo scale for
the trainees, 10 = 2,400 people), ``BENCH_VERIFY_WORKERS`` (2), ``BENCH_VERIFY_THREADS``
(4), ``BENCH_VERIFY_WORKER_CLASS`` (gthread), ``BENCH_VERIFY_CONCURRENCY`` (16),
``BENCH_VERIFY_SECONDS`` (8), ``BENCH_VERIFY_ROUNDS`` (3), ``BENCH_VERIFY_PROFILE=1``
(adds a cProfile of 500 in-process page verifications to the output and the JSON).

``BENCH_ONLY=verify make bench`` or ``python -m bench.verify`` runs it alone; results go
to ``bench/results/verify.json``. gunicorn is a bench-only dependency
(requirements-bench.lock).
"""

import asyncio
import bisect
import contextlib
import datetime as dt
import http.client
import itertools
import json
import operator
import os
import random
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
SETTINGS = "bench.settings"
TARGET_QUERIES = 2
TARGET_RATIO = 0.5
BATCH_SIZE = 10_000
COMMIT_EVERY = 100_000
SAMPLE_TOKENS = 20_000
FACT_PREFIX = "bench:"
TRIVIAL_PATH = "/bench/trivial/"
ACCEPT_LANGUAGE = b"zh-hans"  # as a browser in China sends it; the site's default


def _env_int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


# --- seeding (inside Django) -----------------------------------------------------------


def _plan():
    """(kind, basis, levels, share of certificates, has an issuer)."""
    from certificates.models import IssueBasis
    from training_platform.reference.models import CertificateKind

    plan = [
        (CertificateKind.SKILL_LEVEL, IssueBasis.EVALUATION, "54321", 0.50, True),
        (CertificateKind.TRAINING, IssueBasis.ASSESSMENT, "", 0.30, True),
        (CertificateKind.SPECIAL_ABILITY, IssueBasis.EVALUATION, "", 0.10, True),
        (CertificateKind.QUALIFICATION, IssueBasis.EVALUATION, "543", 0.05, True),
        (CertificateKind.COMPETITION, IssueBasis.AWARD, "", 0.05, False),
    ]
    return [(k.value, b.value, *rest) for k, b, *rest in plan]


def _grouped(batches, rows: int):
    """Lists of consecutive batches holding about ``rows`` rows (one transaction each)."""
    group, size = [], 0
    for batch in batches:
        group.append(batch)
        size += len(batch)
        if size >= rows:
            yield group
            group, size = [], 0
    if group:
        yield group


def seed_certificates(
    count: int,
    *,
    seed: int = 20261126,
    sample: int = SAMPLE_TOKENS,
    revoked_share: float = 0.02,
    superseded_share: float = 0.02,
    expiring_share: float = 0.35,
) -> dict:
    """Insert ``count`` certificates over the existing trainees and institutions.

    Set-based: each row is a dict of column values turned into a tuple in
    ``Certificate._meta`` column order (``operator.itemgetter``), with explicit ids so
    that a reissue and its original can point at each other; ``executemany`` in batches
    of ``BATCH_SIZE``, one transaction per ``COMMIT_EVERY`` rows. The table's secondary
    indexes (``CREATE INDEX`` ones, not the UNIQUE columns) are dropped for the load and
    recreated from their own SQL afterwards: building an index once is much faster than
    updating it a million times, and the schema ends up identical (the partial unique
    index on ``fact_key`` is checked when it is rebuilt).

    Returns counts per displayed status, the seconds taken, a sample of tokens (every
    n-th row, all statuses) and one token of each displayed status.
    """
    from django.db import connection, transaction
    from django.db.models import Max
    from django.utils import timezone

    from bases.models import TrainingInstitution
    from certificates.models import (
        Certificate,
        CertificateSeries,
        CertificateStatus,
        IssueBasis,
    )
    from certificates.numbering import format_number, number_prefix
    from trainees.models import Trainee
    from training_platform.reference.models import Occupation, Region

    rng = random.Random(seed)
    started = time.perf_counter()
    holders = [
        (t.pk, t.name, t.masked_id_number, t.id_number_hash)
        for t in Trainee.objects.only("pk", "name", "id_number", "id_number_hash")
    ]
    issuers = list(TrainingInstitution.objects.order_by("pk"))
    occupations = list(Occupation.objects.values_list("pk", "name"))
    if not (holders and issuers and occupations):
        raise RuntimeError("seed trainees, institutions and reference data first")
    province = Region.objects.get(pk="520000").pk
    # (pk, name, region, instance); competitions are issued by the province's committee.
    issuer_rows = [(i.pk, i.name, i.region_id, i) for i in issuers]
    no_issuer = (None, "贵州省职业技能大赛组委会", province, None)
    plan = _plan()
    bounds = list(itertools.accumulate(entry[3] for entry in plan))[:-1]

    fields = list(Certificate._meta.concrete_fields)
    attnames = [f.attname for f in fields]
    to_tuple = operator.itemgetter(*attnames)
    filled = {
        "id", "number", "token", "kind", "occupation_id", "occupation_name",
        "level", "trainee_id",
        "holder_name", "holder_id_masked", "holder_id_hash", "issuer_id",
        "issuer_name", "region_id", "issued_on", "expires_on", "basis", "fact_key",
        "basis_note", "status", "revoked_at", "revoked_reason", "replaces_id",
        "superseded_by_id", "superseded_at", "reissue_reason", "created_at",
    }  # fmt: skip
    unknown = filled - set(attnames)
    if unknown:
        raise RuntimeError(f"bench/verify.py: Certificate has no {sorted(unknown)}")
    defaults = {}  # columns the seed does not know about: their default, or NULL
    for f in fields:
        if f.attname in filled:
            continue
        if f.null:
            defaults[f.attname] = None
        elif f.has_default() or f.blank:
            defaults[f.attname] = f.get_db_prep_save(f.get_default(), connection)
        else:  # a new required column: the seed must learn about it
            raise RuntimeError(f"bench/verify.py: set Certificate.{f.attname}")
    by_name = {f.attname: f for f in fields}

    today = timezone.localdate()
    date_cache: dict = {}
    moment_cache: dict = {}

    def date_value(day: dt.date) -> str:
        value = date_cache.get(day)
        if value is None:
            value = by_name["issued_on"].get_db_prep_save(day, connection)
            date_cache[day] = value
        return value

    def moment_value(day: dt.date):
        """An aware 10:00 local time on ``day``, as the database stores it."""
        value = moment_cache.get(day)
        if value is None:
            aware = timezone.make_aware(dt.datetime.combine(day, dt.time(10)))
            value = by_name["revoked_at"].get_db_prep_save(aware, connection)
            moment_cache[day] = value
        return value

    series = dict(CertificateSeries.objects.values_list("prefix", "last_serial"))
    prefixes: dict = {}

    def next_number(kind, issuer, level, year) -> str:
        key = (kind, issuer[0], level, year)
        prefix = prefixes.get(key)
        if prefix is None:
            prefix = number_prefix(kind=kind, issuer=issuer[3], level=level, year=year)
            prefixes[key] = prefix
        serial = series.get(prefix, 0) + 1
        series[prefix] = serial
        return format_number(prefix, serial)

    valid = CertificateStatus.VALID.value
    now_value = moment_value(today)
    next_id = (Certificate.objects.aggregate(m=Max("pk"))["m"] or 0) + 1
    step = max(1, count // max(sample, 1))
    tokens: list[str] = []
    examples: dict[str, str] = {}
    counts = dict.fromkeys(("valid", "expired", "revoked", "superseded"), 0)
    token_urlsafe = secrets.token_urlsafe
    random_ = rng.random
    days = [dt.timedelta(days=n) for n in range(3650)]
    three_years = dt.timedelta(days=365 * 3)

    def pick(seq):
        return seq[int(random_() * len(seq))]

    def row(*, kind, basis, level, holder, occupation, issuer, issued, expires, fact):
        nonlocal next_id
        pk = next_id
        next_id += 1
        return {
            **defaults,
            "id": pk,
            "number": next_number(kind, issuer, level, issued.year),
            "token": token_urlsafe(16),
            "kind": kind,
            "occupation_id": occupation[0],
            "occupation_name": occupation[1],
            "level": level,
            "trainee_id": holder[0],
            "holder_name": holder[1],
            "holder_id_masked": holder[2],
            "holder_id_hash": holder[3],
            "issuer_id": issuer[0],
            "issuer_name": issuer[1],
            "region_id": issuer[2],
            "issued_on": date_value(issued),
            "expires_on": date_value(expires) if expires else None,
            "basis": basis,
            "fact_key": fact or f"{FACT_PREFIX}{pk}",
            "basis_note": "",
            "status": valid,
            "revoked_at": None,
            "revoked_reason": "",
            "replaces_id": None,
            "superseded_by_id": None,
            "superseded_at": None,
            "reissue_reason": "",
            "created_at": now_value,
        }

    def batches():
        made = 0
        batch = []
        while made < count:
            kind, basis, levels, _share, has_issuer = plan[
                bisect.bisect_right(bounds, random_())
            ]
            issued = today - days[30 + int(random_() * 3620)]
            expires = issued + three_years if random_() < expiring_share else None
            common = {
                "kind": kind,
                "level": pick(levels) if levels else "",
                "holder": pick(holders),
                "occupation": pick(occupations),
                "issuer": pick(issuer_rows) if has_issuer else no_issuer,
            }
            values = row(
                basis=basis, issued=issued, expires=expires, fact=None, **common
            )
            emitted = [(values, expires)]
            state = random_()
            if state < superseded_share and made + 2 <= count:
                reissued = issued + days[1 + int(random_() * 29)]
                new_expires = max(expires, reissued) if expires else None
                reason = "证书信息更正"
                new = row(
                    basis=IssueBasis.REISSUE.value,
                    issued=reissued,
                    expires=new_expires,
                    fact=values["fact_key"],
                    **common,
                )
                new["replaces_id"] = values["id"]
                new["basis_note"] = reason
                values["status"] = CertificateStatus.SUPERSEDED.value
                values["superseded_by_id"] = new["id"]
                values["superseded_at"] = moment_value(reissued)
                values["reissue_reason"] = reason
                emitted.append((new, new_expires))
            elif state < superseded_share + revoked_share:
                values["status"] = CertificateStatus.REVOKED.value
                values["revoked_at"] = moment_value(
                    issued + days[1 + int(random_() * 29)]
                )
                values["revoked_reason"] = "培训记录不实"
            for vals, exp in emitted:
                status = vals["status"]
                if status == valid and exp is not None and exp < today:
                    status = "expired"
                counts[status] += 1
                examples.setdefault(status, vals["token"])
                if made % step == 0:
                    tokens.append(vals["token"])
                made += 1
                batch.append(to_tuple(vals))
            # A reissue and its original stay in one batch (one transaction).
            if len(batch) >= BATCH_SIZE:
                yield batch
                batch = []
        if batch:
            yield batch

    table = Certificate._meta.db_table
    qn = connection.ops.quote_name
    sql = "INSERT INTO {} ({}) VALUES ({})".format(  # noqa: S608 - names from _meta
        qn(table),
        ", ".join(qn(f.column) for f in fields),
        ", ".join(["%s"] * len(fields)),
    )
    before = Certificate.objects.count()
    written = 0
    insert_seconds = index_seconds = 0.0
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size = -262144")  # 256 MiB for the index pages
        cursor.execute("PRAGMA threads = 2")  # index rebuilds may sort in parallel
        cursor.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' "
            "AND tbl_name = %s AND sql IS NOT NULL",
            [table],
        )
        indexes = cursor.fetchall()
        for name, _sql in indexes:
            cursor.execute(f"DROP INDEX {qn(name)}")
        try:
            for group in _grouped(batches(), COMMIT_EVERY):
                with transaction.atomic():
                    for batch in group:
                        start = time.perf_counter()
                        cursor.executemany(sql, batch)
                        insert_seconds += time.perf_counter() - start
                        written += len(batch)
        finally:
            start = time.perf_counter()
            for _name, index_sql in indexes:
                cursor.execute(index_sql)
            index_seconds = time.perf_counter() - start
    CertificateSeries.objects.bulk_create(
        [CertificateSeries(prefix=p, last_serial=s) for p, s in series.items()],
        update_conflicts=True,
        unique_fields=["prefix"],
        update_fields=["last_serial"],
        batch_size=1000,
    )
    seconds = time.perf_counter() - started
    total = Certificate.objects.count()
    assert written == count == total - before, (written, count, total, before)
    return {
        "certificates": count,
        "seconds": seconds,
        "per_second": count / seconds if seconds else 0,
        "trainees": len(holders),
        "issuers": len(issuers),
        "number_prefixes": len(prefixes),
        "executemany_seconds": round(insert_seconds, 2),
        "index_rebuild_seconds": round(index_seconds, 2),
        "rebuilt_indexes": [name for name, _sql in indexes],
        "statuses": counts,
        "examples": examples,
        "tokens": tokens,
    }


# --- child process: prepare the database, count queries --------------------------------


def _django(db: Path) -> None:
    os.environ["BENCH_DATABASE"] = str(db)
    os.environ["DJANGO_SETTINGS_MODULE"] = SETTINGS
    import django

    django.setup()


def _unique_token_index(cursor, table: str) -> str | None:
    cursor.execute(f"PRAGMA index_list({table})")
    for _seq, name, unique, *_rest in cursor.fetchall():
        if not unique:
            continue
        cursor.execute(f"PRAGMA index_info({name})")
        if [r[2] for r in cursor.fetchall()] == ["token"]:
            return name
    return None


def queries_of_verification(examples: dict) -> dict:
    """Queries of one page and one API verification per status, and the lookup's plan."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from certificates.models import Certificate

    client = Client()
    per_status = {}
    lookup_sql = None
    for status, token in sorted(examples.items()):
        for channel, url in (
            ("page", f"/verify/{token}/"),
            ("api", f"/api/v1/certificates/{token}"),
        ):
            client.get(url)  # first use: URL resolver, templates, translations
            with CaptureQueriesContext(connection) as ctx:
                response = client.get(url)
            assert response.status_code == 200, (url, response.status_code)
            body = response.content.decode()
            assert f'"status": "{status}"' in body or f'data-status="{status}"' in body
            sqls = [q["sql"] for q in ctx.captured_queries]
            per_status[f"{channel}:{status}"] = {
                "queries": len(sqls),
                "kinds": [s.split(None, 1)[0].upper() for s in sqls],
            }
            if lookup_sql is None:
                lookup_sql = next(s for s in sqls if s.upper().startswith("SELECT"))
                lookup_token = token
    table = Certificate._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN QUERY PLAN " + lookup_sql)
        plan = [r[-1] for r in cursor.fetchall()]
        index = _unique_token_index(cursor, table)
    uses_index = bool(index) and any(
        f"USING INDEX {index} (token=?)" in line for line in plan
    )
    return {
        "max_queries": max(v["queries"] for v in per_status.values()),
        "per_request": per_status,
        "lookup_sql": lookup_sql,
        "lookup_token": lookup_token,
        "lookup_plan": plan,
        "unique_token_index": index,
        "lookup_uses_unique_token_index": uses_index,
    }


def _profile_page(tokens: list[str], requests: int = 500) -> str:
    """cProfile of ``requests`` in-process page verifications (top 30, cumulative)."""
    import cProfile
    import io
    import pstats

    from django.test import Client

    client = Client()
    urls = [f"/verify/{tokens[i % len(tokens)]}/" for i in range(requests)]
    client.get(urls[0])
    profiler = cProfile.Profile()
    profiler.enable()
    for url in urls:
        client.get(url)
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("cumulative").print_stats(30)
    stats.sort_stats("tottime").print_stats(15)
    return out.getvalue()


def _in_process_ms(tokens: list[str], queries: dict, rounds: int = 300) -> dict:
    """Median in-process milliseconds (one thread, interleaved) of whole requests
    through the test client and of the parts of a page verification, to show where
    the time goes: the lookup (as the selector does it, and the same SQL run directly),
    the log INSERT, and rendering the page (in Chinese, the default, and in English).
    """
    from django.contrib.auth.models import AnonymousUser
    from django.db import connection
    from django.template.loader import render_to_string
    from django.test import Client, RequestFactory
    from django.utils import translation

    from certificates import selectors
    from certificates.models import VerificationChannel
    from certificates.services import verification_record

    client = Client()
    rng = random.Random(7)
    request = RequestFactory().get("/verify/x/")
    request.user = AnonymousUser()
    # The captured lookup with its token literal turned back into a parameter.
    first = queries["lookup_token"]
    raw_sql = queries["lookup_sql"].replace(f"'{first}'", "%s")
    certificate = selectors.certificate_by_token(first)
    context = {
        "view": selectors.public_view(certificate),
        "signature": None,
        "outcome": certificate.display_status(),
        "tampered": False,
    }

    def raw_lookup(token):
        with connection.cursor() as cursor:
            cursor.execute(raw_sql, [token])
            return cursor.fetchone()

    def render(language):
        with translation.override(language):
            return render_to_string("certificates/verify.html", context, request)

    parts = {
        "request: trivial view": lambda t: client.get(TRIVIAL_PATH),
        "request: page": lambda t: client.get(f"/verify/{t}/"),
        "request: API": lambda t: client.get(f"/api/v1/certificates/{t}"),
        "lookup: selectors.certificate_by_token": selectors.certificate_by_token,
        "lookup: the same SQL, precompiled": raw_lookup,
        "log: services.verification_record": lambda t: verification_record(
            channel=VerificationChannel.PAGE,
            asked=t,
            certificate=certificate,
            outcome="valid",
            request=request,
        ),
        "view: selectors.public_view": lambda t: selectors.public_view(certificate),
        "render: verify.html, zh-hans": lambda t: render("zh-hans"),
        "render: verify.html, en": lambda t: render("en"),
    }
    assert raw_lookup(first) is not None
    times = {name: [] for name in parts}
    for _ in range(rounds):
        token = tokens[rng.randrange(len(tokens))]
        for name, part in parts.items():
            start = time.perf_counter()
            part(token)
            times[name].append(time.perf_counter() - start)
    return {k: round(statistics.median(v) * 1000, 3) for k, v in times.items()}


def _child_prepare(db: str, count: int, scale: int, tokens_file: str) -> dict:
    _django(Path(db))
    from django.core.management import call_command
    from django.db import connection

    from certificates.numbering import is_valid_number
    from demo.services import demo_seed
    from training_platform.reference.services import reference_data_load

    start = time.perf_counter()
    call_command("migrate", verbosity=0, interactive=False)
    reference_data_load()
    demo_seed(scale=scale)
    setup_seconds = time.perf_counter() - start
    seeded = seed_certificates(count)
    tokens = seeded.pop("tokens")
    Path(tokens_file).write_text(json.dumps(tokens), encoding="utf-8")

    from certificates.models import Certificate

    sample = Certificate.objects.filter(token__in=tokens[:1000]).values_list(
        "number", flat=True
    )
    bad_numbers = [n for n in sample if not is_valid_number(n)]
    assert not bad_numbers, bad_numbers[:5]
    queries = queries_of_verification(seeded["examples"])
    in_process = _in_process_ms(tokens, queries)
    profile = None
    if os.environ.get("BENCH_VERIFY_PROFILE") == "1":
        profile = _profile_page(tokens)
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA page_count")
        pages = cursor.fetchone()[0]
        cursor.execute("PRAGMA page_size")
        size_mb = pages * cursor.fetchone()[0] / 2**20
    connection.close()  # checkpoints the WAL before the server opens the file
    return {
        "setup_seconds": setup_seconds,
        "seed": seeded,
        "database_mb": size_mb,
        "queries": queries,
        "in_process_ms": in_process,
        "profile": profile,
    }


# --- the server ------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """gunicorn on 127.0.0.1:<free port>, started in its own process group, always
    stopped (TERM, then KILL) on leaving the ``with`` block."""

    def __init__(self, db: Path, log: Path, *, workers, threads, worker_class):
        self.db, self.log = db, log
        self.workers, self.threads, self.worker_class = workers, threads, worker_class
        self.port = _free_port()
        self.proc = None

    def command(self) -> list[str]:
        return [
            sys.executable,
            "-m",
            "gunicorn",
            "training_platform.wsgi:application",
            "--bind",
            f"127.0.0.1:{self.port}",
            "--workers",
            str(self.workers),
            "--worker-class",
            self.worker_class,
            "--threads",
            str(self.threads),
            "--keep-alive",
            "30",
            "--timeout",
            "60",
            "--graceful-timeout",
            "5",
            "--log-level",
            "warning",
            "--error-logfile",
            "-",
        ]

    def __enter__(self):
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": SETTINGS,
            "BENCH_DATABASE": str(self.db),
        }
        self._log = open(self.log, "ab")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(  # noqa: S603 - fixed arguments
            self.command(),
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            self._wait_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc):
        self.stop()

    def _wait_ready(self, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"gunicorn exited ({self.proc.returncode}):\n{self.tail()}"
                )
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                conn.request("GET", TRIVIAL_PATH)
                status = conn.getresponse().status
                conn.close()
                if status == 200:
                    return
                raise RuntimeError(f"{TRIVIAL_PATH} answered {status}:\n{self.tail()}")
            except (ConnectionError, TimeoutError, OSError):
                time.sleep(0.2)
        raise RuntimeError(f"gunicorn not ready after {timeout} s:\n{self.tail()}")

    def tail(self, lines: int = 40) -> str:
        try:
            text = self.log.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def cpu_seconds(self) -> float:
        """User + system CPU of the server's processes (master and workers) so far."""
        pids = [self.proc.pid]
        for task in Path(f"/proc/{self.proc.pid}/task").iterdir():
            with contextlib.suppress(OSError):
                pids += map(int, (task / "children").read_text().split())
        ticks = 0
        for pid in pids:
            with contextlib.suppress(OSError):
                stat = Path(f"/proc/{pid}/stat").read_text()
                fields = stat[stat.rindex(")") + 2 :].split()
                ticks += int(fields[11]) + int(fields[12])  # utime, stime
        return ticks / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        proc, self.proc = self.proc, None
        if proc is None:
            return
        if proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)  # our own process group only
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=15)
        self._log.close()


# --- the load client (stdlib asyncio, keep-alive) ---------------------------------------


async def _read_response(reader) -> tuple[int, bytes, bool]:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head[:-4].split(b"\r\n")
    version, status = lines[0].split(b" ", 2)[:2]
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        headers[name.strip().lower()] = value.strip()
    close = (
        version == b"HTTP/1.0" or headers.get(b"connection", b"").lower() == b"close"
    )
    if b"content-length" in headers:
        body = await reader.readexactly(int(headers[b"content-length"]))
    elif headers.get(b"transfer-encoding", b"").lower() == b"chunked":
        parts = []
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            if not size:
                await reader.readuntil(b"\r\n")
                break
            parts.append(await reader.readexactly(size + 2))
        body = b"".join(p[:-2] for p in parts)
    else:
        body, close = await reader.read(), True
    return int(status), body, close


async def _load(port: int, paths: list[bytes], marker: bytes, seconds, concurrency):
    latencies: list[float] = []
    failures: list[str] = []
    done = 0

    async def connection(worker: int) -> None:
        nonlocal done
        rng = random.Random(worker)
        reader = writer = None
        while time.perf_counter() < end:
            if writer is None:
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
            path = paths[rng.randrange(len(paths))]
            request = (
                b"GET " + path + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                b"Accept-Language: " + ACCEPT_LANGUAGE + b"\r\n"
                b"User-Agent: bench-verify\r\n\r\n"
            )
            start = time.perf_counter()
            try:
                writer.write(request)
                status, body, close = await _read_response(reader)
            except (OSError, asyncio.IncompleteReadError, ValueError) as exc:
                failures.append(f"{path.decode()}: {exc!r}")
                writer.close()
                reader = writer = None
                continue
            latencies.append(time.perf_counter() - start)
            done += 1
            if status != 200 or marker not in body:
                failures.append(f"{path.decode()}: {status} {body[:80]!r}")
            if close:
                writer.close()
                reader = writer = None
        if writer is not None:
            writer.close()

    began = time.perf_counter()
    end = began + seconds
    await asyncio.gather(*(connection(i) for i in range(concurrency)))
    elapsed = time.perf_counter() - began
    return {
        "requests": done,
        "seconds": elapsed,
        "rps": done / elapsed,
        "errors": len(failures),
        "failures": failures[:5],
        "latencies": latencies,
    }


def _summary(runs: list[dict]) -> dict:
    latencies = sorted(x for r in runs for x in r["latencies"])
    requests = sum(r["requests"] for r in runs)

    def pct(p: float) -> float:
        return latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000

    return {
        "rps": round(statistics.median(r["rps"] for r in runs), 1),
        "rps_per_round": [round(r["rps"], 1) for r in runs],
        "requests": requests,
        "errors": sum(r["errors"] for r in runs),
        "failures": [f for r in runs for f in r["failures"]][:5],
        "p50_ms": round(pct(0.50), 2) if latencies else None,
        "p95_ms": round(pct(0.95), 2) if latencies else None,
        "p99_ms": round(pct(0.99), 2) if latencies else None,
        # CPU per request: what the request costs, whatever else the machine runs.
        "server_cpu_ms_per_request": round(
            1000 * sum(r["server_cpu"] for r in runs) / max(1, requests), 3
        ),
        # Cores the server kept busy: well under the trivial view's figure means the
        # requests wait (locks, sleeps), not compute.
        "server_cores_busy": round(
            sum(r["server_cpu"] for r in runs) / sum(r["seconds"] for r in runs), 2
        ),
        "client_cpu_ms_per_request": round(
            1000 * sum(r["client_cpu"] for r in runs) / max(1, requests), 3
        ),
    }


def _measured(server, paths, marker, seconds, concurrency) -> dict:
    """One run, with the server's and the client's CPU seconds spent on it."""
    server_cpu, client_cpu = server.cpu_seconds(), time.process_time()
    result = asyncio.run(_load(server.port, paths, marker, seconds, concurrency))
    result["server_cpu"] = server.cpu_seconds() - server_cpu
    result["client_cpu"] = time.process_time() - client_cpu
    return result


def run_load(server: "Server", tokens: list[str]) -> dict:
    seconds = float(os.environ.get("BENCH_VERIFY_SECONDS", "8"))
    rounds = _env_int("BENCH_VERIFY_ROUNDS", 3)
    concurrency = _env_int("BENCH_VERIFY_CONCURRENCY", 16)
    targets = {
        "trivial": ([TRIVIAL_PATH.encode()], b"ok"),
        "page": ([f"/verify/{t}/".encode() for t in tokens], b"data-status="),
        "api": ([f"/api/v1/certificates/{t}".encode() for t in tokens], b'"status"'),
    }
    for paths, marker in targets.values():  # warm-up: connections, caches, templates
        asyncio.run(_load(server.port, paths, marker, 2, concurrency))
    runs = {name: [] for name in targets}
    for _ in range(rounds):
        for name, (paths, marker) in targets.items():
            runs[name].append(_measured(server, paths, marker, seconds, concurrency))
    summary = {name: _summary(rs) for name, rs in runs.items()}
    per_round = [
        round(p["rps"] / t["rps"], 3)
        for p, t in zip(runs["page"], runs["trivial"], strict=True)
    ]
    return {
        "seconds_per_run": seconds,
        "rounds": rounds,
        "concurrency": concurrency,
        "targets": summary,
        "ratio_page": round(summary["page"]["rps"] / summary["trivial"]["rps"], 3),
        "ratio_api": round(summary["api"]["rps"] / summary["trivial"]["rps"], 3),
        "ratio_page_per_round": per_round,
        # The same comparison by server CPU per request: steadier on a shared machine.
        "cpu_ratio_page": _cpu_ratio(summary, "page"),
        "cpu_ratio_api": _cpu_ratio(summary, "api"),
    }


def _cpu_ratio(summary: dict, name: str) -> float | None:
    cost = summary[name]["server_cpu_ms_per_request"]
    trivial = summary["trivial"]["server_cpu_ms_per_request"]
    return round(trivial / cost, 3) if cost else None


# --- parent side -----------------------------------------------------------------------


def _run_child(*args) -> dict:
    proc = subprocess.run(  # noqa: S603 - our own module, fixed arguments
        [sys.executable, "-m", "bench.verify", "--child", *map(str, args)],
        stdout=subprocess.PIPE,
        cwd=ROOT,
        check=False,
    )
    if proc.returncode:
        raise RuntimeError(f"bench.verify child {args[0]} failed ({proc.returncode})")
    return json.loads(proc.stdout.decode().strip().splitlines()[-1])


def bench_verify() -> dict:
    from bench.run import machine

    count = _env_int("BENCH_CERTIFICATES", 1_000_000)
    scale = _env_int("BENCH_VERIFY_SCALE", 10)
    server_config = {
        "server": "gunicorn",
        "workers": _env_int("BENCH_VERIFY_WORKERS", 2),
        "threads": _env_int("BENCH_VERIFY_THREADS", 4),
        "worker_class": os.environ.get("BENCH_VERIFY_WORKER_CLASS", "gthread"),
    }
    with tempfile.TemporaryDirectory(prefix="bench-verify-") as tmp:
        db = Path(tmp) / "verify.sqlite3"
        tokens_file = Path(tmp) / "tokens.json"
        prepared = _run_child("prepare", db, count, scale, tokens_file)
        tokens = json.loads(tokens_file.read_text(encoding="utf-8"))
        with Server(
            db,
            Path(tmp) / "gunicorn.log",
            workers=server_config["workers"],
            threads=server_config["threads"],
            worker_class=server_config["worker_class"],
        ) as server:
            load = run_load(server, tokens)
            server_log = server.tail()
    seed = prepared["seed"]
    queries = prepared["queries"]
    verify_errors = load["targets"]["page"]["errors"] + load["targets"]["api"]["errors"]
    return {
        "name": "verify",
        "machine": machine(),
        "targets": {"max_queries": TARGET_QUERIES, "min_ratio": TARGET_RATIO},
        "certificates": count,
        "seed_seconds": round(seed["seconds"], 2),
        "seed_per_second": round(seed["per_second"]),
        "seed": {k: v for k, v in seed.items() if k not in ("seconds", "per_second")},
        "setup_seconds": round(prepared["setup_seconds"], 2),
        "database_mb": round(prepared["database_mb"], 1),
        "queries": queries,
        "in_process_ms": prepared["in_process_ms"],
        "server": server_config,
        "load": load,
        "sample_tokens": len(tokens),
        "meets_targets": {
            "queries": queries["max_queries"] <= TARGET_QUERIES,
            "ratio": load["ratio_page"] >= TARGET_RATIO,
            "no_errors": verify_errors == 0
            and load["targets"]["trivial"]["errors"] == 0,
        },
        "server_log_tail": server_log,
        **({"profile_page": prepared["profile"]} if prepared["profile"] else {}),
    }


def table(result: dict) -> str:
    load = result["load"]
    q = result["queries"]
    server = result["server"]
    shapes = {" + ".join(v["kinds"]) for v in q["per_request"].values()}
    plan = "; ".join(q["lookup_plan"])
    lines = [
        "| benchmark | result |",
        "|---|---|",
        f"| certificate seed | {result['certificates']:,} certificates in "
        f"{result['seed_seconds']} s ({result['seed_per_second']:,}/s) over "
        f"{result['seed']['trainees']:,} trainees; database "
        f"{result['database_mb']:,.0f} MB |",
        f"| queries per verification by token (target ≤ {TARGET_QUERIES}) | "
        f"{q['max_queries']} (page and API, each status: {' / '.join(sorted(shapes))}); "
        f"lookup plan: `{plan}` |",
        "",
        f"| under load: {server['server']} {server['worker_class']}, "
        f"{server['workers']} workers × {server['threads']} threads; "
        f"{load['concurrency']} keep-alive clients; {load['rounds']} × "
        f"{load['seconds_per_run']:g} s interleaved | requests/s | p50 | p95 | errors "
        f"| server CPU per request | ÷ trivial (target ≥ {TARGET_RATIO}) |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    names = {
        "trivial": "trivial view, same middleware",
        "page": "`/verify/<token>/` page",
        "api": "`/api/v1/certificates/<token>`",
    }
    ratios = {"trivial": 1, "page": load["ratio_page"], "api": load["ratio_api"]}
    for key, label in names.items():
        fig = load["targets"][key]
        lines.append(
            f"| {label} | {fig['rps']:,.0f} | {fig['p50_ms']} ms | {fig['p95_ms']} ms "
            f"| {fig['errors']} | {fig['server_cpu_ms_per_request']} ms "
            f"| {ratios[key]} |"
        )
    lines += ["", "| in-process, one thread (median) | ms |", "|---|---:|"]
    lines += [f"| {k} | {v} |" for k, v in result["in_process_ms"].items()]
    return "\n".join(lines)


def main() -> dict:
    RESULTS.mkdir(exist_ok=True)
    # A TERM to the bench must still stop the server (the with block's finally).
    previous = signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        result = bench_verify()
    finally:
        signal.signal(signal.SIGTERM, previous)
    (RESULTS / "verify.json").write_text(
        json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    sys.stdout.write(table(result) + "\n")
    if "profile_page" in result:
        sys.stdout.write(result["profile_page"])
    return result


def _child(argv: list[str]) -> None:
    mode, *args = argv
    if mode == "prepare":
        out = _child_prepare(args[0], int(args[1]), int(args[2]), args[3])
    else:
        raise SystemExit(f"unknown mode {mode}")
    sys.stdout.write(json.dumps(out, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        _child(sys.argv[2:])
    else:
        main()
