"""Writing the access log. Every page and API that shows personal data calls this."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from audit.models import AccessAction, AccessLog


def access_record(
    *,
    user: Any,
    action: AccessAction | str,
    record_type: str,
    record_ids: Iterable[object] = (),
    purpose: str = "",
    break_glass: bool = False,
) -> AccessLog:
    """Append one row. ``user`` is the member of staff (None for a system job)."""
    agency = getattr(user, "agency", None) if user is not None else None
    return AccessLog.objects.create(
        user=user if user is not None and user.is_authenticated else None,
        agency=agency,
        partnership_id=agency.partnership_id if agency is not None else None,
        action=str(action),
        record_type=record_type,
        record_ids=[str(i) for i in record_ids],
        purpose=purpose,
        break_glass=break_glass,
    )
