"""Someone scans a certificate's QR code and checks it by number, name and ID — in a real
headless Chromium; then the issuer revokes it and the same QR says so."""

import cv2
import numpy as np
import pytest
from playwright.sync_api import expect

from certificates import selectors, services
from certificates.rendering import qr_png
from courses.models import ClassStatus
from tests.factories import (
    TraineeFactory,
    TrainingClassFactory,
    make_id_number,
    passed_enrolment,
    staff_user,
)
from training_platform.roles import Role

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def scan(png: bytes) -> str:
    image = cv2.imdecode(np.frombuffer(png, np.uint8), cv2.IMREAD_GRAYSCALE)
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

    # The national-style query: all three must match.
    page.get_by_role("link", name="按证书编号、姓名和身份证号码查询").first.click()
    page.get_by_label("证书编号").fill(certificate.number)
    page.get_by_label("姓名").fill("韦小芳")
    page.get_by_label("身份证号码").fill(id_number)
    page.get_by_role("button", name="查询").click()
    expect(page.locator("[data-status=valid]")).to_be_visible()
    expect(page.get_by_text(certificate.number)).to_be_visible()
    expect(page.get_by_label("身份证号码")).to_have_value("")

    # Revoked by its issuer: the same QR now says so, with the reason.
    services.certificate_revoke(
        actor=staff, certificate=certificate, reason="经核查考核材料不实"
    )
    page.goto(scan(qr_png(selectors.certificate_qr_text(certificate))))
    expect(page.locator("[data-status=revoked]")).to_have_text("已撤销")
    expect(page.get_by_text("经核查考核材料不实")).to_be_visible()
