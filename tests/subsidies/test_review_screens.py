"""The review screens: the queue and its filters, the xlsx export, the claim page (facts,
checks, override, history, next steps), the steps through the confirmation page, bulk
approval, the home panels, and constant query counts."""

import datetime as dt
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from subsidies import review
from subsidies.models import ApprovalList, Claim, ClaimStatus, SubsidyKind
from tests.factories import InstitutionFactory, UserFactory, region, staff_user
from tests.subsidies.review_support import (
    revoke,
    waiting_claim,
)
from training_platform.audit.models import AuditEvent
from training_platform.audit.services import audit_record
from training_platform.roles import Role

pytestmark = pytest.mark.django_db
S = ClaimStatus
QUEUE = "/admin/subsidies/review/"


def page_url(claim):
    return reverse("subsidies_claim_review", args=[claim.pk])


def step_url(claim, to):
    return reverse("subsidies_claim_step", args=[claim.pk, to])


@pytest.fixture
def bureau(client):
    user = staff_user(
        Role.BUREAU, region_code="520100", first_name="芳", last_name="刘"
    )
    client.force_login(user)
    return user


def ids(response):
    return {row["claim"].pk for row in response.context["rows"]}


def test_the_queue_shows_the_region_waiting_claims_with_the_count(client, bureau):
    mine = waiting_claim()
    elsewhere = waiting_claim(region=region("520302"))
    decided = waiting_claim(S.REJECTED)
    response = client.get(QUEUE)
    assert response.status_code == 200
    assert ids(response) == {mine.pk}
    page = response.content.decode()
    assert "共 1 条" in page
    assert mine.trainee.name not in page  # masked
    assert elsewhere.pk not in ids(client.get(QUEUE + "?status="))
    assert decided.pk in ids(client.get(QUEUE + "?status="))


def test_queue_filters(client, bureau):
    school = InstitutionFactory()
    plain = waiting_claim(days_ago=1)
    failing = waiting_claim(payee_account="", institution=school, days_ago=1)
    late = waiting_claim(S.SUBMITTED, days_ago=30)
    other_kind = waiting_claim(region=region("520103"), kind=SubsidyKind.EVALUATION)
    assert ids(client.get(QUEUE + "?failed=any")) == {failing.pk}
    assert ids(client.get(QUEUE + "?failed=payee_account")) == {failing.pk}
    assert ids(client.get(QUEUE + "?failed=certificate_valid")) == set()
    assert failing.pk not in ids(client.get(QUEUE + "?failed=none"))
    assert ids(client.get(QUEUE + f"?institution={school.pk}")) == {failing.pk}
    assert ids(client.get(QUEUE + "?overdue=1")) == {late.pk}
    assert late.pk not in ids(client.get(QUEUE + "?overdue=0"))
    assert ids(client.get(QUEUE + "?kind=evaluation")) == {other_kind.pk}
    assert ids(client.get(QUEUE + "?region=520103")) == {other_kind.pk}
    assert ids(client.get(QUEUE + "?status=submitted")) == {late.pk}
    assert plain.pk in ids(client.get(QUEUE + "?status=under_review"))
    # Overdue claims come first.
    assert client.get(QUEUE).context["rows"][0]["claim"].pk == late.pk


def test_the_export_is_the_filtered_list_with_the_account_masked(client, bureau):
    failing = waiting_claim(payee_account="")
    clean = waiting_claim()
    response = client.get(reverse("subsidies_review_export") + "?failed=none")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "申领编号"
    assert [r[0] for r in rows[1:]] == [clean.pk]
    assert failing.pk not in [r[0] for r in rows[1:]]
    text = " ".join(str(v) for r in rows for v in r)
    assert "6222020200112233445" not in text and "3445" in text
    assert clean.trainee.name not in text


def test_queue_query_count_does_not_grow(client, bureau):
    waiting_claim()
    client.get(QUEUE)
    with CaptureQueriesContext(connection) as one:
        assert client.get(QUEUE).status_code == 200
    for _ in range(29):
        waiting_claim(payee_account="")
    with CaptureQueriesContext(connection) as many:
        response = client.get(QUEUE)
    assert len(response.context["rows"]) == 30
    assert len(many.captured_queries) == len(one.captured_queries)


def test_the_claim_page_shows_facts_failed_checks_first_and_the_history(client, bureau):
    claim = waiting_claim(payee_account="")
    page = client.get(page_url(claim)).content.decode()
    assert claim.trainee.name not in page
    assert claim.certificate.number in page
    assert "1,500.00 元" in page
    assert page.index("未通过") < page.index("证书有效")
    review.claim_reject(claim=claim, actor=bureau, reason="账户无法核实")
    page = client.get(page_url(claim)).content.decode()
    assert "刘芳" in page and "审核中 → 不予通过" in page and "账户无法核实" in page


def test_the_auditor_sees_the_override_and_may_take_no_step(client):
    claim = waiting_claim(payee_account="")
    checker = staff_user(Role.BUREAU, region_code="520100")
    review.claim_approve(claim=claim, actor=checker, override_reason="已线下核实账户")
    auditor = staff_user(Role.AUDITOR, region_code="520000")
    client.force_login(auditor)
    response = client.get(page_url(claim))
    page = response.content.decode()
    assert 'id="claim-override"' in page and "已线下核实账户" in page
    assert 'id="claim-override-audit"' in page
    assert response.context["steps"] == []
    other = waiting_claim()
    response = client.post(step_url(other, S.APPROVED), {"confirmed": "1"})
    other.refresh_from_db()
    assert other.status == S.UNDER_REVIEW


def test_the_institution_cannot_open_another_institution_claim(client):
    claim = waiting_claim(institution=InstitutionFactory())
    client.force_login(staff_user(Role.INSTITUTION, institution=InstitutionFactory()))
    assert client.get(page_url(claim)).status_code == 404
    assert client.post(step_url(claim, S.RETURNED), {"reason": "x"}).status_code == 404


def test_a_step_asks_first_and_a_required_reason_is_checked_before(client, bureau):
    claim = waiting_claim()
    steps = {s["to"] for s in client.get(page_url(claim)).context["steps"]}
    assert steps == {S.APPROVED, S.REJECTED, S.RETURNED}
    response = client.post(step_url(claim, S.RETURNED), {"reason": ""}, follow=True)
    assert "须填写原因" in response.content.decode()
    response = client.post(step_url(claim, S.RETURNED), {"reason": "请补正"})
    assert "确认退回补正" in response.content.decode()
    claim.refresh_from_db()
    assert claim.status == S.UNDER_REVIEW
    waiting = waiting_claim()
    response = client.post(
        step_url(claim, S.RETURNED), {"reason": "请补正", "confirmed": "1"}
    )
    claim.refresh_from_db()
    assert claim.status == S.RETURNED
    page = client.get(response.headers["Location"])
    assert page.context["next_claim"] == waiting
    assert "下一条待办" in page.content.decode()


def test_approval_with_a_failed_check_asks_for_the_override_on_the_page(client, bureau):
    claim = waiting_claim(payee_account="")
    response = client.post(step_url(claim, S.APPROVED), {"confirmed": "1"}, follow=True)
    assert "特批理由" in response.content.decode()
    claim.refresh_from_db()
    assert claim.status == S.UNDER_REVIEW
    client.post(step_url(claim, S.APPROVED), {"confirmed": "1", "reason": "已核实"})
    claim.refresh_from_db()
    assert (claim.status, claim.override_reason) == (S.APPROVED, "已核实")


def test_claim_page_query_count_does_not_grow_with_history(client, bureau):
    claim = waiting_claim()
    client.get(page_url(claim))
    with CaptureQueriesContext(connection) as one:
        client.get(page_url(claim))
    for n in range(30):
        audit_record(
            actor=UserFactory(first_name="某", last_name=f"王{n}"),
            action="subsidies.claim.note",
            obj=claim,
            reason=f"备注 {n}",
        )
    with CaptureQueriesContext(connection) as many:
        response = client.get(page_url(claim))
    assert len(response.context["history"]) >= 30
    assert len(many.captured_queries) == len(one.captured_queries)


def test_bulk_approval_through_the_screens_refuses_the_maker(client, bureau):
    claims = [waiting_claim(), waiting_claim()]
    response = client.post(
        reverse("subsidies_approval_prepare"),
        {"claim": [c.pk for c in claims], "confirmed": "1"},
    )
    approval_list = ApprovalList.objects.get()
    assert response.headers["Location"] == reverse(
        "subsidies_approval_list", args=[approval_list.pk]
    )
    response = client.post(
        reverse("subsidies_approval_list", args=[approval_list.pk]),
        {"confirmed": "1"},
        follow=True,
    )
    assert "制单人不能复核" in response.content.decode()
    assert set(Claim.objects.values_list("status", flat=True)) == {S.UNDER_REVIEW}
    revoke(claims[0].certificate)
    client.force_login(staff_user(Role.BUREAU, region_code="520100"))
    response = client.post(
        reverse("subsidies_approval_list", args=[approval_list.pk]),
        {"confirmed": "1"},
        follow=True,
    )
    assert "已审核通过 1 条" in response.content.decode()
    claims[0].refresh_from_db()
    claims[1].refresh_from_db()
    assert (claims[0].status, claims[1].status) == (S.UNDER_REVIEW, S.APPROVED)


def _panel(user, key):
    from django.test import RequestFactory

    from training_platform.home import panels_for

    request = RequestFactory().get("/admin/")
    request.user = user
    return next((p for p in panels_for(request) if p.key == key), None)


def test_home_panels_for_the_bureau_and_the_institution(client, bureau):
    waiting_claim()
    late = waiting_claim(S.SUBMITTED, days_ago=30)
    waiting_claim(region=region("520302"))
    panel = _panel(bureau, "subsidy-claims-review")
    assert panel.count == 2 and panel.overdue == 1
    first = panel.sections[0].rows[0]
    assert first.url == page_url(late) and first.flag == "已超期"
    assert "待审核的补贴申领" in client.get("/admin/").content.decode()
    auditor = staff_user(Role.AUDITOR, region_code="520000")
    assert _panel(auditor, "subsidy-claims-review") is None
    school = InstitutionFactory()
    returned = waiting_claim(institution=school)
    review.claim_return(claim=returned, actor=bureau, reason="缺银行卡照片")
    staff = staff_user(Role.INSTITUTION, institution=school)
    panel = _panel(staff, "subsidy-claims-returned")
    assert panel.count == 1
    assert panel.sections[0].rows[0].url == page_url(returned)
    assert "缺银行卡照片" in panel.sections[0].rows[0].detail
    client.force_login(staff)
    assert "退回补正的补贴申领" in client.get("/admin/").content.decode()


def test_overdue_is_ten_working_days():
    claim = waiting_claim(S.SUBMITTED, days_ago=1)
    assert not Claim.objects.filter(review.overdue_q(), pk=claim.pk).exists()
    Claim.objects.filter(pk=claim.pk).update(
        submitted_at=timezone.now() - dt.timedelta(days=20)
    )
    assert Claim.objects.filter(review.overdue_q(), pk=claim.pk).exists()


def test_the_filing_institution_resubmits_a_returned_claim_from_its_page(client):
    school = InstitutionFactory()
    claim = waiting_claim(S.RETURNED, institution=school)
    client.force_login(staff_user(Role.INSTITUTION, institution=school))
    steps = {s["to"] for s in client.get(page_url(claim)).context["steps"]}
    assert steps == {S.SUBMITTED, S.WITHDRAWN}
    client.post(step_url(claim, S.SUBMITTED), {"confirmed": "1"})
    claim.refresh_from_db()
    assert claim.status == S.SUBMITTED
    # An institution may not take a bureau's step, even on its own claim.
    response = client.post(step_url(claim, S.UNDER_REVIEW), {"confirmed": "1"})
    claim.refresh_from_db()
    assert claim.status == S.SUBMITTED and response.status_code == 302


def test_the_auditor_cannot_prepare_a_bulk_approval(client):
    claim = waiting_claim()
    client.force_login(staff_user(Role.AUDITOR, region_code="520000"))
    client.post(
        reverse("subsidies_approval_prepare"), {"claim": [claim.pk], "confirmed": "1"}
    )
    assert not ApprovalList.objects.exists()
    assert not AuditEvent.objects.filter(
        action__startswith="subsidies.approval"
    ).exists()
