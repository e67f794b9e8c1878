"""No page a demo role reaches scrolls sideways on a 360 px phone.

With the whole demo (demo_seed), each demo role — a visitor, the trainee, and every
staff role on /admin/ — opens its start pages in Chromium at 360×740 and follows the
links it is shown (same origin, GET only; no sign-out, downloads or action URLs), a
few pages per URL pattern. Every page whose document is wider than the viewport is
reported at once, each with a screenshot artifacts/screens/sideways-<role>-<slug>.png.
"""

import contextlib
import re
from collections import Counter, deque
from urllib.parse import urldefrag, urlsplit

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from demo.fixtures import DEMO_PASSWORD
from tests.e2e.conftest import (
    ARTIFACTS,
    NARROW_PHONE,
    document_width,
    screenshot,
    sign_in,
)

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

WIDTH = NARROW_PHONE["width"]
PER_PATTERN = 1  # pages per URL pattern (ids, codes and tokens folded, query ignored)
PER_ROLE = 40  # pages per role, to keep the walk within a few minutes

# role → (username or None for the visitor, signs in on /admin/, start paths)
ROLES = {
    "visitor": (None, False, ["/", "/courses/", "/verify/", "/notice/"]),
    "trainee": (
        "trainee",
        False,
        ["/me/", "/me/record/", "/me/subsidies/", "/", "/courses/"],
    ),
    "admin": ("admin", True, ["/admin/"]),
    "editor": ("editor", True, ["/admin/"]),
    "bureau_gz": ("bureau_gz", True, ["/admin/"]),
    "bureau_gy": ("bureau_gy", True, ["/admin/"]),
    "inst_a": ("inst_a", True, ["/admin/"]),
    "inst_b": ("inst_b", True, ["/admin/"]),
    "evaluator": ("evaluator", True, ["/admin/"]),
    "auditor": ("auditor", True, ["/admin/"]),
}

# Never followed: signing out or switching language, files, and addresses that act
# (their GET is a confirmation page at best).
SKIP = re.compile(
    r"logout|/i18n/|/documents/|/media/|/static/|"
    r"\.(pdf|png|jpe?g|svg|xlsx|csv|json|zip|txt)(\?|$)|"
    r"export|download|/delete/|/unpublish/|/copy/|/move/|/lock/|/unlock/|"
    r"/revert|/convert_alias/|/workflow/|/disable/|/enable/|/withdraw/|"
    r"/admin/bulk/|/api/|/\.well-known/|[?&](export|format)="
)


def pattern(url: str) -> str:
    """The URL's shape: segments holding a digit (ids, codes, tokens) folded, the
    query ignored — one occupation or class stands for all of them."""
    path = urlsplit(url).path
    return re.sub(r"/[^/]*\d[^/]*(?=/|$)", "/<n>", path)


def slug(url: str) -> str:
    split = urlsplit(url)
    text = (split.path + ("-" + split.query if split.query else "")).strip("/")
    return re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-")[:80] or "home"


def wanted(url: str, origin: str, admin: bool) -> bool:
    if not url.startswith(origin + "/") or SKIP.search(url):
        return False
    in_admin = urlsplit(url).path.startswith("/admin/")
    return in_admin if admin else not in_admin


def walk(page, origin: str, role: str, admin: bool, starts: list[str]):
    """Visit the role's pages breadth first; return (visited, [(url, width)])."""
    queue = deque(origin + start for start in starts)
    seen, per_pattern, visited, offenders = set(queue), Counter(), [], []
    while queue and len(visited) < PER_ROLE:
        url = queue.popleft()
        if per_pattern[pattern(url)] >= PER_PATTERN:
            continue
        try:
            response = page.goto(url, wait_until="domcontentloaded")
        except PlaywrightError as error:
            if "Download is starting" in str(error):
                continue  # a file (a template, an export) behind a plain link
            raise
        # A slow image or script does not stop the measuring: the layout is there.
        with contextlib.suppress(PlaywrightTimeout):
            page.wait_for_load_state("load", timeout=10_000)
        if response is None or not response.ok:
            continue
        if "text/html" not in (response.headers.get("content-type") or ""):
            continue
        per_pattern[pattern(url)] += 1
        visited.append(url)
        width = document_width(page)
        if width > WIDTH:
            offenders.append((url, width))
            screenshot(page, f"sideways-{role}-{slug(url)}")
        hrefs = page.eval_on_selector_all("a[href]", "els => els.map(e => e.href)")
        for href in hrefs:
            href = urldefrag(href)[0]
            if href not in seen and wanted(href, origin, admin):
                seen.add(href)
                queue.append(href)
    return visited, offenders


def news_page_with_every_block():
    """An editor's notice in the menu, with what tends to be wide: an eight-column
    table, a long address, a quote and a certificate's status box."""
    from certificates.models import Certificate
    from cms.models import HomePage, StandardPage

    row = [
        "电工（四级）",
        "520102",
        "2026-12-01",
        "1,200.00 元",
        "是",
        "32 人",
        "贵阳",
        "—",
    ]
    body = [
        ("heading", "2026 年补贴性培训目录"),
        (
            "paragraph",
            "<p>详见 https://rst.guizhou.gov.cn/zwgk/zdlyxx/jyzc/202612/t20261201_1234567890.html</p>",
        ),
        (
            "table",
            {
                "data": [
                    ["职业", "地区", "开班", "收费", "补贴", "名额", "城市", "备注"],
                    row,
                    row,
                ],
                "first_row_is_table_header": True,
                "first_col_is_header": False,
            },
        ),
        ("quote", {"quote": "技能成才，技能报国。", "source": "省人社厅"}),
        (
            "verification",
            {"reference": Certificate.objects.order_by("pk").first().number},
        ),
    ]
    HomePage.objects.get().add_child(
        instance=StandardPage(title="通知公告", show_in_menus=True, body=body)
    )


def test_no_page_a_demo_role_reaches_scrolls_sideways_at_360px(
    live_server, browser, reference
):
    from demo.services import demo_seed

    demo_seed()
    news_page_with_every_block()
    origin = live_server.url
    report, walked, total = [], [], 0
    for role, (username, admin, starts) in ROLES.items():
        context = browser.new_context(
            locale="zh-CN", viewport=NARROW_PHONE, is_mobile=True
        )
        page = context.new_page()
        page.set_default_timeout(20_000)
        try:
            if username and admin:
                sign_in(page, origin, username, DEMO_PASSWORD, admin=True)
            elif username:
                # conftest.sign_in clicks the first submit button of the page, which on
                # the public site is the header's language switch: use the form's own.
                page.goto(origin + "/accounts/login/")
                page.fill("#id_username", username)
                page.fill("#id_password", DEMO_PASSWORD)
                page.locator("main button[type=submit]").click()
                page.wait_for_load_state()
                assert "/login/" not in page.url, f"{username} could not sign in"
            visited, offenders = walk(page, origin, role, admin, starts)
        finally:
            context.close()
        assert len(visited) >= 3, f"{role} reached only {visited}"
        walked += [f"{role}: {len(visited)} pages"] + [f"  {url}" for url in visited]
        total += len(visited)
        report += [
            f"{role}: {url.removeprefix(origin)} is {width} px wide"
            for url, width in offenders
        ]
    # What was walked, for a person to check the coverage (not committed).
    (ARTIFACTS / "sideways-walk.txt").parent.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "sideways-walk.txt").write_text("\n".join(walked), encoding="utf-8")
    assert not report, (
        f"{len(report)} of {total} pages scroll sideways at {WIDTH} px:\n"
        + "\n".join(report)
    )


def test_the_measure_sees_a_page_wider_than_the_phone(live_server, browser):
    """The walk's check can fail: a 600 px wide element makes the document 600 px."""
    context = browser.new_context(viewport=NARROW_PHONE, is_mobile=True)
    page = context.new_page()
    page.set_content(
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<p>短</p><div style="width:600px">宽内容</div>'
    )
    assert document_width(page) >= 600
    page.set_content(
        '<meta name="viewport" content="width=device-width, initial-scale=1"><p>短</p>'
    )
    assert document_width(page) <= WIDTH
    context.close()
