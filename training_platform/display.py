"""How the back-office shows values and people (docs/screens.md "Words").

Never a raw value: nothing → "—", booleans → 是/否. People by their full name in Chinese
order: 刘芳, never "芳 刘" (Django's ``get_full_name`` puts the given name first) and never
the username where a person is named.
"""

from django.utils.html import format_html
from wagtail.admin.ui.tables import Column

EMPTY = "—"


def display_value(value):
    """A value as a person reads it: "—" for nothing, 是/否 for a boolean."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return EMPTY
    if isinstance(value, bool):
        return "是" if value else "否"
    return value


def full_name(family: str, given: str) -> str:
    """姓 + 名 in Chinese order without a space (刘芳); Latin names keep their order."""
    family, given = (family or "").strip(), (given or "").strip()
    if family.isascii() and given.isascii():
        return " ".join(part for part in (given, family) if part)
    return family + given


def person_name(user) -> str:
    """Where a person is named: the full name (刘芳), the username only when the account
    has no name, "—" for no one."""
    if user is None:
        return EMPTY
    return user.get_full_name() or user.get_username()


class DisplayColumn(Column):
    """A list column that shows "—" for nothing and 是/否 for booleans."""

    empty_value_display = EMPTY

    def get_value(self, instance):
        return display_value(super().get_value(instance))


def code(value):
    """A machine identifier (a key group's code) set as code, not read as a word."""
    if value in (None, ""):
        return EMPTY
    return format_html("<code>{}</code>", value)


class CodeColumn(Column):
    """A list column of machine identifiers, shown as code."""

    def get_value(self, instance):
        return code(super().get_value(instance))
