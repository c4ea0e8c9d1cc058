"""The caseload's sorting on every column, its page numbers and its count (exact and estimated)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from agencies.models import Role, User
from cases import selectors
from cases.models import Case, CaseStatus
from tests.case_factories import make_case
from tests.factories import World, make_user

pytestmark = pytest.mark.django_db

TODAY = dt.date.today()


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _varied_cases(world: World) -> list[Case]:
    """Seven cases that differ on every sortable column, with ties, unset values and
    a shared received date, so the id tie-break and the unset rules are exercised."""
    workers = [
        make_user(world.advocacy, Role.ADVOCATE, first_name="Ana", last_name=name) for name in ("Brown", "Ahmed")
    ]
    spec: list[tuple[str, int | None, str, User | None, int | None, int]] = [
        # status, tier, risk, worker, next due in days, received days ago
        (CaseStatus.ACTIVE, 2, "low", workers[0], 5, 3),
        (CaseStatus.REFERRED, None, "", None, None, 1),
        (CaseStatus.CLOSED, 1, "high", workers[1], -2, 3),
        (CaseStatus.AWAITING_TRIAGE, 4, "moderate", workers[0], 1, 9),
        (CaseStatus.ACTIVE, 1, "high", None, 1, 0),
        (CaseStatus.MONITORING, None, "moderate", workers[1], 30, 5),
        (CaseStatus.REFERRED, 3, "", workers[0], None, 7),
    ]
    cases = []
    for status, tier, risk, worker, due, ago in spec:
        case = make_case(world.triage_officer, received_on=TODAY - dt.timedelta(days=ago), crime_reference="")
        Case.objects.filter(pk=case.pk).update(
            status=status,
            tier=tier,
            current_risk=risk,
            assigned_worker=worker,
            next_due_on=TODAY + dt.timedelta(days=due) if due is not None else None,
        )
        case.refresh_from_db()
        cases.append(case)
    return cases


STATUS_ORDER = list(CaseStatus.values)  # the workflow's order, as declared
RISK_ORDER = {"high": 0, "moderate": 1, "low": 2, "": 3}


def _expected_key(sort: str) -> Any:
    column = sort.removesuffix("_desc")

    def key(case: Case) -> Any:
        if column in ("received", "oldest"):
            return case.received_on
        if column == "next_due":
            return case.next_due_on
        if column == "status":
            return STATUS_ORDER.index(case.status)
        if column == "tier":
            return case.tier if case.tier is not None else 9
        if column == "risk":
            return RISK_ORDER[case.current_risk]
        worker = case.assigned_worker
        return (worker.last_name, worker.first_name) if worker else ("", "")

    return key


def _walk(user: User, sort: str, *, backwards: bool = False) -> list[int]:
    """Every case of the caseload in this sort, two to a page, by the keyset cursors."""
    filters = selectors.CaseloadFilters(sort=sort)
    page = selectors.case_list_for_user(user=user, filters=filters, page_size=2)
    seen = [row.case.pk for row in page.rows]
    while page.next_cursor:
        page = selectors.case_list_for_user(user=user, filters=filters, page_size=2, cursor=page.next_cursor)
        seen += [row.case.pk for row in page.rows]
    if backwards:
        back: list[int] = []
        back_page = page
        while back_page.previous_cursor:
            back_page = selectors.case_list_for_user(
                user=user, filters=filters, page_size=2, cursor=back_page.previous_cursor
            )
            back = [row.case.pk for row in back_page.rows] + back
        assert back + [row.case.pk for row in page.rows] == seen
    return seen


@pytest.mark.parametrize("sort", sorted(selectors.SORTS))
def test_every_sort_orders_all_pages_by_its_column_then_id(world: World, sort: str) -> None:
    cases = _varied_cases(world)
    spec = selectors.SORTS[sort]
    if spec.column == "next_due":
        cases = [c for c in cases if c.next_due_on is not None]  # said on the page
    key = _expected_key("received" if spec.column == "received" else sort)
    expected = sorted(cases, key=lambda c: (key(c), c.pk), reverse=spec.descending)
    assert _walk(world.advocate, sort, backwards=True) == [c.pk for c in expected]


def test_sort_links_toggle_and_set_aria_sort(world: World) -> None:
    _varied_cases(world)
    client = client_for(world.advocate)
    response = client.get(reverse("cases:caseload") + "?sort=risk&status=active")
    links = response.context["sort_links"]
    assert links["risk"] == {"href": "/cases/?status=active&sort=risk_desc", "aria_sort": "descending"}
    assert links["tier"] == {"href": "/cases/?status=active&sort=tier", "aria_sort": "none"}
    assert links["received"]["href"] == "/cases/?status=active"
    desc = client.get(links["risk"]["href"])
    assert desc.context["sort_links"]["risk"]["aria_sort"] == "ascending"
    assert 'aria-sort="ascending"' in desc.content.decode()
    # An unknown sort falls back to the default order, never an error.
    assert client.get(reverse("cases:caseload") + "?sort=victim").context["sort"] == "received"


def test_a_cursor_of_another_sort_is_ignored_not_an_error(world: World) -> None:
    _varied_cases(world)
    client = client_for(world.advocate)
    by_date = selectors.case_list_for_user(
        user=world.advocate, filters=selectors.CaseloadFilters(), page_size=2
    ).next_cursor
    response = client.get(reverse("cases:caseload") + f"?sort=status&cursor={by_date}")
    assert response.status_code == 200 and response.context["page"].page_number == 1
    assert len(response.context["page"].rows) == 7


def test_page_numbers_link_by_number_and_follow_the_cursor(world: World) -> None:
    made = [
        make_case(world.triage_officer, received_on=TODAY - dt.timedelta(days=n), crime_reference="") for n in range(55)
    ]
    newest_first = [c.pk for c in sorted(made, key=lambda c: (c.received_on, c.pk), reverse=True)]
    client = client_for(world.advocate)
    first = client.get(reverse("cases:caseload"))
    page = first.context["page"]
    assert (page.count, page.count_is_estimate, page.page_number, page.pages) == (55, False, 1, 3)
    assert [item.get("number") for item in first.context["page_links"]] == [1, 2, 3]
    assert "55 cases, page 1 of 3" in first.content.decode()
    third = client.get(first.context["page_links"][2]["href"])
    assert [r.case.pk for r in third.context["page"].rows] == newest_first[50:]
    assert third.context["page"].page_number == 3 and third.context["next_url"] is None
    second = client.get(third.context["previous_url"])
    assert second.context["page"].page_number == 2
    assert [r.case.pk for r in second.context["page"].rows] == newest_first[25:50]
    assert "page=2" in first.context["next_url"]
    assert [r.case.pk for r in client.get(first.context["next_url"]).context["page"].rows] == newest_first[25:50]
    # A page number out of range opens the nearest page that exists.
    assert client.get(reverse("cases:caseload") + "?page=99").context["page"].page_number == 3
    assert client.get(reverse("cases:caseload") + "?page=x").context["page"].page_number == 1


def test_count_is_exact_and_only_counts_cases_in_scope(world: World, other_world: World) -> None:
    for n in range(4):
        make_case(world.triage_officer, received_on=TODAY - dt.timedelta(days=n), crime_reference="")
    make_case(other_world.triage_officer, crime_reference="")
    page = selectors.case_list_for_user(user=world.advocate, filters=selectors.CaseloadFilters())
    assert (page.count, page.count_is_estimate, page.pages) == (4, False, 1)
    html = client_for(world.advocate).get(reverse("cases:caseload")).content.decode()
    assert "4 cases" in html and "estimate" not in html
    # Another partnership's user sees none of them, and the count says so.
    other = client_for(other_world.advocate).get(reverse("cases:caseload"))
    assert other.context["page"].count == 1
    filtered = selectors.case_list_for_user(
        user=world.advocate, filters=selectors.CaseloadFilters(statuses=[CaseStatus.CLOSED])
    )
    assert filtered.count == 0 and filtered.rows == []


def test_count_above_the_threshold_is_the_planner_estimate_and_says_so(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    for n in range(6):
        make_case(world.triage_officer, received_on=TODAY - dt.timedelta(days=n), crime_reference="")
    monkeypatch.setattr(selectors, "COUNT_EXACT_UP_TO", 3)
    page = selectors.case_list_for_user(user=world.advocate, filters=selectors.CaseloadFilters(), page_size=2)
    # Never below what was counted exactly before the threshold was reached.
    assert page.count_is_estimate and page.count >= 4
    assert page.numbered_pages_up_to == 1
    html = client_for(world.advocate).get(reverse("cases:caseload")).content.decode()
    assert "(an estimate)" in html and "About " in html


def test_api_returns_the_count_and_refuses_an_unknown_sort(world: World) -> None:
    _varied_cases(world)
    client = APIClient()
    client.force_login(world.advocate)
    body = client.get("/api/v1/cases/?sort=tier_desc").json()
    assert body["count"] == 7 and body["count_is_estimate"] is False
    tiers = [row["tier"] for row in body["results"]]
    assert tiers[:2] == [None, None] and tiers[2:] == sorted(tiers[2:], reverse=True)
    assert client.get("/api/v1/cases/?sort=victim").status_code == 400
