"""No entitlement is paid twice, under real concurrency (PostgreSQL only).

16 threads, each with its own database connection, start together at a barrier and
race to (1) file a live claim for the same entitlement and batch it, (2) batch the same
noticed claim, (3) apply the same bank return. Each race ends with exactly one claim,
one payment line and one paid claim.
"""

import threading
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, connections, transaction

from subsidies import bank_return, batches
from subsidies.models import (
    LIVE_STATUSES,
    BatchStatus,
    Claim,
    ClaimStatus,
    DisbursementBatch,
    Payment,
    PaymentStatus,
)
from tests.factories import ClaimFactory, region, staff_user
from tests.subsidies.test_batches import return_file
from training_platform.audit.models import AuditEvent
from training_platform.roles import Role

THREADS = 16

pytestmark = [
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture(autouse=True)
def _postgres_only(reference):
    # ``reference``: regions and occupations, reloaded after an earlier flush.
    if connection.vendor != "postgresql":
        pytest.skip(
            "The race needs real row locks and concurrent connections: SQLite "
            "serialises every writer, so the race would not be real. Run with "
            "DATABASE_URL=postgres://..."
        )


def race(work) -> list[str]:
    """Run ``work(i)`` in THREADS threads started together; each outcome's name."""
    barrier = threading.Barrier(THREADS)
    outcomes: list[str] = []
    lock = threading.Lock()

    def run(i):
        try:
            barrier.wait(timeout=30)
            work(i)
            outcome = "ok"
        except (IntegrityError, ValidationError) as exc:
            outcome = type(exc).__name__
        except Exception as exc:  # noqa: BLE001 - reported by the assertion
            outcome = f"unexpected {type(exc).__name__}: {exc}"
        finally:
            connections.close_all()
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert len(outcomes) == THREADS, "a thread did not finish"
    return outcomes


def _user(pk):
    return get_user_model().objects.get(pk=pk)


def test_sixteen_claims_for_one_entitlement_racing_into_batches_pay_once():
    template = ClaimFactory(status=ClaimStatus.REJECTED, region=region("520102"))
    fields = {
        f.attname: getattr(template, f.attname)
        for f in Claim._meta.concrete_fields
        if f.attname not in ("id", "status", "use_slot", "payee_account_hash")
    }
    makers = [staff_user(Role.BUREAU, region_code="520100").pk for _ in range(THREADS)]

    def file_and_batch(i):
        with transaction.atomic():
            claim = Claim(**fields, status=ClaimStatus.NOTICED, use_slot=i % 5 + 1)
            claim.save()
            batches.batch_create(
                claims=[claim], region=region("520100"), actor=_user(makers[i])
            )

    outcomes = race(file_and_batch)
    assert outcomes.count("ok") == 1, outcomes
    assert set(outcomes) <= {"ok", "IntegrityError", "ValidationError"}, outcomes
    live = Claim.objects.filter(trainee=template.trainee, status__in=LIVE_STATUSES)
    assert live.count() == 1
    assert Payment.objects.count() == 1 and DisbursementBatch.objects.count() == 1

    batch = DisbursementBatch.objects.get()
    checker = staff_user(Role.BUREAU, region_code="520000")
    batches.batch_approve(batch=batch, actor=checker)
    line = Payment.objects.get()
    uploaders = [
        staff_user(Role.BUREAU, region_code="520100").pk for _ in range(THREADS)
    ]

    def apply_return(i):
        rows = bank_return.BANK_RETURN.read(
            return_file([[line.reference, str(line.amount), "成功", "B-1", "", ""]])
        )
        summary = bank_return.BANK_RETURN.run(
            target=batch, rows=rows, actor=_user(uploaders[i])
        )
        if summary["errors"]:
            raise ValidationError(summary["errors"][0]["message"])

    outcomes = race(apply_return)
    assert all(o in ("ok", "ValidationError") for o in outcomes), outcomes
    assert Claim.objects.filter(status=ClaimStatus.PAID).count() == 1
    assert AuditEvent.objects.filter(action="subsidies.claim.paid").count() == 1
    assert Payment.objects.get().status == PaymentStatus.PAID
    assert DisbursementBatch.objects.get().status == BatchStatus.RECONCILED


def test_sixteen_bureau_users_batching_the_same_claims_make_one_batch():
    claims = [
        ClaimFactory(status=ClaimStatus.NOTICED, region=region("520102"))
        for _ in range(3)
    ]
    makers = [staff_user(Role.BUREAU, region_code="520100").pk for _ in range(THREADS)]

    def batch_them(i):
        batches.batch_create(
            claims=list(reversed(claims)) if i % 2 else claims,
            region=region("520100"),
            actor=_user(makers[i]),
        )

    outcomes = race(batch_them)
    assert outcomes.count("ok") == 1, outcomes
    assert outcomes.count("ValidationError") == THREADS - 1, outcomes
    batch = DisbursementBatch.objects.get()
    assert Payment.objects.filter(batch=batch).count() == 3
    assert batch.declared_amount == sum((c.amount for c in claims), Decimal(0))
    assert batches.totals_mismatches(batch) == []
