"""The subsidies part of a person's lifetime record (registered in ``SubsidiesConfig``):
their claims (kind, amount, status, paid date) once filed. Drafts and withdrawn claims
are not part of the record."""

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from subsidies.models import Claim, ClaimStatus, SubsidyKind
from trainees.records import RecordEntry, RecordSource
from training_platform.reference.models import SkillLevel

NOT_IN_RECORD = (ClaimStatus.DRAFT, ClaimStatus.WITHDRAWN)


def _yuan(amount) -> str:
    return f"{amount:,.2f} 元"


#: What the record reads of a claim (never the payee account): plain rows, not model
#: instances, so that a long record costs little per entry.
FIELDS = (
    "pk",
    "kind",
    "amount",
    "status",
    "paid_on",
    "submitted_at",
    "basis_date",
    "level",
    "occupation__name",
    "institution__name",
)


def claims_of_trainee(trainee):
    """The person's filed claims, oldest first, as ``FIELDS`` tuples, in one query."""
    return (
        Claim.objects.filter(trainee=trainee)
        .exclude(status__in=NOT_IN_RECORD)
        .order_by("basis_date", "id")
        .values_list(*FIELDS)
    )


KIND = _("补贴")
LABELS = {
    "kind": _("补贴类型"),
    "amount": _("补贴金额"),
    "status": _("状态"),
    "paid_on": _("拨付日期"),
    "occupation": _("职业（工种）"),
    "institution": _("培训机构"),
}


def subsidy_entries(trainee) -> list[RecordEntry]:
    """Kind, amount, status and paid date of each filed claim; ``obj`` is the row as a
    dict (``FIELDS``' names). Dated by payment, else by submission, else by its basis."""
    kind = str(KIND)
    label = {key: str(value) for key, value in LABELS.items()}  # once, not per row
    entries = []
    for values in claims_of_trainee(trainee):
        row = dict(zip(FIELDS, values, strict=True))
        if row["paid_on"]:
            day = row["paid_on"]
        elif row["submitted_at"]:
            day = timezone.localdate(row["submitted_at"])
        else:
            day = row["basis_date"]
        status = ClaimStatus(row["status"]).label
        kind_label = SubsidyKind(row["kind"]).label
        amount = _yuan(row["amount"])
        occupation = row["occupation__name"] or ""
        if occupation and row["level"]:
            occupation += f" · {SkillLevel(row['level']).label}"
        paid_on = row["paid_on"]
        facts = [
            (label["kind"], kind_label),
            (label["amount"], amount),
            (label["status"], status),
            (label["paid_on"], f"{paid_on:%Y-%m-%d}" if paid_on else "—"),
        ]
        if occupation:
            facts.append((label["occupation"], occupation))
        if row["institution__name"]:
            facts.append((label["institution"], row["institution__name"]))
        entries.append(
            RecordEntry(
                date=day,
                title=f"{kind_label} {amount}",
                detail=status,
                obj=row,
                extra={"status": row["status"]},
                kind=kind,
                status=status,
                facts=tuple(facts),
            )
        )
    return entries


SUBSIDIES = RecordSource(
    "subsidies",
    _("我的补贴"),
    subsidy_entries,
    order=30,
    model=Claim,
)
