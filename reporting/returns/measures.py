"""The fixed vocabulary of a return: measures, the dates they are counted on, filters, breakdowns.

An indicator of a return definition (``reporting.models.Indicator``) is data: a measure
key, a date basis, a period, filters and an optional breakdown, every one of them a key
of this module. Programme managers combine them freely; nothing else can be counted, so
every figure has one documented meaning (docs/quarterly-returns.md lists them all, from
``vocabulary_markdown``) and is computed by one aggregate query in the database.

- A **measure** counts one kind of thing (referrals, cases, people, contacts, sessions
  ...) of one partnership, in a period, on a **date basis** (a referral's received date,
  a case's decision date, a contact's date ...).
- A **filter** narrows what is counted to some values of a field (a decision, a tier,
  an intervention type ...); several values of one filter are "any of", several filters
  are "all of".
- A **breakdown** splits the figure by one dimension into a fixed list of categories,
  every one shown, zeros included; the indicator's total is always counted on its own,
  so a measure of distinct people or cases is not double counted when one person falls
  in two categories.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from django.db import connections, models, transaction
from django.db.models import Case as CaseWhen
from django.db.models import (
    Count,
    Exists,
    F,
    Func,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce, TruncDate, TruncMonth
from django.utils import timezone

from advocacy.models import ContactLogEntry, SafetyPlan
from agencies.models import AgencyKind
from cases.models import (
    OFFENCE_GROUP,
    AgeBand,
    Case,
    CaseParty,
    CaseStatus,
    ContactChannel,
    Decision,
    Ethnicity,
    Gender,
    Offence,
    PartyRole,
    Referral,
    ReferralReason,
    ReferringAgency,
    Relationship,
    StalkerType,
)
from costs.models import CostAccount, TimeEntry
from followups.models import (
    FollowUpReview,
    MonitoringBasis,
    ReoffendingKind,
    ReoffendingRecord,
    ReoffendingSource,
    ReoffendingVictim,
    ReviewStatus,
)
from interventions.models import Appointment, Intervention, InterventionStatus, InterventionType, Method
from masip.replica import read_alias
from reporting.models import Period, TrainingAudience, TrainingEvent
from risk.models import Assessment, Instrument
from risk.models import Status as AssessmentStatus
from triage.models import AgendaItem, MeetingKind

Choices = tuple[tuple[str, str], ...]

NOT_COMPLETED = "not_completed"
UNKNOWN = "unknown"
NONE = "none"


def _choices(enum: type[models.TextChoices] | type[models.IntegerChoices]) -> Choices:
    return tuple((str(value), str(label)) for value, label in enum.choices)


# --- periods ---------------------------------------------------------------------------------------


def _primary_parties(role: str) -> QuerySet[Any]:
    return CaseParty.objects.filter(role=role, is_primary=True)


@dataclass(frozen=True)
class Quarter:
    """A quarter of the UK financial year: ``year`` 2026 is 2026/27; Q1 is April to June."""

    year: int
    number: int

    @property
    def start(self) -> dt.date:
        month = 4 + (self.number - 1) * 3
        return dt.date(self.year + (month > 12), (month - 1) % 12 + 1, 1)

    @property
    def end(self) -> dt.date:
        nxt = Quarter(self.year + (self.number == 4), self.number % 4 + 1)
        return nxt.start - dt.timedelta(days=1)

    @property
    def year_start(self) -> dt.date:
        return dt.date(self.year, 4, 1)

    @property
    def key(self) -> str:
        return f"{self.year}-Q{self.number}"

    @property
    def label(self) -> str:
        return f"{self.year}/{(self.year + 1) % 100:02d} Q{self.number}"

    @property
    def long_label(self) -> str:
        return f"{self.label} ({self.start:%-d %B %Y} to {self.end:%-d %B %Y})"

    def previous(self) -> Quarter:
        return Quarter(self.year - 1, 4) if self.number == 1 else Quarter(self.year, self.number - 1)

    def range_for(self, period: str) -> tuple[dt.date, dt.date]:
        return (self.year_start if period == Period.YEAR_TO_DATE else self.start), self.end

    @classmethod
    def containing(cls, day: dt.date) -> Quarter:
        year = day.year if day.month >= 4 else day.year - 1
        return cls(year, (day.month - 4) % 12 // 3 + 1)

    @classmethod
    def parse(cls, key: str) -> Quarter | None:
        """``2026-Q3`` (the financial year 2026/27, October to December 2026), or None."""
        try:
            year_text, number_text = key.strip().upper().split("-Q")
            year, number = int(year_text), int(number_text)
        except ValueError:
            return None
        if not (2000 <= year <= 2100 and 1 <= number <= 4):
            return None
        return cls(year, number)


def recent_quarters(today: dt.date, count: int = 8) -> list[Quarter]:
    """The current quarter and the ``count - 1`` before it, newest first."""
    quarters = [Quarter.containing(today)]
    while len(quarters) < count:
        quarters.append(quarters[-1].previous())
    return quarters


def aware_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


# --- filters ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Filter:
    key: str
    label: str
    choices: Choices
    # (measure, chosen values) -> condition on the measure's model
    condition: Callable[[Measure, list[str]], Q]
    description: str = ""


def _case_field(name: str) -> Callable[[Measure, list[str]], Q]:
    def condition(measure: Measure, values: list[str]) -> Q:
        return Q(**{f"{measure.case_path}{name}__in": values})

    return condition


def _tier_condition(measure: Measure, values: list[str]) -> Q:
    tiers = [int(v) for v in values if v != NONE]
    q = Q(**{f"{measure.case_path}tier__in": tiers})
    if NONE in values:
        q |= Q(**{f"{measure.case_path}tier__isnull": True})
    return q


def _risk_condition(measure: Measure, values: list[str]) -> Q:
    levels = [v for v in values if v != "not_assessed"]
    q = Q(**{f"{measure.case_path}current_risk__in": levels})
    if "not_assessed" in values:
        q |= Q(**{f"{measure.case_path}current_risk": ""})
    return q


def _yes_no(field_path: Callable[[Measure], str]) -> Callable[[Measure, list[str]], Q]:
    def condition(measure: Measure, values: list[str]) -> Q:
        return Q(**{f"{field_path(measure)}__in": [v == "yes" for v in values]})

    return condition


def _own_field(name: str) -> Callable[[Measure, list[str]], Q]:
    def condition(measure: Measure, values: list[str]) -> Q:
        return Q(**{f"{name}__in": values})

    return condition


def _case_intervention_condition(measure: Measure, values: list[str]) -> Q:
    """The row's case had an intervention of one of these types (any status): re-offending of the
    cases that had a direct intervention, against that of the others."""
    assert measure.case_path is not None
    return Q(
        Exists(Intervention.objects.filter(case_id=OuterRef(f"{measure.case_path}pk"), type__in=values).order_by())
    )


def _offence_condition(measure: Measure, values: list[str]) -> Q:
    """s.4A takes in both its limbs (the evaluation-tables spec: they count as s.4A wherever a
    table groups by offence); a limb chosen on its own is that limb alone."""
    expanded = [*values, *(limb for limb, group in OFFENCE_GROUP.items() if group in values)]
    return Q(**{f"{measure.case_path}referral__offence__in": expanded})


def _offence_expression(measure: Measure, basis: DateBasis) -> Any:
    path = f"{measure.case_path}referral__offence"
    return CaseWhen(
        When(**{f"{path}__in": list(OFFENCE_GROUP)}, then=Value(str(Offence.S4A_STALKING))),
        default=F(path),
        output_field=models.CharField(),
    )


# The offences as a breakdown: the limbs of s.4A are counted under it.
OFFENCE_GROUPS: Choices = tuple((k, label) for k, label in _choices(Offence) if k not in OFFENCE_GROUP)


def _agency_kind_condition(measure: Measure, values: list[str]) -> Q:
    assert measure.agency_path is not None
    return Q(**{f"{measure.agency_path}kind__in": values})


def _session_outcome_q(value: str) -> Q:
    return {
        "delivered": Q(happened=True),
        "missed": Q(attendance="did_not_attend"),
        "not_held_by_service": Q(happened=False, not_happened_reason="logistics"),
    }[value]


def _session_outcome_condition(measure: Measure, values: list[str]) -> Q:
    q = Q(pk__in=[])
    for value in values:
        q |= _session_outcome_q(value)
    return q


def _review_outcome_condition(measure: Measure, values: list[str]) -> Q:
    q = Q(pk__in=[])
    if "reoffended" in values:
        q |= Q(reoffended=True)
    if "none_found" in values:
        q |= Q(reoffended=False)
    return q


YES_NO: Choices = (("yes", "Yes"), ("no", "No"))
TIER_CHOICES: Choices = (("1", "Tier 1"), ("2", "Tier 2"), ("3", "Tier 3"), ("4", "Tier 4"), (NONE, "No tier"))
RISK_CHOICES: Choices = (("low", "Low"), ("moderate", "Moderate"), ("high", "High"), ("not_assessed", "Not assessed"))
SESSION_OUTCOMES: Choices = (
    ("delivered", "Delivered (attended or attended late)"),
    ("missed", "Missed (did not attend)"),
    ("not_held_by_service", "Not held: the service could not hold it"),
)
REVIEW_OUTCOMES: Choices = (("reoffended", "Re-offending found"), ("none_found", "No re-offending found"))

FILTERS: dict[str, Filter] = {
    f.key: f
    for f in (
        Filter(
            "referring_agency",
            "Referring agency",
            _choices(ReferringAgency),
            _case_field("referral__referring_agency_kind"),
            "The kind of agency the referral came from.",
        ),
        Filter(
            "offence",
            "Offence as recorded on the referral",
            _choices(Offence),
            _offence_condition,
            "s.4A stalking takes in both its limbs (Home Office 008/65 and 008/66).",
        ),
        Filter(
            "decision",
            "Triage decision",
            _choices(Decision),
            _case_field("decision"),
            "The case's decision: accepted, one of the three decline reasons, or pending.",
        ),
        Filter("tier", "Tier", TIER_CHOICES, _tier_condition, "The case's tier (1 to 4), or no tier."),
        Filter(
            "current_risk",
            "Current risk",
            RISK_CHOICES,
            _risk_condition,
            "The case's current overall risk (from its latest assessments) when the return is generated.",
        ),
        Filter("heard_at_clinic", "Heard at clinic", YES_NO, _yes_no(lambda m: f"{m.case_path}heard_at_clinic")),
        Filter(
            "case_status",
            "Case status",
            _choices(CaseStatus),
            _case_field("status"),
            "The case's status when the return is generated.",
        ),
        Filter("intervention_type", "Intervention type", _choices(InterventionType), _own_field("type")),
        Filter("intervention_status", "Intervention status", _choices(InterventionStatus), _own_field("status")),
        Filter(
            "agency_kind",
            "Kind of agency that delivered it",
            _choices(AgencyKind),
            _agency_kind_condition,
            "The agency of the staff member or team that delivered the contact, intervention or training.",
        ),
        Filter("contact_channel", "Contact channel", _choices(ContactChannel), _own_field("channel")),
        Filter(
            "session_outcome",
            "Session outcome",
            SESSION_OUTCOMES,
            _session_outcome_condition,
            "Appointments fed back as delivered, missed by the perpetrator, or not held by the service.",
        ),
        Filter("review_status", "Follow-up review status", _choices(ReviewStatus), _own_field("status")),
        Filter("review_outcome", "Follow-up review outcome", REVIEW_OUTCOMES, _review_outcome_condition),
        Filter(
            "monitoring_basis",
            "Monitoring from",
            _choices(MonitoringBasis),
            _own_field("period__basis"),
            "The monitoring from the case's acceptance, or from the end of the direct intervention.",
        ),
        Filter("reoffending_kind", "Re-offending kind", _choices(ReoffendingKind), _own_field("kind")),
        Filter("reoffending_victim", "Re-offending against", _choices(ReoffendingVictim), _own_field("victim")),
        Filter(
            "case_intervention_type",
            "The case had an intervention of type",
            _choices(InterventionType),
            _case_intervention_condition,
            "Cases that had an intervention of one of these types, whatever its status (for example, re-offending "
            "of the cases whose perpetrator had a direct intervention).",
        ),
        Filter("training_audience", "Training audience", _choices(TrainingAudience), _own_field("audience")),
    )
}

CASE_FILTERS = ("referring_agency", "offence", "decision", "tier", "current_risk", "heard_at_clinic", "case_status")


# --- breakdowns ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Dimension:
    key: str
    label: str
    # Fixed categories, in display order. Empty: the categories are the values found
    # (months, agencies, checkpoints), labelled by ``label_for``.
    categories: Choices
    # (measure, date basis) -> an expression giving each row's category value
    expression: Callable[[Measure, DateBasis], Any]
    description: str = ""
    label_for: Callable[[Any], str] | None = None


def _value_or(path: str, blank: str) -> Any:
    """A text field, with the blank value shown as ``blank``."""
    return CaseWhen(When(**{path: ""}, then=Value(blank)), default=F(path), output_field=models.CharField())


def _case_dim(name: str, blank: str | None = None) -> Callable[[Measure, DateBasis], Any]:
    def expression(measure: Measure, basis: DateBasis) -> Any:
        path = f"{measure.case_path}{name}"
        return _value_or(path, blank) if blank else F(path)

    return expression


def _tier_expression(measure: Measure, basis: DateBasis) -> Any:
    path = f"{measure.case_path}tier"
    return Coalesce(Cast(path, models.CharField()), Value(NONE))


def _risk_expression(measure: Measure, basis: DateBasis) -> Any:
    return _value_or(f"{measure.case_path}current_risk", "not_assessed")


def _assessment_at_triage(measure: Measure, instrument_key: str) -> Any:
    """The level of the case's assessment with ``instrument_key`` that stood at its triage decision.

    The latest completed assessment dated on or before the decision date that no completed
    amendment replaced; "not completed" when there is none (or no decision yet).
    """
    case_ref = measure.case_path
    superseded = Assessment.objects.filter(amends=OuterRef("pk"), status=AssessmentStatus.COMPLETED)
    # The instrument's id as a one-off subquery (an InitPlan), so each case's probe is a pure index
    # lookup on (case, instrument, status) rather than a join to the instruments per case.
    instrument = Subquery(Instrument.objects.filter(key=instrument_key).values("id")[:1])
    latest = (
        Assessment.objects.filter(
            case_id=OuterRef(f"{case_ref}id"),
            instrument_id=instrument,
            status=AssessmentStatus.COMPLETED,
            assessed_on__lte=OuterRef(f"{case_ref}decided_on"),
        )
        .exclude(Exists(superseded))
        .order_by("-assessed_on", "-id")
        .values("level")[:1]
    )
    return Coalesce(Subquery(latest, output_field=models.CharField()), Value(NOT_COMPLETED))


def _person_dim(name: str, blank: str) -> Callable[[Measure, DateBasis], Any]:
    def expression(measure: Measure, basis: DateBasis) -> Any:
        assert measure.person_path is not None
        return _value_or(f"{measure.person_path}{name}", blank)

    return expression


class _AgeAt(Func):
    """Whole years between a date of birth and a date (PostgreSQL ``age``)."""

    template = "EXTRACT(YEAR FROM AGE(%(expressions)s))::integer"
    output_field = IntegerField()


AGE_BAND_LIMITS: tuple[tuple[int, str], ...] = (
    (25, AgeBand.UNDER_25),
    (35, AgeBand.AGE_25_34),
    (45, AgeBand.AGE_35_44),
    (55, AgeBand.AGE_45_54),
    (65, AgeBand.AGE_55_64),
)


def _age_band_expression(measure: Measure, basis: DateBasis) -> Any:
    """Age band at the referral's received date from the date of birth; else the band recorded."""
    assert measure.person_path is not None
    person = measure.person_path
    age = _AgeAt(F(f"{measure.case_path}received_on"), F(f"{person}date_of_birth"))
    # With no date of birth the age is NULL and no comparison holds: the recorded band decides.
    whens = [When(_LessThan(age, Value(limit)), then=Value(str(band))) for limit, band in AGE_BAND_LIMITS]
    whens.append(When(Q(**{f"{person}date_of_birth__isnull": False}), then=Value(str(AgeBand.AGE_65_PLUS))))
    whens.append(When(Q(**{f"{person}age_band": ""}), then=Value(UNKNOWN)))
    return CaseWhen(*whens, default=F(f"{person}age_band"), output_field=models.CharField())


class _LessThan(Func):
    template = "(%(expressions)s)"
    arg_joiner = " < "
    output_field = models.BooleanField()


def _month_expression(measure: Measure, basis: DateBasis) -> Any:
    if basis.month is not None:
        return basis.month(measure)
    if basis.is_datetime:
        return TruncMonth(TruncDate(basis.field))
    return TruncMonth(basis.field)


def _month_label(value: Any) -> str:
    return value.strftime("%B %Y") if value else "No date"


def _agency_name_expression(measure: Measure, basis: DateBasis) -> Any:
    assert measure.agency_path is not None
    return F(f"{measure.agency_path}name")


def _session_outcome_expression(measure: Measure, basis: DateBasis) -> Any:
    return CaseWhen(
        *[When(_session_outcome_q(value), then=Value(value)) for value, _ in SESSION_OUTCOMES],
        default=Value("other"),
        output_field=models.CharField(),
    )


def _review_outcome_expression(measure: Measure, basis: DateBasis) -> Any:
    return CaseWhen(
        When(reoffended=True, then=Value("reoffended")),
        When(reoffended=False, then=Value("none_found")),
        default=Value("open"),
        output_field=models.CharField(),
    )


def _own(name: str) -> Callable[[Measure, DateBasis], Any]:
    return lambda measure, basis: F(name)


SASH_LEVELS: Choices = (
    ("low", "Low"),
    ("moderate", "Moderate"),
    ("moderate_high", "Moderate/high"),
    ("high", "High"),
    (NOT_COMPLETED, "Not completed"),
)
DASH_LEVELS: Choices = (
    ("standard", "Standard"),
    ("medium", "Medium"),
    ("high", "High"),
    (NOT_COMPLETED, "Not completed"),
)

DIMENSIONS: dict[str, Dimension] = {
    d.key: d
    for d in (
        Dimension(
            "month", "Month", (), _month_expression, "The calendar month of the measure's date.", label_for=_month_label
        ),
        Dimension(
            "referring_agency",
            "Referring agency",
            _choices(ReferringAgency),
            _case_dim("referral__referring_agency_kind"),
        ),
        Dimension(
            "offence",
            "Offence",
            OFFENCE_GROUPS,
            _offence_expression,
            "Both limbs of s.4A stalking (Home Office 008/65 and 008/66) are counted under s.4A.",
        ),
        Dimension(
            "referral_reason", "Referral reason", _choices(ReferralReason), _case_dim("referral__referral_reason")
        ),
        Dimension(
            "relationship",
            "Relationship of perpetrator to victim",
            _choices(Relationship),
            _case_dim("referral__relationship"),
        ),
        Dimension("decision", "Triage decision", _choices(Decision), _case_dim("decision")),
        Dimension("tier", "Tier", TIER_CHOICES, _tier_expression),
        Dimension(
            "sash_at_triage",
            "SASH level of concern at triage",
            SASH_LEVELS,
            lambda m, b: _assessment_at_triage(m, "sash"),
            "The latest completed SASH dated on or before the triage decision (amended ones replaced by "
            "their amendment); not completed when there is none.",
        ),
        Dimension(
            "dash_at_triage",
            "DASH risk level at triage",
            DASH_LEVELS,
            lambda m, b: _assessment_at_triage(m, "dash"),
            "The DASH risk level (the scored band, raised by professional judgement where it was) of the "
            "latest completed DASH dated on or before the triage decision; not completed when there is none.",
        ),
        Dimension("current_risk", "Current risk", RISK_CHOICES, _risk_expression),
        Dimension(
            "stalker_type",
            "Stalker type",
            (*_choices(StalkerType), (UNKNOWN, "Not recorded")),
            _case_dim("stalker_type", UNKNOWN),
        ),
        Dimension("case_status", "Case status", _choices(CaseStatus), _case_dim("status")),
        Dimension("gender", "Gender", _choices(Gender), _person_dim("gender", UNKNOWN)),
        Dimension(
            "age_band",
            "Age band",
            (*_choices(AgeBand), (UNKNOWN, "Not known")),
            _age_band_expression,
            "Age at the referral's received date from the date of birth; the age band recorded when there "
            "is no date of birth.",
        ),
        Dimension(
            "ethnicity",
            "Ethnicity",
            (*_choices(Ethnicity), (UNKNOWN, "Not recorded")),
            _person_dim("ethnicity", UNKNOWN),
        ),
        Dimension("intervention_type", "Intervention type", _choices(InterventionType), _own("type")),
        Dimension("intervention_status", "Intervention status", _choices(InterventionStatus), _own("status")),
        Dimension(
            "agency",
            "Agency",
            (),
            _agency_name_expression,
            "The agency that delivered it, by name.",
            label_for=lambda v: str(v),
        ),
        Dimension("contact_channel", "Contact channel", _choices(ContactChannel), _own("channel")),
        Dimension(
            "session_outcome",
            "Session outcome",
            (*SESSION_OUTCOMES, ("other", "Not yet fed back")),
            _session_outcome_expression,
        ),
        Dimension("session_method", "Session method", _choices(Method), _own("method")),
        Dimension(
            "review_outcome",
            "Follow-up review outcome",
            (*REVIEW_OUTCOMES, ("open", "Open")),
            _review_outcome_expression,
        ),
        Dimension(
            "checkpoint", "Follow-up checkpoint", (), _own("checkpoint_months"), label_for=lambda v: f"{v} months"
        ),
        Dimension(
            "monitoring_basis",
            "Monitoring from",
            _choices(MonitoringBasis),
            _own("period__basis"),
            "Whether the review belongs to the monitoring from the case's acceptance or from the end of treatment.",
        ),
        Dimension("reoffending_kind", "Re-offending kind", _choices(ReoffendingKind), _own("kind")),
        Dimension("reoffending_victim", "Re-offending against", _choices(ReoffendingVictim), _own("victim")),
        Dimension("reoffending_source", "Re-offending source", _choices(ReoffendingSource), _own("source")),
        Dimension("training_audience", "Training audience", _choices(TrainingAudience), _own("audience")),
    )
}

CASE_DIMENSIONS = (
    "referring_agency",
    "offence",
    "referral_reason",
    "relationship",
    "decision",
    "tier",
    "sash_at_triage",
    "dash_at_triage",
    "current_risk",
    "stalker_type",
    "case_status",
)
PERSON_DIMENSIONS = ("gender", "age_band", "ethnicity")


# --- date bases and measures ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class DateBasis:
    key: str
    label: str
    field: str = ""
    is_datetime: bool = False
    # A condition of its own (instead of ``field`` in the range), and the month it falls in.
    condition: Callable[[Measure, dt.date, dt.date], Q] | None = None
    month: Callable[[Measure], Any] | None = None

    def q(self, measure: Measure, start: dt.date, end: dt.date) -> Q:
        if self.condition is not None:
            return self.condition(measure, start, end)
        if self.is_datetime:
            return Q(
                **{
                    f"{self.field}__gte": aware_start(start),
                    f"{self.field}__lt": aware_start(end + dt.timedelta(days=1)),
                }
            )
        return Q(**{f"{self.field}__gte": start, f"{self.field}__lte": end})


def _heard_at_clinic_condition(measure: Measure, start: dt.date, end: dt.date) -> Q:
    """On a clinic meeting's agenda in the period; for a case marked heard at clinic with no clinic
    meeting on record (imported or recorded before meetings were), its decision date stands in."""
    case_ref = measure.case_path
    any_clinic = AgendaItem.objects.filter(case_id=OuterRef(f"{case_ref}id"), meeting__kind=MeetingKind.CLINIC)
    # The quarter's clinic hearings as one uncorrelated set (hashed once), not a probe per case.
    heard = AgendaItem.objects.filter(
        meeting__kind=MeetingKind.CLINIC,
        meeting__starts_at__gte=aware_start(start),
        meeting__starts_at__lt=aware_start(end + dt.timedelta(days=1)),
    ).values("case_id")
    return Q(**{f"{case_ref}id__in": heard}) | (
        Q(
            **{
                f"{case_ref}heard_at_clinic": True,
                f"{case_ref}decided_on__gte": start,
                f"{case_ref}decided_on__lte": end,
            }
        )
        & ~Q(Exists(any_clinic))
    )


def _heard_at_clinic_month(measure: Measure) -> Any:
    first = (
        AgendaItem.objects.filter(case_id=OuterRef(f"{measure.case_path}id"), meeting__kind=MeetingKind.CLINIC)
        .order_by("meeting__starts_at")
        .annotate(day=TruncDate("meeting__starts_at"))
        .values("day")[:1]
    )
    return TruncMonth(Coalesce(Subquery(first, output_field=models.DateField()), F(f"{measure.case_path}decided_on")))


def _open_at_end_condition(measure: Measure, start: dt.date, end: dt.date) -> Q:
    p = measure.case_path
    return Q(**{f"{p}decision": Decision.ACCEPTED, f"{p}decided_on__lte": end}) & (
        Q(**{f"{p}closed_on__isnull": True}) | Q(**{f"{p}closed_on__gt": end})
    )


def _intervention_open_at_end(measure: Measure, start: dt.date, end: dt.date) -> Q:
    return (
        Q(started_on__lte=end)
        & (Q(ended_on__isnull=True) | Q(ended_on__gt=end))
        & ~Q(status=InterventionStatus.CANCELLED, ended_on__isnull=True)
    )


@dataclass(frozen=True)
class Measure:
    key: str
    label: str
    unit: str
    description: str
    queryset: Callable[[], QuerySet[Any]]
    partnership_path: str
    date_bases: tuple[DateBasis, ...]
    # Path from the model to its case ("" for Case itself); None when not about a case.
    case_path: str | None
    filters: tuple[str, ...]
    dimensions: tuple[str, ...]
    # "rows", or "distinct:<path>" or "sum:<path>"
    count: str = "rows"
    person_path: str | None = None
    agency_path: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def basis(self, key: str) -> DateBasis:
        return next(b for b in self.date_bases if b.key == key)

    @property
    def aggregate(self) -> Any:
        if self.count == "rows":
            return Count("pk")
        kind, path = self.count.split(":")
        if kind == "distinct":
            return Count(path, distinct=True)
        return Coalesce(Sum(path), 0)


def _case_measures() -> list[Measure]:
    victim_basis = (
        DateBasis("case_received", "The case's referral was received in the period", "case__received_on"),
        DateBasis("case_decided", "The case's triage decision was made in the period", "case__decided_on"),
    )
    party_dims = ("month", *PERSON_DIMENSIONS, *CASE_DIMENSIONS)
    return [
        Measure(
            key="referrals",
            label="Referrals",
            unit="referrals",
            description="Referrals received by the partnership.",
            queryset=lambda: Referral.objects.all(),
            partnership_path="partnership_id",
            date_bases=(DateBasis("received", "Received in the period", "received_on"),),
            case_path="case__",
            filters=CASE_FILTERS,
            dimensions=("month", "referring_agency", "offence", "referral_reason", "relationship", "decision", "tier"),
        ),
        Measure(
            key="cases",
            label="Cases",
            unit="cases",
            description="Cases (one per referral), counted on the date chosen.",
            queryset=lambda: Case.objects.all(),
            partnership_path="partnership_id",
            date_bases=(
                DateBasis("decided", "Triage decision made in the period", "decided_on"),
                DateBasis("received", "Referral received in the period", "received_on"),
                DateBasis(
                    "heard_at_clinic",
                    "Heard at a stalking clinic in the period",
                    condition=_heard_at_clinic_condition,
                    month=_heard_at_clinic_month,
                ),
                DateBasis("closed", "Closed in the period", "closed_on"),
                DateBasis(
                    "open_at_end",
                    "Accepted and still open at the end of the period",
                    condition=_open_at_end_condition,
                    month=lambda m: TruncMonth("decided_on"),
                ),
            ),
            case_path="",
            filters=CASE_FILTERS,
            dimensions=("month", *CASE_DIMENSIONS),
        ),
        *(
            Measure(
                key=key,
                label=label,
                unit="people",
                description=f"Distinct people who are the primary {role.label.lower()} of a case.",
                queryset=functools.partial(_primary_parties, role),
                partnership_path="case__partnership_id",
                # Both sides of a case are counted by the same dates (the case's).
                date_bases=victim_basis,
                case_path="case__",
                person_path="person__",
                filters=CASE_FILTERS,
                dimensions=party_dims,
                count="distinct:person_id",
            )
            for key, label, role in (
                ("victims", "Victims", PartyRole.VICTIM),
                ("perpetrators", "Perpetrators", PartyRole.PERPETRATOR),
            )
        ),
        Measure(
            key="victims_supported",
            label="Victims supported by an advocate",
            unit="people",
            description="Distinct victims with at least one contact in the advocacy contact log in the period.",
            queryset=lambda: ContactLogEntry.objects.all(),
            partnership_path="case__partnership_id",
            date_bases=(DateBasis("contact", "A contact in the period", "occurred_at", is_datetime=True),),
            case_path="case__",
            person_path="person__",
            agency_path="staff_member__agency__",
            filters=(*CASE_FILTERS, "contact_channel", "agency_kind"),
            dimensions=("month", *PERSON_DIMENSIONS, *CASE_DIMENSIONS, "contact_channel", "agency"),
            count="distinct:person_id",
        ),
        Measure(
            key="contacts",
            label="Advocacy contacts",
            unit="contacts",
            description="Contacts with victims recorded in the advocacy contact log.",
            queryset=lambda: ContactLogEntry.objects.all(),
            partnership_path="case__partnership_id",
            date_bases=(DateBasis("contact", "Made in the period", "occurred_at", is_datetime=True),),
            case_path="case__",
            person_path="person__",
            agency_path="staff_member__agency__",
            filters=(*CASE_FILTERS, "contact_channel", "agency_kind"),
            dimensions=("month", "contact_channel", "agency", *CASE_DIMENSIONS),
        ),
        Measure(
            key="safety_plans",
            label="Safety plans",
            unit="safety plans",
            description="Victims' safety plans (one per victim and case), counted when started.",
            queryset=lambda: SafetyPlan.objects.all(),
            partnership_path="case__partnership_id",
            date_bases=(DateBasis("started", "Started in the period", "created_at", is_datetime=True),),
            case_path="case__",
            person_path="person__",
            filters=CASE_FILTERS,
            dimensions=("month", *PERSON_DIMENSIONS, *CASE_DIMENSIONS),
        ),
        Measure(
            key="interventions",
            label="Interventions",
            unit="interventions",
            description="Interventions of any type (perpetrator or victim), counted on the date chosen.",
            queryset=lambda: Intervention.objects.all(),
            partnership_path="case__partnership_id",
            date_bases=(
                DateBasis("started", "Started in the period", "started_on"),
                DateBasis("ended", "Ended in the period (completed, dropped out or cancelled)", "ended_on"),
                DateBasis(
                    "open_at_end",
                    "Started and not ended at the end of the period",
                    condition=_intervention_open_at_end,
                    month=lambda m: TruncMonth("started_on"),
                ),
            ),
            case_path="case__",
            agency_path="agency__",
            filters=(*CASE_FILTERS, "intervention_type", "intervention_status", "agency_kind"),
            dimensions=("month", "intervention_type", "intervention_status", "agency", *CASE_DIMENSIONS),
        ),
        Measure(
            key="sessions",
            label="Therapy sessions",
            unit="appointments",
            description="Appointments for the sessions of direct interventions, fed back as delivered, missed "
            "or not held (appointments rescheduled before their time are not counted).",
            queryset=lambda: Appointment.objects.filter(feedback_at__isnull=False),
            partnership_path="session__intervention__case__partnership_id",
            date_bases=(DateBasis("held", "Booked for a time in the period", "starts_at", is_datetime=True),),
            case_path="session__intervention__case__",
            agency_path="session__intervention__agency__",
            filters=(*CASE_FILTERS, "session_outcome", "agency_kind"),
            dimensions=("month", "session_outcome", "session_method", "agency", *CASE_DIMENSIONS),
        ),
        Measure(
            key="followup_reviews",
            label="Follow-up reviews",
            unit="reviews",
            description="Re-offending follow-up reviews at the monitoring checkpoints (3, 6, 9, 12 months).",
            queryset=lambda: FollowUpReview.objects.all(),
            partnership_path="case__partnership_id",
            date_bases=(
                DateBasis("completed", "Completed in the period", "completed_at", is_datetime=True),
                DateBasis("due", "Due in the period", "due_on"),
            ),
            case_path="case__",
            filters=(*CASE_FILTERS, "review_status", "review_outcome", "monitoring_basis", "case_intervention_type"),
            dimensions=("month", "checkpoint", "monitoring_basis", "review_outcome", *CASE_DIMENSIONS),
        ),
        Measure(
            key="reoffending_cases",
            label="Cases with re-offending",
            unit="cases",
            description="Distinct cases with at least one re-offending record (persistence or recurrence).",
            queryset=lambda: ReoffendingRecord.objects.all(),
            partnership_path="case__partnership_id",
            date_bases=(
                DateBasis("recorded", "Found (recorded) in the period", "created_at", is_datetime=True),
                DateBasis("occurred", "Occurred in the period", "occurred_on"),
            ),
            case_path="case__",
            filters=(*CASE_FILTERS, "reoffending_kind", "reoffending_victim", "case_intervention_type"),
            dimensions=("month", "reoffending_kind", "reoffending_victim", "reoffending_source", *CASE_DIMENSIONS),
            count="distinct:case_id",
        ),
        Measure(
            key="reoffending_records",
            label="Re-offending records",
            unit="occurrences",
            description="Occurrences of re-offending recorded (a case may have several).",
            queryset=lambda: ReoffendingRecord.objects.all(),
            partnership_path="case__partnership_id",
            date_bases=(
                DateBasis("recorded", "Found (recorded) in the period", "created_at", is_datetime=True),
                DateBasis("occurred", "Occurred in the period", "occurred_on"),
            ),
            case_path="case__",
            filters=(*CASE_FILTERS, "reoffending_kind", "reoffending_victim", "case_intervention_type"),
            dimensions=("month", "reoffending_kind", "reoffending_victim", "reoffending_source", *CASE_DIMENSIONS),
        ),
        Measure(
            key="staff_minutes",
            label="Staff time",
            unit="minutes",
            description="Minutes of staff time recorded on cases (meetings, contacts, sessions, assessments, "
            "safeguarding, court support), other agencies' people by role included (docs/costs.md).",
            queryset=lambda: TimeEntry.objects.all(),
            partnership_path="partnership_id",
            date_bases=(DateBasis("worked", "Worked in the period", "occurred_on"),),
            case_path="case__",
            agency_path="agency__",
            filters=(*CASE_FILTERS, "agency_kind"),
            dimensions=("month", "agency", *CASE_DIMENSIONS),
            count="sum:minutes",
        ),
        Measure(
            key="cost_accounts_finished",
            label="Cost accounts finished",
            unit="cases",
            description="Cases whose cost account (what happened, the best and worst cases, the ratios) was finished.",
            queryset=lambda: CostAccount.objects.all(),
            partnership_path="partnership_id",
            date_bases=(DateBasis("finished", "Finished in the period", "finished_at", is_datetime=True),),
            case_path="case__",
            filters=CASE_FILTERS,
            dimensions=("month", *CASE_DIMENSIONS),
        ),
        Measure(
            key="training_events",
            label="Training sessions",
            unit="sessions",
            description="Training and consultancy sessions delivered to other professionals.",
            queryset=lambda: TrainingEvent.objects.all(),
            partnership_path="partnership_id",
            date_bases=(DateBasis("delivered", "Delivered in the period", "delivered_on"),),
            case_path=None,
            agency_path="delivering_agency__",
            filters=("training_audience", "agency_kind"),
            dimensions=("month", "training_audience", "agency"),
        ),
        Measure(
            key="training_attendees",
            label="Training attendees",
            unit="attendees",
            description="Professionals who attended training sessions (the sum of each session's attendees).",
            queryset=lambda: TrainingEvent.objects.all(),
            partnership_path="partnership_id",
            date_bases=(DateBasis("delivered", "Delivered in the period", "delivered_on"),),
            case_path=None,
            agency_path="delivering_agency__",
            filters=("training_audience", "agency_kind"),
            dimensions=("month", "training_audience", "agency"),
            count="sum:attendees",
        ),
    ]


MEASURES: dict[str, Measure] = {m.key: m for m in _case_measures()}


# --- validation -------------------------------------------------------------------------------------------------


@dataclass
class IndicatorSpec:
    """An indicator as the services take it (and as the admin and the API send it)."""

    key: str
    label: str
    section: str
    measure: str
    date_basis: str = ""
    period: str = Period.QUARTER
    filters: dict[str, list[str]] = field(default_factory=dict)
    breakdown: str = ""


def validate_spec(spec: IndicatorSpec) -> dict[str, str]:
    """Field errors of one indicator against the vocabulary (empty when it is valid)."""
    errors: dict[str, str] = {}
    measure = MEASURES.get(spec.measure)
    if measure is None:
        return {"measure": "Choose a measure from the list"}
    if spec.date_basis not in {b.key for b in measure.date_bases}:
        errors["date_basis"] = f"Choose which date {measure.label.lower()} are counted on"
    if spec.period not in Period.values:
        errors["period"] = "Choose the quarter or the year to date"
    if not isinstance(spec.filters, dict):
        errors["filters"] = "Filters must be a mapping of filter to values"
    else:
        for key, values in spec.filters.items():
            if key not in measure.filters:
                errors["filters"] = f"{measure.label} cannot be filtered by “{key}”"
                break
            allowed = {value for value, _ in FILTERS[key].choices}
            if not isinstance(values, list) or not values or any(v not in allowed for v in values):
                errors["filters"] = f"Choose values of “{FILTERS[key].label}” from its list"
                break
    if spec.breakdown and spec.breakdown not in measure.dimensions:
        errors["breakdown"] = f"{measure.label} cannot be broken down by “{spec.breakdown}”"
    return errors


# --- computing one indicator -----------------------------------------------------------------------------------


@dataclass
class Row:
    value: str
    label: str
    count: int


@dataclass
class Figure:
    total: int
    rows: list[Row]


@contextmanager
def snapshot() -> Iterator[None]:
    """Compute a return's figures inside this: one consistent view of the database, and no JIT.

    REPEATABLE READ, READ ONLY: every indicator reads the same committed state, so the
    figures of one return agree with each other even while cases are being recorded.
    ``jit = off``: the breakdowns by risk at triage plan a correlated subquery per case,
    whose cost estimate sends PostgreSQL into JIT compilation; measured on 100,000
    referrals, compiling took 1.1 s of a 1.4 s query that runs in 0.3 s without it
    (docs/performance.md). Inside an outer transaction (a test) only the JIT setting applies.
    Inside ``use_replica()`` the transaction is the replica's (masip/replica.py).
    """
    alias = read_alias()
    connection = connections[alias]
    nested = connection.in_atomic_block
    with transaction.atomic(using=alias):
        with connection.cursor() as cursor:
            if not nested:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            cursor.execute("SET LOCAL jit = off")
        yield


def _base_queryset(spec: IndicatorSpec, partnership_id: int, start: dt.date, end: dt.date) -> QuerySet[Any]:
    measure = MEASURES[spec.measure]
    basis = measure.basis(spec.date_basis)
    qs = measure.queryset().filter(**{measure.partnership_path: partnership_id}).filter(basis.q(measure, start, end))
    for key, values in spec.filters.items():
        qs = qs.filter(FILTERS[key].condition(measure, list(values)))
    return qs


def compute(spec: IndicatorSpec, *, partnership_id: int, quarter: Quarter) -> Figure:
    """One indicator for one partnership and quarter: one aggregate query (two for a breakdown of
    distinct people or cases)."""
    measure = MEASURES[spec.measure]
    start, end = quarter.range_for(spec.period)
    qs = _base_queryset(spec, partnership_id, start, end)
    distinct = measure.count.startswith("distinct:")
    # A count of rows (or a sum) is the sum of its groups, so a breakdown needs no second query;
    # a count of distinct people or cases is not (one person may be in two groups): counted on its own.
    total = (qs.aggregate(n=measure.aggregate)["n"] or 0) if distinct or not spec.breakdown else None
    rows: list[Row] = []
    if spec.breakdown:
        dimension = DIMENSIONS[spec.breakdown]
        basis = measure.basis(spec.date_basis)
        found = {
            item["category"]: item["n"] or 0
            for item in qs.annotate(category=dimension.expression(measure, basis))
            .values("category")
            .annotate(n=measure.aggregate)
            .order_by()
        }
        if dimension.categories:
            # Broken down by a dimension it is also filtered on, a figure lists only the values
            # the filter lets through: "declined, by reason" has no rows for accepted or pending.
            allowed = spec.filters.get(spec.breakdown)
            rows = [
                Row(value, label, found.pop(value, 0))
                for value, label in dimension.categories
                if not allowed or str(value) in allowed
            ]
            # A value the vocabulary does not know (a partnership's own risk band) is still shown.
            rows += [Row(str(v), str(v), n) for v, n in sorted(found.items(), key=lambda kv: str(kv[0]))]
        else:
            label_for = dimension.label_for or str
            if spec.breakdown == "month":
                rows = [Row(m.isoformat(), label_for(m), found.get(m, 0)) for m in _months(start, end)]
                rows += [Row(str(k), label_for(k), n) for k, n in found.items() if k not in set(_months(start, end))]
            else:
                rows = [Row(str(v), label_for(v), n) for v, n in sorted(found.items(), key=lambda kv: str(kv[0]))]
    if total is None:
        total = sum(r.count for r in rows)
    return Figure(total=int(total), rows=rows)


def _months(start: dt.date, end: dt.date) -> list[dt.date]:
    months = []
    day = start.replace(day=1)
    while day <= end:
        months.append(day)
        day = (day + dt.timedelta(days=32)).replace(day=1)
    return months


# --- the documentation ------------------------------------------------------------------------------------------


def vocabulary_markdown() -> str:
    """The measures, date bases, filters and breakdowns, as docs/quarterly-returns.md shows them."""
    lines = ["### Measures", ""]
    for m in MEASURES.values():
        lines.append(f"#### `{m.key}`: {m.label} (counts {m.unit})")
        lines.append("")
        lines.append(m.description)
        lines.append("")
        lines.append("Dates: " + "; ".join(f"`{b.key}` ({b.label.lower()})" for b in m.date_bases) + ".")
        lines.append("")
        lines.append("Filters: " + ", ".join(f"`{f}`" for f in m.filters) + ".")
        lines.append("")
        lines.append("Breakdowns: " + ", ".join(f"`{d}`" for d in m.dimensions) + ".")
        lines.append("")
    lines += ["### Filters", "", "| filter | meaning | values |", "| --- | --- | --- |"]
    for f in FILTERS.values():
        values = ", ".join(f"`{v}`" for v, _ in f.choices)
        lines.append(f"| `{f.key}` | {f.label}{'. ' + f.description if f.description else ''} | {values} |")
    lines += ["", "### Breakdowns", "", "| breakdown | meaning | categories |", "| --- | --- | --- |"]
    for d in DIMENSIONS.values():
        cats = ", ".join(f"`{v}`" for v, _ in d.categories) if d.categories else "the values found"
        lines.append(f"| `{d.key}` | {d.label}{'. ' + d.description if d.description else ''} | {cats} |")
    return "\n".join(lines) + "\n"


# --- the default definition ---------------------------------------------------------------------------------------

_DECLINED = [str(d) for d in (Decision.NOT_STALKING, Decision.NOT_APPLICABLE, Decision.NO_ADDED_VALUE)]
_ACCEPTED = {"decision": [str(Decision.ACCEPTED)]}
_DIRECT = str(InterventionType.PERPETRATOR_DIRECT_INTERVENTION)

DEFAULT_DEFINITION_NAME = "Home Office quarterly return"

# What the Home Office asked the MASIP pilots for (../shared/DOMAIN.md), as indicators.
DEFAULT_INDICATORS: tuple[IndicatorSpec, ...] = (
    IndicatorSpec(
        "referrals_received",
        "Referrals received, by referring agency",
        "Referrals",
        "referrals",
        "received",
        breakdown="referring_agency",
    ),
    IndicatorSpec("cases_accepted", "Referrals accepted", "Triage", "cases", "decided", filters=dict(_ACCEPTED)),
    IndicatorSpec(
        "cases_declined",
        "Referrals declined, by reason",
        "Triage",
        "cases",
        "decided",
        filters={"decision": list(_DECLINED)},
        breakdown="decision",
    ),
    IndicatorSpec("cases_heard_at_clinic", "Cases heard at a stalking clinic", "Triage", "cases", "heard_at_clinic"),
    IndicatorSpec(
        "cases_accepted_by_tier",
        "Cases accepted, by tier",
        "Triage",
        "cases",
        "decided",
        filters=dict(_ACCEPTED),
        breakdown="tier",
    ),
    IndicatorSpec(
        "risk_sash_at_triage",
        "Cases triaged, by SASH level of concern at triage",
        "Risk",
        "cases",
        "decided",
        breakdown="sash_at_triage",
    ),
    IndicatorSpec(
        "risk_dash_at_triage",
        "Cases triaged, by DASH risk level at triage",
        "Risk",
        "cases",
        "decided",
        breakdown="dash_at_triage",
    ),
    IndicatorSpec(
        "victims_supported",
        "Victims supported by an advocate (at least one contact)",
        "Victims",
        "victims_supported",
        "contact",
    ),
    IndicatorSpec("safety_plans_started", "Safety plans started", "Victims", "safety_plans", "started"),
    IndicatorSpec(
        "direct_interventions_started",
        "Perpetrators starting a direct health intervention",
        "Perpetrator interventions",
        "interventions",
        "started",
        filters={"intervention_type": [_DIRECT]},
    ),
    IndicatorSpec(
        "direct_interventions_completed",
        "Perpetrators completing a direct health intervention",
        "Perpetrator interventions",
        "interventions",
        "ended",
        filters={"intervention_type": [_DIRECT], "intervention_status": ["completed"]},
    ),
    IndicatorSpec(
        "direct_interventions_dropped_out",
        "Perpetrators dropping out of a direct health intervention",
        "Perpetrator interventions",
        "interventions",
        "ended",
        filters={"intervention_type": [_DIRECT], "intervention_status": ["dropped_out"]},
    ),
    IndicatorSpec(
        "sessions_delivered",
        "Therapy sessions delivered",
        "Perpetrator interventions",
        "sessions",
        "held",
        filters={"session_outcome": ["delivered"]},
    ),
    IndicatorSpec(
        "sessions_missed",
        "Therapy sessions missed (did not attend)",
        "Perpetrator interventions",
        "sessions",
        "held",
        filters={"session_outcome": ["missed"]},
    ),
    IndicatorSpec(
        "followup_reviews_completed",
        "Follow-up reviews completed, by outcome",
        "Monitoring and re-offending",
        "followup_reviews",
        "completed",
        breakdown="review_outcome",
    ),
    IndicatorSpec(
        "reoffending_found",
        "Cases with re-offending found, by kind",
        "Monitoring and re-offending",
        "reoffending_cases",
        "recorded",
        breakdown="reoffending_kind",
    ),
    IndicatorSpec(
        "training_sessions",
        "Training sessions delivered to other professionals",
        "Training",
        "training_events",
        "delivered",
        breakdown="training_audience",
    ),
    IndicatorSpec(
        "training_attendees", "Professionals attending training", "Training", "training_attendees", "delivered"
    ),
    *[
        IndicatorSpec(
            f"{who}_{dim}",
            f"{label} of cases accepted, by {DIMENSIONS[dim].label.lower()}",
            "Equality",
            who,
            "case_decided",
            filters=dict(_ACCEPTED),
            breakdown=dim,
        )
        for who, label in (("victims", "Victims"), ("perpetrators", "Perpetrators"))
        for dim in PERSON_DIMENSIONS
    ],
)
