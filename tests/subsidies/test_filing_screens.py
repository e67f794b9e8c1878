"""Filing screens: the trainee's /me/subsidies/, the class filing preview, the list."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from courses.models import AssessmentResult, ClassStatus
from subsidies import services
from subsidies.models import Claim, ClaimStatus, PayeeKind, SubsidyKind
from tests.factories import (
    CertificateFactory,
    InstitutionFactory,
    StandardFactory,
    TraineeFactory,
    TrainingClassFactory,
    UserFactory,
    passed_enrolment,
    staff_user,
)
from training_platform.reference.models import CertificateKind, SkillLevel
from training_platform.roles import Role

pytestmark = pytest.mark.django_db

ME = "/me/subsidies/"
ACCOUNT = "6222020200112233445"
INSTITUTION_ACCOUNT = "110060123456789012"


def trainee_with_certificate(**certificate_fields):
    trainee = TraineeFactory(user=UserFactory())
    certificate_fields.setdefault("issued_on", dt.date(2026, 3, 2))
    certificate = CertificateFactory(
        trainee=trainee,
        kind=CertificateKind.SKILL_LEVEL,
        level=SkillLevel.LEVEL_4,
        **certificate_fields,
    )
    return trainee, certificate


# --- the trainee ------------------------------------------------------------------------


def test_me_subsidies_needs_a_login_and_a_record(client):
    assert client.get(ME).status_code == 302
    client.force_login(UserFactory())
    response = client.get(ME)
    assert response.status_code == 302 and response.url == reverse("me")


def test_me_links_to_the_subsidies_page(client):
    trainee, _certificate = trainee_with_certificate()
    client.force_login(trainee.user)
    assert f'href="{ME}"' in client.get("/me/").content.decode()


def test_a_trainee_files_from_the_page_and_sees_the_account_masked(client):
    StandardFactory()
    trainee, certificate = trainee_with_certificate()
    client.force_login(trainee.user)
    page = client.get(ME).content.decode()
    assert "1,500.00" in page and "申领补贴" in page
    response = client.post(
        ME,
        {"certificate": certificate.pk, "account_kind": "bank", "account": ACCOUNT},
    )
    assert response.status_code == 302
    claim = Claim.objects.get(trainee=trainee)
    assert claim.status == ClaimStatus.SUBMITTED
    page = client.get(ME).content.decode()
    assert "已提交" in page and "3445" in page
    assert ACCOUNT not in page
    assert "已申领。" in page  # the certificate offers no second form


def test_a_bad_account_is_shown_again_with_the_error(client):
    StandardFactory()
    trainee, certificate = trainee_with_certificate()
    client.force_login(trainee.user)
    response = client.post(
        ME, {"certificate": certificate.pk, "account_kind": "bank", "account": "12AB"}
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "收款账号应为 8 至 32 位数字" in page
    assert 'value="12AB"' in page
    assert not Claim.objects.exists()


def test_no_standard_is_said_on_the_page(client):
    trainee, _certificate = trainee_with_certificate()
    client.force_login(trainee.user)
    page = client.get(ME).content.decode()
    assert "暂无适用的补贴标准" in page
    assert 'name="account"' not in page


def test_someone_elses_certificate_answers_404(client):
    StandardFactory()
    trainee, _mine = trainee_with_certificate()
    _other, theirs = trainee_with_certificate()
    client.force_login(trainee.user)
    response = client.post(
        ME, {"certificate": theirs.pk, "account_kind": "bank", "account": ACCOUNT}
    )
    assert response.status_code == 404
    assert not Claim.objects.exists()


def test_withdraw_asks_first_and_only_for_ones_own_claim(client):
    StandardFactory()
    trainee, certificate = trainee_with_certificate()
    claim = services.claim_file_self(
        trainee=trainee,
        certificate=certificate,
        account_kind="bank",
        account=ACCOUNT,
        actor=trainee.user,
    )
    url = reverse("me_claim_withdraw", args=[claim.pk])
    stranger, _c = trainee_with_certificate()
    client.force_login(stranger.user)
    assert client.post(url, {"confirmed": "1"}).status_code == 404
    client.force_login(trainee.user)
    page = client.post(url).content.decode()
    assert "确认撤回" in page
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.SUBMITTED
    assert client.post(url, {"confirmed": "1"}).status_code == 302
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.WITHDRAWN


def test_the_page_speaks_english(client):
    StandardFactory()
    trainee, _certificate = trainee_with_certificate()
    client.force_login(trainee.user)
    with translation.override("en"):
        page = client.get(ME, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Claim a subsidy" in page or "Subsidies" in page


def _my_page_queries(client, trainee, n: int) -> int:
    client.force_login(trainee.user)
    with CaptureQueriesContext(connection) as captured:
        assert client.get(ME).status_code == 200
    return len(captured)


def test_the_trainee_page_takes_the_same_queries_for_1_and_4_claims(client):
    StandardFactory()
    StandardFactory(level=SkillLevel.LEVEL_3, amount=Decimal("2000.00"))
    StandardFactory(level=SkillLevel.LEVEL_2, amount=Decimal("2500.00"))
    StandardFactory(level=SkillLevel.LEVEL_1, amount=Decimal("3000.00"))
    counts = []
    for levels in ("4", "4321"):
        trainee = TraineeFactory(user=UserFactory())
        for level in levels:
            certificate = CertificateFactory(
                trainee=trainee,
                kind=CertificateKind.SKILL_LEVEL,
                level=level,
                issued_on=dt.date(2026, 3, 2),
            )
            services.claim_file_self(
                trainee=trainee,
                certificate=certificate,
                account_kind="bank",
                account=ACCOUNT,
                actor=trainee.user,
            )
        counts.append(_my_page_queries(client, trainee, len(levels)))
    assert counts[0] == counts[1]


# --- the institution --------------------------------------------------------------------


def finished_class(size: int = 3, status=ClassStatus.FINISHED):
    StandardFactory(
        name="职业培训补贴（培训合格）",
        kind=SubsidyKind.TRAINING,
        payee=PayeeKind.INSTITUTION,
        certificate_kind=CertificateKind.TRAINING,
        amount=Decimal("800.00"),
    )
    training_class = TrainingClassFactory(
        status=status,
        start_date=dt.date(2026, 2, 1),
        end_date=dt.date(2026, 2, 20),
    )
    enrolments = [
        passed_enrolment(training_class=training_class, trainee=TraineeFactory())
        for _ in range(size)
    ]
    staff = staff_user(Role.INSTITUTION, institution=training_class.course.institution)
    return training_class, enrolments, staff


def filing_url(training_class) -> str:
    return reverse("subsidies_class_filing", args=[training_class.pk])


def class_page(client, training_class) -> str:
    return client.get(
        reverse("trainingclass:inspect", args=[training_class.pk])
    ).content.decode()


def test_the_class_page_offers_filing_only_when_finished(client):
    training_class, _enrolments, staff = finished_class()
    client.force_login(staff)
    assert filing_url(training_class) in class_page(client, training_class)
    running, _e, running_staff = finished_class(status=ClassStatus.RUNNING)
    client.force_login(running_staff)
    assert filing_url(running) not in class_page(client, running)


def test_a_finished_class_without_passes_shows_the_link_disabled_with_the_reason():
    from django.test import RequestFactory

    from subsidies.class_page import class_page_links

    training_class, enrolments, staff = finished_class(1)
    enrolments[0].result = AssessmentResult.FAILED
    enrolments[0].save()
    request = RequestFactory().get("/admin/")
    request.user = staff
    (link,) = class_page_links(request, training_class)
    assert not link.enabled and link.reason == "本班没有考核合格的学员。"
    request.user = staff_user(Role.INSTITUTION, institution=InstitutionFactory())
    assert class_page_links(request, training_class) == []


def test_the_preview_says_who_with_amounts_and_the_confirm_button_counts(client):
    training_class, enrolments, staff = finished_class(3)
    client.force_login(staff)
    response = client.get(filing_url(training_class))
    assert response.status_code == 200
    page = response.content.decode()
    assert "确认申领 3 人 · 合计 2,400.00 元" in page
    for enrolment in enrolments:
        assert enrolment.trainee.name in page  # the class's own staff see names
        assert enrolment.trainee.masked_id_number in page
    assert not Claim.objects.exists()
    one = client.get(
        filing_url(training_class), {"enrolment": enrolments[0].pk}
    ).content.decode()
    assert "确认申领 1 人 · 合计 800.00 元" in one


def test_filing_goes_through_the_confirmation_then_lists_the_claims(client):
    training_class, _enrolments, staff = finished_class(3)
    client.force_login(staff)
    data = {"kind": SubsidyKind.TRAINING, "account": INSTITUTION_ACCOUNT}
    asked = client.post(filing_url(training_class), data)
    assert asked.status_code == 200
    assert "确认申领 3 人 · 合计 2,400.00 元" in asked.content.decode()
    assert not Claim.objects.exists()
    done = client.post(filing_url(training_class), {**data, "confirmed": "1"})
    assert done.status_code == 302
    assert Claim.objects.filter(status=ClaimStatus.SUBMITTED).count() == 3
    listing = client.get(done.url).content.decode()
    assert "共 3 条" in listing
    assert INSTITUTION_ACCOUNT not in listing


def test_a_missing_account_is_shown_on_the_form(client):
    training_class, _enrolments, staff = finished_class(1)
    client.force_login(staff)
    response = client.post(
        filing_url(training_class),
        {"kind": SubsidyKind.TRAINING, "account": "", "confirmed": "1"},
    )
    assert response.status_code == 400
    assert "请填写机构基本账户账号" in response.content.decode()
    assert not Claim.objects.exists()


def test_other_roles_cannot_file_for_the_class(client):
    training_class, _enrolments, _staff = finished_class(1)
    # Another institution does not even see the class.
    client.force_login(staff_user(Role.INSTITUTION, institution=InstitutionFactory()))
    assert client.get(filing_url(training_class)).status_code == 404
    data = {"kind": SubsidyKind.TRAINING, "account": INSTITUTION_ACCOUNT}
    assert (
        client.post(filing_url(training_class), {**data, "confirmed": "1"}).status_code
        == 404
    )
    # The bureau sees the class but files nothing for it.
    client.force_login(staff_user(Role.BUREAU, region_code="520000"))
    assert client.get(filing_url(training_class)).status_code == 403
    assert (
        client.post(filing_url(training_class), {**data, "confirmed": "1"}).status_code
        == 403
    )
    assert not Claim.objects.exists()


def test_a_running_class_is_refused_with_the_reason(client):
    training_class, _enrolments, staff = finished_class(1, status=ClassStatus.RUNNING)
    client.force_login(staff)
    response = client.get(filing_url(training_class))
    assert response.status_code == 403
    assert "结业后才能申领" in response.content.decode()


def _file(training_class, staff):
    return services.claims_file_for_class(
        training_class=training_class, actor=staff, account=INSTITUTION_ACCOUNT
    )


def test_the_list_shows_only_the_institutions_own_claims_with_filters(client):
    mine, _e, staff = finished_class(2)
    theirs, _e2, their_staff = finished_class(1)
    _file(mine, staff)
    _file(theirs, their_staff)
    client.force_login(staff)
    index = reverse("filed_claims:index")
    page = client.get(index).content.decode()
    assert "共 2 条" in page and theirs.code not in page
    assert "共 2 条" in client.get(index, {"class_code": mine.code}).content.decode()
    assert "共 0 条" in client.get(index, {"class_code": theirs.code}).content.decode()
    assert "共 0 条" in client.get(index, {"status": "paid"}).content.decode()
    assert "共 2 条" in client.get(index, {"status": "submitted"}).content.decode()


def test_a_trainee_user_has_no_back_office_list(client):
    trainee, _c = trainee_with_certificate()
    client.force_login(trainee.user)
    response = client.get(reverse("filed_claims:index"))
    assert response.status_code in (302, 403)


def _list_queries(client, size: int) -> int:
    training_class, _e, staff = finished_class(size)
    _file(training_class, staff)
    client.force_login(staff)
    url = reverse("filed_claims:index")
    client.get(url)  # warm the per-process caches
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert f"共 {size} 条" in response.content.decode()
    return len(captured)


def test_the_list_takes_the_same_queries_for_1_and_6_claims(client):
    assert _list_queries(client, 1) == _list_queries(client, 6)


def test_the_menu_offers_the_list_to_institution_staff_only(client):
    _class, _e, staff = finished_class(1)
    index = reverse("filed_claims:index")
    client.force_login(staff)
    assert index in client.get("/admin/").content.decode()
    client.force_login(staff_user(Role.AUDITOR, region_code="520000"))
    assert index not in client.get("/admin/").content.decode()


def test_the_whole_preview_downloads_as_xlsx(client):
    import io

    from openpyxl import load_workbook

    training_class, enrolments, staff = finished_class(3)
    client.force_login(staff)
    response = client.get(filing_url(training_class), {"format": "xlsx"})
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "学员" and len(rows) == 4
    assert {r[0] for r in rows[1:]} == {e.trainee.name for e in enrolments}
    assert not Claim.objects.exists()
