"""The public catalogue and the back-office lists at province scale (issue 14).

On the province-scale data set of ``bench.dashboard.seed`` (shared with the dashboard
benchmark: ``bench.province`` seeds once and runs both), through django.test.Client
with the project's middleware, each page timed interleaved with its baseline (medians
of ``BENCH_LISTS_ROUNDS`` rounds, default 5) and its SQL statements counted:

* the public catalogue ``/courses/`` (anonymous), against ``SELECT COUNT(*)`` of
  ``courses_trainingclass`` (the table it lists from);
* the back-office lists - trainees, enrolments, certificates, subsidy claims (the
  bureau's review queue; the institution's filed claims) - as ``bureau_gz`` (province
  bureau), ``bureau_gy`` (贵阳's bureau) and ``inst_a`` (an institution's staff),
  each against ``SELECT COUNT(*)`` of the table the list pages over;
* ``/bench/trivial/`` (``bench.urls``: a view that does nothing, the same middleware,
  signed in as bureau_gz), the framework's floor, against the same COUNT(*)s.

The demo users are used when the database has them (``seed_demo``); otherwise users with
the same roles and scopes are created under those names.
"""

import statistics
import sys
import time

from bench.common import count_queries

# (label, URL name or path, table it pages over, who may see it).
PUBLIC = (("public catalogue /courses/", "/courses/", "courses_trainingclass"),)
BACK_OFFICE = (
    ("trainee list", "trainees:index", "trainees_trainee"),
    ("enrolment list", "enrolment:index", "courses_enrolment"),
    ("certificate list", "certificate:index", "certificates_certificate"),
    ("claim review queue", "subsidies_review_queue", "subsidies_claim"),
    ("filed claims", "filed_claims:index", "subsidies_claim"),
)
# Which claim list each role works from.
CLAIM_LISTS = {
    "bureau_gz": "claim review queue",
    "bureau_gy": "claim review queue",
    "inst_a": "filed claims",
}


def _say(text: str) -> None:
    sys.stderr.write(text + "\n")
    sys.stderr.flush()


def users() -> dict:
    """bureau_gz (province bureau), bureau_gy (贵阳's bureau), inst_a (institution staff
    of the institution with the most enrolments)."""
    from django.contrib.auth import get_user_model
    from django.db.models import Count

    from bases.models import TrainingInstitution
    from tests.factories import staff_user
    from training_platform.roles import Role

    found = {
        u.username: u
        for u in get_user_model().objects.filter(
            username__in=("bureau_gz", "bureau_gy", "inst_a")
        )
    }
    if "bureau_gz" not in found:
        found["bureau_gz"] = staff_user(
            Role.BUREAU, region_code="520000", username="bureau_gz"
        )
    if "bureau_gy" not in found:
        found["bureau_gy"] = staff_user(
            Role.BUREAU, region_code="520100", username="bureau_gy"
        )
    if "inst_a" not in found:
        institution = (
            TrainingInstitution.objects.annotate(
                n=Count("courses__classes__enrolments")
            )
            .order_by("-n", "pk")
            .first()
        )
        found["inst_a"] = staff_user(
            Role.INSTITUTION, institution=institution, username="inst_a"
        )
    return found


def _count(table: str):
    from django.db import connection

    def run():
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT COUNT(*) FROM {table}")  # noqa: S608 - fixed names
            return cursor.fetchone()[0]

    return run


def _interleaved(a, b, rounds: int) -> tuple[float, float]:
    times_a, times_b = [], []
    for _ in range(rounds):
        for fn, sink in ((a, times_a), (b, times_b)):
            start = time.perf_counter()
            fn()
            sink.append(time.perf_counter() - start)
    return statistics.median(times_a), statistics.median(times_b)


def _page(client, url: str, statuses: list):
    def run():
        response = client.get(url)
        statuses.append(response.status_code)
        if response.status_code != 200:
            raise AssertionError(f"{url}: {response.status_code}")
        if hasattr(response, "render") and not response.is_rendered:
            response.render()

    return run


def _measure(label, who, client, url, table, rounds) -> dict:
    statuses: list = []
    page = _page(client, url, statuses)
    page()  # warm-up (templates, the user's scope)
    queries = count_queries(page)
    baseline = _count(table)
    rows = baseline()
    page_s, base_s = _interleaved(page, baseline, rounds)
    _say(
        f"  {label} as {who}: {page_s * 1000:,.0f} ms, {queries} queries "
        f"(COUNT(*) of {table}: {base_s * 1000:,.1f} ms, {rows:,} rows)"
    )
    return {
        "what": label,
        "as": who,
        "url": url,
        "seconds": round(page_s, 4),
        "queries": queries,
        "baseline": f"SELECT COUNT(*) FROM {table}",  # noqa: S608 - a label
        "baseline_rows": rows,
        "baseline_seconds": round(base_s, 5),
        "ratio": round(page_s / base_s, 1) if base_s else None,
        "rounds": rounds,
    }


def time_lists(rounds: int) -> list[dict]:
    """Every list as every role, each with its baseline; the rows of the result."""
    from django.test import Client, override_settings
    from django.urls import reverse

    people = users()
    out = []
    with override_settings(ROOT_URLCONF="bench.urls", ALLOWED_HOSTS=["testserver"]):
        anonymous = Client()
        for label, url, table in PUBLIC:
            out.append(_measure(label, "anonymous", anonymous, url, table, rounds))
        for who, user in people.items():
            client = Client()
            client.force_login(user)
            if who == "bureau_gz":
                out.append(
                    _measure(
                        "trivial view /bench/trivial/ (signed in)",
                        who,
                        client,
                        "/bench/trivial/",
                        "trainees_trainee",
                        rounds,
                    )
                )
            for label, name, table in BACK_OFFICE:
                if label in CLAIM_LISTS.values() and CLAIM_LISTS[who] != label:
                    continue
                out.append(_measure(label, who, client, reverse(name), table, rounds))
    return out


def table(result: dict) -> str:
    from bench.summary import lists_rows, rows_table

    return rows_table(lists_rows(result))
