"""Every read about interventions that a person sees, scoped to that person.

Scope is the case's: ``cases.selectors.case_get_for_user`` for one case and
``case_queryset_for_user`` for lists, so outside it the answer is 404. What the
sharing agreement withholds is removed here: clinical notes (class ``clinical``) are
not even queried for a user who may not see them, a referral's risk information
(class ``criminal_history``) and the details of some types are handed over as None.

The reads a page or an endpoint shows (``*_for_user`` below, unless they say otherwise)
write the access-log row for what they return, so the page and the API log alike and no
view writes the log itself. ``referral_get_for_user``, ``intervention_get_for_user`` and
the other ``_get_`` functions only scope: writes call them before a service, which logs
the change.

Three reads are for the system, not a person (no user, no access log): the case
due-date source, the end dates that start post-intervention monitoring, and the
rows of the partnership bundle's interventions.csv.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Exists, Min, OuterRef, Prefetch, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from agencies.models import Agency, User
from audit.models import AccessAction
from audit.services import access_record
from cases.models import Case
from cases.selectors import case_get_for_user, case_queryset_for_user, cases_viewable_by
from interventions import permissions, rules
from interventions.models import (
    DIRECT,
    ENDINGS_AFTER_START,
    OPEN_STATUSES,
    Appointment,
    ClinicalNote,
    Ending,
    EndOfServiceReport,
    Intervention,
    InterventionReferral,
    InterventionType,
    PlanReview,
    PlanStatus,
    ReferralStatus,
    SessionConcern,
    TherapyPlan,
    TherapySession,
)
from interventions.rules import SessionTag

WITHHELD = "Withheld under the information-sharing agreement"


# --- shaping --------------------------------------------------------------------------------------


@dataclass
class ReferralView:
    referral: InterventionReferral
    # Class criminal_history: None when the user's agency may not see it.
    risk_information: str | None
    can_decide: bool
    can_withdraw: bool

    @property
    def notify(self) -> User:
        return self.referral.probation_practitioner or self.referral.referred_by


def referral_view(user: User, referral: InterventionReferral) -> ReferralView:
    return ReferralView(
        referral=referral,
        risk_information=referral.risk_information if permissions.may_see_risk_information(user) else None,
        can_decide=permissions.can_decide_referral(user, referral),
        can_withdraw=permissions.can_withdraw_referral(user, referral),
    )


@dataclass
class InterventionRow:
    intervention: Intervention
    # None when the type's details are of a class the user's agency may not see.
    details: str | None
    can_deliver: bool

    @property
    def details_withheld(self) -> bool:
        return self.details is None and bool(self.intervention.details)


def intervention_row(user: User, intervention: Intervention) -> InterventionRow:
    return InterventionRow(
        intervention=intervention,
        details=intervention.details if permissions.may_see_details(user, intervention.type) else None,
        can_deliver=permissions.can_deliver(user, intervention),
    )


# --- the access log --------------------------------------------------------------------------------


def _log(user: User, record_type: str, ids: Iterable[int], purpose: str = "") -> None:
    """The access-log row of one read, for exactly the records it returns."""
    ids = list(ids)
    if ids:
        access_record(user=user, action=AccessAction.VIEW, record_type=record_type, record_ids=ids, purpose=purpose)


def _mark_acknowledgeable(user: User, concerns: Iterable[SessionConcern]) -> None:
    """``concern.can_ack`` for templates: may this user acknowledge it?"""
    for concern in concerns:
        concern.can_ack = permissions.can_acknowledge_concern(user, concern)  # type: ignore[attr-defined]


# --- one case's interventions ------------------------------------------------------------------------


@dataclass
class CaseInterventions:
    case: Case
    referrals: list[ReferralView]
    interventions: list[InterventionRow]
    open_concerns: list[SessionConcern]
    can_refer: bool
    recordable_types: list[Any]

    @property
    def direct(self) -> list[InterventionRow]:
        return [row for row in self.interventions if row.intervention.is_direct]

    @property
    def others(self) -> list[InterventionRow]:
        return [row for row in self.interventions if not row.intervention.is_direct]

    @property
    def awaiting_referral(self) -> ReferralView | None:
        return next((r for r in self.referrals if r.referral.status == ReferralStatus.SUBMITTED), None)

    @property
    def may_refer_now(self) -> bool:
        open_direct = any(row.intervention.is_open for row in self.direct)
        return self.can_refer and self.awaiting_referral is None and not open_direct


def case_interventions_for_user(*, user: User, case_id: int) -> CaseInterventions:
    case = case_get_for_user(user=user, case_id=case_id)
    referrals = list(
        InterventionReferral.objects.filter(case=case)
        .select_related("referred_by", "referring_agency", "health_agency", "probation_practitioner", "decided_by")
        .order_by("-referred_on", "-id")
    )
    interventions = list(
        Intervention.objects.filter(case=case).select_related("agency", "recorded_by").order_by("-created_at", "-id")
    )
    concerns = list(
        SessionConcern.objects.filter(intervention__case=case, acknowledged_at__isnull=True)
        .select_related("raised_by", "recipient", "notification", "appointment__session")
        .order_by("-created_at")
    )
    _mark_acknowledgeable(user, concerns)
    _log(user, "cases.case", [case.pk], "interventions")
    _log(user, "interventions.intervention", [i.pk for i in interventions])
    return CaseInterventions(
        case=case,
        referrals=[referral_view(user, r) for r in referrals],
        interventions=[intervention_row(user, i) for i in interventions],
        open_concerns=concerns,
        can_refer=permissions.can_refer(user),
        recordable_types=permissions.recordable_types(user),
    )


# --- the form pages of one case -----------------------------------------------------------------------


@dataclass
class ReferralFormPage:
    """The referral form: the case (its identity bar names the people) and where it can go."""

    case: Case
    health_agencies: list[Agency]
    practitioners: list[User]


def referral_form_for_user(*, user: User, case_id: int) -> ReferralFormPage:
    """The "refer for direct intervention" page: 404 outside the case or for a role that does not refer."""
    from interventions.services import health_agencies_for_case, probation_practitioners_for_case

    case = case_get_for_user(user=user, case_id=case_id)
    if not permissions.can_refer(user):
        raise Http404
    _log(user, "cases.case", [case.pk], "refer for direct intervention")
    return ReferralFormPage(
        case=case,
        health_agencies=health_agencies_for_case(case=case),
        practitioners=probation_practitioners_for_case(case=case),
    )


@dataclass
class RecordFormPage:
    case: Case
    types: list[InterventionType]


def intervention_record_form_for_user(*, user: User, case_id: int) -> RecordFormPage:
    """The "record an intervention" page: the types the user's agency delivers, or 404."""
    case = case_get_for_user(user=user, case_id=case_id)
    types = permissions.recordable_types(user)
    if not types:
        raise Http404
    _log(user, "cases.case", [case.pk], "record an intervention")
    return RecordFormPage(case=case, types=types)


def referral_get_for_user(*, user: User, referral_id: int, case_id: int | None = None) -> InterventionReferral:
    """A referral on a case the user can see, or 404 (the case decides)."""
    if case_id is None:
        found = InterventionReferral.objects.filter(pk=referral_id).values_list("case_id", flat=True).first()
        if found is None:
            raise Http404
        case_id = found
    case = case_get_for_user(user=user, case_id=case_id)
    referral = (
        InterventionReferral.objects.filter(case=case, pk=referral_id)
        .select_related("referred_by", "referring_agency", "health_agency", "probation_practitioner", "decided_by")
        .first()
    )
    if referral is None:
        raise Http404
    referral.case = case
    return referral


def referral_detail_for_user(*, user: User, referral_id: int, case_id: int | None = None) -> ReferralView:
    """One referral as its page and ``GET /api/v1/intervention-referrals/{id}/`` show it."""
    referral = referral_get_for_user(user=user, referral_id=referral_id, case_id=case_id)
    _log(user, "interventions.referral", [referral.pk])
    return referral_view(user, referral)


def intervention_get_for_user(*, user: User, intervention_id: int, case_id: int | None = None) -> Intervention:
    """An intervention of a case the user can see, or 404."""
    if case_id is None:
        found = Intervention.objects.filter(pk=intervention_id).values_list("case_id", flat=True).first()
        if found is None:
            raise Http404
        case_id = found
    case = case_get_for_user(user=user, case_id=case_id)
    intervention = Intervention.objects.filter(case=case, pk=intervention_id).select_related("agency").first()
    if intervention is None:
        raise Http404
    intervention.case = case
    return intervention


def intervention_page_for_user(*, user: User, case_id: int, intervention_id: int, purpose: str = "") -> Intervention:
    """A form page about one intervention (start, plan review, booking, rescheduling, feedback):
    the intervention, under the identity bar of its case. A look at the intervention."""
    intervention = intervention_get_for_user(user=user, case_id=case_id, intervention_id=intervention_id)
    _log(user, "interventions.intervention", [intervention.pk], purpose)
    return intervention


def session_get_for_user(*, user: User, intervention: Intervention, number: int) -> TherapySession:
    """``intervention`` comes from intervention_get_for_user: its case is already in scope."""
    session = TherapySession.objects.filter(intervention=intervention, number=number).first()
    if session is None:
        raise Http404
    session.intervention = intervention
    return session


def appointment_get_for_user(*, user: User, intervention: Intervention, appointment_id: int) -> Appointment:
    appointment = (
        Appointment.objects.filter(session__intervention=intervention, pk=appointment_id)
        .select_related("session")
        .first()
    )
    if appointment is None:
        raise Http404
    appointment.session.intervention = intervention
    return appointment


def concern_get_for_user(*, user: User, concern_id: int) -> SessionConcern:
    found = SessionConcern.objects.filter(pk=concern_id).values_list("intervention__case_id", flat=True).first()
    if found is None:
        raise Http404
    case = case_get_for_user(user=user, case_id=found)
    concern = SessionConcern.objects.select_related(
        "intervention", "recipient", "notification", "raised_by", "acknowledged_by", "appointment__session"
    ).get(pk=concern_id)
    concern.intervention.case = case
    return concern


# --- one direct intervention: the progress page ------------------------------------------------------------


@dataclass
class AppointmentView:
    appointment: Appointment
    tag: SessionTag
    # None when the user may not see class clinical: never fetched for them.
    clinical_notes: list[ClinicalNote] | None
    concern: SessionConcern | None


@dataclass
class SessionRow:
    session: TherapySession
    tag: SessionTag
    appointments: list[AppointmentView]

    @property
    def current(self) -> AppointmentView | None:
        """The appointment that decides the tag: still to be held, or the latest fed back."""
        open_ = [a for a in self.appointments if a.appointment.is_open]
        if open_:
            return open_[0]
        fed_back = [a for a in self.appointments if a.appointment.feedback_at is not None]
        delivered = [a for a in fed_back if a.appointment.happened]
        if delivered:
            return delivered[0]
        return fed_back[-1] if fed_back else None

    @property
    def can_book(self) -> bool:
        return self.tag in (SessionTag.NOT_SCHEDULED, SessionTag.DID_NOT_ATTEND, SessionTag.DID_NOT_HAPPEN)

    @property
    def needs_feedback(self) -> bool:
        return self.tag == SessionTag.NEEDS_FEEDBACK

    @property
    def can_reschedule(self) -> bool:
        return self.tag in (SessionTag.SCHEDULED, SessionTag.RESCHEDULED)


@dataclass
class RatingView:
    outcome: str
    rating: str
    rating_label: str
    comments: str


@dataclass
class DirectInterventionDetail:
    case: Case
    intervention: Intervention
    referral: ReferralView | None
    plan: TherapyPlan | None
    draft: TherapyPlan | None
    plans: list[TherapyPlan]
    reviews: list[PlanReview]
    sessions: list[SessionRow]
    concerns: list[SessionConcern]
    # Intervention-level clinical notes; None when withheld.
    clinical_notes: list[ClinicalNote] | None
    report: EndOfServiceReport | None
    ratings: list[RatingView]
    can_deliver: bool
    may_see_clinical: bool
    user_id: int
    tag_counts: dict[str, int] = field(default_factory=dict)

    @property
    def delivered(self) -> int:
        return self.tag_counts.get(SessionTag.COMPLETED, 0)

    @property
    def progress_counts(self) -> list[tuple[str, int]]:
        """(label, sessions) for the progress summary, rescheduled counted as scheduled."""
        counts = dict(self.tag_counts)
        counts[SessionTag.SCHEDULED] = counts.get(SessionTag.SCHEDULED, 0) + counts.pop(SessionTag.RESCHEDULED, 0)
        order = [
            SessionTag.COMPLETED,
            SessionTag.DID_NOT_ATTEND,
            SessionTag.DID_NOT_HAPPEN,
            SessionTag.NEEDS_FEEDBACK,
            SessionTag.SCHEDULED,
            SessionTag.NOT_SCHEDULED,
        ]
        return [(tag.label, counts.get(tag, 0)) for tag in order]

    @property
    def review_overdue(self) -> bool:
        return bool(self.plan and self.plan.review_on and self.plan.review_on < timezone.localdate())

    @property
    def has_feedback(self) -> bool:
        return any(a.appointment.feedback_at is not None for s in self.sessions for a in s.appointments)

    @property
    def planned(self) -> int:
        return self.plan.planned_sessions if self.plan else 0

    @property
    def allowed_endings(self) -> list[Ending]:
        return list(rules.allowed_endings(delivered=self.delivered, planned=self.planned))

    @property
    def awaiting_feedback(self) -> list[SessionRow]:
        return [s for s in self.sessions if s.needs_feedback]

    @property
    def open_concerns(self) -> list[SessionConcern]:
        return [c for c in self.concerns if c.acknowledged_at is None]

    @property
    def can_edit(self) -> bool:
        return self.can_deliver and self.intervention.is_open

    @property
    def next_appointment(self) -> Appointment | None:
        now = timezone.now()
        upcoming = [
            a.appointment
            for s in self.sessions
            for a in s.appointments
            if a.appointment.is_open and a.appointment.starts_at > now
        ]
        return min(upcoming, key=lambda a: a.starts_at) if upcoming else None


def _session_rows(intervention: Intervention, *, may_see_clinical: bool, number: int | None = None) -> list[SessionRow]:
    """Sessions with their appointments and tags; clinical notes only for those who may see them."""
    appointments = Appointment.objects.select_related(
        "concern__raised_by",
        "concern__recipient",
        "concern__notification",
        "concern__acknowledged_by",
        "booked_by",
        "feedback_by",
    ).order_by("starts_at", "id")
    if may_see_clinical:
        appointments = appointments.prefetch_related(
            Prefetch("clinical_notes", queryset=ClinicalNote.objects.select_related("author").order_by("created_at"))
        )
    sessions = TherapySession.objects.filter(intervention=intervention)
    if number is not None:
        sessions = sessions.filter(number=number)
    now = timezone.now()
    rows: list[SessionRow] = []
    for session in sessions.prefetch_related(Prefetch("appointments", queryset=appointments)).order_by("number"):
        session.intervention = intervention
        session_appointments = list(session.appointments.all())
        views = [
            AppointmentView(
                appointment=a,
                tag=rules.appointment_tag(a, now=now),
                clinical_notes=list(a.clinical_notes.all()) if may_see_clinical else None,
                concern=getattr(a, "concern", None),
            )
            for a in session_appointments
        ]
        rows.append(
            SessionRow(session=session, tag=rules.session_tag(session_appointments, now=now), appointments=views)
        )
    return rows


def _direct_detail(user: User, intervention: Intervention, *, clinical_notes: bool) -> DirectInterventionDetail:
    """Plan, every session with its status tag and appointments, concerns, ending.
    ``intervention`` comes from intervention_get_for_user (its case is in scope). Clinical
    notes are fetched only when asked for and the agreement lets the user read them."""
    if not intervention.is_direct:
        raise Http404
    may_see_clinical = permissions.may_see_clinical(user)
    with_notes = clinical_notes and may_see_clinical
    rows = _session_rows(intervention, may_see_clinical=with_notes)
    plans = list(
        TherapyPlan.objects.filter(intervention=intervention)
        .select_related("created_by", "approved_by")
        .order_by("-version")
    )
    plan = next((p for p in plans if p.status == PlanStatus.APPROVED), None)
    draft = next((p for p in plans if p.status == PlanStatus.DRAFT), None)
    referral = (
        InterventionReferral.objects.filter(intervention=intervention)
        .select_related("referred_by", "referring_agency", "health_agency", "probation_practitioner", "decided_by")
        .first()
    )
    concerns = [v.concern for row in rows for v in row.appointments if v.concern is not None]
    _mark_acknowledgeable(user, concerns)
    report = (
        EndOfServiceReport.objects.filter(intervention=intervention)
        .select_related("written_by")
        .prefetch_related("ratings")
        .first()
    )
    general_notes = None
    if with_notes:
        general_notes = list(
            ClinicalNote.objects.filter(intervention=intervention, appointment__isnull=True)
            .select_related("author")
            .order_by("-created_at")
        )
    return DirectInterventionDetail(
        case=intervention.case,
        intervention=intervention,
        referral=referral_view(user, referral) if referral else None,
        plan=plan,
        draft=draft,
        plans=plans,
        reviews=list(PlanReview.objects.filter(plan__intervention=intervention).select_related("reviewed_by")),
        sessions=rows,
        concerns=sorted(concerns, key=lambda c: c.created_at, reverse=True),
        clinical_notes=general_notes,
        report=report,
        ratings=[
            RatingView(outcome=r.outcome, rating=r.rating, rating_label=r.get_rating_display(), comments=r.comments)
            for r in (report.ratings.all() if report else [])
        ],
        can_deliver=permissions.can_deliver(user, intervention),
        may_see_clinical=may_see_clinical,
        user_id=user.pk,
        tag_counts=dict(Counter(row.tag.value for row in rows)),
    )


def _clinical_note_ids(detail: DirectInterventionDetail) -> list[int]:
    ids = [n.pk for n in detail.clinical_notes or []]
    return ids + [n.pk for s in detail.sessions for a in s.appointments for n in a.clinical_notes or []]


@dataclass
class InterventionDetail:
    """One intervention as a page or the API shows it; ``progress`` for a direct intervention."""

    row: InterventionRow
    progress: DirectInterventionDetail | None

    @property
    def intervention(self) -> Intervention:
        return self.row.intervention


def intervention_detail_for_user(
    *,
    user: User,
    intervention_id: int,
    case_id: int | None = None,
    clinical_notes: bool = True,
    purpose: str = "",
) -> InterventionDetail:
    """One intervention, and for a direct one its plan, sessions and progress: the progress page,
    the ending and plan forms, and ``GET /api/v1/interventions/{id}/``.

    ``clinical_notes``: whether the answer carries them (the progress page, for those the
    agreement lets read them). Reading clinical notes is a row of its own in the access log,
    so it shows who read clinical material.
    """
    intervention = intervention_get_for_user(user=user, intervention_id=intervention_id, case_id=case_id)
    progress = _direct_detail(user, intervention, clinical_notes=clinical_notes) if intervention.is_direct else None
    _log(user, "interventions.intervention", [intervention.pk], purpose)
    if progress is not None:
        _log(user, "interventions.clinical_note", _clinical_note_ids(progress))
    return InterventionDetail(row=intervention_row(user, intervention), progress=progress)


def intervention_detail_after_write(*, user: User, intervention: Intervention) -> InterventionDetail:
    """The answer to a write on an intervention (accept, end): the service has logged the change,
    and the answer carries no clinical notes, so no look of its own is logged."""
    progress = _direct_detail(user, intervention, clinical_notes=False) if intervention.is_direct else None
    return InterventionDetail(row=intervention_row(user, intervention), progress=progress)


@dataclass
class SessionPage:
    row: SessionRow
    may_see_clinical: bool


def session_detail_for_user(*, user: User, case_id: int, intervention_id: int, number: int) -> SessionPage:
    """One session of a direct intervention with every appointment it has had."""
    intervention = intervention_get_for_user(user=user, case_id=case_id, intervention_id=intervention_id)
    if not intervention.is_direct:
        raise Http404
    may_see_clinical = permissions.may_see_clinical(user)
    rows = _session_rows(intervention, may_see_clinical=may_see_clinical, number=number)
    if not rows:
        raise Http404
    row = rows[0]
    _log(user, "interventions.intervention", [intervention.pk], f"session {number}")
    _log(user, "interventions.clinical_note", [n.pk for a in row.appointments for n in a.clinical_notes or []])
    return SessionPage(row=row, may_see_clinical=may_see_clinical)


def clinical_notes_for_user(*, user: User, intervention_id: int) -> list[ClinicalNote]:
    """Every clinical note of an intervention; 404 outside the case, and for anyone the
    agreement does not let see them."""
    intervention = intervention_get_for_user(user=user, intervention_id=intervention_id)
    if not permissions.may_see_clinical(user):
        raise Http404
    notes = list(
        ClinicalNote.objects.filter(intervention=intervention)
        .select_related("author", "appointment__session")
        .order_by("-created_at", "-id")
    )
    _log(user, "interventions.clinical_note", [n.pk for n in notes])
    return notes


@dataclass
class ClinicalNotesRead:
    shown: list[ClinicalNote]
    kept: int


def clinical_notes_of_cases(*, user: User, case_ids: Iterable[int]) -> ClinicalNotesRead:
    """The clinical notes of some cases' interventions, by ``clinical_notes_for_user``'s rule:
    on cases the user may open, and only for an agency the agreement lets see clinical
    records (the rest counted in ``kept``). Logs nothing: for a caller that logs its own
    disclosure once."""
    notes = ClinicalNote.objects.filter(
        intervention__case_id__in=cases_viewable_by(user=user).filter(pk__in=set(case_ids)).values("pk")
    )
    if not permissions.may_see_clinical(user):
        return ClinicalNotesRead(shown=[], kept=notes.count())
    return ClinicalNotesRead(
        shown=list(notes.select_related("intervention", "author__agency").order_by("created_at", "id")), kept=0
    )


# --- the user's own list: the Interventions page ---------------------------------------------------------


@dataclass
class Inbox:
    referrals_to_decide: list[InterventionReferral]
    feedback_due: list[Appointment]
    upcoming: list[Appointment]
    concerns_for_me: list[SessionConcern]
    my_referrals: list[InterventionReferral]

    @property
    def case_ids(self) -> list[int]:
        ids = [r.case_id for r in self.referrals_to_decide + self.my_referrals]
        ids += [a.session.intervention.case_id for a in self.feedback_due + self.upcoming]
        ids += [c.intervention.case_id for c in self.concerns_for_me]
        return list(dict.fromkeys(ids))


INBOX_LIMIT = 50


# What is waiting for a user, one definition each: the inbox lists them and the home page's
# work lines (interventions/worklist.py) count them. ``visible``: the ids of the cases the
# user may see (``case_queryset_for_user(...).values("pk")``).
def referrals_to_decide(user: Any, visible: QuerySet[Any]) -> QuerySet[InterventionReferral]:
    """Treatment referrals to the clinician's health agency waiting for a decision."""
    return InterventionReferral.objects.filter(
        health_agency_id=user.agency_id, status=ReferralStatus.SUBMITTED, case_id__in=visible
    )


def open_appointments(user: Any, visible: QuerySet[Any]) -> QuerySet[Appointment]:
    """Appointments of the clinician's agency's open interventions not yet fed back, moved or
    cancelled: due for feedback once they have started, upcoming before."""
    return Appointment.objects.filter(
        session__intervention__agency_id=user.agency_id,
        session__intervention__status__in=OPEN_STATUSES,
        session__intervention__case_id__in=visible,
        feedback_at__isnull=True,
        rescheduled_at__isnull=True,
        cancelled_at__isnull=True,
    )


def feedback_due(user: Any, visible: QuerySet[Any], *, now: dt.datetime) -> QuerySet[Appointment]:
    return open_appointments(user, visible).filter(starts_at__lte=now)


def concerns_for(user: Any, visible: QuerySet[Any]) -> QuerySet[SessionConcern]:
    """Concerns raised to the user and not yet acknowledged."""
    return SessionConcern.objects.filter(
        recipient=user, acknowledged_at__isnull=True, intervention__case_id__in=visible
    )


def interventions_inbox_for_user(*, user: User) -> Inbox:
    """What is waiting for this user: referrals to decide and sessions to feed back (health);
    concerns to read and referrals made (probation and police). Only cases they can see."""
    visible = case_queryset_for_user(user=user).values("pk")
    empty = Inbox([], [], [], [], [])
    if not permissions.is_health_clinician(user) and not permissions.can_refer(user):
        return empty
    inbox = empty
    now = timezone.now()
    if permissions.is_health_clinician(user):
        inbox.referrals_to_decide = list(
            referrals_to_decide(user, visible)
            .select_related("case", "referring_agency")
            .order_by("referred_on", "id")[:INBOX_LIMIT]
        )
        inbox.feedback_due = list(
            feedback_due(user, visible, now=now)
            .select_related("session__intervention__case")
            .order_by("starts_at")[:INBOX_LIMIT]
        )
        inbox.upcoming = list(
            open_appointments(user, visible)
            .filter(starts_at__gt=now, starts_at__lte=now + dt.timedelta(days=14))
            .select_related("session__intervention__case")
            .order_by("starts_at")[:INBOX_LIMIT]
        )
    if permissions.can_refer(user):
        inbox.concerns_for_me = list(
            concerns_for(user, visible)
            .select_related("intervention__case", "raised_by", "recipient", "notification", "appointment__session")
            .order_by("-created_at")[:INBOX_LIMIT]
        )
        _mark_acknowledgeable(user, inbox.concerns_for_me)
        inbox.my_referrals = list(
            InterventionReferral.objects.filter(
                Q(referred_by=user) | Q(probation_practitioner=user), case_id__in=visible
            )
            .select_related("case", "health_agency", "intervention")
            .order_by("-referred_on", "-id")[:INBOX_LIMIT]
        )
    _log(user, "cases.case", inbox.case_ids, "interventions inbox")
    return inbox


# --- the case overview's card ---------------------------------------------------------------------------------


def case_card_for_user(user: User, case: Case) -> dict[str, Any] | None:
    """The interventions card on the case overview (cases.extensions): one query.

    ``case`` has already passed case_get_for_user on that page.
    """
    now = timezone.now()
    open_appointment = Q(
        sessions__appointments__feedback_at__isnull=True,
        sessions__appointments__rescheduled_at__isnull=True,
        sessions__appointments__cancelled_at__isnull=True,
    )
    interventions = list(
        Intervention.objects.filter(case=case)
        .annotate(
            next_session=Min(
                "sessions__appointments__starts_at",
                filter=open_appointment & Q(sessions__appointments__starts_at__gt=now),
            ),
            feedback_due=Count(
                "sessions__appointments", filter=open_appointment & Q(sessions__appointments__starts_at__lte=now)
            ),
            has_open_concern=Exists(
                SessionConcern.objects.filter(intervention=OuterRef("pk"), acknowledged_at__isnull=True)
            ),
        )
        .select_related("agency")
        .order_by("-created_at", "-id")
    )
    awaiting = InterventionReferral.objects.filter(case=case, status=ReferralStatus.SUBMITTED).exists()
    if not interventions and not awaiting and not permissions.can_refer(user):
        return None
    direct = next((i for i in interventions if i.is_direct), None)
    return {
        "case": case,
        "direct": direct,
        "next_session": getattr(direct, "next_session", None) if direct else None,
        "feedback_due": getattr(direct, "feedback_due", 0) if direct else 0,
        "has_open_concern": any(getattr(i, "has_open_concern", False) for i in interventions),
        "awaiting_referral": awaiting,
        "others": [i for i in interventions if not i.is_direct],
        "can_refer": permissions.can_refer(user),
    }


# --- reads for the system ---------------------------------------------------------------------------------------


def intervention_due_dates(case_ids: Sequence[int]) -> dict[int, dt.date]:
    """The case due-date source (cases.extensions.register_due_source): for each case with an
    open direct intervention, the earliest of its sessions still to be fed back (due on the
    session's date) and its approved plan's review date."""
    due: dict[int, dt.date] = {}

    def offer(case_id: int, day: dt.date) -> None:
        if case_id not in due or day < due[case_id]:
            due[case_id] = day

    open_direct = Q(type=DIRECT, status__in=OPEN_STATUSES, case_id__in=list(case_ids))
    for case_id, starts_at in (
        Appointment.objects.filter(
            feedback_at__isnull=True,
            rescheduled_at__isnull=True,
            cancelled_at__isnull=True,
            session__intervention__in=Intervention.objects.filter(open_direct),
        )
        .values("session__intervention__case_id")
        .annotate(first=Min("starts_at"))
        .values_list("session__intervention__case_id", "first")
    ):
        offer(case_id, timezone.localtime(starts_at).date())
    for case_id, review_on in (
        TherapyPlan.objects.filter(
            status=PlanStatus.APPROVED,
            review_on__isnull=False,
            intervention__in=Intervention.objects.filter(open_direct),
        )
        .values("intervention__case_id")
        .annotate(first=Min("review_on"))
        .values_list("intervention__case_id", "first")
    ):
        offer(case_id, review_on)
    return due


@dataclass(frozen=True)
class InterventionEnding:
    intervention_id: int
    ended_on: dt.date
    ending: str
    status: str
    sessions_attended: int


def direct_intervention_endings(
    case_ids: Iterable[int], *, completed_only: bool = False
) -> dict[int, InterventionEnding]:
    """For each case, how its latest direct intervention that had started ended.

    "Started" means at least one session was delivered: a cancelled intervention never
    started and has no end to monitor from. ``completed_only`` keeps completed ones only.
    """
    endings = (Ending.COMPLETED,) if completed_only else ENDINGS_AFTER_START
    found: dict[int, InterventionEnding] = {}
    rows = (
        Intervention.objects.filter(case_id__in=list(case_ids), type=DIRECT, ending__in=endings, ended_on__isnull=False)
        .order_by("case_id", "-ended_on", "-id")
        .values_list("case_id", "pk", "ended_on", "ending", "status", "sessions_attended")
    )
    for case_id, pk, ended_on, ending, status, attended in rows:
        if case_id not in found and ended_on is not None:
            found[case_id] = InterventionEnding(pk, ended_on, ending, status, attended or 0)
    return found


def direct_intervention_end_dates(case_ids: Iterable[int], *, completed_only: bool = False) -> dict[int, dt.date]:
    """case id -> the date its direct intervention ended, which post-intervention monitoring
    starts from (DOMAIN.md: re-offending is best measured from the end of the health
    intervention). Cases with none are absent. See ``direct_intervention_endings``."""
    return {
        case_id: ending.ended_on
        for case_id, ending in direct_intervention_endings(case_ids, completed_only=completed_only).items()
    }


def interventions_for_export(*, partnership_id: int) -> QuerySet[Intervention]:
    """The rows of the bundle's interventions.csv, as columns:
    ``case__referral__ref`` (referral_ref), ``type``, ``started_on``, ``ended_on``, ``status``,
    ``sessions_planned``, ``sessions_attended`` (null except for direct interventions),
    plus ``ending`` (the finer ending, an optional column)."""
    return (
        Intervention.objects.filter(case__partnership_id=partnership_id)
        .select_related("case__referral", "agency")
        .order_by("case__referral__ref", "type", "started_on", "id")
    )
