"""A trainee's own pages on the public site: real-name sign-up and /me/."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods

from trainees.forms import RealNameForm, SignupForm
from trainees.records import record_for
from trainees.selectors import trainee_of
from trainees.services import trainee_link_user, trainee_signup
from training_platform import access

ME_URL = "/me/"


def _next_url(request) -> str:
    """Where to go after signing up: a safe ``next`` on this site, else /me/."""
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return ME_URL


@sensitive_post_parameters("id_number", "password1", "password2")
@never_cache
@require_http_methods(["GET", "POST"])
def signup(request):
    """实名注册. A signed-in account without a record gives only the real-name part."""
    user = request.user
    if user.is_authenticated and trainee_of(user) is not None:
        return redirect(_next_url(request))
    completing = user.is_authenticated
    form_class = RealNameForm if completing else SignupForm
    form = form_class(request.POST if request.method == "POST" else None)
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        try:
            if completing:
                trainee_link_user(
                    user=user,
                    name=data["name"],
                    id_number=data["id_number"],
                    phone=data["phone"],
                )
            else:
                trainee = trainee_signup(
                    name=data["name"],
                    id_number=data["id_number"],
                    phone=data["phone"],
                    username=data["username"],
                    password=data["password1"],
                )
                login(
                    request, trainee.user, backend=settings.AUTHENTICATION_BACKENDS[0]
                )
        except ValidationError as error:
            form.add_service_error(error)
        else:
            messages.success(request, "实名注册成功。")
            return redirect(_next_url(request))
    return render(
        request,
        "accounts/signup.html",
        {"form": form, "completing": completing, "next": _next_url(request)},
    )


def _is_staff(user) -> bool:
    return (
        user.is_staff
        or user.has_perm("wagtailadmin.access_admin")
        or access.scope_for(user).is_staff_scope
    )


@login_required
@never_cache
def me(request):
    """The signed-in person's own area: who they are and their lifetime record."""
    trainee = trainee_of(request.user)
    if trainee is None:
        return render(
            request, "trainees/me_no_record.html", {"is_staff": _is_staff(request.user)}
        )
    return render(
        request, "trainees/me.html", {"trainee": trainee, "record": record_for(trainee)}
    )
