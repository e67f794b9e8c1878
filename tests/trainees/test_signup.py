"""Real-name sign-up: new people, people already on file, refusals in plain Chinese.

Sign-up has two steps for everyone (the form, then a one-time code): see
``trainees/services.py``. Takeover, enumeration, activation codes and limits are in
``test_signup_claim.py``.
"""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError
from django.test import RequestFactory
from django.urls import reverse

from tests.factories import TraineeFactory, UserFactory, make_id_number
from tests.trainees.signup_helpers import (
    GOOD_PASSWORD,
    URL,
    VERIFY_URL,
    last_code_to,
    sms_codes_to,
)
from tests.trainees.signup_helpers import form_data as _form
from trainees import views
from trainees.models import Trainee
from trainees.selectors import trainee_find_by_id_number
from trainees.services import (
    CODE_INVALID,
    trainee_signup_start,
    trainee_signup_verify,
)
from training_platform.audit.models import AuditEvent

pytestmark = pytest.mark.django_db

User = get_user_model()


def _signed_in_username(client):
    user_id = client.session.get("_auth_user_id")
    return User.objects.get(pk=user_id).username if user_id else None


def _sign_up(client, data, url=URL):
    """Both steps with the code sent to the typed phone; the last response."""
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:1000]
    assert response.headers["Location"] == VERIFY_URL
    return client.post(VERIFY_URL, {"code": last_code_to(_phone(data["phone"]))})


def _phone(typed):
    return "".join(ch for ch in typed if ch.isdigit())[-11:]


def test_signup_url_is_stable():
    assert reverse("signup") == URL
    assert reverse("signup_verify") == VERIFY_URL


def test_new_person_gets_a_record_and_an_account_and_is_signed_in(client):
    data = _form()
    response = client.post(URL, data)
    # Nothing exists before the code step.
    assert response.status_code == 302
    assert response.headers["Location"] == VERIFY_URL
    assert trainee_find_by_id_number(data["id_number"]) is None
    assert not User.objects.filter(username="zhangsan").exists()
    assert len(sms_codes_to("13812345678")) == 1
    page = client.get(VERIFY_URL).content.decode()
    assert "验证码" in page
    response = client.post(VERIFY_URL, {"code": last_code_to("13812345678")})
    assert response.status_code == 302
    assert response.headers["Location"] == "/me/"
    trainee = trainee_find_by_id_number(data["id_number"])
    assert trainee is not None
    assert trainee.name == "张三"
    assert trainee.phone == "13812345678"
    assert trainee.claimed_at is None  # a new record, not a claimed one
    assert trainee.user.username == "zhangsan"
    assert trainee.user.check_password(GOOD_PASSWORD)
    assert _signed_in_username(client) == "zhangsan"
    assert AuditEvent.objects.filter(
        action="trainee.signup", object_id=str(trainee.pk)
    ).exists()
    page = client.get("/me/").content.decode()
    assert '<p class="person-name">张三</p>' in page  # their own name, in full
    assert data["id_number"] not in page


def test_input_is_normalised_and_phone_is_the_username_when_left_empty(client):
    number = make_id_number("520102")
    full_width = number[:-1].translate(
        str.maketrans("0123456789", "０１２３４５６７８９")
    )
    response = _sign_up(
        client,
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


def test_code_is_accepted_with_spaces_and_full_width_digits(client):
    data = _form()
    client.post(URL, data)
    code = last_code_to("13812345678")
    typed = (
        " "
        + code[:3]
        + " "
        + code[3:].translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    )
    assert client.post(VERIFY_URL, {"code": typed}).status_code == 302
    assert trainee_find_by_id_number(data["id_number"]).user is not None


def test_person_on_file_is_linked_with_the_code_sent_to_the_phone_on_file(client):
    """Before issue 9 the typed phone replaced the one on file; it no longer does."""
    number = make_id_number("520103")
    existing = TraineeFactory(name="李四", id_number=number, phone="13900000000")
    before = Trainee.objects.count()
    response = client.post(
        URL, _form(name="李 四", id_number=number, username="lisi", phone="13711112222")
    )
    assert response.headers["Location"] == VERIFY_URL
    # The code goes to the phone on file, never to the phone typed.
    assert sms_codes_to("13711112222") == []
    response = client.post(VERIFY_URL, {"code": last_code_to("13900000000")})
    assert response.status_code == 302
    assert Trainee.objects.count() == before
    existing.refresh_from_db()
    assert existing.user.username == "lisi"
    assert existing.phone == "13900000000"
    assert existing.claimed_at is not None
    assert _signed_in_username(client) == "lisi"


def test_mismatched_name_fails_at_the_code_step_without_revealing_anything(client):
    number = make_id_number("520103")
    existing = TraineeFactory(name="李四", id_number=number, phone="13900000000")
    users = User.objects.count()
    response = client.post(URL, _form(name="王五", id_number=number, username="ww"))
    assert response.headers["Location"] == VERIFY_URL
    assert sms_codes_to("13900000000") == []  # nothing sent for a wrong name
    response = client.post(VERIFY_URL, {"code": "123456"})
    assert response.status_code == 200
    body = response.content.decode()
    assert "验证码或激活码不正确" in body
    assert "李四" not in body
    assert "李*" not in body
    assert "139" not in body
    existing.refresh_from_db()
    assert existing.user is None
    assert User.objects.count() == users
    assert _signed_in_username(client) is None


def test_already_registered_id_number_cannot_be_signed_up_again(client):
    number = make_id_number("520103")
    TraineeFactory(
        name="李四",
        id_number=number,
        phone="13900000000",
        user=UserFactory(username="lisi"),
    )
    users = User.objects.count()
    response = client.post(URL, _form(name="李四", id_number=number, username="li4"))
    assert response.headers["Location"] == VERIFY_URL
    assert sms_codes_to("13900000000") == []
    response = client.post(VERIFY_URL, {"code": "123456"})
    assert "验证码或激活码不正确" in response.content.decode()
    assert User.objects.count() == users
    assert _signed_in_username(client) is None


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
    assert not sms_codes_to("13812345678")


def test_taken_username_is_told_only_after_the_code(client):
    UserFactory(username="ZhangSan")
    response = client.post(URL, _form(username="zhangsan"))
    # The first step does not tell whether the username exists.
    assert response.headers["Location"] == VERIFY_URL
    response = client.post(VERIFY_URL, {"code": last_code_to("13812345678")})
    assert response.status_code == 302
    assert response.headers["Location"] == URL
    page = client.get(URL).content.decode()
    assert "已被使用" in page
    assert not Trainee.objects.exists()
    assert User.objects.count() == 1
    # The pending sign-up is gone: the code step sends back to the form.
    assert client.get(VERIFY_URL).headers["Location"] == URL


def test_password_too_similar_to_the_phone_username_is_refused(client):
    data = _form(username="", password1="13812345678a", password2="13812345678a")
    response = client.post(URL, data)
    assert response.status_code == 200
    assert not User.objects.filter(username="13812345678").exists()


def test_safe_next_is_followed_and_foreign_next_is_not(client):
    response = _sign_up(
        client, _form(username="a1"), url=f"{URL}?next=/classes/T-1/enrol/"
    )
    assert response.headers["Location"] == "/classes/T-1/enrol/"
    client.logout()
    response = _sign_up(
        client,
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
    assert response.headers["Location"] == VERIFY_URL
    assert trainee_find_by_id_number(number) is None
    response = client.post(VERIFY_URL, {"code": last_code_to("13600000000")})
    assert response.status_code == 302
    assert trainee_find_by_id_number(number).user == user


def test_signed_in_account_claims_a_record_on_file_only_with_proof(client):
    number = make_id_number("520102")
    existing = TraineeFactory(name="赵六", id_number=number, phone="13900000000")
    user = UserFactory(username="wechat-user")
    client.force_login(user)
    client.post(URL, {"name": "赵六", "id_number": number, "phone": "13600000000"})
    response = client.post(VERIFY_URL, {"code": "000000"})
    assert "验证码或激活码不正确" in response.content.decode()
    existing.refresh_from_db()
    assert existing.user is None
    client.post(VERIFY_URL, {"code": last_code_to("13900000000")})
    existing.refresh_from_db()
    assert existing.user == user
    assert existing.phone == "13900000000"


def test_signed_in_trainee_is_sent_to_their_area(client):
    trainee = TraineeFactory(user=UserFactory())
    client.force_login(trainee.user)
    response = client.get(URL)
    assert response.status_code == 302
    assert response.headers["Location"] == "/me/"


def test_code_step_without_a_pending_sign_up_goes_back_to_the_form(client):
    assert client.get(VERIFY_URL).headers["Location"] == URL
    assert client.post(VERIFY_URL, {"code": "123456"}).headers["Location"] == URL


def test_id_number_passwords_and_code_are_hidden_from_error_reports(client):
    request = RequestFactory().post(URL, _form(phone="bad"))
    request.user = AnonymousUser()
    response = views.signup(request)
    assert response.status_code == 200
    assert set(request.sensitive_post_parameters) == {
        "id_number",
        "password1",
        "password2",
    }
    client.post(URL, _form())
    request = RequestFactory().post(VERIFY_URL, {"code": "123456"})
    request.user = AnonymousUser()
    request.session = client.session
    views.signup_verify(request)
    assert request.sensitive_post_parameters == ("code",)


def test_services_refuse_a_name_mismatch_with_the_generic_code_error():
    number = make_id_number("520103")
    TraineeFactory(name="李四", id_number=number, phone="13900000000")
    pending = trainee_signup_start(
        name="王五",
        id_number=number,
        phone="13800000000",
        username="wangwu",
        password=GOOD_PASSWORD,
    )
    assert number not in str(pending)  # the session holds it encrypted
    with pytest.raises(ValidationError) as caught:
        trainee_signup_verify(pending=pending, code="123456")
    assert caught.value.code == "code_invalid"
    assert caught.value.messages == [CODE_INVALID]
    assert not User.objects.filter(username="wangwu").exists()
