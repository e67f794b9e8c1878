"""公示 screens: the public /notice/ page (masked, paginated, constant queries), the
objection form (rate-limited, translated errors), the bureau's rounds, answer and publish
pages, its home panel, and the holidays screen."""

import datetime as dt

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from subsidies import notice
from subsidies.models import ClaimStatus, NoticeRound, Objection, ObjectionStatus
from tests.factories import (
    ClaimFactory,
    InstitutionFactory,
    TraineeFactory,
    make_id_number,
    region,
    staff_user,
)
from training_platform.reference.models import Holiday
from training_platform.roles import Role

pytestmark = pytest.mark.django_db

FULL_NAME = "张三丰"
ID_NUMBER = make_id_number(birth=dt.date(1990, 1, 1), seq=123)


@pytest.fixture
def bureau():
    return staff_user(Role.BUREAU, region_code="520100")


@pytest.fixture(autouse=True)
def no_rate_limit(settings):
    settings.NOTICE_OBJECTION_RATE = "0"


def in_notice(bureau, n=1, *, trainee=None, publish_on=None):
    kw = {"certificate__trainee": trainee} if trainee else {}
    claims = [
        ClaimFactory(
            status=ClaimStatus.APPROVED,
            region=region("520102"),
            institution=InstitutionFactory(),
            **kw,
        )
        for _ in range(n)
    ]
    notice_round = notice.notice_round_publish(
        claims=claims,
        region=region("520100"),
        actor=bureau,
        on=publish_on or timezone.localdate(),
    )
    return notice_round, claims


def test_notice_masks_names_and_id_numbers(client, bureau):
    trainee = TraineeFactory(name=FULL_NAME, id_number=ID_NUMBER)
    notice_round, (claim,) = in_notice(bureau, trainee=trainee)
    body = client.get("/notice/").content.decode()
    assert FULL_NAME not in body and ID_NUMBER not in body
    assert "张**" in body and f"52**************{ID_NUMBER[-2:]}" in body
    assert claim.institution.name in body and "1,500.00" in body
    assert "5 个工作日" in body and notice_round.title in body
    assert f"/notice/claims/{claim.pk}/objection/" in body
    objection_page = client.get(f"/notice/claims/{claim.pk}/objection/")
    page = objection_page.content.decode()
    assert FULL_NAME not in page and ID_NUMBER not in page and "张**" in page


def test_notice_filters_by_region_and_round(client, bureau):
    first, _ = in_notice(bureau)
    other_bureau = staff_user(Role.BUREAU, region_code="520300")
    claim = ClaimFactory(status=ClaimStatus.APPROVED, region=region("520302"))
    second = notice.notice_round_publish(
        claims=[claim], region=region("520300"), actor=other_bureau
    )

    def h2(r):
        return f"<h2>{r.title}</h2>"

    body = client.get("/notice/", {"round": first.pk}).content.decode()
    assert h2(first) in body and h2(second) not in body
    body = client.get("/notice/", {"region": "520300"}).content.decode()
    assert h2(second) in body and h2(first) not in body
    # A round closed long ago is no longer shown; a claim rejected on objection neither.
    NoticeRound.objects.filter(pk=second.pk).update(
        status="closed", ends_on=dt.date(2020, 1, 1)
    )
    assert second.title not in client.get("/notice/").content.decode()


def test_notice_query_count_does_not_grow(
    client, bureau, django_assert_max_num_queries
):
    in_notice(bureau, 1)
    with CaptureQueriesContext(connection) as one:
        assert client.get("/notice/").status_code == 200
    in_notice(bureau, 12)
    in_notice(bureau, 3)
    with CaptureQueriesContext(connection) as many:
        body = client.get("/notice/").content.decode()
    assert body.count('class="record-card"') == 16
    assert len(many.captured_queries) == len(one.captured_queries)


def test_notice_in_english(client, bureau):
    in_notice(bureau)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    body = client.get("/notice/").content.decode()
    assert "Public notice" in body and "working days" in body


def test_an_objection_from_the_public_reaches_the_bureau(client, bureau):
    _, (claim,) = in_notice(bureau)
    url = f"/notice/claims/{claim.pk}/objection/"
    response = client.post(url, {"text": " ", "contact_phone": "12ab"})
    assert response.status_code == 400
    body = response.content.decode()
    assert "请填写异议内容。" in body and "联系电话应为 7 至 20 位数字。" in body
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    body = client.post(url, {"text": ""}).content.decode()
    assert "Please describe your objection." in body
    assert not Objection.objects.exists()
    response = client.post(url, {"text": "此人没有参加培训", "contact_name": "李"})
    assert response.status_code == 302 and response.url == "/notice/objection/thanks/"
    assert client.get(response.url).status_code == 200
    objection = Objection.objects.get()
    assert objection.claim == claim and objection.status == ObjectionStatus.OPEN
    # The bureau's home shows it.
    client.force_login(bureau)
    home = client.get("/admin/").content.decode()
    assert (
        "待答复的公示异议" in home
        and f"/admin/subsidies/notice/objection/{objection.pk}/" in home
    )


def test_objections_are_rate_limited(client, bureau, settings):
    settings.NOTICE_OBJECTION_RATE = "1/60"
    _, (claim,) = in_notice(bureau)
    url = f"/notice/claims/{claim.pk}/objection/"
    assert client.post(url, {"text": "一"}).status_code == 302
    response = client.post(url, {"text": "二"})
    assert response.status_code == 429 and response["Retry-After"]
    assert Objection.objects.count() == 1


def test_no_objection_form_for_a_claim_not_in_notice(client):
    claim = ClaimFactory(status=ClaimStatus.APPROVED)
    assert client.get(f"/notice/claims/{claim.pk}/objection/").status_code == 404
    assert (
        client.post(f"/notice/claims/{claim.pk}/objection/", {"text": "x"}).status_code
        == 404
    )


def test_rounds_list_is_scoped_and_its_queries_do_not_grow(client, bureau):
    mine, _ = in_notice(bureau)
    other_bureau = staff_user(Role.BUREAU, region_code="520300")
    claim = ClaimFactory(status=ClaimStatus.APPROVED, region=region("520302"))
    theirs = notice.notice_round_publish(
        claims=[claim], region=region("520300"), actor=other_bureau
    )
    client.force_login(bureau)
    with CaptureQueriesContext(connection) as one:
        body = client.get("/admin/subsidies/notice/").content.decode()
    assert mine.title in body and theirs.title not in body and "共 1 条" in body
    for _ in range(4):
        in_notice(bureau, 2)
    with CaptureQueriesContext(connection) as many:
        body = client.get("/admin/subsidies/notice/").content.decode()
    assert "共 5 条" in body
    assert len(many.captured_queries) == len(one.captured_queries)
    assert client.get(f"/admin/subsidies/notice/{theirs.pk}/").status_code == 404
    page = client.get(f"/admin/subsidies/notice/{mine.pk}/").content.decode()
    assert "公示的申领（共 1 条）" in page


def test_answering_upheld_goes_through_a_confirmation(client, bureau):
    notice_round, (claim,) = in_notice(bureau)
    objection = notice.objection_file(claim=claim, text="证书系伪造")
    url = f"/admin/subsidies/notice/objection/{objection.pk}/"
    client.force_login(bureau)
    assert "核查答复" in client.get(url).content.decode()
    response = client.post(url, {"upheld": "1", "answer": ""})
    assert (
        response.status_code == 400 and "请填写答复意见。" in response.content.decode()
    )
    response = client.post(url, {"upheld": "1", "answer": "证书编号不存在"})
    assert "确认答复" in response.content.decode()
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.IN_NOTICE
    response = client.post(
        url, {"upheld": "1", "answer": "证书编号不存在", "confirmed": "1"}
    )
    assert response.status_code == 302
    claim.refresh_from_db()
    objection.refresh_from_db()
    assert claim.status == ClaimStatus.REJECTED
    assert objection.upheld is True and objection.answered_by == bureau
    # The rejected claim leaves the public notice.
    client.logout()
    assert f"/notice/claims/{claim.pk}/" not in client.get("/notice/").content.decode()


def refused(response):
    """Wagtail answers a PermissionDenied in the admin with a redirect to its home."""
    assert response.status_code == 403 or (
        response.status_code == 302 and response.url == "/admin/"
    )


@pytest.mark.parametrize("role", ["other_bureau", "auditor"])
def test_others_cannot_answer_or_publish(client, bureau, role):
    _, (claim,) = in_notice(bureau)
    objection = notice.objection_file(claim=claim, text="不属实")
    ClaimFactory(status=ClaimStatus.APPROVED, region=region("520102"))
    if role == "other_bureau":
        user = staff_user(Role.BUREAU, region_code="520300")
    else:
        user = staff_user(Role.AUDITOR, region_code="520000")
    client.force_login(user)
    url = f"/admin/subsidies/notice/objection/{objection.pk}/"
    data = {"upheld": "1", "answer": "成立", "confirmed": "1"}
    if role == "other_bureau":
        assert client.get(url).status_code == 404
        assert client.post(url, data).status_code == 404
    else:
        assert "核查答复" not in client.get(url).content.decode()
        refused(client.post(url, data))
        refused(
            client.post(
                "/admin/subsidies/notice/publish/",
                {"region": "520000", "working_days": 5, "confirmed": "1"},
            )
        )
    objection.refresh_from_db()
    claim.refresh_from_db()
    assert objection.status == ObjectionStatus.OPEN
    assert claim.status == ClaimStatus.IN_NOTICE
    assert NoticeRound.objects.count() == 1


def test_publishing_from_the_back_office(client, bureau):
    claims = [
        ClaimFactory(status=ClaimStatus.APPROVED, region=region("520102"))
        for _ in range(3)
    ]
    client.force_login(bureau)
    url = "/admin/subsidies/notice/publish/"
    assert "贵阳市 3 条" in client.get(url).content.decode()
    data = {"region": "520100", "working_days": "5", "title": ""}
    page = client.post(url, data).content.decode()
    starts_on, ends_on = notice.notice_period(5)
    assert "确定公示 3 条申领吗？" in page and f"{ends_on:%Y-%m-%d}" in page
    assert not NoticeRound.objects.exists()
    response = client.post(url, {**data, "confirmed": "1"})
    notice_round = NoticeRound.objects.get()
    assert response.status_code == 302 and response.url.endswith(f"/{notice_round.pk}/")
    assert notice_round.ends_on == ends_on
    assert {c.status for c in notice_round.claims.all()} == {ClaimStatus.IN_NOTICE}
    assert len(claims) == notice_round.claims.count()
    # Nothing left to publish: said plainly.
    page = client.post(url, {**data, "confirmed": "1"}).content.decode()
    assert "没有审核通过、尚未公示的申领" in page


def test_holidays_are_edited_by_the_province_bureau_only(client):
    province = staff_user(Role.BUREAU, region_code="520000")
    prefecture = staff_user(Role.BUREAU, region_code="520100")
    institution = staff_user(Role.INSTITUTION, institution=InstitutionFactory())
    client.force_login(institution)
    assert client.get(reverse("holiday:index")).status_code == 200
    client.force_login(prefecture)
    assert (
        "春节" in client.get(reverse("holiday:index") + "?year=2026").content.decode()
    )
    data = {"date": "2031-03-05", "name": "测试节"}
    assert client.post(reverse("holiday:add"), data).status_code in (302, 403)
    assert not Holiday.objects.filter(date=dt.date(2031, 3, 5)).exists()
    client.force_login(province)
    response = client.post(reverse("holiday:add"), data)
    assert response.status_code == 302
    assert Holiday.objects.filter(date=dt.date(2031, 3, 5), is_workday=False).exists()


def test_auditor_reads_rounds_but_is_offered_nothing_to_do(client, bureau):
    notice_round, (claim,) = in_notice(bureau)
    notice.objection_file(claim=claim, text="不属实", contact_phone="13800001111")
    client.force_login(staff_user(Role.AUDITOR, region_code="520000"))
    listing = client.get("/admin/subsidies/notice/").content.decode()
    assert notice_round.title in listing and "发布公示" not in listing
    page = client.get(f"/admin/subsidies/notice/{notice_round.pk}/").content.decode()
    assert "13800001111" not in page and "138****1111" in page
    assert "/admin/subsidies/notice/objection/" not in page
    refused(client.get("/admin/subsidies/notice/publish/"))


def test_bureau_home_objection_queries_do_not_grow(client, bureau):
    client.force_login(bureau)
    _, (claim,) = in_notice(bureau)
    notice.objection_file(claim=claim, text="一")
    with CaptureQueriesContext(connection) as one:
        client.get("/admin/")
    _, claims = in_notice(bureau, 6)
    for c in claims:
        notice.objection_file(claim=c, text="多")
    with CaptureQueriesContext(connection) as many:
        body = client.get("/admin/").content.decode()
    assert "待答复的公示异议" in body and "共 7 条" in body
    assert len(many.captured_queries) == len(one.captured_queries)


def test_a_closed_round_stays_on_the_notice_as_ended(client, bureau):
    notice_round, _ = in_notice(bureau, publish_on=dt.date.today() - dt.timedelta(20))
    notice.notice_rounds_close()
    body = client.get("/notice/").content.decode()
    assert f"<h2>{notice_round.title}</h2>" in body and "已结束" in body
    assert "/objection/" not in body
