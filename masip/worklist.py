"""The home page's "what to do next": one line per kind of work waiting for this member of
staff, with a count and a link to the list behind it.

Each app answers for its own lines (``<app>/worklist.py``, a ``lines(user)`` function):
it knows its records and its access rules, and counts only what the user may open. A
line with a list page of its own links there (the caseload's filters, the interventions
inbox, my meeting actions); the others list their cases at ``/today/<key>/``
(``rows(user, key)``), read through ``worklist_read`` so the cases shown are logged once.
Counts and case references only: nothing here carries a name or free text.
"""

from __future__ import annotations

import datetime as dt
import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.http import Http404

from audit.models import AccessAction
from audit.services import access_record

# The apps that have work lines, in the order their lines appear.
SOURCES = (
    "notifications.worklist",
    "cases.worklist",
    "advocacy.worklist",
    "risk.worklist",
    "triage.worklist",
    "interventions.worklist",
)
ROW_LIMIT = 200


@dataclass
class WorkRow:
    case_id: int
    reference: str
    what: str
    when: dt.date | None
    url: str


@dataclass
class WorkLine:
    key: str
    label: str
    count: int
    url: str = ""  # the list behind it; empty: /today/<key>/
    overdue: bool = False  # shown as needing action now
    rows: Callable[[], list[WorkRow]] | None = field(default=None, repr=False)


def _modules() -> list[Any]:
    return [importlib.import_module(name) for name in SOURCES]


def lines_for(user: Any) -> list[WorkLine]:
    """Every line that applies to the user, with its count (zero counts included, so the page
    says there is nothing waiting rather than leaving the reader to wonder)."""
    found: list[WorkLine] = []
    for module in _modules():
        found.extend(module.lines(user))
    return found


def worklist_read(*, user: Any, key: str) -> tuple[WorkLine, list[WorkRow]]:
    """One line's cases for the list page, logged as viewed; 404 for a line that does not
    apply to the user or has a list page of its own."""
    line = next((line for line in lines_for(user) if line.key == key), None)
    if line is None or line.rows is None:
        raise Http404
    rows = line.rows()[:ROW_LIMIT]
    access_record(
        user=user,
        action=AccessAction.VIEW,
        record_type="cases.case",
        record_ids=list(dict.fromkeys(r.case_id for r in rows)),
    )
    return line, rows
