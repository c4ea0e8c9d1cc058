"""Every read of the costs app a person sees: scoped, shaped, logged (docs/costs.md)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from dateutil.relativedelta import relativedelta
from django.db.models import Case as SqlCase
from django.db.models import Count, DateField, Exists, F, Func, IntegerField, OuterRef, Q, QuerySet, Sum, Value, When
from django.db.models.functions import Cast, Extract
from django.http import Http404

from agencies.models import Agency, Role, User
from audit.models import AccessAction
from audit.services import access_record
from cases.models import Case, CaseStatus, Decision
from cases.permissions import can_view_case, may_see, viewable_case_q
from costs import calculation as calc
from costs import permissions
from costs.activities import Activity
from costs.models import (
    AccountStatus,
    Bearer,
    Category,
    CostAccount,
    HourlyRate,
    RateCard,
    ScenarioKind,
    StaffFte,
    TimeEntry,
    UnitCost,
)
from followups.models import MonitoringPeriod, ReoffendingRecord

ROLE_LABELS = dict(Role.choices)


def _partnership_id(user: User) -> int:
    assert user.agency is not None
    return user.agency.partnership_id


def _require_programme_user(user: Any) -> None:
    if not permissions.can_see_cost_accounts(user):
        raise Http404


# --- what happened --------------------------------------------------------------------------------------------------


def _rates(card: RateCard) -> dict[str, HourlyRate]:
    return {rate.role: rate for rate in card.hourly_rates.all()}


def draft_staff_lines(account: CostAccount) -> tuple[list[calc.Line], set[str]]:
    """The case's recorded time, by category and role, at the rate card's current rates,
    and the roles that have no rate yet."""
    rates = _rates(account.rate_card)
    grouped = (
        TimeEntry.objects.filter(case_id=account.case_id)
        .values("cost_category", "role")
        .annotate(minutes=Sum("minutes"))
        .order_by("cost_category", "role")
    )
    lines: list[calc.Line] = []
    missing: set[str] = set()
    for row in grouped:
        rate = rates.get(row["role"])
        label = rate.label if rate else ROLE_LABELS.get(row["role"], row["role"].replace("_", " ").capitalize())
        if rate is None:
            missing.add(label)
        hourly = rate.hourly_rate if rate else Decimal("0")
        lines.append(
            calc.Line(
                category=row["cost_category"],
                bearer=Bearer.STATE,
                label=label,
                kind="staff_time",
                role=row["role"],
                hours=(Decimal(row["minutes"]) / calc.MINUTES_PER_HOUR).quantize(Decimal("0.0001")),
                hourly_rate=hourly,
                amount=calc.staff_time_amount(minutes=row["minutes"], hourly_rate=hourly),
                source=rate.source if rate else "",
            )
        )
    return lines, missing


def _stored_line(line: Any) -> calc.Line:
    """A stored ``CostLine`` or ``ScenarioItem`` (items have no category, role or hours)."""
    return calc.Line(
        category=getattr(line, "category", ""),
        bearer=line.bearer,
        label=line.label,
        amount=line.amount,
        kind=line.kind,
        role=getattr(line, "role", ""),
        hours=getattr(line, "hours", None),
        hourly_rate=getattr(line, "hourly_rate", None),
        quantity=line.quantity,
        source=line.source,
    )


def account_figures(account: CostAccount) -> tuple[calc.AccountFigures, set[str]]:
    """The whole account (no shaping): a finished one from its copied lines only."""
    stored = [_stored_line(line) for line in account.lines.all()]
    missing: set[str] = set()
    if account.status == AccountStatus.FINISHED:
        assert account.infrastructure is not None
        infrastructure = account.infrastructure
        staff: list[calc.Line] = []
    else:
        card = account.rate_card
        infrastructure = calc.infrastructure_per_referral(
            operating_costs=card.operating_costs, referrals=card.referrals_in_year
        )
        staff, missing = draft_staff_lines(account)
    lines = [
        calc.Line(
            category=Category.INFRASTRUCTURE,
            bearer=Bearer.STATE,
            label=Category.INFRASTRUCTURE.label,
            amount=infrastructure,
            kind="infrastructure",
        ),
        *staff,
        *stored,
    ]
    order = {key: n for n, key in enumerate(Category.values)}
    lines.sort(key=lambda line: order[line.category])
    scenarios = [(s.kind, s.narrative, [_stored_line(i) for i in s.items.all()]) for s in account.scenarios.all()]
    scenarios.sort(key=lambda s: ScenarioKind.values.index(s[0]))
    return calc.account_figures(lines, scenarios), missing


@dataclass(frozen=True)
class CategoryRow:
    key: str
    label: str
    bearer: str
    amount: Decimal | None
    lines: list[calc.Line]


@dataclass(frozen=True)
class AccountView:
    """What one reader may see of an account. Where the agreement withholds victim
    identity from the reader's agency, every victim figure, and every total that would
    give one away by subtraction, is None and ``victim_withheld`` is set."""

    account: CostAccount
    case: Case
    rows: list[CategoryRow]
    state: Decimal
    victim: Decimal | None
    total: Decimal | None
    scenarios: list[calc.ScenarioFigures]
    victim_withheld: bool
    missing_rates: list[str]


def _shape(account: CostAccount, figures: calc.AccountFigures, missing: set[str], *, victim: bool) -> AccountView:
    rows: list[CategoryRow] = []
    for category in Category:
        lines = [line for line in figures.lines if line.category == category.value]
        bearer = Bearer.VICTIM if category == Category.VICTIM_COSTS else Bearer.STATE
        if not lines and category not in (Category.INFRASTRUCTURE,):
            continue
        if bearer == Bearer.VICTIM and not victim:
            rows.append(CategoryRow(category.value, category.label, bearer, None, []))
            continue
        rows.append(
            CategoryRow(category.value, category.label, bearer, sum((x.amount for x in lines), Decimal("0.00")), lines)
        )
    scenarios = figures.scenarios
    if not victim:
        scenarios = [
            replace(
                s,
                items=[i for i in s.items if i.bearer == Bearer.STATE],
                victim=Decimal("0"),
                society=Decimal("0"),
                total=Decimal("0"),
                victim_ratio=None,
                total_ratio=None,
            )
            for s in scenarios
        ]
    return AccountView(
        account=account,
        case=account.case,
        rows=rows,
        state=figures.state,
        victim=figures.victim if victim else None,
        total=figures.total if victim else None,
        scenarios=scenarios,
        victim_withheld=not victim,
        missing_rates=sorted(missing),
    )


def _account_queryset() -> QuerySet[CostAccount]:
    return CostAccount.objects.select_related("case", "rate_card", "finished_by").prefetch_related(
        "lines", "scenarios__items", "rate_card__hourly_rates"
    )


def cost_account_get_for_user(*, user: User, case_id: int) -> CostAccount:
    """The account of a case of the user's partnership, for programme managers and admins; 404 otherwise."""
    _require_programme_user(user)
    account = _account_queryset().filter(case_id=case_id, partnership_id=_partnership_id(user)).first()
    # The account is the case's: a case the user may not open (restricted, say) has none for them.
    if account is None or not can_view_case(user, account.case):
        raise Http404
    return account


def cost_account_view_for_user(
    *, user: User, case_id: int, action: str = AccessAction.VIEW, purpose: str = ""
) -> AccountView:
    """Scope, shape and log one case's account (the page, the PDF and the API call this)."""
    account = cost_account_get_for_user(user=user, case_id=case_id)
    figures, missing = account_figures(account)
    victim = permissions.may_see_victim_costs(user)
    access_record(
        user=user,
        action=action,
        record_type="costs.costaccount",
        record_ids=[account.pk],
        purpose=purpose or ("cost account" if victim else "cost account, victim costs withheld"),
    )
    return _shape(account, figures, missing, victim=victim)


def case_for_cost_account(*, user: User, case_id: int) -> Case:
    """A case of the user's partnership that may be given an account (no personal data shown)."""
    _require_programme_user(user)
    case = Case.objects.filter(pk=case_id, partnership_id=_partnership_id(user)).first()
    if case is None or not can_view_case(user, case):
        raise Http404
    return case


def cost_accounts_for_user(*, user: User, limit: int = 200) -> list[CostAccount]:
    _require_programme_user(user)
    accounts = list(
        CostAccount.objects.filter(partnership_id=_partnership_id(user))
        .filter(case__in=Case.objects.filter(viewable_case_q(user)))
        .select_related("case")
        .order_by("-created_at")[:limit]
    )
    access_record(
        user=user, action=AccessAction.VIEW, record_type="costs.costaccount", record_ids=[a.pk for a in accounts]
    )
    return accounts


def unit_costs_for_user(*, user: User) -> list[UnitCost]:
    """The catalogue offered to the user's partnership: its own entries, and the shipped
    ones it has not replaced with an entry of the same key."""
    _require_programme_user(user)
    pid = _partnership_id(user)
    own = list(UnitCost.objects.filter(partnership_id=pid))
    keys = {u.key for u in own}
    shipped = [u for u in UnitCost.objects.filter(partnership__isnull=True) if u.key not in keys]
    return sorted(own + shipped, key=lambda u: u.label)


def rate_cards_for_user(*, user: User) -> list[RateCard]:
    _require_programme_user(user)
    return list(RateCard.objects.filter(partnership_id=_partnership_id(user)).prefetch_related("hourly_rates"))


def rate_card_get_for_user(*, user: User, rate_card_id: int) -> RateCard:
    _require_programme_user(user)
    card = RateCard.objects.filter(pk=rate_card_id, partnership_id=_partnership_id(user)).first()
    if card is None:
        raise Http404
    return card


def per_referral(card: RateCard) -> Decimal:
    return calc.infrastructure_per_referral(operating_costs=card.operating_costs, referrals=card.referrals_in_year)


# --- time on an activity --------------------------------------------------------------------------------------------


def activity_case_for_user(*, user: User, activity: Activity) -> Case:
    """The activity's case when the user may record time on it; 404 otherwise."""
    if not permissions.can_record_time(user):
        raise Http404
    case = Case.objects.filter(pk=activity.case_id, partnership_id=_partnership_id(user)).first()
    if case is None or not can_view_case(user, case):
        raise Http404
    if activity.record_class and not may_see(user, activity.record_class):
        raise Http404
    return case


def case_for_time(*, user: User, case_id: int) -> Case:
    """A case the user may record time on as a whole (referral work, other agencies' time)."""
    if not permissions.can_record_time(user):
        raise Http404
    case = Case.objects.filter(pk=case_id, partnership_id=_partnership_id(user)).first()
    if case is None or not can_view_case(user, case):
        raise Http404
    return case


def time_entries_for_activity(*, user: User, activity: Activity) -> list[TimeEntry]:
    """The time recorded on one activity (staff names and minutes: no victim data), logged."""
    activity_case_for_user(user=user, activity=activity)
    entries = TimeEntry.objects.select_related("staff", "agency").filter(case_id=activity.case_id)
    if activity.activity_id is None:
        entries = entries.filter(activity_id__isnull=True)
    else:
        entries = entries.filter(activity_id=activity.activity_id, activity_kind__in=activity.kinds)
    rows = list(entries.order_by("activity_kind", "id"))
    access_record(user=user, action=AccessAction.VIEW, record_type="costs.timeentry", record_ids=[e.pk for e in rows])
    return rows


def time_entry_get_for_user(*, user: User, entry_id: int) -> TimeEntry:
    entry = TimeEntry.objects.filter(pk=entry_id, partnership_id=_partnership_id(user)).select_related("case").first()
    if entry is None or not can_view_case(user, entry.case) or entry.recorded_by_id != user.pk:
        raise Http404
    return entry


# --- programme figures ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AgencyTime:
    agency: str
    hours: Decimal
    cost: Decimal
    fte: Decimal


@dataclass(frozen=True)
class ProgrammeFigures:
    date_from: dt.date
    date_to: dt.date
    staff_cost: Decimal
    infrastructure: Decimal
    total_cost: Decimal
    cases_worked: int
    cost_per_case: Decimal | None
    outcomes: int
    cost_per_outcome: Decimal | None
    caseload: int
    fte: Decimal
    caseload_per_fte: Decimal | None
    by_agency: list[AgencyTime]
    roles_without_rate: list[str]


def _fy_expression(field: str) -> SqlCase:
    """The financial year a date falls in (April to March), in SQL."""
    year = Cast(Extract(field, "year"), IntegerField())
    return SqlCase(When(**{f"{field}__month__gte": 4}, then=year), default=year - Value(1), output_field=IntegerField())


def _financial_years(date_from: dt.date, date_to: dt.date) -> list[tuple[dt.date, dt.date]]:
    """The period cut at each 1 April: [(start, end), ...], each within one financial year."""
    pieces = []
    start = date_from
    while start <= date_to:
        next_april = dt.date(start.year + (start.month >= 4), 4, 1)
        end = min(date_to, next_april - dt.timedelta(days=1))
        pieces.append((start, end))
        start = end + dt.timedelta(days=1)
    return pieces


def _six_months_after(field: str) -> Func:
    return Func(F(field), template="((%(expressions)s + interval '6 months')::date)", output_field=DateField())


def programme_figures(*, partnership_id: int, date_from: dt.date, date_to: dt.date) -> ProgrammeFigures:
    """Cost per case and per outcome, staff time per agency, caseload per FTE, for one
    partnership and period. Fixed number of queries, each one aggregate over the period."""
    cards = {
        c.financial_year: c
        for c in RateCard.objects.filter(partnership_id=partnership_id).prefetch_related("hourly_rates")
    }
    rates_by_year = {fy: _rates(card) for fy, card in cards.items()}

    def card_for(fy: int) -> int | None:
        earlier = [y for y in cards if y <= fy]
        if earlier:
            return max(earlier)
        return min(cards) if cards else None

    entries = TimeEntry.objects.filter(
        partnership_id=partnership_id, occurred_on__gte=date_from, occurred_on__lte=date_to
    )
    minutes_by_agency: dict[int | None, int] = defaultdict(int)
    cost_by_agency: dict[int | None, Decimal] = defaultdict(lambda: Decimal("0"))
    without_rate: set[str] = set()
    # One plain GROUP BY per financial year the period touches (usually one): grouping on a
    # computed year instead cost a second of CPU over a million entries.
    for fy_start, fy_end in _financial_years(date_from, date_to):
        year = card_for(fy_start.year if fy_start.month >= 4 else fy_start.year - 1)
        grouped = (
            entries.filter(occurred_on__gte=fy_start, occurred_on__lte=fy_end)
            .values("agency_id", "role")
            .annotate(minutes=Sum("minutes"))
            .order_by()
        )
        for row in grouped:
            rate = rates_by_year.get(year, {}).get(row["role"]) if year is not None else None
            minutes_by_agency[row["agency_id"]] += row["minutes"]
            if rate is None:
                without_rate.add(ROLE_LABELS.get(row["role"], row["role"]))
                continue
            cost_by_agency[row["agency_id"]] += Decimal(row["minutes"]) * rate.hourly_rate / calc.MINUTES_PER_HOUR
    # Cases with time in the period: one index probe per case of the partnership
    # (time_case), cheaper than a DISTINCT over every entry of the period.
    cases_worked = Case.objects.filter(
        Exists(TimeEntry.objects.filter(case_id=OuterRef("pk"), occurred_on__gte=date_from, occurred_on__lte=date_to)),
        partnership_id=partnership_id,
    ).count()

    referrals = (
        Case.objects.filter(partnership_id=partnership_id, received_on__gte=date_from, received_on__lte=date_to)
        .annotate(fy=_fy_expression("received_on"))
        .values("fy")
        .annotate(n=Count("id"))
        .order_by()
    )
    infrastructure = Decimal("0.00")
    for received in referrals:
        year = card_for(received["fy"])
        if year is None:
            continue
        card = cards[year]
        infrastructure += received["n"] * calc.infrastructure_per_referral(
            operating_costs=card.operating_costs, referrals=card.referrals_in_year
        )

    # An outcome: a monitoring period whose first six months ended within the period,
    # with no re-offending that occurred in those six months.
    six_months_from = date_from - relativedelta(months=6)
    six_months_to = date_to - relativedelta(months=6)
    reoffended = ReoffendingRecord.objects.filter(
        case_id=OuterRef("case_id"),
        occurred_on__gte=OuterRef("starts_on"),
        occurred_on__lte=OuterRef("six_months_on"),
    )
    outcomes = (
        MonitoringPeriod.objects.filter(
            case__partnership_id=partnership_id, starts_on__gte=six_months_from, starts_on__lte=six_months_to
        )
        .annotate(six_months_on=_six_months_after("starts_on"))
        .filter(~Exists(reoffended))
        .filter(Q(ended_on__isnull=True) | Q(ended_on__gte=F("six_months_on")))
        .values("case_id")
        .distinct()
        .count()
    )

    caseload = (
        Case.objects.filter(
            Q(closed_on__isnull=True) | Q(closed_on__gte=date_from),
            partnership_id=partnership_id,
            decision=Decision.ACCEPTED,
            decided_on__lte=date_to,
        )
        .exclude(status=CaseStatus.REFERRED)
        .count()
    )

    days = Decimal((date_to - date_from).days + 1)
    fte_by_agency: dict[int, Decimal] = defaultdict(lambda: Decimal("0"))
    for fte_row in StaffFte.objects.filter(
        partnership_id=partnership_id, starts_on__lte=date_to, ends_on__gte=date_from
    ):
        overlap = (min(fte_row.ends_on, date_to) - max(fte_row.starts_on, date_from)).days + 1
        fte_by_agency[fte_row.agency_id] += fte_row.fte * Decimal(overlap) / days
    fte = calc.money(sum(fte_by_agency.values(), Decimal("0")))

    names = dict(Agency.objects.filter(partnership_id=partnership_id).values_list("id", "name"))
    agency_ids = sorted(set(minutes_by_agency) | set(fte_by_agency), key=lambda a: (a is None, names.get(a or 0, "")))
    by_agency = [
        AgencyTime(
            agency=names.get(agency_id, "") if agency_id is not None else "Other agencies (by role)",
            hours=(Decimal(minutes_by_agency.get(agency_id, 0)) / calc.MINUTES_PER_HOUR).quantize(Decimal("0.1")),
            cost=calc.money(cost_by_agency.get(agency_id, Decimal("0"))),
            fte=calc.money(fte_by_agency.get(agency_id, Decimal("0"))) if agency_id is not None else Decimal("0.00"),
        )
        for agency_id in agency_ids
    ]
    staff_cost = calc.money(sum(cost_by_agency.values(), Decimal("0")))
    total = staff_cost + infrastructure
    return ProgrammeFigures(
        date_from=date_from,
        date_to=date_to,
        staff_cost=staff_cost,
        infrastructure=infrastructure,
        total_cost=total,
        cases_worked=cases_worked,
        cost_per_case=calc.money(total / cases_worked) if cases_worked else None,
        outcomes=outcomes,
        cost_per_outcome=calc.money(total / outcomes) if outcomes else None,
        caseload=caseload,
        fte=fte,
        caseload_per_fte=(Decimal(caseload) / fte).quantize(Decimal("0.1")) if fte else None,
        by_agency=by_agency,
        roles_without_rate=sorted(without_rate),
    )


def programme_figures_for_user(*, user: User, date_from: dt.date, date_to: dt.date) -> ProgrammeFigures:
    _require_programme_user(user)
    figures = programme_figures(partnership_id=_partnership_id(user), date_from=date_from, date_to=date_to)
    # Aggregates only, but the log says who looked at the programme's costs and when.
    access_record(
        user=user,
        action=AccessAction.VIEW,
        record_type="costs.programme",
        purpose=f"programme costs {date_from.isoformat()} to {date_to.isoformat()}",
    )
    return figures
