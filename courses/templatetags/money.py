"""Money as the screens write it (docs/screens.md): ``1,200.00`` (Decimal, two places)."""

from decimal import Decimal, InvalidOperation

from django import template

register = template.Library()


@register.filter
def yuan(value) -> str:
    """1200 → "1,200.00"; None or junk → "—"."""
    try:
        return f"{Decimal(value):,.2f}"
    except (InvalidOperation, TypeError, ValueError):
        return "—"
