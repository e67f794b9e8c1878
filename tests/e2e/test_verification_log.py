"""An auditor finds a certificate's verifications in 核验记录, on a desktop and a phone;
the public page of a revoked certificate's genuine QR says it is no longer valid.

Journey 5 of issue 14 #4 (auditor → verify by number + name + ID) is
test_auditor_verifies_by_number_name_and_id_then_finds_it_in_the_log: the public
/verify/ query form, its pages passing axe-core's WCAG 2.1 AA rules."""

from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from certificates import selectors, services
from certificates.models import (
    VerificationChannel,
    VerificationLog,
    VerificationOutcome,
)
from certificates.signing import QR_PARAM
from tests.certificates.admin_world import inspect_url, make_world
from tests.e2e.conftest import assert_accessible, document_width, screenshot, sign_in
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def signed_path(certificate) -> str:
    """The path (with its signature) the certificate's printed QR opens."""
    text = selectors.certificate_qr_text(certificate)
    return f"{urlsplit(text).path}?{urlsplit(text).query}"


def forged_path(certificate) -> str:
    text = selectors.certificate_qr_text(certificate)
    signed = parse_qs(urlsplit(text).query)[QR_PARAM][0]
    i = len(signed) // 2
    forged = signed[:i] + ("A" if signed[i] != "A" else "B") + signed[i + 1 :]
    return f"{urlsplit(text).path}?{QR_PARAM}={forged}"


@pytest.fixture
def world_verified(live_server, reference, browser, settings):
    """The certificates world, its QRs opened by the public in a real browser: cert_a
    three times (signed, unsigned, forged), cert_b once."""
    settings.PUBLIC_BASE_URL = live_server.url
    world = make_world()
    public = browser.new_context(locale="zh-CN")
    visitor = public.new_page()
    a, b = world["cert_a"], world["cert_b"]
    for path in (signed_path(a), f"/verify/{a.token}/", forged_path(a), signed_path(b)):
        visitor.goto(live_server.url + path)
    public.close()
    assert VerificationLog.objects.filter(certificate=a).count() == 3
    return world


@pytest.mark.parametrize("size", ["1366", "390"])
def test_auditor_searches_the_log_by_certificate_number(
    live_server, world_verified, request, size
):
    world = world_verified
    page = request.getfixturevalue("desktop_page" if size == "1366" else "phone_page")
    auditor = world["users"]["auditor_gz"]
    a, b = world["cert_a"], world["cert_b"]
    sign_in(page, live_server.url, auditor.username, PASSWORD)

    if size == "1366":  # through the menu: 证书 → 核验记录
        page.get_by_role("button", name="证书").click()
        page.get_by_role("link", name="核验记录", exact=True).click()
    else:  # the phone folds the menu away: the address the menu holds
        page.goto(live_server.url + reverse("verificationlog:index"))
    expect(page.locator("#verification-log-count")).to_contain_text("共 4 条")

    search = page.locator("input[name=q]").first
    search.fill(a.number)
    search.press("Enter")
    expect(page.locator("#verification-log-count")).to_contain_text("共 3 条")
    rows = page.locator("table.listing tbody tr")
    expect(rows).to_have_count(3)
    expect(rows.filter(has_text=a.number)).to_have_count(3)
    expect(page.get_by_text(b.number)).to_have_count(0)
    for words in ("签名有效", "签名无效", "无签名"):
        expect(rows.filter(has_text=words)).to_have_count(1)
    expect(rows.filter(has_text=a.masked_holder_name).first).to_be_visible()
    expect(page.get_by_text(a.holder_name, exact=True)).to_have_count(0)
    if size == "390":  # the wide table scrolls inside its box, not the page
        assert document_width(page) <= 390 + 1
    screenshot(page, f"verification-log-{size}")

    rows.first.get_by_role("link", name=a.number).click()
    page.wait_for_url(f"**{inspect_url(a)}")
    expect(page.locator("#certificate-number")).to_have_text(a.number)
    # …and back to the full log of this certificate from its 最近核验.
    page.locator("#certificate-verification-log").click()
    expect(page.locator("#verification-log-count")).to_contain_text("共 3 条")


def test_genuine_qr_of_a_revoked_certificate_on_a_phone(
    live_server, reference, phone_page, settings
):
    settings.PUBLIC_BASE_URL = live_server.url
    world = make_world()
    certificate = world["cert_a"]
    printed = signed_path(certificate)  # the QR printed while it was valid
    services.certificate_revoke(
        actor=world["users"]["inst_a"], certificate=certificate, reason="考核材料不实"
    )
    page = phone_page
    page.goto(live_server.url + printed)
    expect(page.locator("[data-status=revoked]")).to_have_text("已撤销")
    expect(page.get_by_text("二维码确由签发机构签发，但该证书已于")).to_be_visible()
    expect(page.get_by_text("不再有效").first).to_be_visible()
    expect(page.get_by_text("二维码签名有效")).to_have_count(0)
    assert document_width(page) <= 390 + 1
    screenshot(page, "verify-revoked-390")


def test_auditor_verifies_by_number_name_and_id_then_finds_it_in_the_log(
    live_server, reference, desktop_page, settings
):
    settings.PUBLIC_BASE_URL = live_server.url
    world = make_world()
    certificate = world["cert_a"]
    holder = certificate.trainee
    page = desktop_page
    sign_in(page, live_server.url, world["users"]["auditor_gz"].username, PASSWORD)

    # The public query form, as anyone holding the paper certificate would use it.
    page.goto(live_server.url + reverse("certificate_query"))
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    assert_accessible(page)

    # One fact wrong (the name): nothing is confirmed, the ID number not sent back.
    page.get_by_label("证书编号").fill(certificate.number)
    page.get_by_label("姓名").fill(holder.name + "某")
    page.get_by_label("身份证号码").fill(holder.id_number)
    page.get_by_role("button", name="查询").click()
    expect(page.get_by_role("heading", name="未找到该证书")).to_be_visible()
    expect(page.locator("[data-status=valid]")).to_have_count(0)
    expect(page.get_by_label("身份证号码")).to_have_value("")
    assert holder.id_number not in page.content()
    assert_accessible(page)

    # All three right: the certificate, valid, the holder masked.
    page.get_by_label("证书编号").fill(certificate.number)
    page.get_by_label("姓名").fill(holder.name)
    page.get_by_label("身份证号码").fill(holder.id_number.lower())
    page.get_by_role("button", name="查询").click()
    expect(page.locator("[data-status=valid]")).to_be_visible()
    expect(page.get_by_text(certificate.number)).to_be_visible()
    expect(page.get_by_text(certificate.masked_holder_name)).to_be_visible()
    assert holder.id_number not in page.content()
    assert_accessible(page)
    screenshot(page, "verify-query-found-1366")

    # Both queries are on record; the auditor finds the one that matched in 核验记录.
    logged = VerificationLog.objects.filter(channel=VerificationChannel.QUERY)
    assert sorted(logged.values_list("outcome", flat=True)) == sorted(
        [VerificationOutcome.NOT_FOUND, VerificationOutcome.VALID]
    )
    page.goto(live_server.url + reverse("verificationlog:index"))
    search = page.locator("input[name=q]").first
    search.fill(certificate.number)
    search.press("Enter")
    rows = page.locator("table.listing tbody tr")
    found = rows.filter(has_text="编号+姓名+证件号查询").filter(has_text="有效")
    expect(found).to_have_count(1)
    expect(found).to_contain_text(certificate.number)
