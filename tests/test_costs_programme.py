"""Programme cost figures: cost per case and per outcome, time per agency, caseload per FTE."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from agencies.models import User
from cases.models import Case
from costs import activities, selectors, services
from followups import services as followup_services
from tests.case_factories import make_case
from tests.factories import World
from tests.followups_factories import accepted_case

pytestmark = pytest.mark.django_db

START, END = dt.date(2026, 4, 1), dt.date(2026, 9, 30)  # 183 days


def _time(actor: User, case: Case, on: dt.date, minutes: int, *, role: str = "") -> None:
    activity = activities.case_activity(case_id=case.pk, partnership_id=case.partnership_id, on=on)
    services.time_entry_record(
        actor=actor, activity=activity, kind="referral", minutes=minutes, role=role, for_someone_else=bool(role)
    )


def _build(world: World) -> None:
    pm = world.programme_manager
    card = services.rate_card_save(
        actor=pm, financial_year=2026, price_year=2026, operating_costs=Decimal("12000"), referrals_in_year=100
    )
    for role, rate in [("triage_officer", "30"), ("advocate", "24"), ("officer_in_charge", "27")]:
        services.hourly_rate_set(actor=pm, rate_card=card, role=role, label=role, hourly_rate=Decimal(rate))
    a = make_case(world.triage_officer, received_on=dt.date(2026, 5, 1), crime_reference="CH/1/26")
    b = make_case(world.triage_officer, received_on=dt.date(2025, 6, 1), crime_reference="CH/2/25")
    _time(world.triage_officer, a, dt.date(2026, 5, 2), 90)  # £45.00
    _time(world.advocate, a, dt.date(2026, 6, 1), 60)  # £24.00
    _time(world.triage_officer, a, dt.date(2026, 6, 2), 120, role="officer_in_charge")  # £54.00, no agency
    _time(world.advocate, b, dt.date(2026, 7, 1), 30)  # £12.00
    _time(world.advocate, b, dt.date(2026, 10, 15), 30)  # after the period: not counted
    # Six months of monitoring completed in the period without re-offending: one outcome.
    accepted_case(world, decided_on=dt.date(2025, 12, 1), crime_reference="CH/3/25")
    # Re-offended within its six months: no outcome.
    d = accepted_case(world, decided_on=dt.date(2026, 1, 10), crime_reference="CH/4/26")
    followup_services.reoffending_record_add(
        actor=world.triage_officer,
        case=d,
        data=followup_services.OccurrenceInput(
            occurred_on=dt.date(2026, 3, 1), kind="persistence", victim="same", source="police", offence="s2a_stalking"
        ),
    )
    # Six months not over by the end of the period; received in the period (infrastructure).
    accepted_case(world, decided_on=dt.date(2026, 5, 1), crime_reference="CH/5/26")
    services.staff_fte_record(actor=pm, agency=world.police, starts_on=START, ends_on=END, fte=Decimal("2"))
    services.staff_fte_record(
        actor=pm, agency=world.advocacy, starts_on=START, ends_on=dt.date(2026, 6, 30), fte=Decimal("1")
    )


def test_programme_figures(world: World) -> None:
    _build(world)
    f = selectors.programme_figures_for_user(user=world.programme_manager, date_from=START, date_to=END)
    assert f.staff_cost == Decimal("135.00")
    # Two referrals received in the period × £12,000 / 100.
    assert f.infrastructure == Decimal("240.00")
    assert f.total_cost == Decimal("375.00")
    assert f.cases_worked == 2
    assert f.cost_per_case == Decimal("187.50")
    assert f.outcomes == 1
    assert f.cost_per_outcome == Decimal("375.00")
    # Three accepted cases open in the period; 2 FTE all period + 1 FTE for 91 of its 183 days.
    assert f.caseload == 3
    assert f.fte == Decimal("2.50")
    assert f.caseload_per_fte == Decimal("1.2")
    by_agency = {row.agency: (row.hours, row.cost, row.fte) for row in f.by_agency}
    assert by_agency[world.police.name] == (Decimal("1.5"), Decimal("45.00"), Decimal("2.00"))
    assert by_agency[world.advocacy.name] == (Decimal("1.5"), Decimal("36.00"), Decimal("0.50"))
    assert by_agency["Other agencies (by role)"] == (Decimal("2.0"), Decimal("54.00"), Decimal("0.00"))
    assert f.roles_without_rate == []


def test_programme_figures_cost_a_fixed_number_of_queries(world: World, django_assert_max_num_queries: Any) -> None:
    _build(world)
    # One aggregate per figure, whatever the number of entries or agencies.
    with django_assert_max_num_queries(9):
        selectors.programme_figures(partnership_id=world.partnership.pk, date_from=START, date_to=END)


def test_programme_api_and_page(world: World) -> None:
    _build(world)
    client = Client()
    client.force_login(world.programme_manager)
    body = client.get(reverse("api-costs-programme"), {"date_from": "2026-04-01", "date_to": "2026-09-30"}).json()
    assert body["cost_per_case"] == "187.50" and body["caseload_per_fte"] == "1.2"
    page = client.get(
        reverse("costs:programme"),
        {
            "date_from_day": "1",
            "date_from_month": "4",
            "date_from_year": "2026",
            "date_to_day": "30",
            "date_to_month": "9",
            "date_to_year": "2026",
        },
    )
    assert page.status_code == 200
    assert "£187.50" in page.content.decode()
    advocate = Client()
    advocate.force_login(world.advocate)
    assert (
        advocate.get(reverse("api-costs-programme"), {"date_from": "2026-04-01", "date_to": "2026-09-30"}).status_code
        == 404
    )
