"""Render a hot, request-independent template once per *shape*, then only fill in values.

A page whose markup depends on a few facts (which branch of an ``{% if %}`` is taken) and
otherwise only prints values can be rendered once per combination of those facts with
marker strings in place of the values; each request then joins the cached pieces with
its own values, HTML-escaped exactly as autoescaping would. The template stays the one
source of the markup. Only for templates that print no request-specific data (no CSRF
token, no user) and apply no filters to the marked values.
"""

import re
from collections.abc import Mapping

from django.template.loader import get_template
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import get_language

# Private-use code points: never produced by the markup, and escaped data cannot
# contain them once we refuse them in values.
_OPEN, _CLOSE = "\ue000", "\ue001"
_MARK = re.compile(f"{_OPEN}(\\w+){_CLOSE}")


def marker(name: str) -> str:
    return f"{_OPEN}{name}{_CLOSE}"


class Skeleton:
    """One template; cached pieces per (language, shape)."""

    def __init__(self, template_name: str, max_shapes: int = 512):
        self.template_name = template_name
        self.max_shapes = max_shapes
        self._pieces: dict[tuple, list] = {}

    def render(
        self, request, *, shape: tuple, marked_context: dict, values: Mapping
    ) -> str:
        """The page for ``values``; ``marked_context`` must use ``marker(name)`` for them.

        ``shape`` must name everything the template branches on.
        """
        key = (get_language(), shape)
        pieces = self._pieces.get(key)
        if pieces is None:
            html = get_template(self.template_name).render(marked_context, request)
            pieces = _MARK.split(html)  # literal, name, literal, name, ..., literal
            if len(self._pieces) < self.max_shapes:
                self._pieces[key] = pieces
        out = []
        for i, piece in enumerate(pieces):
            if i % 2 == 0:
                out.append(piece)
            else:
                value = str(values[piece])
                out.append(escape(value.replace(_OPEN, "").replace(_CLOSE, "")))
        return mark_safe("".join(out))  # noqa: S308 - every value escaped above

    def clear(self) -> None:
        self._pieces.clear()
