"""A trainee signs in with the phone number or the user name sign-up gave them, comes back
to where they were, and resets a forgotten password by SMS code."""

import re

import pytest
from django.test import override_settings

from tests.factories import PASSWORD, TraineeFactory, UserFactory, staff_user
from training_platform import sms
from training_platform.roles import Role

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"
RESET = "/accounts/password/reset/"
RESET_CODE = "/accounts/password/reset/code/"
NEW_PASSWORD = "Qianjitong-2027!"


def trainee(username="liufang", phone="13900001111"):
    user = UserFactory(username=username)
    TraineeFactory(user=user, phone=phone, name="刘芳")
    return user


def sign_in(client, username, password=PASSWORD, **extra):
    return client.post(
        LOGIN + extra.pop("query", ""),
        {"username": username, "password": password, **extra},
        REMOTE_ADDR="203.0.113.20",
    )


def signed_in_as(client):
    return client.session.get("_auth_user_id")


def codes_sent_to(phone):
    return [
        re.search(r"验证码 (\d{6})", m.body).group(1)
        for m in sms.outbox
        if m.to == phone and "验证码" in m.body
    ]


# --- sign-in ------------------------------------------------------------------------------


def test_the_field_is_labelled_phone_or_user_name(client):
    body = client.get(LOGIN).content.decode()
    assert '<label for="id_username">手机号/用户名</label>' in body
    assert 'href="/accounts/password/reset/"' in body


def test_signs_in_with_the_user_name_and_lands_on_me(client):
    user = trainee()
    response = sign_in(client, "liufang")
    assert response.status_code == 302
    assert response.headers["Location"] == "/me/"
    assert signed_in_as(client) == str(user.pk)


@pytest.mark.parametrize("typed", ["13900001111", "139 0000 1111", "+86 139-0000-1111"])
def test_signs_in_with_the_phone_on_the_record(client, typed):
    user = trainee()
    response = sign_in(client, typed)
    assert response.status_code == 302
    assert signed_in_as(client) == str(user.pk)


def test_a_phone_that_is_the_user_name_signs_in_as_before(client):
    user = trainee(username="13900002222", phone="13900002222")
    assert sign_in(client, "13900002222").status_code == 302
    assert signed_in_as(client) == str(user.pk)


def test_a_wrong_password_with_the_phone_does_not_sign_in(client):
    trainee()
    response = sign_in(client, "13900001111", "wrong-password")
    assert response.status_code == 200
    assert "手机号/用户名或密码不正确" in response.content.decode()
    assert signed_in_as(client) is None


def test_a_phone_shared_by_two_accounts_signs_in_neither(client):
    trainee("a1", "13900003333")
    trainee("a2", "13900003333")
    assert sign_in(client, "13900003333").status_code == 200
    assert signed_in_as(client) is None


def test_staff_cannot_sign_in_here_with_a_phone_either(client):
    user = staff_user(Role.BUREAU, region_code="520100")
    TraineeFactory(user=user, phone="13900004444")
    assert sign_in(client, "13900004444").status_code == 200
    assert signed_in_as(client) is None


def test_sign_in_returns_to_where_the_trainee_was(client):
    trainee()
    response = sign_in(client, "liufang", next="/courses/?occupation=6-31")
    assert response.headers["Location"] == "/courses/?occupation=6-31"


def test_another_sites_next_goes_to_me(client):
    trainee()
    response = sign_in(client, "liufang", next="https://evil.example/")
    assert response.headers["Location"] == "/me/"


def test_the_header_sign_in_link_carries_the_page(client):
    body = client.get("/courses/?kind=employment").content.decode()
    assert 'href="/accounts/login/?next=/courses/%3Fkind%3Demployment"' in body


def test_signed_in_header_links_to_the_personal_centre(client):
    client.force_login(trainee())
    body = client.get("/courses/").content.decode()
    assert '<a href="/me/">个人中心</a>' in body


# --- password reset by SMS ----------------------------------------------------------------


def start(client, phone):
    return client.post(RESET, {"phone": phone}, REMOTE_ADDR="203.0.113.30")


def finish(client, code, password=NEW_PASSWORD, again=None):
    return client.post(
        RESET_CODE,
        {"code": code, "password1": password, "password2": again or password},
        REMOTE_ADDR="203.0.113.30",
    )


def test_reset_by_sms_code_sets_the_new_password(client):
    user = trainee()
    response = start(client, "139 0000 1111")
    assert response.status_code == 302 and response.headers["Location"] == RESET_CODE
    [code] = codes_sent_to("13900001111")
    assert "liufang" in sms.outbox[-1].body  # the SMS reminds them of the user name
    page = client.get(RESET_CODE).content.decode()
    assert "139****1111" in page
    response = finish(client, code)
    assert response.status_code == 302 and response.headers["Location"] == LOGIN
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    assert sign_in(client, "13900001111", NEW_PASSWORD).status_code == 302
    # The code is used up with the pending reset.
    assert client.get(RESET_CODE).status_code == 302


def test_an_unknown_phone_gets_the_same_answer_and_no_sms(client):
    trainee()
    known = start(client, "13900001111")
    known_page = client.get(RESET_CODE).content.decode()
    client.session.flush()
    sms.outbox.clear()
    unknown = start(client, "13900009999")
    unknown_page = client.get(RESET_CODE).content.decode()
    assert (known.status_code, known.headers["Location"]) == (
        unknown.status_code,
        unknown.headers["Location"],
    )
    assert known_page.replace("139****1111", "").count(
        "验证码"
    ) == unknown_page.replace("139****9999", "").count("验证码")
    assert sms.outbox == []
    response = finish(client, "123456")
    assert response.status_code == 200
    assert "验证码不正确或已过期" in response.content.decode()


def test_a_wrong_code_changes_nothing_and_tries_are_limited(client, settings):
    user = trainee()
    start(client, "13900001111")
    [code] = codes_sent_to("13900001111")
    wrong = "000000" if code != "000000" else "111111"
    response = finish(client, wrong)
    assert "验证码不正确或已过期" in response.content.decode()
    user.refresh_from_db()
    assert user.check_password(PASSWORD)
    for _ in range(settings.TRAINEE_SIGNUP_CODE_ATTEMPTS):
        response = finish(client, wrong)
    # Over the limit: back to step 1, and even the right code no longer works.
    assert response.status_code == 302 and response.headers["Location"] == RESET
    assert finish(client, code).status_code == 302
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


def test_a_weak_new_password_is_refused_after_the_code(client):
    user = trainee()
    start(client, "13900001111")
    [code] = codes_sent_to("13900001111")
    response = finish(client, code, "12345678")
    assert response.status_code == 200
    assert response.context["form"].errors["password1"]
    assert (
        finish(client, code, NEW_PASSWORD, again="other-Password-1").status_code == 200
    )
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


def test_a_malformed_phone_is_reported(client):
    response = start(client, "12345")
    assert response.status_code == 200
    assert response.context["form"].errors["phone"]


def test_staff_accounts_are_not_reset_here(client):
    user = staff_user(Role.BUREAU, region_code="520100")
    TraineeFactory(user=user, phone="13900004444")
    start(client, "13900004444")
    assert sms.outbox == []


def test_a_phone_on_two_accounts_gets_an_explanation_not_a_code(client):
    trainee("a1", "13900003333")
    trainee("a2", "13900003333")
    start(client, "13900003333")
    assert codes_sent_to("13900003333") == []
    assert "多个学员账号" in sms.outbox[-1].body


@override_settings(TRAINEE_SIGNUP_RATE="2/3600")
def test_reset_requests_are_limited_per_address(client):
    trainee()
    assert start(client, "13900001111").status_code == 302
    assert start(client, "13900001111").status_code == 302
    response = start(client, "13900001111")
    assert response.status_code == 429
    assert response.headers["Retry-After"]
