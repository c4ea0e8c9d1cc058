"""Cost indicators in the quarterly return: defined as data on the partnership's definition."""

from __future__ import annotations

import datetime as dt

import pytest

from costs import activities, services
from reporting.returns import measures
from reporting.returns import services as return_services
from tests.case_factories import make_case
from tests.cost_factories import cheshire_case_1
from tests.factories import World

pytestmark = pytest.mark.django_db


def test_staff_time_and_finished_accounts_as_return_indicators(world: World) -> None:
    case = make_case(world.triage_officer, received_on=dt.date(2026, 4, 2))
    for actor, on, minutes in [
        (world.advocate, dt.date(2026, 4, 10), 45),
        (world.advocate, dt.date(2026, 6, 30), 30),
        (world.triage_officer, dt.date(2026, 5, 1), 60),
        (world.triage_officer, dt.date(2026, 7, 1), 500),  # next quarter
    ]:
        activity = activities.case_activity(case_id=case.pk, partnership_id=case.partnership_id, on=on)
        services.time_entry_record(actor=actor, activity=activity, kind="referral", minutes=minutes)
    account = cheshire_case_1(world)
    services.cost_account_finish(actor=world.programme_manager, account=account)

    definition = return_services.definition_ensure_default(partnership=world.partnership)
    version = definition.versions.order_by("-number").first()
    assert version is not None
    staff_time = measures.IndicatorSpec(
        key="staff_minutes_by_agency",
        label="Staff time by agency (minutes)",
        section="Costs",
        measure="staff_minutes",
        date_basis="worked",
        breakdown="agency",
    )
    accounts = measures.IndicatorSpec(
        key="cost_accounts_finished",
        label="Cost accounts finished",
        section="Costs",
        measure="cost_accounts_finished",
        date_basis="finished",
    )
    assert measures.validate_spec(staff_time) == {}
    version = return_services.indicator_add(
        actor=world.programme_manager, definition=definition, spec=staff_time, based_on=version.number
    )
    version = return_services.indicator_add(
        actor=world.programme_manager, definition=definition, spec=accounts, based_on=version.number
    )
    assert {"staff_minutes_by_agency", "cost_accounts_finished"} <= set(
        version.indicators.values_list("key", flat=True)
    )

    q1 = measures.Quarter.parse("2026-Q1")
    assert q1 is not None
    figure = measures.compute(staff_time, partnership_id=world.partnership.pk, quarter=q1)
    by_agency = {row.label: row.count for row in figure.rows}
    assert by_agency[world.advocacy.name] == 75
    assert by_agency[world.police.name] == 60
    assert figure.total == 135
    today = measures.Quarter.containing(dt.date.today())
    assert measures.compute(accounts, partnership_id=world.partnership.pk, quarter=today).total == 1
