"""Monitoring and re-offending follow-ups: what is kept about each monitored case."""

from __future__ import annotations

import pghistory
from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q

from cases.models import Case, Offence, Person

# === Monitoring and re-offending follow-ups ==================================================
#
# A case is monitored for re-offending from its acceptance and again from the end of a
# direct health intervention (../shared/DOMAIN.md: re-offending is best measured from
# there). Each monitoring period has checkpoints (by default 3, 6, 9 and 12 months); the
# daily job ``followups.tasks.schedule_due_followups`` creates one follow-up review
# per period and checkpoint reached. What a review finds, and what automatic detection
# confirms, becomes re-offending records with exactly the columns of the partnership
# bundle's reoffending.csv.

DEFAULT_CHECKPOINTS: tuple[int, ...] = (3, 6, 9, 12)
MAX_CHECKPOINT_MONTHS = 60


def default_checkpoints() -> list[int]:
    return list(DEFAULT_CHECKPOINTS)


class MonitoringBasis(models.TextChoices):
    ACCEPTANCE = "acceptance", "Acceptance by the partnership"
    INTERVENTION_END = "intervention_end", "End of the direct health intervention"


class ReoffendingKind(models.TextChoices):
    """The bundle's ``kind``: DOMAIN.md's two measures."""

    PERSISTENCE = "persistence", "Persistence (same victim, continuing)"
    RECURRENCE = "recurrence", "Recurrence (after a break of six months or more)"


class ReoffendingVictim(models.TextChoices):
    SAME = "same", "Same victim"
    NEW = "new", "New victim"


class ReoffendingSource(models.TextChoices):
    VICTIM = "victim", "Victim"
    POLICE = "police", "Police"
    PROBATION = "probation", "Probation"
    HEALTH = "health", "Health"
    OTHER = "other", "Other"


class ReviewStatus(models.TextChoices):
    OPEN = "open", "Open"
    COMPLETED = "completed", "Completed"
    WITHDRAWN = "withdrawn", "Withdrawn (case closed)"


class CandidateStatus(models.TextChoices):
    PENDING = "pending", "Awaiting confirmation"
    CONFIRMED = "confirmed", "Confirmed"
    REJECTED = "rejected", "Rejected"


@pghistory.track()
class FollowUpSettings(models.Model):
    """A partnership's follow-up checkpoints, and who reviews when a case has no worker."""

    partnership = models.OneToOneField(
        "agencies.Partnership", on_delete=models.CASCADE, related_name="followup_settings"
    )
    # Months after the start of a monitoring period, ascending.
    checkpoints = ArrayField(models.PositiveSmallIntegerField(), default=default_checkpoints)
    # Reviews of cases with no assigned worker go to this agency; empty: the partnership's police.
    review_agency = models.ForeignKey(
        "agencies.Agency", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "follow-up settings"
        verbose_name_plural = "follow-up settings"
        constraints = [
            models.CheckConstraint(
                condition=Q(checkpoints__len__gte=1) & Q(checkpoints__len__lte=12), name="followup_checkpoints_1_to_12"
            ),
        ]

    def __str__(self) -> str:
        return f"Follow-up settings of partnership {self.partnership_id}"


@pghistory.track()
class MonitoringPeriod(models.Model):
    """A stretch of re-offending monitoring of one case, from ``starts_on``.

    ``basis`` says what started it: the partnership's acceptance (``starts_on`` is the
    case's decision date, as the bundle has it) or the end of a direct intervention
    (``intervention_id``: interventions depends on cases, so this is a plain id, not a
    foreign key). A period ends (``ended_on``) when its case closes.
    """

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="monitoring_periods")
    basis = models.CharField(max_length=20, choices=MonitoringBasis.choices)
    starts_on = models.DateField()
    intervention_id = models.BigIntegerField(null=True, blank=True)
    ended_on = models.DateField(null=True, blank=True)
    end_reason = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["starts_on", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["case", "starts_on"],
                condition=Q(basis="acceptance"),
                name="monitoring_one_per_acceptance",
            ),
            models.UniqueConstraint(
                fields=["intervention_id"],
                condition=Q(intervention_id__isnull=False),
                name="monitoring_one_per_intervention",
            ),
            models.CheckConstraint(
                condition=Q(basis="intervention_end", intervention_id__isnull=False)
                | Q(basis="acceptance", intervention_id__isnull=True),
                name="monitoring_intervention_basis",
            ),
            models.CheckConstraint(
                condition=Q(ended_on__isnull=True) | Q(ended_on__gte=models.F("starts_on")),
                name="monitoring_ends_after_start",
            ),
        ]
        indexes = [models.Index(fields=["case", "starts_on"], name="monitoring_case")]

    def __str__(self) -> str:
        return f"Monitoring of case {self.case_id} from {self.starts_on:%d %b %Y}"


@pghistory.track(pghistory.UpdateEvent(), pghistory.DeleteEvent())
class FollowUpReview(models.Model):
    """The review at one checkpoint of one monitoring period: any re-offending in the window?

    Made by the daily job when the checkpoint is reached (``due_on``), for the window
    ``window_starts_on`` (the previous checkpoint, or the period's start) to ``due_on``.
    History: the row the job inserts holds nothing anyone wrote (ids and dates derived
    from the period), so only changes and deletions are tracked; the completion, which
    records what was found, is the first change and is captured with its before-image.
    """

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="followup_reviews", db_index=False)
    period = models.ForeignKey(MonitoringPeriod, on_delete=models.CASCADE, related_name="reviews", db_index=False)
    checkpoint_months = models.PositiveSmallIntegerField()
    window_starts_on = models.DateField()
    due_on = models.DateField()
    assigned_agency = models.ForeignKey(
        "agencies.Agency", on_delete=models.PROTECT, null=True, blank=True, related_name="+", db_index=False
    )
    assigned_worker = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+", db_index=False
    )
    status = models.CharField(max_length=20, choices=ReviewStatus.choices, default=ReviewStatus.OPEN)
    # The answer: any re-offending in the window? (null while open)
    reoffended = models.BooleanField(null=True, blank=True)
    # When none was found: where the reviewer looked.
    sources_checked = ArrayField(
        models.CharField(max_length=20, choices=ReoffendingSource.choices), default=list, blank=True
    )
    notes = models.TextField(blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+", db_index=False
    )
    withdrawn_reason = models.TextField(blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["due_on", "id"]
        constraints = [
            # The scheduler's idempotence: INSERT ... ON CONFLICT DO NOTHING against this.
            models.UniqueConstraint(
                fields=["case", "period", "checkpoint_months"], name="followup_review_unique_checkpoint"
            ),
            models.CheckConstraint(
                condition=~Q(status="completed") | (Q(reoffended__isnull=False) & Q(completed_at__isnull=False)),
                name="followup_review_completed_has_answer",
            ),
            models.CheckConstraint(
                condition=~Q(reoffended=False) | Q(sources_checked__len__gte=1),
                name="followup_review_none_names_sources",
            ),
            models.CheckConstraint(
                condition=Q(window_starts_on__lte=models.F("due_on")), name="followup_review_window"
            ),
        ]
        # Few indexes on purpose: the scheduler inserts a million rows at a time. A case's
        # reviews are found through the unique index (case first); the reminders walk the
        # open ones by due date. The foreign keys to staff and agencies are never searched.
        indexes = [
            models.Index(fields=["due_on", "id"], condition=Q(status="open"), name="followup_review_open_due"),
        ]

    def __str__(self) -> str:
        return f"{self.checkpoint_months}-month follow-up of case {self.case_id}"


@pghistory.track()
class ReoffendingCandidate(models.Model):
    """Possible re-offending found automatically: a new referral names this case's perpetrator.

    Raised on the earlier ``case`` when ``new_case`` is recorded, classified by the rule
    (persistence: same victim and less than six months since the last known behaviour;
    otherwise recurrence); the case owner confirms it (making a re-offending record) or
    rejects it.
    """

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="reoffending_candidates")
    new_case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="+")
    # Not stored: set by the follow-ups selectors for the user reading the candidate (may they
    # see the new case?). False until a selector has asked, so nothing shows it by default.
    new_case_visible: bool = False
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    occurred_on = models.DateField()
    kind = models.CharField(max_length=20, choices=ReoffendingKind.choices)
    victim = models.CharField(max_length=10, choices=ReoffendingVictim.choices)
    source = models.CharField(max_length=20, choices=ReoffendingSource.choices)
    offence = models.CharField(max_length=30, choices=Offence.choices)
    last_known_behaviour_on = models.DateField()
    status = models.CharField(max_length=20, choices=CandidateStatus.choices, default=CandidateStatus.PENDING)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["case", "new_case"], name="reoffending_candidate_once"),
            models.CheckConstraint(condition=~Q(case=models.F("new_case")), name="reoffending_candidate_other_case"),
        ]
        indexes = [
            models.Index(fields=["case", "status"], name="reoffending_candidate_case"),
        ]

    def __str__(self) -> str:
        return f"Possible {self.kind} on case {self.case_id}"


@pghistory.track()
class ReoffendingRecord(models.Model):
    """Stalking behaviour by the case's perpetrator after the case came to the partnership.

    ``occurred_on``, ``kind``, ``victim``, ``source`` and ``offence`` are exactly the
    bundle's reoffending.csv columns (its ``referral_ref`` is ``case.referral.ref``):
    the evaluation tables and the export read these fields. ``review`` is set when a
    follow-up review recorded it, ``candidate`` when automatic detection raised it.
    """

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="reoffending_records")
    occurred_on = models.DateField()
    kind = models.CharField(max_length=20, choices=ReoffendingKind.choices)
    victim = models.CharField(max_length=10, choices=ReoffendingVictim.choices)
    source = models.CharField(max_length=20, choices=ReoffendingSource.choices)
    offence = models.CharField(max_length=30, choices=Offence.choices)
    crime_reference = models.CharField(max_length=40, blank=True)
    review = models.ForeignKey(
        FollowUpReview, on_delete=models.CASCADE, null=True, blank=True, related_name="occurrences"
    )
    candidate = models.OneToOneField(
        ReoffendingCandidate, on_delete=models.PROTECT, null=True, blank=True, related_name="record"
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["occurred_on", "id"]
        indexes = [models.Index(fields=["case", "occurred_on"], name="reoffending_case_occurred")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on {self.occurred_on:%d %b %Y} (case {self.case_id})"
