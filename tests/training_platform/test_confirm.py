import pytest
from django.contrib.auth.models import AnonymousUser
from django.contrib.sessions.backends.signed_cookies import SessionStore
from django.test import RequestFactory

from training_platform import confirm


def post(data):
    request = RequestFactory().post("/thing/7/finish/?next=x", data)
    request.user = AnonymousUser()
    request.session = SessionStore()
    return request


def test_needed_until_the_confirmed_field_comes_back():
    assert confirm.needed(post({"reason": "r"}))
    assert not confirm.needed(post({"reason": "r", "confirmed": "1"}))


@pytest.mark.django_db
def test_the_page_asks_and_reposts_the_same_fields_to_the_same_address():
    request = post({"reason": "材料不实", "ids": ["1", "2"]})
    response = confirm.page(
        request,
        title="撤销证书",
        question="确定撤销这张证书吗？",
        consequences=["撤销后扫码显示已撤销。"],
        confirm_label="确认撤销",
        cancel_url="/back/",
        danger=True,
        admin=False,
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "确定撤销这张证书吗？" in html and "撤销后扫码显示已撤销。" in html
    assert 'action="/thing/7/finish/?next=x"' in html
    assert 'name="reason" value="材料不实"' in html
    assert 'name="ids" value="1"' in html and 'name="ids" value="2"' in html
    assert 'name="confirmed" value="1"' in html
    assert 'href="/back/"' in html
