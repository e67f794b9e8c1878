"""Certificates in a real headless Chromium.

Journey 3 of issue 14 #4 (issue → QR decoded → verification page) is
test_evaluator_issues_the_holder_shows_the_qr_and_a_phone_verifies_it; the QR is read
from the image on the holder's page by OpenCV's decoder, not from our own text.
test_scan_verify_query_and_see_a_revocation: someone scans a certificate's QR code and
checks it by number, name and ID; then the issuer revokes it and the same QR says so.
Every public page on the way passes axe-core's WCAG 2.1 AA rules."""

import cv2
import numpy as np
import pytest
from playwright.sync_api import expect

from certificates import selectors, services
from certificates.models import Certificate
from certificates.rendering import qr_png
from courses.models import ClassStatus
from tests.certificates.admin_world import ELECTRICIAN, file_to_evaluate
from tests.e2e.conftest import PHONE, assert_accessible, sign_in
from tests.factories import (
    PASSWORD,
    InstitutionFactory,
    TraineeFactory,
    TrainingClassFactory,
    UserFactory,
    make_id_number,
    passed_enrolment,
    region,
    staff_user,
)
from training_platform.roles import Role

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def scan(png: bytes) -> str:
    image = cv2.imdecode(np.frombuffer(png, np.uint8), cv2.IMREAD_GRAYSCALE)
    # A quiet zone around it, as on paper (a screenshot of the drawing may have none).
    image = cv2.copyMakeBorder(image, 32, 32, 32, 32, cv2.BORDER_CONSTANT, value=255)
    text, points, _ = cv2.QRCodeDetectorAruco().detectAndDecode(image)
    assert points is not None
    return text


def test_scan_verify_query_and_see_a_revocation(live_server, reference, page, settings):
    settings.PUBLIC_BASE_URL = live_server.url
    cls = TrainingClassFactory(status=ClassStatus.FINISHED)
    staff = staff_user(Role.INSTITUTION, institution=cls.course.institution)
    id_number = make_id_number("520102")
    trainee = TraineeFactory(name="韦小芳", id_number=id_number)
    enrolment = passed_enrolment(training_class=cls, trainee=trainee)
    certificate = services.certificate_issue_for_enrolment(
        actor=staff, enrolment=enrolment
    )

    # The printed QR, read by a decoder that is not ours, opens the genuine page.
    page.goto(scan(qr_png(selectors.certificate_qr_text(certificate))))
    expect(page.locator("[data-status=valid]")).to_have_text("有效")
    expect(page.get_by_text("二维码签名有效")).to_be_visible()
    expect(page.get_by_text("韦**")).to_be_visible()
    expect(page.get_by_text("韦小芳")).to_have_count(0)
    assert_accessible(page)

    # The national-style query: all three must match.
    page.get_by_role("link", name="按证书编号、姓名和身份证号码查询").first.click()
    assert_accessible(page)
    page.get_by_label("证书编号").fill(certificate.number)
    page.get_by_label("姓名").fill("韦小芳")
    page.get_by_label("身份证号码").fill(id_number)
    page.get_by_role("button", name="查询").click()
    expect(page.locator("[data-status=valid]")).to_be_visible()
    expect(page.get_by_text(certificate.number)).to_be_visible()
    expect(page.get_by_label("身份证号码")).to_have_value("")
    assert_accessible(page)

    # Revoked by its issuer: the same QR now says so, with the reason.
    services.certificate_revoke(
        actor=staff, certificate=certificate, reason="经核查考核材料不实"
    )
    page.goto(scan(qr_png(selectors.certificate_qr_text(certificate))))
    expect(page.locator("[data-status=revoked]")).to_have_text("已撤销")
    expect(page.get_by_text("经核查考核材料不实")).to_be_visible()
    assert_accessible(page)


def test_evaluator_issues_the_holder_shows_the_qr_and_a_phone_verifies_it(
    live_server, reference, browser, settings
):
    settings.PUBLIC_BASE_URL = live_server.url
    org = InstitutionFactory(name="贵阳评价中心", region=region("520102"))
    file_to_evaluate(org, max_level="3")
    evaluator = staff_user(Role.EVALUATOR, institution=org)
    id_number = make_id_number("520102")
    holder = TraineeFactory(
        name="刘芳", id_number=id_number, user=UserFactory(username="liufang")
    )

    # 1. The evaluator issues a 四级 certificate through the 认定发证 form.
    staff = browser.new_context(locale="zh-CN").new_page()
    sign_in(staff, live_server.url, evaluator.username, PASSWORD)
    staff.goto(live_server.url + "/admin/certificates/evaluate/")
    staff.select_option("#id_occupation", ELECTRICIAN)
    staff.select_option("#id_kind", "skill_level")
    staff.select_option("#id_level", "4")
    staff.fill("#id_id_number", id_number)
    staff.fill("#id_name", "刘芳")
    staff.fill("#id_reason", "2026 年第 6 批评价，成绩合格")
    staff.get_by_role("button", name="签发证书").click()
    expect(staff.get_by_text("已为刘芳签发职业技能等级证书")).to_be_visible()
    certificate = Certificate.objects.get(trainee=holder)
    staff.context.close()

    # 2. The holder signs in and opens the certificate from their own page.
    page = browser.new_context(locale="zh-CN", device_scale_factor=2).new_page()
    sign_in(page, live_server.url, "liufang", PASSWORD, admin=False)
    page.goto(live_server.url + "/me/")
    assert_accessible(page)
    page.get_by_role("link", name=f"查看与下载 {certificate.number}").click()
    page.wait_for_url(f"**/me/certificates/{certificate.token}/")
    expect(page.locator("[data-status=valid]")).to_be_visible()
    assert_accessible(page)

    # 3. The QR as the page draws it, photographed and read by OpenCV's decoder.
    qr = page.locator("figure.qr svg")
    expect(qr).to_be_visible()
    url = scan(qr.screenshot())
    assert url.startswith(live_server.url + f"/verify/{certificate.token}/?")
    page.context.close()

    # 4. A phone opens what it read: the genuine, valid certificate, the name masked.
    phone = browser.new_context(locale="zh-CN", viewport=PHONE, is_mobile=True)
    verifier = phone.new_page()
    verifier.goto(url)
    expect(verifier.locator("[data-status=valid]")).to_have_text("有效")
    expect(verifier.get_by_text("二维码签名有效")).to_be_visible()
    expect(verifier.get_by_text(certificate.number)).to_be_visible()
    expect(verifier.get_by_text("刘*")).to_be_visible()
    assert id_number not in verifier.content()
    assert_accessible(verifier)
    phone.close()
