"""Writing the access log. Every page and API that shows personal data calls this."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction
from django.db.models import Expression

from audit import partitions
from audit.models import AccessAction, AccessLog

logger = logging.getLogger(__name__)


def access_record(
    *,
    user: Any,
    action: AccessAction | str,
    record_type: str,
    record_ids: Iterable[object] | Expression = (),
    purpose: str = "",
    break_glass: bool = False,
) -> AccessLog:
    """Append one row. ``user`` is the member of staff (None for a system job).

    ``record_ids`` may be an expression that the database works out as the ids' ``text[]``
    in the insert itself: a bundle import names hundreds of thousands of cases, which then
    never need to be strings in the process."""
    agency = getattr(user, "agency", None) if user is not None else None
    return AccessLog.objects.create(
        user=user if user is not None and user.is_authenticated else None,
        agency=agency,
        partnership_id=agency.partnership_id if agency is not None else None,
        action=str(action),
        record_type=record_type,
        record_ids=record_ids if isinstance(record_ids, Expression) else [str(i) for i in record_ids],
        purpose=purpose,
        break_glass=break_glass,
    )


# Months made ahead of the current one: three daily runs would have to fail in a row, for
# weeks, before an insert found no partition (readiness reports the lead, masip/health.py).
PARTITION_MONTHS_AHEAD = 3


@dataclass(frozen=True)
class PartitionMaintenance:
    created: list[str]
    detached: list[str]


@transaction.atomic
def access_log_partitions_maintain(*, today: dt.date, online_months: int) -> PartitionMaintenance:
    """Make the partitions of this month and the next three; detach those older than ``online_months``.

    Idempotent: a second run on the same day changes nothing. Detached months become
    ``audit_accesslog_archive_yYYYYmMM`` tables (audit/partitions.py), kept whole.
    """
    with connection.cursor() as cursor:
        created = [
            name
            for month in partitions.months_from(today.replace(day=1), PARTITION_MONTHS_AHEAD + 1)
            if (name := partitions.partition_create(cursor=cursor, month=month)) is not None
        ]
        cursor.execute("SELECT audit_accesslog_partition_detach(%s)", [online_months])
        detached = [name for (name,) in cursor.fetchall()]
    for name in created:
        logger.info("access log: partition %s created", name)
    for name in detached:
        logger.info("access log: partition detached and kept as %s", name)
    return PartitionMaintenance(created=created, detached=detached)
