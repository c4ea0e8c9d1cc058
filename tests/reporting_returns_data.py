"""A hand-built partnership for the quarterly-return tests, with every figure worked out by hand.

The quarter is 2025/26 Q3: 1 October to 31 December 2025 (Europe/London). Cases are made
through the intake service (tests/case_factories.py) and SASH/DASH through the risk
services; the rest of what the return counts (decisions, contacts, plans, interventions,
appointments, reviews, re-offending, training) is written directly with the ORM, because
each item's date has to sit exactly on or just outside the quarter's edges, which the
services (which stamp "now" or refuse past dates) cannot do. Every row still passes the
tables' own constraints.

The cases (C = this partnership; O1 = the other partnership, never counted):

| case | received   | referrer  | decision        | decided    | tier | clinic                                  |
| ---- | ---------- | --------- | --------------- | ---------- | ---- | --------------------------------------- |
| C1   | 2025-10-05 | police    | accepted        | 2025-10-20 | 2    | clinic meeting 2025-10-25 (in Q3)       |
| C2   | 2025-11-10 | probation | accepted        | 2025-11-15 | 1    | marked heard, no clinic meeting on file |
| C3   | 2025-12-01 | advocacy  | not_stalking    | 2025-12-03 | -    |                                         |
| C4   | 2025-09-20 | police    | accepted        | 2025-10-02 | none |                                         |
| C5   | 2025-10-15 | self      | no_added_value  | 2025-10-30 | -    |                                         |
| C6   | 2025-12-31 | police    | pending         | -          | -    |                                         |
| C7   | 2026-01-01 | police    | accepted        | 2026-01-05 | 1    |                                         |
| C8   | 2025-07-01 | police    | accepted        | 2025-07-10 | 3    | clinic meeting 2025-11-03 (in Q3)       |
| C9   | 2025-08-01 | health    | accepted        | 2025-10-10 | 4    | marked heard, clinic meeting 2026-01-10 |
| C10  | 2025-01-10 | police    | accepted        | 2025-02-01 | 2    |                                         |
| O1   | 2025-10-05 | police    | accepted        | 2025-10-06 | 1    | (other partnership)                     |
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from advocacy.models import ContactLogEntry, SafetyPlan
from cases.models import Case, CaseParty, PartyRole, Person, Referral
from followups.models import FollowUpReview, MonitoringPeriod, ReoffendingRecord
from interventions.models import Appointment, Intervention, TherapySession
from reporting.models import TrainingEvent
from reporting.returns.measures import Quarter
from risk import services as risk_services
from tests.case_factories import make_case
from tests.factories import World
from tests.risk_factories import complete_dash
from triage.models import AgendaItem, Meeting

LONDON = ZoneInfo("Europe/London")
Q3 = Quarter(2025, 3)
D = dt.date


def at(day: dt.date, hour: int = 12, minute: int = 0) -> dt.datetime:
    """A moment on ``day`` in London (the quarter's edges are London midnights)."""
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=LONDON)


@dataclass
class Dataset:
    world: World
    cases: dict[str, Case]


def _case(world: World, name: str, received: dt.date, referrer: str, *, link_perpetrator: Case | None = None) -> Case:
    perpetrator_id = None
    if link_perpetrator is not None:
        perpetrator_id = CaseParty.objects.get(case=link_perpetrator, role=PartyRole.PERPETRATOR).person_id
    case = make_case(
        world.triage_officer,
        received_on=received,
        crime_reference=f"XX/{name}/25",
        victim_name=("Victim", name),
        perpetrator_name=("Perpetrator", name),
        link_perpetrator_id=perpetrator_id,
    )
    Referral.objects.filter(case=case).update(referring_agency_kind=referrer)
    return case


def _decide(
    case: Case,
    decision: str,
    decided: dt.date | None,
    *,
    tier: int | None = None,
    status: str = "active",
    heard_at_clinic: bool = False,
) -> None:
    Case.objects.filter(pk=case.pk).update(
        decision=decision, decided_on=decided, tier=tier, status=status, heard_at_clinic=heard_at_clinic
    )


def _people(case: Case, role: str, **fields: object) -> None:
    person_id = CaseParty.objects.get(case=case, role=role, is_primary=True).person_id
    Person.objects.filter(pk=person_id).update(**fields)


def _victim(case: Case) -> int:
    return CaseParty.objects.get(case=case, role=PartyRole.VICTIM, is_primary=True).person_id


def _clinic(world: World, case: Case, day: dt.date) -> None:
    meeting = Meeting.objects.create(
        partnership=world.partnership,
        kind="clinic",
        starts_at=at(day, 10),
        created_by=world.triage_officer,
        status="concluded",
        concluded_at=at(day, 12),
    )
    AgendaItem.objects.create(meeting=meeting, case=case, position=1, added_by=world.triage_officer)


def _contact(world: World, case: Case, when: dt.datetime) -> None:
    ContactLogEntry.objects.create(
        case=case,
        person_id=_victim(case),
        occurred_at=when,
        channel="phone",
        direction="to_victim",
        staff_member=world.advocate,
        topics=["emotional_support"],
        summary="Weekly call.",
        created_by=world.advocate,
    )


def _plan(world: World, case: Case, created: dt.datetime) -> None:
    plan = SafetyPlan.objects.create(case=case, person_id=_victim(case), created_by=world.advocate)
    SafetyPlan.objects.filter(pk=plan.pk).update(created_at=created)


def _intervention(
    world: World, case: Case, type_: str, started: dt.date, status: str = "ongoing", ended: dt.date | None = None
) -> Intervention:
    ending = {"completed": "completed", "dropped_out": "dropped_out"}.get(status, "")
    return Intervention.objects.create(
        case=case,
        type=type_,
        agency=world.health,
        status=status,
        started_on=started,
        ended_on=ended,
        ending=ending,
        sessions_planned=12 if type_ == "perpetrator_direct_intervention" else None,
    )


def _appointment(world: World, intervention: Intervention, number: int, when: dt.datetime, outcome: str) -> None:
    session, _ = TherapySession.objects.get_or_create(intervention=intervention, number=number)
    fields: dict[str, object] = {}
    if outcome == "attended":
        fields = {"attendance": "attended", "happened": True}
    elif outcome == "late":
        fields = {"attendance": "late", "happened": True}
    elif outcome == "dna":
        fields = {"attendance": "did_not_attend", "happened": False, "not_happened_reason": "unacceptable"}
    elif outcome == "logistics":
        fields = {"attendance": "attended", "happened": False, "not_happened_reason": "logistics"}
    if fields:
        fields.update(feedback_at=when + dt.timedelta(hours=2), feedback_by=world.clinician)
    Appointment.objects.create(session=session, starts_at=when, method="in_person", booked_by=world.clinician, **fields)


def _review(
    world: World,
    period: MonitoringPeriod,
    months: int,
    due: dt.date,
    *,
    completed: dt.datetime | None,
    reoffended: bool | None,
) -> FollowUpReview:
    return FollowUpReview.objects.create(
        case=period.case,
        period=period,
        checkpoint_months=months,
        window_starts_on=period.starts_on,
        due_on=due,
        status="completed" if completed else "open",
        reoffended=reoffended,
        sources_checked=["police"] if reoffended is False else [],
        completed_at=completed,
        completed_by=world.triage_officer if completed else None,
    )


def _reoffence(
    world: World, case: Case, kind: str, occurred: dt.date, found: dt.datetime, review: FollowUpReview | None = None
) -> None:
    record = ReoffendingRecord.objects.create(
        case=case,
        occurred_on=occurred,
        kind=kind,
        victim="same",
        source="police",
        offence="s2a_stalking",
        review=review,
        recorded_by=world.triage_officer,
    )
    ReoffendingRecord.objects.filter(pk=record.pk).update(created_at=found)


def build(world: World, other: World) -> Dataset:
    risk_services.instruments_ensure_shipped()
    c: dict[str, Case] = {}
    c["C1"] = _case(world, "C1", D(2025, 10, 5), "police")
    c["C2"] = _case(world, "C2", D(2025, 11, 10), "probation")
    c["C3"] = _case(world, "C3", D(2025, 12, 1), "advocacy")
    c["C4"] = _case(world, "C4", D(2025, 9, 20), "police")
    c["C5"] = _case(world, "C5", D(2025, 10, 15), "self")
    c["C6"] = _case(world, "C6", D(2025, 12, 31), "police")
    c["C7"] = _case(world, "C7", D(2026, 1, 1), "police")
    c["C8"] = _case(world, "C8", D(2025, 7, 1), "police")
    # C9's perpetrator is C1's: one person, counted once among perpetrators.
    c["C9"] = _case(world, "C9", D(2025, 8, 1), "health", link_perpetrator=c["C1"])
    c["C10"] = _case(world, "C10", D(2025, 1, 10), "police")
    o1 = _case(other, "O1", D(2025, 10, 5), "police")

    # --- risk: recorded through the risk services before the decisions are set -----------------------
    officer = world.triage_officer
    risk_services.sash_record(actor=officer, case=c["C1"], level="high", assessed_on=D(2025, 10, 20))
    complete_dash(officer, c["C1"], score=15, assessed_on=D(2025, 10, 18))
    risk_services.sash_record(actor=officer, case=c["C2"], level="moderate", assessed_on=D(2025, 11, 1))
    risk_services.sash_record(actor=officer, case=c["C2"], level="high", assessed_on=D(2025, 12, 1))
    complete_dash(officer, c["C2"], score=5, assessed_on=D(2025, 11, 14))
    risk_services.sash_record(actor=officer, case=c["C3"], level="low", assessed_on=D(2025, 12, 3))
    complete_dash(officer, c["C4"], score=11, assessed_on=D(2025, 10, 1))
    risk_services.sash_record(actor=officer, case=c["C5"], level="moderate_high", assessed_on=D(2025, 10, 29))
    complete_dash(
        officer, c["C5"], score=11, judgement="high", reason="Escalating threats", assessed_on=D(2025, 10, 29)
    )
    risk_services.sash_record(actor=officer, case=c["C9"], level="high", assessed_on=D(2025, 10, 11))
    risk_services.sash_record(actor=other.triage_officer, case=o1, level="high", assessed_on=D(2025, 10, 6))

    # --- decisions -------------------------------------------------------------------------------------
    _decide(c["C1"], "accepted", D(2025, 10, 20), tier=2, heard_at_clinic=True)
    _decide(c["C2"], "accepted", D(2025, 11, 15), tier=1, heard_at_clinic=True)
    _decide(c["C3"], "not_stalking", D(2025, 12, 3), status="declined")
    _decide(c["C4"], "accepted", D(2025, 10, 2), tier=None)
    _decide(c["C5"], "no_added_value", D(2025, 10, 30), status="declined")
    _decide(c["C6"], "pending", None, status="awaiting_triage")
    _decide(c["C7"], "accepted", D(2026, 1, 5), tier=1)
    _decide(c["C8"], "accepted", D(2025, 7, 10), tier=3, heard_at_clinic=True)
    _decide(c["C9"], "accepted", D(2025, 10, 10), tier=4, heard_at_clinic=True)
    _decide(c["C10"], "accepted", D(2025, 2, 1), tier=2, status="monitoring")
    _decide(o1, "accepted", D(2025, 10, 6), tier=1, heard_at_clinic=True)
    _clinic(world, c["C1"], D(2025, 10, 25))
    _clinic(world, c["C8"], D(2025, 11, 3))
    _clinic(world, c["C9"], D(2026, 1, 10))
    _clinic(other, o1, D(2025, 10, 20))

    # --- people: the equality breakdown (make_case gives victims female 1990-06-01, perpetrators male 1985-03-02) --
    _people(c["C1"], PartyRole.VICTIM, ethnicity="white")
    _people(c["C1"], PartyRole.PERPETRATOR, ethnicity="black")
    _people(c["C2"], PartyRole.VICTIM, gender="male", date_of_birth=D(2002, 11, 10), ethnicity="")
    _people(c["C2"], PartyRole.PERPETRATOR, gender="female", date_of_birth=None, age_band="55_64", ethnicity="asian")
    _people(c["C4"], PartyRole.VICTIM, gender="unknown", date_of_birth=None, age_band="", ethnicity="mixed")
    _people(c["C4"], PartyRole.PERPETRATOR, date_of_birth=D(2000, 9, 21), ethnicity="white")
    _people(c["C9"], PartyRole.VICTIM, date_of_birth=D(1960, 8, 1), ethnicity="white")

    # --- advocacy ------------------------------------------------------------------------------------------
    _contact(world, c["C1"], at(D(2025, 10, 21)))
    _contact(world, c["C1"], at(D(2025, 11, 2)))
    _contact(world, c["C2"], at(D(2025, 12, 31), 23, 30))  # the quarter's last half hour
    _contact(world, c["C4"], at(D(2026, 1, 1), 0, 10))  # just after
    _contact(world, c["C4"], at(D(2025, 9, 30), 23, 50))  # just before
    _contact(world, c["C8"], at(D(2025, 10, 1), 0, 5))  # 23:05 UTC on 30 September: in, by London time
    _contact(other, o1, at(D(2025, 10, 7)))
    _plan(world, c["C1"], at(D(2025, 10, 22)))
    _plan(world, c["C8"], at(D(2025, 9, 15)))
    _plan(world, c["C2"], at(D(2025, 12, 31)))
    _plan(other, o1, at(D(2025, 10, 8)))

    # --- interventions and sessions --------------------------------------------------------------------------
    direct = "perpetrator_direct_intervention"
    i1 = _intervention(world, c["C1"], direct, D(2025, 10, 25))
    i8 = _intervention(world, c["C8"], direct, D(2025, 7, 20), "completed", D(2025, 11, 30))
    _intervention(world, c["C2"], direct, D(2025, 11, 20), "dropped_out", D(2025, 12, 15))
    _intervention(world, c["C9"], direct, D(2025, 9, 1), "completed", D(2026, 1, 2))
    _intervention(world, c["C4"], "perpetrator_health_signposting", D(2025, 10, 10))
    _intervention(other, o1, direct, D(2025, 10, 10))
    _appointment(world, i8, 1, at(D(2025, 10, 6), 10), "attended")
    _appointment(world, i8, 2, at(D(2025, 10, 13), 10), "dna")
    _appointment(world, i8, 2, at(D(2025, 10, 20), 10), "late")
    _appointment(world, i8, 3, at(D(2025, 9, 29), 10), "attended")
    _appointment(world, i1, 1, at(D(2025, 12, 31), 18), "attended")
    _appointment(world, i1, 2, at(D(2025, 11, 10), 10), "logistics")
    _appointment(world, i1, 2, at(D(2026, 1, 5), 10), "booked")

    # --- monitoring and re-offending -------------------------------------------------------------------------
    p8 = MonitoringPeriod.objects.create(case=c["C8"], basis="acceptance", starts_on=D(2025, 7, 10))
    p10 = MonitoringPeriod.objects.create(case=c["C10"], basis="acceptance", starts_on=D(2025, 2, 1))
    p4 = MonitoringPeriod.objects.create(case=c["C4"], basis="acceptance", starts_on=D(2025, 10, 2))
    _review(world, p8, 3, D(2025, 10, 10), completed=at(D(2025, 10, 12)), reoffended=False)
    _review(world, p10, 3, D(2025, 5, 1), completed=at(D(2025, 9, 30), 22), reoffended=False)  # just before
    _review(world, p10, 6, D(2025, 8, 1), completed=at(D(2025, 10, 1), 0, 30), reoffended=False)  # late, in
    r10 = _review(world, p10, 9, D(2025, 11, 1), completed=at(D(2025, 11, 3)), reoffended=True)
    _review(world, p4, 3, D(2026, 1, 2), completed=None, reoffended=None)
    _reoffence(world, c["C10"], "persistence", D(2025, 10, 20), at(D(2025, 11, 3)), r10)
    _reoffence(world, c["C10"], "recurrence", D(2025, 10, 25), at(D(2025, 11, 3)), r10)
    _reoffence(world, c["C8"], "recurrence", D(2025, 9, 1), at(D(2025, 10, 5)))  # occurred before, found in Q3
    _reoffence(world, c["C1"], "persistence", D(2025, 12, 20), at(D(2026, 1, 3)))  # found after

    # --- training --------------------------------------------------------------------------------------------
    for partnership, agency, day, audience, attendees in (
        (world.partnership, world.police, D(2025, 10, 15), "police", 20),
        (world.partnership, world.health, D(2025, 12, 31), "health", 3),
        (world.partnership, world.police, D(2025, 9, 30), "police", 50),
        (other.partnership, other.police, D(2025, 11, 1), "police", 100),
    ):
        TrainingEvent.objects.create(
            partnership=partnership,
            delivering_agency=agency,
            delivered_on=day,
            audience=audience,
            topic="Recognising stalking",
            attendees=attendees,
            recorded_by=world.programme_manager,
        )
    return Dataset(world=world, cases=c)
