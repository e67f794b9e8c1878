"""What the demo contains, read from the database: the demo users with their roles and
scopes, the demo classes and certificates (`manage.py demo_info`, the banner of
`make run`)."""

import unicodedata

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Prefetch
from django.urls import reverse

from bases.models import StaffMembership
from demo.certificates import demo_certificates
from demo.courses import demo_classes
from demo.fixtures import DEMO_BASE_URL, DEMO_PASSWORD, DEMO_USERNAMES
from training_platform.roles import STAFF_ROLES, Role, group_name


def _roles_and_scope(user) -> tuple[list, str | None]:
    roles = set()
    scopes = []
    if user.is_superuser:
        roles.add(Role.ADMIN)
    if any(group.name == group_name(Role.EDITOR) for group in user.groups.all()):
        roles.add(Role.EDITOR)
    for membership in user.memberships.all():
        roles.add(membership.role)
        scope = str(membership.institution or membership.region)
        if scope not in scopes:
            scopes.append(scope)
    if getattr(user, "trainee", None) is not None:
        roles.add(Role.TRAINEE)
    return [role.value for role in Role if role in roles], "、".join(scopes) or None


def demo_info() -> dict:
    """The demo users with their roles and scopes, as they are in the database."""
    users = (
        get_user_model()
        .objects.filter(username__in=DEMO_USERNAMES)
        .select_related("trainee")
        .prefetch_related(
            "groups",
            Prefetch(
                "memberships",
                queryset=StaffMembership.objects.filter(is_active=True)
                .select_related("institution", "region")
                .order_by("pk"),
            ),
        )
    )
    by_name = {user.username: user for user in users}
    admin_url = reverse("wagtailadmin_home")
    entries = []
    for username in DEMO_USERNAMES:
        user = by_name.get(username)
        if user is None:
            continue
        roles, scope = _roles_and_scope(user)
        staff = user.is_superuser or any(role in STAFF_ROLES for role in roles)
        entries.append(
            {
                "username": username,
                "roles": roles,
                "scope": scope,
                "login_url": admin_url if staff else settings.LOGIN_URL,
            }
        )
    return {
        "password": DEMO_PASSWORD,
        "users": entries,
        "classes": demo_classes(),
        "certificates": demo_certificates(),
    }


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * max(width - _width(text), 0)


def demo_logins_text(info: dict, base_url: str = DEMO_BASE_URL) -> str:
    """A short table of where and how to sign in, for the terminal after `make run`."""
    admin_url = reverse("wagtailadmin_home")
    lines = [
        "黔技通 演示环境 / demo",
        f"  网站 Site        {base_url}/",
        f"  后台 Admin       {base_url}{admin_url}",
        f"  学员 Sign-in     {base_url}{settings.LOGIN_URL}",
        f"  密码 Password    {info['password']}  （所有演示账号，仅限演示 / every demo user, demo only）",
        "",
    ]
    rows = [("用户名 user", "角色 role", "范围 scope")]
    for user in info["users"]:
        labels = "、".join(Role(role).label for role in user["roles"]) or "—"
        rows.append((user["username"], labels, user["scope"] or "—"))
    widths = [max(_width(row[col]) for row in rows) + 2 for col in range(2)]
    for username, labels, scope in rows:
        lines.append(
            f"  {_pad(username, widths[0])}{_pad(labels, widths[1])}{scope}".rstrip()
        )
    return "\n".join(lines)
