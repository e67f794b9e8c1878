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

import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

from bench.common import (
    RESULTS,
    ROOT,
    bulk_insert,
    count_queries,
    env_int,
    interleaved,
    machine,
    person_id_fields,
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
    """The province-scale data set, sized by ``enrolments``; returns counts and timings."""
    from bases.models import InstitutionKind, QualificationStatus, TrainingInstitution
    from certificates.models import Certificate, CertificateStatus, IssueBasis
    from courses.models import (
        ClassStatus,
        Course,
        CourseKind,
        Enrolment,
        EnrolmentSource,
        EnrolmentStatus,
        TrainingClass,
    )
    from subsidies.models import (
        AccountKind,
        Claim,
        ClaimStatus,
        FiledBy,
        PayeeKind,
        SubsidyKind,
        SubsidyStandard,
    )
    from trainees.models import Trainee
    from training_platform.reference.models import (
        CertificateKind,
        Occupation,
        Region,
        RegionLevel,
        SkillLevel,
    )
    from training_platform.validators import complete_credit_code

    counties = list(
        Region.objects.filter(level=RegionLevel.COUNTY, code__startswith="52")
        .order_by("code")
        .values_list("pk", "code")
    )
    scale = enrolments / 1_000_000
    n_institutions = max(len(counties), round(1000 * scale))
    n_trainees = max(CLASS_SIZE + 1, round(400_000 * scale))
    while n_trainees % 13 == 0 or n_trainees % 7919 == 0:
        n_trainees += 1  # the people of a class and of the paid claims stay distinct
    n_certificates = round(enrolments * 0.6)
    n_paid = n_trainees // 4
    n_classes = -(-enrolments // CLASS_SIZE)
    timings = {}

    prefectures = Region.objects.filter(
        level=RegionLevel.PREFECTURE, code__startswith="52"
    ).count()
    province = Region.objects.get(code="520000")
    occupations = list(Occupation.objects.order_by("code")[:8])
    levels = [
        SkillLevel.LEVEL_5,
        SkillLevel.LEVEL_4,
        SkillLevel.LEVEL_4,
        SkillLevel.LEVEL_3,
        SkillLevel.LEVEL_5,
        SkillLevel.LEVEL_2,
        SkillLevel.LEVEL_4,
        SkillLevel.LEVEL_1,
    ]

    def county(i):
        # A stride coprime with 88: neighbouring numbers land in different prefectures.
        return counties[(i * 37) % len(counties)]

    t = time.perf_counter()
    institution_ids = bulk_insert(
        TrainingInstitution,
        (
            {
                "name": f"基准职业培训学校{i:04d}",
                "credit_code": complete_credit_code(f"52{county(i)[1]}MJ{i:07d}"),
                "kind": InstitutionKind.PRIVATE_SCHOOL,
                "region_id": county(i)[0],
                "status": QualificationStatus.APPROVED,
            }
            for i in range(n_institutions)
        ),
        total=n_institutions,
        label="institutions",
    )
    kinds = [
        CourseKind.EMPLOYMENT,
        CourseKind.UPGRADE,
        CourseKind.EMPLOYMENT,
        CourseKind.WORK_FOR_TRAINING,
        CourseKind.UPGRADE,
        CourseKind.EMPLOYMENT,
        CourseKind.SPECIAL_ABILITY,
        CourseKind.ENTREPRENEURSHIP,
    ]
    course_ids = bulk_insert(
        Course,
        (
            {
                "institution_id": pk,
                "occupation_id": occupations[i % len(occupations)].pk,
                "title": f"基准培训项目{i:04d}",
                "target_level": levels[i % len(levels)],
                "kind": kinds[i % len(kinds)],
                "hours": 80,
            }
            for i, pk in enumerate(institution_ids)
        ),
        total=n_institutions,
        label="courses",
    )

    def class_row(c):
        # Spread over years and counties: the class's county is its institution's.
        i = c % n_institutions
        year = YEARS[c % len(YEARS)]
        start = dt.date(year, 1, 1) + dt.timedelta(days=(c * 7) % 330)
        return {
            "code": f"BENCH-DASH-{c:07d}",
            "course_id": course_ids[i],
            "region_id": county(i)[0],
            "start_date": start,
            "end_date": start + dt.timedelta(days=20),
            "capacity": CLASS_SIZE,
            "status": ClassStatus.RUNNING if c % 10 == 9 else ClassStatus.FINISHED,
        }

    class_ids = bulk_insert(
        TrainingClass,
        (class_row(c) for c in range(n_classes)),
        total=n_classes,
        label="classes",
    )
    timings["institutions_courses_classes"] = time.perf_counter() - t

    t = time.perf_counter()
    trainee_ids = bulk_insert(
        Trainee,
        (
            dict(
                name=f"测试{i}",
                phone=f"139{i:08d}",
                household_region_id=county(i)[0],
                residence_region_id=county(i)[0],
                **person_id_fields(i, county(i)[1]),
            )
            for i in range(n_trainees)
        ),
        total=n_trainees,
        label="trainees",
    )
    timings["trainees"] = time.perf_counter() - t

    # Enrolment j is in class j // 50 and is trainee (j * step) mod n: a class's 50
    # people are distinct, and a person is trained 2–3 times over the years.
    step = 7919
    t = time.perf_counter()
    bulk_insert(
        Enrolment,
        (
            {
                "trainee_id": trainee_ids[(j * step) % n_trainees],
                "training_class_id": class_ids[j // CLASS_SIZE],
                "source": EnrolmentSource.ROSTER,
                "status": EnrolmentStatus.ENROLLED,
                "attendance_hours": Decimal(72),
            }
            for j in range(enrolments)
        ),
        total=enrolments,
        label="enrolments",
        batch=10_000,
    )
    timings["enrolments"] = time.perf_counter() - t

    cert_kinds = [
        CertificateKind.SKILL_LEVEL,
        CertificateKind.SKILL_LEVEL,
        CertificateKind.QUALIFICATION,
        CertificateKind.SKILL_LEVEL,
        CertificateKind.SPECIAL_ABILITY,
        CertificateKind.TRAINING,
    ]
    no_level = {CertificateKind.SPECIAL_ABILITY, CertificateKind.TRAINING}
    revoked_at = dt.datetime(2025, 6, 1, tzinfo=dt.UTC)

    def certificate(k):
        i = (k * 13) % n_trainees
        kind = cert_kinds[k % len(cert_kinds)]
        occupation = occupations[k % len(occupations)]
        revoked = k % 50 == 49
        institution = k % n_institutions
        return {
            "number": f"BD{k:010d}",
            "kind": kind,
            "occupation_id": occupation.pk,
            "occupation_name": occupation.name,
            "level": "" if kind in no_level else levels[(k // 7) % len(levels)],
            "trainee_id": trainee_ids[i],
            "holder_name": f"测试{i}",
            "holder_id_masked": "52**************00",
            "holder_id_hash": f"bench-dashboard-{i}",
            "issuer_id": institution_ids[institution],
            "issuer_name": f"基准职业培训学校{institution:04d}",
            "region_id": county(institution)[0],
            "issued_on": dt.date(YEARS[k % len(YEARS)], 1, 1)
            + dt.timedelta(days=(k * 3) % 360),
            "basis": IssueBasis.EVALUATION,
            "fact_key": f"bench:dashboard:{k}",
            "status": CertificateStatus.REVOKED if revoked else CertificateStatus.VALID,
            "revoked_at": revoked_at if revoked else None,
            "revoked_reason": "基准测试" if revoked else "",
        }

    t = time.perf_counter()
    certificate_ids = bulk_insert(
        Certificate,
        (certificate(k) for k in range(n_certificates)),
        total=n_certificates,
        label="certificates",
        batch=10_000,
    )
    timings["certificates"] = time.perf_counter() - t

    standard = SubsidyStandard.objects.create(
        name="技能提升补贴（基准测试）",
        kind=SubsidyKind.SKILL_UPGRADE,
        payee=PayeeKind.PERSON,
        certificate_kind=CertificateKind.SKILL_LEVEL,
        level=SkillLevel.LEVEL_4,
        amount=Decimal("1500.00"),
        valid_from=dt.date(2021, 1, 1),
        region=province,
    )

    def claim(n):
        # Certificate k = n belongs to trainee (13 n) mod T: distinct for n < T.
        cert = certificate(n)
        paid = cert["issued_on"] + dt.timedelta(days=40)
        return {
            "trainee_id": cert["trainee_id"],
            "occupation_id": cert["occupation_id"],
            "level": cert["level"] or SkillLevel.LEVEL_4,
            "basis_date": cert["issued_on"],
            "use_year": cert["issued_on"].year,
            "region_id": cert["region_id"],
            "payee_name": cert["holder_name"],
            "account_kind": AccountKind.BANK,
            "payee_account": f"62220202{n:011d}",
            "kind": SubsidyKind.SKILL_UPGRADE,
            "standard_id": standard.pk,
            "amount": Decimal("1000.00") + Decimal(500 * (n % 3)),
            "certificate_id": certificate_ids[n],
            "filed_by": FiledBy.TRAINEE,
            "payee_kind": PayeeKind.PERSON,
            "use_slot": 1,
            "status": ClaimStatus.PAID,
            "paid_on": paid,
            "bank_reference": f"BANK{n}",
        }

    t = time.perf_counter()
    bulk_insert(
        Claim,
        (claim(n) for n in range(min(n_paid, n_certificates))),
        total=min(n_paid, n_certificates),
        label="paid claims",
    )
    timings["claims"] = time.perf_counter() - t
    return {
        "prefectures": prefectures,
        "counties": len(counties),
        "institutions": n_institutions,
        "classes": n_classes,
        "trainees": n_trainees,
        "enrolments": enrolments,
        "certificates": n_certificates,
        "paid_claims": min(n_paid, n_certificates),
        "seconds_by_table": {k: round(v, 1) for k, v in timings.items()},
    }


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
