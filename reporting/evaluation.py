"""The evaluation tables (../shared/specs/evaluation-tables.md), computed in the database.

Every figure is an aggregate: a handful of queries, each one pass over the partnership's
referrals or cases with conditional ``COUNT(...) FILTER (WHERE ...)``, whatever the size of
the partnership. Python only arranges the counts into the contract's shape and works out
what is derived from them (percentages and the chi-square p-values on the 2×2 tables).

- A case has **reached** *m* months when ``start + m months <= as_of``: the threshold date
  is computed in SQL per case (``decided_on + make_interval(months => m)``), which clamps
  to the end of the month exactly as ``dateutil.relativedelta`` does (31 August + 6 months
  is 29 February). Subtracting *m* months from ``as_of`` instead is not the same rule at
  the ends of months, so it is not used.
- A case **re-offended within** *m* months when its first re-offending on or after the
  start falls before ``start + m months``. Re-offending is what the project exports as
  reoffending.csv: the re-offending records, and the detections of a new referral naming
  the perpetrator that are still awaiting a decision (a confirmed one is a record; a
  rejected one is not re-offending).

docs/evaluation-tables.md explains every figure.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.contrib.postgres.aggregates import ArrayAgg
from django.contrib.postgres.fields import ArrayField
from django.db import connection, transaction
from django.db.models import Case as SqlCase  # the ORM's CASE; cases.models.Case is the model
from django.db.models import (
    CharField,
    Count,
    DateField,
    F,
    FilteredRelation,
    Func,
    IntegerField,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Least, NullIf, TruncMonth

from agencies.models import Partnership
from cases.models import AgeBand, Case, Decision, Gender, PartyRole, ReferringAgency, StalkerType
from followups.models import CandidateStatus, ReoffendingCandidate, ReoffendingRecord
from masip.spreadsheet import formula_safe

# --- the contract's enumerations, in the contract's order --------------------------------------------------------

AGENCIES: tuple[str, ...] = ("police", "probation", "health", "advocacy", "helpline", "marac", "self", "other")
DECISIONS: tuple[str, ...] = ("accepted", "not_stalking", "not_applicable", "no_added_value", "pending")
GENDERS: tuple[str, ...] = ("female", "male", "other", "unknown")
AGE_BANDS: tuple[str, ...] = ("under_25", "25_34", "35_44", "45_54", "55_64", "65_plus")
SASH_LEVELS: tuple[str, ...] = ("low", "moderate", "moderate_high", "high", "not_completed")
TIERS: tuple[str, ...] = ("1", "2", "3", "4", "blank")
STALKER_TYPES: tuple[str, ...] = ("rejected", "intimacy_seeker", "incompetent_suitor", "resentful", "predatory")
INTERVENTION_TYPES: tuple[str, ...] = (
    "comprehensive_risk_assessment",
    "perpetrator_direct_intervention",
    "perpetrator_health_signposting",
    "perpetrator_third_party_consultation",
    "victim_direct_intervention",
    "victim_target_hardening",
    "victim_third_party_consultation",
    "victim_safeguarding",
)
THRESHOLDS: tuple[int, ...] = (3, 6, 9, 12)
# More cases than any partnership will have (see _case_figures).
FENCE = 10**12
# The cohort of the intervention and stalker-type tables: cases that reached six months,
# and re-offending within six months (seeds/004, Tables 4 and 5).
COHORT_MONTHS = 6
SASH_KEY = "sash"

# The contract's vocabulary is the models' vocabulary (cases.models follows the bundle);
# a test holds them equal so a change to either is caught.
MODEL_VOCABULARY: dict[str, tuple[set[str], set[str]]] = {
    "referring_agency": (set(AGENCIES), set(ReferringAgency.values)),
    "decision": (set(DECISIONS), set(Decision.values)),
    "gender": (set(GENDERS), set(Gender.values)),
    "age_band": (set(AGE_BANDS), set(AgeBand.values)),
    "stalker_type": (set(STALKER_TYPES), set(StalkerType.values)),
}


class EvaluationError(ValueError):
    """Bad parameters: ``field`` names which one (``as_of``, ``from``, ``to``)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass(frozen=True)
class Period:
    as_of: dt.date
    date_from: dt.date | None = None
    date_to: dt.date | None = None


def parse_period(*, as_of: str | None, date_from: str | None, date_to: str | None, today: dt.date) -> Period:
    """The parameters as the command and the API take them (ISO dates); ``as_of`` defaults to today."""

    def parse(field: str, raw: str | None) -> dt.date | None:
        if raw is None or raw.strip() == "":
            return None
        try:
            return dt.date.fromisoformat(raw.strip()) if len(raw.strip()) == 10 else _bad(field)
        except ValueError:
            return _bad(field)

    def _bad(field: str) -> dt.date:
        raise EvaluationError(field, f"Enter {field.replace('_', ' ')} as a date like 2019-12-31")

    period = Period(
        as_of=parse("as_of", as_of) or today,
        date_from=parse("from", date_from),
        date_to=parse("to", date_to),
    )
    if period.date_from and period.date_to and period.date_from > period.date_to:
        raise EvaluationError("to", "The end of the period must be on or after its start")
    return period


# --- SQL helpers ---------------------------------------------------------------------------------------------------


class AddMonths(Func):
    """``date + n calendar months`` in SQL, as a date; the end of the month is clamped like relativedelta."""

    output_field = DateField()
    arity = 2

    def as_sql(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, list[Any]]:  # type: ignore[override]
        date_sql, date_params = compiler.compile(self.source_expressions[0])
        months_sql, months_params = compiler.compile(self.source_expressions[1])
        return f"CAST(({date_sql}) + make_interval(months => {months_sql}) AS date)", [*date_params, *months_params]


class AgeInYears(Func):
    """Whole years from the second date to the first (a birthday on the day counts)."""

    output_field = IntegerField()
    arity = 2
    template = "CAST(EXTRACT(YEAR FROM AGE(%(expressions)s)) AS integer)"


def _months(m: int) -> str:
    return f"reach_{m}"


# --- the querysets -------------------------------------------------------------------------------------------------


def referrals_in_scope(*, partnership_id: int, period: Period) -> QuerySet[Case]:
    """One row per referral (every referral has its case), received within the period."""
    qs = Case.objects.filter(partnership_id=partnership_id)
    if period.date_from is not None:
        qs = qs.filter(referral__received_on__gte=period.date_from)
    if period.date_to is not None:
        qs = qs.filter(referral__received_on__lte=period.date_to)
    return qs


def first_reoffence_after_start() -> Least:
    """The case's first re-offending on or after its start (decided_on): records, and detections awaiting a decision."""
    record = (
        ReoffendingRecord.objects.filter(case_id=OuterRef("pk"), occurred_on__gte=OuterRef("decided_on"))
        .order_by()
        .values("case_id")
        .annotate(first=Min("occurred_on"))
        .values("first")
    )
    detected = (
        ReoffendingCandidate.objects.filter(
            case_id=OuterRef("pk"), status=CandidateStatus.PENDING, occurred_on__gte=OuterRef("decided_on")
        )
        .order_by()
        .values("case_id")
        .annotate(first=Min("occurred_on"))
        .values("first")
    )
    # LEAST ignores NULLs in PostgreSQL: the earlier of the two, or whichever exists.
    return Least(Subquery(record, output_field=DateField()), Subquery(detected, output_field=DateField()))


def accepted_in_scope(*, partnership_id: int, period: Period) -> QuerySet[Case]:
    """The cases (accepted referrals in scope), with their first re-offending and threshold dates."""
    return (
        referrals_in_scope(partnership_id=partnership_id, period=period)
        .filter(decision=Decision.ACCEPTED)
        .annotate(
            first_reoffence=first_reoffence_after_start(),
            **{_months(m): AddMonths(F("decided_on"), Value(m)) for m in THRESHOLDS},
        )
    )


def cases_in_scope(*, partnership_id: int, period: Period) -> QuerySet[Case]:
    """The cases with, per case, everything the tables count.

    The primary perpetrator and victim and the current SASH are LEFT JOINs (each at most one
    row per case by the models' constraints), the first re-offending one correlated
    subquery; the aggregation over this queryset is wrapped around it as a subquery, so
    each is worked out once per case.
    """
    sash_ids = _sash_instrument_ids()
    qs = (
        accepted_in_scope(partnership_id=partnership_id, period=period)
        .annotate(
            perpetrator=FilteredRelation(
                "parties", condition=Q(parties__role=PartyRole.PERPETRATOR, parties__is_primary=True)
            ),
            victim=FilteredRelation("parties", condition=Q(parties__role=PartyRole.VICTIM, parties__is_primary=True)),
            sash=FilteredRelation(
                "risk_assessments",
                condition=Q(risk_assessments__is_current=True, risk_assessments__instrument_id__in=sash_ids),
            ),
        )
        .annotate(
            perpetrator_gender=Coalesce(F("perpetrator__person__gender"), Value("unknown")),
            victim_gender=Coalesce(F("victim__person__gender"), Value("unknown")),
            perpetrator_age=AgeInYears(F("referral__received_on"), F("perpetrator__person__date_of_birth")),
            perpetrator_recorded_band=NullIf(F("perpetrator__person__age_band"), Value("")),
            # The current SASH's level; none, or a level outside the scale, is "not completed".
            sash_level=Coalesce(NullIf(F("sash__level"), Value("")), Value("not_completed")),
            # Every type of intervention the case had (any status): one index probe per case.
            intervention_types=_intervention_types(),
        )
    )
    return qs.annotate(
        perpetrator_band=SqlCase(
            When(perpetrator_age__isnull=True, then=Coalesce(F("perpetrator_recorded_band"), Value("unknown"))),
            When(perpetrator_age__lt=25, then=Value("under_25")),
            When(perpetrator_age__lt=35, then=Value("25_34")),
            When(perpetrator_age__lt=45, then=Value("35_44")),
            When(perpetrator_age__lt=55, then=Value("45_54")),
            When(perpetrator_age__lt=65, then=Value("55_64")),
            default=Value("65_plus"),
        )
    )


def _intervention_types() -> Subquery:
    from interventions.models import Intervention

    types = (
        Intervention.objects.filter(case_id=OuterRef("pk"))
        .order_by()
        .values("case_id")
        .annotate(types=ArrayAgg("type", distinct=True))
        .values("types")
    )
    return Subquery(types, output_field=ArrayField(CharField(max_length=40)))


def _sash_instrument_ids() -> list[int]:
    from risk.models import Instrument

    return list(Instrument.objects.filter(key=SASH_KEY).values_list("pk", flat=True))


# --- the tables ----------------------------------------------------------------------------------------------------


def _pct(yes: int, reached: int) -> float | None:
    if not reached:
        return None
    return float((Decimal(yes) * 100 / Decimal(reached)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def chi2_p(had_yes: int, had_no: int, not_yes: int, not_no: int) -> float | None:
    """p of the chi-square test of independence on the 2×2 table, with Yates' correction.

    Exactly what ``scipy.stats.chi2_contingency`` does by default for one degree of
    freedom: each observed count moves half a unit towards its expected count (never
    past it), chi² = Σ (O − E)² / E, and p = P(χ²₁ > chi²) = erfc(√(chi² / 2)). Written out
    here because importing scipy.stats costs about a second per process, more than the
    tables themselves; the tests check it against scipy over many tables. An expected
    count is zero exactly when a row or a column of the table sums to zero; the test is
    then undefined and the answer is None. Rounded half up to 3 decimals.
    """
    observed = ((had_yes, had_no), (not_yes, not_no))
    rows = (had_yes + had_no, not_yes + not_no)
    columns = (had_yes + not_yes, had_no + not_no)
    if 0 in rows or 0 in columns:
        return None
    n = sum(rows)
    statistic = 0.0
    for i in range(2):
        for j in range(2):
            expected = rows[i] * columns[j] / n
            corrected = abs(observed[i][j] - expected) - min(0.5, abs(observed[i][j] - expected))
            statistic += corrected * corrected / expected
    p = math.erfc(math.sqrt(statistic / 2))
    return float(Decimal(repr(p)).quantize(Decimal("0.001"), rounding=ROUND_HALF_UP))


def _month_keys(counts: dict[dt.date, int], period: Period) -> dict[str, int]:
    """Every month from the first to the last of the period (or of the referrals), zeros included."""
    if period.date_from is not None:
        first = period.date_from.replace(day=1)
    elif counts:
        first = min(counts)
    else:
        return {}
    if period.date_to is not None:
        last = period.date_to.replace(day=1)
    elif counts:
        last = max(counts)
    else:
        last = first
    months: dict[str, int] = {}
    month = first
    while month <= last:
        months[f"{month:%Y-%m}"] = counts.get(month, 0)
        month = dt.date(month.year + month.month // 12, month.month % 12 + 1, 1)
    return months


def referral_counts(*, partnership_id: int, period: Period) -> list[tuple[dt.date, str, str, int]]:
    """(month, referring agency, decision, referrals): one GROUP BY over the referrals in scope.

    At most a few hundred groups (months x 8 agencies x 5 decisions), from which the
    referral tables (and the page's months by agency) are summed.
    """
    return list(
        referrals_in_scope(partnership_id=partnership_id, period=period)
        .annotate(month=TruncMonth("referral__received_on", output_field=DateField()))
        .order_by()
        .values("month", "referral__referring_agency_kind", "decision")
        .annotate(n=Count("pk"))
        .values_list("month", "referral__referring_agency_kind", "decision", "n")
    )


def _referral_figures(groups: list[tuple[dt.date, str, str, int]], period: Period) -> dict[str, Any]:
    agencies = dict.fromkeys(AGENCIES, 0)
    decisions = dict.fromkeys(DECISIONS, 0)
    months: dict[dt.date, int] = {}
    for month, agency, decision, n in groups:
        agencies[agency] = agencies.get(agency, 0) + n
        decisions[decision] = decisions.get(decision, 0) + n
        months[month] = months.get(month, 0) + n
    return {
        "referrals_by_agency": {**{k: agencies[k] for k in AGENCIES}, "total": sum(months.values())},
        "referrals_by_month": _month_keys(months, period),
        "decisions": {d: decisions[d] for d in DECISIONS},
    }


def _case_figures(cases: QuerySet[Case], as_of: dt.date) -> dict[str, int]:
    """One pass over the cases: every count of the threshold, cohort, gender, age, SASH and tier tables."""

    def reached(m: int) -> Q:
        return Q(**{f"{_months(m)}__lte": as_of})

    def reoffended(m: int) -> Q:
        return reached(m) & Q(first_reoffence__lt=F(_months(m)))

    cohort = reached(COHORT_MONTHS)
    cohort_yes = reoffended(COHORT_MONTHS)
    # Spelt out rather than ~cohort_yes: NOT (NULL < date) is NULL, and a case that never
    # re-offended has no first re-offending.
    cohort_no = cohort & (Q(first_reoffence__isnull=True) | Q(first_reoffence__gte=F(_months(COHORT_MONTHS))))
    scored_sash = Q(sash_level__in=SASH_LEVELS[:-1])
    aggregates: dict[str, Any] = {"cases": Count("pk")}
    for m in THRESHOLDS:
        aggregates[f"reached__{m}"] = Count("pk", filter=reached(m))
        aggregates[f"yes__{m}"] = Count("pk", filter=reoffended(m))
    for g in GENDERS:
        aggregates[f"perpetrator_gender__{g}"] = Count("pk", filter=Q(perpetrator_gender=g))
        aggregates[f"victim_gender__{g}"] = Count("pk", filter=Q(victim_gender=g))
        for level in SASH_LEVELS[:-1]:
            aggregates[f"sash__{level}__{g}"] = Count("pk", filter=Q(sash_level=level, perpetrator_gender=g))
        aggregates[f"sash__not_completed__{g}"] = Count("pk", filter=~scored_sash & Q(perpetrator_gender=g))
        for tier in TIERS[:-1]:
            aggregates[f"tier__{tier}__{g}"] = Count("pk", filter=Q(tier=int(tier), perpetrator_gender=g))
        aggregates[f"tier__blank__{g}"] = Count("pk", filter=Q(tier__isnull=True, perpetrator_gender=g))
    for band in (*AGE_BANDS, "unknown"):
        aggregates[f"age__{band}"] = Count("pk", filter=Q(perpetrator_band=band))
    for stalker_type in (*STALKER_TYPES, ""):
        key = stalker_type or "unknown"
        aggregates[f"stalker__{key}__yes"] = Count("pk", filter=cohort_yes & Q(stalker_type=stalker_type))
        aggregates[f"stalker__{key}__no"] = Count("pk", filter=cohort_no & Q(stalker_type=stalker_type))
    for kind in INTERVENTION_TYPES:
        had = Q(intervention_types__contains=[kind])
        aggregates[f"intervention__{kind}__yes"] = Count("pk", filter=cohort_yes & had)
        aggregates[f"intervention__{kind}__no"] = Count("pk", filter=cohort_no & had)
    # The slice is an optimisation fence: PostgreSQL does not pull a LIMITed subquery up into
    # the aggregate, so each case's first re-offending is looked up once, not once for every
    # count that refers to it (about forty times).
    return cases[:FENCE].aggregate(**aggregates)


def evaluation_tables(
    *, partnership: Partnership, period: Period, referral_groups: list[tuple[dt.date, str, str, int]] | None = None
) -> dict[str, Any]:
    """The contract's JSON, as a dict in the contract's key order.

    Two aggregate queries: the referrals grouped by month, agency and decision (or
    ``referral_groups``, when the caller has them already), and one pass over the cases.
    """
    with transaction.atomic():
        # Short queries: compiling them with JIT costs more than it saves.
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL jit = off")
        if referral_groups is None:
            referral_groups = referral_counts(partnership_id=partnership.pk, period=period)
        referral = _referral_figures(referral_groups, period)
        c = _case_figures(cases_in_scope(partnership_id=partnership.pk, period=period), period.as_of)

    thresholds = []
    for m in THRESHOLDS:
        reached, yes = c[f"reached__{m}"], c[f"yes__{m}"]
        thresholds.append(
            {
                "months": m,
                "reached": reached,
                "not_reached": c["cases"] - reached,
                "yes": yes,
                "no": reached - yes,
                "yes_pct": _pct(yes, reached),
            }
        )
    cohort_yes = c[f"yes__{COHORT_MONTHS}"]
    cohort_no = c[f"reached__{COHORT_MONTHS}"] - cohort_yes
    interventions = []
    for kind in INTERVENTION_TYPES:
        yes, no = c[f"intervention__{kind}__yes"], c[f"intervention__{kind}__no"]
        interventions.append(
            {
                "type": kind,
                "yes": yes,
                "no": no,
                "total": yes + no,
                "chi2_p": chi2_p(yes, no, cohort_yes - yes, cohort_no - no),
            }
        )
    return {
        "partnership": partnership.slug,
        "as_of": period.as_of.isoformat(),
        "referrals_by_agency": referral["referrals_by_agency"],
        "referrals_by_month": referral["referrals_by_month"],
        "decisions": referral["decisions"],
        "reoffending_by_threshold": thresholds,
        "intervention_by_reoffending": interventions,
        "stalker_type_by_reoffending": {
            key: {"yes": c[f"stalker__{key}__yes"], "no": c[f"stalker__{key}__no"]}
            for key in (*STALKER_TYPES, "unknown")
        },
        "perpetrator_gender": {g: c[f"perpetrator_gender__{g}"] for g in GENDERS},
        "victim_gender": {g: c[f"victim_gender__{g}"] for g in GENDERS},
        "perpetrator_age_band": {band: c[f"age__{band}"] for band in (*AGE_BANDS, "unknown")},
        "sash_by_perpetrator_gender": {level: {g: c[f"sash__{level}__{g}"] for g in GENDERS} for level in SASH_LEVELS},
        "tier_by_perpetrator_gender": {tier: {g: c[f"tier__{tier}__{g}"] for g in GENDERS} for tier in TIERS},
    }


# --- the CSV form ---------------------------------------------------------------------------------------------------

CSV_HEADER = ("table", "row", "column", "value")


def tables_as_rows(tables: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    """The tables in long form, one figure a line: ``table,row,column,value`` (docs/evaluation-tables.md).

    Flat tables have the column ``count``; the threshold rows are keyed by their months
    and the intervention rows by their type; an empty value is a null (no percentage, no
    test).
    """

    def text(value: Any) -> str:
        return "" if value is None else str(value)

    rows: list[tuple[str, str, str, str]] = []
    for name, table in tables.items():
        if name == "reoffending_by_threshold":
            figures: tuple[str, ...] = ("reached", "not_reached", "yes", "no", "yes_pct")
            rows += [(name, str(item["months"]), c, text(item[c])) for item in table for c in figures]
        elif name == "intervention_by_reoffending":
            figures = ("yes", "no", "total", "chi2_p")
            rows += [(name, item["type"], c, text(item[c])) for item in table for c in figures]
        elif not isinstance(table, dict):
            rows.append((name, "", "", text(table)))
        else:
            for key, value in table.items():
                if isinstance(value, dict):
                    rows += [(name, key, column, text(figure)) for column, figure in value.items()]
                else:
                    rows.append((name, key, "count", text(value)))
    # Every cell, keys too: a partnership's slug or a category is data, and may start with "-".
    return [(formula_safe(a), formula_safe(b), formula_safe(c), formula_safe(d)) for a, b, c, d in rows]


# --- for the page ---------------------------------------------------------------------------------------------------


def referrals_by_month_and_agency(
    groups: list[tuple[dt.date, str, str, int]], period: Period
) -> dict[str, dict[str, int]]:
    """month -> referring agency -> referrals, from ``referral_counts`` (the page's stacked chart;
    every month and agency, zeros included)."""
    counts: dict[dt.date, dict[str, int]] = {}
    for month, agency, _decision, n in groups:
        by_agency = counts.setdefault(month, dict.fromkeys(AGENCIES, 0))
        by_agency[agency] = by_agency.get(agency, 0) + n
    months = _month_keys(dict.fromkeys(counts, 0), period)
    by_key = {f"{m:%Y-%m}": by_agency for m, by_agency in counts.items()}
    return {key: by_key.get(key, dict.fromkeys(AGENCIES, 0)) for key in months}
