"""The pre-checks of claims (预审), set-based, each with a sentence a reviewer can read.

Every claim runs every check of :class:`subsidies.models.CheckCode`, in that order.
:func:`claims_check` reads what it needs for any number of claims in a bounded number
of queries (never per claim); :func:`checks_store` records a run; :func:`claims_recheck`
does both (at approval time).
"""

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from django.db import transaction

from subsidies.models import CheckCode, Claim


@dataclass(frozen=True)
class CheckResult:
    code: CheckCode
    passed: bool
    message: str


def claims_check(
    claims: Sequence[Claim], *, today: dt.date | None = None
) -> list[list[CheckResult]]:
    """Every check for every claim, aligned with ``claims`` (one list per claim).

    Claims may be unsaved (a preview before filing) or saved (a recheck: a claim never
    conflicts with itself). Claims earlier in ``claims`` count against later ones (two
    claims for one entitlement in one call: the second is a duplicate).
    """
    raise NotImplementedError  # filled in on branch s11-checks


@transaction.atomic
def checks_store(
    claims: Sequence[Claim],
    results: Sequence[Sequence[CheckResult]],
    *,
    at: dt.datetime | None = None,
) -> None:
    """Replace each saved claim's ClaimCheck rows and set its ``checks_failed``."""
    raise NotImplementedError  # filled in on branch s11-checks


def claims_recheck(
    claims: Sequence[Claim], *, today: dt.date | None = None
) -> list[list[CheckResult]]:
    """Check and store (at approval time)."""
    results = claims_check(claims, today=today)
    checks_store(claims, results)
    return results
