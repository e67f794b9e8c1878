"""Editors keep the site right (issue 16, item 8): the home page's heading, cards and
menu are content; pages ticked "show in menus" are in the header; Chinese titles get
pinyin slugs; the body offers a news office's blocks; course pages name their owner."""

import json
import re

import pytest
from django.core.files.base import ContentFile
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from wagtail.blocks import StructBlockValidationError
from wagtail.documents.models import Document
from wagtail.models import PageViewRestriction, Site

from cms.blocks import BodyBlock, CardBlock
from cms.menus import menu_items
from cms.models import CourseIndexPage, CoursePage, HomePage, LinkPage, StandardPage
from cms.slugs import pinyin_slug
from tests.factories import CertificateFactory, CourseFactory, UserFactory

pytestmark = pytest.mark.django_db


def home() -> HomePage:
    return HomePage.objects.get()


def nav(client, path="/") -> str:
    body = client.get(path).content.decode()
    start = body.index('<ul class="nav">')
    return body[start : body.index("</ul>", start)]


# --- the home page ---------------------------------------------------------------------


def test_home_heading_and_cards_come_from_the_migrated_content(client):
    page = home()
    assert page.heading == "黔技通"
    assert [card.value["title"] for card in page.cards] == ["找培训", "查证书"]
    body = client.get("/").content.decode()
    assert '<a class="card" href="/courses/"><h2>找培训</h2>' in body
    assert '<a class="card" href="/verify/"><h2>查证书</h2>' in body


def test_an_editor_fixes_a_dead_card_link_and_changes_the_heading(client):
    page = home()
    page.heading = "黔技通 · 技能贵州"
    page.cards = [
        ("card", {"title": "看竞赛", "text": "", "page": None, "url": "/notices/"}),
        (
            "card",
            {
                "title": "找培训",
                "text": "",
                "page": CourseIndexPage.objects.get(),
                "url": "",
            },
        ),
    ]
    page.save_revision().publish()
    body = client.get("/").content.decode()
    assert "<h1>黔技通 · 技能贵州" in body
    assert '<a class="card" href="/notices/"><h2>看竞赛</h2>' in body
    assert '<a class="card" href="/courses/"><h2>找培训</h2>' in body
    assert "查证书</h2>" not in body


@pytest.mark.parametrize(
    ("page", "url", "message"),
    [
        (None, "", "二选一"),
        (True, "/verify/", "二选一"),
        (None, "verify", "以 / 或 https://"),
        (None, "/a b/", "以 / 或 https://"),
    ],
)
def test_a_card_links_to_one_page_or_one_address(page, url, message):
    target = CourseIndexPage.objects.get() if page else None
    block = CardBlock()
    with pytest.raises(StructBlockValidationError) as error:
        block.clean(
            block.to_python(
                {"title": "卡片", "text": "", "page": target and target.pk, "url": url}
            )
        )
    assert message in str(error.value.block_errors["url"])


def test_a_card_to_an_outside_address_is_valid():
    block = CardBlock()
    value = block.clean(
        block.to_python(
            {
                "title": "人社厅",
                "text": "",
                "page": None,
                "url": "https://rst.guizhou.gov.cn/",
            }
        )
    )
    assert value["url"] == "https://rst.guizhou.gov.cn/"


# --- the header menu -------------------------------------------------------------------


def test_menu_lists_pages_ticked_show_in_menus_in_tree_order(client):
    menu = nav(client)
    assert '<a href="/" aria-current="page">首页</a>' in menu
    assert '<a href="/courses/">培训课程</a>' in menu
    # 证书查询 is a 菜单链接 page: the menu points at its address, not at the page.
    assert '<a href="/verify/">证书查询</a>' in menu
    assert menu.index("培训课程") < menu.index("证书查询")

    about = home().add_child(
        instance=StandardPage(title="关于平台", show_in_menus=True)
    )
    home().add_child(instance=StandardPage(title="办事指南"))  # not ticked
    draft = home().add_child(instance=StandardPage(title="草稿页", show_in_menus=True))
    draft.unpublish()
    menu = nav(client)
    assert f'<a href="{about.url}">关于平台</a>' in menu
    assert "办事指南" not in menu
    assert "草稿页" not in menu


def test_menu_marks_the_current_section_and_works_outside_the_page_tree(client):
    assert '<a href="/courses/" aria-current="page">' in nav(client, "/courses/")
    verify = nav(client, "/verify/")
    assert '<a href="/verify/" aria-current="page">证书查询</a>' in verify
    assert 'href="/" aria-current' not in verify


def test_menu_leaves_out_private_pages(client):
    private = home().add_child(
        instance=StandardPage(title="内部通知", show_in_menus=True)
    )
    PageViewRestriction.objects.create(page=private, restriction_type="login")
    assert "内部通知" not in nav(client)


@pytest.mark.parametrize("site_known", [True, False])
def test_menu_is_one_query_however_many_items(site_known):
    before = len(menu_items(RequestFactory().get("/")))
    for n in range(6):
        home().add_child(instance=StandardPage(title=f"栏目{n}", show_in_menus=True))
    request = RequestFactory().get("/")
    if site_known:
        Site.find_for_request(request)  # as Wagtail's page serving has done
    with CaptureQueriesContext(connection) as queries:
        items = menu_items(request)
    assert [item.title for item in items][:3] == ["首页", "培训课程", "证书查询"]
    assert len(items) == before + 6
    assert len(queries) == 1, [q["sql"] for q in queries]


def test_menu_titles_follow_the_language(client):
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    menu = nav(client)
    assert ">Courses</a>" in menu
    assert ">Verify a certificate</a>" in menu


def test_a_link_page_sends_its_visitors_to_its_address(client):
    link = LinkPage.objects.get()
    response = client.get(link.url)
    assert response.status_code == 302
    assert response.headers["Location"] == "/verify/"


# --- readable slugs --------------------------------------------------------------------


def test_pinyin_slugs():
    assert pinyin_slug("新闻公告") == "xin-wen-gong-gao"
    assert pinyin_slug("2026年 电工（四级）培训") == "2026-nian-dian-gong-si-ji-pei-xun"
    assert len(pinyin_slug("职业技能" * 40)) <= 80


def test_a_page_made_in_code_gets_a_pinyin_slug():
    page = home().add_child(instance=StandardPage(title="通知公告"))
    assert page.slug == "tong-zhi-gong-gao"
    again = home().add_child(instance=StandardPage(title="通知公告"))
    assert again.slug == "tong-zhi-gong-gao-2"
    assert again.url == "/tong-zhi-gong-gao-2/"


def admin_create(client, title, slug=""):
    parent = home()
    client.force_login(UserFactory(is_superuser=True, is_staff=True))
    return client.post(
        f"/admin/pages/add/cms/standardpage/{parent.pk}/",
        {
            "title": title,
            "slug": slug,
            "body-count": "0",
            "action-publish": "publish",
        },
    )


def test_the_admin_fills_an_empty_slug_with_pinyin(client):
    response = admin_create(client, "新闻公告")
    assert response.status_code == 302, response.content.decode()[:2000]
    page = StandardPage.objects.get(title="新闻公告")
    assert page.slug == "xin-wen-gong-gao"
    assert page.url == "/xin-wen-gong-gao/"
    # A second page of the same title takes the next free slug instead of an error.
    assert admin_create(client, "新闻公告").status_code == 302
    assert StandardPage.objects.filter(slug="xin-wen-gong-gao-2").exists()


def test_the_admin_turns_chinese_typed_into_the_slug_into_pinyin(client):
    assert admin_create(client, "关于我们", slug="关于").status_code == 302
    assert StandardPage.objects.get(title="关于我们").slug == "guan-yu"


def test_the_admin_keeps_the_slug_an_editor_chose(client):
    assert admin_create(client, "关于平台", slug="about").status_code == 302
    assert StandardPage.objects.get(title="关于平台").url == "/about/"


def test_the_admin_slug_field_is_told_to_keep_ascii(client):
    client.force_login(UserFactory(is_superuser=True, is_staff=True))
    body = client.get(
        f"/admin/pages/add/cms/standardpage/{home().pk}/"
    ).content.decode()
    # Django leaves a False attribute out; Wagtail's slug controller then keeps ASCII.
    assert 'data-controller="w-slug"' in body
    assert "data-w-slug-allow-unicode-value" not in body
    assert "留空则按标题拼音自动生成" in body


# --- body blocks -----------------------------------------------------------------------


def test_body_offers_a_news_offices_blocks():
    assert set(BodyBlock.base_blocks) == {
        "heading",
        "paragraph",
        "image",
        "document",
        "table",
        "quote",
        "verification",
    }


def test_a_news_page_renders_its_blocks(client, reference):
    document = Document.objects.create(title="2026 年补贴目录")
    document.file.save("mulu.pdf", ContentFile(b"%PDF-1.4 test"))
    certificate = CertificateFactory()
    body = [
        ("heading", "报名须知"),
        ("paragraph", "<p>请携带身份证。</p>"),
        ("document", {"document": document, "label": ""}),
        (
            "table",
            {
                "data": [["职业", "补贴"], ["电工", "1200 元"]],
                "first_row_is_table_header": True,
                "first_col_is_header": False,
            },
        ),
        ("quote", {"quote": "技能成才，技能报国。", "source": "省人社厅"}),
        ("verification", {"reference": certificate.number}),
    ]
    page = home().add_child(instance=StandardPage(title="公告", body=body))
    html = re.sub(r"\s+", " ", client.get(page.url).content.decode())
    assert "<h2>报名须知</h2>" in html
    assert "请携带身份证。" in html
    assert f'href="{document.url}">2026 年补贴目录</a>' in html
    assert '<div class="table-scroll"' in html and "<td > 1200 元 </td>" in html
    assert "<blockquote>技能成才，技能报国。</blockquote>" in html
    assert certificate.number in html
    assert 'data-status="valid"' in html
    # Masked as on the public verification page.
    assert certificate.holder_name not in html
    assert certificate.holder_id_masked in html


def test_a_verification_block_takes_the_verification_link_too(reference):
    certificate = CertificateFactory()
    block = BodyBlock.base_blocks["verification"]
    link = f"https://example.org/verify/{certificate.token}/"
    value = block.clean(block.to_python({"reference": link}))
    assert certificate.number in block.render(value)


def test_a_verification_block_refuses_an_unknown_certificate():
    block = BodyBlock.base_blocks["verification"]
    with pytest.raises(StructBlockValidationError) as error:
        block.clean(block.to_python({"reference": "PX5226999999000001"}))
    assert "未找到该证书" in str(error.value.block_errors["reference"])


# --- course pages ----------------------------------------------------------------------


def test_a_course_page_says_which_institution_runs_it(client, reference):
    course = CourseFactory()
    page = CourseIndexPage.objects.get().add_child(
        instance=CoursePage(title=course.title, course=course)
    )
    html = client.get(page.url).content.decode()
    assert f'<p class="owner">举办机构：{course.institution.name}' in html


def test_editors_open_the_home_page_and_a_news_page_in_the_admin(client):
    client.force_login(UserFactory(is_superuser=True, is_staff=True))
    response = client.get(f"/admin/pages/{home().pk}/edit/")
    assert response.status_code == 200
    body = response.content.decode()
    for label in ("主标题", "入口卡片", "页头菜单"):
        assert label in body
    response = client.get(f"/admin/pages/add/cms/standardpage/{home().pk}/")
    body = response.content.decode()
    for label in ("表格", "引用", "证书核验结果", "文件下载", "图片"):
        # Block labels travel in the editor's JSON, \u-escaped.
        assert json.dumps(label)[1:-1] in body
