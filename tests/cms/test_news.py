"""News on the public site (issue 12, item 4): /news/ with categories, tags, pages and
feeds, news pages in both languages, page-type rules and alt text on every picture."""

import pytest
from defusedxml import ElementTree as ET
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from wagtail.blocks import StructBlockValidationError
from wagtail.images import get_image_model
from wagtail.models import Page, PageViewRestriction
from wagtail.test.utils import WagtailPageTestCase
from wagtail.test.utils.form_data import nested_form_data, rich_text, streamfield

from cms.blocks import NewsImageBlock
from cms.models import (
    CourseIndexPage,
    HomePage,
    NewsCategory,
    NewsIndexPage,
    NewsPage,
    StandardPage,
)
from tests.cms.news_helpers import (
    add_news,
    make_image,
    news_index,
    paragraph,
    png_bytes,
)
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

ATOM = "{http://www.w3.org/2005/Atom}"


def titles(response):
    return [item.title for item in response.context["news_items"]]


# --- the index --------------------------------------------------------------------------


def test_the_news_index_is_at_news_and_in_the_menu(client):
    index = news_index()
    assert isinstance(index.get_parent().specific, HomePage)
    assert index.url == "/news/"
    assert index.live and index.show_in_menus
    assert 'href="/news/"' in client.get("/").content.decode()


def test_newest_first_with_a_count_line_and_pages(client):
    for day in range(12):
        add_news(f"新闻{day:02d}", days_ago=day)
    response = client.get("/news/")
    assert response.status_code == 200
    assert titles(response) == [f"新闻{day:02d}" for day in range(10)]
    body = response.content.decode()
    assert "共 12 条新闻" in body
    assert 'href="?page=2"' in body
    second = client.get("/news/?page=2")
    assert titles(second) == ["新闻10", "新闻11"]
    # A page number past the end shows the last page rather than an error.
    assert titles(client.get("/news/?page=99")) == ["新闻10", "新闻11"]


def test_only_live_public_news_is_listed(client):
    add_news("已发布")
    add_news("草稿", live=False)
    private = add_news("内部通知")
    PageViewRestriction.objects.create(
        page=private, restriction_type=PageViewRestriction.LOGIN
    )
    assert titles(client.get("/news/")) == ["已发布"]


def test_category_and_tag_filters_in_the_url(client):
    add_news("电工政策", category=NewsCategory.POLICY, tags=["电工"], days_ago=1)
    add_news("焊工政策", category=NewsCategory.POLICY, tags=["焊工"], days_ago=2)
    add_news("电工大赛", category=NewsCategory.COMPETITION, tags=["电工", "技能大赛"])
    add_news("培训资讯", category=NewsCategory.TRAINING)

    assert titles(client.get("/news/?category=policy")) == ["电工政策", "焊工政策"]
    assert titles(client.get("/news/?tag=电工")) == ["电工大赛", "电工政策"]
    response = client.get("/news/?category=policy&tag=电工")
    assert titles(response) == ["电工政策"]
    body = response.content.decode()
    assert "共 1 条新闻 · 政策通知 · 标签：电工" in body
    assert 'aria-current="page">政策通知</a>' in body
    # The tag links on a row keep the category chosen and start again at page 1.
    assert 'href="?category=policy&amp;tag=%E7%94%B5%E5%B7%A5"' in body


def test_unknown_filters_select_nothing_and_say_so(client):
    add_news("培训资讯")
    for query in ("?category=sports", "?tag=不存在"):
        response = client.get(f"/news/{query}")
        assert titles(response) == []
        body = response.content.decode()
        assert "共 0 条新闻" in body
        assert "暂无符合条件的新闻。" in body


def test_the_list_shows_rendition_thumbnails_with_alt_text(client):
    add_news("有图新闻", image=make_image("技能大赛开幕式现场"), tags=["技能大赛"])
    body = client.get("/news/").content.decode()
    assert 'alt="技能大赛开幕式现场"' in body
    assert ".fill-320x180" in body
    assert 'rel="tag">技能大赛</a>' in body


def _count_queries(client, url):
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_the_list_costs_the_same_queries_for_n_and_3n_news(client):
    def seed(count, start):
        for number in range(start, start + count):
            add_news(
                f"新闻{number}",
                tags=["电工", f"标签{number}"],
                image=make_image(f"图片{number}"),
                category=NewsCategory.POLICY,
            )

    seed(3, 0)
    client.get("/news/?category=policy")  # warm the renditions and the site cache
    few = _count_queries(client, "/news/?category=policy")
    seed(6, 3)
    client.get("/news/?category=policy")
    many = _count_queries(client, "/news/?category=policy")
    assert len(titles(client.get("/news/?category=policy"))) == 9
    assert many == few


# --- feeds ------------------------------------------------------------------------------


def test_the_index_announces_its_feeds_with_the_same_filters(client):
    body = client.get("/news/?category=policy").content.decode()
    assert (
        '<link rel="alternate" type="application/rss+xml" title="新闻动态 (RSS)" '
        'href="/news/feed/rss/?category=policy">' in body
    )
    assert 'type="application/atom+xml"' in body
    assert 'href="/news/feed/atom/?category=policy"' in body


def test_rss_feed_lists_live_news_and_honours_filters(client):
    add_news("电工政策", category=NewsCategory.POLICY, tags=["电工"], days_ago=1)
    add_news("电工大赛", category=NewsCategory.COMPETITION, tags=["电工"])
    add_news("草稿", live=False)
    response = client.get("/news/feed/rss/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/rss+xml")
    channel = ET.fromstring(response.content).find("channel")
    items = channel.findall("item")
    assert [item.findtext("title") for item in items] == ["电工大赛", "电工政策"]
    assert items[0].findtext("link") == "http://localhost/news/dian-gong-da-sai/"
    assert {c.text for c in items[1].findall("category")} == {"政策通知", "电工"}

    filtered = client.get("/news/feed/rss/?category=policy&tag=电工")
    channel = ET.fromstring(filtered.content).find("channel")
    assert [item.findtext("title") for item in channel.findall("item")] == ["电工政策"]
    assert channel.findtext("title") == "黔技通 · 新闻动态 · 政策通知 · 电工"


def test_atom_feed_is_valid_atom_with_the_same_filter(client):
    add_news("电工政策", category=NewsCategory.POLICY, summary="一句话摘要")
    add_news("培训资讯", category=NewsCategory.TRAINING)
    response = client.get("/news/feed/atom/?category=policy")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/atom+xml")
    feed = ET.fromstring(response.content)
    assert feed.tag == f"{ATOM}feed"
    entries = feed.findall(f"{ATOM}entry")
    assert [entry.findtext(f"{ATOM}title") for entry in entries] == ["电工政策"]
    assert entries[0].findtext(f"{ATOM}summary") == "一句话摘要"
    assert entries[0].find(f"{ATOM}updated") is not None


# --- the news page, both languages ---------------------------------------------------


BODY = [
    {"type": "heading", "value": "考核安排", "id": "h1"},
    paragraph("高压电工作业人员须持证上岗。"),
    {
        "type": "table",
        "value": {
            "first_row_is_table_header": True,
            "first_col_is_header": False,
            "data": [["科目", "时间"], ["理论", "上午"]],
        },
        "id": "t1",
    },
    {"type": "quote", "value": {"quote": "技能成才", "source": "人社厅"}, "id": "q1"},
]


def test_a_news_page_renders_its_blocks(client):
    image = make_image("电工在配电柜前作业")
    body = [
        *BODY,
        {
            "type": "image",
            "value": {"image": image.pk, "alt": "", "caption": "实操考核"},
            "id": "i1",
        },
    ]
    page = add_news(
        "特种作业持证上岗",
        category=NewsCategory.POLICY,
        tags=["电工"],
        body=body,
        summary="关于持证上岗的通知",
    )
    response = client.get(page.url)
    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="zh-hans">' in html
    for text in ("<h2>考核安排</h2>", "高压电工作业", "<th", "技能成才", "政策通知"):
        assert text in html
    # The picture is a rendition in several widths, its alt text the image's description.
    assert "<picture>" in html and "srcset=" in html
    assert 'alt="电工在配电柜前作业"' in html
    assert 'href="/news/?tag=%E7%94%B5%E5%B7%A5" rel="tag">电工</a>' in html


def test_news_pages_render_in_english(client):
    page = add_news("电工大赛", category=NewsCategory.COMPETITION, tags=["电工"])
    index = client.get("/news/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert '<html lang="en">' in index
    assert "1 news item" in index
    assert "Competitions" in index and "Policy notices" in index
    detail = client.get(page.url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert '<html lang="en">' in detail
    assert "Back to the news" in detail
    empty = client.get("/news/?tag=x", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "No news matches these filters." in empty
    feed = client.get("/news/feed/rss/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Competitions" in feed


# --- editors' rules --------------------------------------------------------------------


class NewsPageTypeTests(WagtailPageTestCase):
    def test_news_lives_only_under_the_news_index(self):
        self.assertAllowedParentPageTypes(NewsIndexPage, {HomePage})
        self.assertAllowedSubpageTypes(NewsIndexPage, {NewsPage})
        self.assertAllowedParentPageTypes(NewsPage, {NewsIndexPage})
        self.assertAllowedSubpageTypes(NewsPage, set())
        self.assertCanNotCreateAt(HomePage, NewsPage)
        self.assertCanNotCreateAt(StandardPage, NewsPage)
        self.assertCanNotCreateAt(CourseIndexPage, NewsPage)
        self.assertCanNotCreateAt(NewsPage, NewsPage)
        self.assertCanNotCreateAt(NewsIndexPage, StandardPage)
        self.assertCanCreateAt(NewsIndexPage, NewsPage)

    def test_there_is_one_news_index(self):
        home = HomePage.objects.get()
        self.assertFalse(NewsIndexPage.can_create_at(home))  # max_count 1, it exists
        NewsIndexPage.objects.get().delete()
        self.assertTrue(NewsIndexPage.can_create_at(Page.objects.get(pk=home.pk)))

    def test_a_news_page_can_be_previewed(self):
        page = add_news("预览新闻", body=BODY, tags=["电工"])
        self.client.force_login(UserFactory(is_superuser=True, is_staff=True))
        post_data = nested_form_data(
            {
                "title": "预览新闻",
                "slug": page.slug,
                "date": "2026-11-30",
                "category": "policy",
                "summary": "预览时的摘要",
                "tags": "电工",
                "body": streamfield(
                    [
                        ("heading", "考核安排"),
                        ("paragraph", rich_text("<p>高压电工作业人员须持证上岗。</p>")),
                        ("quote", {"quote": "技能成才", "source": "人社厅"}),
                    ]
                ),
            }
        )
        self.assertPageIsPreviewable(page, post_data=post_data)
        self.assertPageIsPreviewable(
            news_index(),
            post_data={
                "title": "新闻动态",
                "slug": "news",
                "intro": rich_text("<p>技能竞赛动态</p>"),
            },
        )


def test_an_image_block_without_alt_text_is_refused():
    block = NewsImageBlock()
    silent = make_image(description="")
    value = block.to_python({"image": silent.pk, "alt": "", "caption": ""})
    with pytest.raises(StructBlockValidationError) as refused:
        block.clean(value)
    assert "请填写替代文字" in str(refused.value.block_errors["alt"])
    # Alt text in the block, or a description on the image, is enough.
    block.clean(block.to_python({"image": silent.pk, "alt": "焊接操作", "caption": ""}))
    described = make_image(description="焊接操作")
    block.clean(block.to_python({"image": described.pk, "alt": "", "caption": ""}))


def test_a_listing_image_without_description_is_refused():
    page = add_news("有图新闻")
    page.listing_image = make_image(description="")
    with pytest.raises(ValidationError) as refused:
        page.full_clean()
    assert "listing_image" in refused.value.message_dict


def test_the_image_library_refuses_an_image_without_description(client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(UserFactory(is_superuser=True, is_staff=True))
    Image = get_image_model()

    def upload(description):
        return client.post(
            "/admin/images/add/",
            {
                "title": "实训车间",
                "description": description,
                "file": SimpleUploadedFile("a.png", png_bytes(), "image/png"),
            },
        )

    refused = upload("")
    assert refused.status_code == 200
    assert "请填写图片描述（替代文字）" in refused.content.decode()
    assert not Image.objects.filter(title="实训车间").exists()
    assert upload("学员在实训车间操作车床").status_code == 302
    assert Image.objects.get(title="实训车间").description == "学员在实训车间操作车床"
