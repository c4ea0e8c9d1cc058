"""Record types written under an older name, and the name each is written under now.

An access-log row is never rewritten (the table is append-only), so rows written before a
model moved app keep the old ``app_label.model`` forever. The log page names them in words
and a search by the current type finds them too, through this table.
"""

from __future__ import annotations

# The follow-up models moved from ``cases`` to the ``followups`` app (their tables were renamed,
# their rows kept); rows logged before the move say ``cases.*``.
LEGACY_RECORD_TYPES: dict[str, str] = {
    "cases.followupreview": "followups.followupreview",
    "cases.reoffendingrecord": "followups.reoffendingrecord",
    "cases.reoffendingcandidate": "followups.reoffendingcandidate",
    "cases.monitoringperiod": "followups.monitoringperiod",
}


def current_record_type(record_type: str) -> str:
    """The name a record type is written under now."""
    return LEGACY_RECORD_TYPES.get(record_type, record_type)


def record_type_names(record_type: str) -> list[str]:
    """Every name the rows of one record type may carry: the current one and any older ones."""
    current = current_record_type(record_type)
    return [current, *(old for old, new in LEGACY_RECORD_TYPES.items() if new == current)]
