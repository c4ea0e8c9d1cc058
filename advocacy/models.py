"""Victim advocacy: the single point of contact, the contact log, needs, safety plans,
key events the victim must be told of, and feedback at closure.

Everything here is about a victim, so everything here is a withheld class of record
(victim_identity with victim_location or safety_plan, see advocacy.permissions): it
must never reach the perpetrator side. Staff alerts go through the notifications app.
"""

from __future__ import annotations

import pghistory
from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from cases.models import ContactChannel

# --- enumerations ----------------------------------------------------------------------------------


class Direction(models.TextChoices):
    TO_VICTIM = "to_victim", "To the victim"
    FROM_VICTIM = "from_victim", "From the victim"


class ContactTopic(models.TextChoices):
    EMOTIONAL_SUPPORT = "emotional_support", "Emotional support"
    CRIMINAL_JUSTICE_UPDATE = "criminal_justice_update", "Criminal justice update"
    SAFETY_PLANNING = "safety_planning", "Safety planning"
    COURT_SUPPORT = "court_support", "Court support"
    HOUSING = "housing", "Housing"
    FINANCE = "finance", "Finance"
    CHILDREN = "children", "Children"
    HEALTH = "health", "Health"
    OTHER = "other", "Other"


class NeedsDomain(models.TextChoices):
    SAFETY = "safety", "Safety"
    HEALTH_WELLBEING = "health_wellbeing", "Health and wellbeing"
    HOUSING = "housing", "Housing"
    FINANCE = "finance", "Finance"
    CHILDREN = "children", "Children"
    JUSTICE = "justice", "Justice"
    WORK_EDUCATION = "work_education", "Work or education"
    SOCIAL_SUPPORT = "social_support", "Social support"


class NeedLevel(models.TextChoices):
    NONE = "none", "No need"
    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"


class MeasureKind(models.TextChoices):
    """The safety-plan catalogue."""

    ALARM = "alarm", "Alarm"
    CCTV = "cctv", "CCTV"
    LOCKS_TARGET_HARDENING = "locks_target_hardening", "Locks and target hardening"
    PROTECTIVE_ORDER = "protective_order", "Restraining order or SPO application"
    ROUTE_ROUTINE = "route_routine", "Route and routine changes"
    WORKPLACE_PLAN = "workplace_plan", "Workplace plan"
    TECHNOLOGY_SAFETY = "technology_safety", "Technology and social media safety"
    EVIDENCE_LOG = "evidence_log", "Evidence log"
    CHILDREN_SAFEGUARDING = "children_safeguarding", "Children safeguarding referral"
    RELOCATION = "relocation", "Relocation"


class MeasureStatus(models.TextChoices):
    PROPOSED = "proposed", "Proposed"
    IN_PLACE = "in_place", "In place"
    DECLINED = "declined", "Declined"
    ENDED = "ended", "Ended"


class KeyEventKind(models.TextChoices):
    RELEASE_FROM_CUSTODY = "release_from_custody", "Release from custody"
    BAIL_CHANGE = "bail_change", "Bail change"
    CHARGE = "charge", "Charge"
    COURT_DATE = "court_date", "Court date"
    SENTENCE = "sentence", "Sentence"
    ORDER_MADE = "order_made", "Order made"
    ORDER_EXPIRED = "order_expired", "Order expired"
    ORDER_BREACHED = "order_breached", "Order breached"


class KeyEventSource(models.TextChoices):
    RECORDED = "recorded", "Recorded by police or probation"
    ORDER = "order", "From an order recorded on the case"
    BREACH = "breach", "From a breach recorded on the case"
    ORDER_EXPIRY = "order_expiry", "From an order's expiry date"


class Agreement(models.IntegerChoices):
    """A five-point scale for the feedback statements; stored as numbers for reporting."""

    STRONGLY_DISAGREE = 1, "Strongly disagree"
    DISAGREE = 2, "Disagree"
    NEITHER = 3, "Neither agree nor disagree"
    AGREE = 4, "Agree"
    STRONGLY_AGREE = 5, "Strongly agree"


class Satisfaction(models.IntegerChoices):
    VERY_DISSATISFIED = 1, "Very dissatisfied"
    DISSATISFIED = 2, "Dissatisfied"
    NEITHER = 3, "Neither satisfied nor dissatisfied"
    SATISFIED = 4, "Satisfied"
    VERY_SATISFIED = 5, "Very satisfied"


# --- the partnership's settings and who leads each advocacy agency ---------------------------------------


@pghistory.track()
class AdvocacySettings(models.Model):
    """Per partnership. Absent: the defaults below."""

    DEFAULT_TELL_WITHIN_HOURS = 24
    DEFAULT_REVIEW_REMINDER_DAYS = 3

    partnership = models.OneToOneField(
        "agencies.Partnership", on_delete=models.PROTECT, related_name="advocacy_settings"
    )
    tell_victim_within_hours = models.PositiveSmallIntegerField(
        default=DEFAULT_TELL_WITHIN_HOURS,
        validators=[MinValueValidator(1), MaxValueValidator(168)],
        help_text="After this long without the victim being told of a key event, the advocacy lead is alerted",
    )
    review_reminder_days = models.PositiveSmallIntegerField(
        default=DEFAULT_REVIEW_REMINDER_DAYS,
        validators=[MaxValueValidator(60)],
        help_text="How many days before a safety-plan review date the advocate is reminded",
    )
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "advocacy settings"
        constraints = [
            models.CheckConstraint(
                condition=Q(tell_victim_within_hours__gte=1, tell_victim_within_hours__lte=168),
                name="advocacy_settings_hours_range",
            ),
            models.CheckConstraint(condition=Q(review_reminder_days__lte=60), name="advocacy_settings_days_range"),
        ]

    def __str__(self) -> str:
        return f"Advocacy settings of {self.partnership_id}"


@pghistory.track()
class AdvocacyLead(models.Model):
    """A lead of an advocacy agency: alerted when a victim has not been told of a key event in time."""

    agency = models.ForeignKey("agencies.Agency", on_delete=models.CASCADE, related_name="advocacy_leads")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="advocacy_lead_of")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["agency", "user"], name="advocacy_lead_unique")]

    def __str__(self) -> str:
        return f"Lead of agency {self.agency_id}"


# --- the single point of contact -------------------------------------------------------------------------


@pghistory.track()
class AdvocateAssignment(models.Model):
    """A victim's advocate on a case. At most one current (``ended_at`` empty) per victim and case.

    A handover ends the current row and starts a new one carrying the handover note,
    so the history of who supported the victim, and what was handed on, stays.
    """

    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="advocate_assignments")
    person = models.ForeignKey("cases.Person", on_delete=models.PROTECT, related_name="advocate_assignments")
    advocate = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="advocacy_assignments"
    )
    agency = models.ForeignKey("agencies.Agency", on_delete=models.PROTECT, related_name="+")
    started_at = models.DateTimeField()
    assigned_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    handover_note = models.TextField(blank=True, help_text="What the previous advocate handed on")
    ended_at = models.DateTimeField(null=True, blank=True)
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    end_note = models.TextField(blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["case", "person"], condition=Q(ended_at__isnull=True), name="advocate_one_current_per_victim"
            ),
            models.CheckConstraint(
                condition=Q(ended_at__isnull=True) | Q(ended_at__gte=models.F("started_at")),
                name="advocate_ends_after_start",
            ),
        ]
        indexes = [
            models.Index(fields=["case", "person", "-started_at"], name="advocate_case_person"),
            models.Index(fields=["advocate"], condition=Q(ended_at__isnull=True), name="advocate_current_by_user"),
        ]

    def __str__(self) -> str:
        return f"Advocate on case {self.case_id}"


# --- the contact log: versioned ------------------------------------------------------------------------------


class ContactFields(models.Model):
    """What one contact with a victim was. Shared by the entry and each of its versions."""

    occurred_at = models.DateTimeField()
    channel = models.CharField(max_length=20, choices=ContactChannel.choices)
    direction = models.CharField(max_length=20, choices=Direction.choices)
    duration_minutes = models.PositiveIntegerField(null=True, blank=True)
    staff_member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    topics = ArrayField(models.CharField(max_length=30, choices=ContactTopic.choices), default=list)
    summary = models.TextField()
    next_contact_due = models.DateField(null=True, blank=True)

    class Meta:
        abstract = True


@pghistory.track()
class ContactLogEntry(ContactFields):
    """One contact with a victim, as it now reads. Its earlier readings are its versions.

    The current fields are copied from the latest version so lists, the timeline and
    the due-date source read one row per contact.
    """

    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="advocacy_contacts")
    person = models.ForeignKey("cases.Person", on_delete=models.PROTECT, related_name="advocacy_contacts")
    version = models.PositiveIntegerField(default=1)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        verbose_name_plural = "contact log entries"
        indexes = [
            models.Index(fields=["case", "-occurred_at", "-id"], name="contact_case_timeline"),
            models.Index(fields=["case", "person", "-occurred_at", "-id"], name="contact_case_person_latest"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(version__gte=1), name="contact_version_positive"),
            models.CheckConstraint(condition=~Q(topics=[]), name="contact_has_topic"),
        ]

    def __str__(self) -> str:
        return f"Contact on case {self.case_id}"


@pghistory.track()
class ContactLogVersion(ContactFields):
    """One reading of a contact: the first as recorded, then each edit. Never changed."""

    entry = models.ForeignKey(ContactLogEntry, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)
    edit_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint(fields=["entry", "number"], name="contact_version_unique_number"),
            models.CheckConstraint(condition=Q(number=1) | ~Q(edit_reason=""), name="contact_edit_has_reason"),
        ]

    def __str__(self) -> str:
        return f"Version {self.number} of contact {self.entry_id}"


# --- needs assessment ---------------------------------------------------------------------------------------


@pghistory.track()
class NeedsAssessment(models.Model):
    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="needs_assessments")
    person = models.ForeignKey("cases.Person", on_delete=models.PROTECT, related_name="needs_assessments")
    assessed_on = models.DateField()
    review_on = models.DateField()
    notes = models.TextField(blank=True)
    assessed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-assessed_on", "-id"]
        indexes = [models.Index(fields=["case", "person", "-assessed_on", "-id"], name="needs_latest")]
        constraints = [
            models.CheckConstraint(condition=Q(review_on__gte=models.F("assessed_on")), name="needs_review_after")
        ]

    def __str__(self) -> str:
        return f"Needs assessment on case {self.case_id}"


@pghistory.track()
class NeedsAssessmentItem(models.Model):
    assessment = models.ForeignKey(NeedsAssessment, on_delete=models.CASCADE, related_name="items")
    domain = models.CharField(max_length=20, choices=NeedsDomain.choices)
    level = models.CharField(max_length=10, choices=NeedLevel.choices)
    notes = models.TextField(blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["assessment", "domain"], name="needs_item_unique_domain")]

    def __str__(self) -> str:
        return f"{self.get_domain_display()}: {self.get_level_display()}"


# --- safety plans -------------------------------------------------------------------------------------------


@pghistory.track()
class SafetyPlan(models.Model):
    """One victim's safety plan on one case: measures from the catalogue and reviews."""

    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="safety_plans")
    person = models.ForeignKey("cases.Person", on_delete=models.PROTECT, related_name="safety_plans")
    review_on = models.DateField(null=True, blank=True, help_text="When the whole plan is next reviewed")
    # The review date a reminder was last sent for: the reminder job's idempotency key.
    review_reminded_for = models.DateField(null=True, blank=True, editable=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["case", "person"], name="safety_plan_one_per_victim")]
        indexes = [models.Index(fields=["review_on"], name="safety_plan_review_on")]

    def __str__(self) -> str:
        return f"Safety plan on case {self.case_id}"


@pghistory.track()
class SafetyMeasure(models.Model):
    plan = models.ForeignKey(SafetyPlan, on_delete=models.CASCADE, related_name="measures")
    kind = models.CharField(max_length=30, choices=MeasureKind.choices)
    details = models.TextField(blank=True)
    owner_agency = models.ForeignKey("agencies.Agency", on_delete=models.PROTECT, related_name="+")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    status = models.CharField(max_length=10, choices=MeasureStatus.choices, default=MeasureStatus.PROPOSED)
    proposed_on = models.DateField()
    in_place_on = models.DateField(null=True, blank=True)
    declined_on = models.DateField(null=True, blank=True)
    ended_on = models.DateField(null=True, blank=True)
    review_on = models.DateField(null=True, blank=True)
    review_reminded_for = models.DateField(null=True, blank=True, editable=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["kind", "id"]
        indexes = [
            models.Index(
                fields=["review_on"],
                condition=Q(status__in=["proposed", "in_place"]),
                name="measure_open_review_on",
            )
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="in_place") | Q(in_place_on__isnull=False), name="measure_in_place_has_date"
            ),
            models.CheckConstraint(
                condition=~Q(status="ended") | Q(ended_on__isnull=False), name="measure_ended_has_date"
            ),
            models.CheckConstraint(
                condition=~Q(status="declined") | Q(declined_on__isnull=False), name="measure_declined_has_date"
            ),
        ]

    def __str__(self) -> str:
        return self.get_kind_display()


@pghistory.track()
class SafetyPlanReview(models.Model):
    plan = models.ForeignKey(SafetyPlan, on_delete=models.CASCADE, related_name="reviews")
    reviewed_on = models.DateField()
    summary = models.TextField()
    next_review_on = models.DateField(null=True, blank=True)
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-reviewed_on", "-id"]

    def __str__(self) -> str:
        return f"Review of safety plan {self.plan_id}"


# --- key events and telling the victim ---------------------------------------------------------------------------


@pghistory.track()
class KeyEvent(models.Model):
    """Something in the perpetrator's criminal-justice journey that the victim must be told of.

    Recorded by police or probation, or raised from the case's orders and breaches;
    those carry the order (and breach) so each is raised once, however often asked.
    """

    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="key_events")
    kind = models.CharField(max_length=30, choices=KeyEventKind.choices)
    occurs_on = models.DateField(help_text="When it happened, or will happen (a court date)")
    details = models.TextField(blank=True)
    source = models.CharField(max_length=20, choices=KeyEventSource.choices, default=KeyEventSource.RECORDED)
    order = models.ForeignKey("cases.Order", on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    breach = models.ForeignKey("cases.Breach", on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    recorded_agency = models.ForeignKey(
        "agencies.Agency", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-recorded_at", "-id"]
        indexes = [models.Index(fields=["case", "-recorded_at", "-id"], name="key_event_case")]
        constraints = [
            models.UniqueConstraint(
                fields=["order", "kind"],
                condition=Q(order__isnull=False, breach__isnull=True),
                name="key_event_once_per_order_kind",
            ),
            models.UniqueConstraint(
                fields=["breach"], condition=Q(breach__isnull=False), name="key_event_once_per_breach"
            ),
        ]

    def __str__(self) -> str:
        return self.get_kind_display()


@pghistory.track()
class VictimNotice(models.Model):
    """That one victim must be told of one key event: who was alerted, by when, and when and how she was told."""

    key_event = models.ForeignKey(KeyEvent, on_delete=models.CASCADE, related_name="notices")
    person = models.ForeignKey("cases.Person", on_delete=models.PROTECT, related_name="+")
    # The advocate alerted (the victim's current advocate when the event was raised or
    # handed over); the advocacy agency whose lead answers for it.
    advocate = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="victim_notices"
    )
    agency = models.ForeignKey("agencies.Agency", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    tell_by = models.DateTimeField()
    told_at = models.DateTimeField(null=True, blank=True)
    told_method = models.CharField(max_length=20, choices=ContactChannel.choices, blank=True)
    told_note = models.TextField(blank=True)
    told_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    escalated_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["tell_by", "id"]
        constraints = [
            models.UniqueConstraint(fields=["key_event", "person"], name="victim_notice_once_per_victim"),
            models.CheckConstraint(
                condition=Q(told_at__isnull=True) | ~Q(told_method=""), name="victim_notice_told_how"
            ),
        ]
        indexes = [
            models.Index(
                fields=["tell_by"],
                condition=Q(told_at__isnull=True, escalated_at__isnull=True),
                name="victim_notice_to_escalate",
            ),
            models.Index(fields=["advocate"], condition=Q(told_at__isnull=True), name="victim_notice_untold_by_adv"),
        ]

    def __str__(self) -> str:
        return f"Notice of key event {self.key_event_id}"


# --- feedback at closure ------------------------------------------------------------------------------------------


@pghistory.track()
class VictimFeedback(models.Model):
    """The closing questionnaire, one per victim and case, as the advocate recorded it.

    Answers are numbers on five-point scales (null: not answered) so reporting can
    count and average them; ``declined`` means the victim chose not to take part.
    """

    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="victim_feedback")
    person = models.ForeignKey("cases.Person", on_delete=models.PROTECT, related_name="+")
    collected_on = models.DateField()
    declined = models.BooleanField(default=False)
    feels_safer = models.PositiveSmallIntegerField(choices=Agreement.choices, null=True, blank=True)
    felt_informed = models.PositiveSmallIntegerField(choices=Agreement.choices, null=True, blank=True)
    coping = models.PositiveSmallIntegerField(choices=Agreement.choices, null=True, blank=True)
    overall_satisfaction = models.PositiveSmallIntegerField(choices=Satisfaction.choices, null=True, blank=True)
    comments = models.TextField(blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "victim feedback"
        constraints = [
            models.UniqueConstraint(fields=["case", "person"], name="feedback_once_per_victim"),
            models.CheckConstraint(
                condition=Q(declined=False)
                | Q(
                    feels_safer__isnull=True,
                    felt_informed__isnull=True,
                    coping__isnull=True,
                    overall_satisfaction__isnull=True,
                ),
                name="feedback_declined_has_no_answers",
            ),
            *[
                models.CheckConstraint(
                    condition=Q(**{f"{name}__isnull": True}) | Q(**{f"{name}__gte": 1, f"{name}__lte": 5}),
                    name=f"feedback_{name}_1_to_5",
                )
                for name in ("feels_safer", "felt_informed", "coping", "overall_satisfaction")
            ],
        ]
        indexes = [models.Index(fields=["collected_on"], name="feedback_collected_on")]

    def __str__(self) -> str:
        return f"Feedback on case {self.case_id}"
