"""The 拨付批次 screens: who sees what, the next steps, confirm pages, the bank return."""

import io
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from subsidies import batches
from subsidies.models import (
    BankReturnUpload,
    BatchStatus,
    Claim,
    ClaimStatus,
    DisbursementBatch,
    PaymentStatus,
    Reversal,
)
from tests.factories import InstitutionFactory, region, staff_user
from tests.subsidies.test_batches import make_batch, noticed, return_file
from training_platform.audit.models import AuditEvent
from training_platform.imports.models import ImportStatus
from training_platform.roles import Role

pytestmark = pytest.mark.django_db


@pytest.fixture
def maker():
    return staff_user(Role.BUREAU, region_code="520100")


@pytest.fixture
def checker():
    return staff_user(Role.BUREAU, region_code="520100")


def as_user(client, user):
    client.force_login(user)
    return client


def text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def test_the_list_shows_the_regions_batches_with_a_count(client, maker):
    mine = make_batch(maker, noticed(2))
    other_maker = staff_user(Role.BUREAU, region_code="520300")
    theirs = batches.batch_create(
        claims=noticed(1, region=region("520302")),
        region=region("520300"),
        actor=other_maker,
    )
    page = text(as_user(client, maker).get(reverse("subsidies_batches")))
    assert "共 1 条" in page and mine.code in page and theirs.code not in page
    assert "待复核" in page and "2 笔" in page
    auditor = staff_user(Role.AUDITOR, region_code="520100")
    page = text(as_user(client, auditor).get(reverse("subsidies_batches")))
    assert mine.code in page and "新建拨付批次" not in page
    institution_staff = staff_user(Role.INSTITUTION, institution=InstitutionFactory())
    response = as_user(client, institution_staff).get(reverse("subsidies_batches"))
    assert response.status_code == 403


def test_the_list_query_count_does_not_grow(client, maker):
    make_batch(maker, noticed(1))
    client = as_user(client, maker)
    client.get(reverse("subsidies_batches"))
    with CaptureQueriesContext(connection) as one:
        client.get(reverse("subsidies_batches"))
    for _ in range(3):
        make_batch(maker, noticed(2))
    with CaptureQueriesContext(connection) as many:
        response = client.get(reverse("subsidies_batches"))
    assert "共 4 条" in text(response)
    assert len(many) == len(one)


def test_a_batch_is_made_from_the_queue_after_a_confirm_page(client, maker):
    claims = noticed(2)
    client = as_user(client, maker)
    page = text(client.get(reverse("subsidies_batch_new")))
    assert "待拨付 2 笔，合计 3,000.00 元" in page
    form = {"region": "520100", "claim": [c.pk for c in claims]}
    asked = text(client.post(reverse("subsidies_batch_new"), form))
    assert "确认编入 2 笔申领" in asked
    assert not DisbursementBatch.objects.exists()
    response = client.post(reverse("subsidies_batch_new"), {**form, "confirmed": "1"})
    batch = DisbursementBatch.objects.get()
    assert response.url == reverse("subsidies_batch", args=[batch.pk])
    assert batch.declared_count == 2 and batch.created_by == maker
    assert client.get(reverse("subsidies_batch_new")).status_code == 200


def test_the_maker_sees_approval_disabled_and_another_user_approves(
    client, maker, checker
):
    batch = make_batch(maker, noticed(1))
    url = reverse("subsidies_batch", args=[batch.pk])
    page = text(as_user(client, maker).get(url))
    step = re.search(r'<li id="step-approve">(.*?)</li>', page).group(1)
    assert "disabled" in step and batches.MAKER_MAY_NOT_APPROVE in step
    # Posting anyway changes nothing.
    client.post(reverse("subsidies_batch_approve", args=[batch.pk]), {"confirmed": "1"})
    assert DisbursementBatch.objects.get().status == BatchStatus.DRAFT

    client = as_user(client, checker)
    step = re.search(r'<li id="step-approve">(.*?)</li>', text(client.get(url))).group(
        1
    )
    assert "disabled" not in step
    asked = client.post(reverse("subsidies_batch_approve", args=[batch.pk]))
    assert "确认复核通过" in text(asked)
    client.post(reverse("subsidies_batch_approve", args=[batch.pk]), {"confirmed": "1"})
    assert DisbursementBatch.objects.get().status == BatchStatus.APPROVED
    page = text(client.get(url))
    assert "导出银行文件" in page and "上传回盘文件" in page


def test_another_regions_batch_is_not_found(client, maker):
    batch = make_batch(maker, noticed(1))
    stranger = staff_user(Role.BUREAU, region_code="520300")
    client = as_user(client, stranger)
    assert client.get(reverse("subsidies_batch", args=[batch.pk])).status_code == 404
    assert (
        client.post(
            reverse("subsidies_batch_cancel", args=[batch.pk]),
            {"reason": "x", "confirmed": "1"},
        ).status_code
        == 404
    )


def test_an_auditor_reads_but_takes_no_step(client, maker):
    batch = make_batch(maker, noticed(1))
    auditor = staff_user(Role.AUDITOR, region_code="520100")
    client = as_user(client, auditor)
    page = text(client.get(reverse("subsidies_batch", args=[batch.pk])))
    assert batch.code in page and "作废批次" not in page
    client.post(
        reverse("subsidies_batch_cancel", args=[batch.pk]),
        {"reason": "审计", "confirmed": "1"},
    )
    assert DisbursementBatch.objects.get().status == BatchStatus.DRAFT
    assert (
        client.get(reverse("subsidies_return_upload", args=[batch.pk])).status_code
        == 403
    )


def test_removing_a_claim_asks_for_a_reason_first(client, maker):
    claims = noticed(2)
    batch = make_batch(maker, claims)
    client = as_user(client, maker)
    url = reverse("subsidies_batch_remove_claim", args=[batch.pk, claims[0].pk])
    client.post(url, {"reason": "", "confirmed": "1"})
    assert Claim.objects.get(pk=claims[0].pk).status == ClaimStatus.IN_BATCH
    assert "确认移出" in text(client.post(url, {"reason": "账号有误"}))
    client.post(url, {"reason": "账号有误", "confirmed": "1"})
    assert Claim.objects.get(pk=claims[0].pk).status == ClaimStatus.NOTICED
    assert DisbursementBatch.objects.get().declared_count == 1


def test_the_bank_file_download_masks_for_the_auditor(client, maker, checker):
    batch = batches.batch_approve(batch=make_batch(maker, noticed(1)), actor=checker)
    url = reverse("subsidies_batch_bank_file", args=[batch.pk])
    response = as_user(client, checker).get(url)
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    rows = list(load_workbook(io.BytesIO(response.content)).active.values)
    assert rows[7][4] == "6222020200112233445"
    auditor = staff_user(Role.AUDITOR, region_code="520100")
    rows = list(
        load_workbook(
            io.BytesIO(as_user(client, auditor).get(url).content)
        ).active.values
    )
    assert rows[7][4].endswith("3445") and rows[7][4].startswith("****")
    assert (
        AuditEvent.objects.filter(action="subsidies.batch.reveal_account").count() == 1
    )


def _upload(client, batch, rows):
    response = client.post(
        reverse("subsidies_return_upload", args=[batch.pk]),
        {"file": return_file(rows)},
    )
    upload = BankReturnUpload.objects.latest("pk")
    assert response.url == reverse("subsidies_return_preview", args=[upload.pk])
    return upload


def test_the_bank_return_preview_says_what_happens_and_confirm_applies(
    client, maker, checker
):
    batch = batches.batch_approve(batch=make_batch(maker, noticed(3)), actor=checker)
    a, b, c = batch.payments.order_by("pk")
    client = as_user(client, maker)
    upload = _upload(
        client,
        batch,
        [
            [a.reference, str(a.amount), "成功", "B1", "", "2026-12-02"],
            [b.reference, str(b.amount), "失败", "", "账户冻结", "2026-12-02"],
        ],
    )
    page = text(client.get(reverse("subsidies_return_preview", args=[upload.pk])))
    assert "确认对账 2 行" in page
    assert "1,500.00 元到账" in page and "拨付失败（账户冻结）" in page
    assert a.payee_name not in page  # masked
    missing = re.search(
        r'<table class="listing" id="return-missing">(.*?)</table>', page
    )
    assert c.reference in missing.group(1) and a.reference not in missing.group(1)
    assert Claim.objects.filter(status=ClaimStatus.PAID).count() == 0
    client.post(reverse("subsidies_return_confirm", args=[upload.pk]))
    upload.refresh_from_db()
    assert upload.status == ImportStatus.DONE
    assert Claim.objects.filter(status=ClaimStatus.PAID).count() == 1
    assert Claim.objects.filter(status=ClaimStatus.PAYMENT_FAILED).count() == 1
    c.refresh_from_db()
    assert c.status == PaymentStatus.EXCEPTION
    assert DisbursementBatch.objects.get().status == BatchStatus.APPROVED
    batches.payment_resolve(payment=c, paid=True, bank_reference="B3", actor=checker)
    assert DisbursementBatch.objects.get().status == BatchStatus.RECONCILED
    # Confirming again changes nothing.
    client.post(reverse("subsidies_return_confirm", args=[upload.pk]))
    # One event per paid claim: the file's and the hand-resolved one.
    assert AuditEvent.objects.filter(action="subsidies.claim.paid").count() == 2


def test_a_refused_return_shows_its_errors_and_cannot_be_confirmed(
    client, maker, checker
):
    batch = batches.batch_approve(batch=make_batch(maker, noticed(1)), actor=checker)
    (a,) = batch.payments.all()
    client = as_user(client, maker)
    upload = _upload(
        client,
        batch,
        [
            [a.reference, str(a.amount), "成功", "B1", "", ""],
            [a.reference, str(a.amount), "成功", "B1", "", ""],
        ],
    )
    page = text(client.get(reverse("subsidies_return_preview", args=[upload.pk])))
    assert "重复" in page and "确认对账" not in page
    client.post(reverse("subsidies_return_confirm", args=[upload.pk]))
    assert Claim.objects.get().status == ClaimStatus.IN_BATCH


def test_an_exception_is_resolved_and_a_reversal_recorded_on_their_screens(
    client, maker, checker
):
    batch = batches.batch_approve(batch=make_batch(maker, noticed(1)), actor=checker)
    (line,) = batch.payments.all()
    line.status = PaymentStatus.EXCEPTION
    line.save()
    client = as_user(client, checker)
    url = reverse("subsidies_payment_resolve", args=[line.pk])
    assert "处理异常明细" in text(client.get(url))
    page = text(client.post(url, {"outcome": "paid", "bank_reference": ""}))
    assert "已到账须填写银行流水号" in page
    assert "确认处理" in text(
        client.post(url, {"outcome": "paid", "bank_reference": "B9"})
    )
    client.post(url, {"outcome": "paid", "bank_reference": "B9", "confirmed": "1"})
    assert Claim.objects.get().status == ClaimStatus.PAID

    url = reverse("subsidies_payment_reverse", args=[line.pk])
    form = {
        "amount": "200",
        "reason": "账户异常",
        "bank_reference": "R1",
        "on": "2026-12-05",
    }
    assert "确认登记冲正" in text(client.post(url, form))
    client.post(url, {**form, "confirmed": "1"})
    assert Reversal.objects.get().amount == 200
    page = text(client.post(url, {**form, "amount": "99999", "confirmed": "1"}))
    assert "不超过" in page
    assert Claim.objects.get().status == ClaimStatus.PAID


def test_the_batch_page_query_count_does_not_grow_with_lines(client, maker):
    small = make_batch(maker, noticed(1))
    large = make_batch(maker, noticed(4))
    client = as_user(client, maker)
    client.get(reverse("subsidies_batch", args=[small.pk]))
    with CaptureQueriesContext(connection) as one:
        client.get(reverse("subsidies_batch", args=[small.pk]))
    with CaptureQueriesContext(connection) as many:
        page = text(client.get(reverse("subsidies_batch", args=[large.pk])))
    assert "银行明细（共 4 条）" in page
    assert len(many) == len(one)


def test_the_batch_page_masks_people_but_names_institutions(client, maker):
    from subsidies.models import AccountKind, PayeeKind

    person = noticed(1, payee_name="张伟")[0]
    school = noticed(
        1,
        payee_kind=PayeeKind.INSTITUTION,
        payee_name="贵阳黔匠职业技能培训学校",
        account_kind=AccountKind.INSTITUTION,
        payee_account="520101000100012345",
    )[0]
    batch = make_batch(maker, [person, school])
    page = text(as_user(client, maker).get(reverse("subsidies_batch", args=[batch.pk])))
    assert "贵阳黔匠职业技能培训学校" in page
    assert "张*" in page and "张伟" not in page
