"""Demo subsidies (issue 11): the whole flow, through the real services, once.

贵阳黔匠 (inst_a) files 职业培训补贴 for its finished class GY-2026-003; the demo trainee
files 技能提升补贴 for their own 四级 certificate, and once more for an older certificate
whose 12-month window has passed (the Guiyang bureau approves it with a written
override). The Guiyang bureau (bureau_gy) reviews; claims then sit in every state:
草稿, 已提交, 审核中, 退回补正, 不予通过, 已撤回, 审核通过, 公示中 (one held by a public
objection), 公示期满待拨付, 拨付中 (a batch waiting for its checker), 拨付失败 and
已拨付 (a batch made by bureau_gy, approved by bureau_gz, reconciled from the bank's
returned file). The demo trainee's record shows a paid subsidy.

Runs once: when any claim exists, it does nothing (what users did since stays). A step
the data no longer allows is skipped with a note, like the rest of the demo.
"""

import datetime as dt
import io

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.utils import timezone

from certificates import services as certificate_services
from certificates.models import Certificate
from courses.models import TrainingClass
from demo.skips import SeedNotes
from subsidies import bank_return, batches, notice, review, services
from subsidies.models import AccountKind, Claim, FailureCode, SubsidyKind
from trainees.models import Trainee
from training_platform import xlsx
from training_platform.reference.models import (
    CertificateKind,
    Occupation,
    Region,
    SkillLevel,
)

CLASS_CODE = "GY-2026-003"
INSTITUTION_ACCOUNT = "520101000100012345"  # 贵阳黔匠's basic account (demo)
TRAINEE_ACCOUNT = "6222024020123456789"  # the demo trainee's bank account (demo)
HOUSEKEEPING = "4-10-01-06"  # 家政服务员: the trainee's older certificate
OVERRIDE_REASON = (
    "申请人 2025 年 10 月已在社区服务中心提交纸质申请，因系统迁移未及时录入，"
    "经科室集体研究同意受理。"
)
RETURN_REASON = "请补充上传培训费发票，并核对开户行名称。"
REJECT_REASON = "经核查，该学员同期在外省参加同类培训并已享受补贴。"
OBJECTION = "该学员培训期间在外地务工，未实际参加培训，请核查考勤记录。"


def seed_subsidies(notes: SeedNotes | None = None) -> None:
    notes = notes or SeedNotes()
    if Claim.objects.exists():
        return
    users = get_user_model().objects.in_bulk(
        ["inst_a", "bureau_gy", "bureau_gz", "trainee", "evaluator"],
        field_name="username",
    )
    training_class = TrainingClass.objects.filter(code=CLASS_CODE).first()
    trainee = Trainee.objects.filter(user__username="trainee").first()
    missing = [
        name for name in ("inst_a", "bureau_gy", "bureau_gz") if name not in users
    ]
    if missing or training_class is None:
        notes.skip("补贴申领演示", f"缺少 {', '.join(missing) or CLASS_CODE}")
        return
    with notes.attempt("补贴申领演示"):
        _flow(users, training_class, trainee, notes)


def _flow(users, training_class, trainee, notes: SeedNotes) -> None:
    today = timezone.localdate()
    institution, reviewer, checker = (
        users["inst_a"],
        users["bureau_gy"],
        users["bureau_gz"],
    )
    guiyang = Region.objects.get(code="520100")

    # 1. The institution files for its class: all but one person now, one as a draft.
    plan = services.claim_preview_for_class(
        training_class=training_class,
        actor=institution,
        kind=SubsidyKind.TRAINING,
        account=INSTITUTION_ACCOUNT,
    )
    rows = [row.enrolment for row in plan.rows if row.claim is not None]
    # The demo trainee's claim first, so that it is among the paid ones.
    mine = trainee.pk if trainee is not None else None
    enrolments = [
        e.pk for e in sorted(rows, key=lambda e: (e.trainee_id != mine, e.pk))
    ]
    filed = services.claims_file_for_class(
        training_class=training_class,
        actor=institution,
        account=INSTITUTION_ACCOUNT,
        enrolment_ids=enrolments[:-1],
    ).claims
    services.claims_file_for_class(
        training_class=training_class,
        actor=institution,
        account=INSTITUTION_ACCOUNT,
        enrolment_ids=enrolments[-1:],
        submit=False,
    )
    order = {pk: n for n, pk in enumerate(enrolments)}
    claims = sorted(filed, key=lambda c: order[c.enrolment_id])
    if len(claims) < 14:
        notes.skip("部分补贴演示状态", f"{CLASS_CODE} 只有 {len(claims)} 人可申领")
        return

    paid, failed, in_batch, noticed = claims[0:3], claims[3:5], claims[5:6], claims[6:7]
    in_notice, approved = claims[7:9], claims[9:10]
    under_review = claims[10:11]  # claims[11:] stay 已提交
    returned, rejected, withdrawn = claims[12:13], claims[13:14], claims[14:15]

    # 2. The demo trainee files for their own certificates.
    own = _own_claims(users, trainee, notes)

    # 3. Review.
    reviewed = paid + failed + in_batch + noticed + in_notice + approved
    for claim in reviewed + own + under_review + returned + rejected:
        review.claim_take_up(claim=claim, actor=reviewer)
    for claim in reviewed + own[:1]:
        review.claim_approve(claim=claim, actor=reviewer)
    for claim in own[1:]:
        review.claim_approve(
            claim=claim, actor=reviewer, override_reason=OVERRIDE_REASON
        )
    for claim in returned:
        review.claim_return(claim=claim, actor=reviewer, reason=RETURN_REASON)
    for claim in rejected:
        review.claim_reject(claim=claim, actor=reviewer, reason=REJECT_REASON)
    for claim in withdrawn:
        services.claim_withdraw(
            claim=claim, actor=institution, reason="学员已在户籍地申领，机构撤回。"
        )

    # 4. Public notice: an earlier round, over by now; today's round with an objection.
    notice.notice_round_publish(
        claims=paid + failed + in_batch + noticed + own[:1],
        region=guiyang,
        actor=reviewer,
        on=today - dt.timedelta(days=30),
    )
    notice.notice_rounds_close(today=today)
    notice.notice_round_publish(claims=in_notice, region=guiyang, actor=reviewer)
    notice.objection_file(
        claim=in_notice[-1], text=OBJECTION, contact_name="李先生", contact_phone=""
    )

    # 5. Disbursement: a paid batch, a failed one, one waiting for its checker.
    first = _refresh(paid + own[:1])
    batch = batches.batch_create(claims=first, region=guiyang, actor=reviewer)
    batches.batch_approve(batch=batch, actor=checker)
    _bank_return(batch, reviewer, result="成功", today=today)
    batch = batches.batch_create(
        claims=_refresh(failed), region=guiyang, actor=reviewer
    )
    batches.batch_approve(batch=batch, actor=checker)
    _bank_return(batch, reviewer, result="失败", today=today)
    batches.batch_create(claims=_refresh(in_batch), region=guiyang, actor=reviewer)


def _refresh(claims: list[Claim]) -> list[Claim]:
    return list(Claim.objects.filter(pk__in=[c.pk for c in claims]).order_by("pk"))


def _own_claims(users, trainee, notes: SeedNotes) -> list[Claim]:
    """The demo trainee's 技能提升补贴: their 四级 certificate (within the window), and
    an older 家政服务员 certificate past its 12 months (approved with an override)."""
    if trainee is None or "trainee" not in users:
        notes.skip("学员本人申领演示", "没有 trainee 账号的学员档案")
        return []
    current = (
        Certificate.objects.filter(
            trainee=trainee, kind=CertificateKind.SKILL_LEVEL, level=SkillLevel.LEVEL_4
        )
        .order_by("-issued_on")
        .first()
    )
    older = _older_certificate(users, trainee)
    own = []
    for certificate in (current, older):
        if certificate is None:
            continue
        own.append(
            services.claim_file_self(
                trainee=trainee,
                certificate=certificate,
                account_kind=AccountKind.BANK,
                account=TRAINEE_ACCOUNT,
                actor=users["trainee"],
            )
        )
    return own


def _older_certificate(users, trainee) -> Certificate | None:
    occupation = Occupation.objects.filter(code=HOUSEKEEPING).first()
    if occupation is None or "evaluator" not in users:
        return None
    found = Certificate.objects.filter(trainee=trainee, occupation=occupation).first()
    if found is not None:
        return found
    return certificate_services.certificate_issue_by_evaluation(
        actor=users["evaluator"],
        trainee=trainee,
        occupation=occupation,
        level=SkillLevel.LEVEL_5,
        reason="理论与操作技能考核均合格（评价计划 GZ-PJ-2025-041）。",
        issued_on=timezone.localdate() - dt.timedelta(days=420),
    )


def _bank_return(batch, actor, *, result: str, today: dt.date) -> None:
    """The bank's returned file for ``batch``: every line ``result`` (成功/失败)."""
    rows = [
        [
            payment.reference,
            str(payment.amount),
            result,
            f"GZB{today:%Y%m%d}{n:04d}" if result == "成功" else "",
            "" if result == "成功" else FailureCode.ACCOUNT_FROZEN.label,
            f"{today:%Y-%m-%d}",
        ]
        for n, payment in enumerate(batch.payments.order_by("pk"), start=1)
    ]
    data = xlsx.write_xlsx(
        [column.header for column in bank_return.COLUMNS], rows, sheet_title="回盘"
    )
    upload = io.BytesIO(data)
    upload.name = f"{batch.code}-回盘.xlsx"
    summary = bank_return.BANK_RETURN.run(
        target=batch, rows=bank_return.BANK_RETURN.read(upload), actor=actor
    )
    if summary.get("errors"):
        raise ValidationError(f"回盘文件未通过：{summary['errors'][:3]}")
