"""The auditor's scanner (/verify/scan/) in Chromium with a fake camera.

Chromium is started with a Y4M video made here from the platform's own QR images
(``rendering.qr_png`` of each certificate's QR text) as its camera
(``--use-file-for-fake-video-capture``), a new browser per video. The page reads the QR,
checks the Ed25519 signature in the browser and shows the verdict; offline (after one
visit) the service worker's copies of the keys and the revocation list still give the
authenticity verdict and the revocation state as of the list.
"""

import csv
import io
import os
from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse
from PIL import Image
from playwright.sync_api import expect

from certificates import selectors, services
from certificates.rendering import qr_png
from certificates.scan_models import SpotCheck
from certificates.signing import QR_PARAM
from tests.certificates.admin_world import make_world
from tests.e2e.conftest import (
    CHROMIUM,
    CHROMIUM_ARGS,
    NARROW_PHONE,
    document_width,
    screenshot,
    sign_in,
)
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

FRAME = 480  # pixels; even, as 4:2:0 needs
FOREIGN_QR = "https://zhengshu.example.org/chaxun?id=A1234567&sig=abcdef"


def tampered(text: str) -> str:
    """The QR text with one character of its signature changed."""
    signed = parse_qs(urlsplit(text).query)[QR_PARAM][0]
    i = len(signed) - 10
    forged = signed[:i] + ("A" if signed[i] != "A" else "B") + signed[i + 1 :]
    return text.replace(signed, forged)


def qr_frame(text: str) -> bytes:
    """One grey frame (FRAME × FRAME) holding the app's own QR image of ``text``."""
    qr = Image.open(io.BytesIO(qr_png(text))).convert("L")
    side = FRAME - 40
    qr = qr.resize((side, side), Image.Resampling.NEAREST)
    frame = Image.new("L", (FRAME, FRAME), 255)
    frame.paste(qr, (20, 20))
    return frame.tobytes()


def write_y4m(path, texts, *, frames_each=8, fps=5, tail=40):
    """A YUV4MPEG2 video showing each QR for ``frames_each`` frames with a short blank
    between them, then ``tail`` blank frames: the video loops, and the pause keeps a QR
    from coming round again while a test still counts the scans of the first pass.

    4:2:0: the luma plane is the grey image, both chroma planes a flat 128 (no colour).
    """
    chroma = bytes([128]) * ((FRAME // 2) * (FRAME // 2) * 2)
    blank = bytes([255]) * (FRAME * FRAME)
    with open(path, "wb") as out:
        out.write(f"YUV4MPEG2 W{FRAME} H{FRAME} F{fps}:1 Ip A1:1 C420jpeg\n".encode())
        for text in texts:
            luma = qr_frame(text)
            for _n in range(frames_each):
                out.write(b"FRAME\n" + luma + chroma)
            for _n in range(2):
                out.write(b"FRAME\n" + blank + chroma)
        for _n in range(tail):
            out.write(b"FRAME\n" + blank + chroma)
    return path


@pytest.fixture
def camera(live_server, tmp_path):
    """``camera(texts)``: a new Chromium whose camera shows those QRs (looping)."""
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    playwright = sync_playwright().start()
    browsers = []

    def launch(texts):
        video = write_y4m(tmp_path / f"camera-{len(browsers)}.y4m", texts)
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                *CHROMIUM_ARGS,
                "--use-fake-device-for-media-stream",
                "--use-fake-ui-for-media-stream",
                f"--use-file-for-fake-video-capture={video}",
            ],
        )
        browsers.append(browser)
        return browser

    yield launch
    for browser in browsers:
        browser.close()
    playwright.stop()
    from django.db import connections

    connections.close_all()


def new_page(browser, *, viewport=NARROW_PHONE):
    context = browser.new_context(
        locale="zh-CN", viewport=viewport, permissions=["camera"]
    )
    page = context.new_page()
    page.set_default_timeout(20_000)
    return context, page


@pytest.fixture
def scanned(live_server, reference, settings):
    """The world; cert_a valid, cert_b revoked; the four QRs the tests show."""
    settings.PUBLIC_BASE_URL = live_server.url
    world = make_world()
    valid, revoked = world["cert_a"], world["cert_b"]
    texts = {
        "valid": selectors.certificate_qr_text(valid),
        "revoked": selectors.certificate_qr_text(revoked),  # printed while valid
        "tampered": tampered(selectors.certificate_qr_text(valid)),
        "foreign": FOREIGN_QR,
    }
    services.certificate_revoke(
        actor=world["users"]["inst_b"], certificate=revoked, reason="考核材料不实"
    )
    revoked.refresh_from_db()
    world["texts"] = texts
    return world


def open_scanner(page, url):
    page.goto(url + reverse("certificate_scan"))
    expect(page.locator("body[data-scanner=ready]")).to_have_count(1)


def check(page, name):
    return page.locator(f"#scan-result [data-check={name}]")


@pytest.mark.parametrize("case", ["valid", "revoked", "tampered", "foreign"])
def test_each_qr_is_shown_for_what_it_is(live_server, scanned, camera, case):
    world = scanned
    context, page = new_page(camera([world["texts"][case]]))
    open_scanner(page, live_server.url)
    page.locator("#scan-start").click()
    result = page.locator("#scan-result")
    valid, revoked = world["cert_a"], world["cert_b"]
    if case == "valid":
        expect(result).to_have_attribute("data-verdict", "genuine")
        expect(result.locator("strong[data-status=valid]")).to_have_text("有效")
        expect(result.locator("[data-fact=number]")).to_have_text(valid.number)
        expect(result.locator("[data-fact=holder]")).to_have_text(
            valid.masked_holder_name
        )
        expect(result.locator("[data-fact=issuer]")).to_contain_text(valid.issuer_name)
        for name in ("signature", "key", "revocation", "expiry"):
            expect(check(page, name)).to_have_attribute("data-result", "passed")
        expect(check(page, "signature")).to_contain_text("通过")
        expect(check(page, "revocation")).to_contain_text("未撤销（截至")
        expect(page.get_by_text(valid.holder_name, exact=True)).to_have_count(0)
        assert document_width(page) <= NARROW_PHONE["width"] + 1
        screenshot(page, "scanner-valid-360")
    elif case == "revoked":
        expect(result).to_have_attribute("data-verdict", "genuine")
        expect(result.locator("strong[data-status=revoked]")).to_have_text("已撤销")
        expect(check(page, "signature")).to_have_attribute("data-result", "passed")
        expect(check(page, "revocation")).to_have_attribute("data-result", "failed")
        expect(check(page, "revocation")).to_contain_text(
            f"已于 {revoked.revoked_at.date():%Y-%m-%d} 撤销，原因：考核材料不实"
        )
        expect(check(page, "revocation")).to_contain_text("未通过")
    elif case == "tampered":
        expect(result).to_have_attribute("data-verdict", "tampered")
        expect(result).to_contain_text("不是真实的证书")
        expect(result).to_contain_text("签名无效：内容被篡改")
        # Nothing the forged QR claims is shown as if it were genuine.
        expect(page.get_by_text(valid.number)).to_have_count(0)
        expect(result.locator("[data-check]")).to_have_count(0)
        screenshot(page, "scanner-tampered-360")
    else:
        expect(result).to_have_attribute("data-verdict", "foreign")
        expect(result).to_contain_text("不是本平台的证书二维码")
        expect(result.locator("[data-check]")).to_have_count(0)
    context.close()


def rows(page):
    return page.locator("#scan-table tbody tr")


def row(page, verdict, status=None):
    selector = f"#scan-table tbody tr[data-verdict={verdict}]"
    if status:
        selector += f"[data-status={status}]"
    return page.locator(selector)


def test_offline_scans_still_prove_authenticity_and_the_list_exports(
    live_server, scanned, camera, tmp_path
):
    world = scanned
    texts = world["texts"]
    valid, revoked = world["cert_a"], world["cert_b"]
    browser = camera([texts[k] for k in ("valid", "revoked", "tampered", "foreign")])
    context, page = new_page(browser)
    # First visit online: the service worker installs and keeps the page, its files,
    # the keys and the revocation list.
    open_scanner(page, live_server.url)
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    page.reload()
    expect(page.locator("body[data-scanner=ready]")).to_have_count(1)
    assert page.evaluate("!!navigator.serviceWorker.controller")
    expect(page.locator("#scan-list-state")).to_have_attribute("data-list", "fresh")

    context.set_offline(True)
    page.reload()  # from the service worker's copy
    expect(page.locator("body[data-scanner=ready]")).to_have_count(1)
    expect(page.locator("#scan-network")).to_have_attribute("data-online", "no")
    expect(page.locator("#scan-list-state")).to_contain_text("撤销名单：截至")
    page.locator("#scan-spot").check()
    page.locator("#scan-start").click()
    expect(rows(page)).to_have_count(4, timeout=30_000)
    page.locator("#scan-stop").click()

    good = row(page, "genuine", "valid")
    expect(good).to_have_count(1)
    expect(good).to_contain_text(valid.number)
    expect(good).to_contain_text(valid.masked_holder_name)
    expect(good).to_have_attribute("data-pending", "yes")
    bad = row(page, "genuine", "revoked")
    expect(bad).to_have_count(1)
    expect(bad).to_contain_text(revoked.number)
    expect(row(page, "tampered")).to_contain_text("签名无效")
    expect(row(page, "foreign")).to_contain_text("不是本平台的证书二维码")
    expect(row(page, "tampered")).not_to_contain_text(valid.number)

    # The list exports while offline: CSV and XLSX are made in the page.
    with page.expect_download() as caught:
        page.locator("#scan-export-csv").click()
    csv_path = tmp_path / "list.csv"
    caught.value.save_as(csv_path)
    table = list(csv.reader(io.StringIO(csv_path.read_text(encoding="utf-8-sig"))))
    assert table[0][:5] == ["时间", "证书编号", "持证人", "签名核验", "证书状态"]
    by_number = {line[1]: line for line in table[1:]}
    assert by_number[valid.number][3:5] == ["签名有效", "有效（等待联网复核）"]
    assert by_number[valid.number][5].startswith("未撤销（截至")
    assert by_number[revoked.number][4].startswith("已撤销")
    assert by_number[revoked.number][5].startswith(
        f"已于 {revoked.revoked_at.date():%Y-%m-%d} 撤销"
    )
    assert sorted(line[3] for line in table[1:] if line[1] == "—") == [
        "不是本平台的证书二维码",
        "签名无效：内容被篡改",
    ]
    assert valid.holder_name not in csv_path.read_text(encoding="utf-8-sig")

    with page.expect_download() as caught:
        page.locator("#scan-export-xlsx").click()
    xlsx_path = tmp_path / "list.xlsx"
    caught.value.save_as(xlsx_path)
    from openpyxl import load_workbook

    sheet = load_workbook(xlsx_path).active
    cells = [[c.value for c in r] for r in sheet.iter_rows()]
    assert cells[0] == table[0]
    assert sorted(map(tuple, cells[1:])) == sorted(map(tuple, table[1:]))

    # The network returns: the offline scans are checked against the platform.
    context.set_offline(False)
    expect(page.locator("#scan-table tbody tr[data-pending=yes]")).to_have_count(0)
    expect(row(page, "genuine", "valid")).to_contain_text("有效")
    expect(row(page, "genuine", "revoked")).to_have_count(1)
    screenshot(page, "scanner-spot-check-360")
    context.close()


def test_an_auditor_saves_the_session_and_finds_it_in_the_back_office(
    live_server, scanned, camera
):
    world = scanned
    texts = world["texts"]
    auditor = world["users"]["auditor_gz"]
    browser = camera([texts["valid"], texts["tampered"]])
    context, page = new_page(browser, viewport={"width": 1366, "height": 768})
    sign_in(page, live_server.url, auditor.username, PASSWORD)
    open_scanner(page, live_server.url)
    page.locator("#scan-spot").check()
    expect(page.locator("#scan-save")).to_be_visible()
    page.locator("#scan-start").click()
    expect(rows(page)).to_have_count(2, timeout=30_000)
    page.locator("#scan-stop").click()
    page.locator("#scan-place").fill("贵阳甲培训学校（南明区）")
    page.locator("#scan-save button[type=submit]").click()
    expect(page.locator("#scan-save-state")).to_contain_text("已保存为核查记录（2 条）")
    spot_check = SpotCheck.objects.get()
    assert spot_check.checked_by == auditor
    assert sorted(spot_check.items.values_list("verdict", flat=True)) == [
        "genuine",
        "tampered",
    ]

    page.goto(live_server.url + reverse("spotcheck:index"))
    expect(page.locator("#spot-check-count")).to_contain_text("共 1 条")
    listing = page.locator("table.listing tbody tr")
    expect(listing).to_have_count(1)
    expect(listing).to_contain_text("贵阳甲培训学校（南明区）")
    listing.get_by_role("link").first.click()
    expect(page.locator("#spot-check-place")).to_have_text("贵阳甲培训学校（南明区）")
    items = page.locator("#spot-check-items tbody tr")
    expect(items).to_have_count(2)
    expect(items.filter(has_text=world["cert_a"].number)).to_contain_text("签名有效")
    expect(page.locator("#spot-check-items tr[data-verdict=tampered]")).to_contain_text(
        "签名无效"
    )
    context.close()


def test_a_stale_list_is_said_plainly_offline(live_server, scanned, camera, settings):
    settings.CERTIFICATE_REVOCATIONS_TTL = 2  # seconds: stale almost at once
    world = scanned
    context, page = new_page(camera([world["texts"]["valid"]]))
    open_scanner(page, live_server.url)
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    page.reload()
    expect(page.locator("body[data-scanner=ready]")).to_have_count(1)
    context.set_offline(True)
    page.wait_for_timeout(3_000)
    page.reload()
    expect(page.locator("body[data-scanner=ready]")).to_have_count(1)
    state = page.locator("#scan-list-state")
    expect(state).to_have_attribute("data-list", "stale")
    expect(state).to_contain_text("撤销名单已过期，请联网更新")
    page.locator("#scan-start").click()
    revocation = check(page, "revocation")
    expect(revocation).to_have_attribute("data-result", "warned")
    expect(revocation).to_contain_text("未撤销（截至")
    expect(revocation).to_contain_text("撤销名单已过期，请联网更新")
    expect(revocation).to_contain_text("等待联网复核")
    expect(check(page, "signature")).to_have_attribute("data-result", "passed")
    # Back online: the scan is asked of the platform again.
    context.set_offline(False)
    expect(revocation).to_have_attribute("data-result", "passed")
    expect(revocation).to_contain_text("平台实时查询")
    context.close()


def _sign_v1(token, number, *, kid=None, seed=None):
    """A version 1 payload (printed before v2) signed with the active or a given key."""
    from django.conf import settings as django_settings

    from certificates import signing

    kid = kid or django_settings.CERTIFICATE_SIGNING_ACTIVE_KEY
    seed = seed or django_settings.CERTIFICATE_SIGNING_KEYS[kid]
    payload = f"1|{token}|{number}|training|6-31-01-03||20260101||张*".encode()
    signed = f"{kid}.{signing._b64url(payload)}"
    signature = signing._private_key(seed).sign(signed.encode("ascii"))
    return f"{signed}.{signing._b64url(signature)}"


def test_the_browser_verifier_answers_exactly_as_signing_py(
    live_server, scanned, page, settings
):
    """Every kind of QR text, checked by qrverify.js in Chromium and by
    signing.verify_qr_text: the same verdict and the same reason."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from certificates.signing import verify_qr_text

    retired_seed = b"r" * 32
    retired_public = (
        Ed25519PrivateKey.from_private_bytes(retired_seed)
        .public_key()
        .public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    )
    settings.CERTIFICATE_RETIRED_PUBLIC_KEYS = {"old2024": retired_public}
    world = scanned
    a, b = world["cert_a"], world["cert_b"]
    good = world["texts"]["valid"]
    base, signed = good.split(f"?{QR_PARAM}=")
    kid, payload, signature = signed.split(".")
    url_b = world["texts"]["revoked"].split("?")[0]
    cases = {
        "genuine": good,
        "revoked but genuine": world["texts"]["revoked"],
        "signature changed": world["texts"]["tampered"],
        "payload changed": f"{base}?{QR_PARAM}={kid}.{payload[:-3]}A{payload[-2:]}.{signature}",
        "unknown key": f"{base}?{QR_PARAM}=zz9.{payload}.{signature}",
        "moved to another URL": f"{url_b}?{QR_PARAM}={signed}",
        "two parts": f"{base}?{QR_PARAM}={kid}.{payload}",
        "bad key id": f"{base}?{QR_PARAM}=k!d.{payload}.{signature}",
        "not base64": f"{base}?{QR_PARAM}={kid}.{payload}.{signature[:-2]}*",
        "short signature": f"{base}?{QR_PARAM}={kid}.{payload}.{signature[:40]}",
        "over-long signed": f"{base}?{QR_PARAM}={kid}.{'A' * 1100}.{signature}",
        "over-long text": f"{good}&x={'A' * 4100}",
        "two s": f"{good}&{QR_PARAM}={signed}",
        "no s": base,
        "another site": FOREIGN_QR,
        "plain words": "证书编号 S000001",
        "empty": "   ",
        "v1 genuine": f"{base}?{QR_PARAM}={_sign_v1(a.token, a.number)}",
        "v1 on retired key": f"{base}?{QR_PARAM}="
        + _sign_v1(a.token, a.number, kid="old2024", seed=retired_seed),
        "too many fields": f"{good}" + "&y=1" * 25,
    }
    assert b.token in url_b
    page.goto(live_server.url + reverse("certificate_scan"))
    expect(page.locator("body[data-scanner=ready]")).to_have_count(1)
    answers = page.evaluate(
        """async (cases) => {
            const doc = await (await fetch('/.well-known/certificate-keys.json')).json();
            const keys = await QJTVerify.importKeys(doc);
            const out = {};
            for (const [name, text] of Object.entries(cases)) {
                const c = await QJTVerify.verifyQrText(text, keys);
                out[name] = {genuine: c.genuine, reason: c.reason, verdict: c.verdict,
                             number: c.payload ? c.payload.number : null,
                             retired: !!c.retiredKey};
            }
            return out;
        }""",
        cases,
    )
    from certificates.scan import verdict_of

    for name, text in cases.items():
        expected = verify_qr_text(text)
        got = answers[name]
        assert (got["genuine"], got["reason"]) == (expected.genuine, expected.reason), (
            name
        )
        assert got["verdict"] == verdict_of(expected), name
        if expected.genuine:
            assert got["number"] == expected.payload.number, name
        else:
            assert got["number"] is None, name
    assert answers["genuine"]["genuine"] and answers["v1 genuine"]["genuine"]
    assert answers["v1 on retired key"] == {
        "genuine": True,
        "reason": "签名有效",
        "verdict": "genuine",
        "number": a.number,
        "retired": True,
    }
    assert answers["signature changed"]["verdict"] == "tampered"
    assert answers["another site"]["verdict"] == "foreign"
