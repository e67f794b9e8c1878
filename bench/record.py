"""Lifetime record (终身培训电子档案) benchmark: /me/record/ for a person with 1 entry and
for a person with 100 entries, rendered in-process with the Django test client.

Issue 11's target: the record of 100 entries renders within 2× the time of a record of 1
entry (and with the same number of queries). The two pages are timed interleaved in one
process (bench.common.interleaved), medians of ``BENCH_RECORD_ROUNDS`` rounds (default
15). The PDF and xlsx downloads of both are timed alike, for information.

``python -m bench.record`` runs it alone; ``BENCH_ONLY=record`` from bench.run.
"""

import datetime as dt
import sys
import tempfile
from pathlib import Path

from bench.common import (
    count_queries,
    env_int,
    interleaved,
    machine,
    setup_django,
    write_result,
)

TARGET_RATIO = 2.0
ENTRIES = 100


def _people():
    """Two signed-up people: one with 1 entry, one with 100 across every source."""
    from subsidies.models import ClaimStatus
    from tests.factories import (
        CertificateFactory,
        ClaimFactory,
        EnrolmentFactory,
        KeyGroupMembershipFactory,
        TraineeFactory,
        UserFactory,
    )
    from trainees.records import record_for

    small = TraineeFactory(user=UserFactory())
    EnrolmentFactory(trainee=small)
    large = TraineeFactory(user=UserFactory())
    start = dt.date(2015, 1, 1)
    for n in range(35):
        EnrolmentFactory(
            trainee=large,
            training_class__start_date=start + dt.timedelta(days=n * 30),
        )
    certificates = [
        CertificateFactory(trainee=large, issued_on=start + dt.timedelta(days=n * 31))
        for n in range(35)
    ]
    for certificate in certificates[:20]:
        ClaimFactory(
            certificate=certificate,
            standard__name=f"基准标准{certificate.pk}",
            status=ClaimStatus.REJECTED,
        )
    for n in range(10):
        KeyGroupMembershipFactory(trainee=large, since=start + dt.timedelta(days=n))
    sizes = len(record_for(small)), len(record_for(large))
    assert sizes == (1, ENTRIES), sizes
    return small, large


def bench_record() -> dict:
    from django.test import Client

    from training_platform.reference.services import reference_data_load

    reference_data_load()
    small, large = _people()
    clients = {}
    for name, person in (("small", small), ("large", large)):
        client = Client()
        client.force_login(person.user)
        clients[name] = client

    def get(name, url):
        client = clients[name]

        def run():
            response = client.get(url)
            assert response.status_code == 200, response.status_code

        return run

    rounds = env_int("BENCH_RECORD_ROUNDS", 15)
    result = {"name": "record", "machine": machine(), "entries": [1, ENTRIES]}
    for key, url in (
        ("page", "/me/record/"),
        ("pdf", "/me/record/record.pdf"),
        ("xlsx", "/me/record/record.xlsx"),
    ):
        get("small", url)(), get("large", url)()  # warm up
        one_s, many_s = interleaved(get("small", url), get("large", url), rounds)
        result[f"{key}_1_ms"] = round(one_s * 1000, 1)
        result[f"{key}_100_ms"] = round(many_s * 1000, 1)
        result[f"{key}_ratio"] = round(many_s / one_s, 2)
        result[f"{key}_queries_1"] = count_queries(get("small", url))
        result[f"{key}_queries_100"] = count_queries(get("large", url))
    result["target_ratio"] = TARGET_RATIO
    result["page_within_target"] = result["page_ratio"] <= TARGET_RATIO
    return result


def table(result) -> str:
    rows = [
        (
            f"lifetime record page /me/record/, 1 vs {ENTRIES} entries",
            f"{result['page_1_ms']} ms vs {result['page_100_ms']} ms, ratio "
            f"{result['page_ratio']} (target ≤ {TARGET_RATIO}); queries "
            f"{result['page_queries_1']} vs {result['page_queries_100']}",
        ),
        (
            f"lifetime record PDF, 1 vs {ENTRIES} entries",
            f"{result['pdf_1_ms']} ms vs {result['pdf_100_ms']} ms, ratio "
            f"{result['pdf_ratio']}; queries {result['pdf_queries_1']} vs "
            f"{result['pdf_queries_100']}",
        ),
        (
            f"lifetime record xlsx, 1 vs {ENTRIES} entries",
            f"{result['xlsx_1_ms']} ms vs {result['xlsx_100_ms']} ms, ratio "
            f"{result['xlsx_ratio']}; queries {result['xlsx_queries_1']} vs "
            f"{result['xlsx_queries_100']}",
        ),
    ]
    lines = ["| benchmark | result |", "|---|---|"]
    lines += [f"| {a} | {b} |" for a, b in rows]
    return "\n".join(lines)


def main():
    with tempfile.TemporaryDirectory() as tmp:
        setup_django(Path(tmp) / "bench.sqlite3")
        result = bench_record()
    write_result("record", result)
    sys.stdout.write(table(result) + "\n")


if __name__ == "__main__":
    main()
