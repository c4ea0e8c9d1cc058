"""Times as people type them, for every form that asks for one (the GOV.UK date pattern has
no time component): ``14:30``, ``09:30``, ``9.30``, ``0930``, ``9.30am``, ``2:30pm``, ``9am``,
``12pm`` (noon), ``12am`` (midnight)."""

from __future__ import annotations

import datetime as dt
import re

from django.core.exceptions import ValidationError

TIME_HINT = "For example, 09:30, 9.30am or 2:30pm"
_TIME = re.compile(r"^\s*(\d{1,2})(?:\s*[:.]?\s*(\d{2}))?\s*(am|pm|a\.m\.|p\.m\.)?\s*$", re.IGNORECASE)


def parse_time(value: str, *, label: str = "time") -> dt.time:
    """The time typed, or ValidationError saying how to type it."""
    match = _TIME.match(value or "")
    if not match:
        raise ValidationError(f"Enter the {label} like 09:30 or 2:30pm")
    hour, minute = int(match.group(1)), int(match.group(2) or 0)
    half = (match.group(3) or "").lower().replace(".", "")
    if half:
        if not 1 <= hour <= 12:
            raise ValidationError(f"Enter the {label} like 09:30 or 2:30pm")
        hour = hour % 12 + (12 if half == "pm" else 0)
    elif match.group(2) is None:
        # "9" alone is ambiguous between 09:00 and 21:00.
        raise ValidationError(f"Enter the {label} like 09:30 or 2:30pm")
    if hour > 23 or minute > 59:
        raise ValidationError("Enter a real time, from 00:00 to 23:59")
    return dt.time(hour, minute)
