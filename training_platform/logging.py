"""A logging filter that keeps ID numbers and bank account numbers out of every log line."""

import logging
import re
from pprint import pformat

from django.views.debug import SafeExceptionReporterFilter

from training_platform.pii import mask_id_number
from training_platform.validators import id_check_char

# 18-character resident ID numbers (last character may be X) and 12-19 digit account numbers.
_ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])(\d{4})\d{10}(\d{3}[0-9Xx])(?![0-9A-Za-z])")
_ACCOUNT = re.compile(r"(?<!\d)\d{8,15}(\d{4})(?!\d)")
_FORMATTER = logging.Formatter()


def _mask_id_number(match: re.Match) -> str:
    number = match.group(0)
    if id_check_char(number[:17]) == number[17].upper():
        return mask_id_number(number)  # the one ID mask: 2 + 2
    # Not an ID number (an 18-digit account number, or a mistyped ID): last four only.
    return "****" + number[-4:]


def redact(text: str) -> str:
    text = _ID_NUMBER.sub(_mask_id_number, text)
    return _ACCOUNT.sub(r"****\1", text)


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
