"""Sign-in is throttled per account and per address, staff sign in only in the back office,
and staff sessions end after a working day without activity (issue 9 item 4)."""

import datetime as dt
import time

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.sessions.models import Session
from django.test import override_settings
from django.utils import timezone

from tests.factories import PASSWORD, TraineeFactory, UserFactory, staff_user
from tests.training_platform.test_admin_menus import menu_labels
from training_platform.middleware import STAFF_SEEN_KEY
from training_platform.roles import Role

pytestmark = pytest.mark.django_db

ADMIN_LOGIN = "/admin/login/"
TRAINEE_LOGIN = "/accounts/login/"
LIMIT = settings.AXES_FAILURE_LIMIT


def sign_in(client, url, username, password, ip="203.0.113.10"):
    return client.post(
        url, {"username": username, "password": password}, REMOTE_ADDR=ip
    )


def signed_in(client):
    return "_auth_user_id" in client.session


def bureau():
    return staff_user(Role.BUREAU, region_code="520100")


def trainee_user():
    user = UserFactory()
    TraineeFactory(user=user)
    return user


# --- throttling ---------------------------------------------------------------------------


def test_thirty_wrong_passwords_then_the_right_one_does_not_sign_in(client):
    user = bureau()
    for _ in range(30):
        sign_in(client, ADMIN_LOGIN, user.username, "wrong-password")
    response = sign_in(client, ADMIN_LOGIN, user.username, PASSWORD)
    assert response.status_code == 429
    assert not signed_in(client)
    body = response.content.decode()
    assert "登录失败次数过多" in body and "分钟" in body


def test_an_account_locks_after_the_limit_even_across_addresses(client):
    user = bureau()
    for n in range(LIMIT):
        sign_in(client, ADMIN_LOGIN, user.username, "wrong", ip=f"198.51.100.{n}")
    response = sign_in(client, ADMIN_LOGIN, user.username, PASSWORD, ip="192.0.2.99")
    assert response.status_code == 429 and not signed_in(client)


def test_an_address_locks_after_the_limit_across_accounts(client):
    user = trainee_user()
    for n in range(LIMIT):
        sign_in(client, TRAINEE_LOGIN, f"guess{n}", "wrong", ip="203.0.113.77")
    response = sign_in(
        client, TRAINEE_LOGIN, user.username, PASSWORD, ip="203.0.113.77"
    )
    assert response.status_code == 429 and not signed_in(client)
    # The same account from another address signs in.
    response = sign_in(client, TRAINEE_LOGIN, user.username, PASSWORD, ip="192.0.2.5")
    assert response.status_code == 302 and signed_in(client)


def test_fewer_failures_than_the_limit_do_not_lock(client):
    user = trainee_user()
    for _ in range(LIMIT - 1):
        sign_in(client, TRAINEE_LOGIN, user.username, "wrong")
    response = sign_in(client, TRAINEE_LOGIN, user.username, PASSWORD)
    assert response.status_code == 302 and signed_in(client)


def test_the_lock_ends_after_the_cool_off(client):
    user = bureau()
    for _ in range(LIMIT):
        sign_in(client, ADMIN_LOGIN, user.username, "wrong")
    assert sign_in(client, ADMIN_LOGIN, user.username, PASSWORD).status_code == 429
    AccessAttempt.objects.update(
        attempt_time=timezone.now()
        - settings.AXES_COOLOFF_TIME
        - dt.timedelta(seconds=1)
    )
    response = sign_in(client, ADMIN_LOGIN, user.username, PASSWORD)
    assert response.status_code == 302 and signed_in(client)


@override_settings(TRUSTED_PROXIES=["10.0.0.5"])
def test_behind_the_proxy_the_forwarded_client_address_is_throttled(client):
    user = trainee_user()
    for n in range(LIMIT):
        client.post(
            TRAINEE_LOGIN,
            {"username": f"guess{n}", "password": "wrong"},
            REMOTE_ADDR="10.0.0.5",
            HTTP_X_FORWARDED_FOR="198.51.100.20",
        )
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {
        "198.51.100.20"
    }
    # Another client behind the same proxy is not locked out.
    response = client.post(
        TRAINEE_LOGIN,
        {"username": user.username, "password": PASSWORD},
        REMOTE_ADDR="10.0.0.5",
        HTTP_X_FORWARDED_FOR="198.51.100.21",
    )
    assert response.status_code == 302


def test_a_spoofed_forwarded_for_does_not_escape_the_address_lock(client):
    user = trainee_user()
    for n in range(LIMIT):
        client.post(
            TRAINEE_LOGIN,
            {"username": f"guess{n}", "password": "wrong"},
            REMOTE_ADDR="203.0.113.80",
            HTTP_X_FORWARDED_FOR=f"198.51.100.{n}",
        )
    response = client.post(
        TRAINEE_LOGIN,
        {"username": user.username, "password": PASSWORD},
        REMOTE_ADDR="203.0.113.80",
        HTTP_X_FORWARDED_FOR="192.0.2.200",
    )
    assert response.status_code == 429


def test_an_id_number_typed_as_user_name_is_not_stored(client):
    id_number = "11010519491231002X"
    sign_in(client, TRAINEE_LOGIN, id_number, "wrong")
    sign_in(client, TRAINEE_LOGIN, "１１０１０５１９４９１２３１００２ｘ", "wrong")
    rows = list(AccessAttempt.objects.values_list("username", "post_data", "get_data"))
    assert rows
    for row in rows:
        for column in row:
            assert "19491231" not in (column or "")
    # Both spellings count against the same name.
    assert AccessAttempt.objects.values("username").distinct().count() == 1


# --- unlocking -----------------------------------------------------------------------------


def locked_bureau(client):
    user = bureau()
    for _ in range(LIMIT):
        sign_in(client, ADMIN_LOGIN, user.username, "wrong", ip="203.0.113.44")
    return user


def test_an_administrator_sees_the_lockouts_and_unlocks_an_account(client):
    from django.test import Client

    user = locked_bureau(client)
    admin = UserFactory(is_superuser=True, is_staff=True)
    admin_client = Client()
    admin_client.force_login(admin)
    page = admin_client.get("/admin/login-lockouts/")
    assert page.status_code == 200
    body = page.content.decode()
    assert user.username in body and "203.0.113.44" in body and "已锁定" in body

    response = admin_client.post("/admin/login-lockouts/", {"username": user.username})
    assert response.status_code == 302
    assert not AccessAttempt.objects.filter(username=user.username).exists()
    # The unlock is audited.
    from training_platform.audit.models import AuditEvent

    event = AuditEvent.objects.get(action="login_unlock")
    assert event.actor == admin and event.after["username"] == user.username

    response = sign_in(client, ADMIN_LOGIN, user.username, PASSWORD, ip="192.0.2.1")
    assert response.status_code == 302 and signed_in(client)


def test_an_administrator_unlocks_an_address(client):
    from django.test import Client

    locked_bureau(client)
    admin_client = Client()
    admin_client.force_login(UserFactory(is_superuser=True, is_staff=True))
    admin_client.post("/admin/login-lockouts/", {"ip": "203.0.113.44"})
    assert not AccessAttempt.objects.filter(ip_address="203.0.113.44").exists()


def test_only_administrators_reach_the_lockout_page(client):
    locked_bureau(client)
    client.force_login(bureau())
    # Wagtail turns the refusal into a redirect to the dashboard with a message.
    page = client.get("/admin/login-lockouts/")
    assert page.status_code != 200
    client.post("/admin/login-lockouts/", {"ip": "203.0.113.44"})
    assert AccessAttempt.objects.filter(ip_address="203.0.113.44").exists()
    assert "登录锁定" not in menu_labels(client)


def test_the_lockout_page_is_in_the_administrators_settings_menu(client):
    client.force_login(UserFactory(is_superuser=True, is_staff=True))
    assert "登录锁定" in menu_labels(client)


# --- where staff sign in ----------------------------------------------------------------


def test_staff_cannot_sign_in_on_the_trainee_page(client):
    user = bureau()
    right = sign_in(client, TRAINEE_LOGIN, user.username, PASSWORD)
    assert right.status_code == 200 and not signed_in(client)
    wrong = sign_in(client, TRAINEE_LOGIN, user.username, "wrong-password")
    # Neutral: the page does not tell that the password was right.
    assert "用户名或密码不正确" in right.content.decode()
    assert (
        right.context["form"].non_field_errors()
        == wrong.context["form"].non_field_errors()
    )


def test_superusers_cannot_sign_in_on_the_trainee_page(client):
    admin = UserFactory(is_superuser=True, is_staff=True)
    assert sign_in(client, TRAINEE_LOGIN, admin.username, PASSWORD).status_code == 200
    assert not signed_in(client)


def test_staff_sign_in_at_the_back_office(client):
    user = bureau()
    response = sign_in(client, ADMIN_LOGIN, user.username, PASSWORD)
    assert response.status_code == 302 and signed_in(client)


def test_trainees_sign_in_on_the_trainee_page(client):
    user = trainee_user()
    response = sign_in(client, TRAINEE_LOGIN, user.username, PASSWORD)
    assert response.status_code == 302 and signed_in(client)


# --- staff sessions end after a working day idle ---------------------------------------


def session_row(client):
    return Session.objects.get(session_key=client.session.session_key)


def test_a_staff_session_expires_after_eight_idle_hours(client):
    user = bureau()
    sign_in(client, ADMIN_LOGIN, user.username, PASSWORD)
    idle = settings.STAFF_SESSION_IDLE_SECONDS
    assert idle == 8 * 3600
    remaining = (session_row(client).expire_date - timezone.now()).total_seconds()
    assert idle - 60 <= remaining <= idle
    assert client.cookies[settings.SESSION_COOKIE_NAME]["max-age"] == idle

    # Nine hours later without a request, the session is gone.
    Session.objects.filter(session_key=client.session.session_key).update(
        expire_date=timezone.now() - dt.timedelta(seconds=1)
    )
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith(ADMIN_LOGIN)


def test_a_staff_session_slides_with_activity(client):
    user = bureau()
    client.force_login(user)  # any sign-in path marks the session
    session = client.session
    assert session.get_expiry_age() == settings.STAFF_SESSION_IDLE_SECONDS
    # Pretend the last request was two hours ago and the session has 6 hours left.
    session[STAFF_SEEN_KEY] = int(time.time()) - 7200
    session.save()
    Session.objects.filter(session_key=session.session_key).update(
        expire_date=timezone.now() + dt.timedelta(hours=6)
    )
    assert client.get("/admin/").status_code == 200
    remaining = (session_row(client).expire_date - timezone.now()).total_seconds()
    assert remaining > 7.9 * 3600


def test_a_trainee_session_keeps_the_default_length(client):
    user = trainee_user()
    sign_in(client, TRAINEE_LOGIN, user.username, PASSWORD)
    remaining = (session_row(client).expire_date - timezone.now()).total_seconds()
    assert remaining > settings.SESSION_COOKIE_AGE - 60
    client.get("/me/")
    assert "_staff_session" not in client.session


# --- sign-up attempts per address ----------------------------------------------------------


@override_settings(TRAINEE_SIGNUP_RATE="3/3600")
def test_sign_up_attempts_are_limited_per_address(client):
    from django.core.cache import cache

    cache.clear()
    form = {"name": "张三", "id_number": "x", "phone": "1", "username": "u"}
    codes = [
        client.post("/accounts/signup/", form, REMOTE_ADDR="203.0.113.60").status_code
        for _ in range(4)
    ]
    assert codes[:3] == [200, 200, 200]
    assert codes[3] == 429
    # Another address, and reading the form, are not limited.
    assert (
        client.post("/accounts/signup/", form, REMOTE_ADDR="192.0.2.61").status_code
        == 200
    )
    assert (
        client.get("/accounts/signup/", REMOTE_ADDR="203.0.113.60").status_code == 200
    )
