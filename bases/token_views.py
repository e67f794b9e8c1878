"""接口令牌: the back-office screens of institutions' API tokens (bases.tokens).

- The institution's staff see the list, make a token (shown once, on the page that
  answers the form, never again) and revoke one.
- The bureau over the institution's region (and administrators) see the list read-only
  and may revoke; anyone else gets 404, as does a token of another institution.
"""

import datetime as dt

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST
from wagtail.admin.menu import MenuItem

from bases import policies, tokens
from bases.models import ApiToken, TrainingInstitution
from training_platform import access, confirm
from training_platform.display import person_name
from training_platform.errors import error_text
from training_platform.roles import Role

DEFAULT_DAYS = 90


def may_see_tokens(user, institution) -> bool:
    """The institution's staff, the bureau over its region, administrators."""
    return policies.is_institution_staff(user, institution) or policies.may_review(
        user, institution
    )


def may_create_tokens(user, institution) -> bool:
    return policies.is_institution_staff(user, institution)


def _institution_or_404(request, pk) -> TrainingInstitution:
    institution = get_object_or_404(
        TrainingInstitution.objects.select_related("region"), pk=pk
    )
    if not may_see_tokens(request.user, institution):
        raise Http404
    return institution


def _list_url(institution) -> str:
    return reverse("bases_api_tokens", args=[institution.pk])


# --- the list ---------------------------------------------------------------------------


def _row(token: ApiToken, now) -> dict:
    return {
        "token": token,
        "created_by": person_name(token.created_by),
        "revoked_by": person_name(token.revoked_by) if token.revoked_by_id else "",
        "expires_on": tokens.expiry_date(token),
        "status": token.status_at(now),
        "live": token.is_live(now),
    }


def token_list(request, pk):
    institution = _institution_or_404(request, pk)
    now = timezone.now()
    rows = [
        _row(token, now)
        for token in ApiToken.objects.filter(institution=institution)
        .select_related("created_by", "revoked_by")
        .order_by("-created_at", "-pk")
    ]
    return render(
        request,
        "bases/tokens/list.html",
        {
            "institution": institution,
            "rows": rows,
            "may_create": may_create_tokens(request.user, institution),
            "new_url": reverse("bases_api_token_new", args=[institution.pk]),
            "institution_url": reverse(
                "traininginstitution:inspect", args=[institution.pk]
            ),
        },
    )


# --- a new token ------------------------------------------------------------------------


class ApiTokenForm(forms.Form):
    name = forms.CharField(
        label="令牌名称",
        max_length=tokens.NAME_MAX_LENGTH,
        help_text="写明哪个系统使用它，如：教务系统、学员报名小程序。",
        error_messages={"required": "请填写令牌名称。"},
    )
    expires_on = forms.DateField(
        label="有效期至",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text="令牌在该日结束时失效，最长一年。",
        error_messages={
            "required": "请填写有效期。",
            "invalid": "请按 2026-12-01 的格式填写日期。",
        },
    )

    def clean_name(self):
        return self.cleaned_data["name"].strip()

    def clean_expires_on(self):
        day = self.cleaned_data["expires_on"]
        today = timezone.localdate()
        if day < today:
            raise ValidationError("有效期不能早于今天。")
        latest = today + dt.timedelta(days=tokens.MAX_DAYS)
        if day > latest:
            raise ValidationError(f"有效期最长一年（至 {latest:%Y-%m-%d}）。")
        return day


FORM_FIELD = {"name": "name", "expires_at": "expires_on"}


@never_cache
def token_new(request, pk):
    institution = _institution_or_404(request, pk)
    back_url = _list_url(institution)
    if not may_create_tokens(request.user, institution):
        return render(
            request,
            "bases/admin/denied.html",
            {
                "message": "接口令牌由本机构的工作人员新建；您可以查看和撤销。",
                "back_url": back_url,
            },
            status=403,
        )
    if request.method == "POST":
        form = ApiTokenForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                token, plain = tokens.api_token_create(
                    institution=institution,
                    name=data["name"],
                    expires_at=tokens.end_of_day(data["expires_on"]),
                    actor=request.user,
                    request=request,
                )
            except ValidationError as exc:
                if hasattr(exc, "error_dict"):
                    for name, errors in exc.error_dict.items():
                        form.add_error(FORM_FIELD.get(name), ValidationError(errors))
                else:
                    form.add_error(None, exc)
            except PermissionDenied as exc:
                form.add_error(None, error_text(exc))
            else:
                # The one and only time the plain token is shown: in this answer to
                # the POST (never stored, never cached, not reachable by a GET).
                return render(
                    request,
                    "bases/tokens/created.html",
                    {
                        "institution": institution,
                        "token": token,
                        "plain": plain,
                        "expires_on": tokens.expiry_date(token),
                        "back_url": back_url,
                    },
                )
    else:
        form = ApiTokenForm(
            initial={
                "expires_on": timezone.localdate() + dt.timedelta(days=DEFAULT_DAYS)
            }
        )
    return render(
        request,
        "bases/tokens/new.html",
        {"institution": institution, "form": form, "back_url": back_url},
    )


# --- revoke -----------------------------------------------------------------------------


@require_POST
def token_revoke(request, pk, token_pk):
    institution = _institution_or_404(request, pk)
    token = get_object_or_404(
        ApiToken.objects.select_related("institution"),
        pk=token_pk,
        institution=institution,
    )
    back_url = _list_url(institution)
    if token.revoked_at is not None:
        messages.error(request, "该令牌已撤销。")
        return redirect(back_url)
    if confirm.needed(request):
        return confirm.page(
            request,
            title="撤销令牌",
            question=f"确定撤销令牌“{token.name}”（{token.prefix}…）吗？",
            consequences=[
                "撤销后，使用该令牌的系统立即无法再访问接口；撤销不能恢复。",
                "如需继续对接，请新建令牌并在对接系统中替换。",
            ],
            confirm_label="确认撤销令牌",
            cancel_url=back_url,
            danger=True,
        )
    try:
        tokens.api_token_revoke(token=token, actor=request.user, request=request)
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(request, f"令牌“{token.name}”已撤销。")
    return redirect(back_url)


# --- the menu entry of institution staff ------------------------------------------------


def _own_institutions(user) -> list[int]:
    return list(access.scope_for(user).institution_ids(Role.INSTITUTION))


def my_tokens(request):
    """The menu entry's target: the tokens of the user's institution (or a choice when
    they are staff of several)."""
    ids = _own_institutions(request.user)
    if not ids:
        raise Http404
    if len(ids) == 1:  # the list itself, so the menu entry answers 200 at once
        return token_list(request, ids[0])
    institutions = TrainingInstitution.objects.filter(pk__in=ids).order_by("name")
    return render(
        request, "bases/tokens/choose.html", {"institutions": list(institutions)}
    )


class InstitutionStaffMenuItem(MenuItem):
    """A menu entry for institution staff only."""

    def is_shown(self, request):
        return bool(_own_institutions(request.user))


def tokens_menu_item():
    return InstitutionStaffMenuItem(
        "接口令牌", reverse("bases_my_api_tokens"), name="api-tokens", icon_name="key"
    )
