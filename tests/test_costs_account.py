"""A case's cost account: the report's Cheshire case 1 rebuilt from its line items, the
rates a finished account keeps, and the arithmetic's edges."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from costs import calculation as calc
from costs import selectors, services
from costs.models import AccountStatus, Category, HourlyRate
from tests.cost_factories import cheshire_case_1
from tests.factories import World

pytestmark = pytest.mark.django_db


def _view(world: World, account_case_id: int) -> selectors.AccountView:
    return selectors.cost_account_view_for_user(user=world.programme_manager, case_id=account_case_id)


def _rows(view: selectors.AccountView) -> dict[str, Decimal | None]:
    return {row.key: row.amount for row in view.rows}


def _check_cheshire_figures(view: selectors.AccountView) -> None:
    rows = _rows(view)
    assert rows[Category.INFRASTRUCTURE] == Decimal("151.13")
    assert rows[Category.REFERRAL] == Decimal("552.14")
    assert rows[Category.INITIAL_RISK_ASSESSMENT] == Decimal("4435.79")
    # The report prints safeguarding as £1,892.09, but its five state rows then add to
    # £7,183.03, 49p over its own total of £7,182.54 (the figure its ratio is worked from).
    # The time entered gives the total; safeguarding comes to £1,891.60.
    assert rows[Category.SAFEGUARDING] == Decimal("1891.60")
    assert rows[Category.FOLLOW_UP] == Decimal("151.88")
    assert rows[Category.VICTIM_COSTS] == Decimal("20579.74")
    assert view.state == Decimal("7182.54")
    assert view.victim == Decimal("20579.74")
    assert view.total == Decimal("27762.28")
    best, worst = view.scenarios
    assert (best.kind, worst.kind) == ("best", "worst")
    assert best.state == Decimal("20179.26")
    assert best.victim == Decimal("71438.41")
    assert best.state_ratio == Decimal("2.8")
    assert best.victim_ratio == Decimal("3.5")
    # The worst case holds a cost to society the report could not split: one ratio, on totals.
    assert worst.total == Decimal("2288537.59")
    assert not worst.split
    assert worst.state_ratio is None and worst.victim_ratio is None
    assert worst.total_ratio == Decimal("82.4")


def test_cheshire_case_1_from_its_line_items(world: World) -> None:
    account = cheshire_case_1(world)
    view = _view(world, account.case_id)
    assert view.missing_rates == []
    _check_cheshire_figures(view)
    # The QALY lines are months × loss × value of a year, to the penny.
    victim_lines = next(r for r in view.rows if r.key == Category.VICTIM_COSTS).lines
    assert victim_lines[0].amount == Decimal("11344.74")


def test_a_finished_account_keeps_the_rates_it_used(world: World) -> None:
    account = cheshire_case_1(world)
    services.cost_account_finish(actor=world.programme_manager, account=account)
    account.refresh_from_db()
    assert account.status == AccountStatus.FINISHED
    # Rates change after the analysis: the clinician's rate doubles, operating costs rise.
    rate = HourlyRate.objects.get(rate_card=account.rate_card, role="clinician")
    services.hourly_rate_set(
        actor=world.programme_manager, rate_card=account.rate_card, role="clinician", label=rate.label,
        hourly_rate=Decimal("81.4280"),
    )  # fmt: skip
    services.rate_card_save(
        actor=world.programme_manager, financial_year=2018, price_year=2019, operating_costs=Decimal("99999.00"),
        referrals_in_year=120,
    )  # fmt: skip
    _check_cheshire_figures(_view(world, account.case_id))
    # A finished account takes no more lines.
    with pytest.raises(ValidationError) as exc:
        services.cost_line_add(
            actor=world.programme_manager, account=account, category="victim_costs", bearer="victim",
            label="Late receipt", amount=Decimal("1.00"),
        )  # fmt: skip
    assert "account" in exc.value.message_dict


def test_a_draft_account_follows_the_current_rates(world: World) -> None:
    account = cheshire_case_1(world)
    services.hourly_rate_set(
        actor=world.programme_manager, rate_card=account.rate_card, role="clinician", label="Clinician",
        hourly_rate=Decimal("50.0000"),
    )  # fmt: skip
    rows = _rows(_view(world, account.case_id))
    # 10 h of referral work at £50 instead of £40.714, with the other people's time unchanged.
    assert rows[Category.REFERRAL] == Decimal("552.14") - Decimal("407.14") + Decimal("500.00")


def test_finishing_needs_a_rate_for_every_role_with_time(world: World) -> None:
    account = cheshire_case_1(world)
    HourlyRate.objects.filter(rate_card=account.rate_card, role="prison_nurse").delete()
    view = _view(world, account.case_id)
    assert view.missing_rates == ["Prison nurse"]
    with pytest.raises(ValidationError) as exc:
        services.cost_account_finish(actor=world.programme_manager, account=account)
    assert "Prison nurse" in exc.value.message_dict["account"][0]


def test_ratios_round_half_up_and_are_absent_over_nothing() -> None:
    assert calc.ratio(Decimal("20179.26"), Decimal("7182.54")) == Decimal("2.8")
    assert calc.ratio(Decimal("1.25"), Decimal("1")) == Decimal("1.3")
    assert calc.ratio(Decimal("5"), Decimal("0")) is None
    assert calc.staff_time_amount(minutes=1, hourly_rate=Decimal("0.3000")) == Decimal("0.01")  # 0.005 rounds up
    assert calc.infrastructure_per_referral(operating_costs=Decimal("100"), referrals=0) == Decimal("0.00")
