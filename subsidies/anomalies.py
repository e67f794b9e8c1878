"""补贴异常: claims a bureau or an auditor should look at twice.

Three lists, each computed set-based (one GROUP BY query finds the groups, one more
query fetches the claims behind them, whatever the number of claims) and scoped to the
claims the user may see (``training_platform.access.visible``): a prefecture bureau
finds the anomalies among its own region's claims only.

Only *live* claims count (``models.LIVE_STATUSES``: submitted up to paid; drafts,
rejected and withdrawn claims hold nothing and are left out).

The rules:

(a) **Several institutions, one person, one year**: a person's live claims of one use
    year name more than one training institution (``Count(institution, distinct)`` > 1).
    Claims filed by the person without an institution do not count as one.
(b) **One phone, many people**: the live claims of at least ``SHARED_MIN_PEOPLE`` (3)
    different trainees whose phone on file is the same number.
    **One account, many people**: the live claims paid to a person (``payee_kind`` 个人)
    whose account (``payee_account_hash``, the keyed blind index; the number itself is
    encrypted) is the same for at least 3 different trainees. Claims paid to an
    institution's own account are left out: an institution is paid for many people by
    design. The account is only ever shown masked (last four digits).
(c) **Uniform attendance**: a class that has live claims (on the enrolment, or on a
    certificate issued for an enrolment of the class), at least ``UNIFORM_MIN_ENROLMENTS``
    (10) enrolments not withdrawn, and attendance hours that do not vary: the largest and
    the smallest differ by at most ``UNIFORM_MAX_SPREAD`` (0.5 课时). Real attendance
    varies with a person's sick day or late start; a whole class with the same hours
    suggests a register filled in at one stroke. The spread (max − min) bounds the
    standard deviation (σ ≤ spread / 2), so "all identical" and "σ ≈ 0" are both caught,
    with ``Min``/``Max`` that every database computes exactly.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, F, Max, Min, Q
from django.urls import reverse

from courses.models import Enrolment, EnrolmentStatus
from subsidies.models import LIVE_Q, Claim, PayeeKind
from training_platform import access, pii

SHARED_MIN_PEOPLE = 3
UNIFORM_MIN_ENROLMENTS = 10
UNIFORM_MAX_SPREAD = Decimal("0.5")


def claim_url(claim_id: int) -> str:
    """The claim's page (the review screen shows it to every role that sees claims)."""
    return reverse("subsidies_claim_review", args=[claim_id])


@dataclass
class ClaimRef:
    """One claim behind an anomaly, as the lists show and link it."""

    id: int
    kind: str
    amount: Decimal
    status: str
    institution: str
    trainee: str  # masked name

    @property
    def url(self) -> str:
        return claim_url(self.id)


@dataclass
class Anomaly:
    """One row of an anomaly list: what is odd (one sentence) and the claims involved."""

    sentence: str
    claims: list[ClaimRef] = field(default_factory=list)
    # The columns of the export, beyond the sentence and the claim numbers.
    cells: dict = field(default_factory=dict)

    @property
    def claim_count(self) -> int:
        return len(self.claims)

    @property
    def amount(self) -> Decimal:
        return sum((c.amount for c in self.claims), Decimal("0.00"))

    @property
    def claim_ids(self) -> str:
        return "、".join(f"#{c.id}" for c in self.claims)


def live_claims(user):
    """The live claims ``user`` may see: the ground every list stands on."""
    return access.visible(user, Claim.objects.filter(LIVE_Q))


def _refs(claims) -> list[ClaimRef]:
    return [
        ClaimRef(
            id=c.id,
            kind=c.get_kind_display(),
            amount=c.amount,
            status=c.get_status_display(),
            institution=c.institution.name if c.institution_id else "本人申领",
            trainee=pii.mask_name(c.trainee.name),
        )
        for c in claims
    ]


def _claims_of(base, **filters):
    # The claims behind the groups, in one query.
    return (
        base.filter(**filters).select_related("trainee", "institution").order_by("id")
    )


# --- (a) several institutions, one person, one year -------------------------------------


def multi_institution(user) -> list[Anomaly]:
    base = live_claims(user).filter(institution__isnull=False)
    groups = (
        base.values("trainee_id", "use_year")
        .annotate(institutions=Count("institution_id", distinct=True))
        .filter(institutions__gt=1)
        .order_by("-use_year", "trainee_id")
    )
    wanted = {(g["trainee_id"], g["use_year"]): g for g in groups}
    if not wanted:
        return []
    by_key = defaultdict(list)
    trainee_ids = {key[0] for key in wanted}
    years = {key[1] for key in wanted}
    for claim in _claims_of(base, trainee_id__in=trainee_ids, use_year__in=years):
        key = (claim.trainee_id, claim.use_year)
        if key in wanted:
            by_key[key].append(claim)
    rows = []
    for key in wanted:
        claims = by_key[key]
        if not claims:
            continue
        trainee = claims[0].trainee
        names = list(dict.fromkeys(c.institution.name for c in claims))
        sentence = (
            f"学员 {pii.mask_name(trainee.name)}（{trainee.masked_id_number}）"
            f"{key[1]} 年被 {len(names)} 家培训机构申领补贴（{'、'.join(names)}），"
            f"共 {len(claims)} 笔。"
        )
        rows.append(
            Anomaly(
                sentence,
                _refs(claims),
                {
                    "学员": pii.mask_name(trainee.name),
                    "身份证号": trainee.masked_id_number,
                    "年度": key[1],
                    "培训机构数": len(names),
                    "培训机构": "、".join(names),
                },
            )
        )
    return rows


# --- (b) one phone or one account, many people -------------------------------------------


def shared_phone(user) -> list[Anomaly]:
    base = live_claims(user).exclude(trainee__phone="")
    groups = (
        base.values(phone=F("trainee__phone"))
        .annotate(people=Count("trainee_id", distinct=True))
        .filter(people__gte=SHARED_MIN_PEOPLE)
        .order_by("-people", "phone")
    )
    phones = [g["phone"] for g in groups]
    if not phones:
        return []
    by_phone = defaultdict(list)
    for claim in _claims_of(base, trainee__phone__in=phones):
        by_phone[claim.trainee.phone].append(claim)
    rows = []
    for phone in phones:
        claims = by_phone[phone]
        people = len({c.trainee_id for c in claims})
        masked = pii.mask_phone(phone)
        rows.append(
            Anomaly(
                f"手机号 {masked} 同时登记在 {people} 名学员名下，涉及申领 {len(claims)} 笔。",
                _refs(claims),
                {"手机号": masked, "学员人数": people},
            )
        )
    return rows


def shared_account(user) -> list[Anomaly]:
    base = (
        live_claims(user)
        .filter(payee_kind=PayeeKind.PERSON)
        .exclude(payee_account_hash="")
    )
    groups = (
        base.values("payee_account_hash")
        .annotate(people=Count("trainee_id", distinct=True))
        .filter(people__gte=SHARED_MIN_PEOPLE)
        .order_by("-people", "payee_account_hash")
    )
    hashes = [g["payee_account_hash"] for g in groups]
    if not hashes:
        return []
    by_hash = defaultdict(list)
    for claim in _claims_of(base, payee_account_hash__in=hashes):
        by_hash[claim.payee_account_hash].append(claim)
    rows = []
    for index in hashes:
        claims = by_hash[index]
        people = len({c.trainee_id for c in claims})
        masked = claims[0].masked_account
        rows.append(
            Anomaly(
                f"收款账号 {masked} 被 {people} 名学员的申领共用，涉及申领 {len(claims)} 笔。",
                _refs(claims),
                {"收款账号": masked, "学员人数": people},
            )
        )
    return rows


# --- (c) uniform attendance ---------------------------------------------------------------


def _hours(value: Decimal) -> str:
    """80.0 → "80", 79.5 → "79.5"."""
    return format(value.normalize(), "f")


def uniform_attendance(user) -> list[Anomaly]:
    base = live_claims(user)
    # Classes with a claim on one of their enrolments, or on a certificate issued for one.
    claimed = Q(
        training_class_id__in=base.filter(enrolment__isnull=False).values(
            "enrolment__training_class_id"
        )
    ) | Q(
        training_class_id__in=base.filter(certificate__enrolment__isnull=False).values(
            "certificate__enrolment__training_class_id"
        )
    )
    stats = list(
        Enrolment.objects.filter(claimed)
        .exclude(status=EnrolmentStatus.WITHDRAWN)
        .values("training_class_id")
        .annotate(
            people=Count("id"),
            low=Min("attendance_hours"),
            high=Max("attendance_hours"),
        )
        .filter(people__gte=UNIFORM_MIN_ENROLMENTS)
        .order_by("training_class_id")
    )
    stats = [s for s in stats if s["high"] - s["low"] <= UNIFORM_MAX_SPREAD]
    if not stats:
        return []
    flagged = [s["training_class_id"] for s in stats]
    by_class = defaultdict(list)
    classes = {}
    for claim in (
        _claims_of(base)
        .filter(
            Q(enrolment__training_class_id__in=flagged)
            | Q(certificate__enrolment__training_class_id__in=flagged)
        )
        .select_related(
            "enrolment__training_class__course",
            "certificate__enrolment__training_class__course",
        )
    ):
        enrolment = claim.enrolment or claim.certificate.enrolment
        by_class[enrolment.training_class_id].append(claim)
        classes[enrolment.training_class_id] = enrolment.training_class
    rows = []
    for stat in stats:
        class_id = stat["training_class_id"]
        if class_id not in classes:
            continue
        training_class = classes[class_id]
        claims = by_class[class_id]
        low, high = _hours(stat["low"]), _hours(stat["high"])
        hours = f"均为 {low} 课时" if low == high else f"都在 {low}–{high} 课时之间"
        rows.append(
            Anomaly(
                f"培训班 {training_class.code}（{training_class.course.title}）"
                f"{stat['people']} 名学员的出勤课时{hours}，"
                f"该班有申领 {len(claims)} 笔。",
                _refs(claims),
                {
                    "培训班": training_class.code,
                    "培训项目": training_class.course.title,
                    "报名人数": stat["people"],
                    "最少课时": stat["low"],
                    "最多课时": stat["high"],
                },
            )
        )
    return rows


@dataclass(frozen=True)
class AnomalyList:
    slug: str
    title: str
    rule: str  # what the list looks for, as the page explains it
    find: object  # fn(user) -> list[Anomaly]


LISTS = (
    AnomalyList(
        "multi-institution",
        "同一学员同一年度被多家机构申领",
        "同一学员在同一计次年度的有效申领来自两家及以上培训机构。",
        multi_institution,
    ),
    AnomalyList(
        "shared-phone",
        "多名学员共用一个手机号",
        f"有效申领的学员中，{SHARED_MIN_PEOPLE} 名及以上登记了同一手机号。",
        shared_phone,
    ),
    AnomalyList(
        "shared-account",
        "多名学员共用一个收款账号",
        f"补贴给个人的有效申领中，{SHARED_MIN_PEOPLE} 名及以上学员使用同一收款账号"
        "（补贴给机构账户的不计）。账号只显示后四位。",
        shared_account,
    ),
    AnomalyList(
        "uniform-attendance",
        "出勤课时异常一致的培训班",
        f"有申领的培训班，在班学员 {UNIFORM_MIN_ENROLMENTS} 人及以上，"
        f"最多与最少出勤课时相差不超过 {UNIFORM_MAX_SPREAD} 课时。",
        uniform_attendance,
    ),
)
LISTS_BY_SLUG = {item.slug: item for item in LISTS}


def amount_total(rows: list[Anomaly]) -> Decimal:
    return sum((row.amount for row in rows), Decimal("0.00"))
