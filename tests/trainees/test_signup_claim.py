"""Issue 9 item 3: knowing a person's name and ID number is not enough to take over
their record. Linking a record on file needs a code sent to the phone ON FILE or an
activation code staff issued; sign-up answers alike whether or not anything is on file;
codes are limited, expire, work once and stay out of logs; sign-up is throttled."""

import io
import logging
import re
import time

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.test import Client, override_settings

from tests.factories import TraineeFactory, UserFactory, make_id_number, staff_user
from tests.trainees.signup_helpers import (
    URL,
    VERIFY_URL,
    form_data,
    last_code_to,
    sms_codes_to,
)
from trainees.models import ActivationCode, Trainee
from trainees.services import activation_code_issue, trainee_signup_verify
from trainees.views import PENDING_KEY
from training_platform import sms
from training_platform.audit.models import AuditEvent
from training_platform.roles import Role
from training_platform.sms.backends.console import SmsBackend as ConsoleBackend

pytestmark = pytest.mark.django_db

User = get_user_model()
VICTIM_PHONE = "13900000000"
TAKER_PHONE = "13700000000"
CODE_INVALID_TEXT = "验证码或激活码不正确"


@pytest.fixture
def victim():
    """A record an institution created from a roster: no account yet."""
    return TraineeFactory(
        name="李四", id_number=make_id_number("520103"), phone=VICTIM_PHONE
    )


def _signed_in_username(client):
    user_id = client.session.get("_auth_user_id")
    return User.objects.get(pk=user_id).username if user_id else None


def _bureau():
    return staff_user(Role.BUREAU, region_code="520100")


def test_name_and_id_number_alone_no_longer_take_over_a_record(client, victim):
    """On the code before issue 9 this POST linked the record to the taker's new account,
    replaced the phone and signed the taker in (302 to /me/)."""
    response = client.post(
        URL,
        form_data(
            name="李四",
            id_number=victim.id_number,
            phone=TAKER_PHONE,
            username="taker",
        ),
    )
    assert response.status_code == 302
    assert response.headers["Location"] == VERIFY_URL
    victim.refresh_from_db()
    assert victim.user is None
    assert victim.phone == VICTIM_PHONE
    assert _signed_in_username(client) is None
    # No code reaches the taker's phone; the real person's phone gets one.
    assert sms_codes_to(TAKER_PHONE) == []
    assert len(sms_codes_to(VICTIM_PHONE)) == 1
    # Guessing fails, always with the same message.
    right = last_code_to(VICTIM_PHONE)
    for guess in ("123456", "654321", "000001"):
        if guess == right:
            continue
        response = client.post(VERIFY_URL, {"code": guess})
        assert response.status_code == 200
        assert CODE_INVALID_TEXT in response.content.decode()
    victim.refresh_from_db()
    assert victim.user is None
    assert victim.phone == VICTIM_PHONE
    assert not User.objects.filter(username="taker").exists()
    assert _signed_in_username(client) is None
    assert client.get("/me/").status_code == 302  # not signed in

    # The real person, with the code their phone received, claims the record.
    person = Client()
    person.post(
        URL,
        form_data(
            name="李四", id_number=victim.id_number, phone=VICTIM_PHONE, username="lisi"
        ),
    )
    response = person.post(VERIFY_URL, {"code": last_code_to(VICTIM_PHONE)})
    assert response.status_code == 302
    victim.refresh_from_db()
    assert victim.user.username == "lisi"
    assert victim.phone == VICTIM_PHONE
    assert victim.claimed_at is not None
    event = AuditEvent.objects.get(action="trainee.claim", object_id=str(victim.pk))
    assert event.after["method"] == "sms"
    assert event.actor == victim.user


def test_an_sms_code_sent_for_another_sign_up_does_not_open_this_one(client, victim):
    """The taker starts a sign-up for a new ID with their own phone, gets that code, then
    starts one for the victim: the first code is worth nothing for the second."""
    client.post(URL, form_data(phone=TAKER_PHONE, username="taker"))
    own_code = last_code_to(TAKER_PHONE)
    client.post(
        URL,
        form_data(
            name="李四", id_number=victim.id_number, phone=TAKER_PHONE, username="t2"
        ),
    )
    response = client.post(VERIFY_URL, {"code": own_code})
    assert CODE_INVALID_TEXT in response.content.decode()
    victim.refresh_from_db()
    assert victim.user is None


def test_activation_code_claims_a_record_works_once_and_keeps_the_phone(client):
    # The person's phone on file is out of use (or there is none): only staff can help.
    victim = TraineeFactory(name="王芳", id_number=make_id_number("520102"), phone="")
    bureau = _bureau()
    activation, code = activation_code_issue(actor=bureau, trainee=victim)
    assert re.fullmatch(r"[2-9A-HJKMNP-Z]{5}-[2-9A-HJKMNP-Z]{5}", code)
    # Only a keyed hash is stored; the code appears in no column of the row.
    row = ActivationCode.objects.filter(pk=activation.pk).values().get()
    assert code not in str(row) and code.replace("-", "") not in str(row)

    response = client.post(
        URL,
        form_data(
            name="王芳", id_number=victim.id_number, phone=TAKER_PHONE, username="wf"
        ),
    )
    assert response.headers["Location"] == VERIFY_URL
    assert sms.outbox == []  # no phone on file: nothing to send to
    response = client.post(VERIFY_URL, {"code": code.lower().replace("-", " ")})
    assert response.status_code == 302
    victim.refresh_from_db()
    assert victim.user.username == "wf"
    assert victim.phone == ""  # the typed phone is not written to the record
    assert victim.claimed_at is not None
    activation.refresh_from_db()
    assert activation.used_at is not None
    event = AuditEvent.objects.get(action="trainee.claim")
    assert event.after["method"] == "activation_code"
    assert code not in str(event.after)

    # Once used it opens nothing (here: after the account was removed again).
    victim.user.delete()
    victim.refresh_from_db()
    assert victim.user is None
    other = Client()
    other.post(
        URL,
        form_data(
            name="王芳", id_number=victim.id_number, phone=TAKER_PHONE, username="wf2"
        ),
    )
    response = other.post(VERIFY_URL, {"code": code})
    assert CODE_INVALID_TEXT in response.content.decode()
    victim.refresh_from_db()
    assert victim.user is None


def test_activation_code_expires_and_a_new_one_retires_the_old(client, victim):
    bureau = _bureau()
    old, old_code = activation_code_issue(actor=bureau, trainee=victim)
    new, new_code = activation_code_issue(actor=bureau, trainee=victim)
    data = form_data(name="李四", id_number=victim.id_number, username="lisi")
    client.post(URL, data)
    response = client.post(VERIFY_URL, {"code": old_code})
    assert CODE_INVALID_TEXT in response.content.decode()
    # Past its expiry the new code fails too.
    ActivationCode.objects.filter(pk=new.pk).update(expires_at=new.created_at)
    response = client.post(VERIFY_URL, {"code": new_code})
    assert CODE_INVALID_TEXT in response.content.decode()
    victim.refresh_from_db()
    assert victim.user is None


def test_activation_code_is_for_one_record_and_its_name(client, victim):
    other = TraineeFactory(name="赵六", id_number=make_id_number("520102"))
    _activation, code = activation_code_issue(actor=_bureau(), trainee=other)
    # The code of another record does not open the victim's.
    client.post(URL, form_data(name="李四", id_number=victim.id_number))
    assert CODE_INVALID_TEXT in client.post(VERIFY_URL, {"code": code}).content.decode()
    # Nor the right record under a wrong name.
    client.post(URL, form_data(name="赵七", id_number=other.id_number))
    assert CODE_INVALID_TEXT in client.post(VERIFY_URL, {"code": code}).content.decode()
    assert not Trainee.objects.filter(user__isnull=False).exists()


@override_settings(TRAINEE_SIGNUP_CODE_ATTEMPTS=3)
def test_wrong_codes_are_limited_then_even_the_right_one_fails(client, victim):
    client.post(URL, form_data(name="李四", id_number=victim.id_number))
    right = last_code_to(VICTIM_PHONE)
    wrong = [c for c in ("111111", "222222", "333333", "444444") if c != right][:3]
    for guess in wrong:
        assert client.post(VERIFY_URL, {"code": guess}).status_code == 200
    response = client.post(VERIFY_URL, {"code": right})
    assert response.status_code == 302
    assert response.headers["Location"] == URL
    assert "错误次数过多" in client.get(URL).content.decode()
    victim.refresh_from_db()
    assert victim.user is None
    # The pending sign-up is gone.
    assert client.get(VERIFY_URL).headers["Location"] == URL


def test_sms_code_expires(client, victim):
    client.post(URL, form_data(name="李四", id_number=victim.id_number))
    session = client.session
    pending = session[PENDING_KEY]
    pending["expires"] = time.time() - 1
    session[PENDING_KEY] = pending
    session.save()
    response = client.post(VERIFY_URL, {"code": last_code_to(VICTIM_PHONE)})
    assert CODE_INVALID_TEXT in response.content.decode()
    victim.refresh_from_db()
    assert victim.user is None


def test_a_code_works_once(client):
    data = form_data()
    client.post(URL, data)
    code = last_code_to("13812345678")
    pending = client.session[PENDING_KEY]
    assert client.post(VERIFY_URL, {"code": code}).status_code == 302
    client.logout()
    # Replaying the same pending sign-up and code (a copied session) makes nothing new.
    with pytest.raises(ValidationError) as caught:
        trainee_signup_verify(pending=pending, code=code)
    assert caught.value.code == "code_invalid"
    assert Trainee.objects.count() == 1
    assert User.objects.count() == 1


# --- the same answer whether or not anything is on file -----------------------------


def _normalised(response) -> str:
    body = response.content.decode()
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", body)


def _journey(data) -> tuple:
    """What a visitor sees: step 1, the code page, and a wrong code."""
    client = Client()
    first = client.post(URL, data)
    page = client.get(VERIFY_URL)
    wrong = client.post(VERIFY_URL, {"code": "000000"})
    return (
        (first.status_code, first.headers.get("Location"), first.content),
        (page.status_code, [t.name for t in page.templates], _normalised(page)),
        (wrong.status_code, [t.name for t in wrong.templates], _normalised(wrong)),
    )


def test_answers_are_identical_whether_or_not_the_username_or_id_is_on_file(victim):
    linked = TraineeFactory(
        name="王五", id_number=make_id_number("520102"), user=UserFactory()
    )
    UserFactory(username="taken")
    baseline = _journey(form_data(username="fresh"))
    cases = {
        "record on file, right name": form_data(
            name="李四", id_number=victim.id_number, username="fresh"
        ),
        "record on file, wrong name": form_data(
            name="赵六", id_number=victim.id_number, username="fresh"
        ),
        "record with an account": form_data(
            name="王五", id_number=linked.id_number, username="fresh"
        ),
        "username taken": form_data(username="taken"),
        "username taken in other case": form_data(username="TAKEN"),
    }
    for label, data in cases.items():
        seen = _journey(data)
        assert seen == baseline, label
    assert baseline[0][1] == VERIFY_URL
    assert baseline[2][0] == 200
    assert CODE_INVALID_TEXT in baseline[2][2]
    victim.refresh_from_db()
    assert victim.user is None


# --- throttling ---------------------------------------------------------------------


@override_settings(TRAINEE_SIGNUP_RATE="2/3600")
def test_signup_posts_are_throttled_per_client_address(client):
    for n in range(2):
        response = client.post(URL, form_data(username=f"u{n}"))
        assert response.status_code == 302
    response = client.post(URL, form_data(username="u3"))
    assert response.status_code == 429
    assert "过于频繁" in response.content.decode()
    assert int(response.headers["Retry-After"]) > 0
    assert len(sms.outbox) == 2  # the refused request sent nothing
    # Reading the form is not counted.
    assert client.get(URL).status_code == 200
    # Another address is not affected.
    other = Client(REMOTE_ADDR="10.0.0.9")
    assert other.post(URL, form_data(username="u4")).status_code == 302


@override_settings(TRAINEE_SIGNUP_VERIFY_RATE="2/3600")
def test_code_checks_are_throttled_per_client_address(client, victim):
    client.post(URL, form_data(name="李四", id_number=victim.id_number))
    for _ in range(2):
        assert client.post(VERIFY_URL, {"code": "000000"}).status_code == 200
    response = client.post(VERIFY_URL, {"code": last_code_to(VICTIM_PHONE)})
    assert response.status_code == 429
    assert "过于频繁" in response.content.decode()
    victim.refresh_from_db()
    assert victim.user is None


@override_settings(TRAINEE_SIGNUP_SMS_PER_PHONE_RATE="1/3600")
def test_codes_to_one_phone_are_limited_without_changing_the_answer(victim):
    first = Client().post(URL, form_data(name="李四", id_number=victim.id_number))
    second = Client(REMOTE_ADDR="10.0.0.2").post(
        URL, form_data(name="李四", id_number=victim.id_number)
    )
    assert len(sms_codes_to(VICTIM_PHONE)) == 1
    assert (first.status_code, first.headers["Location"]) == (
        second.status_code,
        second.headers["Location"],
    )


# --- codes stay out of the logs -----------------------------------------------------


def test_codes_are_never_logged(client, victim, caplog):
    caplog.set_level(logging.DEBUG)
    _activation, activation = activation_code_issue(actor=_bureau(), trainee=victim)
    client.post(URL, form_data(name="李四", id_number=victim.id_number))
    code = last_code_to(VICTIM_PHONE)
    client.post(VERIFY_URL, {"code": "000000"})
    client.post(VERIFY_URL, {"code": code})
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert code not in logged
    assert activation not in logged
    assert code not in repr(sms.outbox[-1])


def test_console_backend_prints_the_message_for_development_only():
    stream = io.StringIO()
    with override_settings(DEBUG=True):
        sent = ConsoleBackend(stream=stream).send_messages(
            [sms.SmsMessage(to="13800000000", body="验证码 123456")]
        )
    assert sent == 1
    assert "13800000000" in stream.getvalue()
    assert "123456" in stream.getvalue()
    # Outside DEBUG standard output is a log: the backend refuses to run.
    with pytest.raises(ImproperlyConfigured):
        ConsoleBackend(stream=stream)


def test_a_failing_gateway_changes_nothing_in_the_answer(client, caplog):
    console = "training_platform.sms.backends.console.SmsBackend"
    with override_settings(SMS_BACKEND=console):  # refuses: DEBUG is off
        response = client.post(URL, form_data())
    assert response.headers["Location"] == VERIFY_URL
    assert "could not be sent" in caplog.text


def test_backend_is_chosen_by_the_setting():
    with override_settings(
        SMS_BACKEND="training_platform.sms.backends.dummy.SmsBackend"
    ):
        assert sms.send_sms("13800000000", "x") == 1
    assert sms.outbox == []
    assert sms.send_sms("13800000000", "y") == 1  # the test setting: locmem
    assert [m.body for m in sms.outbox] == ["y"]
