"""The lifetime record (终身培训电子档案, issue 11 item 1): one timeline per person at
/me/record/ and on the back-office trainee page, as PDF and xlsx, in a constant number of
queries."""

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook
from pypdf import PdfReader

from certificates.models import CertificateStatus
from courses.models import AssessmentResult, ClassStatus
from subsidies.models import ClaimStatus
from tests.factories import (
    CertificateFactory,
    ClaimFactory,
    EnrolmentFactory,
    InstitutionFactory,
    KeyGroupMembershipFactory,
    TraineeFactory,
    TrainingClassFactory,
    UserFactory,
    make_id_number,
    staff_user,
)
from trainees import records
from trainees.extensions import record_sources
from training_platform.audit.models import AuditEvent
from training_platform.reference.models import CertificateKind, SkillLevel
from training_platform.roles import Role

pytestmark = pytest.mark.django_db

URL = "/me/record/"
PDF_URL = "/me/record/record.pdf"
XLSX_URL = "/me/record/record.xlsx"


@pytest.fixture
def trainee(db):
    return TraineeFactory(
        name="张三丰",
        id_number=make_id_number("520102", birth=dt.date(1990, 5, 1)),
        user=UserFactory(),
    )


@pytest.fixture
def bureau(db):
    return staff_user(Role.BUREAU, region_code="520100")


@pytest.fixture
def full_record(trainee):
    """One of each, on distinct days: key group (2023), class (2024), certificate (2025-03),
    paid subsidy (2025-06), revoked certificate (2025-08)."""
    KeyGroupMembershipFactory(
        trainee=trainee,
        since=dt.date(2023, 2, 1),
        until=dt.date(2024, 12, 31),
        evidence="乡村振兴局认定",
    )
    enrolment = EnrolmentFactory(
        trainee=trainee,
        training_class=TrainingClassFactory(
            code="GY-2024-0007",
            start_date=dt.date(2024, 5, 6),
            end_date=dt.date(2024, 6, 30),
            status=ClassStatus.FINISHED,
            course__hours=80,
            course__institution__name="贵阳市南明区职业培训学校",
        ),
        attendance_hours=Decimal("72.5"),
        result=AssessmentResult.PASSED,
        score=Decimal("88.0"),
    )
    valid = CertificateFactory(
        trainee=trainee,
        number="PX5225999999000001",
        kind=CertificateKind.SKILL_LEVEL,
        level=SkillLevel.LEVEL_4,
        issued_on=dt.date(2025, 3, 10),
        issuer_name="贵州省职业技能鉴定中心",
    )
    revoked = CertificateFactory(
        trainee=trainee,
        number="PX5225999999000002",
        issued_on=dt.date(2025, 8, 1),
        status=CertificateStatus.REVOKED,
        revoked_at=dt.datetime(2025, 8, 2, tzinfo=dt.UTC),
        revoked_reason="材料不实",
    )
    claim = ClaimFactory(
        certificate=valid,
        status=ClaimStatus.PAID,
        paid_on=dt.date(2025, 6, 18),
        bank_reference="BANK-0001",
        amount=Decimal("1500.00"),
    )
    return {
        "enrolment": enrolment,
        "valid": valid,
        "revoked": revoked,
        "claim": claim,
    }


def _titles(body: str, *needles: str) -> list[int]:
    return [body.index(n) for n in needles]


# --- the timeline ------------------------------------------------------------------------


def test_record_url_is_stable_and_linked_from_me(client, trainee):
    assert reverse("me_record") == URL
    client.force_login(trainee.user)
    assert f'href="{URL}"' in client.get("/me/").content.decode()


def test_anonymous_visitor_is_sent_to_sign_in(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert client.get(PDF_URL).status_code == 302
    assert client.get(XLSX_URL).status_code == 302


def test_account_without_a_record_is_sent_to_me(client):
    client.force_login(UserFactory())
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"] == "/me/"


def test_entries_are_in_time_order_oldest_first(trainee, full_record):
    items = records.record_for(trainee).in_time_order()
    assert [i.section.name for i in items] == [
        "key_groups",
        "enrolments",
        "certificates",
        "subsidies",
        "certificates",
    ]
    dates = [i.entry.date for i in items]
    assert dates == sorted(dates)


def test_undated_entries_come_last_and_other_sources_plug_in(trainee, full_record):
    award = records.RecordSource(
        "test_awards",
        "竞赛成绩",
        lambda person: [
            records.RecordEntry(date=None, title="未定日期"),
            records.RecordEntry(
                date=dt.date(2024, 1, 1), title="电工赛项 一等奖", kind="竞赛"
            ),
        ],
    )
    with record_sources.register_temporarily(award):
        items = records.record_for(trainee).in_time_order()
    assert items[-1].entry.title == "未定日期"
    assert [i.entry.title for i in items].index("电工赛项 一等奖") == 1
    assert items[1].kind == "竞赛"
    assert items[-1].kind == "竞赛成绩"  # no kind: the section's title


def test_page_shows_each_section_in_order(client, trainee, full_record):
    client.force_login(trainee.user)
    response = client.get(URL)
    assert response.status_code == 200
    body = response.content.decode()
    # the person's own name in full, the ID masked
    assert "张三丰" in body
    assert trainee.masked_id_number in body
    assert trainee.id_number not in body
    # order: key group, class, certificate, subsidy, revoked certificate
    positions = _titles(
        body,
        "乡村振兴局认定",
        "GY-2024-0007",
        "PX5225999999000001",
        "1,500.00 元",
        "PX5225999999000002",
    )
    assert positions == sorted(positions)
    # enrolment: institution, class, dates, hours attended vs required, result
    assert "贵阳市南明区职业培训学校" in body
    assert "2024-05-06 — 2024-06-30" in body
    assert "72.5 / 80" in body
    assert "合格（88）" in body
    # certificates: number, kind, level, status, verification page
    assert "职业技能等级证书" in body
    assert "四级/中级工" in body
    assert "已撤销" in body
    valid = full_record["valid"]
    assert reverse("certificate_verify", args=[valid.token]) in body
    # subsidy: kind, amount, status, paid date
    assert "技能提升补贴" in body
    assert "已拨付" in body
    assert "2025-06-18" in body
    # key group with its dates
    assert "2023-02-01" in body
    assert "2024-12-31" in body
    # phone-first cards, downloads offered
    assert 'class="pairs"' in body
    assert body.count('class="record-card"') == 5
    assert reverse("me_record_pdf") in body
    assert reverse("me_record_xlsx") in body


def test_empty_record_says_what_will_appear(client, trainee):
    client.force_login(trainee.user)
    body = client.get(URL).content.decode()
    assert "您的档案还没有记录" in body
    assert 'class="record-card"' not in body


def test_trainee_sees_only_their_own_record(client, trainee, full_record):
    other = TraineeFactory(name="李四光", user=UserFactory())
    CertificateFactory(trainee=other, number="PX5225999999000099")
    EnrolmentFactory(trainee=other, training_class__code="OTHER-0001")
    client.force_login(trainee.user)
    for url in (URL,):
        body = client.get(url).content.decode()
        assert "PX5225999999000099" not in body
        assert "OTHER-0001" not in body
        assert "李四光" not in body
    client.force_login(other.user)
    body = client.get(URL).content.decode()
    assert "PX5225999999000001" not in body
    assert "PX5225999999000099" in body
    text = _pdf_text(client.get(PDF_URL).content)
    assert "李四光" in text
    assert "张三丰" not in text
    assert "PX5225999999000001" not in text


def test_drafts_and_withdrawn_claims_are_not_in_the_record(trainee):
    draft = ClaimFactory(certificate__trainee=trainee, status=ClaimStatus.DRAFT)
    ClaimFactory(
        certificate__trainee=trainee,
        certificate__level=SkillLevel.LEVEL_3,
        status=ClaimStatus.WITHDRAWN,
    )
    assert draft.trainee == trainee
    section = records.record_for(trainee).section("subsidies")
    assert section.entries == []


# --- the back-office trainee page ---------------------------------------------------------


def _inspect(pk):
    return reverse("trainees:inspect", args=[pk])


def test_staff_see_the_same_timeline_on_the_trainee_page(
    client, bureau, trainee, full_record
):
    client.force_login(bureau)
    response = client.get(_inspect(trainee.pk))
    assert response.status_code == 200
    body = response.content.decode()
    assert "终身培训档案" in body
    positions = _titles(
        body,
        "乡村振兴局认定",
        "GY-2024-0007",
        "PX5225999999000001",
        "1,500.00 元",
        "PX5225999999000002",
    )
    assert positions == sorted(positions)
    assert "72.5 / 80" in body
    assert reverse("trainee_record_pdf", args=[trainee.pk]) in body
    assert reverse("trainee_record_xlsx", args=[trainee.pk]) in body
    assert trainee.id_number not in body


def test_another_institutions_staff_get_404(client, trainee, full_record):
    own = full_record["enrolment"].training_class.course.institution
    client.force_login(staff_user(Role.INSTITUTION, institution=InstitutionFactory()))
    for url in (
        _inspect(trainee.pk),
        reverse("trainee_record_pdf", args=[trainee.pk]),
        reverse("trainee_record_xlsx", args=[trainee.pk]),
    ):
        assert client.get(url).status_code == 404, url
    # the trainee's own institution sees it
    client.force_login(staff_user(Role.INSTITUTION, institution=own))
    assert client.get(_inspect(trainee.pk)).status_code == 200
    assert (
        client.get(reverse("trainee_record_pdf", args=[trainee.pk])).status_code == 200
    )


def test_staff_see_only_the_entries_in_their_scope(client, trainee, full_record):
    """An institution reading a person's record sees its own class, not another
    institution's class, certificate or claim; the person sees everything."""
    own = full_record["enrolment"].training_class.course.institution
    elsewhere = EnrolmentFactory(
        trainee=trainee,
        training_class=TrainingClassFactory(
            code="ZY-2025-0042",
            start_date=dt.date(2025, 4, 1),
            end_date=dt.date(2025, 4, 30),
            status=ClassStatus.FINISHED,
            course__institution__name="遵义市另一所培训学校",
        ),
    )
    staff = staff_user(Role.INSTITUTION, institution=own)
    client.force_login(staff)
    body = client.get(_inspect(trainee.pk)).content.decode()
    assert "GY-2024-0007" in body and "乡村振兴局认定" in body
    for hidden in ("ZY-2025-0042", "PX5225999999000001", "1,500.00 元"):
        assert hidden not in body, hidden
    xlsx = client.get(reverse("trainee_record_xlsx", args=[trainee.pk])).content
    cells = " ".join(str(c) for row in _sheet_rows(xlsx) for c in row)
    assert "GY-2024-0007" in cells and "ZY-2025-0042" not in cells
    # The province bureau sees it all, as the person does.
    province = staff_user(Role.BUREAU, region_code="520000")
    whole = records.record_for(trainee, viewer=province)
    assert len(whole) == len(records.record_for(trainee)) == 6
    client.force_login(province)
    body = client.get(_inspect(trainee.pk)).content.decode()
    assert elsewhere.training_class.code in body and "1,500.00 元" in body


def test_another_regions_bureau_gets_404(client, trainee, full_record):
    client.force_login(staff_user(Role.BUREAU, region_code="520300"))
    assert (
        client.get(reverse("trainee_record_pdf", args=[trainee.pk])).status_code == 404
    )
    assert (
        client.get(reverse("trainee_record_xlsx", args=[trainee.pk])).status_code == 404
    )


def test_a_trainee_cannot_use_the_back_office_exports(client, trainee, full_record):
    client.force_login(trainee.user)
    response = client.get(reverse("trainee_record_pdf", args=[trainee.pk]))
    assert response.status_code in (302, 403, 404)
    assert response.get("Content-Type") != "application/pdf"


def test_staff_exports_are_audited(client, bureau, trainee, full_record):
    client.force_login(bureau)
    client.get(reverse("trainee_record_pdf", args=[trainee.pk]))
    client.get(reverse("trainee_record_xlsx", args=[trainee.pk]))
    actions = set(
        AuditEvent.objects.filter(object_id=str(trainee.pk)).values_list(
            "action", flat=True
        )
    )
    assert {"trainee.record_export.pdf", "trainee.record_export.xlsx"} <= actions


# --- PDF ----------------------------------------------------------------------------------


def _pdf_text(content: bytes) -> str:
    reader = PdfReader(io.BytesIO(content))
    return "".join(page.extract_text() for page in reader.pages)


def test_pdf_is_chinese_with_platform_date_and_entries(client, trainee, full_record):
    client.force_login(trainee.user)
    response = client.get(PDF_URL)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert "attachment" in response["Content-Disposition"]
    text = _pdf_text(response.content)
    assert "终身职业技能培训电子档案" in text
    assert "黔技通" in text
    today = dt.date.today()
    assert f"导出日期：{today.year}年{today.month}月{today.day}日" in text
    assert "张三丰" in text
    assert trainee.masked_id_number in text
    assert trainee.id_number not in text
    for needle in (
        "GY-2024-0007",
        "72.5 / 80",
        "贵阳市南明区职业培训学校",
        "PX5225999999000001",
        "四级/中级工",
        "技能提升补贴",
        "1,500.00 元",
        "已拨付",
        "2025-06-18",
        "乡村振兴局认定",
        "已撤销",
    ):
        assert needle in text, needle
    order = _titles(
        text, "乡村振兴局认定", "GY-2024-0007", "PX5225999999000001", "已拨付"
    )
    assert order == sorted(order)


def test_pdf_has_a_qr_for_each_valid_certificate_only(trainee, full_record):
    from trainees.record_export import record_pdf

    record = records.record_for(trainee)
    qr = [i.entry.qr_url for i in record.in_time_order() if i.entry.qr_url]
    valid, revoked = full_record["valid"], full_record["revoked"]
    assert len(qr) == 1
    assert qr[0].endswith(reverse("certificate_verify", args=[valid.token]))
    assert qr[0].startswith("http")
    text = _pdf_text(
        record_pdf(
            record, masked_id=trainee.masked_id_number, exported_on=dt.date.today()
        )
    )
    assert text.count("扫码查验") == 1
    assert revoked.token not in "".join(qr)


def test_staff_pdf_masks_the_id_number(client, bureau, trainee, full_record):
    client.force_login(bureau)
    response = client.get(reverse("trainee_record_pdf", args=[trainee.pk]))
    assert response.status_code == 200
    text = _pdf_text(response.content)
    assert trainee.masked_id_number in text
    assert trainee.id_number not in text
    assert "PX5225999999000001" in text


def test_a_long_record_runs_over_pages(trainee):
    for n in range(60):
        KeyGroupMembershipFactory(
            trainee=trainee, since=dt.date(2020, 1, 1) + dt.timedelta(days=n)
        )
    from trainees.record_export import record_pdf

    content = record_pdf(
        records.record_for(trainee),
        masked_id="5201**********0011",
        exported_on=dt.date.today(),
    )
    reader = PdfReader(io.BytesIO(content))
    assert len(reader.pages) > 1
    assert "第 2 页" in reader.pages[1].extract_text()


# --- xlsx ---------------------------------------------------------------------------------


def _sheet_rows(content: bytes) -> list[tuple]:
    sheet = load_workbook(io.BytesIO(content), read_only=True).active
    return [tuple(c for c in row) for row in sheet.iter_rows(values_only=True)]


def test_xlsx_lists_every_entry_in_time_order(client, trainee, full_record):
    client.force_login(trainee.user)
    response = client.get(XLSX_URL)
    assert response.status_code == 200
    assert "spreadsheetml" in response["Content-Type"]
    rows = _sheet_rows(response.content)
    assert rows[0] == ("日期", "类别", "名称", "状态", "详细信息", "查验网址")
    data = rows[1:6]
    assert [r[0] for r in data] == [
        "2023-02-01",
        "2024-05-06",
        "2025-03-10",
        "2025-06-18",
        "2025-08-01",
    ]
    assert [r[1] for r in data] == ["重点群体", "培训", "证书", "补贴", "证书"]
    assert "出勤课时：72.5 / 80" in data[1][4]
    assert "班级编号：GY-2024-0007" in data[1][4]
    assert "证书编号：PX5225999999000001" in data[2][4]
    assert data[2][5].endswith(
        reverse("certificate_verify", args=[full_record["valid"].token])
    )
    assert data[3][3] == "已拨付"
    assert "补贴金额：1,500.00 元" in data[3][4]
    assert data[4][3] == "已撤销"
    flat = [str(v) for r in rows for v in r if v is not None]
    assert "张三丰" in flat
    assert trainee.masked_id_number in flat
    assert trainee.id_number not in "".join(flat)
    assert dt.date.today().isoformat() in flat
    assert any("黔技通" in v for v in flat)


def test_staff_xlsx_masks_the_id_number(client, bureau, trainee, full_record):
    client.force_login(bureau)
    response = client.get(reverse("trainee_record_xlsx", args=[trainee.pk]))
    assert response.status_code == 200
    flat = "".join(str(v) for r in _sheet_rows(response.content) for v in r if v)
    assert trainee.masked_id_number in flat
    assert trainee.id_number not in flat


# --- queries: 1 entry vs 100 ----------------------------------------------------------------


def _grow_to_100(trainee):
    """99 more entries across every source (the fixture person has 1 enrolment)."""
    for n in range(30):
        EnrolmentFactory(
            trainee=trainee,
            training_class__start_date=dt.date(2020, 1, 1) + dt.timedelta(days=n * 20),
        )
    certificates = [
        CertificateFactory(
            trainee=trainee, issued_on=dt.date(2021, 1, 1) + dt.timedelta(days=n)
        )
        for n in range(30)
    ]
    for certificate in certificates[:25]:
        ClaimFactory(
            certificate=certificate,
            standard__name=f"标准{certificate.pk}",
            status=ClaimStatus.REJECTED,
        )
    for n in range(14):
        KeyGroupMembershipFactory(
            trainee=trainee, since=dt.date(2019, 1, 1) + dt.timedelta(days=n)
        )
    assert len(records.record_for(trainee)) == 100


def _count(fn) -> int:
    with CaptureQueriesContext(connection) as ctx:
        fn()
    return len(ctx.captured_queries)


@pytest.mark.parametrize(
    "who, url",
    [
        ("trainee", URL),
        ("trainee", PDF_URL),
        ("trainee", XLSX_URL),
        ("staff", "inspect"),
        ("staff", "pdf"),
        ("staff", "xlsx"),
    ],
)
def test_query_count_is_the_same_for_1_and_100_entries(
    client, bureau, trainee, who, url
):
    EnrolmentFactory(trainee=trainee)
    if who == "trainee":
        client.force_login(trainee.user)
    else:
        client.force_login(bureau)
        url = {
            "inspect": _inspect(trainee.pk),
            "pdf": reverse("trainee_record_pdf", args=[trainee.pk]),
            "xlsx": reverse("trainee_record_xlsx", args=[trainee.pk]),
        }[url]

    def get():
        assert client.get(url).status_code == 200

    get()  # warm caches (content types, site)
    assert len(records.record_for(trainee)) == 1
    one = _count(get)
    _grow_to_100(trainee)
    hundred = _count(get)
    assert hundred == one
    if url == URL:
        body = client.get(URL).content.decode()
        assert body.count('class="record-card"') == 100


def test_files_stay_chinese_when_the_site_is_read_in_english(
    client, trainee, full_record
):
    client.force_login(trainee.user)
    client.cookies["django_language"] = "en"
    page = client.get(URL, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Hours attended" in page  # the page follows the reader's language
    text = _pdf_text(client.get(PDF_URL, HTTP_ACCEPT_LANGUAGE="en").content)
    assert "出勤课时" in text
    assert "Hours attended" not in text
    rows = _sheet_rows(client.get(XLSX_URL, HTTP_ACCEPT_LANGUAGE="en").content)
    assert "出勤课时：72.5 / 80" in rows[2][4]
