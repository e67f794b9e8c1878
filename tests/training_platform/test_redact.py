"""What is stored as typed keeps no ID, account or phone number (training_platform.redact)."""

import pytest

from training_platform.redact import holds_id_or_account_number, scrub
from training_platform.validators import complete_id_number

ID_NUMBER = complete_id_number("52010219900101123")
FULL_WIDTH = str.maketrans({c: chr(ord(c) + 0xFEE0) for c in "0123456789X"})


@pytest.mark.parametrize(
    "name, expected",
    [
        (f"{ID_NUMBER}名单.xlsx", "******************名单.xlsx"),
        (f"张三{ID_NUMBER.translate(FULL_WIDTH)}.xlsx", "张三******************.xlsx"),
        (
            f"{ID_NUMBER[:6]} {ID_NUMBER[6:14]} {ID_NUMBER[14:]}.xlsx",
            "*" * 18 + ".xlsx",
        ),
        ("名单-13812345678.xlsx", "名单-***********.xlsx"),
        ("名单 138-1234-5678.xlsx", "名单 ***********.xlsx"),
        ("卡号6222021234567890123.xlsx", "卡号*******************.xlsx"),
        (f"ID{ID_NUMBER[:17]}.xlsx", "ID*****************.xlsx"),  # one char short
    ],
)
def test_file_names_lose_every_id_phone_and_account_number(name, expected):
    assert scrub(name) == expected


@pytest.mark.parametrize(
    "name",
    [
        "2026年第3期电工班花名册.xlsx",
        "花名册 2026-11-26.xlsx",
        "成绩 v2 (1).xlsx",
        "S000052000123264000001",  # a skill-level certificate number
    ],
)
def test_ordinary_names_and_certificate_numbers_are_kept(name):
    assert scrub(name) == name


def test_holds_id_or_account_number_sees_through_every_form():
    assert holds_id_or_account_number(ID_NUMBER)
    assert holds_id_or_account_number(ID_NUMBER.translate(FULL_WIDTH))
    assert holds_id_or_account_number("".join(f"%{ord(c):02X}" for c in ID_NUMBER))
    assert holds_id_or_account_number(ID_NUMBER[:15])  # an old 15-digit number
    assert not holds_id_or_account_number("张三")
    assert not holds_id_or_account_number("13812345678")
