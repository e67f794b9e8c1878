"""A service's refusal (``ValidationError``, ``PermissionDenied``) as the words a user reads.

One helper for every place that shows or stores a refusal: admin views and forms, the
roster's error rows, background batches' summaries.
"""

from django.core.exceptions import ValidationError

NO_PERMISSION = "您没有权限执行此操作。"


def error_text(exc, *, sep: str = "；", default: str = NO_PERMISSION) -> str:
    """The message a service refused with, ready to show.

    A ``ValidationError``'s messages are joined with ``sep``; anything else gives its
    own text, or ``default`` when it has none (a bare ``PermissionDenied``).
    """
    if isinstance(exc, ValidationError):
        return sep.join(exc.messages)
    return str(exc) or default
