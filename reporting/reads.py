"""The evaluation tables as a person reads them: scoped to their own partnership and a programme
role (404 otherwise), and logged. The page, its downloads and the API all ask this one function,
so they cannot drift apart on who may read the tables or on what the access log records.

The tables are aggregates; the log still records each reading, with the period it covered,
because small cells of a partnership's figures can point at people.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.http import Http404

from agencies.models import User
from agencies.permissions import can_see_programme_data
from audit.models import AccessAction
from audit.services import access_record
from masip.replica import use_replica
from reporting import evaluation as ev


@dataclass(frozen=True)
class EvaluationRead:
    tables: dict[str, Any]
    # The referrals grouped by month, agency and decision, for the page's chart (when asked).
    referral_groups: list[tuple[dt.date, str, str, int]] | None = None


def evaluation_for_user(
    *,
    user: User,
    period: ev.Period,
    what: str,
    action: AccessAction = AccessAction.VIEW,
    partnership_slug: str | None = None,
    with_referral_groups: bool = False,
) -> EvaluationRead:
    """The evaluation tables of ``user``'s partnership over ``period``.

    ``what`` names the reading in the access log (the page, a download, the API);
    ``partnership_slug``, when the caller named a partnership, must be the user's own.
    """
    if not can_see_programme_data(user) or user.agency is None:
        raise Http404
    partnership = user.agency.partnership
    if partnership_slug is not None and partnership.slug != partnership_slug:
        raise Http404
    # Aggregates, from the replica when there is one (masip/replica.py); the log row below, on the primary.
    with use_replica():
        groups = ev.referral_counts(partnership_id=partnership.pk, period=period) if with_referral_groups else None
        tables = ev.evaluation_tables(partnership=partnership, period=period, referral_groups=groups)
    scope = f"{period.date_from or 'the start'} to {period.date_to or 'the end'}"
    access_record(
        user=user,
        action=action,
        record_type="reporting.evaluation",
        purpose=f"{what} as of {period.as_of}, referrals from {scope}",
    )
    return EvaluationRead(tables=tables, referral_groups=groups)
