"""Triage and clinic meetings: agendas, attendance, what each agency brings, decisions, actions.

A meeting belongs to one partnership. Its agenda items are cases; what is said about a
case (information-sharing entries), the meeting's decision on it and the actions agreed
all hang off the agenda item. The case's own fields (status, decision, tier, heard at
clinic, stalker type) are changed only through cases.services, so the case's lifecycle
table and timeline stay the single record of what happened to it.
"""

from __future__ import annotations

import pghistory
from django.conf import settings
from django.db import models
from django.db.models import Deferrable, Q

from agencies.models import RecordClass

# --- enumerations ----------------------------------------------------------------------------------


class MeetingKind(models.TextChoices):
    TRIAGE = "triage", "Triage meeting"
    CLINIC = "clinic", "Stalking clinic"


class MeetingStatus(models.TextChoices):
    PLANNED = "planned", "Planned"
    IN_PROGRESS = "in_progress", "In progress"
    CONCLUDED = "concluded", "Concluded"


class AttendanceStatus(models.TextChoices):
    PRESENT = "present", "Present"
    APOLOGIES = "apologies", "Sent apologies"


class Hearing(models.TextChoices):
    """Hampshire's clinic heard a case "in full or in brief"."""

    FULL = "full", "In full"
    BRIEF = "brief", "In brief"


class AgendaSource(models.TextChoices):
    """Why the case is on the agenda."""

    AWAITING_TRIAGE = "awaiting_triage", "Awaiting triage"
    HIGH_RISK = "high_risk", "High risk"
    REFERRED_TO_CLINIC = "referred_to_clinic", "Referred to clinic"
    REOFFENDING = "reoffending", "Re-offending confirmed in monitoring"
    WATCH_DUE = "watch_due", "Watched: review date reached"
    WATCH_NEW_REFERRAL = "watch_new_referral", "Watched: a new referral names the perpetrator"
    ADDED = "added", "Added by hand"


class Consensus(models.TextChoices):
    YES = "yes", "Yes"
    NO = "no", "No"
    UNCLEAR = "unclear", "Unclear"


class Outcome(models.TextChoices):
    ACCEPTED = "accepted", "Accepted"
    DECLINED = "declined", "Declined"
    # The case was already taken on: the meeting reviewed it (a clinic hearing, a triage review).
    REVIEWED = "reviewed", "Reviewed"
    DEFERRED = "deferred", "Deferred to a later meeting"


class SashLevel(models.TextChoices):
    """The SASH level of concern as risk.services.sash_record takes it."""

    LOW = "low", "Low"
    MODERATE = "moderate", "Moderate"
    MODERATE_HIGH = "moderate_high", "Moderate/high"
    HIGH = "high", "High"


class ActionStatus(models.TextChoices):
    OPEN = "open", "Open"
    DONE = "done", "Done"
    CANCELLED = "cancelled", "Cancelled"


# --- meetings ---------------------------------------------------------------------------------------


@pghistory.track()
class Meeting(models.Model):
    partnership = models.ForeignKey("agencies.Partnership", on_delete=models.PROTECT, related_name="meetings")
    kind = models.CharField(max_length=10, choices=MeetingKind.choices)
    starts_at = models.DateTimeField()
    location = models.CharField(max_length=200, blank=True, help_text="A room, or how to join a call")
    chair = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="meetings_chaired"
    )
    status = models.CharField(max_length=20, choices=MeetingStatus.choices, default=MeetingStatus.PLANNED)
    started_at = models.DateTimeField(null=True, blank=True)
    concluded_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-starts_at", "-id"]
        indexes = [
            models.Index(fields=["partnership", "-starts_at", "-id"], name="meeting_partnership_starts"),
            models.Index(fields=["partnership", "status", "starts_at"], name="meeting_partnership_status"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status=MeetingStatus.CONCLUDED) | Q(concluded_at__isnull=False),
                name="meeting_concluded_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on {self.starts_at:%d %b %Y %H:%M}"

    @property
    def is_open(self) -> bool:
        return self.status != MeetingStatus.CONCLUDED


@pghistory.track()
class Attendance(models.Model):
    """An agency at the meeting, with the person who came (a member of staff, or a named guest)."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="attendance")
    agency = models.ForeignKey("agencies.Agency", on_delete=models.PROTECT, related_name="+")
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # Someone without an account (a MARAC coordinator, a locum), or left blank when the
    # agency is recorded without a name.
    name = models.CharField(max_length=200, blank=True)
    status = models.CharField(max_length=20, choices=AttendanceStatus.choices, default=AttendanceStatus.PRESENT)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["agency__name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["meeting", "person"], condition=Q(person__isnull=False), name="attendance_person_once"
            ),
            models.CheckConstraint(condition=Q(person__isnull=True) | Q(name=""), name="attendance_person_or_name"),
        ]

    def __str__(self) -> str:
        return f"Attendance at meeting {self.meeting_id}"


@pghistory.track()
class AgendaItem(models.Model):
    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="items")
    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="agenda_items")
    position = models.PositiveIntegerField()
    hearing = models.CharField(max_length=10, choices=Hearing.choices, default=Hearing.FULL)
    source = models.CharField(max_length=30, choices=AgendaSource.choices, default=AgendaSource.ADDED)
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["meeting", "position"]
        constraints = [
            models.UniqueConstraint(fields=["meeting", "case"], name="agenda_case_once"),
            # Deferred: a reorder swaps positions inside one transaction.
            models.UniqueConstraint(
                fields=["meeting", "position"], name="agenda_position_unique", deferrable=Deferrable.DEFERRED
            ),
        ]
        indexes = [models.Index(fields=["case", "meeting"], name="agenda_case")]

    def __str__(self) -> str:
        return f"Item {self.position} of meeting {self.meeting_id}"


@pghistory.track()
class InformationShare(models.Model):
    """What one agency brings to the meeting about a case.

    ``record_class`` set means only agencies the sharing agreement allows see it (a
    health entry about the perpetrator's treatment is ``clinical``); blank means every
    agency that can see the case.
    """

    item = models.ForeignKey(AgendaItem, on_delete=models.CASCADE, related_name="shares")
    agency = models.ForeignKey("agencies.Agency", on_delete=models.PROTECT, related_name="+")
    record_class = models.CharField(max_length=30, choices=RecordClass.choices, blank=True)
    text = models.TextField()
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["item", "created_at"], name="share_item")]

    def __str__(self) -> str:
        return f"Information shared on item {self.item_id}"


@pghistory.track()
class MeetingDecision(models.Model):
    """The meeting's decision on one agenda item. Final: the case's transitions follow it."""

    item = models.OneToOneField(AgendaItem, on_delete=models.PROTECT, related_name="decision")
    # Denormalised from the item: a case's decisions are read without the agenda.
    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="meeting_decisions")
    stalking_consensus = models.CharField(max_length=10, choices=Consensus.choices, blank=True)
    meets_legal_threshold = models.BooleanField(null=True, blank=True)
    added_value = models.BooleanField(null=True, blank=True)
    outcome = models.CharField(max_length=20, choices=Outcome.choices)
    # cases.models.Decision's decline reasons, when declined.
    decline_reason = models.CharField(max_length=20, blank=True)
    reason = models.TextField(blank=True)
    tier = models.PositiveSmallIntegerField(null=True, blank=True)
    refer_to_clinic = models.BooleanField(default=False)
    sash_level = models.CharField(max_length=20, choices=SashLevel.choices, blank=True)
    stalker_type = models.CharField(max_length=20, blank=True)
    stalker_type_secondary = models.CharField(max_length=20, blank=True, db_default="")
    status_before = models.CharField(max_length=20)
    status_after = models.CharField(max_length=20)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [
            models.Index(fields=["case", "-decided_at"], name="decision_case"),
            models.Index(
                fields=["case", "-decided_at"], condition=Q(refer_to_clinic=True), name="decision_clinic_referral"
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(tier__isnull=True) | Q(tier__gte=1, tier__lte=4), name="decision_tier_1_to_4"
            ),
            models.CheckConstraint(
                condition=~Q(outcome=Outcome.DECLINED) | ~Q(decline_reason=""), name="decision_decline_has_reason"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_outcome_display()} (item {self.item_id})"


@pghistory.track()
class Action(models.Model):
    """Something an agency (and a named person in it) agreed at a meeting to do by a date."""

    item = models.ForeignKey(AgendaItem, on_delete=models.PROTECT, related_name="actions")
    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="meeting_actions")
    owner_agency = models.ForeignKey("agencies.Agency", on_delete=models.PROTECT, related_name="+")
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="triage_actions")
    description = models.TextField()
    # Blank: every agency that can see the case; otherwise only those the agreement allows.
    record_class = models.CharField(max_length=30, choices=RecordClass.choices, blank=True)
    due_on = models.DateField()
    status = models.CharField(max_length=20, choices=ActionStatus.choices, default=ActionStatus.OPEN)
    completed_at = models.DateTimeField(null=True, blank=True)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    completion_note = models.TextField(blank=True)
    # The last day a reminder went out: the daily job's conditional UPDATE on it is what
    # keeps a second run on the same day from sending again.
    last_reminded_on = models.DateField(null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["due_on", "id"]
        indexes = [
            models.Index(fields=["owner", "status", "due_on", "id"], name="action_owner"),
            models.Index(fields=["owner_agency", "status", "due_on", "id"], name="action_agency"),
            models.Index(fields=["case", "status", "due_on"], name="action_case"),
            models.Index(fields=["due_on"], condition=Q(status=ActionStatus.OPEN), name="action_open_due"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status=ActionStatus.OPEN) | Q(completed_at__isnull=False), name="action_closed_has_time"
            ),
        ]

    def __str__(self) -> str:
        return f"Action {self.pk} on case {self.case_id}"


# --- the watch list ---------------------------------------------------------------------------------------


@pghistory.track()
class Watch(models.Model):
    """A declined domestic-abuse case kept in view "in case the victim ended the relationship".

    It comes back to the triage agenda when ``review_on`` falls due or a new referral names
    the same perpetrator (triage.selectors); the meeting hears it again, and the triage
    officer sets a later review date or ends the watch. One open watch per case.
    """

    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="watches")
    review_on = models.DateField()
    reason = models.TextField()
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    started_at = models.DateTimeField(auto_now_add=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    end_reason = models.TextField(blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["review_on", "id"]
        constraints = [
            models.UniqueConstraint(fields=["case"], condition=Q(ended_at__isnull=True), name="watch_open_once"),
            models.CheckConstraint(
                condition=Q(ended_at__isnull=True) | (Q(ended_by__isnull=False) & ~Q(end_reason="")),
                name="watch_ended_has_who_and_why",
            ),
        ]
        indexes = [models.Index(fields=["review_on"], condition=Q(ended_at__isnull=True), name="watch_open_review")]

    def __str__(self) -> str:
        return f"Watch on case {self.case_id}"

    @property
    def is_open(self) -> bool:
        return self.ended_at is None
