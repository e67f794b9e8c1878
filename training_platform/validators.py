"""Validators for Chinese identifiers, with normalisation of what people actually type.

Sources: GB 11643-1999 (resident ID, ISO 7064 MOD 11-2), GB 32100-2015 (unified social
credit code), see docs/reference.md.
"""

import datetime as dt
import re
import unicodedata
from functools import lru_cache
from typing import NamedTuple

from django.core.exceptions import ValidationError

_WHITESPACE = re.compile(r"\s+")


def normalize(value) -> str:
    """Full-width to half-width (NFKC), drop every kind of space, upper-case letters."""
    if value is None:
        return ""
    text = value if value.__class__ is str else str(value)
    if text.isascii():
        # NFKC leaves ASCII as it is; str.split() drops exactly what ``\s`` matches.
        if not text.isalnum():
            text = "".join(text.split())
        return text.upper()
    text = unicodedata.normalize("NFKC", text)
    return _WHITESPACE.sub("", text).replace("\u200b", "").upper()


# --- 居民身份证号码 GB 11643 --------------------------------------------------------------

ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK_CHARS = "10X98765432"
_ID_SHAPE = re.compile(r"^\d{17}[\dX]$")
_SCIENTIFIC = re.compile(r"^\d(\.\d+)?E\+?\d+$")


# First two digits of the address code (GB/T 2260): the 31 mainland provinces, plus
# 71 台湾, 81 香港, 82 澳门 and 83 (residence permits of Taiwan residents, GB 11643 form).
PROVINCE_CODES = frozenset(
    {"11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34"}
    | {"35", "36", "37", "41", "42", "43", "44", "45", "46", "50", "51", "52"}
    | {"53", "54", "61", "62", "63", "64", "65", "71", "81", "82", "83"}
)


def id_check_char(first17: str) -> str:
    if len(first17) == 17 and first17.isascii() and first17.isdigit():
        # The weights are 2**(18-i) mod 11 and 13 is 2 mod 11, so the weighted sum
        # is twice the digits read in base 13, mod 11 (one C call, not 17 steps).
        return ID_CHECK_CHARS[int(first17, 13) * 2 % 11]
    total = sum(int(d) * w for d, w in zip(first17, ID_WEIGHTS, strict=True))
    return ID_CHECK_CHARS[total % 11]


class IdNumberInfo(NamedTuple):
    """What a valid ID number says (immutable; a named tuple: bulk imports make one
    per row, and a frozen dataclass costs twice as much to make)."""

    number: str
    region_code: str
    birth_date: dt.date
    sex: str  # "M" or "F"


@lru_cache(maxsize=50_000)
def _birth_date(digits: str) -> dt.date | None:
    """``YYYYMMDD`` (ASCII digits) as a date, or ``None`` if there is no such day."""
    try:
        return dt.date(int(digits[:4]), int(digits[4:6]), int(digits[6:]))
    except ValueError:
        return None


def id_number_quick(value, *, today: dt.date) -> tuple[str, dt.date] | None:
    """The normalised number and birth date of a valid ID number, else ``None``.

    The fast path of ``parse_id_number`` for importers: ``None`` says nothing about
    why (it may even be valid in a form this skips); ask ``parse_id_number`` then.
    """
    number = normalize(value)
    if len(number) != 18 or not number.isascii():
        return None
    first17 = number[:17]
    if not first17.isdigit() or number[17] != ID_CHECK_CHARS[int(first17, 13) * 2 % 11]:
        return None
    birth = _birth_date(number[6:14])
    if birth is None or birth > today or birth.year < 1900:
        return None
    if number[:2] not in PROVINCE_CODES:
        return None
    return number, birth


def parse_id_number(value, *, today: dt.date | None = None) -> IdNumberInfo:
    """Normalise and validate an 18-character resident ID number; derive birth date and sex."""
    number = normalize(value)
    if not number:
        raise ValidationError("请填写身份证号码。", code="required")
    if _SCIENTIFIC.match(number) or re.match(r"^\d+\.\d+$", number):
        raise ValidationError(
            "身份证号码被表格软件转成了数字（科学计数法），末几位已丢失，"
            "请把该列设为“文本”格式后重新填写。",
            code="id_number_mangled",
        )
    if len(number) != 18:
        raise ValidationError(
            "身份证号码应为18位，当前为%(n)d位。",
            code="id_number_length",
            params={"n": len(number)},
        )
    if not _ID_SHAPE.match(number):
        raise ValidationError(
            "身份证号码只能包含数字，最后一位可以是 X。", code="id_number_chars"
        )
    try:
        birth = dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise ValidationError(
            "身份证号码中的出生日期 %(d)s 不存在。",
            code="id_number_birth_date",
            params={"d": number[6:14]},
        ) from None
    today = today or dt.date.today()
    if birth > today or birth.year < 1900:
        raise ValidationError(
            "身份证号码中的出生日期 %(d)s 不合理。",
            code="id_number_birth_date",
            params={"d": number[6:14]},
        )
    if id_check_char(number[:17]) != number[17]:
        raise ValidationError(
            "身份证号码校验位错误，请核对是否抄错。", code="id_number_check_digit"
        )
    if number[:2] not in PROVINCE_CODES:
        raise ValidationError(
            "身份证号码前两位 %(p)s 不是有效的省级行政区划代码，请核对。",
            code="id_number_province",
            params={"p": number[:2]},
        )
    return id_number_info(number, birth)


def id_number_info(number: str, birth_date: dt.date) -> IdNumberInfo:
    """The facts of a number ``parse_id_number`` or ``id_number_quick`` accepted."""
    # GB 11643: the 17th character is odd for men, even for women.
    return IdNumberInfo(
        number, number[:6], birth_date, "M" if int(number[16]) % 2 else "F"
    )


def validate_id_number(value) -> None:
    parse_id_number(value)


# --- 统一社会信用代码 GB 32100 ----------------------------------------------------------

CREDIT_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
CREDIT_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_CREDIT_SHAPE = re.compile(rf"^[{CREDIT_CHARSET}]{{18}}$")

# GB 32100-2015: registering authority (position 1) and the entity types (position 2)
# it may register; see docs/reference.md (domain reference §4).
CREDIT_AUTHORITY_KINDS = {
    "1": "1239",  # 机构编制: 机关, 事业单位, 中央编办直管群众团体, 其他
    "5": "1239",  # 民政: 社会团体, 民办非企业单位, 基金会, 其他
    "9": "123",  # 工商/市场监管: 企业, 个体工商户, 农民专业合作社
    "Y": "1",  # 其他
    # 2 外交, 3 司法行政, 4 文化, 6 旅游, 7 宗教, 8 工会, A 军队编制, N 农业: the
    # sources list different types; accept any digit but 0.
    **dict.fromkeys("234678AN", "123456789"),
}


def credit_code_check_char(first17: str) -> str:
    total = sum(
        CREDIT_CHARSET.index(c) * w
        for c, w in zip(first17, CREDIT_WEIGHTS, strict=True)
    )
    return CREDIT_CHARSET[(31 - total % 31) % 31]


def normalize_credit_code(value) -> str:
    """Normalise and validate a unified social credit code; return it."""
    code = normalize(value)
    if not code:
        raise ValidationError("请填写统一社会信用代码。", code="required")
    if len(code) != 18:
        raise ValidationError(
            "统一社会信用代码应为18位，当前为%(n)d位。",
            code="credit_code_length",
            params={"n": len(code)},
        )
    if not _CREDIT_SHAPE.match(code):
        raise ValidationError(
            "统一社会信用代码含有不允许的字符（不使用 I、O、S、V、Z）。",
            code="credit_code_chars",
        )
    if credit_code_check_char(code[:17]) != code[17]:
        raise ValidationError(
            "统一社会信用代码校验位错误，请核对。", code="credit_code_check_digit"
        )
    if code[1] not in CREDIT_AUTHORITY_KINDS.get(code[0], ""):
        raise ValidationError(
            "统一社会信用代码前两位 %(p)s 不是有效的登记管理部门与机构类别组合，请核对。",
            code="credit_code_authority",
            params={"p": code[:2]},
        )
    if not code[2:8].isdigit():
        raise ValidationError(
            "统一社会信用代码第3至8位应为6位数字的行政区划代码，当前为 %(r)s。",
            code="credit_code_region",
            params={"r": code[2:8]},
        )
    return code


ORG_CODE_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)


def org_code_check_char(first8: str) -> str:
    """GB 11714 organisation code check character (position 17 of a credit code).

    GB 11714 gives letters their own values, A=10 ... Z=35 (base 36), not their
    position in the credit-code charset (which skips I, O, S, V, Z).
    """
    total = sum(int(c, 36) * w for c, w in zip(first8, ORG_CODE_WEIGHTS, strict=True))
    check = 11 - total % 11
    return {10: "X", 11: "0"}.get(check, str(check))


def complete_id_number(first17: str) -> str:
    """Append the check character to 17 digits (for generating demo and test data)."""
    return first17 + id_check_char(first17)


def complete_credit_code(first17: str) -> str:
    """Append the check character to 17 characters (for demo and test data)."""
    return first17 + credit_code_check_char(first17)


def validate_credit_code(value) -> None:
    normalize_credit_code(value)


# --- 手机号码 ----------------------------------------------------------------------------

_MOBILE = re.compile(r"^1[3-9]\d{9}$")


def normalize_mobile(value) -> str:
    """Normalise a mainland mobile number (drops +86/0086 and separators); return 11 digits."""
    if (
        value.__class__ is str
        and len(value) == 11
        and value.isascii()
        and value.isdigit()
        and value[0] == "1"
        and value[1] in "3456789"
    ):
        return value  # already what the rules below would make of it
    number = normalize(value).replace("-", "")
    for prefix in ("+86", "0086"):
        if number.startswith(prefix):
            number = number[len(prefix) :]
    if len(number) == 13 and number.startswith("86"):
        number = number[2:]
    if not number:
        raise ValidationError("请填写手机号码。", code="required")
    if not _MOBILE.match(number):
        raise ValidationError("手机号码应为以1开头的11位数字。", code="mobile_invalid")
    return number


def validate_mobile(value) -> None:
    normalize_mobile(value)
