"""Accepted cases and their monitoring, built through the services."""

from __future__ import annotations

import datetime as dt
from typing import Any

from cases import services
from cases.models import Case
from tests.case_factories import make_case
from tests.factories import World


def accepted_case(world: World, *, decided_on: dt.date, worker: Any = None, **kwargs: Any) -> Case:
    """A case accepted on ``decided_on`` (which opens its monitoring), optionally with a worker."""
    kwargs.setdefault("received_on", decided_on - dt.timedelta(days=10))
    case = make_case(world.triage_officer, **kwargs)
    services.case_transition(actor=world.triage_officer, case=case, to_status="awaiting_triage")
    services.case_transition(actor=world.triage_officer, case=case, to_status="accepted", on=decided_on)
    if worker is not None:
        services.case_assign_worker(actor=world.triage_officer, case=case, worker=worker)
    return Case.objects.get(pk=case.pk)


def in_monitoring(world: World, case: Case) -> Case:
    services.case_transition(actor=world.triage_officer, case=case, to_status="active")
    services.case_transition(actor=world.triage_officer, case=case, to_status="monitoring")
    return Case.objects.get(pk=case.pk)
