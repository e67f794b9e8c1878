"""A logging filter that keeps ID numbers and bank account numbers out of every log line."""

import logging
import re

# 18-character resident ID numbers (last character may be X) and 12-19 digit account numbers.
_ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])(\d{4})\d{10}(\d{3}[0-9Xx])(?![0-9A-Za-z])")
_ACCOUNT = re.compile(r"(?<!\d)\d{8,15}(\d{4})(?!\d)")


def redact(text: str) -> str:
    text = _ID_NUMBER.sub(r"\1**********\2", text)
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
        return True
