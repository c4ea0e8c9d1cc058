"""Risk instruments as data, the assessments made with them, and what they are scored against.

An instrument (DASH, S-DASH, SASH, SRP) has versions; a version holds its items in
question groups, its scoring rule and its bands. A version is never edited once loaded:
a change of wording or of items is a new version, so an assessment always reads the
items it was made with. A partnership may load its own versions (with licensed wording)
which only it uses; versions without a partnership are the shipped ones every
partnership may use.

The wording of DASH, SASH and SRP items is copyrighted or licensed: shipped versions
carry item keys and short topic labels only (docs/risk-instruments.md).
"""

from __future__ import annotations

import pghistory
from django.conf import settings
from django.db import models
from django.db.models import Q

from agencies.models import RecordClass


class Scoring(models.TextChoices):
    YES_COUNT = "yes_count", "Count of yes answers, banded"
    DIRECT_LEVEL = "direct_level", "Level recorded directly"
    HIGHEST_LEVEL = "highest_level", "Structured professional judgement: highest of the judged domains"


class Response(models.TextChoices):
    YES_NO_UNKNOWN = "yes_no_unknown", "Yes, no or not known"
    LEVEL = "level", "One of the version's bands"
    CHOICE = "choice", "One of the item's options"
    TEXT = "text", "Free text"


class Overall(models.TextChoices):
    """The case-level scale the caseload filters on (Case.current_risk)."""

    LOW = "low", "Low"
    MODERATE = "moderate", "Moderate"
    HIGH = "high", "High"


OVERALL_RANK: dict[str, int] = {Overall.LOW: 1, Overall.MODERATE: 2, Overall.HIGH: 3}

YES, NO, NOT_KNOWN = "yes", "no", "not_known"
YES_NO_UNKNOWN_CHOICES = [(YES, "Yes"), (NO, "No"), (NOT_KNOWN, "Not known")]


class Instrument(models.Model):
    key = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=200)
    short_name = models.CharField(max_length=20)
    description = models.TextField(blank=True)
    # Display order on the risk pages.
    order = models.PositiveSmallIntegerField(default=100)

    class Meta:
        ordering = ["order", "key"]

    def __str__(self) -> str:
        return self.short_name


class InstrumentVersion(models.Model):
    instrument = models.ForeignKey(Instrument, on_delete=models.PROTECT, related_name="versions")
    # Empty: shipped with the service, usable by every partnership. Set: loaded by (and
    # only for) that partnership, which is how licensed wording stays with its licensee.
    partnership = models.ForeignKey(
        "agencies.Partnership", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    version = models.CharField(max_length=80)
    scoring = models.CharField(max_length=20, choices=Scoring.choices)
    # Ordered lowest first: [{"key", "label", "overall", "min"?}]; "min" only for yes_count.
    bands = models.JSONField(default=list, blank=True)
    # The DASH's MARAC criteria are evaluated on completion of an assessment of this version.
    marac = models.BooleanField(default=False)
    # Review dates: a re-assessment due this many months after the assessment (the SRP),
    # and/or a review due when a new incident is recorded (the DASH).
    review_after_months = models.PositiveSmallIntegerField(null=True, blank=True)
    review_on_incident = models.BooleanField(default=False)
    licence = models.TextField(blank=True, help_text="The licence under which the item wording is used")
    description = models.TextField(blank=True)
    is_current = models.BooleanField(default=False)
    source = models.CharField(max_length=200, blank=True, help_text="The file it was loaded from")
    loaded_at = models.DateTimeField(auto_now_add=True)
    loaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["instrument", "-loaded_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["instrument", "partnership", "version"],
                nulls_distinct=False,
                name="risk_version_unique_label",
            ),
            models.UniqueConstraint(
                fields=["instrument", "partnership"],
                condition=Q(is_current=True),
                nulls_distinct=False,
                name="risk_version_one_current",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.instrument.short_name} {self.version}"

    @property
    def allows_judgement(self) -> bool:
        """Professional judgement raises a scored band; a judged level is already judgement."""
        return self.scoring == Scoring.YES_COUNT and bool(self.bands)

    @property
    def has_wording(self) -> bool:
        return bool(self.licence)


class ItemGroup(models.Model):
    """A question group: one page of the form."""

    version = models.ForeignKey(InstrumentVersion, on_delete=models.CASCADE, related_name="groups")
    key = models.SlugField(max_length=40)
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    order = models.PositiveSmallIntegerField()
    # The group's own count of yes answers is shown beside the score (the S-DASH in a DASH).
    subscore = models.BooleanField(default=False)

    class Meta:
        ordering = ["version", "order"]
        constraints = [
            models.UniqueConstraint(fields=["version", "key"], name="risk_group_unique_key"),
            models.UniqueConstraint(fields=["version", "order"], name="risk_group_unique_order"),
        ]

    def __str__(self) -> str:
        return self.title


class Item(models.Model):
    version = models.ForeignKey(InstrumentVersion, on_delete=models.CASCADE, related_name="items")
    group = models.ForeignKey(ItemGroup, on_delete=models.CASCADE, related_name="items")
    key = models.SlugField(max_length=60)
    # A short topic label ("Current injury"), never the published question.
    label = models.CharField(max_length=120)
    # The licensed question wording, only in a partnership's own version.
    wording = models.TextField(blank=True)
    hint = models.CharField(max_length=300, blank=True)
    order = models.PositiveSmallIntegerField()
    response = models.CharField(max_length=20, choices=Response.choices, default=Response.YES_NO_UNKNOWN)
    # [[value, label], ...] for a choice item.
    options = models.JSONField(default=list, blank=True)
    required = models.BooleanField(default=True)
    # yes_count: counts towards the score. highest_level: one of the judged domains.
    scored = models.BooleanField(default=False)
    # Plotted on its own line in the case's risk history (the SRP's domains).
    domain = models.BooleanField(default=False)
    # A level item the assessor may leave "Not rated" (stored as NOT_RATED, never as low): three
    # of the evaluation's five SRP summaries left recurrence blank. Left unanswered at
    # completion, it is stored as not rated.
    allows_not_rated = models.BooleanField(default=False, db_default=False)
    # Blank: every agency the case is shared with; otherwise as the sharing agreement says.
    record_class = models.CharField(max_length=30, choices=RecordClass.choices, blank=True)
    # Opens only when an earlier item has this answer (the S-DASH when the DASH's stalking item is yes).
    condition_item = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True, related_name="opens")
    condition_answer = models.CharField(max_length=60, blank=True)

    class Meta:
        ordering = ["version", "group__order", "order"]
        constraints = [
            models.UniqueConstraint(fields=["version", "key"], name="risk_item_unique_key"),
            models.CheckConstraint(
                condition=Q(condition_item__isnull=True, condition_answer="")
                | Q(condition_item__isnull=False) & ~Q(condition_answer=""),
                name="risk_item_condition_complete",
            ),
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def question(self) -> str:
        return self.wording or self.label


@pghistory.track()
class RiskSettings(models.Model):
    """A partnership's thresholds. Defaults are the SafeLives and programme ones."""

    partnership = models.OneToOneField("agencies.Partnership", on_delete=models.PROTECT, related_name="risk_settings")
    dash_medium_from = models.PositiveSmallIntegerField(default=10)
    dash_high_from = models.PositiveSmallIntegerField(default=14)
    # Some partnerships refer to MARAC on visible high risk from 17 rather than 14.
    marac_score_from = models.PositiveSmallIntegerField(default=14)
    escalation_incidents = models.PositiveSmallIntegerField(default=3)
    escalation_months = models.PositiveSmallIntegerField(default=12)
    repeat_months = models.PositiveSmallIntegerField(default=12)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name_plural = "risk settings"
        constraints = [
            models.CheckConstraint(
                condition=Q(dash_medium_from__gte=1) & Q(dash_high_from__gt=models.F("dash_medium_from")),
                name="risk_settings_bands_ordered",
            ),
            models.CheckConstraint(condition=Q(marac_score_from__gte=1), name="risk_settings_marac_positive"),
            models.CheckConstraint(
                condition=Q(escalation_incidents__gte=2) & Q(escalation_months__gte=1) & Q(repeat_months__gte=1),
                name="risk_settings_windows_positive",
            ),
        ]

    def __str__(self) -> str:
        return f"Risk settings of {self.partnership_id}"


class Status(models.TextChoices):
    DRAFT = "draft", "Draft"
    COMPLETED = "completed", "Completed"


@pghistory.track()
class Assessment(models.Model):
    """One assessment of a case with one version of an instrument.

    A draft is saved as it is filled in; completing it locks it. A correction is an
    amendment: a new assessment (``revision`` + 1) that ``amends`` the old one, with a
    reason; the old one stays as it was. ``is_current`` marks the case's latest
    completed assessment with each instrument, which the summary, the caseload's
    current risk and the review dates read.
    """

    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="risk_assessments")
    instrument = models.ForeignKey(Instrument, on_delete=models.PROTECT, related_name="+")
    version = models.ForeignKey(InstrumentVersion, on_delete=models.PROTECT, related_name="assessments")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    revision = models.PositiveSmallIntegerField(default=1)
    amends = models.OneToOneField("self", on_delete=models.PROTECT, null=True, blank=True, related_name="amendment")
    amendment_reason = models.TextField(blank=True)
    assessed_on = models.DateField(null=True, blank=True)
    # Results, written on completion.
    score = models.PositiveSmallIntegerField(null=True, blank=True)
    subscores = models.JSONField(default=dict, blank=True)
    band = models.CharField(max_length=40, blank=True)
    judgement_level = models.CharField(max_length=40, blank=True)
    judgement_reason = models.TextField(blank=True)
    level = models.CharField(max_length=40, blank=True)
    overall = models.CharField(max_length=10, choices=Overall.choices, blank=True)
    # The bands and thresholds the result was worked out with, as they were then.
    scored_with = models.JSONField(default=dict, blank=True)
    marac_criteria = models.JSONField(default=list, blank=True)
    marac_met = models.BooleanField(default=False)
    review_due_on = models.DateField(null=True, blank=True)
    notes = models.TextField(blank=True)
    is_current = models.BooleanField(default=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    agency = models.ForeignKey("agencies.Agency", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-assessed_on", "-id"]
        indexes = [
            models.Index(fields=["case", "instrument", "status"], name="risk_assessment_case"),
            models.Index(
                fields=["case", "review_due_on"],
                condition=Q(is_current=True, review_due_on__isnull=False),
                name="risk_assessment_review_due",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["case", "instrument"], condition=Q(status="draft"), name="risk_assessment_one_draft"
            ),
            models.UniqueConstraint(
                fields=["case", "instrument"], condition=Q(is_current=True), name="risk_assessment_one_current"
            ),
            models.CheckConstraint(
                condition=Q(status="draft") | Q(completed_at__isnull=False, assessed_on__isnull=False),
                name="risk_assessment_completed_has_dates",
            ),
            models.CheckConstraint(
                condition=Q(is_current=False) | Q(status="completed"), name="risk_assessment_current_is_completed"
            ),
            models.CheckConstraint(
                condition=Q(amends__isnull=True, revision=1) | Q(amends__isnull=False, revision__gt=1),
                name="risk_assessment_revision_matches_amends",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.instrument.short_name} on case {self.case_id}"

    @property
    def is_draft(self) -> bool:
        return self.status == Status.DRAFT


@pghistory.track()
class Answer(models.Model):
    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="answers")
    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="+")
    value = models.TextField(blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["assessment", "item"], name="risk_answer_unique_item")]

    def __str__(self) -> str:
        return f"Answer to {self.item_id}"


class IncidentSource(models.TextChoices):
    VICTIM = "victim", "Victim's report"
    POLICE = "police", "Police"
    PROBATION = "probation", "Probation"
    ADVOCACY = "advocacy", "Advocacy service"
    HEALTH = "health", "Health"
    OTHER = "other", "Other"


@pghistory.track()
class Incident(models.Model):
    """An incident of the behaviour on a case: MARAC escalation and repeat, and DASH review."""

    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="risk_incidents")
    occurred_on = models.DateField()
    description = models.TextField()
    source = models.CharField(max_length=20, choices=IncidentSource.choices)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    agency = models.ForeignKey("agencies.Agency", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-occurred_on", "-id"]
        indexes = [models.Index(fields=["case", "occurred_on"], name="risk_incident_case_date")]

    def __str__(self) -> str:
        return f"Incident on {self.occurred_on:%d %b %Y}"


@pghistory.track()
class MaracReferral(models.Model):
    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="marac_referrals")
    referred_on = models.DateField()
    # The assessment whose criteria led to the referral, when there was one.
    assessment = models.ForeignKey(
        Assessment, on_delete=models.PROTECT, null=True, blank=True, related_name="marac_referrals"
    )
    notes = models.TextField(blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    agency = models.ForeignKey("agencies.Agency", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-referred_on", "-id"]
        indexes = [models.Index(fields=["case", "referred_on"], name="risk_marac_case_date")]

    def __str__(self) -> str:
        return f"MARAC referral on {self.referred_on:%d %b %Y}"
