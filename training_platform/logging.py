"""A logging filter that keeps ID numbers and bank account numbers out of every log line.

What counts as such a number, and the forms it is found in (full-width, percent-encoded,
split into groups), is :mod:`training_platform.redact`'s to say.
"""

import logging
from pprint import pformat

from django.views.debug import SafeExceptionReporterFilter

from training_platform.redact import redact

__all__ = ["PIISafeExceptionReporterFilter", "RedactPIIFilter", "redact"]

_FORMATTER = logging.Formatter()


class RedactPIIFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed record is still logged, unredacted args dropped
            message = str(record.msg)
        redacted = redact(message)
        if redacted != message or record.args:
            record.msg = redacted
            record.args = None
        # A traceback repeats exception messages, which may quote the value itself.
        if record.exc_info and not record.exc_text:
            record.exc_text = _FORMATTER.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True


class PIISafeExceptionReporterFilter(SafeExceptionReporterFilter):
    """Error pages and reports: Django's secret filtering, plus ID and account numbers
    masked in POST data and in every frame's local variables."""

    def get_post_parameters(self, request):
        params = super().get_post_parameters(request)
        if not params:
            return params
        cleansed = params.copy()
        for key in cleansed:
            cleansed.setlist(key, [redact(str(v)) for v in cleansed.getlist(key)])
        return cleansed

    def get_traceback_frame_variables(self, request, tb_frame):
        return [
            (name, _redact_value(value))
            for name, value in super().get_traceback_frame_variables(request, tb_frame)
        ]


def _redact_value(value):
    if isinstance(value, str):
        return redact(value)
    try:
        text = pformat(value)
    except Exception:
        return value
    redacted = redact(text)
    return value if redacted == text else redacted
