"""A trainee's own pages on the public site: real-name sign-up and /me/."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import (
    content_disposition_header,
    url_has_allowed_host_and_scheme,
    urlencode,
)
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods

from trainees.forms import RealNameForm, SignupCodeForm, SignupForm
from trainees.policies import is_back_office_user
from trainees.record_export import (
    export_filename,
    record_in_chinese,
    record_pdf,
    record_xlsx,
)
from trainees.records import record_for
from trainees.selectors import trainee_of
from trainees.services import trainee_signup_start, trainee_signup_verify
from trainees.signin import (
    PasswordResetFinishForm,
    PasswordResetStartForm,
    password_reset_finish,
    password_reset_start,
)
from training_platform import pii
from training_platform.ratelimit import rate_limited
from training_platform.xlsx import xlsx_response

ME_URL = "/me/"


def _next_url(request) -> str:
    """Where to go after signing up: a safe ``next`` on this site, else /me/."""
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return ME_URL


PENDING_KEY = "trainee_signup"


def _too_many(retry_after: int) -> HttpResponse:
    response = HttpResponse(
        "注册操作过于频繁，请稍后再试。",
        status=429,
        content_type="text/plain; charset=utf-8",
    )
    response["Retry-After"] = str(retry_after)
    return response


def _signup_url(next_url: str = "") -> str:
    url = reverse("signup")
    if next_url and next_url != ME_URL:
        url += "?" + urlencode({"next": next_url})
    return url


@sensitive_post_parameters("id_number", "password1", "password2")
@never_cache
@require_http_methods(["GET", "POST"])
@rate_limited("signup", "TRAINEE_SIGNUP_RATE", methods={"POST"}, response=_too_many)
def signup(request):
    """实名注册, step 1: who the person is. Every well-formed answer leads to the code step
    (the same page whether or not the username or the ID number is on file).

    A signed-in account without a record gives only the real-name part.
    """
    user = request.user
    if user.is_authenticated and trainee_of(user) is not None:
        return redirect(_next_url(request))
    completing = user.is_authenticated
    form_class = RealNameForm if completing else SignupForm
    form = form_class(request.POST if request.method == "POST" else None)
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        try:
            pending = trainee_signup_start(
                name=data["name"],
                id_number=data["id_number"],
                phone=data["phone"],
                username=data.get("username", ""),
                password=data.get("password1", ""),
                user=user if completing else None,
                next_url=_next_url(request),
            )
        except ValidationError as error:
            form.add_service_error(error)
        else:
            request.session[PENDING_KEY] = pending
            return redirect("signup_verify")
    return render(
        request,
        "accounts/signup.html",
        {"form": form, "completing": completing, "next": _next_url(request)},
    )


@sensitive_post_parameters("code")
@never_cache
@require_http_methods(["GET", "POST"])
@rate_limited(
    "signup-verify", "TRAINEE_SIGNUP_VERIFY_RATE", methods={"POST"}, response=_too_many
)
def signup_verify(request):
    """实名注册, step 2: the SMS code or an activation code proves the person."""
    user = request.user if request.user.is_authenticated else None
    pending = request.session.get(PENDING_KEY)
    if not pending or pending.get("user_id") != (user.pk if user else None):
        request.session.pop(PENDING_KEY, None)
        return redirect("signup")
    form = SignupCodeForm(request.POST if request.method == "POST" else None)
    if form.is_bound and form.is_valid():
        try:
            trainee = trainee_signup_verify(
                pending=pending,
                code=form.cleaned_data["code"],
                user=user,
                request=request,
            )
        except ValidationError as error:
            if getattr(error, "code", None) != "code_invalid":
                # Too many tries, expired, or a taken username: start again.
                request.session.pop(PENDING_KEY, None)
                messages.error(request, error.messages[0])
                return redirect(_signup_url(pending.get("next", "")))
            form.add_error("code", error)
        else:
            request.session.pop(PENDING_KEY, None)
            if user is None:
                login(
                    request, trainee.user, backend=settings.AUTHENTICATION_BACKENDS[0]
                )
            messages.success(request, "实名注册成功。")
            return redirect(pending.get("next") or ME_URL)
    return render(
        request,
        "trainees/signup_verify.html",
        {
            "form": form,
            "completing": user is not None,
            "restart_url": _signup_url(pending.get("next", "")),
        },
    )


@login_required
@never_cache
def me(request):
    """The signed-in person's own area: who they are and their lifetime record."""
    trainee = trainee_of(request.user)
    if trainee is None:
        return render(
            request,
            "trainees/me_no_record.html",
            {"is_staff": is_back_office_user(request.user)},
        )
    return render(
        request, "trainees/me.html", {"trainee": trainee, "record": record_for(trainee)}
    )


# --- the lifetime record (终身培训档案) ------------------------------------------------------


def _own_record(request, *, for_file: bool = False):
    """The signed-in person's record, or None (then /me/ says what to do); a file's
    record is in Chinese whatever the page's language."""
    trainee = trainee_of(request.user)
    if trainee is None:
        return None
    return record_in_chinese(trainee) if for_file else record_for(trainee)


@login_required
@never_cache
def me_record(request):
    """/me/record/: the person's whole record as one timeline, oldest first."""
    record = _own_record(request)
    if record is None:
        return redirect("me")
    return render(
        request,
        "trainees/me_record.html",
        {"trainee": record.trainee, "items": record.in_time_order()},
    )


def pdf_response(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(True, filename)
    response["X-Content-Type-Options"] = "nosniff"
    return response


def public_base_url() -> str:
    return settings.PUBLIC_BASE_URL.rstrip("/")


@login_required
@never_cache
def me_record_pdf(request):
    record = _own_record(request, for_file=True)
    if record is None:
        return redirect("me")
    today = timezone.localdate()
    content = record_pdf(
        record, masked_id=record.trainee.masked_id_number, exported_on=today
    )
    return pdf_response(content, export_filename(record, today, "pdf"))


@login_required
@never_cache
def me_record_xlsx(request):
    record = _own_record(request, for_file=True)
    if record is None:
        return redirect("me")
    today = timezone.localdate()
    content = record_xlsx(
        record,
        masked_id=record.trainee.masked_id_number,
        exported_on=today,
        base_url=public_base_url(),
    )
    return xlsx_response(content, export_filename(record, today, "xlsx"))


# --- password reset by SMS (trainees.signin) --------------------------------------------

RESET_KEY = "trainee_password_reset"


def _too_many_resets(retry_after: int) -> HttpResponse:
    response = HttpResponse(
        "重设密码操作过于频繁，请稍后再试。",
        status=429,
        content_type="text/plain; charset=utf-8",
    )
    response["Retry-After"] = str(retry_after)
    return response


@sensitive_post_parameters("phone")
@never_cache
@require_http_methods(["GET", "POST"])
@rate_limited(
    "password-reset", "TRAINEE_SIGNUP_RATE", methods={"POST"}, response=_too_many_resets
)
def password_reset(request):
    """忘记密码, step 1: the phone number. Every well-formed number leads to step 2."""
    form = PasswordResetStartForm(request.POST if request.method == "POST" else None)
    if form.is_bound and form.is_valid():
        request.session[RESET_KEY] = password_reset_start(
            phone=form.cleaned_data["phone"]
        )
        return redirect("password_reset_finish")
    return render(request, "accounts/password_reset.html", {"form": form})


@sensitive_post_parameters("code", "password1", "password2")
@never_cache
@require_http_methods(["GET", "POST"])
@rate_limited(
    "password-reset-finish",
    "TRAINEE_SIGNUP_VERIFY_RATE",
    methods={"POST"},
    response=_too_many_resets,
)
def password_reset_finish_view(request):
    """忘记密码, step 2: the SMS code and the new password."""
    pending = request.session.get(RESET_KEY)
    if not pending:
        return redirect("password_reset")
    form = PasswordResetFinishForm(request.POST if request.method == "POST" else None)
    if form.is_bound and form.is_valid():
        try:
            password_reset_finish(
                pending=pending,
                code=form.cleaned_data["code"],
                password=form.cleaned_data["password1"],
                request=request,
            )
        except ValidationError as error:
            if hasattr(error, "error_dict"):
                form.add_error("password1", error.error_dict["password"])
            elif getattr(error, "code", None) == "too_many_attempts":
                request.session.pop(RESET_KEY, None)
                messages.error(request, error.messages[0])
                return redirect("password_reset")
            else:
                form.add_error("code", error)
        else:
            request.session.pop(RESET_KEY, None)
            messages.success(request, _("密码已重设，请用新密码登录。"))
            return redirect("login")
    return render(
        request,
        "accounts/password_reset_finish.html",
        {"form": form, "masked_phone": pii.mask_phone(pending["phone"])},
    )
