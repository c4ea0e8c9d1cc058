"""The rules of a direct intervention as pure functions: how it may end, what a session's
status tag is, how far a plan may be revised. Services enforce them; pages show them;
tests hold them as tables (interventions/tests/test_rules.py).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Protocol

from django.db import models

from interventions.models import Attendance, Ending, InterventionStatus

# --- ending --------------------------------------------------------------------------------------

# The bundle has no "ended early": an intervention ended by the service after some
# sessions is exported as cancelled (its sessions_attended shows it had started);
# "dropped out" stays the perpetrator's own disengagement. docs/interventions.md.
STATUS_FOR_ENDING: dict[str, InterventionStatus] = {
    Ending.COMPLETED: InterventionStatus.COMPLETED,
    Ending.ENDED_EARLY: InterventionStatus.CANCELLED,
    Ending.CANCELLED: InterventionStatus.CANCELLED,
    Ending.DROPPED_OUT: InterventionStatus.DROPPED_OUT,
}


def allowed_endings(*, delivered: int, planned: int) -> tuple[Ending, ...]:
    """The endings open to a direct intervention with ``delivered`` of ``planned`` sessions.

    - none delivered: cancelled;
    - some but not all: ended early, dropped out, or completed by agreement;
    - all planned delivered: completed.
    """
    if delivered <= 0:
        return (Ending.CANCELLED,)
    if delivered < planned:
        return (Ending.COMPLETED, Ending.ENDED_EARLY, Ending.DROPPED_OUT)
    return (Ending.COMPLETED,)


def ending_error(*, ending: str, delivered: int, planned: int, by_agreement: bool) -> str | None:
    """Why this ending is not allowed, or None when it is."""
    if ending not in Ending.values:
        return "Choose how the intervention ended"
    if ending not in allowed_endings(delivered=delivered, planned=planned):
        if delivered <= 0:
            return "No sessions were delivered, so the intervention can only be cancelled"
        if ending == Ending.CANCELLED:
            return "Sessions were delivered, so the intervention cannot be cancelled: it ended early or dropped out"
        return "Every planned session was delivered, so the intervention is completed"
    if ending == Ending.COMPLETED and delivered < planned and not by_agreement:
        return (
            f"Only {delivered} of {planned} planned sessions were delivered: completed needs every session, "
            "or an agreement to end here"
        )
    return None


def needs_end_of_service_report(*, ending: str, delivered: int) -> bool:
    """Every ending after a delivered session has a report; a cancelled intervention has none."""
    return delivered > 0 and ending != Ending.CANCELLED


# --- plans --------------------------------------------------------------------------------------------


def plan_sessions_error(*, planned: int, delivered: int, highest_booked: int, maximum: int) -> str | None:
    """Why a plan (or a revision) may not have ``planned`` sessions, or None."""
    if planned < 1:
        return "A plan has at least one session"
    if planned > maximum:
        return f"A plan has at most {maximum} sessions"
    if planned < delivered:
        return f"{delivered} sessions have already been delivered: the plan cannot have fewer"
    if planned < highest_booked:
        return (
            f"Session {highest_booked} already has an appointment recorded: the plan must keep at least "
            f"{highest_booked} sessions"
        )
    return None


# --- session status tags ------------------------------------------------------------------------------


class SessionTag(models.TextChoices):
    NOT_SCHEDULED = "not_scheduled", "Not scheduled"
    SCHEDULED = "scheduled", "Scheduled"
    NEEDS_FEEDBACK = "needs_feedback", "Needs feedback"
    COMPLETED = "completed", "Completed"
    DID_NOT_ATTEND = "did_not_attend", "Did not attend"
    DID_NOT_HAPPEN = "did_not_happen", "Did not happen"
    RESCHEDULED = "rescheduled", "Rescheduled"
    CANCELLED = "cancelled", "Cancelled"


TAG_COLOURS: dict[str, str] = {
    SessionTag.NOT_SCHEDULED: "govuk-tag--grey",
    SessionTag.SCHEDULED: "govuk-tag--blue",
    SessionTag.NEEDS_FEEDBACK: "govuk-tag--orange",
    SessionTag.COMPLETED: "govuk-tag--green",
    SessionTag.DID_NOT_ATTEND: "govuk-tag--red",
    SessionTag.DID_NOT_HAPPEN: "govuk-tag--yellow",
    SessionTag.RESCHEDULED: "govuk-tag--purple",
    SessionTag.CANCELLED: "govuk-tag--grey",
}


class AppointmentLike(Protocol):
    starts_at: dt.datetime
    feedback_at: dt.datetime | None
    rescheduled_at: dt.datetime | None
    replaces_id: int | None
    cancelled_at: dt.datetime | None
    attendance: str
    happened: bool | None


def appointment_tag(appointment: AppointmentLike, *, now: dt.datetime) -> SessionTag:
    """The tag of one appointment in a session's history."""
    if appointment.rescheduled_at is not None:
        return SessionTag.RESCHEDULED
    if appointment.feedback_at is not None:
        if appointment.happened:
            return SessionTag.COMPLETED
        if appointment.attendance == Attendance.DID_NOT_ATTEND:
            return SessionTag.DID_NOT_ATTEND
        return SessionTag.DID_NOT_HAPPEN
    if appointment.cancelled_at is not None:
        return SessionTag.CANCELLED
    if appointment.starts_at <= now:
        return SessionTag.NEEDS_FEEDBACK
    # A new time for a rescheduled appointment shows as rescheduled until it is held.
    return SessionTag.RESCHEDULED if appointment.replaces_id is not None else SessionTag.SCHEDULED


def session_tag(appointments: Sequence[AppointmentLike], *, now: dt.datetime) -> SessionTag:
    """A session's tag from all its appointments, oldest first.

    Delivered wins; then the appointment still to be held or fed back; then how the
    last fed-back appointment went; otherwise the session is not scheduled.
    """
    if any(a.happened for a in appointments):
        return SessionTag.COMPLETED
    for appointment in appointments:
        if appointment.feedback_at is None and appointment.rescheduled_at is None and appointment.cancelled_at is None:
            return appointment_tag(appointment, now=now)
    fed_back = [a for a in appointments if a.feedback_at is not None]
    if fed_back:
        return appointment_tag(fed_back[-1], now=now)
    return SessionTag.NOT_SCHEDULED
