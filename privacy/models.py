"""Data protection: retention schedules, their batches, legal holds and subject access requests.

The app sits on the top floor (beside reporting and exchange) because it reads and
overwrites every app's records. Its own rows carry no personal content: a retention item
names a record by kind and id, a tombstone in the access log says what was done, and a
subject access request names its person by foreign key only. The disclosure itself is
produced from the records when it is downloaded, never stored here (a stored copy would be
one more place an erasure had to reach).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q


class RecordKind(models.TextChoices):
    CASE = "case", "Case"
    PERSON = "person", "Person"
    DOCUMENT = "document", "Document"
    CONTACT_LOG = "contact_log", "Contact log entry"
    CLINICAL_NOTE = "clinical_note", "Clinical note"
    ACCESS_LOG = "access_log", "Access log"


class Trigger(models.TextChoices):
    CASE_CLOSED = "case_closed", "Case closed"
    LAST_CONTACT = "last_contact", "Last contact"
    DATE_OF_BIRTH = "date_of_birth", "Date of birth"


class RetentionAction(models.TextChoices):
    REVIEW = "review", "Review"
    ANONYMISE = "anonymise", "Anonymise"
    ERASE = "erase", "Erase"


class RetentionSchedule(models.Model):
    """How long one kind of record is kept in one partnership, from what, and what then."""

    partnership = models.ForeignKey("agencies.Partnership", on_delete=models.PROTECT, related_name="+")
    record_kind = models.CharField(max_length=20, choices=RecordKind.choices)
    trigger = models.CharField(max_length=20, choices=Trigger.choices)
    period_months = models.PositiveIntegerField()
    action = models.CharField(max_length=10, choices=RetentionAction.choices)
    # The rule it follows (the Management of Police Information code, NHS records code ...).
    basis = models.CharField(max_length=200, blank=True)
    is_active = models.BooleanField(default=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["record_kind", "period_months", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["partnership", "record_kind", "trigger", "action"],
                condition=Q(is_active=True),
                name="retention_schedule_one_active_rule",
            ),
            models.CheckConstraint(condition=Q(period_months__gt=0), name="retention_schedule_period_positive"),
        ]

    def __str__(self) -> str:
        what = f"{self.get_record_kind_display()}: {self.get_action_display()}"
        return f"{what} {self.period_months} months after {self.get_trigger_display().lower()}"


class BatchStatus(models.TextChoices):
    AWAITING_APPROVAL = "awaiting", "Awaiting approval"
    APPROVED = "approved", "Approved, running"
    DONE = "done", "Done"
    REJECTED = "rejected", "Rejected"


class RetentionBatch(models.Model):
    """What the nightly job found due in one partnership on one day, awaiting an admin."""

    partnership = models.ForeignKey("agencies.Partnership", on_delete=models.PROTECT, related_name="+")
    listed_on = models.DateField()
    status = models.CharField(max_length=10, choices=BatchStatus.choices, default=BatchStatus.AWAITING_APPROVAL)
    item_count = models.PositiveIntegerField(default=0)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-listed_on", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["partnership", "listed_on"], name="retention_batch_one_per_day"),
        ]

    def __str__(self) -> str:
        return f"Retention batch {self.listed_on:%Y-%m-%d}"


class ItemOutcome(models.TextChoices):
    PENDING = "pending", "Pending"
    DONE = "done", "Done"
    HELD = "held", "Stopped by a legal hold"
    GONE = "gone", "Already gone"


class RetentionItem(models.Model):
    """One record due under one schedule. Plain ids, not foreign keys: the record may be
    erased, and the item must not hold it back or be erased with it."""

    batch = models.ForeignKey(RetentionBatch, on_delete=models.CASCADE, related_name="items")
    schedule = models.ForeignKey(RetentionSchedule, on_delete=models.PROTECT, related_name="items")
    record_kind = models.CharField(max_length=20, choices=RecordKind.choices)
    record_id = models.BigIntegerField()
    case_id = models.BigIntegerField(null=True)
    chunk = models.PositiveIntegerField()
    outcome = models.CharField(max_length=10, choices=ItemOutcome.choices, default=ItemOutcome.PENDING)

    class Meta:
        constraints = [
            # A record is listed once per schedule: a rejected or reviewed record is not put
            # back in front of the admin every night.
            models.UniqueConstraint(fields=["schedule", "record_id"], name="retention_item_once_per_schedule"),
        ]
        indexes = [models.Index(fields=["batch", "chunk"], name="retention_item_batch_chunk")]

    def __str__(self) -> str:
        return f"{self.record_kind} {self.record_id}"


class RetentionChunk(models.Model):
    """Progress of an approved batch: each chunk is done in one transaction, and marked so in it."""

    batch = models.ForeignKey(RetentionBatch, on_delete=models.CASCADE, related_name="chunks")
    number = models.PositiveIntegerField()
    item_count = models.PositiveIntegerField()
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["batch", "number"]
        constraints = [models.UniqueConstraint(fields=["batch", "number"], name="retention_chunk_unique")]

    def __str__(self) -> str:
        return f"chunk {self.number}"


class LegalHold(models.Model):
    """A case that must not be reviewed away, anonymised or erased while litigation or an
    inquiry needs it. Lifted, not deleted: the hold's own history is evidence."""

    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="+")
    reason = models.TextField()
    set_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    set_at = models.DateTimeField(auto_now_add=True)
    lifted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    lifted_at = models.DateTimeField(null=True, blank=True)
    lift_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-set_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["case"], condition=Q(lifted_at__isnull=True), name="legal_hold_one_in_force_per_case"
            ),
        ]

    def __str__(self) -> str:
        return f"Legal hold {self.pk}"


class RequestStatus(models.TextChoices):
    OPEN = "open", "Open"
    APPROVED = "approved", "Approved"
    DISCLOSED = "disclosed", "Disclosed"


class SubjectAccessRequest(models.Model):
    partnership = models.ForeignKey("agencies.Partnership", on_delete=models.PROTECT, related_name="+")
    person = models.ForeignKey("cases.Person", on_delete=models.PROTECT, related_name="+")
    received_on = models.DateField()
    # One calendar month after receipt (UK GDPR art. 12(3)); worked out by the service.
    due_on = models.DateField()
    identity_checked = models.BooleanField(default=False)
    status = models.CharField(max_length=10, choices=RequestStatus.choices, default=RequestStatus.OPEN)
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    opened_at = models.DateTimeField(auto_now_add=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    disclosed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["due_on", "id"]
        indexes = [models.Index(fields=["partnership", "status", "due_on"], name="sar_partnership_open_due")]

    def __str__(self) -> str:
        return f"Subject access request {self.pk}"


class PrivacySettings(models.Model):
    """A partnership's choices for disclosures: whether staff names are redacted (the
    agreement may say staff of some agencies are not named to the people they work with)."""

    partnership = models.OneToOneField("agencies.Partnership", on_delete=models.PROTECT, related_name="+")
    redact_staff_names = models.BooleanField(default=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    def __str__(self) -> str:
        return "Privacy settings"
