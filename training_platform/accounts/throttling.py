"""Sign-in throttling (django-axes) glue: what is recorded, and who counts as staff."""

import hashlib
import hmac
import re
import time

from django.conf import settings

from training_platform.middleware import STAFF_SEEN_KEY, STAFF_SESSION_KEY
from training_platform.validators import normalize

# An 18-character resident ID (or a 15-digit first-generation one), however it was typed.
_ID_LIKE = re.compile(r"^(\d{17}[\dX]|\d{15})$")


def attempted_username(request, credentials=None) -> str | None:
    """The user name axes records and counts failures under.

    What was typed, except that something shaped like an ID number is replaced by a keyed
    hash ("身份证号#…"): the failures still count against it, but the attempts table and
    the back-office lockout list never hold the number itself.
    """
    field = settings.AXES_USERNAME_FORM_FIELD
    if credentials and field in credentials:
        value = credentials.get(field)
    else:
        data = getattr(request, "data", None) or getattr(request, "POST", {})
        value = data.get(field)
    if value is None:
        return None
    value = str(value)
    if _ID_LIKE.match(normalize(value)):
        digest = hmac.new(
            settings.SECRET_KEY.encode(),
            b"axes-username\x00" + normalize(value).encode(),
            hashlib.sha256,
        ).hexdigest()
        return f"身份证号#{digest[:16]}"
    return value[:255]


def is_staff_user(user) -> bool:
    """Anyone who may use the back office signs in there, not on the trainee page."""
    return bool(
        user.is_active
        and (
            user.is_staff
            or user.is_superuser
            or user.has_perm("wagtailadmin.access_admin")
        )
    )


def mark_staff_session(sender, request, user, **kwargs):
    """At sign-in, give a staff session its idle timeout (training_platform.middleware)."""
    session = getattr(request, "session", None)
    if session is None or not is_staff_user(user):
        return
    session[STAFF_SESSION_KEY] = True
    session[STAFF_SEEN_KEY] = int(time.time())
    session.set_expiry(settings.STAFF_SESSION_IDLE_SECONDS)
