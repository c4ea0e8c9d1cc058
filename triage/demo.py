"""Demo meetings for the demo partnership, built through the triage services.

- last week's triage meeting, concluded: it accepted one waiting case at tier 2 (referred
  to the clinic, with two actions, one of them now overdue) and declined another as not
  applicable; health brought a clinical note that only health can read;
- a stalking clinic three days ago, concluded, that heard the referred case in full;
- this morning's triage meeting, planned, with attendance and two cases on its agenda,
  and more awaiting triage to propose;
- next week's clinic, with an empty agenda for the builder to fill.

Idempotent: nothing is made when the demo partnership already has meetings.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from agencies.demo import DEMO_SLUG
from agencies.models import Partnership, RecordClass
from cases.demo import DemoStaff
from cases.models import Case, CaseStatus
from triage import services
from triage.models import Meeting, MeetingKind, Outcome


def _at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))


def _held(meeting: Meeting, minutes: int = 90) -> None:
    """Date a demo meeting's start and end to when it happened in the story."""
    Meeting.objects.filter(pk=meeting.pk).update(
        started_at=meeting.starts_at, concluded_at=meeting.starts_at + dt.timedelta(minutes=minutes)
    )


def _attend(staff: DemoStaff, meeting: Meeting) -> None:
    for person in (staff.triage, staff.probation, staff.clinician, staff.advocate):
        assert person.agency is not None
        services.attendance_add(actor=staff.triage, meeting=meeting, agency_id=person.agency_id, person_id=person.pk)


@transaction.atomic
def load_demo_meetings() -> int:
    """Create the demo meetings once. Returns how many were made."""
    partnership = Partnership.objects.filter(slug=DEMO_SLUG).first()
    if partnership is None or Meeting.objects.filter(partnership=partnership).exists():
        return 0
    waiting = list(
        Case.objects.filter(partnership=partnership, status=CaseStatus.AWAITING_TRIAGE).order_by("received_on", "id")
    )
    if len(waiting) < 4:
        return 0
    staff = DemoStaff.of(partnership)
    today = timezone.localdate()
    made = 0

    # Last week's triage meeting.
    last_week = services.meeting_create(
        actor=staff.triage,
        kind=MeetingKind.TRIAGE,
        starts_at=_at(today - dt.timedelta(days=7), 9, 30),
        chair_id=staff.triage.pk,
        location="Video call",
    )
    made += 1
    _attend(staff, last_week)
    accepted_item = services.agenda_add(actor=staff.triage, meeting=last_week, case_id=waiting[0].pk)
    declined_item = services.agenda_add(actor=staff.triage, meeting=last_week, case_id=waiting[1].pk)
    services.information_share_record(
        actor=staff.triage,
        item=accepted_item,
        text="Two call-outs to the victim's address in the last month; the perpetrator was arrested after the second.",
    )
    services.information_share_record(
        actor=staff.clinician,
        item=accepted_item,
        text="Known to the community mental health team; missed his last two appointments.",
        record_class=RecordClass.CLINICAL,
    )
    services.information_share_record(
        actor=staff.probation,
        item=declined_item,
        text="Not known to probation.",
    )
    services.decision_record(
        actor=staff.triage,
        item=accepted_item,
        data=services.DecisionInput(
            outcome=Outcome.ACCEPTED,
            stalking_consensus="yes",
            meets_legal_threshold=True,
            added_value=True,
            tier=2,
            refer_to_clinic=True,
            sash_level="moderate_high",
            reason="Fixated, escalating contact after separation; victim wants support.",
        ),
        actions=[
            services.ActionInput(
                owner_id=staff.advocate.pk,
                description="Contact the victim within two working days and agree a safety plan.",
                due_on=today - dt.timedelta(days=2),
            ),
            services.ActionInput(
                owner_id=staff.probation.pk,
                description="Check for any licence conditions and report back to the clinic.",
                due_on=today + dt.timedelta(days=5),
            ),
        ],
    )
    services.decision_record(
        actor=staff.triage,
        item=declined_item,
        data=services.DecisionInput(
            outcome=Outcome.DECLINED,
            stalking_consensus="unclear",
            meets_legal_threshold=False,
            added_value=False,
            decline_reason="not_applicable",
            reason="A neighbour dispute handled by the local policing team; signposted to mediation.",
        ),
    )
    services.meeting_conclude(actor=staff.triage, meeting=last_week)
    _held(last_week)

    # Three days ago, the clinic heard the case the triage meeting referred to it.
    clinic = services.meeting_create(
        actor=staff.clinician,
        kind=MeetingKind.CLINIC,
        starts_at=_at(today - dt.timedelta(days=3), 14),
        chair_id=staff.clinician.pk,
        location="Stalking clinic, room 2",
    )
    made += 1
    _attend(staff, clinic)
    heard = services.agenda_add(actor=staff.clinician, meeting=clinic, case_id=waiting[0].pk)
    services.information_share_record(
        actor=staff.clinician,
        item=heard,
        text="Formulation: rejected stalker with a history of low mood; offered a 12-session intervention.",
        record_class=RecordClass.CLINICAL,
    )
    services.decision_record(
        actor=staff.clinician,
        item=heard,
        data=services.DecisionInput(
            outcome=Outcome.REVIEWED,
            stalker_type="rejected",
            reason="Heard in full: treatment offered, risk management plan agreed.",
        ),
        actions=[
            services.ActionInput(
                owner_id=staff.clinician.pk,
                description="Offer the first treatment session.",
                due_on=today + dt.timedelta(days=10),
            )
        ],
    )
    services.meeting_conclude(actor=staff.clinician, meeting=clinic)
    _held(clinic, 60)

    # This morning's triage meeting: planned, two cases on the agenda, others to propose.
    this_morning = services.meeting_create(
        actor=staff.triage,
        kind=MeetingKind.TRIAGE,
        starts_at=_at(today, 9, 30),
        chair_id=staff.triage.pk,
        location="Video call",
    )
    made += 1
    _attend(staff, this_morning)
    first = services.agenda_add(actor=staff.triage, meeting=this_morning, case_id=waiting[2].pk)
    services.agenda_add(actor=staff.triage, meeting=this_morning, case_id=waiting[3].pk)
    services.information_share_record(
        actor=staff.triage,
        item=first,
        text="Crime report for malicious communications; the suspect has been interviewed and bailed.",
    )

    # Next week's clinic: nothing on the agenda yet.
    services.meeting_create(
        actor=staff.clinician,
        kind=MeetingKind.CLINIC,
        starts_at=_at(today + dt.timedelta(days=7), 14),
        chair_id=staff.clinician.pk,
        location="Stalking clinic, room 2",
    )
    made += 1
    return made


# The name every app's demo module offers to seed_demo.
load_demo_data = load_demo_meetings
