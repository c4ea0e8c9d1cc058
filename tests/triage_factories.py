"""Meetings built through the triage services, on cases built through intake."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from agencies.models import User
from cases import services as case_services
from cases.models import Case, CaseStatus
from tests.case_factories import make_case
from tests.factories import World
from triage import services
from triage.models import AgendaItem, Meeting, MeetingKind


def at(day: dt.date, hour: int = 9, minute: int = 30) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))


def make_meeting(
    actor: User, *, kind: str = MeetingKind.TRIAGE, day: dt.date | None = None, chair: User | None = None
) -> Meeting:
    return services.meeting_create(
        actor=actor,
        kind=kind,
        starts_at=at(day or timezone.localdate()),
        chair_id=(chair or actor).pk,
        location="Video call",
    )


def waiting_case(world: World, **kwargs: object) -> Case:
    """A case put forward for triage (awaiting_triage), shared with the core agencies."""
    case = make_case(world.triage_officer, **kwargs)  # type: ignore[arg-type]
    return case_services.case_transition(actor=world.triage_officer, case=case, to_status=CaseStatus.AWAITING_TRIAGE)


def on_agenda(world: World, meeting: Meeting, case: Case, hearing: str = "") -> AgendaItem:
    item = services.agenda_add(actor=world.triage_officer, meeting=meeting, case_id=case.pk, hearing=hearing)
    item.meeting = meeting
    return item


def accept(world: World, item: AgendaItem, tier: int = 2, **extra: object) -> None:
    services.decision_record(
        actor=world.triage_officer,
        item=item,
        data=services.DecisionInput(outcome="accepted", tier=tier, **extra),  # type: ignore[arg-type]
    )
