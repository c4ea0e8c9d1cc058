"""Quarterly returns defined as data, the returns generated from them, and training events.

A return definition (``ReturnDefinition``) is a list of indicators held in numbered,
never-edited versions (``DefinitionVersion``): a programme manager's change (an
indicator added, removed, moved or reworded) is a new version, made by
``reporting.returns.services``. Each ``Indicator`` picks one measure from the fixed
vocabulary in ``reporting.returns.measures`` (what is counted, on which date, with which
filters and which breakdown) and is validated against it. A ``GeneratedReturn`` is one
run for one quarter: it keeps the version it used and the figures it found, so an
earlier return reads the same after the definition changes.

``TrainingEvent`` is the programme's first stage (training and consultancy to other
professionals): not case work, but counted in the returns.
"""

from __future__ import annotations

import pghistory
from django.conf import settings
from django.db import models
from django.db.models import Q


class ReturnDefinition(models.Model):
    """A return a partnership produces every quarter (the Home Office quarterly return)."""

    partnership = models.ForeignKey("agencies.Partnership", on_delete=models.PROTECT, related_name="return_definitions")
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["partnership", "name"]
        constraints = [
            models.UniqueConstraint(fields=["partnership", "name"], name="return_definition_unique_name"),
        ]

    def __str__(self) -> str:
        return self.name


class DefinitionVersion(models.Model):
    """One version of a definition: its indicators as they were. Never changed once made."""

    definition = models.ForeignKey(ReturnDefinition, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField()
    note = models.CharField(max_length=300, blank=True, help_text="What changed from the previous version")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["definition", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["definition", "number"], name="definition_version_unique_number"),
            models.CheckConstraint(condition=Q(number__gte=1), name="definition_version_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.definition} version {self.number}"


class Period(models.TextChoices):
    QUARTER = "quarter", "The quarter"
    YEAR_TO_DATE = "year_to_date", "The financial year to the end of the quarter"


class Indicator(models.Model):
    """One figure (or one table, with a breakdown) of a version of a return."""

    version = models.ForeignKey(DefinitionVersion, on_delete=models.CASCADE, related_name="indicators")
    position = models.PositiveSmallIntegerField()
    key = models.SlugField(max_length=60, help_text="Stable identifier in exports, e.g. referrals_received")
    label = models.CharField(max_length=200)
    section = models.CharField(max_length=100)
    # reporting.returns.measures.MEASURES: validated by the services, not by choices, so
    # that adding a measure to the vocabulary needs no migration.
    measure = models.CharField(max_length=40)
    date_basis = models.CharField(max_length=40)
    period = models.CharField(max_length=20, choices=Period.choices, default=Period.QUARTER)
    # {filter key: [values]}: every key and value from the measure's vocabulary.
    filters = models.JSONField(default=dict, blank=True)
    breakdown = models.CharField(max_length=40, blank=True)

    class Meta:
        ordering = ["version", "position"]
        constraints = [
            models.UniqueConstraint(fields=["version", "key"], name="indicator_unique_key"),
            models.UniqueConstraint(fields=["version", "position"], name="indicator_unique_position"),
        ]

    def __str__(self) -> str:
        return self.label


class ReturnStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Being generated"
    DONE = "done", "Ready"
    FAILED = "failed", "Failed"


class GeneratedReturn(models.Model):
    """One return for one quarter, generated from one version of a definition."""

    partnership = models.ForeignKey("agencies.Partnership", on_delete=models.PROTECT, related_name="+")
    version = models.ForeignKey(DefinitionVersion, on_delete=models.PROTECT, related_name="returns")
    # The financial year that starts in April of ``year`` (2026 = 2026/27), quarter 1 to 4.
    year = models.PositiveSmallIntegerField()
    quarter = models.PositiveSmallIntegerField()
    period_start = models.DateField()
    period_end = models.DateField()
    suppress_small_numbers = models.BooleanField(default=False)
    status = models.CharField(max_length=10, choices=ReturnStatus.choices, default=ReturnStatus.QUEUED)
    indicators_total = models.PositiveSmallIntegerField(default=0)
    indicators_done = models.PositiveSmallIntegerField(default=0)
    # The figures as computed (before suppression, which is applied on output).
    results = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["-requested_at", "-id"]
        indexes = [models.Index(fields=["partnership", "-requested_at", "-id"], name="generated_return_list")]
        constraints = [
            models.CheckConstraint(condition=Q(quarter__gte=1, quarter__lte=4), name="generated_return_quarter"),
            models.CheckConstraint(
                condition=Q(period_end__gte=models.F("period_start")), name="generated_return_period"
            ),
            models.CheckConstraint(
                condition=~Q(status="done") | Q(finished_at__isnull=False), name="generated_return_done_has_time"
            ),
        ]

    def __str__(self) -> str:
        return f"Return {self.pk} for {self.year}/{(self.year + 1) % 100:02d} Q{self.quarter}"

    @property
    def quarter_label(self) -> str:
        return f"{self.year}/{(self.year + 1) % 100:02d} Q{self.quarter}"

    @property
    def progress_percent(self) -> int:
        if self.status == ReturnStatus.DONE:
            return 100
        if not self.indicators_total:
            return 0
        return min(100, self.indicators_done * 100 // self.indicators_total)


class TrainingAudience(models.TextChoices):
    POLICE = "police", "Police"
    PROBATION = "probation", "Probation"
    HEALTH = "health", "Health"
    SOCIAL_CARE = "social_care", "Social care"
    VICTIM_SERVICES = "victim_services", "Victim services and IDVAs"
    CPS_COURTS = "cps_courts", "CPS and courts"
    HOUSING = "housing", "Housing"
    EDUCATION = "education", "Education"
    MULTI_AGENCY = "multi_agency", "Multi-agency audience"
    OTHER = "other", "Other"


@pghistory.track()
class TrainingEvent(models.Model):
    """A training or consultancy session delivered to other professionals."""

    partnership = models.ForeignKey("agencies.Partnership", on_delete=models.PROTECT, related_name="+")
    delivered_on = models.DateField()
    audience = models.CharField(max_length=20, choices=TrainingAudience.choices)
    topic = models.CharField(max_length=200)
    attendees = models.PositiveIntegerField()
    delivering_agency = models.ForeignKey("agencies.Agency", on_delete=models.PROTECT, related_name="+")
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-delivered_on", "-id"]
        indexes = [models.Index(fields=["partnership", "delivered_on"], name="training_partnership_date")]
        constraints = [
            models.CheckConstraint(condition=Q(attendees__gte=1, attendees__lte=10000), name="training_attendees"),
        ]

    def __str__(self) -> str:
        return f"{self.topic} ({self.delivered_on:%d %b %Y})"
