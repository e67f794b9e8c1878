"""Resident ID numbers (GB 11643), credit codes (GB 32100 / GB 11714), mobile numbers."""

import datetime as dt
import re

import pytest
from django.core.exceptions import ValidationError
from hypothesis import assume, example, given
from hypothesis import strategies as st

from training_platform.validators import (
    CREDIT_AUTHORITY_KINDS,
    CREDIT_CHARSET,
    ID_WEIGHTS,
    PROVINCE_CODES,
    complete_credit_code,
    complete_id_number,
    credit_code_check_char,
    id_check_char,
    id_number_quick,
    normalize,
    normalize_credit_code,
    normalize_mobile,
    org_code_check_char,
    parse_id_number,
    validate_credit_code,
    validate_id_number,
    validate_mobile,
)

PUBLISHED_ID = "11010519491231002X"  # GB 11643 example
PUBLISHED_CREDIT_CODE = "91350100M000100Y43"  # GB 32100 example
DIGITS = "0123456789"
CJK = re.compile(r"[\u4e00-\u9fff]")


def to_full_width(text: str) -> str:
    """ASCII letters and digits as their full-width forms (U+FF01..U+FF5E)."""
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


def error_code(excinfo) -> str:
    return excinfo.value.code


def rendered(excinfo) -> str:
    return " ".join(excinfo.value.messages)


# --- strategies ------------------------------------------------------------------------

# Address codes that start with a real province code (what valid numbers carry) ...
region_codes = st.builds(
    lambda province, rest: f"{province}{rest:04d}",
    st.sampled_from(sorted(PROVINCE_CODES)),
    st.integers(0, 9_999),
)
# ... and any six digits (for the tests of what is refused).
any_region_codes = st.integers(0, 999_999).map(lambda n: f"{n:06d}")
birth_dates = st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date.today())
sequences = st.integers(0, 999)


@st.composite
def id_numbers(draw):
    region, birth, seq = draw(region_codes), draw(birth_dates), draw(sequences)
    return complete_id_number(f"{region}{birth:%Y%m%d}{seq:03d}")


VALID_CREDIT_PAIRS = sorted(
    authority + kind
    for authority, kinds in CREDIT_AUTHORITY_KINDS.items()
    for kind in kinds
)
credit_bodies = st.builds(
    lambda pair, region, org: f"{pair}{region:06d}{org}",
    st.sampled_from(VALID_CREDIT_PAIRS),
    st.integers(0, 999_999),
    st.text(alphabet=CREDIT_CHARSET, min_size=9, max_size=9),
)


# --- resident ID number: the published example -----------------------------------------


@pytest.mark.parametrize(
    "typed",
    [
        PUBLISHED_ID,
        PUBLISHED_ID.lower(),
        to_full_width(PUBLISHED_ID),
        to_full_width(PUBLISHED_ID.lower()),
        "110105 19491231 002X",
        "\t110105\u300019491231\u3000002x \n",  # tabs, ideographic spaces, newline
        "1101 0519 4912 3100 2X",
        "110105194912310\u200b02X",  # a zero-width space pasted from a web page
    ],
)
def test_published_id_number_is_valid_however_typed(typed):
    info = parse_id_number(typed)
    assert info.number == PUBLISHED_ID
    assert info.region_code == "110105"
    assert info.birth_date == dt.date(1949, 12, 31)
    assert info.sex == "F"  # 17th digit 2 is even
    validate_id_number(typed)  # does not raise


def test_check_character_of_published_example_is_x():
    assert id_check_char(PUBLISHED_ID[:17]) == "X"
    assert complete_id_number(PUBLISHED_ID[:17]) == PUBLISHED_ID


@given(number=id_numbers())
@example(number=PUBLISHED_ID)
def test_check_character_matches_iso_7064_mod_11_2_definition(number):
    # Weights are 2^(17-i) mod 11; the check character c satisfies
    # (sum of digit*weight + c) mod 11 == 1, with X standing for 10.
    weights = [pow(2, 17 - i, 11) for i in range(17)]
    total = sum(int(d) * w for d, w in zip(number[:17], weights, strict=True))
    value = 10 if number[17] == "X" else int(number[17])
    assert (total + value) % 11 == 1


@given(region=region_codes, birth=birth_dates, seq=sequences)
@example(region="520102", birth=dt.date(1900, 1, 1), seq=0)
@example(region="522732", birth=dt.date(2000, 2, 29), seq=999)
def test_completed_numbers_parse_with_their_birth_date_and_sex(region, birth, seq):
    first17 = f"{region}{birth:%Y%m%d}{seq:03d}"
    number = complete_id_number(first17)
    assert len(number) == 18
    assert number[:17] == first17
    info = parse_id_number(number)
    assert info.number == number
    assert info.region_code == region
    assert info.birth_date == birth
    assert info.sex == ("M" if seq % 2 == 1 else "F")
    # Lower-case x and full-width input give the same result.
    assert parse_id_number(to_full_width(number.lower())) == info


def _substitutions(number):
    """Every number that differs from ``number`` in exactly one character."""
    for position in range(18):
        allowed = DIGITS + "X" if position == 17 else DIGITS
        for replacement in allowed:
            if replacement != number[position]:
                yield position, number[:position] + replacement + number[position + 1 :]


def _assert_refused(position, changed):
    with pytest.raises(ValidationError) as excinfo:
        parse_id_number(changed)
    if 6 <= position < 14:
        # A change in the birth date may make the date impossible or future first.
        assert error_code(excinfo) in {"id_number_birth_date", "id_number_check_digit"}
    else:
        assert error_code(excinfo) == "id_number_check_digit"
        assert rendered(excinfo) == "身份证号码校验位错误，请核对是否抄错。"


@pytest.mark.parametrize(
    "number", [PUBLISHED_ID, complete_id_number("52010219900101123")]
)
def test_every_single_substitution_of_a_known_number_is_refused(number):
    cases = list(_substitutions(number))
    assert len(cases) == 17 * 9 + 10
    for position, changed in cases:
        _assert_refused(position, changed)


@given(number=id_numbers(), position=st.integers(0, 17), data=st.data())
def test_every_single_substitution_is_refused(number, position, data):
    allowed = DIGITS + "X" if position == 17 else DIGITS
    replacement = data.draw(
        st.sampled_from([c for c in allowed if c != number[position]])
    )
    _assert_refused(position, number[:position] + replacement + number[position + 1 :])


@given(number=id_numbers(), position=st.integers(0, 15))
def test_swapping_two_different_adjacent_digits_is_refused(number, position):
    a, b = number[position], number[position + 1]
    assume(a != b)
    swapped = number[:position] + b + a + number[position + 2 :]
    with pytest.raises(ValidationError):
        parse_id_number(swapped)


@pytest.mark.parametrize(
    "date_part",
    [
        "19900230",  # 30 February
        "19910229",  # not a leap year
        "19001301",  # month 13
        "19900001",  # month 0
        "19900132",  # day 32
        "19000229",  # 1900 was not a leap year
        "18991231",  # before 1900
        "00000000",
    ],
)
def test_impossible_birth_dates_are_refused(date_part):
    number = complete_id_number(f"520102{date_part}123")
    with pytest.raises(ValidationError) as excinfo:
        parse_id_number(number)
    assert error_code(excinfo) == "id_number_birth_date"
    assert date_part in rendered(excinfo)
    assert CJK.search(rendered(excinfo))


def test_future_birth_date_is_refused():
    tomorrow = dt.date.today() + dt.timedelta(days=1)
    number = complete_id_number(f"520102{tomorrow:%Y%m%d}123")
    with pytest.raises(ValidationError) as excinfo:
        parse_id_number(number)
    assert error_code(excinfo) == "id_number_birth_date"
    assert "不合理" in rendered(excinfo)


def test_today_argument_sets_the_limit_for_future_dates():
    number = complete_id_number("52010220200101123")
    assert parse_id_number(number, today=dt.date(2020, 1, 1)).birth_date == dt.date(
        2020, 1, 1
    )
    with pytest.raises(ValidationError) as excinfo:
        parse_id_number(number, today=dt.date(2019, 12, 31))
    assert error_code(excinfo) == "id_number_birth_date"


@pytest.mark.parametrize(
    "typed, length",
    [
        ("11010519491231002", 17),
        ("11010519491231002X1", 19),
        ("110105491231002", 15),  # the old 15-digit first-generation number
        ("1", 1),
    ],
)
def test_wrong_length_is_refused_with_the_length_in_chinese(typed, length):
    with pytest.raises(ValidationError) as excinfo:
        parse_id_number(typed)
    assert error_code(excinfo) == "id_number_length"
    assert rendered(excinfo) == f"身份证号码应为18位，当前为{length}位。"


@pytest.mark.parametrize(
    "typed",
    [
        "11010519491231002Y",
        "X10105194912310020",
        "1101051949123100XX",
        "11010519491231-02X",
        "11010519491231O02X",  # letter O for zero
    ],
)
def test_letters_and_symbols_are_refused(typed):
    with pytest.raises(ValidationError) as excinfo:
        parse_id_number(typed)
    assert error_code(excinfo) == "id_number_chars"
    assert rendered(excinfo) == "身份证号码只能包含数字，最后一位可以是 X。"


@pytest.mark.parametrize(
    "typed",
    [
        "5.20102E+17",
        "5.20102e+17",
        "5.20102199001011E+17",
        "5E17",
        "520102199001011000.0",
        "520102199001011000.00",
        to_full_width("5.20102E+17"),
        520102199001011000.0,  # a float straight from a spreadsheet reader
    ],
)
def test_spreadsheet_mangled_numbers_get_their_own_message(typed):
    with pytest.raises(ValidationError) as excinfo:
        parse_id_number(typed)
    assert error_code(excinfo) == "id_number_mangled"
    assert "科学计数法" in rendered(excinfo)
    assert "文本" in rendered(excinfo)


@pytest.mark.parametrize("typed", [None, "", "   ", "\u3000\t"])
def test_empty_id_number_is_required(typed):
    with pytest.raises(ValidationError) as excinfo:
        parse_id_number(typed)
    assert error_code(excinfo) == "required"
    assert rendered(excinfo) == "请填写身份证号码。"


@pytest.mark.parametrize("province", ["00", "99", "10", "20", "55", "72", "90"])
def test_id_numbers_outside_every_province_are_refused(province):
    number = complete_id_number(f"{province}010219900101123")  # check digit right
    assert id_check_char(number[:17]) == number[17]
    with pytest.raises(ValidationError) as excinfo:
        parse_id_number(number)
    assert error_code(excinfo) == "id_number_province"
    assert rendered(excinfo) == (
        f"身份证号码前两位 {province} 不是有效的省级行政区划代码，请核对。"
    )
    assert id_number_quick(number, today=dt.date.today()) is None


@given(region=any_region_codes, birth=birth_dates, seq=sequences)
@example(region="000000", birth=dt.date(1990, 1, 1), seq=1)
@example(region="999999", birth=dt.date(1990, 1, 1), seq=1)
@example(region="520102", birth=dt.date(1990, 1, 1), seq=1)
def test_an_id_number_is_valid_only_under_a_real_province(region, birth, seq):
    number = complete_id_number(f"{region}{birth:%Y%m%d}{seq:03d}")
    if region[:2] in PROVINCE_CODES:
        assert parse_id_number(number).region_code == region
    else:
        with pytest.raises(ValidationError) as excinfo:
            parse_id_number(number)
        assert error_code(excinfo) == "id_number_province"


def test_every_province_code_is_accepted():
    assert len(PROVINCE_CODES) == 35  # 31 mainland + 台湾, 香港, 澳门, 台湾居民居住证
    for province in PROVINCE_CODES:
        parse_id_number(complete_id_number(f"{province}010219900101123"))


def test_sex_follows_the_parity_of_the_seventeenth_digit():
    for seq in range(10):
        info = parse_id_number(complete_id_number(f"52010219900101{seq:03d}"))
        assert info.sex == ("M" if seq % 2 else "F")


# --- normalisation ---------------------------------------------------------------------


def test_normalize_folds_width_strips_every_space_and_upper_cases():
    assert normalize("ａｂｃ １２３\t\n\u3000x") == "ABC123X"
    assert normalize(None) == ""
    assert normalize(12345) == "12345"


# --- unified social credit code --------------------------------------------------------


def test_published_credit_code_is_valid():
    assert normalize_credit_code(PUBLISHED_CREDIT_CODE) == PUBLISHED_CREDIT_CODE
    assert credit_code_check_char(PUBLISHED_CREDIT_CODE[:17]) == "3"
    validate_credit_code(PUBLISHED_CREDIT_CODE)


@pytest.mark.parametrize(
    "typed",
    [
        PUBLISHED_CREDIT_CODE.lower(),
        to_full_width(PUBLISHED_CREDIT_CODE),
        to_full_width(PUBLISHED_CREDIT_CODE.lower()),
        " 9135 0100 M000 100Y 43 ",
        "91350100\tm000100y43\u3000",
    ],
)
def test_credit_code_is_normalised(typed):
    assert normalize_credit_code(typed) == PUBLISHED_CREDIT_CODE


def test_org_code_check_char_agrees_with_published_example():
    # Positions 9-17 of the credit code are the GB 11714 organisation code M000100Y-4.
    assert PUBLISHED_CREDIT_CODE[8:17] == "M000100Y4"
    assert org_code_check_char("M000100Y") == "4"


def _gb11714_reference(first8: str) -> str:
    """GB 11714 written out from the standard: letters count A=10 ... Z=35."""
    values = DIGITS + "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    total = sum(
        values.index(c) * w
        for c, w in zip(first8, (3, 7, 9, 10, 5, 8, 4, 2), strict=True)
    )
    check = 11 - total % 11
    return "X" if check == 10 else "0" if check == 11 else str(check)


@pytest.mark.parametrize(
    "first8, expected",
    [
        ("D2143569", "X"),  # the worked example of GB 11714
        ("J0000000", "9"),  # J counts 19, not its position 18 in the credit charset
        ("00000000", "0"),  # 11 -> 0
        ("Y0000000", "8"),  # Y counts 34
    ],
)
def test_org_code_check_char_uses_gb_11714_letter_values(first8, expected):
    assert _gb11714_reference(first8) == expected
    assert org_code_check_char(first8) == expected


@given(st.text(alphabet=CREDIT_CHARSET, min_size=8, max_size=8))
def test_org_code_check_char_matches_the_standard(first8):
    assert org_code_check_char(first8) == _gb11714_reference(first8)


@given(body=credit_bodies)
def test_completed_credit_codes_validate(body):
    code = complete_credit_code(body)
    assert len(code) == 18
    assert code[17] in CREDIT_CHARSET
    assert normalize_credit_code(code) == code
    assert normalize_credit_code(to_full_width(code.lower())) == code
    # GB 32100: the weighted sum including the check character is 0 mod 31.
    weights = [pow(3, i, 31) for i in range(17)]
    total = sum(
        CREDIT_CHARSET.index(c) * w for c, w in zip(code[:17], weights, strict=True)
    )
    assert (total + CREDIT_CHARSET.index(code[17])) % 31 == 0


# GB 32100 authority x entity-type pairs (domain reference §4).
DOMAIN_PAIRS = [
    "11",
    "12",
    "13",
    "19",
    "51",
    "52",
    "53",
    "59",
    "91",
    "92",
    "93",
    "Y1",
] + [a + k for a in "234678AN" for k in "123456789"]


def _credit_code(pair: str, region: str = "520102", org: str = "MJ0000010") -> str:
    return complete_credit_code(f"{pair}{region}{org}")


@pytest.mark.parametrize("pair", DOMAIN_PAIRS)
def test_every_valid_authority_and_entity_type_pair_is_accepted(pair):
    code = _credit_code(pair)
    assert normalize_credit_code(code) == code


@pytest.mark.parametrize(
    "pair",
    ["10", "14", "18", "50", "54", "58", "90", "94", "99", "Y2", "Y9", "20", "N0"]
    + ["01", "B1", "C2", "D1", "X1", "W1", "0A", "9A", "5Y"],
)
def test_invalid_authority_and_entity_type_pairs_are_refused(pair):
    code = _credit_code(pair)
    with pytest.raises(ValidationError) as excinfo:
        normalize_credit_code(code)
    assert error_code(excinfo) == "credit_code_authority"
    assert rendered(excinfo) == (
        f"统一社会信用代码前两位 {pair} 不是有效的登记管理部门与机构类别组合，请核对。"
    )


@given(
    authority=st.sampled_from(CREDIT_CHARSET),
    kind=st.sampled_from(CREDIT_CHARSET),
)
def test_a_pair_is_accepted_exactly_when_the_standard_lists_it(authority, kind):
    code = _credit_code(authority + kind)
    if authority + kind in DOMAIN_PAIRS:
        assert normalize_credit_code(code) == code
    else:
        with pytest.raises(ValidationError) as excinfo:
            normalize_credit_code(code)
        assert error_code(excinfo) == "credit_code_authority"


@pytest.mark.parametrize("region", ["52010A", "A20102", "5201MJ", "YYYYYY"])
def test_a_region_part_that_is_not_digits_is_refused(region):
    code = _credit_code("52", region=region)
    with pytest.raises(ValidationError) as excinfo:
        normalize_credit_code(code)
    assert error_code(excinfo) == "credit_code_region"
    assert rendered(excinfo) == (
        f"统一社会信用代码第3至8位应为6位数字的行政区划代码，当前为 {region}。"
    )


@given(body=credit_bodies, position=st.integers(0, 17), data=st.data())
def test_every_single_credit_code_substitution_is_refused(body, position, data):
    code = complete_credit_code(body)
    replacement = data.draw(
        st.sampled_from([c for c in CREDIT_CHARSET if c != code[position]])
    )
    changed = code[:position] + replacement + code[position + 1 :]
    with pytest.raises(ValidationError) as excinfo:
        normalize_credit_code(changed)
    assert error_code(excinfo) == "credit_code_check_digit"
    assert rendered(excinfo) == "统一社会信用代码校验位错误，请核对。"


@pytest.mark.parametrize("letter", list("IOSVZ"))
@pytest.mark.parametrize("position", [0, 8, 12, 17])
def test_letters_i_o_s_v_z_are_refused(letter, position):
    code = (
        PUBLISHED_CREDIT_CODE[:position]
        + letter
        + PUBLISHED_CREDIT_CODE[position + 1 :]
    )
    with pytest.raises(ValidationError) as excinfo:
        normalize_credit_code(code)
    assert error_code(excinfo) == "credit_code_chars"
    assert "I、O、S、V、Z" in rendered(excinfo)


@pytest.mark.parametrize(
    "typed, code",
    [
        (PUBLISHED_CREDIT_CODE[:17], "credit_code_length"),
        (PUBLISHED_CREDIT_CODE + "0", "credit_code_length"),
        ("", "required"),
        (None, "required"),
        ("91350100M000100Y4-", "credit_code_chars"),
    ],
)
def test_malformed_credit_codes_are_refused(typed, code):
    with pytest.raises(ValidationError) as excinfo:
        normalize_credit_code(typed)
    assert error_code(excinfo) == code
    assert CJK.search(rendered(excinfo))


# --- mobile numbers --------------------------------------------------------------------


@pytest.mark.parametrize(
    "typed",
    [
        "13812345678",
        "+86 138-1234-5678",
        "+8613812345678",
        "0086 13812345678",
        "86 13812345678",
        "138 1234 5678",
        "１３８１２３４５６７８",
        "＋８６　１３８－１２３４－５６７８",
        " 13812345678\t",
    ],
)
def test_mobile_numbers_are_normalised(typed):
    assert normalize_mobile(typed) == "13812345678"
    validate_mobile(typed)


@pytest.mark.parametrize(
    "typed",
    [
        "12812345678",  # no 12x numbers
        "10812345678",
        "23812345678",
        "1381234567",  # 10 digits
        "138123456789",  # 12 digits
        "138",
        "1381234567a",
        "+1 2025550123",
        "0851-85551234",  # a Guiyang landline
    ],
)
def test_invalid_mobile_numbers_are_refused(typed):
    with pytest.raises(ValidationError) as excinfo:
        normalize_mobile(typed)
    assert error_code(excinfo) == "mobile_invalid"
    assert rendered(excinfo) == "手机号码应为以1开头的11位数字。"


@pytest.mark.parametrize("typed", ["", None, " ", "+86", "0086"])
def test_empty_mobile_is_required(typed):
    with pytest.raises(ValidationError) as excinfo:
        normalize_mobile(typed)
    assert error_code(excinfo) == "required"


@given(
    second=st.sampled_from("3456789"),
    rest=st.text(alphabet=DIGITS, min_size=9, max_size=9),
)
def test_every_mainland_mobile_survives_formatting(second, rest):
    number = f"1{second}{rest}"
    assert normalize_mobile(number) == number
    assert normalize_mobile(f"+86 {number[:3]}-{number[3:7]}-{number[7:]}") == number
    assert normalize_mobile(to_full_width(f"0086{number}")) == number


# --- the fast paths agree with the rules -------------------------------------------------


@given(st.text(alphabet=DIGITS, min_size=17, max_size=17))
def test_id_check_char_is_the_weighted_sum(first17):
    total = sum(int(d) * w for d, w in zip(first17, ID_WEIGHTS, strict=True))
    assert id_check_char(first17) == "10X98765432"[total % 11]


_SPACE_RE = re.compile(r"\s+")


def _normalize_by_the_rule(value):
    import unicodedata

    text = unicodedata.normalize("NFKC", str(value))
    return _SPACE_RE.sub("", text).replace("\u200b", "").upper()


@given(
    st.text(
        alphabet=st.sampled_from(
            [chr(c) for c in range(128)] + list("\u3000\u200b\xa0\x85ｘ１张")
        ),
        max_size=12,
    )
)
@example("\x1c1\x1f")  # ASCII separators str.split() drops, as \s does
def test_normalize_fast_path_is_the_rule(text):
    assert normalize(text) == _normalize_by_the_rule(text)


@given(
    st.one_of(
        id_numbers(),
        id_numbers().map(str.lower),
        id_numbers().map(to_full_width),
        id_numbers().map(lambda n: n[:17] + ("0" if n[17] != "0" else "1")),
        st.text(alphabet=DIGITS + "X ", min_size=16, max_size=20),
        st.builds(
            lambda r, y, m, d, s: complete_id_number(f"{r}{y:04d}{m:02d}{d:02d}{s}"),
            any_region_codes,
            st.integers(1880, 2100),
            st.integers(0, 13),
            st.integers(0, 32),
            st.just("123"),
        ),
    )
)
def test_id_number_quick_accepts_exactly_what_parse_accepts_as_ascii(value):
    today = dt.date.today()
    quick = id_number_quick(value, today=today)
    try:
        info = parse_id_number(value, today=today)
    except ValidationError:
        assert quick is None
    else:
        if normalize(value).isascii():
            assert quick == (info.number, info.birth_date)
        else:
            assert quick is None


@pytest.mark.parametrize(
    "typed",
    [
        "13800001111",
        13800001111,
        "138 0000 1111",
        "+8613800001111",
        "１３８００００１１１１",
    ],
)
def test_normalize_mobile_fast_and_slow_paths_agree(typed):
    assert normalize_mobile(typed) == "13800001111"
