"""API tokens of institutions: made and revoked by the institution's staff in the
back-office, presented by the institution's own systems as ``Authorization: Bearer
qjt_…`` on /api/v1/ (see docs/api.md, "令牌").

- The plain token (``qjt_`` + 40 URL-safe characters, 240 random bits) is returned once,
  by :func:`api_token_create`, and never stored, logged or audited: the row keeps its
  first 8 characters (``prefix``, to tell tokens apart) and an HMAC-SHA256 of it under
  ``settings.API_TOKEN_HMAC_KEY`` (falling back to ``SECRET_KEY``), which is the unique
  key a presented token is looked up by. No plain token is ever compared with another,
  so there is no comparison whose timing could leak one; the digest is a keyed hash an
  attacker cannot steer, so an index lookup by it tells nothing either.
- A token authenticates nothing once revoked, once expired, or once the user who made it
  is no longer active staff of the institution (the principal's actor would otherwise be
  someone without the right to act for it); all three are checked in the one SELECT.
- Every authenticated request is audited (``api.token.use``: one INSERT, holding the
  prefix, the method and the path, never the token); ``last_used_at`` is written at most
  once a minute (a conditional UPDATE, skipped without a query when the row read says it
  is fresh).
"""

import datetime as dt
import hashlib
import hmac
import secrets

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from bases.models import ApiToken, StaffMembership, TrainingInstitution
from bases.policies import is_institution_staff, may_review
from training_platform.api import ApiPrincipal
from training_platform.audit.services import audit_record
from training_platform.roles import Role

TOKEN_PREFIX = "qjt_"  # noqa: S105 (the marker every token starts with)
TOKEN_LENGTH = len(TOKEN_PREFIX) + 40
PREFIX_LENGTH = 8
#: the longest a token may live: its expiry is at most the end of the day one year
#: (365 days) after today, local time
MAX_DAYS = 365
#: ``last_used_at`` is written at most this often
LAST_USED_EVERY = dt.timedelta(minutes=1)
NAME_MAX_LENGTH = ApiToken._meta.get_field("name").max_length


def _key() -> bytes:
    key = getattr(settings, "API_TOKEN_HMAC_KEY", "") or settings.SECRET_KEY
    return key.encode() if isinstance(key, str) else key


def token_digest(plain: str) -> str:
    """The hex HMAC-SHA256 of ``plain``: what ``ApiToken.key_hash`` holds."""
    return hmac.new(_key(), plain.encode(), hashlib.sha256).hexdigest()


def latest_expiry(now: dt.datetime | None = None) -> dt.datetime:
    """The latest ``expires_at`` allowed at ``now``: local midnight after today + 365 days."""
    today = timezone.localdate(now or timezone.now())
    return end_of_day(today + dt.timedelta(days=MAX_DAYS))


def end_of_day(day: dt.date) -> dt.datetime:
    """A token valid "until 2026-12-01" expires at local midnight after that date."""
    return timezone.make_aware(
        dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min)
    )


def expiry_date(token: ApiToken) -> dt.date:
    """The last day a token is valid (what the screens show)."""
    return timezone.localtime(token.expires_at - dt.timedelta(microseconds=1)).date()


def live_tokens():
    now = timezone.now()
    return ApiToken.objects.filter(revoked_at__isnull=True, expires_at__gt=now)


# --- services ---------------------------------------------------------------------------


@transaction.atomic
def api_token_create(
    *,
    institution: TrainingInstitution,
    name: str,
    expires_at: dt.datetime,
    actor,
    request=None,
) -> tuple[ApiToken, str]:
    """Make a token for ``institution``; returns it and the plain token (shown once).

    Only the institution's staff may; the name is required and unique among the
    institution's live tokens; the expiry is required, in the future and at most one
    year ahead.
    """
    if not is_institution_staff(actor, institution):
        raise PermissionDenied("只有本机构的工作人员可以创建接口令牌。")
    name = (name or "").strip()
    errors = {}
    if not name:
        errors["name"] = "请填写令牌名称。"
    elif len(name) > NAME_MAX_LENGTH:
        errors["name"] = f"令牌名称最多 {NAME_MAX_LENGTH} 个字。"
    now = timezone.now()
    if expires_at is None:
        errors["expires_at"] = "请填写有效期。"
    elif expires_at <= now:
        errors["expires_at"] = "有效期须晚于现在。"
    elif expires_at > latest_expiry(now):
        errors["expires_at"] = (
            f"有效期最长一年（至 {latest_expiry(now).date() - dt.timedelta(days=1):%Y-%m-%d}）。"
        )
    if errors:
        raise ValidationError(errors)
    # One creation at a time per institution, so two live tokens never share a name.
    TrainingInstitution.objects.select_for_update().only("pk").get(pk=institution.pk)
    if live_tokens().filter(institution=institution, name=name).exists():
        raise ValidationError(
            {"name": f"本机构已有名为“{name}”的有效令牌，请换一个名称。"}
        )
    plain = TOKEN_PREFIX + secrets.token_urlsafe(30)
    token = ApiToken.objects.create(
        institution=institution,
        name=name,
        prefix=plain[:PREFIX_LENGTH],
        key_hash=token_digest(plain),
        created_by=actor,
        expires_at=expires_at,
    )
    audit_record(
        actor=actor,
        action="api.token.create",
        obj=token,
        after={
            "institution": institution.pk,
            "name": name,
            "prefix": token.prefix,
            "expires_at": expires_at.isoformat(),
        },
        request=request,
    )
    return token, plain


def may_revoke(actor, token: ApiToken) -> bool:
    """The institution's staff, or the bureau over the institution's region."""
    institution = token.institution
    return is_institution_staff(actor, institution) or may_review(actor, institution)


@transaction.atomic
def api_token_revoke(*, token: ApiToken, actor, request=None) -> ApiToken:
    """Revoke ``token`` for good (it authenticates nothing from now on)."""
    if not may_revoke(actor, token):
        raise PermissionDenied("您无权撤销该令牌。")
    locked = ApiToken.objects.select_for_update().get(pk=token.pk)
    if locked.revoked_at is not None:
        raise ValidationError("该令牌已撤销。")
    now = timezone.now()
    ApiToken.objects.filter(pk=token.pk).update(revoked_at=now, revoked_by=actor)
    token.revoked_at, token.revoked_by = now, actor
    audit_record(
        actor=actor,
        action="api.token.revoke",
        obj=token,
        before={"revoked_at": None},
        after={"revoked_at": now.isoformat(), "prefix": token.prefix},
        request=request,
    )
    return token


def _creator_is_staff():
    return Exists(
        StaffMembership.objects.filter(
            user=OuterRef("created_by"),
            institution=OuterRef("institution"),
            role=Role.INSTITUTION,
            is_active=True,
        )
    )


def api_token_authenticate(plain, *, request=None) -> ApiToken | None:
    """The live token ``plain`` is, or None (unknown, malformed, expired, revoked, or made
    by someone no longer active staff of the institution). A hit is audited
    (``api.token.use``) and refreshes ``last_used_at`` at most once a minute."""
    if (
        not isinstance(plain, str)
        or len(plain) != TOKEN_LENGTH
        or not plain.startswith(TOKEN_PREFIX)
    ):
        return None
    now = timezone.now()
    token = (
        ApiToken.objects.select_related("created_by")
        .filter(
            key_hash=token_digest(plain),
            revoked_at__isnull=True,
            expires_at__gt=now,
            created_by__is_active=True,
        )
        .filter(_creator_is_staff())
        .first()
    )
    if token is None:
        return None
    if token.last_used_at is None or token.last_used_at <= now - LAST_USED_EVERY:
        ApiToken.objects.filter(pk=token.pk).filter(
            Q(last_used_at__isnull=True) | Q(last_used_at__lte=now - LAST_USED_EVERY)
        ).update(last_used_at=now)
        token.last_used_at = now
    after = {"prefix": token.prefix}
    if request is not None:
        after["method"] = request.method
        after["path"] = request.path[:200]
    audit_record(
        actor=token.created_by,
        action="api.token.use",
        obj=token,
        after=after,
        request=request,
    )
    return token


def principal_for(plain: str, request):
    """The ``api_token_authenticators`` item: the ApiPrincipal of a live token, or None."""
    token = api_token_authenticate(plain, request=request)
    if token is None:
        return None
    return ApiPrincipal(
        token_id=token.pk,
        institution_id=token.institution_id,
        user=token.created_by,
        name=token.name,
    )
