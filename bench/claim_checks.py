"""Pre-checks of claims (预审): 10,000 and 100,000 claims, set-based, on SQLite.

One database of ``max(sizes)`` claims is made set-based (bulk_create): half the claims
are 技能提升补贴 on a certificate, half 职业培训补贴 on an enrolment, two per person, with
some people in a key group, some with an earlier paid claim at a higher level, some
with short attendance or no account, so that every check passes for some claims and
fails for others. Then, for each size ``n``, the first ``n`` claims are

* ``load``: read (``list(Claim.objects.order_by("pk")[:n])``, the claims a caller
  hands over; the payee accounts are decrypted here);
* ``check``: ``claims_check(claims)`` (every check for every claim);
* ``store``: ``checks_store(claims, results)`` (replace the ClaimCheck rows, set
  ``checks_failed``),

interleaved (10k, 100k, 10k, 100k, ...), medians of ``BENCH_CHECKS_ROUNDS`` rounds
(default 3). Linear means time(100k) / time(10k) ≤ 12.

Baseline: the per-claim loop a form view would write, ``claims_check([claim])`` for
each claim (eight queries per claim), on the first ``BENCH_CHECKS_BASELINE`` claims
(default 1,000): rows per second against the set-based run's.

The benchmark runs in a child process (its own Django and scratch database):
``python -m bench.claim_checks`` alone, or ``BENCH_ONLY=claim_checks make bench``;
``BENCH_CHECKS_SIZES=10000,100000`` sets the sizes.
"""

import datetime as dt
import gc
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

from bench.common import (
    RESULTS,
    ROOT,
    count_queries,
    env_int,
    machine,
    person_id_fields,
    pks_of,
    write_result,
)

TARGET_RATIO = 12.0
BATCH = 2000


def _seed(claims: int) -> dict:
    """``claims`` claims of ``claims // 2`` people, everything they rest on, set-based."""
    from bases.models import InstitutionKind, QualificationStatus, TrainingInstitution
    from certificates.models import Certificate, IssueBasis
    from courses.models import (
        ClassStatus,
        Course,
        CourseKind,
        Enrolment,
        EnrolmentSource,
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
    from trainees.models import KeyGroupMembership, Trainee
    from training_platform.reference.models import (
        CertificateKind,
        Occupation,
        Region,
        RegionLevel,
        SkillLevel,
    )
    from training_platform.validators import (
        complete_credit_code,
    )

    people = claims // 2
    today = dt.date.today()
    province = Region.objects.get(code="520000")
    county = Region.objects.filter(level=RegionLevel.COUNTY).order_by("code").first()
    occupation = Occupation.objects.get(code="6-31-01-03")
    institution = TrainingInstitution.objects.create(
        name="基准测试职业培训学校",
        credit_code=complete_credit_code("52520100MJ000002" + "0"),
        kind=InstitutionKind.PRIVATE_SCHOOL,
        region=county,
        status=QualificationStatus.APPROVED,
    )
    course = Course.objects.create(
        institution=institution,
        occupation=occupation,
        title="电工（四级）基准测试项目",
        target_level=SkillLevel.LEVEL_4,
        kind=CourseKind.EMPLOYMENT,
        hours=80,
    )
    start = today - dt.timedelta(days=60)
    classes = TrainingClass.objects.bulk_create(
        TrainingClass(
            code=f"BENCH-CHECKS-{i:04d}",
            course=course,
            region=county,
            start_date=start,
            end_date=start + dt.timedelta(days=20),
            capacity=1000,
            status=ClassStatus.FINISHED,
        )
        for i in range(people // 1000 + 1)
    )
    upgrade = SubsidyStandard.objects.create(
        name="技能提升补贴（中级，急需紧缺）",
        kind=SubsidyKind.SKILL_UPGRADE,
        payee=PayeeKind.PERSON,
        certificate_kind=CertificateKind.SKILL_LEVEL,
        level=SkillLevel.LEVEL_4,
        amount=Decimal("1800.00"),
        valid_from=dt.date(2025, 1, 1),
        region=province,
        extra_uses_per_year=2,
    )
    upgrade.occupations.set([occupation])
    training = SubsidyStandard.objects.create(
        name="职业培训补贴（中级，农村转移劳动力）",
        kind=SubsidyKind.TRAINING,
        payee=PayeeKind.INSTITUTION,
        certificate_kind=CertificateKind.SKILL_LEVEL,
        level=SkillLevel.LEVEL_4,
        amount=Decimal("1200.00"),
        valid_from=dt.date(2025, 1, 1),
        region=province,
    )
    training.key_groups.set(["rural_migrant"])

    ids = pks_of

    # People: ID numbers by birth date and sequence, unique per i.
    fields = [person_id_fields(i) for i in range(people)]
    Trainee.objects.bulk_create(
        (
            Trainee(
                name=f"测试{i}",
                phone=f"139{i:08d}",
                household_region=county,
                residence_region=county,
                **f,
            )
            for i, f in enumerate(fields)
        ),
        batch_size=BATCH,
    )
    trainee_ids = ids(Trainee, "id_number_hash", [f["id_number_hash"] for f in fields])
    KeyGroupMembership.objects.bulk_create(
        (
            KeyGroupMembership(
                trainee_id=t, group_id="rural_migrant", since=dt.date(2024, 1, 1)
            )
            for i, t in enumerate(trainee_ids)
            if i % 2 == 0
        ),
        batch_size=BATCH,
    )

    def certificate(i, t, level, issued, suffix):
        return Certificate(
            number=f"B{suffix}{i:09d}",
            kind=CertificateKind.SKILL_LEVEL,
            occupation=occupation,
            occupation_name=occupation.name,
            level=level,
            trainee_id=t,
            holder_name=f"测试{i}",
            holder_id_masked="52**************00",
            holder_id_hash=fields[i]["id_number_hash"],
            issuer=institution,
            issuer_name=institution.name,
            region=county,
            issued_on=issued,
            basis=IssueBasis.EVALUATION,
            fact_key=f"bench:{suffix}:{i}",
        )

    issued = today - dt.timedelta(days=30)
    Certificate.objects.bulk_create(
        (
            certificate(i, t, SkillLevel.LEVEL_4, issued, "4")
            for i, t in enumerate(trainee_ids)
        ),
        batch_size=BATCH,
    )
    certificate_ids = ids(Certificate, "number", [f"B4{i:09d}" for i in range(people)])
    Enrolment.objects.bulk_create(
        (
            Enrolment(
                trainee_id=t,
                training_class=classes[i // 1000],
                source=EnrolmentSource.ROSTER,
                attendance_hours=Decimal(60 if i % 7 == 0 else 72),
            )
            for i, t in enumerate(trainee_ids)
        ),
        batch_size=BATCH,
    )
    enrolment_ids = dict(
        Enrolment.objects.filter(training_class__in=classes)
        .values_list("trainee_id", "pk")
        .iterator()
    )

    def claim(i, t, **kw):
        return Claim(
            trainee_id=t,
            occupation=occupation,
            level=kw.pop("level", SkillLevel.LEVEL_4),
            basis_date=kw.pop("basis_date", issued),
            use_year=today.year,
            region=county,
            payee_name=f"测试{i}",
            account_kind=AccountKind.BANK,
            payee_account="" if i % 11 == 0 else f"62220202{i:011d}",
            status=kw.pop("status", ClaimStatus.SUBMITTED),
            **kw,
        )

    rows = []
    for i, t in enumerate(trainee_ids):
        rows.append(
            claim(
                i,
                t,
                kind=SubsidyKind.SKILL_UPGRADE,
                standard=upgrade,
                amount=upgrade.amount,
                certificate_id=certificate_ids[i],
                filed_by=FiledBy.TRAINEE,
                payee_kind=PayeeKind.PERSON,
                use_slot=1,
            )
        )
        rows.append(
            claim(
                i,
                t,
                kind=SubsidyKind.TRAINING,
                standard=training,
                amount=training.amount,
                enrolment_id=enrolment_ids[t],
                institution=institution,
                filed_by=FiledBy.INSTITUTION,
                payee_kind=PayeeKind.INSTITUTION,
                basis_date=start + dt.timedelta(days=20),
                use_slot=2,
            )
        )
    Claim.objects.bulk_create(rows, batch_size=BATCH)
    checked = len(rows)
    # After the checked claims: earlier paid claims at a higher level (一成的人).
    higher = [(i, t) for i, t in enumerate(trainee_ids) if i % 10 == 3]
    Certificate.objects.bulk_create(
        (
            certificate(i, t, SkillLevel.LEVEL_3, today - dt.timedelta(days=200), "3")
            for i, t in higher
        ),
        batch_size=BATCH,
    )
    higher_certificates = ids(Certificate, "number", [f"B3{i:09d}" for i, _t in higher])
    Claim.objects.bulk_create(
        (
            claim(
                i,
                t,
                kind=SubsidyKind.SKILL_UPGRADE,
                standard=upgrade,
                amount=upgrade.amount,
                certificate_id=c,
                level=SkillLevel.LEVEL_3,
                basis_date=today - dt.timedelta(days=200),
                filed_by=FiledBy.TRAINEE,
                payee_kind=PayeeKind.PERSON,
                use_slot=3,
                status=ClaimStatus.PAID,
                paid_on=today - dt.timedelta(days=100),
                bank_reference=f"BANK{i}",
            )
            for (i, t), c in zip(higher, higher_certificates, strict=True)
        ),
        batch_size=BATCH,
    )
    return {"people": people, "claims_checked": checked, "paid_earlier": len(higher)}


def _run(sizes: list[int], rounds: int, baseline: int) -> dict:
    from django.db import connection, transaction

    from subsidies.checks import checks_store, claims_check
    from subsidies.models import Claim, ClaimCheck
    from training_platform.reference.services import reference_data_load

    reference_data_load()
    start = time.perf_counter()
    with transaction.atomic():
        seeded = _seed(max(sizes))
    seed_seconds = time.perf_counter() - start

    timings = {n: {"load": [], "check": [], "store": []} for n in sizes}
    queries = {}
    failed = {}
    for _round in range(rounds):
        for n in sizes:
            gc.collect()
            t0 = time.perf_counter()
            claims = list(Claim.objects.order_by("pk")[:n])
            t1 = time.perf_counter()
            results = claims_check(claims)
            t2 = time.perf_counter()
            checks_store(claims, results)
            t3 = time.perf_counter()
            timings[n]["load"].append(t1 - t0)
            timings[n]["check"].append(t2 - t1)
            timings[n]["store"].append(t3 - t2)
            if n not in queries:
                queries[n] = {
                    "check": count_queries(lambda c=claims: claims_check(c)),
                    "store": count_queries(
                        lambda c=claims, r=results: checks_store(c, r)
                    ),
                }
                failed[n] = {}
                for rs in results:
                    for r in rs:
                        if not r.passed:
                            failed[n][str(r.code)] = failed[n].get(str(r.code), 0) + 1
            del claims, results
    assert ClaimCheck.objects.count() == max(sizes) * 9

    # Baseline: one claims_check per claim.
    claims = list(Claim.objects.order_by("pk")[:baseline])
    t0 = time.perf_counter()
    for claim in claims:
        claims_check([claim])
    baseline_seconds = time.perf_counter() - t0
    baseline_queries = count_queries(lambda: [claims_check([c]) for c in claims[:10]])

    def med(n, part):
        return statistics.median(timings[n][part])

    small, large = min(sizes), max(sizes)
    out = {
        "name": "claim_checks",
        "machine": machine(),
        "database": connection.vendor,
        "rounds": rounds,
        "seed": {**seeded, "seconds": round(seed_seconds, 1)},
        "sizes": {},
        "baseline": {
            "what": "claims_check([claim]) for each claim (per-claim loop)",
            "claims": baseline,
            "seconds": round(baseline_seconds, 3),
            "claims_per_second": round(baseline / baseline_seconds),
            "queries_per_claim": baseline_queries / 10,
        },
        "target_ratio": TARGET_RATIO,
    }
    for n in sizes:
        check, store, load = med(n, "check"), med(n, "store"), med(n, "load")
        out["sizes"][str(n)] = {
            "load_seconds": round(load, 3),
            "check_seconds": round(check, 3),
            "store_seconds": round(store, 3),
            "check_claims_per_second": round(n / check),
            "check_and_store_claims_per_second": round(n / (check + store)),
            "check_results_per_second": round(n * 9 / check),
            "queries_check": queries[n]["check"],
            "queries_store": queries[n]["store"],
            "failed_by_check": failed[n],
            "all_seconds": {k: [round(x, 3) for x in v] for k, v in timings[n].items()},
        }
    if len(sizes) > 1:
        out["ratio_check"] = round(med(large, "check") / med(small, "check"), 2)
        out["ratio_check_and_store"] = round(
            (med(large, "check") + med(large, "store"))
            / (med(small, "check") + med(small, "store")),
            2,
        )
        out["ratio_sizes"] = large / small
        out["linear"] = out["ratio_check_and_store"] <= TARGET_RATIO
    out["set_based_vs_baseline_speedup"] = round(
        out["sizes"][str(small)]["check_claims_per_second"]
        / out["baseline"]["claims_per_second"],
        1,
    )
    return out


def table(result: dict) -> str:
    lines = ["| benchmark | result |", "|---|---|"]
    for n, s in result["sizes"].items():
        lines.append(
            f"| pre-checks, {int(n):,} claims | check {s['check_seconds']} s "
            f"({s['check_claims_per_second']:,} claims/s, "
            f"{s['check_results_per_second']:,} results/s, {s['queries_check']} queries); "
            f"store {s['store_seconds']} s ({s['queries_store']} queries); "
            f"load {s['load_seconds']} s |"
        )
    if "ratio_check" in result:
        lines.append(
            f"| pre-checks, time({int(result['ratio_sizes'])}× claims) / time(1×) "
            f"| check {result['ratio_check']}, check + store "
            f"{result['ratio_check_and_store']} (target ≤ {result['target_ratio']:g}) |"
        )
    b = result["baseline"]
    lines.append(
        f"| pre-checks, baseline: per-claim loop, {b['claims']:,} claims "
        f"| {b['claims_per_second']:,} claims/s, {b['queries_per_claim']:g} queries "
        f"per claim; set-based is {result['set_based_vs_baseline_speedup']}× faster |"
    )
    return "\n".join(lines)


def _child() -> None:
    sizes = [
        int(s)
        for s in os.environ.get("BENCH_CHECKS_SIZES", "10000,100000").split(",")
        if s.strip()
    ]
    rounds = env_int("BENCH_CHECKS_ROUNDS", 3)
    baseline = env_int("BENCH_CHECKS_BASELINE", 1000)
    with tempfile.TemporaryDirectory() as tmp:
        from bench.common import setup_django

        setup_django(Path(tmp) / "bench.sqlite3")
        result = _run(sorted(sizes), rounds, baseline)
    write_result("claim_checks", result)


def main() -> dict:
    """Run in a child process (its own Django and database), then print the table."""
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "training_platform.settings.test"}
    subprocess.run(
        [sys.executable, "-m", "bench.claim_checks", "--child"],
        cwd=ROOT,
        env=env,
        check=True,
    )
    result = json.loads((RESULTS / "claim_checks.json").read_text(encoding="utf-8"))
    sys.stdout.write(table(result) + "\n")
    return result


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        _child()
    else:
        main()
