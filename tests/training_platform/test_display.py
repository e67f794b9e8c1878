"""Values and people as the back-office shows them (docs/screens.md "Words")."""

import pytest

from tests.factories import UserFactory
from training_platform.display import (
    EMPTY,
    DisplayColumn,
    code,
    display_value,
    full_name,
    person_name,
)


@pytest.mark.parametrize(
    ("value", "shown"),
    [(None, EMPTY), ("", EMPTY), ("  ", EMPTY), (True, "是"), (False, "否"), (0, 0)],
)
def test_never_a_raw_value(value, shown):
    assert display_value(value) == shown


def test_names_in_chinese_order_latin_names_in_their_own():
    assert full_name("刘", "芳") == "刘芳"
    assert full_name("欧阳", "晓明") == "欧阳晓明"
    assert full_name("Li", "Anna") == "Anna Li"
    assert full_name("", "") == ""


@pytest.mark.django_db
def test_a_user_is_named_by_full_name_not_username():
    user = UserFactory(username="inst_x", last_name="刘", first_name="芳")
    assert user.get_full_name() == "刘芳"
    assert person_name(user) == "刘芳"
    assert person_name(UserFactory(username="nobody", last_name="", first_name="")) == (
        "nobody"
    )
    assert person_name(None) == EMPTY


def test_columns_show_dash_and_yes_no_and_codes_as_code():
    class Row:
        flag = False
        missing = None

    assert DisplayColumn("flag").get_value(Row()) == "否"
    assert DisplayColumn("missing").get_value(Row()) == EMPTY
    assert str(code("rural_migrant")) == "<code>rural_migrant</code>"
