"""The public site shell: home page, navigation, sign-in, languages, security headers."""

import pytest
from django.urls import reverse
from wagtail.models import Site

from cms.models import HomePage
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def test_home_page_is_the_site_root_and_renders_in_chinese(client):
    site = Site.objects.get(is_default_site=True)
    assert isinstance(site.root_page.specific, HomePage)
    response = client.get("/")
    assert response.status_code == 200
    body = response.content.decode()
    assert '<html lang="zh-hans">' in body
    assert "<title>黔技通 · 贵州职业技能培训与评价服务平台</title>" in body
    # The header menu is the page tree: the index pages the migrations create.
    for href in ("/courses/", "/verify/", "/news/", "/competitions/", "/bases/"):
        assert f'href="{href}"' in body
    assert reverse("login") in body


def test_english_is_available_through_django_i18n(client):
    response = client.post(
        reverse("set_language"), {"language": "en", "next": "/"}, follow=True
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert '<html lang="en">' in body
    assert "Courses" in body
    assert "Verify a certificate" in body


def test_trainee_login_and_logout(client):
    UserFactory(username="xueyuan")
    page = client.get(reverse("login"))
    assert page.status_code == 200
    assert "学员登录" in page.content.decode()
    bad = client.post(reverse("login"), {"username": "xueyuan", "password": "wrong"})
    assert "用户名或密码不正确" in bad.content.decode()
    good = client.post(reverse("login"), {"username": "xueyuan", "password": PASSWORD})
    assert good.status_code == 302
    assert good.headers["Location"] == "/me/"
    # The header offers the personal centre (issue 16), no longer the username.
    assert '<a href="/me/">个人中心</a>' in client.get("/").content.decode()
    client.post(reverse("logout"))
    home = client.get("/").content.decode()
    assert '<a href="/me/">个人中心</a>' not in home
    assert "学员登录" in home


def test_unknown_page_is_a_404_in_the_site_layout(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404


def test_security_headers_on_every_response(client):
    response = client.get("/")
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp
    assert "object-src 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "SAMEORIGIN"


def test_django_admin_is_not_exposed(client):
    assert client.get("/django-admin/").status_code == 404
    # /admin/ is Wagtail's back-office, asking staff to sign in.
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/admin/login/")


def test_header_links_to_sign_up_and_to_the_trainee_area(client):
    body = client.get("/").content.decode()
    assert 'href="/accounts/signup/"' in body
    login = client.get(
        reverse("login") + "?next=/classes/DEMO-001/enrol/"
    ).content.decode()
    assert "/accounts/signup/?next=/classes/DEMO-001/enrol/" in login
    client.force_login(UserFactory(username="xueyuan2"))
    assert 'href="/me/"' in client.get("/").content.decode()
