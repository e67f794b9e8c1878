"""Real-name sign-up: new people, people already on file, refusals in plain Chinese."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError
from django.test import RequestFactory
from django.urls import reverse

from tests.factories import TraineeFactory, UserFactory, make_id_number
from trainees import public_views
from trainees.models import Trainee
from trainees.selectors import trainee_find_by_id_number
from trainees.services import NAME_MISMATCH, trainee_signup
from training_platform.audit.models import AuditEvent

pytestmark = pytest.mark.django_db

User = get_user_model()
GOOD_PASSWORD = "Qianjitong-2026!"
URL = "/accounts/signup/"


def _form(**overrides):
    data = {
        "name": "张三",
        "id_number": make_id_number("520102"),
        "phone": "13812345678",
        "username": "zhangsan",
        "password1": GOOD_PASSWORD,
        "password2": GOOD_PASSWORD,
    }
    data.update(overrides)
    return data


def _signed_in_username(client):
    user_id = client.session.get("_auth_user_id")
    return User.objects.get(pk=user_id).username if user_id else None


def test_signup_url_is_stable():
    assert reverse("signup") == URL


def test_new_person_gets_a_record_and_an_account_and_is_signed_in(client):
    data = _form()
    response = client.post(URL, data)
    assert response.status_code == 302
    assert response.headers["Location"] == "/me/"
    trainee = trainee_find_by_id_number(data["id_number"])
    assert trainee is not None
    assert trainee.name == "张三"
    assert trainee.phone == "13812345678"
    assert trainee.user.username == "zhangsan"
    assert trainee.user.check_password(GOOD_PASSWORD)
    assert _signed_in_username(client) == "zhangsan"
    assert AuditEvent.objects.filter(
        action="trainee.signup", object_id=str(trainee.pk)
    ).exists()
    page = client.get("/me/").content.decode()
    assert "张*" in page
    assert data["id_number"] not in page


def test_input_is_normalised_and_phone_is_the_username_when_left_empty(client):
    number = make_id_number("520102")
    full_width = number[:-1].translate(
        str.maketrans("0123456789", "０１２３４５６７８９")
    )
    response = client.post(
        URL,
        _form(
            name=" 张 三 ",
            id_number=f"{full_width} {number[-1].lower()}",
            phone="+86 138-1234-5678",
            username="",
        ),
    )
    assert response.status_code == 302
    trainee = trainee_find_by_id_number(number)
    assert trainee.name == "张三"
    assert trainee.user.username == "13812345678"


def test_person_on_file_with_matching_name_is_linked_not_duplicated(client):
    number = make_id_number("520103")
    existing = TraineeFactory(name="李四", id_number=number, phone="13900000000")
    before = Trainee.objects.count()
    response = client.post(
        URL, _form(name="李 四", id_number=number, username="lisi", phone="13711112222")
    )
    assert response.status_code == 302
    assert Trainee.objects.count() == before
    existing.refresh_from_db()
    assert existing.user.username == "lisi"
    assert existing.phone == "13711112222"
    assert _signed_in_username(client) == "lisi"


def test_mismatched_name_is_refused_without_revealing_the_name_on_file(client):
    number = make_id_number("520103")
    existing = TraineeFactory(name="李四", id_number=number)
    users = User.objects.count()
    response = client.post(URL, _form(name="王五", id_number=number, username="ww"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "姓名与身份证号码不匹配" in body
    assert "李四" not in body
    assert "李*" not in body
    existing.refresh_from_db()
    assert existing.user is None
    assert User.objects.count() == users  # the account made in the transaction is gone
    assert _signed_in_username(client) is None


def test_already_registered_id_number_is_refused(client):
    number = make_id_number("520103")
    TraineeFactory(name="李四", id_number=number, user=UserFactory(username="lisi"))
    users = User.objects.count()
    response = client.post(URL, _form(name="李四", id_number=number, username="li4"))
    assert response.status_code == 200
    assert "该身份证号码已注册，请直接登录" in response.content.decode()
    assert User.objects.count() == users
    assert _signed_in_username(client) is None


def test_already_registered_is_not_told_to_someone_with_the_wrong_name(client):
    number = make_id_number("520103")
    TraineeFactory(name="李四", id_number=number, user=UserFactory())
    body = client.post(URL, _form(name="王五", id_number=number)).content.decode()
    assert "姓名与身份证号码不匹配" in body
    assert "已注册" not in body


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("id_number", "52010219900101001", "身份证号码应为18位，当前为17位"),
        ("id_number", "520102199001010010", "身份证号码校验位错误"),
        ("id_number", "5.20102E+17", "科学计数法"),
        ("phone", "12345", "手机号码应为以1开头的11位数字"),
        ("name", "", "请填写姓名"),
        ("password1", "12345678", "这个密码太常见了"),
        ("password2", "Another-pass-2026", "两次输入的密码不一致"),
    ],
)
def test_invalid_input_is_refused_in_chinese(client, field, value, message):
    data = _form()
    if field == "id_number" and value == "520102199001010010":
        # A well-formed number with the wrong check character.
        good = make_id_number("520102")
        value = good[:-1] + ("0" if good[-1] != "0" else "1")
    data[field] = value
    if field == "password1":
        data["password2"] = value
    response = client.post(URL, data)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not User.objects.filter(username="zhangsan").exists()
    assert not Trainee.objects.filter(user__isnull=False).exists()


def test_taken_username_is_refused(client):
    UserFactory(username="ZhangSan")
    response = client.post(URL, _form(username="zhangsan"))
    assert response.status_code == 200
    assert "已被使用" in response.content.decode()
    assert not Trainee.objects.exists()


def test_password_too_similar_to_the_phone_username_is_refused(client):
    data = _form(username="", password1="13812345678a", password2="13812345678a")
    response = client.post(URL, data)
    assert response.status_code == 200
    assert not User.objects.filter(username="13812345678").exists()


def test_safe_next_is_followed_and_foreign_next_is_not(client):
    response = client.post(f"{URL}?next=/classes/T-1/enrol/", _form(username="a1"))
    assert response.headers["Location"] == "/classes/T-1/enrol/"
    client.logout()
    response = client.post(
        URL,
        _form(
            username="a2",
            phone="13800001111",
            id_number=make_id_number("520102"),
            next="https://evil.example/",
        ),
    )
    assert response.headers["Location"] == "/me/"


def test_signed_in_account_without_a_record_completes_the_real_name_part(client):
    user = UserFactory(username="wechat-user")
    client.force_login(user)
    page = client.get(URL).content.decode()
    assert "实名登记" in page
    assert 'name="password1"' not in page
    number = make_id_number("520102")
    response = client.post(
        URL, {"name": "赵六", "id_number": number, "phone": "13600000000"}
    )
    assert response.status_code == 302
    assert trainee_find_by_id_number(number).user == user


def test_signed_in_trainee_is_sent_to_their_area(client):
    trainee = TraineeFactory(user=UserFactory())
    client.force_login(trainee.user)
    response = client.get(URL)
    assert response.status_code == 302
    assert response.headers["Location"] == "/me/"


def test_id_number_and_passwords_are_hidden_from_error_reports():
    request = RequestFactory().post(URL, _form(phone="bad"))
    request.user = AnonymousUser()
    response = public_views.signup(request)
    assert response.status_code == 200
    assert set(request.sensitive_post_parameters) == {
        "id_number",
        "password1",
        "password2",
    }


def test_service_refuses_name_mismatch_with_a_code():
    number = make_id_number("520103")
    TraineeFactory(name="李四", id_number=number)
    with pytest.raises(ValidationError) as caught:
        trainee_signup(
            name="王五",
            id_number=number,
            phone="13800000000",
            username="wangwu",
            password=GOOD_PASSWORD,
        )
    assert caught.value.code == "name_mismatch"
    assert caught.value.messages == [NAME_MISMATCH]
    assert not User.objects.filter(username="wangwu").exists()
