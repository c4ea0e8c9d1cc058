"""Money as the report prints it: £7,182.54 (from the Decimal, never through a float)."""

from __future__ import annotations

from decimal import Decimal

from django import template

register = template.Library()


@register.filter
def pounds(value: Decimal | None) -> str:
    if value is None:
        return ""
    return f"£{value:,.2f}"


@register.filter
def role_label(key: str) -> str:
    """``prison_nurse`` -> ``Prison nurse``."""
    return key.replace("_", " ").capitalize()
