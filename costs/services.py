"""Every write of the costs app (docs/costs.md). Keyword-only, typed, atomic."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404
from django.utils import timezone

from agencies.models import Agency, Partnership, User
from audit.models import AccessAction
from audit.services import access_record
from cases.models import Case
from cases.permissions import can_view_case, may_see
from costs import calculation as calc
from costs import permissions
from costs.activities import DEFAULT_CATEGORY, Activity
from costs.models import (
    AccountStatus,
    Bearer,
    Category,
    CostAccount,
    CostLine,
    HourlyRate,
    RateCard,
    Scenario,
    ScenarioItem,
    ScenarioKind,
    StaffFte,
    TimeEntry,
    UnitCost,
    UnitKind,
)


def _partnership_id(actor: User) -> int:
    assert actor.agency is not None
    return actor.agency.partnership_id


def _require_manager(actor: User) -> None:
    if not permissions.can_manage_costs(actor):
        raise Http404  # Only programme managers and partnership admins manage costs


def financial_year_of(on: dt.date) -> int:
    """2019 for 1 April 2019 to 31 March 2020."""
    return on.year if on.month >= 4 else on.year - 1


# --- rates ---------------------------------------------------------------------------------------------------------


@transaction.atomic
def rate_card_save(
    *,
    actor: User,
    financial_year: int,
    price_year: int,
    source: str = "",
    operating_costs: Decimal = Decimal("0"),
    referrals_in_year: int = 0,
) -> RateCard:
    _require_manager(actor)
    errors: dict[str, str] = {}
    if not 2000 <= financial_year <= 2100:
        errors["financial_year"] = "Enter the year the financial year starts in, for example 2019"
    if not 2000 <= price_year <= 2100:
        errors["price_year"] = "Enter the year the prices are inflated to, for example 2019"
    if operating_costs < 0:
        errors["operating_costs"] = "Operating costs cannot be negative"
    if referrals_in_year < 0:
        errors["referrals_in_year"] = "Referrals cannot be negative"
    if errors:
        raise ValidationError(errors)
    card, _ = RateCard.objects.update_or_create(
        partnership_id=_partnership_id(actor),
        financial_year=financial_year,
        defaults={
            "price_year": price_year,
            "source": source,
            "operating_costs": operating_costs,
            "referrals_in_year": referrals_in_year,
        },
    )
    access_record(user=actor, action=AccessAction.CHANGE, record_type="costs.ratecard", record_ids=[card.pk])
    return card


@transaction.atomic
def hourly_rate_set(
    *, actor: User, rate_card: RateCard, role: str, label: str, hourly_rate: Decimal, source: str = ""
) -> HourlyRate:
    _require_manager(actor)
    if rate_card.partnership_id != _partnership_id(actor):
        raise ValidationError({"rate_card": "Choose one of your partnership's rate cards"})
    errors: dict[str, str] = {}
    if hourly_rate < 0:
        errors["hourly_rate"] = "An hourly rate cannot be negative"
    if not role:
        errors["role"] = "Enter the role"
    if errors:
        raise ValidationError(errors)
    rate, _ = HourlyRate.objects.update_or_create(
        rate_card=rate_card,
        role=role,
        defaults={"label": label or role.replace("_", " ").capitalize(), "hourly_rate": hourly_rate, "source": source},
    )
    return rate


# --- time ----------------------------------------------------------------------------------------------------------


@transaction.atomic
def time_entry_record(
    *,
    actor: User,
    activity: Activity,
    kind: str,
    minutes: int,
    role: str = "",
    agency: Agency | None = None,
    category: str = "",
    for_someone_else: bool = False,
) -> TimeEntry:
    """Record minutes on an activity: the actor's own (``for_someone_else`` false: once per
    activity and kind, a second entry changes the first) or another agency's person by role."""
    case = Case.objects.get(pk=activity.case_id)
    if not permissions.can_record_time(actor) or not can_view_case(actor, case):
        raise Http404  # The case is not shared with this member of staff
    if activity.record_class and not may_see(actor, activity.record_class):
        raise Http404  # This record's class is withheld from the actor's agency
    errors: dict[str, str] = {}
    if kind not in activity.kinds:
        errors["kind"] = "Choose what the time was spent on"
    if not 1 <= minutes <= 24 * 60:
        errors["minutes"] = "Enter the minutes, from 1 to 1,440"
    if category and category not in Category.values:
        errors["category"] = "Choose a category"
    if for_someone_else and not role:
        errors["role"] = "Enter the person's role"
    if agency is not None and agency.partnership_id != activity.partnership_id:
        errors["agency"] = "Choose an agency of this partnership"
    if errors:
        raise ValidationError(errors)
    values: dict[str, Any] = {
        "partnership_id": activity.partnership_id,
        "case": case,
        "cost_category": category or DEFAULT_CATEGORY[kind],
        "occurred_on": activity.occurred_on,
        "minutes": minutes,
        "recorded_by": actor,
    }
    if for_someone_else:
        entry = TimeEntry.objects.create(
            activity_kind=kind, activity_id=activity.activity_id, staff=None, agency=agency, role=role, **values
        )
    elif activity.activity_id is None:
        entry = TimeEntry.objects.create(
            activity_kind=kind, activity_id=None, staff=actor, agency=actor.agency, role=actor.role, **values
        )
    else:
        entry, _ = TimeEntry.objects.update_or_create(
            activity_kind=kind,
            activity_id=activity.activity_id,
            staff=actor,
            defaults={"agency": actor.agency, "role": actor.role, **values},
        )
    access_record(user=actor, action=AccessAction.CHANGE, record_type="costs.timeentry", record_ids=[entry.pk])
    return entry


@transaction.atomic
def time_entry_delete(*, actor: User, entry: TimeEntry) -> None:
    if entry.recorded_by_id != actor.pk and entry.staff_id != actor.pk:
        raise Http404  # Only who recorded the time removes it
    access_record(user=actor, action=AccessAction.CHANGE, record_type="costs.timeentry", record_ids=[entry.pk])
    entry.delete()


@transaction.atomic
def staff_fte_record(*, actor: User, agency: Agency, starts_on: dt.date, ends_on: dt.date, fte: Decimal) -> StaffFte:
    _require_manager(actor)
    errors: dict[str, str] = {}
    if agency.partnership_id != _partnership_id(actor):
        errors["agency"] = "Choose an agency of your partnership"
    if ends_on < starts_on:
        errors["ends_on"] = "The end of the period must be on or after its start"
    if fte <= 0 or fte > 1000:
        errors["fte"] = "Enter the full-time equivalents, more than 0"
    if errors:
        raise ValidationError(errors)
    row, _ = StaffFte.objects.update_or_create(
        agency=agency,
        starts_on=starts_on,
        defaults={"partnership_id": agency.partnership_id, "ends_on": ends_on, "fte": fte, "recorded_by": actor},
    )
    return row


# --- cost accounts -------------------------------------------------------------------------------------------------


def rate_card_for(*, partnership_id: int, on: dt.date) -> RateCard | None:
    """The rate card of the financial year ``on`` falls in, else the latest before it, else any."""
    cards = RateCard.objects.filter(partnership_id=partnership_id)
    fy = financial_year_of(on)
    return (
        cards.filter(financial_year=fy).first()
        or cards.filter(financial_year__lt=fy).order_by("-financial_year").first()
        or cards.order_by("financial_year").first()
    )


@transaction.atomic
def cost_account_open(*, actor: User, case: Case, rate_card: RateCard | None = None) -> CostAccount:
    _require_manager(actor)
    if case.partnership_id != _partnership_id(actor) or not can_view_case(actor, case):
        raise Http404
    existing = CostAccount.objects.filter(case=case).first()
    if existing is not None:
        return existing
    card = rate_card or rate_card_for(partnership_id=case.partnership_id, on=case.received_on)
    if card is None or card.partnership_id != case.partnership_id:
        raise ValidationError({"rate_card": "Enter the partnership's rates for a financial year first"})
    account = CostAccount.objects.create(
        case=case, partnership_id=case.partnership_id, rate_card=card, created_by=actor
    )
    for kind in ScenarioKind.values:
        Scenario.objects.create(account=account, kind=kind)
    access_record(user=actor, action=AccessAction.CREATE, record_type="costs.costaccount", record_ids=[account.pk])
    return account


def _require_draft(account: CostAccount) -> None:
    if account.status != AccountStatus.DRAFT:
        raise ValidationError({"account": "This account is finished: it keeps the figures it was worked out with"})


def unit_cost_for(*, partnership_id: int, unit_cost_id: int) -> UnitCost:
    """A catalogue entry offered to the partnership (its own, or shipped), or a field error."""
    from django.db.models import Q

    unit = UnitCost.objects.filter(
        Q(partnership_id=partnership_id) | Q(partnership__isnull=True), pk=unit_cost_id
    ).first()
    if unit is None:
        raise ValidationError({"unit_cost": "Choose a cost from the catalogue"})
    return unit


def _priced(unit: UnitCost, quantity: Decimal) -> dict[str, Any]:
    if unit.kind == UnitKind.QALY:
        assert unit.qaly_loss is not None and unit.value_of_year is not None
        amount = calc.qaly_amount(months=quantity, qaly_loss=unit.qaly_loss, value_of_year=unit.value_of_year)
        return {"qaly_loss": unit.qaly_loss, "value_of_year": unit.value_of_year, "amount": amount}
    assert unit.amount is not None
    return {"unit_amount": unit.amount, "amount": calc.unit_amount(quantity=quantity, amount=unit.amount)}


def _check_quantity(quantity: Decimal) -> None:
    if quantity <= 0 or quantity > Decimal("100000"):
        raise ValidationError({"quantity": "Enter a quantity more than 0 (months for a health state, or a number)"})


@transaction.atomic
def cost_line_add(
    *,
    actor: User,
    account: CostAccount,
    category: str,
    bearer: str,
    label: str = "",
    amount: Decimal | None = None,
    unit_cost_id: int | None = None,
    quantity: Decimal | None = None,
    source: str = "",
) -> CostLine:
    """A line of what happened: a sum of money, or a catalogue entry × a quantity."""
    _require_manager(actor)
    _require_draft(account)
    errors: dict[str, str] = {}
    if category not in Category.values:
        errors["category"] = "Choose a category"
    if bearer not in (Bearer.STATE, Bearer.VICTIM):
        errors["bearer"] = "Choose who bore the cost"
    if unit_cost_id is None and amount is None:
        errors["amount"] = "Enter the amount, or choose a cost from the catalogue"
    if amount is not None and amount < 0:
        errors["amount"] = "An amount cannot be negative"
    if unit_cost_id is None and not label:
        errors["label"] = "Say what the cost was"
    if errors:
        raise ValidationError(errors)
    fields: dict[str, Any]
    if unit_cost_id is not None:
        unit = unit_cost_for(partnership_id=account.partnership_id, unit_cost_id=unit_cost_id)
        quantity = quantity if quantity is not None else Decimal(1)
        _check_quantity(quantity)
        fields = {
            "kind": unit.kind,
            "unit_cost": unit,
            "quantity": quantity,
            "label": label or unit.label,
            "source": source or unit.source,
            **_priced(unit, quantity),
        }
    else:
        assert amount is not None
        fields = {"kind": UnitKind.MONEY, "amount": calc.money(amount), "label": label, "source": source}
    line = CostLine.objects.create(account=account, category=category, bearer=bearer, **fields)
    access_record(user=actor, action=AccessAction.CHANGE, record_type="costs.costaccount", record_ids=[account.pk])
    return line


@transaction.atomic
def cost_line_remove(*, actor: User, line: CostLine) -> None:
    _require_manager(actor)
    _require_draft(line.account)
    access_record(user=actor, action=AccessAction.CHANGE, record_type="costs.costaccount", record_ids=[line.account_id])
    line.delete()


@transaction.atomic
def scenario_item_add(
    *,
    actor: User,
    account: CostAccount,
    scenario_kind: str,
    unit_cost_id: int,
    quantity: Decimal = Decimal(1),
    bearer: str = "",
    label: str = "",
) -> ScenarioItem:
    """A cost avoided, from the catalogue; the bearer defaults to the catalogue's."""
    _require_manager(actor)
    _require_draft(account)
    if scenario_kind not in ScenarioKind.values:
        raise ValidationError({"scenario": "Choose the best or the worst case"})
    if bearer and bearer not in Bearer.values:
        raise ValidationError({"bearer": "Choose who would have borne the cost"})
    unit = unit_cost_for(partnership_id=account.partnership_id, unit_cost_id=unit_cost_id)
    _check_quantity(quantity)
    scenario = Scenario.objects.get(account=account, kind=scenario_kind)
    item = ScenarioItem.objects.create(
        scenario=scenario,
        unit_cost=unit,
        label=label or unit.label,
        bearer=bearer or unit.bearer,
        kind=unit.kind,
        quantity=quantity,
        source=unit.source,
        **_priced(unit, quantity),
    )
    access_record(user=actor, action=AccessAction.CHANGE, record_type="costs.costaccount", record_ids=[account.pk])
    return item


@transaction.atomic
def scenario_item_remove(*, actor: User, item: ScenarioItem) -> None:
    _require_manager(actor)
    account = item.scenario.account
    _require_draft(account)
    access_record(user=actor, action=AccessAction.CHANGE, record_type="costs.costaccount", record_ids=[account.pk])
    item.delete()


@transaction.atomic
def scenario_narrative_set(*, actor: User, account: CostAccount, scenario_kind: str, narrative: str) -> Scenario:
    _require_manager(actor)
    _require_draft(account)
    scenario = Scenario.objects.get(account=account, kind=scenario_kind)
    scenario.narrative = narrative
    scenario.save(update_fields=["narrative"])
    return scenario


@transaction.atomic
def cost_account_finish(*, actor: User, account: CostAccount) -> CostAccount:
    """Copy the staff time at today's rates and the infrastructure cost into the account,
    so later changes of rates leave it as it is."""
    from costs.selectors import draft_staff_lines

    _require_manager(actor)
    account = CostAccount.objects.select_for_update().select_related("rate_card").get(pk=account.pk)
    _require_draft(account)
    staff_lines, missing = draft_staff_lines(account)
    if missing:
        raise ValidationError(
            {"account": "Enter an hourly rate for " + ", ".join(sorted(missing)) + " before finishing the account"}
        )
    for line in staff_lines:
        CostLine.objects.create(
            account=account,
            category=line.category,
            bearer=line.bearer,
            kind="staff_time",
            label=line.label,
            role=line.role,
            hours=line.hours,
            hourly_rate=line.hourly_rate,
            amount=line.amount,
            frozen=True,
            source=line.source,
        )
    card = account.rate_card
    account.infrastructure = calc.infrastructure_per_referral(
        operating_costs=card.operating_costs, referrals=card.referrals_in_year
    )
    account.status = AccountStatus.FINISHED
    account.finished_by = actor
    account.finished_at = timezone.now()
    account.save(update_fields=["infrastructure", "status", "finished_by", "finished_at"])
    access_record(user=actor, action=AccessAction.CHANGE, record_type="costs.costaccount", record_ids=[account.pk])
    return account


def partnership_of(actor: User) -> Partnership:
    assert actor.agency is not None
    return actor.agency.partnership
