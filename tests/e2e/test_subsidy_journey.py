"""A subsidy from filing to the trainee's record, through the screens, in a real headless
Chromium: the institution files for its finished class, the bureau takes the claims up
and approves them, publishes a notice round (the public /notice/ page shows the people
masked), the notice period ends (the platform's scheduled step), one bureau user makes
a disbursement batch and another of the region approves it, the bank's returned file is
uploaded and reconciled, and the trainee's /me/record/ shows the subsidy paid.

Journey 4 of issue 14 #4 (bureau → approve claim → batch); the public pages on the way
(/notice/, the trainee's sign-in and /me/record/) pass axe-core's WCAG 2.1 AA rules."""

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.urls import reverse
from openpyxl import Workbook
from playwright.sync_api import expect

from certificates import services as certificate_services
from courses.models import ClassStatus
from subsidies import notice
from subsidies.models import (
    Claim,
    ClaimStatus,
    NoticeRound,
    PayeeKind,
    Payment,
    SubsidyKind,
)
from tests.e2e.conftest import DESKTOP, assert_accessible, screenshot, sign_in
from tests.factories import (
    PASSWORD,
    StandardFactory,
    TraineeFactory,
    TrainingClassFactory,
    UserFactory,
    make_id_number,
    passed_enrolment,
    staff_user,
)
from training_platform.reference.models import CertificateKind
from training_platform.roles import Role

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

INSTITUTION_ACCOUNT = "110060123456789012"
NAME = "张伟"  # masked on the public notice as 张*
OTHERS = ["李娜", "王芳"]


def build_world():
    """A finished class of three people who passed and hold training certificates, a
    standard that pays the institution for them, and the staff of both sides."""
    StandardFactory(
        name="职业培训补贴（培训合格证书）",
        kind=SubsidyKind.TRAINING,
        payee=PayeeKind.INSTITUTION,
        certificate_kind=CertificateKind.TRAINING,
        level="",  # a training certificate has no skill level
        amount=Decimal("800.00"),
    )
    training_class = TrainingClassFactory(
        status=ClassStatus.FINISHED,
        start_date=dt.date(2026, 10, 8),
        end_date=dt.date(2026, 10, 28),
    )
    institution = training_class.course.institution
    inst = staff_user(Role.INSTITUTION, institution=institution, username="inst_e2e")
    for username in ("bureau_maker", "bureau_checker"):  # two of the same region
        staff_user(Role.BUREAU, region_code="520100", username=username)
    id_number = make_id_number("520102")
    trainee = TraineeFactory(
        name=NAME,
        id_number=id_number,
        user=UserFactory(username="zhangwei2026"),
    )
    people = [trainee] + [TraineeFactory(name=name) for name in OTHERS]
    for person in people:
        enrolment = passed_enrolment(training_class=training_class, trainee=person)
        certificate_services.certificate_issue_for_enrolment(
            actor=inst, enrolment=enrolment
        )
    return training_class, trainee, id_number


def staff_page(browser, live_server, username):
    context = browser.new_context(locale="zh-CN", viewport=DESKTOP)
    page = context.new_page()
    page.set_default_timeout(20_000)
    sign_in(page, live_server.url, username, PASSWORD)
    assert "/login/" not in page.url, f"{username} could not sign in"
    return page


def confirm(page, label: str):
    """Click the confirmation page's button (its label says what it does)."""
    page.get_by_role("button", name=label).click()
    page.wait_for_load_state()


def return_file(rows) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(
        ["支付参考号", "金额", "处理结果", "银行流水号", "失败原因", "处理日期"]
    )
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_a_subsidy_from_filing_to_the_trainees_record(live_server, browser, reference):
    training_class, trainee, id_number = build_world()
    base = live_server.url

    # 1. The institution: class page → 申领培训补贴 → preview → confirm → filed.
    inst = staff_page(browser, live_server, "inst_e2e")
    inst.goto(base + reverse("trainingclass:inspect", args=[training_class.pk]))
    inst.get_by_role("link", name="申领培训补贴").first.click()
    expect(inst.locator("#filing-plan tbody tr")).to_have_count(3)
    inst.get_by_label("机构基本账户账号").fill(INSTITUTION_ACCOUNT)
    expect(inst.locator("#filing-totals")).to_contain_text("申领 3 人")
    screenshot(inst, "subsidy-1-filing-preview")
    inst.locator("#filing-confirm").click()
    expect(inst.locator(".confirm-question")).to_contain_text("3 人")
    screenshot(inst, "subsidy-2-filing-confirm")
    confirm(inst, "确认申领 3 人 · 合计 2,400.00 元")
    expect(inst.get_by_text("已为 3 人提交补贴申领")).to_be_visible()
    screenshot(inst, "subsidy-3-filed")
    claims = list(Claim.objects.order_by("pk"))
    assert len(claims) == 3
    assert {c.status for c in claims} == {ClaimStatus.SUBMITTED}
    # Filed on the people's training certificates, every pre-check passed.
    assert all(c.certificate_id and not c.checks_failed for c in claims)
    inst.context.close()

    # 2. The bureau takes each claim up and approves it on its review page.
    maker = staff_page(browser, live_server, "bureau_maker")
    maker.goto(base + reverse("subsidies_review_queue"))
    expect(maker.locator("#review-count")).to_contain_text("共 3 条")
    screenshot(maker, "subsidy-4-review-queue")
    for claim in claims:
        maker.goto(base + reverse("subsidies_claim_review", args=[claim.pk]))
        maker.locator("form.claim-step[data-to=under_review] button").click()
        confirm(maker, "确认受理")
        expect(maker.locator("#claim-status")).to_have_text("审核中")
        step = maker.locator("form.claim-step[data-to=approved]")
        expect(step.locator("textarea")).to_have_count(0)  # no override needed
        step.locator("button").click()
        confirm(maker, "确认审核通过")
        expect(maker.locator("#claim-status")).to_have_text("审核通过")
    screenshot(maker, "subsidy-5-approved")

    # 3. The bureau publishes a notice round.
    maker.goto(base + reverse("subsidies_notice_publish"))
    maker.get_by_role("button", name="下一步：确认").click()
    expect(maker.locator(".confirm-question")).to_contain_text("3 条申领")
    confirm(maker, "确认发布")
    expect(maker.get_by_text("共 3 条申领")).to_be_visible()
    screenshot(maker, "subsidy-6-notice-published")
    assert set(Claim.objects.values_list("status", flat=True)) == {
        ClaimStatus.IN_NOTICE
    }

    # 4. Anyone sees them on /notice/, masked.
    visitor = browser.new_context(locale="zh-CN", viewport=DESKTOP).new_page()
    visitor.goto(base + "/notice/")
    cards = visitor.locator(".notice-claims .record-card")
    expect(cards).to_have_count(3)
    expect(cards.get_by_role("heading", name="张*", exact=True)).to_have_count(1)
    content = visitor.content()
    assert NAME not in content and id_number not in content
    assert id_number[:2] + "*" * 14 + id_number[-2:] in content
    for name in OTHERS:
        assert name not in content
    screenshot(visitor, "subsidy-7-public-notice")
    assert_accessible(visitor)
    visitor.context.close()

    # 5. The notice period is over: the platform's scheduled step moves them on.
    notice_round = NoticeRound.objects.get()
    moved = notice.notice_rounds_close(
        today=notice_round.ends_on + dt.timedelta(days=1)
    )
    assert moved["noticed"] == 3

    # 6. One bureau user makes a batch ...
    maker.goto(base + reverse("subsidies_batch_new"))
    expect(maker.locator("#queue-totals")).to_contain_text("待拨付 3 笔")
    maker.locator("#batch-create").click()
    confirm(maker, "确认编入 3 笔申领")
    expect(maker.get_by_text("请交另一位工作人员复核")).to_be_visible()
    batch_url = maker.url
    # ... and may not approve it themself.
    expect(maker.get_by_role("button", name="复核通过")).to_be_disabled()
    screenshot(maker, "subsidy-8-batch-made")

    # 7. ... another bureau user of the region approves it (maker-checker).
    checker = staff_page(browser, live_server, "bureau_checker")
    checker.goto(batch_url)
    checker.get_by_role("button", name="复核通过").click()
    confirm(checker, "确认复核通过")
    expect(checker.get_by_text("导出银行文件").first).to_be_visible()
    screenshot(checker, "subsidy-9-batch-approved")
    checker.context.close()

    # 8. The bank's returned file, uploaded through the screen, previewed, reconciled.
    payments = list(Payment.objects.order_by("pk"))
    assert len(payments) == 1  # one payee (the institution), one bank line
    paid_on = dt.date.today()
    data = return_file(
        [
            [p.reference, str(p.amount), "成功", f"GZB{n:08d}", "", f"{paid_on}"]
            for n, p in enumerate(payments, start=1)
        ]
    )
    maker.goto(batch_url)
    maker.get_by_role("link", name="上传回盘文件").click()
    maker.locator("input[type=file]").set_input_files(
        {
            "name": "回盘.xlsx",
            "mimeType": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "buffer": data,
        }
    )
    maker.locator("#return-upload").click()
    maker.wait_for_load_state()
    expect(maker.locator("#return-confirm")).to_be_visible()
    screenshot(maker, "subsidy-10-return-preview")
    maker.locator("#return-confirm").click()
    maker.wait_for_load_state()
    if maker.locator(".confirm-question").count():
        maker.locator("form button[type=submit]").first.click()
        maker.wait_for_load_state()
    screenshot(maker, "subsidy-11-reconciled")
    assert set(Claim.objects.values_list("status", flat=True)) == {ClaimStatus.PAID}
    maker.context.close()

    # 9. The trainee signs in: the record shows the subsidy paid.
    me = browser.new_context(locale="zh-CN", viewport=DESKTOP).new_page()
    me.goto(base + "/accounts/login/")
    assert_accessible(me)
    me.fill("#id_username", "zhangwei2026")
    me.fill("#id_password", PASSWORD)
    me.locator("main button[type=submit]").click()
    me.wait_for_load_state()
    assert "/login/" not in me.url
    me.goto(base + "/me/record/")
    expect(me.locator("main")).to_contain_text("已拨付")
    expect(me.locator("main")).to_contain_text("800.00 元")
    screenshot(me, "subsidy-12-record-paid")
    assert_accessible(me)
    me.context.close()
