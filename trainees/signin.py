"""A trainee's sign-in and password reset on the public site.

Sign-up makes the phone number the user name unless the person chose one (``SignupForm``),
so the sign-in field is 手机号/用户名 and takes either: a phone number that is not itself a
user name signs in the one trainee account whose record holds that phone.

Password reset is by SMS, to the phone on the person's record (trainees rarely have an
e-mail address on file). Like sign-up it has two steps and never tells whether a phone is
on file: step 1 checks only the form of the number and always leads to step 2; a code is
sent only when exactly one trainee account has that phone. A wrong, expired or never-sent
code gives the same answer. Attempts are limited per pending reset, codes per phone, and
both steps per client address (the sign-up settings: the same kind of traffic).
"""

import hmac
import logging
import secrets
import time

from axes.utils import reset as axes_reset
from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model, password_validation
from django.contrib.auth.views import LoginView
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.urls import reverse_lazy
from django.utils.translation import gettext_lazy as _
from django.views.decorators.debug import sensitive_variables

from trainees.models import Trainee
from training_platform import pii, ratelimit, sms
from training_platform.accounts.forms import LoginForm
from training_platform.accounts.throttling import is_staff_user
from training_platform.audit.services import audit_record
from training_platform.validators import normalize_mobile

logger = logging.getLogger(__name__)

SIGN_IN_LABEL = _("手机号/用户名")


def trainee_accounts_with_phone(phone: str) -> list:
    """Active, non-staff accounts whose trainee record holds this (normalised) phone."""
    rows = Trainee.objects.filter(
        phone=phone, user__isnull=False, user__is_active=True
    ).select_related("user")[:5]
    return [row.user for row in rows if not is_staff_user(row.user)]


def username_for_sign_in(typed: str) -> str:
    """The user name to check the password against: what was typed, or for a phone
    number that is no user name, the one trainee account with that phone."""
    typed = (typed or "").strip()
    users = get_user_model().objects
    if not typed or users.filter(username=typed).exists():
        return typed
    try:
        phone = normalize_mobile(typed)
    except ValidationError:
        return typed
    if users.filter(username=phone).exists():
        return phone
    accounts = trainee_accounts_with_phone(phone)
    return accounts[0].get_username() if len(accounts) == 1 else typed


class TraineeLoginForm(LoginForm):
    """The trainee sign-in: a phone number or a user name, and the password."""

    error_messages = {
        **LoginForm.error_messages,
        "invalid_login": _("手机号/用户名或密码不正确。"),
    }

    def __init__(self, request=None, *args, **kwargs):
        super().__init__(request, *args, **kwargs)
        field = self.fields["username"]
        field.label = SIGN_IN_LABEL
        field.widget.attrs.update({"autocapitalize": "none", "spellcheck": "false"})

    def clean(self):
        typed = self.cleaned_data.get("username")
        if typed:
            self.cleaned_data["username"] = username_for_sign_in(typed)
        return super().clean()


class TraineeLoginView(LoginView):
    """Back to where the trainee was (a safe ``next``), else to their own page."""

    template_name = "accounts/login.html"
    authentication_form = TraineeLoginForm
    next_page = reverse_lazy("me")


# --- password reset by SMS ---------------------------------------------------------------

RESET_PENDING_PURPOSE = "trainee.password_reset_code"
RESET_PHONE_PURPOSE = "trainee.password_reset_phone"
CODE_INVALID = _("验证码不正确或已过期。请核对后重新输入，或返回重新获取验证码。")
TOO_MANY_ATTEMPTS = _("验证码输入错误次数过多，请重新获取验证码。")


def _code_hash(pending_id: str, code: str) -> str:
    return pii.blind_index(f"{pending_id}:{code}", purpose=RESET_PENDING_PURPOSE)


def _send(phone: str, body: str) -> None:
    phone_key = pii.blind_index(phone, purpose=RESET_PHONE_PURPOSE)
    if ratelimit.check(
        "password-reset-sms", phone_key, settings.TRAINEE_SIGNUP_SMS_PER_PHONE_RATE
    ):
        logger.warning("Password reset SMS not sent: too many to one phone recently.")
        return
    try:
        sms.send_sms(phone, body)
    except Exception as exc:
        # Not logger.exception: a gateway's error text may quote the message.
        logger.error("Password reset SMS could not be sent (%s).", type(exc).__name__)


@sensitive_variables("code")
def password_reset_start(*, phone: str) -> dict:
    """Check the phone's form, send a code if exactly one trainee account has it, and
    return the pending reset (kept in the session). Raises only for a malformed phone."""
    phone = normalize_mobile(phone)
    pending_id = secrets.token_urlsafe(18)
    code = f"{secrets.randbelow(10**6):06d}"
    accounts = trainee_accounts_with_phone(phone)
    minutes = settings.TRAINEE_SIGNUP_CODE_MINUTES
    if len(accounts) == 1:
        _send(
            phone,
            f"【黔技通】验证码 {code}，用于重设登录密码（用户名 "
            f"{accounts[0].get_username()}），{minutes}分钟内有效。"
            "请勿告诉他人；如非本人操作，请忽略本短信。",
        )
    elif accounts:
        _send(
            phone,
            "【黔技通】本手机号码登记在多个学员账号上，不能用短信重设密码。"
            "请联系所在培训机构或当地人社部门。如非本人操作，请忽略本短信。",
        )
    return {
        "id": pending_id,
        "phone": phone,
        "code_hash": _code_hash(pending_id, code),
        "expires": time.time() + minutes * 60,
    }


def _count_attempt(pending_id: str) -> int:
    key = f"password-reset-attempts:{pending_id}"
    timeout = settings.TRAINEE_SIGNUP_CODE_MINUTES * 60 + 60
    cache.add(key, 0, timeout=timeout)
    try:
        return cache.incr(key)
    except ValueError:
        cache.add(key, 1, timeout=timeout)
        return 1


@sensitive_variables("code", "password")
def password_reset_finish(*, pending: dict, code: str, password: str, request=None):
    """Set the new password if the code is the one sent; return the account.

    ``ValidationError`` with code ``code_invalid`` or ``too_many_attempts`` for the code
    (the same whether or not a code was ever sent), or the password validators' errors
    (under ``password``) once the code has proved the phone.
    """
    if _count_attempt(pending["id"]) > settings.TRAINEE_SIGNUP_CODE_ATTEMPTS:
        raise ValidationError(TOO_MANY_ATTEMPTS, code="too_many_attempts")
    typed = "".join(ch for ch in str(code) if ch.isdigit())[:6]
    fresh = time.time() <= pending["expires"]
    matches = hmac.compare_digest(
        _code_hash(pending["id"], typed), pending["code_hash"]
    )
    # The account is found again: one that appeared or went away since counts as no code.
    accounts = trainee_accounts_with_phone(pending["phone"])
    if not (fresh and matches and len(accounts) == 1):
        raise ValidationError(CODE_INVALID, code="code_invalid")
    user = accounts[0]
    try:
        password_validation.validate_password(password, user)
    except ValidationError as exc:
        raise ValidationError({"password": exc.error_list}) from None
    user.set_password(password)
    user.save(update_fields=["password"])
    # The person proved the phone: earlier failed sign-ins no longer lock them out.
    axes_reset(username=user.get_username())
    audit_record(
        actor=user,
        action="account.password_reset",
        obj=user,
        after={"method": "sms"},
        request=request,
    )
    return user


class PasswordResetStartForm(forms.Form):
    phone = forms.CharField(
        label=_("手机号码"),
        max_length=30,
        error_messages={"required": _("请填写手机号码。")},
        help_text=_("实名注册时填写的、或培训机构登记的手机号码。"),
        widget=forms.TextInput(
            attrs={"autocomplete": "tel", "inputmode": "tel", "autofocus": True}
        ),
    )

    def clean_phone(self):
        return normalize_mobile(self.cleaned_data["phone"])


class PasswordResetFinishForm(forms.Form):
    code = forms.CharField(
        label=_("短信验证码"),
        max_length=20,
        error_messages={"required": _("请填写短信验证码。")},
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}
        ),
    )
    password1 = forms.CharField(
        label=_("新密码"),
        strip=False,
        error_messages={"required": _("请设置新密码。")},
        help_text=_("至少8位，不能全是数字，不能与用户名太相似，也不能过于常见。"),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password2 = forms.CharField(
        label=_("确认新密码"),
        strip=False,
        error_messages={"required": _("请再次输入新密码。")},
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self):
        cleaned = super().clean()
        first, second = cleaned.get("password1"), cleaned.get("password2")
        if first and second and first != second:
            self.add_error("password2", _("两次输入的密码不一致。"))
        return cleaned
