"""The activities time is recorded on, and what each offers by default.

A source is a kind of record in an app below this one (an agenda item of a meeting, a
contact, an appointment, an assessment, a safety measure, a court date). For one record
it gives the case, the date, and the activity kinds that may be recorded against it with
their default minutes: the appointment's or the contact's own length where it has one,
otherwise the kind's default. The activity's pages link here through
``masip.time_recording`` (filled in ``costs.apps``), so none of them imports this app.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from django.utils import timezone

from agencies.models import RecordClass
from costs.models import ActivityKind, Category

# Minutes offered when the record does not say how long it took; editable on the form.
DEFAULT_MINUTES: dict[str, int] = {
    ActivityKind.MEETING_PREPARATION: 30,
    ActivityKind.MEETING_ATTENDANCE: 20,
    ActivityKind.MEETING_TRAVEL: 30,
    ActivityKind.CONTACT: 20,
    ActivityKind.SESSION: 60,
    ActivityKind.RISK_ASSESSMENT: 90,
    ActivityKind.SAFEGUARDING: 60,
    ActivityKind.COURT_SUPPORT: 180,
    ActivityKind.REFERRAL: 60,
    ActivityKind.FOLLOW_UP: 30,
}

# The report's category each kind of work falls in, unless the form says otherwise.
DEFAULT_CATEGORY: dict[str, str] = {
    ActivityKind.MEETING_PREPARATION: Category.REFERRAL,
    ActivityKind.MEETING_ATTENDANCE: Category.REFERRAL,
    ActivityKind.MEETING_TRAVEL: Category.REFERRAL,
    ActivityKind.CONTACT: Category.SAFEGUARDING,
    ActivityKind.SESSION: Category.TREATMENT,
    ActivityKind.RISK_ASSESSMENT: Category.INITIAL_RISK_ASSESSMENT,
    ActivityKind.SAFEGUARDING: Category.SAFEGUARDING,
    ActivityKind.COURT_SUPPORT: Category.SAFEGUARDING,
    ActivityKind.REFERRAL: Category.REFERRAL,
    ActivityKind.FOLLOW_UP: Category.FOLLOW_UP,
}


@dataclass(frozen=True)
class Activity:
    source: str
    activity_id: int | None
    case_id: int
    partnership_id: int
    occurred_on: dt.date
    title: str
    kinds: tuple[str, ...]
    default_minutes: dict[str, int]
    # A record class the reader must be allowed to see to record time on it (a safety measure).
    record_class: str = ""


def _local_date(value: dt.datetime) -> dt.date:
    return timezone.localtime(value).date()


def _agenda_item(pk: int) -> Activity | None:
    from triage.models import AgendaItem

    item = AgendaItem.objects.select_related("meeting").filter(pk=pk).first()
    if item is None:
        return None
    kinds = (ActivityKind.MEETING_PREPARATION, ActivityKind.MEETING_ATTENDANCE, ActivityKind.MEETING_TRAVEL)
    return Activity(
        source="triage.agendaitem",
        activity_id=pk,
        case_id=item.case_id,
        partnership_id=item.meeting.partnership_id,
        occurred_on=_local_date(item.meeting.starts_at),
        title=f"{item.meeting.get_kind_display()} on {_local_date(item.meeting.starts_at):%-d %B %Y}",
        kinds=kinds,
        default_minutes={k: DEFAULT_MINUTES[k] for k in kinds},
    )


def _contact(pk: int) -> Activity | None:
    from advocacy.models import ContactLogEntry

    contact = ContactLogEntry.objects.select_related("case").filter(pk=pk).first()
    if contact is None:
        return None
    return Activity(
        source="advocacy.contact",
        activity_id=pk,
        case_id=contact.case_id,
        partnership_id=contact.case.partnership_id,
        occurred_on=_local_date(contact.occurred_at),
        title=f"Contact on {_local_date(contact.occurred_at):%-d %B %Y}",
        kinds=(ActivityKind.CONTACT,),
        default_minutes={ActivityKind.CONTACT: contact.duration_minutes or DEFAULT_MINUTES[ActivityKind.CONTACT]},
    )


def _appointment(pk: int) -> Activity | None:
    from interventions.models import Appointment

    appointment = Appointment.objects.select_related("session__intervention__case").filter(pk=pk).first()
    if appointment is None:
        return None
    case = appointment.session.intervention.case
    return Activity(
        source="interventions.appointment",
        activity_id=pk,
        case_id=case.pk,
        partnership_id=case.partnership_id,
        occurred_on=_local_date(appointment.starts_at),
        title=f"Session {appointment.session.number} on {_local_date(appointment.starts_at):%-d %B %Y}",
        kinds=(ActivityKind.SESSION,),
        default_minutes={ActivityKind.SESSION: appointment.duration_minutes},
    )


def _assessment(pk: int) -> Activity | None:
    from risk.models import Assessment

    assessment = Assessment.objects.select_related("case", "instrument").filter(pk=pk).first()
    if assessment is None:
        return None
    on = assessment.assessed_on or _local_date(assessment.created_at)
    return Activity(
        source="risk.assessment",
        activity_id=pk,
        case_id=assessment.case_id,
        partnership_id=assessment.case.partnership_id,
        occurred_on=on,
        title=f"{assessment.instrument.short_name} assessment",
        kinds=(ActivityKind.RISK_ASSESSMENT,),
        default_minutes={ActivityKind.RISK_ASSESSMENT: DEFAULT_MINUTES[ActivityKind.RISK_ASSESSMENT]},
    )


def _safety_measure(pk: int) -> Activity | None:
    from advocacy.models import SafetyMeasure

    measure = SafetyMeasure.objects.select_related("plan__case").filter(pk=pk).first()
    if measure is None:
        return None
    return Activity(
        source="advocacy.safetymeasure",
        activity_id=pk,
        case_id=measure.plan.case_id,
        partnership_id=measure.plan.case.partnership_id,
        occurred_on=measure.in_place_on or measure.proposed_on,
        title="Safety measure",
        kinds=(ActivityKind.SAFEGUARDING,),
        default_minutes={ActivityKind.SAFEGUARDING: DEFAULT_MINUTES[ActivityKind.SAFEGUARDING]},
        record_class=RecordClass.SAFETY_PLAN,
    )


def _key_event(pk: int) -> Activity | None:
    from advocacy.models import KeyEvent

    event = KeyEvent.objects.select_related("case").filter(pk=pk).first()
    if event is None:
        return None
    return Activity(
        source="advocacy.keyevent",
        activity_id=pk,
        case_id=event.case_id,
        partnership_id=event.case.partnership_id,
        occurred_on=event.occurs_on,
        title=f"{event.get_kind_display()} on {event.occurs_on:%-d %B %Y}",
        kinds=(ActivityKind.COURT_SUPPORT,),
        default_minutes={ActivityKind.COURT_SUPPORT: DEFAULT_MINUTES[ActivityKind.COURT_SUPPORT]},
    )


SOURCES: dict[str, Callable[[int], Activity | None]] = {
    "triage.agendaitem": _agenda_item,
    "advocacy.contact": _contact,
    "interventions.appointment": _appointment,
    "risk.assessment": _assessment,
    "advocacy.safetymeasure": _safety_measure,
    "advocacy.keyevent": _key_event,
}

# Work on the case as a whole, not on one record (the referral, follow-up), and time of
# other agencies that has no record of its own here.
CASE_KINDS: tuple[str, ...] = tuple(ActivityKind.values)


def case_activity(*, case_id: int, partnership_id: int, on: dt.date) -> Activity:
    return Activity(
        source="case",
        activity_id=None,
        case_id=case_id,
        partnership_id=partnership_id,
        occurred_on=on,
        title="Work on the case",
        kinds=CASE_KINDS,
        default_minutes=dict(DEFAULT_MINUTES),
    )


def activity_resolve(*, source: str, activity_id: int) -> Activity | None:
    resolver = SOURCES.get(source)
    return resolver(activity_id) if resolver is not None else None
