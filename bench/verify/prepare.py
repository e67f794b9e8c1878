"""The child process of the verification benchmark: migrate, reference data and demo
people, the certificates (bench.verify.seed), then in-process figures: the queries of
one verification per status and the lookup's plan, timings of the parts of a request,
and an optional profile."""

import json
import os
import random
import statistics
import time
from pathlib import Path

from bench.verify.seed import seed_certificates
from bench.verify.server import SETTINGS, TRIVIAL_PATH


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


def child_prepare(db: str, count: int, scale: int, tokens_file: str) -> dict:
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
