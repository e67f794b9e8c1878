"""Plan dashboard (规划监测) at province scale: every computed indicator's query, and the
dashboard's views where they exist, timed over 1,000,000 enrolments.

A province-scale data set is made set-based (bulk_create in batches, progress on
stderr): Guizhou's 9 prefectures and 88 counties (the reference data), ~1,000
institutions, ~400,000 trainees, ``BENCH_DASHBOARD_ENROLMENTS`` enrolments (default
1,000,000; trainees, institutions, certificates and claims scale with it) in classes
that finished across 2021–2025 in every county (one course in eight 创业培训, one class
in ten not finished), 0.6 certificates per enrolment across kinds, levels and statuses,
and paid subsidy claims for one trainee in four.

Then, in-process, medians of ``BENCH_DASHBOARD_ROUNDS`` rounds (default 5):

* every query of ``monitoring.indicators.REGISTRY`` through
  ``monitoring.summary.indicator_rows``, as the province bureau asks for it (all of 52,
  grouped by province, prefecture and county) and as 贵阳's bureau does (5201, by
  county), interleaved with the baseline;
* the baseline: ``SELECT COUNT(*) FROM courses_enrolment`` (the floor any count over the
  enrolments costs), each figure reported as a ratio to it;
* the dashboard's views (``monitoring:dashboard``, ``monitoring:indicator`` for each
  computed indicator) through django.test.Client as the province bureau and as 贵阳's
  bureau, when the branch has them;
* then ``summary_refresh()`` once, and everything again served from the summary.

It runs in a child process on its own scratch SQLite database (``python -m
bench.dashboard`` alone, ``BENCH_ONLY=dashboard make bench`` from bench.run);
``BENCH_DASHBOARD_DATABASE_URL`` runs it on another (empty, migrated on the fly)
database, such as PostgreSQL.
"""

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.common import (
    RESULTS,
    ROOT,
    count_queries,
    env_int,
    interleaved,
    machine,
    write_result,
)

#: A screen that needs longer than this is served from the summary (issue 13).
LIMIT_SECONDS = 1.0
YEARS = (2021, 2022, 2023, 2024, 2025)
CLASS_SIZE = 50
BASELINE = "SELECT COUNT(*) FROM courses_enrolment"
GROUPINGS = (
    # (label, regions, by): what a province bureau and 贵阳's bureau ask for.
    ("province", "52", "province"),
    ("prefecture", "52", "prefecture"),
    ("county", "52", "county"),
    ("guiyang_county", "5201", "county"),
)


def _say(text: str) -> None:
    sys.stderr.write(text + "\n")
    sys.stderr.flush()


def seed(enrolments: int) -> dict:
    """The province-scale data set, sized by ``enrolments`` (demo.province: 9
    prefectures, 88 counties, institutions, trainees, classes across 2021–2025,
    certificates, claims); returns its counts and the seconds each table took."""
    from demo.province import province_data, text_progress

    timings: dict[str, float] = {}
    started = {"at": time.perf_counter()}
    line = text_progress(sys.stderr)

    def progress(label, done, total):
        line(label, done, total)
        if done >= total:
            now = time.perf_counter()
            timings[label.split(" ")[-1]] = now - started["at"]
            started["at"] = now

    counts = province_data(enrolments, progress=progress)
    return {**counts, "seconds_by_table": {k: round(v, 1) for k, v in timings.items()}}


def _users():
    from tests.factories import staff_user
    from training_platform.roles import Role

    return {
        "province": staff_user(Role.BUREAU, region_code="520000"),
        "guiyang": staff_user(Role.BUREAU, region_code="520100"),
    }


def _baseline():
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(BASELINE)
        return cursor.fetchone()[0]


def _timed(fn, rounds: int) -> dict:
    """``fn`` and the baseline side by side: with ``rounds`` > 1, a warm-up (its
    queries counted) then ``rounds`` interleaved runs, medians; with 1 (the live
    figures at province scale, tens of seconds each) one counted run between two
    baseline runs."""
    box = {}

    def counted():
        box["result"] = fn()

    if rounds > 1:
        queries = count_queries(counted)
        fn_s, baseline_s = interleaved(fn, _baseline, rounds=rounds)
    else:
        before = time.perf_counter()
        _baseline()
        start = time.perf_counter()
        queries = count_queries(counted)
        fn_s = time.perf_counter() - start
        _baseline()
        baseline_s = ((start - before) + (time.perf_counter() - start - fn_s)) / 2
    return {
        "result": box["result"],
        "queries": queries,
        "seconds": round(fn_s, 4),
        "baseline_seconds": round(baseline_s, 4),
        "ratio_to_baseline": round(fn_s / baseline_s, 1),
        "runs": rounds,
    }


def time_queries(rounds: int) -> dict:
    from monitoring.indicators import REGISTRY
    from monitoring.summary import indicator_rows

    out = {}
    for key in list(REGISTRY):
        for label, regions, by in GROUPINGS:
            t = _timed(
                lambda key=key, regions=regions, by=by: indicator_rows(
                    key, regions=regions, by=by
                ),
                rounds,
            )
            computed = t.pop("result")
            out[f"{key}/{label}"] = {
                "query_key": key,
                "grouping": label,
                "regions": regions,
                "by": by,
                "rows": len(computed.rows),
                "from_summary": computed.from_summary,
                **t,
            }
            _say(
                f"  {key}/{label}: {t['seconds']:.3f} s "
                f"({'summary' if computed.from_summary else 'live'}), "
                f"baseline {t['baseline_seconds']:.3f} s"
            )
    return out


def _view_urls() -> dict[str, str] | None:
    """The dashboard's URLs, or None where this branch does not have the views."""
    from django.urls import NoReverseMatch, reverse

    from monitoring.models import Indicator

    try:
        urls = {"dashboard": reverse("monitoring:dashboard")}
    except NoReverseMatch:
        return None
    for indicator in Indicator.objects.filter(measure="computed").order_by("code"):
        for kwargs in ({"code": indicator.code}, {"pk": indicator.pk}):
            try:
                urls[f"indicator:{indicator.code}"] = reverse(
                    "monitoring:indicator", kwargs=kwargs
                )
                break
            except NoReverseMatch:
                continue
    return urls


def time_views(rounds: int, users: dict, *, overview_only=False) -> dict | None:
    from django.test import Client

    urls = _view_urls()
    if urls is None:
        return None
    if overview_only:
        urls = {"dashboard": urls["dashboard"]}
    out = {}
    for who, user in users.items():
        client = Client()
        client.force_login(user)
        for name, url in urls.items():

            def get(client=client, url=url):
                response = client.get(url)
                assert response.status_code == 200, (url, response.status_code)

            t = _timed(get, rounds)
            t.pop("result")
            out[f"{name}/{who}"] = {"url": url, "as": who, **t}
            _say(f"  view {name} as {who}: {t['seconds']:.3f} s")
    return out


def _slowest(timed: dict | None) -> float:
    return max((t["seconds"] for t in (timed or {}).values()), default=0.0)


def seed_database(enrolments: int) -> dict:
    """Reference data and ``seed(enrolments)`` in one transaction, with its time; what
    ``bench.province`` shares between this benchmark and ``bench.lists``."""
    from django.db import connection, transaction

    from training_platform.reference.services import reference_data_load

    reference_data_load()
    _say(f"province seed: {enrolments:,} enrolments on {connection.vendor}")
    start = time.perf_counter()
    with transaction.atomic():
        seeded = seed(enrolments)
    seed_seconds = time.perf_counter() - start
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    _say(f"seeded in {seed_seconds:.0f} s")
    return {**seeded, "seconds": round(seed_seconds, 1)}


def _run(enrolments: int, rounds: int, live_rounds: int = 1) -> dict:
    return measure(seed_database(enrolments), rounds, live_rounds)


def measure(seeded: dict, rounds: int, live_rounds: int = 1) -> dict:
    """The dashboard's figures on a database ``seed_database`` filled."""
    from django.db import connection

    from monitoring.models import IndicatorSummary
    from monitoring.summary import summary_refresh

    users = _users()
    _say("dashboard bench: timing the live queries")

    IndicatorSummary.objects.all().delete()
    live = time_queries(live_rounds)
    live_views = time_views(live_rounds, users, overview_only=True)

    _say("refreshing the summary")
    start = time.perf_counter()
    stored = summary_refresh()
    refresh_seconds = time.perf_counter() - start
    refresh_queries = count_queries(summary_refresh)
    _say(f"summary refreshed in {refresh_seconds:.1f} s; timing from the summary")
    summary = time_queries(rounds)
    summary_views = time_views(rounds, users)

    slowest_live = max(_slowest(live), _slowest(live_views))
    return {
        "name": "dashboard",
        "machine": machine(),
        "database": connection.vendor,
        "rounds": rounds,
        "live_rounds": live_rounds,
        "limit_seconds": LIMIT_SECONDS,
        "baseline": {
            "what": BASELINE,
            "note": "the floor any count over the enrolments costs; timed interleaved "
            "with each figure, ratio = figure / baseline",
            "rows": _baseline(),
        },
        "seed": seeded,
        "live": {"queries": live, "views": live_views},
        "summary_refresh": {
            "seconds": round(refresh_seconds, 2),
            "queries": refresh_queries,
            "rows": sum(stored.values()),
            "rows_by_query": stored,
        },
        "from_summary": {"queries": summary, "views": summary_views},
        "slowest_live_seconds": slowest_live,
        "slowest_from_summary_seconds": max(_slowest(summary), _slowest(summary_views)),
        "needs_summary": slowest_live > LIMIT_SECONDS,
        "views_timed": live_views is not None,
    }


def table(result: dict) -> str:
    b = result["baseline"]
    s = result["seed"]
    lines = [
        "| figure | live | from summary |",
        "|---|---|---|",
        f"| seed: {s['enrolments']:,} enrolments, {s['trainees']:,} trainees, "
        f"{s['certificates']:,} certificates, {s['paid_claims']:,} paid claims, "
        f"{s['institutions']:,} institutions in {s['counties']} counties "
        f"({result['database']}) | {s['seconds']} s | |",
    ]
    live, summary = result["live"]["queries"], result["from_summary"]["queries"]
    for name, t in live.items():
        u = summary[name]
        lines.append(
            f"| `{t['query_key']}` {t['grouping']} ({t['rows']} rows) "
            f"| {t['seconds'] * 1000:,.0f} ms ({t['ratio_to_baseline']}× baseline, "
            f"{t['queries']} query) | {u['seconds'] * 1000:,.1f} ms "
            f"({u['ratio_to_baseline']}×, {u['queries']} queries) |"
        )
    views, summary_views = result["live"]["views"], result["from_summary"]["views"]
    if views is None:
        lines.append("| dashboard views | not on this branch: queries only | |")
    else:
        for name, u in summary_views.items():
            t = views.get(name)
            live_cell = (
                f"{t['seconds'] * 1000:,.0f} ms ({t['ratio_to_baseline']}×, "
                f"{t['queries']} queries)"
                if t
                else "not timed live"
            )
            lines.append(
                f"| view {name} | {live_cell} | {u['seconds'] * 1000:,.0f} ms "
                f"({u['ratio_to_baseline']}×, {u['queries']} queries) |"
            )
    r = result["summary_refresh"]
    lines.append(
        f"| summary_refresh() (background task) | {r['seconds']} s, "
        f"{r['queries']} queries, {r['rows']:,} rows | |"
    )
    baseline_ms = statistics_median([t["baseline_seconds"] for t in live.values()])
    lines.append(f"| baseline `{b['what']}` | {baseline_ms * 1000:,.0f} ms | |")
    return "\n".join(lines)


def statistics_median(values):
    import statistics

    return statistics.median(values) if values else 0.0


def _child() -> None:
    enrolments = env_int("BENCH_DASHBOARD_ENROLMENTS", 1_000_000)
    rounds = env_int("BENCH_DASHBOARD_ROUNDS", 5)
    live_rounds = env_int("BENCH_DASHBOARD_LIVE_ROUNDS", 1)
    url = os.environ.get("BENCH_DASHBOARD_DATABASE_URL", "")
    name = os.environ.get("BENCH_DASHBOARD_RESULT", "dashboard")
    with tempfile.TemporaryDirectory() as tmp:
        from bench.common import setup_django

        if url:
            os.environ["DATABASE_URL"] = url
            os.environ.setdefault(
                "DJANGO_SETTINGS_MODULE", "training_platform.settings.test"
            )
            import django

            django.setup()
            from django.core.management import call_command

            call_command("flush", verbosity=0, interactive=False)
            call_command("migrate", verbosity=0, interactive=False)
        else:
            setup_django(Path(tmp) / "bench.sqlite3")
        result = _run(enrolments, rounds, live_rounds)
    write_result(name, result)


def main() -> dict:
    """Run in a child process (its own Django and database), then print the table."""
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "training_platform.settings.test"}
    subprocess.run(
        [sys.executable, "-m", "bench.dashboard", "--child"],
        cwd=ROOT,
        env=env,
        check=True,
    )
    name = os.environ.get("BENCH_DASHBOARD_RESULT", "dashboard")
    result = json.loads((RESULTS / f"{name}.json").read_text(encoding="utf-8"))
    sys.stdout.write(table(result) + "\n")
    return result


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        _child()
    else:
        main()
