"""Cost capture and cost-benefit analysis (docs/costs.md).

Money is ``Decimal`` throughout (``NUMERIC`` columns): pounds to the penny for amounts,
four places for hourly rates (an annual cost divided by working hours rarely ends in
whole pence, and the report's line items are hours times such a rate).
"""

from __future__ import annotations

from decimal import Decimal

import pghistory
from django.conf import settings
from django.db import models
from django.db.models import Q


class Bearer(models.TextChoices):
    """Who bears a cost. ``society`` is a cost the report could not split (a suicide's
    lost output and intangible costs): a scenario holding one has a total ratio only."""

    STATE = "state", "State"
    VICTIM = "victim", "Victim"
    SOCIETY = "society", "Society (not split)"


class Category(models.TextChoices):
    """The report's rows of "what happened" (seeds/004 §5)."""

    INFRASTRUCTURE = "infrastructure", "Infrastructure costs (per referral)"
    REFERRAL = "referral", "Referral"
    INITIAL_RISK_ASSESSMENT = "initial_risk_assessment", "Initial risk assessment"
    SAFEGUARDING = "safeguarding", "Safeguarding for the victim"
    TREATMENT = "treatment", "Treatment"
    FOLLOW_UP = "follow_up", "Follow-up"
    VICTIM_COSTS = "victim_costs", "In/direct costs to the victim"


class ActivityKind(models.TextChoices):
    """Where time is recorded. Each kind has a default category and default minutes
    (``costs.activities``)."""

    MEETING_PREPARATION = "meeting_preparation", "Meeting: preparation"
    MEETING_ATTENDANCE = "meeting_attendance", "Meeting: attendance"
    MEETING_TRAVEL = "meeting_travel", "Meeting: travel"
    CONTACT = "contact", "Contact with the victim"
    SESSION = "session", "Therapy session"
    RISK_ASSESSMENT = "risk_assessment", "Risk assessment"
    SAFEGUARDING = "safeguarding", "Safeguarding action"
    COURT_SUPPORT = "court_support", "Court support"
    REFERRAL = "referral", "Referral work"
    FOLLOW_UP = "follow_up", "Follow-up"


class UnitKind(models.TextChoices):
    MONEY = "money", "A sum of money"
    QALY = "qaly", "Quality-adjusted life years"
    PER_INCIDENT = "per_incident", "Per incident"


class ScenarioKind(models.TextChoices):
    BEST = "best", "Best case"
    WORST = "worst", "Worst case"


class AccountStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    FINISHED = "finished", "Finished"


@pghistory.track()
class RateCard(models.Model):
    """A partnership's rates for one financial year (``financial_year`` 2019 = 2019/20)."""

    partnership = models.ForeignKey("agencies.Partnership", on_delete=models.PROTECT, related_name="rate_cards")
    financial_year = models.PositiveSmallIntegerField()
    source = models.TextField(blank=True)
    price_year = models.PositiveSmallIntegerField(help_text="The year the prices are inflated to")
    # Non-salary operating costs and referrals received in the year: infrastructure per referral.
    operating_costs = models.DecimalField(max_digits=12, decimal_places=2, default=Decimal("0"))
    referrals_in_year = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["partnership", "-financial_year"]
        constraints = [
            models.UniqueConstraint(fields=["partnership", "financial_year"], name="rate_card_one_per_year"),
            models.CheckConstraint(condition=Q(operating_costs__gte=0), name="rate_card_costs_not_negative"),
        ]

    def __str__(self) -> str:
        return f"Rates {self.financial_year}/{(self.financial_year + 1) % 100:02d}"


@pghistory.track()
class HourlyRate(models.Model):
    """Salary plus employer costs per hour of a role, inside or outside the partnership."""

    rate_card = models.ForeignKey(RateCard, on_delete=models.CASCADE, related_name="hourly_rates")
    role = models.SlugField(max_length=60)
    label = models.CharField(max_length=120)
    hourly_rate = models.DecimalField(max_digits=10, decimal_places=4)
    source = models.TextField(blank=True)

    class Meta:
        ordering = ["label"]
        constraints = [
            models.UniqueConstraint(fields=["rate_card", "role"], name="hourly_rate_one_per_role"),
            models.CheckConstraint(condition=Q(hourly_rate__gte=0), name="hourly_rate_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.label}: £{self.hourly_rate}/h"


@pghistory.track()
class UnitCost(models.Model):
    """One entry of the catalogue of unit costs (Home Office estimates and the like).

    A money or per-incident entry has ``amount``; a QALY entry has the loss of quality of
    life per year (``qaly_loss``) and the value of a year in full health, and costs
    months × loss × value ÷ 12. Loaded from a file (``load_unit_costs``); a partnership's
    own entries override the shipped ones with the same key.
    """

    partnership = models.ForeignKey(
        "agencies.Partnership", on_delete=models.PROTECT, null=True, blank=True, related_name="unit_costs"
    )
    key = models.SlugField(max_length=80)
    label = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=UnitKind.choices)
    bearer = models.CharField(max_length=10, choices=Bearer.choices)
    amount = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    qaly_loss = models.DecimalField(max_digits=10, decimal_places=8, null=True, blank=True)
    value_of_year = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    source = models.TextField(blank=True)
    price_year = models.PositiveSmallIntegerField()
    catalogue = models.CharField(max_length=120, help_text="The catalogue file's label this entry came from")
    loaded_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["label"]
        constraints = [
            models.UniqueConstraint(
                fields=["partnership", "key"], condition=Q(partnership__isnull=False), name="unit_cost_key_partnership"
            ),
            models.UniqueConstraint(
                fields=["key"], condition=Q(partnership__isnull=True), name="unit_cost_key_shipped"
            ),
            models.CheckConstraint(
                condition=(Q(kind="qaly") & Q(qaly_loss__isnull=False) & Q(value_of_year__isnull=False))
                | (~Q(kind="qaly") & Q(amount__isnull=False)),
                name="unit_cost_has_its_figures",
            ),
        ]

    def __str__(self) -> str:
        return self.label


@pghistory.track()
class TimeEntry(models.Model):
    """Minutes one person spent on one activity of a case.

    ``activity_kind`` + ``activity_id`` name the record the time was spent on (a
    meeting's agenda item, a contact, an appointment, an assessment ...): plain ids, as
    the activities' apps sit below this one. ``staff`` is set for the partnership's own
    staff; other agencies' people are recorded by role (``role``) with ``staff`` empty.
    """

    partnership = models.ForeignKey("agencies.Partnership", on_delete=models.PROTECT, related_name="+")
    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="time_entries")
    activity_kind = models.CharField(max_length=30, choices=ActivityKind.choices)
    activity_id = models.BigIntegerField(null=True, blank=True)
    # The report's category of "what happened" (not ``category``: the returns' breakdowns
    # annotate a column of that name).
    cost_category = models.CharField(max_length=30, choices=Category.choices)
    occurred_on = models.DateField()
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="time_entries"
    )
    agency = models.ForeignKey("agencies.Agency", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    role = models.SlugField(max_length=60)
    # Time of a member of the partnership's staff that came from a data bundle: the bundle
    # names roles, never people, so ``staff`` is empty but the time is still staff time.
    # db_default too: the benchmark's set-based INSERTs name only the columns they fill.
    imported_staff_time = models.BooleanField(default=False, db_default=False)
    minutes = models.PositiveIntegerField()
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["occurred_on", "id"]
        verbose_name_plural = "time entries"
        indexes = [
            # Programme figures: one partnership's entries in a period, summed by role/agency.
            models.Index(
                fields=["partnership", "occurred_on"],
                include=["case", "role", "agency", "minutes"],
                name="time_programme",
            ),
            models.Index(fields=["case", "occurred_on"], name="time_case"),
            models.Index(fields=["activity_kind", "activity_id"], name="time_activity"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(minutes__gte=1, minutes__lte=24 * 60), name="time_minutes_range"),
            # A member of staff's time on one activity is asked once: a second entry changes the first.
            models.UniqueConstraint(
                fields=["activity_kind", "activity_id", "staff"],
                condition=Q(staff__isnull=False, activity_id__isnull=False),
                name="time_once_per_staff_activity",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.minutes} min of {self.role} on case {self.case_id}"


@pghistory.track()
class StaffFte(models.Model):
    """Full-time equivalents an agency gave the partnership in a period (hypothesis 10)."""

    partnership = models.ForeignKey("agencies.Partnership", on_delete=models.PROTECT, related_name="+")
    agency = models.ForeignKey("agencies.Agency", on_delete=models.PROTECT, related_name="+")
    starts_on = models.DateField()
    ends_on = models.DateField()
    fte = models.DecimalField(max_digits=6, decimal_places=2)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["starts_on", "agency_id"]
        constraints = [
            models.CheckConstraint(condition=Q(fte__gt=0), name="fte_positive"),
            models.CheckConstraint(condition=Q(ends_on__gte=models.F("starts_on")), name="fte_period_order"),
            models.UniqueConstraint(fields=["agency", "starts_on"], name="fte_one_per_agency_start"),
        ]

    def __str__(self) -> str:
        return f"{self.fte} FTE from {self.starts_on}"


@pghistory.track()
class CostAccount(models.Model):
    """A case's cost account: what happened, the scenarios, the ratios.

    A draft works staff time out from the case's time entries at the rate card's current
    rates. Finishing copies every line with the rate and amount it used into
    ``CostLine``/``ScenarioItem`` rows (``frozen``), so a later change of rates leaves a
    finished analysis as it was.
    """

    case = models.OneToOneField("cases.Case", on_delete=models.PROTECT, related_name="cost_account")
    partnership = models.ForeignKey("agencies.Partnership", on_delete=models.PROTECT, related_name="+")
    rate_card = models.ForeignKey(RateCard, on_delete=models.PROTECT, related_name="accounts")
    status = models.CharField(max_length=10, choices=AccountStatus.choices, default=AccountStatus.DRAFT)
    period_months = models.PositiveSmallIntegerField(default=6, help_text="The scenarios' horizon")
    infrastructure = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    finished_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["partnership", "status"], name="cost_account_partnership")]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="draft") | Q(finished_at__isnull=False, infrastructure__isnull=False),
                name="cost_account_finished_has_figures",
            )
        ]

    def __str__(self) -> str:
        return f"Cost account of case {self.case_id}"


@pghistory.track()
class CostLine(models.Model):
    """One line of what happened.

    Kinds: ``staff_time`` (hours × hourly rate of a role; in a draft only rows entered by
    hand, as time entries are read live, and in a finished account every staff line with
    its rate copied), ``money`` and ``qaly``/``per_incident`` from the catalogue (its
    figures copied when the line is added).
    """

    account = models.ForeignKey(CostAccount, on_delete=models.CASCADE, related_name="lines")
    category = models.CharField(max_length=30, choices=Category.choices)
    bearer = models.CharField(max_length=10, choices=Bearer.choices)
    kind = models.CharField(max_length=20)
    label = models.CharField(max_length=200)
    role = models.SlugField(max_length=60, blank=True)
    hours = models.DecimalField(max_digits=10, decimal_places=4, null=True, blank=True)
    hourly_rate = models.DecimalField(max_digits=10, decimal_places=4, null=True, blank=True)
    unit_cost = models.ForeignKey(UnitCost, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    quantity = models.DecimalField(max_digits=12, decimal_places=4, null=True, blank=True)
    unit_amount = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    qaly_loss = models.DecimalField(max_digits=10, decimal_places=8, null=True, blank=True)
    value_of_year = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    amount = models.DecimalField(max_digits=14, decimal_places=2)
    frozen = models.BooleanField(default=False)
    source = models.TextField(blank=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.label


class Scenario(models.Model):
    account = models.ForeignKey(CostAccount, on_delete=models.CASCADE, related_name="scenarios")
    kind = models.CharField(max_length=10, choices=ScenarioKind.choices)
    narrative = models.TextField(blank=True)

    class Meta:
        ordering = ["kind"]
        constraints = [models.UniqueConstraint(fields=["account", "kind"], name="scenario_one_per_kind")]

    def __str__(self) -> str:
        return self.get_kind_display()


@pghistory.track()
class ScenarioItem(models.Model):
    """A cost avoided: a catalogue entry × a quantity (months for QALYs, incidents, or 1),
    with the entry's figures copied when it is added."""

    scenario = models.ForeignKey(Scenario, on_delete=models.CASCADE, related_name="items")
    unit_cost = models.ForeignKey(UnitCost, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    label = models.CharField(max_length=200)
    bearer = models.CharField(max_length=10, choices=Bearer.choices)
    kind = models.CharField(max_length=20, choices=UnitKind.choices)
    quantity = models.DecimalField(max_digits=12, decimal_places=4)
    unit_amount = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    qaly_loss = models.DecimalField(max_digits=10, decimal_places=8, null=True, blank=True)
    value_of_year = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    amount = models.DecimalField(max_digits=14, decimal_places=2)
    source = models.TextField(blank=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.label
