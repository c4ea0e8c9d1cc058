"""Cells that a spreadsheet will not run as formulas (CSV injection).

Every CSV and XLSX the service writes passes its text through here. A value starting
with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is prefixed with a single
quote, the OWASP advice: a partnership's slug, an indicator's label or a free-text
category typed by a user can never become a formula on a programme manager's machine.
"""

from __future__ import annotations

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
QUOTE = "'"


def formula_safe(value: object) -> str:
    """The value as text, with a leading quote when a spreadsheet would read it as a formula."""
    text = "" if value is None else str(value)
    return QUOTE + text if text.startswith(FORMULA_TRIGGERS) else text
