"""Back-office page for administrators: who is locked out of sign-in, and unlocking them.

The same as `manage.py axes_reset_username <name>` / `axes_reset_ip <address>`, for
administrators (superusers) only.
"""

from axes.helpers import get_cool_off
from axes.models import AccessAttempt
from axes.utils import reset
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Max, Sum
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from training_platform.audit.services import audit_record
from training_platform.clientip import parse_address


def _recent_attempts():
    cool_off = get_cool_off()
    attempts = AccessAttempt.objects.all()
    if cool_off:
        attempts = attempts.filter(attempt_time__gte=timezone.now() - cool_off)
    return attempts


def _totals(attempts, field):
    limit = settings.AXES_FAILURE_LIMIT
    rows = (
        attempts.exclude(**{f"{field}__isnull": True})
        .values(field)
        .annotate(failures=Sum("failures_since_start"), last=Max("attempt_time"))
        .order_by("-last")
    )
    return [
        {"value": row[field], "failures": row["failures"], "last": row["last"]}
        | {"locked": row["failures"] >= limit}
        for row in rows
    ]


@require_http_methods(["GET", "POST"])
def lockouts(request):
    if not request.user.is_superuser:
        raise PermissionDenied
    if request.method == "POST":
        username = (request.POST.get("username") or "").strip()
        ip = (request.POST.get("ip") or "").strip()
        if username:
            target = {"username": username}
        elif ip and parse_address(ip) is not None:
            target = {"ip_address": ip}
        else:
            messages.error(request, "请指定要解锁的用户名或地址。")
            return redirect("account_lockouts")
        latest = (
            AccessAttempt.objects.filter(**target).order_by("-attempt_time").first()
        )
        count = reset(**({"username": username} if username else {"ip": ip}))
        if latest is not None:
            audit_record(
                actor=request.user,
                action="login_unlock",
                obj=latest,
                after={**target, "removed_attempts": count},
                request=request,
            )
        what = f"用户名“{username}”" if username else f"地址 {ip}"
        messages.success(request, f"已解锁{what}（清除 {count} 条失败记录）。")
        return redirect("account_lockouts")
    attempts = _recent_attempts()
    return TemplateResponse(
        request,
        "accounts_admin/lockouts.html",
        {
            "page_title": "登录锁定",
            "header_icon": "lock",
            "failure_limit": settings.AXES_FAILURE_LIMIT,
            "cool_off_minutes": int(get_cool_off().total_seconds() // 60)
            if get_cool_off()
            else None,
            "by_username": _totals(attempts, "username"),
            "by_ip": _totals(attempts, "ip_address"),
        },
    )
