"""Text messages (SMS), sent through a pluggable backend chosen by ``SMS_BACKEND``.

Like Django's e-mail backends: the code that sends a message calls :func:`send_sms`;
which gateway carries it (the console in development, an in-memory outbox in tests, an
operator's gateway in production) is a setting. A backend is a class with
``send_messages(messages) -> int``.

Messages may carry one-time codes: nothing here logs a message body.
"""

from dataclasses import dataclass

from django.conf import settings
from django.utils.module_loading import import_string

DEFAULT_BACKEND = "training_platform.sms.backends.console.SmsBackend"

# The locmem backend appends here (tests read it, as they read mail.outbox).
outbox: list = []


@dataclass(frozen=True)
class SmsMessage:
    to: str
    body: str

    def __repr__(self):
        # Never the body: it may hold a one-time code.
        return f"<SmsMessage to={self.to[:3]}****{self.to[-4:]}>"


def get_backend(backend: str | None = None, **kwargs):
    """An instance of the configured backend (or of ``backend``, a dotted path)."""
    path = backend or getattr(settings, "SMS_BACKEND", "") or DEFAULT_BACKEND
    return import_string(path)(**kwargs)


def send_sms(to: str, body: str, *, fail_silently: bool = False) -> int:
    """Send one message; return how many were sent (0 or 1)."""
    return get_backend(fail_silently=fail_silently).send_messages(
        [SmsMessage(to=to, body=body)]
    )
