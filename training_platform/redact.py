"""Finding ID, bank account and phone numbers in free text, and masking them.

People type ID numbers where none belongs (a search box, a certificate-number field, an
upload's file name), and text kept as typed ends up in logs and plain columns. Such a
number is looked for in every form it may take there: as typed, with full-width digits
(``１２３``, NFKC), percent-encoded (``%35%32`` in a logged URL, perhaps twice), and
split into groups by spaces or hyphens (``5201 0219 9001 0112 34``).

Two strengths:

- :func:`redact` is for log lines: an ID number is masked as on every screen
  (``pii.mask_id_number``: first two and last two characters), an account number keeps
  its last four; phone
  numbers stay (operators need them to trace an SMS).
- :func:`scrub` is for what is *stored* as typed (file names, what a verifier asked):
  every ID-, account- or phone-like number becomes asterisks, nothing of it kept.
"""

import re
import unicodedata
from urllib.parse import unquote_plus

from training_platform.pii import mask_id_number
from training_platform.validators import id_check_char

# ASCII digits (``\d`` would take full-width ones as they are; they are made plain
# first). Digits may be split into groups by one space or hyphen.
_SEP = r"[ \-]?"
_NO_DIGIT_BEFORE = r"(?<!\d)(?<!\d[ \-])"
_NO_DIGIT_AFTER = r"(?![ \-]?\d)"

# 18-character resident ID numbers (the last may be X).
_ID_NUMBER = re.compile(
    rf"(?<![0-9A-Za-z])(?<!\d[ \-])\d(?:{_SEP}\d){{16}}{_SEP}[0-9Xx](?![0-9A-Za-z])"
    rf"{_NO_DIGIT_AFTER}",
    re.ASCII,
)
# 12-19 digit runs: bank accounts, 15-digit old ID numbers, an ID without its last char.
_ACCOUNT = re.compile(
    rf"{_NO_DIGIT_BEFORE}\d(?:{_SEP}\d){{11,18}}{_NO_DIGIT_AFTER}", re.ASCII
)
# Mainland mobile numbers.
_PHONE = re.compile(
    rf"{_NO_DIGIT_BEFORE}1[3-9]\d(?:{_SEP}\d){{8}}{_NO_DIGIT_AFTER}", re.ASCII
)

_SEPARATORS = re.compile(r"[ \-]")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_CONTROL_OR_NEWLINE = re.compile(r"[\x00-\x1f\x7f]")
# Percent-encoding nested deeper than this is not undone (a crafted line stays cheap).
_MAX_DECODE = 3


def _compact(match: re.Match) -> str:
    return _SEPARATORS.sub("", match.group(0))


def _log_id(match: re.Match) -> str:
    number = _compact(match)
    if id_check_char(number[:17]) == number[17].upper():
        return mask_id_number(number)  # the one ID mask, as on every screen
    # Not an ID number (an 18-digit account number, or a mistyped ID): last four only.
    return "****" + number[-4:]


def _log_account(match: re.Match) -> str:
    return "****" + _compact(match)[-4:]


def _stars(match: re.Match) -> str:
    return "*" * len(_compact(match))


_LOG_RULES = ((_ID_NUMBER, _log_id), (_ACCOUNT, _log_account))
_STORE_RULES = ((_ID_NUMBER, _stars), (_ACCOUNT, _stars), (_PHONE, _stars))


def _apply(text: str, rules) -> str:
    for pattern, replacement in rules:
        text = pattern.sub(replacement, text)
    return text


def uncover(text: str) -> str:
    """``text`` with percent-encoding undone and full-width forms made plain (NFKC).

    Control characters that decoding brings in are replaced by ``?`` (a decoded line
    never gains a line break it did not have).
    """
    current = text
    for _ in range(_MAX_DECODE):
        decoded = unquote_plus(unicodedata.normalize("NFKC", current), errors="replace")
        if decoded == current:
            break
        current = decoded
    control = _CONTROL if "\n" in text else _CONTROL_OR_NEWLINE
    return control.sub("?", current)


def _hidden_forms_possible(text: str) -> bool:
    # ASCII without "%" or "+" has no other form to uncover: the common case for logs.
    return not text.isascii() or "%" in text or "+" in text


def _redact_with(text: str, rules) -> str:
    result = _apply(text, rules)
    if not _hidden_forms_possible(result):
        return result
    plain = uncover(result)
    if plain == result:
        return result
    masked = _apply(plain, rules)
    # Only a line that hid a number is shown decoded; any other stays as it was.
    return masked if masked != plain else result


def redact(text: str) -> str:
    """A log line with ID numbers and account numbers masked, in whatever form typed."""
    return _redact_with(text, _LOG_RULES)


def scrub(text: str) -> str:
    """Text to store: every ID-, account- or phone-like number made asterisks."""
    return _redact_with(text, _STORE_RULES)


def holds_id_or_account_number(text: str) -> bool:
    """Whether ``text`` holds something shaped like an ID or account number, in any form."""
    return redact(text) != text
