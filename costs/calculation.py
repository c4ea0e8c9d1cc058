"""The arithmetic of a cost account, on Decimals only.

Each line is rounded to the penny (half up, as a spreadsheet shows it) and totals are
sums of rounded lines, the way the evaluation's tables add up. Ratios are avoided ÷
happened, to one decimal place, as the report prints them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

PENNY = Decimal("0.01")
TENTH = Decimal("0.1")
MINUTES_PER_HOUR = Decimal(60)
MONTHS_PER_YEAR = Decimal(12)


def money(value: Decimal) -> Decimal:
    return value.quantize(PENNY, rounding=ROUND_HALF_UP)


def staff_time_amount(*, minutes: int | Decimal, hourly_rate: Decimal) -> Decimal:
    return money(Decimal(minutes) * hourly_rate / MINUTES_PER_HOUR)


def hours_amount(*, hours: Decimal, hourly_rate: Decimal) -> Decimal:
    return money(hours * hourly_rate)


def qaly_amount(*, months: Decimal, qaly_loss: Decimal, value_of_year: Decimal) -> Decimal:
    """Months of a health state × the QALYs it loses a year × the value of a year in full health."""
    return money(months * qaly_loss * value_of_year / MONTHS_PER_YEAR)


def unit_amount(*, quantity: Decimal, amount: Decimal) -> Decimal:
    return money(quantity * amount)


def infrastructure_per_referral(*, operating_costs: Decimal, referrals: int) -> Decimal:
    """Non-salary operating costs ÷ referrals received in the year (the report's note 1)."""
    if referrals <= 0:
        return Decimal("0.00")
    return money(operating_costs / Decimal(referrals))


def ratio(avoided: Decimal, happened: Decimal) -> Decimal | None:
    """Benefit/cost: None where nothing was spent (a ratio over zero means nothing)."""
    if happened <= 0:
        return None
    return (avoided / happened).quantize(TENTH, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Line:
    category: str
    bearer: str
    label: str
    amount: Decimal
    kind: str = "money"
    role: str = ""
    hours: Decimal | None = None
    hourly_rate: Decimal | None = None
    quantity: Decimal | None = None
    source: str = ""


@dataclass(frozen=True)
class ScenarioFigures:
    kind: str
    narrative: str
    items: list[Line]
    state: Decimal
    victim: Decimal
    society: Decimal
    total: Decimal
    # None where the scenario holds a cost that is not split (the ratio is on the totals only).
    state_ratio: Decimal | None
    victim_ratio: Decimal | None
    total_ratio: Decimal | None

    @property
    def split(self) -> bool:
        return self.society == 0


@dataclass(frozen=True)
class AccountFigures:
    lines: list[Line]
    by_category: dict[str, Decimal]
    state: Decimal
    victim: Decimal
    total: Decimal
    scenarios: list[ScenarioFigures] = field(default_factory=list)


def _sum(values: Iterable[Decimal]) -> Decimal:
    return sum(values, Decimal("0.00"))


def account_figures(lines: list[Line], scenarios: list[tuple[str, str, list[Line]]]) -> AccountFigures:
    by_category: dict[str, Decimal] = {}
    for line in lines:
        by_category[line.category] = by_category.get(line.category, Decimal("0.00")) + line.amount
    state = _sum(line.amount for line in lines if line.bearer == "state")
    victim = _sum(line.amount for line in lines if line.bearer == "victim")
    total = state + victim
    worked: list[ScenarioFigures] = []
    for kind, narrative, items in scenarios:
        s_state = _sum(i.amount for i in items if i.bearer == "state")
        s_victim = _sum(i.amount for i in items if i.bearer == "victim")
        s_society = _sum(i.amount for i in items if i.bearer == "society")
        s_total = s_state + s_victim + s_society
        split = s_society == 0
        worked.append(
            ScenarioFigures(
                kind=kind,
                narrative=narrative,
                items=items,
                state=s_state,
                victim=s_victim,
                society=s_society,
                total=s_total,
                state_ratio=ratio(s_state, state) if split else None,
                victim_ratio=ratio(s_victim, victim) if split else None,
                total_ratio=ratio(s_total, total),
            )
        )
    return AccountFigures(
        lines=lines, by_category=by_category, state=state, victim=victim, total=total, scenarios=worked
    )
