"""The subsidies part of a person's lifetime record (registered in ``SubsidiesConfig``):
their claims (kind, amount, status, paid date) once filed. Drafts and withdrawn claims
are not part of the record."""

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from subsidies.models import Claim, ClaimStatus
from trainees.records import RecordEntry, RecordSource

NOT_IN_RECORD = (ClaimStatus.DRAFT, ClaimStatus.WITHDRAWN)


def _yuan(amount) -> str:
    return f"{amount:,.2f} 元"


def claims_of_trainee(trainee):
    """The person's filed claims, oldest first, with occupation and institution, one query.

    The payee account (encrypted) is never loaded: the record does not show it.
    """
    return (
        Claim.objects.filter(trainee=trainee)
        .exclude(status__in=NOT_IN_RECORD)
        .select_related("occupation", "institution")
        .only(
            "kind",
            "amount",
            "status",
            "paid_on",
            "submitted_at",
            "basis_date",
            "level",
            "payee_kind",
            "occupation",
            "occupation__name",
            "institution",
            "institution__name",
        )
        .order_by("basis_date", "id")
    )


def subsidy_entries(trainee) -> list[RecordEntry]:
    entries = []
    for claim in claims_of_trainee(trainee):
        if claim.paid_on:
            day = claim.paid_on
        elif claim.submitted_at:
            day = timezone.localdate(claim.submitted_at)
        else:
            day = claim.basis_date
        status = claim.get_status_display()
        occupation = claim.occupation.name if claim.occupation else ""
        if occupation and claim.level:
            occupation += f" · {claim.get_level_display()}"
        facts = [
            (_("补贴类型"), claim.get_kind_display()),
            (_("补贴金额"), _yuan(claim.amount)),
            (_("状态"), status),
            (_("拨付日期"), f"{claim.paid_on:%Y-%m-%d}" if claim.paid_on else "—"),
        ]
        if occupation:
            facts.append((_("职业（工种）"), occupation))
        if claim.institution:
            facts.append((_("培训机构"), claim.institution.name))
        entries.append(
            RecordEntry(
                date=day,
                title=f"{claim.get_kind_display()} {_yuan(claim.amount)}",
                detail=status,
                obj=claim,
                extra={"status": claim.status},
                kind=_("补贴"),
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
)
