"""Interventions: every kind the partnership delivers, and the direct psychological
intervention for a perpetrator in full (referral, therapy plan, sessions, attendance,
clinical notes, concerns, ending and end-of-service report).

Types, statuses and counts follow the partnership data bundle's ``interventions.csv``
(../shared/specs/partnership-import.md) so that exports and the evaluation read these
tables without any mapping: ``Intervention.type``, ``status``, ``started_on``,
``ended_on``, ``sessions_planned`` and ``sessions_attended`` are plain columns.
"""

from __future__ import annotations

import datetime as dt

import pghistory
from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import F, Q

# --- enumerations -----------------------------------------------------------------------------


class InterventionType(models.TextChoices):
    COMPREHENSIVE_RISK_ASSESSMENT = "comprehensive_risk_assessment", "Comprehensive risk assessment"
    PERPETRATOR_DIRECT_INTERVENTION = "perpetrator_direct_intervention", "Direct psychological intervention"
    PERPETRATOR_HEALTH_SIGNPOSTING = "perpetrator_health_signposting", "Health signposting"
    PERPETRATOR_THIRD_PARTY_CONSULTATION = (
        "perpetrator_third_party_consultation",
        "Third-party consultation (perpetrator)",
    )
    VICTIM_DIRECT_INTERVENTION = "victim_direct_intervention", "Direct support (victim)"
    VICTIM_TARGET_HARDENING = "victim_target_hardening", "Target hardening (victim)"
    VICTIM_THIRD_PARTY_CONSULTATION = "victim_third_party_consultation", "Third-party consultation (victim)"
    VICTIM_SAFEGUARDING = "victim_safeguarding", "Safeguarding (victim)"


PERPETRATOR_TYPES = frozenset(
    {
        InterventionType.COMPREHENSIVE_RISK_ASSESSMENT,
        InterventionType.PERPETRATOR_DIRECT_INTERVENTION,
        InterventionType.PERPETRATOR_HEALTH_SIGNPOSTING,
        InterventionType.PERPETRATOR_THIRD_PARTY_CONSULTATION,
    }
)
DIRECT = InterventionType.PERPETRATOR_DIRECT_INTERVENTION


class InterventionStatus(models.TextChoices):
    """The bundle's statuses."""

    PLANNED = "planned", "Planned"
    ONGOING = "ongoing", "Ongoing"
    COMPLETED = "completed", "Completed"
    DROPPED_OUT = "dropped_out", "Dropped out"
    CANCELLED = "cancelled", "Cancelled"


OPEN_STATUSES = (InterventionStatus.PLANNED, InterventionStatus.ONGOING)
CLOSED_STATUSES = (InterventionStatus.COMPLETED, InterventionStatus.DROPPED_OUT, InterventionStatus.CANCELLED)


class Ending(models.TextChoices):
    """How an intervention ended (interventions.rules decides which are allowed)."""

    COMPLETED = "completed", "Completed"
    ENDED_EARLY = "ended_early", "Ended early"
    CANCELLED = "cancelled", "Cancelled"
    DROPPED_OUT = "dropped_out", "Dropped out"


# An intervention that ended in one of these had started (a session was delivered): its end
# is one to monitor re-offending from. A cancelled one never started. Rows imported with a
# status but no ending count as started when their status says so.
ENDINGS_AFTER_START = (Ending.COMPLETED, Ending.ENDED_EARLY, Ending.DROPPED_OUT)
STATUSES_AFTER_START = (InterventionStatus.COMPLETED, InterventionStatus.DROPPED_OUT)


class ReferralStatus(models.TextChoices):
    SUBMITTED = "submitted", "Awaiting decision"
    ACCEPTED = "accepted", "Accepted"
    DECLINED = "declined", "Declined"
    WITHDRAWN = "withdrawn", "Withdrawn"


class Modality(models.TextChoices):
    CBT = "cbt", "Cognitive behavioural therapy (CBT)"
    DBT_ELEMENTS = "dbt_elements", "Dialectical behaviour therapy (DBT) elements"
    INTERPERSONAL = "interpersonal", "Interpersonal therapy"
    EMOTION_FOCUSED = "emotion_focused", "Emotion-focused therapy"
    OCCUPATIONAL_THERAPY = "occupational_therapy", "Occupational therapy"
    OTHER = "other", "Other"


class Frequency(models.TextChoices):
    WEEKLY = "weekly", "Weekly"
    FORTNIGHTLY = "fortnightly", "Fortnightly"


FREQUENCY_DAYS = {Frequency.WEEKLY: 7, Frequency.FORTNIGHTLY: 14}


class CriminogenicNeed(models.TextChoices):
    HOUSING = "housing", "Housing"
    EMPLOYMENT = "employment", "Employment"
    SUBSTANCE_USE = "substance_use", "Substance use"
    MENTAL_HEALTH = "mental_health", "Mental health"
    RELATIONSHIPS = "relationships", "Relationships"


class PlanStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    APPROVED = "approved", "Approved"
    SUPERSEDED = "superseded", "Superseded"


class Method(models.TextChoices):
    IN_PERSON = "in_person", "In person"
    VIDEO = "video", "Video call"
    PHONE = "phone", "Phone call"


class Attendance(models.TextChoices):
    ATTENDED = "attended", "Attended"
    LATE = "late", "Attended late"
    DID_NOT_ATTEND = "did_not_attend", "Did not attend"


class NotHappenedReason(models.TextChoices):
    ACCEPTABLE = "acceptable", "Acceptable absence"
    UNACCEPTABLE = "unacceptable", "Unacceptable absence"
    LOGISTICS = "logistics", "Logistics"


class Rating(models.TextChoices):
    ACHIEVED = "achieved", "Achieved"
    PARTLY = "partly", "Partly achieved"
    NOT_ACHIEVED = "not_achieved", "Not achieved"


MAX_PLANNED_SESSIONS = 52
DEFAULT_PLANNED_SESSIONS = 12


# --- interventions --------------------------------------------------------------------------------


@pghistory.track()
class Intervention(models.Model):
    """One intervention of one case: what, by which agency, when, and how it ended."""

    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="interventions")
    type = models.CharField(max_length=40, choices=InterventionType.choices)
    agency = models.ForeignKey("agencies.Agency", on_delete=models.PROTECT, related_name="interventions")
    status = models.CharField(max_length=20, choices=InterventionStatus.choices, default=InterventionStatus.PLANNED)
    started_on = models.DateField(null=True, blank=True)
    ended_on = models.DateField(null=True, blank=True)
    ending = models.CharField(max_length=20, choices=Ending.choices, blank=True)
    ended_by_agreement = models.BooleanField(default=False)
    ending_reason = models.TextField(blank=True)
    # Direct interventions: kept by the services from the approved plan and the sessions
    # that happened; imported records carry the bundle's numbers.
    sessions_planned = models.PositiveSmallIntegerField(null=True, blank=True)
    sessions_attended = models.PositiveSmallIntegerField(null=True, blank=True)
    # What was done, for the types without a workflow of their own. Its record class
    # depends on the type (interventions.permissions.DETAILS_CLASS).
    details = models.TextField(blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["case", "type"], name="intervention_case_type"),
            models.Index(fields=["type", "status", "ended_on"], name="intervention_type_status"),
            models.Index(fields=["agency", "status"], name="intervention_agency_status"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(ended_on__isnull=True) | Q(started_on__isnull=True) | Q(ended_on__gte=F("started_on")),
                name="intervention_ends_after_start",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=OPEN_STATUSES) | (Q(ended_on__isnull=True) & Q(ending="")),
                name="intervention_open_has_no_end",
            ),
            models.CheckConstraint(
                condition=Q(ending="") | Q(status__in=CLOSED_STATUSES), name="intervention_ending_is_closed"
            ),
            models.CheckConstraint(
                condition=Q(sessions_attended__isnull=True)
                | Q(sessions_planned__isnull=True)
                | Q(sessions_attended__lte=F("sessions_planned")),
                name="intervention_attended_within_planned",
            ),
            # One open direct intervention per case: a second referral waits for the first to end.
            models.UniqueConstraint(
                fields=["case"],
                condition=Q(type=DIRECT) & Q(status__in=OPEN_STATUSES),
                name="intervention_one_open_direct_per_case",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_type_display()} on case {self.case_id}"

    @property
    def is_direct(self) -> bool:
        return self.type == DIRECT

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


@pghistory.track()
class InterventionReferral(models.Model):
    """A referral for direct intervention from probation or police to the health agency."""

    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="intervention_referrals")
    # Set when health accepts: the intervention the referral became.
    intervention = models.OneToOneField(
        Intervention, on_delete=models.PROTECT, null=True, blank=True, related_name="referral"
    )
    referred_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    referring_agency = models.ForeignKey("agencies.Agency", on_delete=models.PROTECT, related_name="+")
    referred_on = models.DateField()
    health_agency = models.ForeignKey(
        "agencies.Agency", on_delete=models.PROTECT, related_name="intervention_referrals_received"
    )
    # Told at once of behaviour or concerns raised in sessions. Empty: the referrer is.
    probation_practitioner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # The perpetrator's risk as the referrer knows it: class criminal_history.
    risk_information = models.TextField()
    desired_outcomes = ArrayField(models.CharField(max_length=300), default=list)
    accessibility_needs = models.TextField(blank=True)
    interpreter_required = models.BooleanField(default=False)
    interpreter_language = models.CharField(max_length=100, blank=True)
    additional_information = models.TextField(blank=True)
    status = models.CharField(max_length=20, choices=ReferralStatus.choices, default=ReferralStatus.SUBMITTED)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_on = models.DateField(null=True, blank=True)
    decision_reason = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-referred_on", "-id"]
        indexes = [
            models.Index(fields=["health_agency", "status", "referred_on"], name="int_referral_inbox"),
            models.Index(fields=["case", "-referred_on"], name="int_referral_case"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["case"],
                condition=Q(status=ReferralStatus.SUBMITTED),
                name="int_referral_one_awaiting_per_case",
            ),
            models.CheckConstraint(
                condition=Q(status=ReferralStatus.SUBMITTED) | Q(decided_on__isnull=False),
                name="int_referral_decision_has_date",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=[ReferralStatus.DECLINED, ReferralStatus.WITHDRAWN]) | ~Q(decision_reason=""),
                name="int_referral_refusal_has_reason",
            ),
            models.CheckConstraint(
                condition=Q(status=ReferralStatus.ACCEPTED) | Q(intervention__isnull=True),
                name="int_referral_intervention_when_accepted",
            ),
            models.CheckConstraint(
                condition=~Q(interpreter_required=True) | ~Q(interpreter_language=""),
                name="int_referral_interpreter_language",
            ),
        ]

    def __str__(self) -> str:
        return f"Referral for direct intervention on case {self.case_id}"


# --- therapy plans -------------------------------------------------------------------------------


@pghistory.track()
class TherapyPlan(models.Model):
    """One version of the plan. Approving it creates the planned sessions; a revision is a new version."""

    intervention = models.ForeignKey(Intervention, on_delete=models.PROTECT, related_name="plans")
    version = models.PositiveSmallIntegerField()
    status = models.CharField(max_length=20, choices=PlanStatus.choices, default=PlanStatus.DRAFT)
    modalities = ArrayField(models.CharField(max_length=30, choices=Modality.choices), default=list)
    other_modality = models.CharField(max_length=200, blank=True)
    planned_sessions = models.PositiveSmallIntegerField(default=DEFAULT_PLANNED_SESSIONS)
    frequency = models.CharField(max_length=20, choices=Frequency.choices, default=Frequency.WEEKLY)
    desired_outcomes = ArrayField(models.CharField(max_length=300), default=list)
    criminogenic_needs = ArrayField(
        models.CharField(max_length=30, choices=CriminogenicNeed.choices), default=list, blank=True
    )
    review_on = models.DateField(null=True, blank=True)
    # Why this version replaces the previous one (required from version 2).
    change_reason = models.TextField(blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["intervention", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["intervention", "version"], name="therapy_plan_unique_version"),
            models.UniqueConstraint(
                fields=["intervention"], condition=Q(status=PlanStatus.APPROVED), name="therapy_plan_one_approved"
            ),
            models.UniqueConstraint(
                fields=["intervention"], condition=Q(status=PlanStatus.DRAFT), name="therapy_plan_one_draft"
            ),
            models.CheckConstraint(
                condition=Q(planned_sessions__gte=1, planned_sessions__lte=MAX_PLANNED_SESSIONS),
                name="therapy_plan_sessions_range",
            ),
            models.CheckConstraint(
                condition=Q(version=1) | ~Q(change_reason=""), name="therapy_plan_revision_has_reason"
            ),
            models.CheckConstraint(
                condition=Q(status=PlanStatus.DRAFT) | Q(approved_at__isnull=False),
                name="therapy_plan_approved_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"Therapy plan v{self.version} of intervention {self.intervention_id}"


@pghistory.track()
class PlanReview(models.Model):
    """A review of the approved plan: what was decided and when the next one is due."""

    plan = models.ForeignKey(TherapyPlan, on_delete=models.PROTECT, related_name="reviews")
    reviewed_on = models.DateField()
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    summary = models.TextField()
    next_review_on = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-reviewed_on", "-id"]

    def __str__(self) -> str:
        return f"Review of plan {self.plan_id} on {self.reviewed_on}"


# --- sessions and appointments --------------------------------------------------------------------


@pghistory.track()
class TherapySession(models.Model):
    """One of the plan's sessions (number 1..N). Its state comes from its appointments."""

    intervention = models.ForeignKey(Intervention, on_delete=models.PROTECT, related_name="sessions")
    number = models.PositiveSmallIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["intervention", "number"]
        constraints = [
            models.UniqueConstraint(fields=["intervention", "number"], name="therapy_session_unique_number"),
            models.CheckConstraint(condition=Q(number__gte=1), name="therapy_session_number_positive"),
        ]

    def __str__(self) -> str:
        return f"Session {self.number} of intervention {self.intervention_id}"


@pghistory.track()
class Appointment(models.Model):
    """A booked time for a session, and afterwards what happened.

    Rescheduling keeps this row (``rescheduled_at`` and the reason) and books a new one
    that ``replaces`` it. Feedback is recorded once, only after ``starts_at``. Clinical
    notes are kept apart, in ``ClinicalNote``, so nothing that reads appointments can
    carry them by accident.
    """

    session = models.ForeignKey(TherapySession, on_delete=models.PROTECT, related_name="appointments")
    starts_at = models.DateTimeField()
    duration_minutes = models.PositiveSmallIntegerField(default=60)
    method = models.CharField(max_length=20, choices=Method.choices)
    booked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    replaces = models.OneToOneField("self", on_delete=models.PROTECT, null=True, blank=True, related_name="replaced_by")
    rescheduled_at = models.DateTimeField(null=True, blank=True)
    reschedule_reason = models.TextField(blank=True)
    # Set when the appointment is cancelled on its own (with the reason) or when the
    # intervention ended with it still in the diary (no reason: the ending says why).
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancel_reason = models.TextField(blank=True)
    # Feedback.
    feedback_at = models.DateTimeField(null=True, blank=True)
    feedback_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    attendance = models.CharField(max_length=20, choices=Attendance.choices, blank=True)
    happened = models.BooleanField(null=True, blank=True)
    not_happened_reason = models.CharField(max_length=20, choices=NotHappenedReason.choices, blank=True)
    # Shared with probation and every agency on the case: never clinical detail.
    summary = models.TextField(blank=True)
    concerns_raised = models.BooleanField(default=False)

    class Meta:
        ordering = ["session", "starts_at", "id"]
        indexes = [
            models.Index(
                fields=["starts_at"],
                condition=Q(feedback_at__isnull=True, rescheduled_at__isnull=True, cancelled_at__isnull=True),
                name="appointment_awaiting_feedback",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(duration_minutes__gte=5, duration_minutes__lte=480), name="appointment_duration_range"
            ),
            # Feedback is all there or all absent.
            models.CheckConstraint(
                condition=(Q(feedback_at__isnull=True) & Q(attendance="") & Q(happened__isnull=True))
                | (Q(feedback_at__isnull=False) & ~Q(attendance="") & Q(happened__isnull=False)),
                name="appointment_feedback_complete",
            ),
            models.CheckConstraint(
                condition=Q(happened=False, not_happened_reason__gt="")
                | Q(happened=True, not_happened_reason="", attendance__in=[Attendance.ATTENDED, Attendance.LATE])
                | Q(happened__isnull=True, not_happened_reason=""),
                name="appointment_reason_when_not_happened",
            ),
            models.CheckConstraint(
                condition=~Q(attendance=Attendance.DID_NOT_ATTEND)
                | Q(
                    happened=False,
                    not_happened_reason__in=[NotHappenedReason.ACCEPTABLE, NotHappenedReason.UNACCEPTABLE],
                ),
                name="appointment_dna_did_not_happen",
            ),
            models.CheckConstraint(
                condition=Q(rescheduled_at__isnull=True) | (Q(feedback_at__isnull=True) & ~Q(reschedule_reason="")),
                name="appointment_rescheduled_has_reason",
            ),
            # At most one appointment of a session is still to be held or fed back.
            models.UniqueConstraint(
                fields=["session"],
                condition=Q(feedback_at__isnull=True, rescheduled_at__isnull=True, cancelled_at__isnull=True),
                name="appointment_one_open_per_session",
            ),
            # A session is delivered once.
            models.UniqueConstraint(
                fields=["session"], condition=Q(happened=True), name="appointment_one_delivery_per_session"
            ),
        ]

    def __str__(self) -> str:
        return f"Appointment for session {self.session_id}"

    @property
    def ends_at(self) -> dt.datetime:
        return self.starts_at + dt.timedelta(minutes=self.duration_minutes)

    @property
    def is_open(self) -> bool:
        """Still to be held or fed back."""
        return self.feedback_at is None and self.rescheduled_at is None and self.cancelled_at is None


@pghistory.track()
class ClinicalNote(models.Model):
    """Record class ``clinical``: seen only by agencies the sharing agreement allows (health)."""

    intervention = models.ForeignKey(Intervention, on_delete=models.PROTECT, related_name="clinical_notes")
    appointment = models.ForeignKey(
        Appointment, on_delete=models.PROTECT, null=True, blank=True, related_name="clinical_notes"
    )
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    text = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["intervention", "-created_at"], name="clinical_note_intervention")]

    def __str__(self) -> str:
        return f"Clinical note on intervention {self.intervention_id}"


@pghistory.track()
class SessionConcern(models.Model):
    """Behaviour or a concern raised at a session, for the probation practitioner.

    Listed for the recipient until acknowledged. The alert (inbox and its one e-mail) is the
    ``notification``: the project's notifications app sends it, and its ``emailed_at`` says
    when the e-mail went.
    """

    appointment = models.OneToOneField(Appointment, on_delete=models.PROTECT, related_name="concern")
    intervention = models.ForeignKey(Intervention, on_delete=models.PROTECT, related_name="concerns")
    raised_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    # Shared with probation: behaviour and risk, never clinical detail.
    description = models.TextField()
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # The recipient's alert; empty when there was nobody to tell.
    notification = models.OneToOneField(
        "notifications.Notification", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # The clinician judged the behaviour may put the victim at risk: her advocate is told too.
    victim_at_risk = models.BooleanField(default=False)
    # What was done about it, recorded by whoever acknowledges it.
    action_taken = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["recipient", "-created_at"],
                condition=Q(acknowledged_at__isnull=True),
                name="concern_unacknowledged",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(acknowledged_at__isnull=True) | Q(acknowledged_by__isnull=False),
                name="concern_acknowledged_by_someone",
            ),
        ]

    def __str__(self) -> str:
        return f"Concern raised on intervention {self.intervention_id}"


# --- ending ------------------------------------------------------------------------------------------


@pghistory.track()
class EndOfServiceReport(models.Model):
    """Written when a direct intervention ends after sessions were delivered."""

    intervention = models.OneToOneField(Intervention, on_delete=models.PROTECT, related_name="end_of_service_report")
    written_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    written_at = models.DateTimeField(auto_now_add=True)
    # Shared with probation: progress, and what should happen next.
    summary = models.TextField(blank=True)

    def __str__(self) -> str:
        return f"End-of-service report for intervention {self.intervention_id}"


@pghistory.track()
class OutcomeRating(models.Model):
    """How far one desired outcome of the plan was achieved."""

    report = models.ForeignKey(EndOfServiceReport, on_delete=models.CASCADE, related_name="ratings")
    position = models.PositiveSmallIntegerField()
    outcome = models.CharField(max_length=300)
    rating = models.CharField(max_length=20, choices=Rating.choices)
    comments = models.TextField(blank=True)

    class Meta:
        ordering = ["report", "position"]
        constraints = [
            models.UniqueConstraint(fields=["report", "position"], name="outcome_rating_unique_position"),
        ]

    def __str__(self) -> str:
        return f"{self.outcome}: {self.get_rating_display()}"
