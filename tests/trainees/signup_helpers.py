"""Shared steps of the two-step sign-up, for the sign-up tests."""

import re

from training_platform import sms

URL = "/accounts/signup/"
VERIFY_URL = "/accounts/signup/verify/"
GOOD_PASSWORD = "Qianjitong-2026!"
_CODE = re.compile(r"验证码 (\d{6})")


def form_data(**overrides):
    from tests.factories import make_id_number

    data = {
        "name": "张三",
        "id_number": make_id_number("520102"),
        "phone": "13812345678",
        "username": "zhangsan",
        "password1": GOOD_PASSWORD,
        "password2": GOOD_PASSWORD,
    }
    data.update(overrides)
    return data


def sms_codes_to(phone: str) -> list[str]:
    """The codes sent to ``phone`` so far, oldest first."""
    return [_CODE.search(m.body).group(1) for m in sms.outbox if m.to == phone]


def last_code_to(phone: str) -> str:
    codes = sms_codes_to(phone)
    assert codes, f"no SMS code was sent to {phone}"
    return codes[-1]


def wrong_code(right: str | None = None) -> str:
    return "000000" if right != "000000" else "111111"
