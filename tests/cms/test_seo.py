"""Titles, descriptions and Open Graph tags for sharing, breadcrumbs, menus from the page
tree, /sitemap.xml and /robots.txt (issue 12 item 4)."""

import re

import pytest
from django.urls import reverse
from wagtail.images.models import Image
from wagtail.images.tests.utils import get_test_image_file
from wagtail.models import PageViewRestriction

from cms.models import HomePage, LinkPage, StandardPage
from cms.templatetags.cms_tags import page_description, page_image_url

pytestmark = pytest.mark.django_db


def home() -> HomePage:
    return HomePage.objects.get()


def add_page(parent=None, **fields) -> StandardPage:
    page = StandardPage(**fields)
    (parent or home()).add_child(instance=page)
    return page


def english(client):
    client.post(reverse("set_language"), {"language": "en", "next": "/"})


def test_title_description_open_graph_and_canonical(client):
    page = add_page(
        title="关于我们",
        slug="about",
        seo_title="关于黔技通平台",
        search_description="黔技通是贵州省职业技能培训与评价服务平台。",
    )
    body = client.get("/about/").content.decode()
    assert "<title>关于黔技通平台</title>" in body
    assert (
        '<meta name="description" content="黔技通是贵州省职业技能培训与评价服务平台。">'
        in body
    )
    assert '<meta property="og:title" content="关于黔技通平台">' in body
    assert (
        '<meta property="og:description" content="黔技通是贵州省职业技能培训与评价服务平台。">'
        in body
    )
    assert f'<meta property="og:url" content="{page.full_url}">' in body
    assert f'<link rel="canonical" href="{page.full_url}">' in body
    assert '<meta property="og:type" content="website">' in body
    assert "og:image" not in body


def test_without_seo_fields_the_title_and_intro_are_used(client):
    add_page(
        title="办事指南",
        slug="guide",
        intro="<p>培训报名、<b>补贴申领</b>的办理流程。</p>",
    )
    body = client.get("/guide/").content.decode()
    assert "<title>办事指南 · 黔技通</title>" in body
    assert '<meta name="description" content="培训报名、补贴申领的办理流程。">' in body
    assert '<meta property="og:title" content="办事指南">' in body


def test_a_long_intro_is_shortened_for_the_description():
    page = StandardPage(title="长文", intro="<p>" + "技能" * 100 + "</p>")
    assert len(page_description(page)) == 120


def test_og_image_is_a_rendition_of_the_page_image():
    image = Image.objects.create(title="封面", file=get_test_image_file())
    page = StandardPage(title="带图页面")
    page.image = image  # a page type with an image field (news) works the same way
    url = page_image_url(page, None)
    assert ".fill-1200x630" in url


def test_breadcrumbs_follow_the_page_tree(client):
    parent = add_page(title="政策法规", slug="policy")
    add_page(parent=parent, title="补贴标准", slug="subsidy")
    body = client.get("/policy/subsidy/").content.decode()
    crumbs = re.search(r'<nav class="breadcrumbs".*?</nav>', body, re.S).group()
    assert '<a href="/">首页</a>' in crumbs
    assert '<a href="/policy/">政策法规</a>' in crumbs
    assert '<li aria-current="page">补贴标准</li>' in crumbs
    assert 'class="breadcrumbs"' not in client.get("/").content.decode()
    english(client)
    english_body = client.get("/policy/subsidy/").content.decode()
    assert '<html lang="en">' in english_body
    assert '<a href="/">Home</a>' in english_body


def test_index_pages_ticked_for_menus_appear_in_the_header(client):
    add_page(title="通知公告", slug="notices", show_in_menus=True)
    add_page(title="不在菜单", slug="hidden", show_in_menus=False)
    body = client.get("/").content.decode()
    nav = re.search(r'<ul class="nav">.*?</ul>', body, re.S).group()
    assert '<a href="/notices/">通知公告</a>' in nav
    assert '<a href="/news/">' in nav  # the news index created by migration
    assert "/hidden/" not in nav


def test_sitemap_lists_public_pages_and_public_addresses(client):
    add_page(title="关于我们", slug="about")
    draft = add_page(title="草稿", slug="draft")
    draft.unpublish()
    private = add_page(title="内部", slug="private")
    PageViewRestriction.objects.create(
        page=private, restriction_type=PageViewRestriction.LOGIN
    )
    home().add_child(
        instance=LinkPage(title="证书查询", slug="verify-link", link_url="/verify/")
    )
    response = client.get("/sitemap.xml")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/xml")
    locations = re.findall(r"<loc>(.*?)</loc>", response.content.decode())
    paths = {re.sub(r"^https?://[^/]+", "", loc) for loc in locations}
    assert {"/", "/courses/", "/about/", "/verify/", "/notice/"} <= paths
    assert not paths & {"/draft/", "/private/", "/verify-link/", "/me/"}


def test_robots_txt_allows_the_site_and_points_to_the_sitemap(client):
    response = client.get("/robots.txt")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    lines = response.content.decode().splitlines()
    assert "User-agent: *" in lines
    assert "Allow: /" in lines
    for private in ("/admin/", "/me/", "/accounts/", "/api/"):
        assert f"Disallow: {private}" in lines
    assert "Disallow: /verify/" not in lines
    assert "Sitemap: http://testserver/sitemap.xml" in lines


def test_standard_page_renders_in_both_languages(client):
    add_page(title="关于我们", slug="about", search_description="平台介绍")
    assert '<html lang="zh-hans">' in client.get("/about/").content.decode()
    english(client)
    body = client.get("/about/").content.decode()
    assert '<html lang="en">' in body
    assert '<meta name="description" content="平台介绍">' in body


def test_a_news_page_shares_its_summary_and_image(client):
    from tests.cms.news_helpers import add_news, make_image

    page = add_news(
        "技能大赛开幕", summary="省职业技能大赛今日开幕。", image=make_image()
    )
    body = client.get(page.url).content.decode()
    assert '<meta name="description" content="省职业技能大赛今日开幕。">' in body
    assert '<meta property="og:type" content="article">' in body
    assert re.search(
        r'<meta property="og:image" content="http://[^"]+\.fill-1200x630', body
    )
    assert (
        '<a href="/news/">'
        in re.search(r'<nav class="breadcrumbs".*?</nav>', body, re.S).group()
    )
