"""The rules of a direct intervention as tables: how it may end, and each session's status tag."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest
from hypothesis import given
from hypothesis import strategies as st

from interventions.models import MAX_PLANNED_SESSIONS, Ending, InterventionStatus
from interventions.rules import (
    STATUS_FOR_ENDING,
    SessionTag,
    allowed_endings,
    appointment_tag,
    ending_error,
    needs_end_of_service_report,
    plan_sessions_error,
    session_tag,
)

C, E, X, D = Ending.COMPLETED, Ending.ENDED_EARLY, Ending.CANCELLED, Ending.DROPPED_OUT

# (delivered, planned, ending, by agreement) -> allowed?, bundle status, end-of-service report?
ENDING_TABLE = [
    # Nothing delivered: only cancelled.
    (0, 12, X, False, True, InterventionStatus.CANCELLED, False),
    (0, 12, C, False, False, None, None),
    (0, 12, C, True, False, None, None),
    (0, 12, E, False, False, None, None),
    (0, 12, D, False, False, None, None),
    (0, 0, X, False, True, InterventionStatus.CANCELLED, False),
    # Some delivered: ended early, dropped out, or completed only by agreement.
    (3, 12, E, False, True, InterventionStatus.CANCELLED, True),
    (3, 12, D, False, True, InterventionStatus.DROPPED_OUT, True),
    (3, 12, C, True, True, InterventionStatus.COMPLETED, True),
    (3, 12, C, False, False, None, None),
    (3, 12, X, False, False, None, None),
    (11, 12, D, False, True, InterventionStatus.DROPPED_OUT, True),
    (1, 12, E, True, True, InterventionStatus.CANCELLED, True),
    # All delivered: completed (agreement or not), nothing else.
    (12, 12, C, False, True, InterventionStatus.COMPLETED, True),
    (12, 12, C, True, True, InterventionStatus.COMPLETED, True),
    (12, 12, E, False, False, None, None),
    (12, 12, D, False, False, None, None),
    (12, 12, X, False, False, None, None),
    (16, 16, C, False, True, InterventionStatus.COMPLETED, True),
]


@pytest.mark.parametrize(("delivered", "planned", "ending", "agreed", "allowed", "status", "report"), ENDING_TABLE)
def test_ending_rules(
    delivered: int,
    planned: int,
    ending: Ending,
    agreed: bool,
    allowed: bool,
    status: InterventionStatus | None,
    report: bool | None,
) -> None:
    error = ending_error(ending=ending, delivered=delivered, planned=planned, by_agreement=agreed)
    assert (error is None) is allowed, error
    if allowed:
        assert STATUS_FOR_ENDING[ending] == status
        assert needs_end_of_service_report(ending=ending, delivered=delivered) is report


def test_ending_messages_say_why() -> None:
    assert ending_error(ending=C, delivered=0, planned=12, by_agreement=True) == (
        "No sessions were delivered, so the intervention can only be cancelled"
    )
    assert ending_error(ending=X, delivered=2, planned=12, by_agreement=False) == (
        "Sessions were delivered, so the intervention cannot be cancelled: it ended early or dropped out"
    )
    assert ending_error(ending=D, delivered=12, planned=12, by_agreement=False) == (
        "Every planned session was delivered, so the intervention is completed"
    )
    assert ending_error(ending=C, delivered=5, planned=12, by_agreement=False) == (
        "Only 5 of 12 planned sessions were delivered: completed needs every session, or an agreement to end here"
    )
    assert ending_error(ending="finished", delivered=5, planned=12, by_agreement=False) == (
        "Choose how the intervention ended"
    )


@given(delivered=st.integers(min_value=0, max_value=60), planned=st.integers(min_value=0, max_value=60))
def test_exactly_one_kind_of_ending_fits_each_count(delivered: int, planned: int) -> None:
    """Cancelled exactly when nothing was delivered; completed always possible once anything was."""
    endings = allowed_endings(delivered=delivered, planned=planned)
    assert endings
    assert (Ending.CANCELLED in endings) == (delivered == 0)
    assert (Ending.COMPLETED in endings) == (delivered > 0)
    if delivered >= planned > 0:
        assert endings == (Ending.COMPLETED,)
    for ending in Ending:
        error = ending_error(ending=ending, delivered=delivered, planned=planned, by_agreement=True)
        assert (error is None) == (ending in endings)


PLAN_TABLE = [
    # planned, delivered, highest booked -> error
    (12, 0, 0, None),
    (1, 0, 0, None),
    (0, 0, 0, "A plan has at least one session"),
    (MAX_PLANNED_SESSIONS, 0, 0, None),
    (MAX_PLANNED_SESSIONS + 1, 0, 0, f"A plan has at most {MAX_PLANNED_SESSIONS} sessions"),
    (16, 12, 12, None),
    (8, 8, 8, None),
    (7, 8, 8, "8 sessions have already been delivered: the plan cannot have fewer"),
    (8, 7, 9, "Session 9 already has an appointment recorded: the plan must keep at least 9 sessions"),
]


@pytest.mark.parametrize(("planned", "delivered", "booked", "error"), PLAN_TABLE)
def test_a_plan_never_has_fewer_sessions_than_delivered(
    planned: int, delivered: int, booked: int, error: str | None
) -> None:
    assert (
        plan_sessions_error(planned=planned, delivered=delivered, highest_booked=booked, maximum=MAX_PLANNED_SESSIONS)
        == error
    )


# --- status tags --------------------------------------------------------------------------------------

NOW = dt.datetime(2026, 3, 10, 12, 0, tzinfo=dt.UTC)
PAST = NOW - dt.timedelta(days=1)
FUTURE = NOW + dt.timedelta(days=1)


@dataclass
class Appt:
    starts_at: dt.datetime
    feedback_at: dt.datetime | None = None
    rescheduled_at: dt.datetime | None = None
    replaces_id: int | None = None
    cancelled_at: dt.datetime | None = None
    attendance: str = ""
    happened: bool | None = None


def held(**kw: object) -> Appt:
    return Appt(PAST, feedback_at=NOW, attendance="attended", happened=True, **kw)  # type: ignore[arg-type]


def dna() -> Appt:
    return Appt(PAST, feedback_at=NOW, attendance="did_not_attend", happened=False)


def not_held() -> Appt:
    return Appt(PAST, feedback_at=NOW, attendance="attended", happened=False)


TAG_TABLE = [
    ([], SessionTag.NOT_SCHEDULED),
    ([Appt(FUTURE)], SessionTag.SCHEDULED),
    ([Appt(PAST)], SessionTag.NEEDS_FEEDBACK),
    ([Appt(NOW)], SessionTag.NEEDS_FEEDBACK),
    ([held()], SessionTag.COMPLETED),
    ([Appt(PAST, feedback_at=NOW, attendance="late", happened=True)], SessionTag.COMPLETED),
    ([dna()], SessionTag.DID_NOT_ATTEND),
    ([not_held()], SessionTag.DID_NOT_HAPPEN),
    ([Appt(FUTURE, rescheduled_at=PAST, replaces_id=None), Appt(FUTURE, replaces_id=1)], SessionTag.RESCHEDULED),
    ([Appt(FUTURE, rescheduled_at=PAST), Appt(PAST, replaces_id=1)], SessionTag.NEEDS_FEEDBACK),
    ([Appt(FUTURE, rescheduled_at=PAST), held(replaces_id=1)], SessionTag.COMPLETED),
    ([dna(), Appt(FUTURE)], SessionTag.SCHEDULED),
    ([dna(), held()], SessionTag.COMPLETED),
    ([dna(), not_held()], SessionTag.DID_NOT_HAPPEN),
    ([Appt(FUTURE, cancelled_at=NOW)], SessionTag.NOT_SCHEDULED),
]


@pytest.mark.parametrize(("appointments", "tag"), TAG_TABLE)
def test_session_status_tag(appointments: list[Appt], tag: SessionTag) -> None:
    assert session_tag(appointments, now=NOW) == tag


def test_appointment_tags_in_a_session_history() -> None:
    assert appointment_tag(Appt(FUTURE, rescheduled_at=PAST), now=NOW) == SessionTag.RESCHEDULED
    assert appointment_tag(Appt(FUTURE, cancelled_at=NOW), now=NOW) == SessionTag.CANCELLED
    assert appointment_tag(Appt(FUTURE, replaces_id=3), now=NOW) == SessionTag.RESCHEDULED
    assert appointment_tag(Appt(FUTURE), now=NOW) == SessionTag.SCHEDULED
