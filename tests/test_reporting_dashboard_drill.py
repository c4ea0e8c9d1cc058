"""The dashboard over a chosen period, and each bar's list of the cases behind it.

The dataset is tests/reporting_returns_data.py (its table gives each case's dates); every
expected figure and list below is worked out by hand from that table, in the comments.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from agencies.models import Role
from audit.models import AccessLog
from cases import services as case_services
from cases.models import Case
from cases.selectors import case_shared_agencies
from reporting.dashboard import ReportPeriod, dashboard_for_partnership
from reporting.returns.measures import Quarter
from tests.factories import World, make_user
from tests.reporting_returns_data import Dataset, build

pytestmark = pytest.mark.django_db
NEW_YEARS_EVE = dt.date(2025, 12, 31)


@pytest.fixture
def data(world: World, other_world: World) -> Dataset:
    return build(world, other_world)


def _series(board: Any, key: str) -> dict[str, list[int]]:
    return {s.key: s.data for s in board.chart(key).series}


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _listed(client: Client, url: str) -> list[int]:
    response = client.get(url)
    assert response.status_code == 200, url
    return [case.pk for case in response.context["found"].cases]


def test_the_period_changes_the_figures(data: Dataset) -> None:
    partnership = data.world.partnership.pk
    # 2025/26 Q3 is October to December 2025: three months, one bar each.
    q3 = dashboard_for_partnership(
        partnership_id=partnership, today=NEW_YEARS_EVE, period=ReportPeriod.quarter(Quarter(2025, 3), NEW_YEARS_EVE)
    )
    assert q3.chart("referrals_decisions").labels == ["Oct 2025", "Nov 2025", "Dec 2025"]
    flow = _series(q3, "referrals_decisions")
    # Referred: Oct C1, C5; Nov C2; Dec C3, C6. Accepted: Oct C4, C9, C1; Nov C2. Declined: Oct C5; Dec C3.
    assert flow == {"referred": [2, 1, 2], "accepted": [3, 1, 0], "declined": [1, 0, 1]}
    # Q2 (July to September): referred Jul C8, Aug C9, Sep C4; accepted Jul C8.
    q2 = dashboard_for_partnership(
        partnership_id=partnership, today=NEW_YEARS_EVE, period=ReportPeriod.quarter(Quarter(2025, 2), NEW_YEARS_EVE)
    )
    assert _series(q2, "referrals_decisions") == {"referred": [1, 1, 1], "accepted": [1, 0, 0], "declined": [0, 0, 0]}
    # A custom period cuts its first and last months at its dates: 15 October to 10 November
    # holds C5 (15 Oct) and C2 (10 Nov) referred, not C1 (5 Oct); C1 accepted (20 Oct), not C9
    # (10 Oct) nor C2 (15 Nov, after the period); C5 declined (30 Oct).
    custom = dashboard_for_partnership(
        partnership_id=partnership,
        today=NEW_YEARS_EVE,
        period=ReportPeriod.custom(dt.date(2025, 10, 15), dt.date(2025, 11, 10)),
    )
    assert custom.chart("referrals_decisions").labels == ["Oct 2025", "Nov 2025"]
    assert _series(custom, "referrals_decisions") == {"referred": [1, 1], "accepted": [1, 0], "declined": [1, 0]}
    # The caseload now does not depend on the period.
    assert q3.open_cases == q2.open_cases == custom.open_cases == 8


def test_the_period_form_on_the_page(data: Dataset, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: NEW_YEARS_EVE)
    client = _client(data.world.programme_manager)
    default = client.get(reverse("reporting:dashboard"))
    assert default.context["board"].chart("referrals_decisions").labels[0] == "Jan 2025"
    quarter = client.get(reverse("reporting:dashboard"), {"period": "quarter", "quarter": "2025-Q3"})
    assert quarter.status_code == 200
    assert quarter.context["board"].chart("referrals_decisions").series[0].data == [2, 1, 2]
    custom = client.get(
        reverse("reporting:dashboard"),
        {
            "period": "custom",
            "start_day": "15",
            "start_month": "10",
            "start_year": "2025",
            "end_day": "10",
            "end_month": "11",
            "end_year": "2025",
        },
    )
    assert custom.status_code == 200
    assert custom.context["board"].chart("referrals_decisions").series[0].data == [1, 1]
    assert "Showing 15 October 2025 to 10 November 2025" in custom.content.decode()


def test_a_bad_period_shows_every_error_at_once(data: Dataset, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: NEW_YEARS_EVE)
    client = _client(data.world.programme_manager)
    both = client.get(
        reverse("reporting:dashboard"),
        {
            "period": "custom",
            "start_day": "31",
            "start_month": "2",
            "start_year": "2025",
            "end_day": "",
            "end_month": "",
            "end_year": "",
        },
    )
    assert both.status_code == 400
    page = both.content.decode()
    summary = page[
        page.index("govuk-error-summary__list") : page.index("</ul>", page.index("govuk-error-summary__list"))
    ]
    assert ">Start date must be a real date</a>" in summary
    assert ">Enter the end date</a>" in summary
    # The figures stay those of the default period.
    assert both.context["board"].chart("referrals_decisions").labels[0] == "Jan 2025"
    backwards = client.get(
        reverse("reporting:dashboard"),
        {
            "period": "custom",
            "start_day": "1",
            "start_month": "12",
            "start_year": "2025",
            "end_day": "1",
            "end_month": "11",
            "end_year": "2025",
        },
    )
    assert backwards.status_code == 400
    assert "End date must be the same as or after the start date" in backwards.content.decode()
    too_long = client.get(
        reverse("reporting:dashboard"),
        {
            "period": "custom",
            "start_day": "1",
            "start_month": "1",
            "start_year": "2020",
            "end_day": "1",
            "end_month": "1",
            "end_year": "2025",
        },
    )
    assert too_long.status_code == 400
    assert "The period must be 3 years or shorter" in too_long.content.decode()
    no_quarter = client.get(reverse("reporting:dashboard"), {"period": "quarter", "quarter": ""})
    assert no_quarter.status_code == 400 and "Choose the quarter" in no_quarter.content.decode()


def test_each_bar_lists_exactly_the_cases_it_counts(data: Dataset, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: NEW_YEARS_EVE)
    c = {name: case.pk for name, case in data.cases.items()}
    client = _client(data.world.programme_manager)
    board = client.get(reverse("reporting:dashboard"), {"period": "quarter", "quarter": "2025-Q3"}).context["board"]
    flow = {s.key: s for s in board.chart("referrals_decisions").series}
    # October: referred C1 (5th), C5 (15th); accepted C9 (10th), C1 (20th), C4 (2nd); declined C5.
    # Lists are newest referral first.
    assert _listed(client, flow["referred"].links[0]) == [c["C5"], c["C1"]]
    assert _listed(client, flow["accepted"].links[0]) == [c["C1"], c["C4"], c["C9"]]
    assert _listed(client, flow["declined"].links[2]) == [c["C3"]]
    assert flow["accepted"].links[2] == ""  # nothing accepted in December: nothing to open
    status = board.chart("caseload_status")
    active = status.series[0].links[status.labels.index("Active")]
    # Active: C1, C2, C4, C7, C8, C9 (newest referral first).
    assert _listed(client, active) == [c["C7"], c["C2"], c["C1"], c["C4"], c["C9"], c["C8"]]
    tier = board.chart("caseload_tier")
    assert _listed(client, tier.series[0].links[tier.labels.index("No tier")]) == [c["C6"], c["C4"]]
    # Every bar of every chart: the list is as long as the bar (this user may see every case),
    # counting contacts, sessions and reviews on each listed case.
    checked = 0
    for chart in board.charts:
        for series in chart.series:
            for figure, link in zip(series.data, series.links, strict=True):
                if not link:
                    assert figure == 0
                    continue
                response = client.get(link)
                assert response.status_code == 200, (chart.key, link)
                found = response.context["found"]
                listed = sum(getattr(case, "n", 1) for case in found.cases)
                assert (found.counted, found.visible, listed) == (figure, figure, figure), (chart.key, link)
                checked += 1
    assert checked >= 15
    # The list is logged against the cases it shows.
    logged = AccessLog.objects.filter(user=data.world.programme_manager, record_type="cases.case").latest("pk")
    assert logged.purpose.startswith("dashboard")


def test_a_user_of_another_agency_sees_only_the_cases_shared_with_it(data: Dataset, world: World) -> None:
    c = data.cases
    manager = make_user(world.advocacy, Role.PROGRAMME_MANAGER)
    # Of the October referrals (C1, C5), only C1 is shared with the advocacy service (C5, a
    # self-referral, is shared with it from the start: that share is withdrawn).
    case_services.case_share_add(actor=world.triage_officer, case=c["C1"], agency=world.advocacy, reason="Support")
    if world.advocacy in case_shared_agencies(case=c["C5"]):
        case_services.case_share_remove(actor=world.admin, case=c["C5"], agency=world.advocacy, reason="Not needed")
    url = (
        reverse("reporting:dashboard_cases")
        + "?chart=referrals_decisions&series=referred&from=2025-10-01&to=2025-10-31"
    )
    response = _client(manager).get(url)
    found = response.context["found"]
    assert [case.pk for case in found.cases] == [c["C1"].pk]
    assert (found.counted, found.visible) == (2, 1)
    page = response.content.decode()
    assert c["C5"].reference not in page and c["C1"].reference in page
    assert "2 cases counted in the partnership; 1 of them is on cases shared with your agency" in page
    # A restricted case is counted, never listed, even to the agency that referred it.
    Case.objects.filter(pk=c["C1"].pk).update(is_restricted=True)
    assert _listed(_client(manager), url) == []


@pytest.mark.parametrize("role", ["triage_officer", "advocate", "clinician", "probation_practitioner"])
def test_the_cases_behind_a_bar_are_404_outside_the_programme_roles(data: Dataset, role: str) -> None:
    url = reverse("reporting:dashboard_cases") + "?chart=caseload_status&series=cases&value=active"
    assert _client(getattr(data.world, role)).get(url).status_code == 404


@pytest.mark.parametrize(
    "query",
    [
        "chart=caseload_status&series=cases&value=closed",  # not an open status: no bar
        "chart=caseload_status&series=nothing&value=active",
        "chart=secret&series=cases&value=active",
        "chart=referrals_decisions&series=referred&from=2025-10-31&to=2025-10-01",
        "chart=referrals_decisions&series=referred&from=yesterday&to=2025-10-01",
        "chart=contacts&series=contacts",
    ],
)
def test_a_bar_that_is_not_one_is_404(data: Dataset, query: str) -> None:
    response = _client(data.world.programme_manager).get(reverse("reporting:dashboard_cases") + "?" + query)
    assert response.status_code == 404


def test_the_other_partnership_never_appears(data: Dataset, other_world: World) -> None:
    # O1 (the other partnership) was referred on 5 October too: never counted or listed here,
    # and the other partnership's manager sees only O1.
    url = (
        reverse("reporting:dashboard_cases")
        + "?chart=referrals_decisions&series=referred&from=2025-10-01&to=2025-10-31"
    )
    mine = _client(data.world.programme_manager).get(url).context["found"]
    assert mine.counted == 2 and len(mine.cases) == 2
    theirs = _client(other_world.programme_manager).get(url).context["found"]
    assert theirs.counted == 1
    assert [case.partnership_id for case in theirs.cases] == [other_world.partnership.pk]


def test_every_chart_states_its_unit(data: Dataset) -> None:
    page = _client(data.world.programme_manager).get(reverse("reporting:dashboard")).content.decode()
    board = dashboard_for_partnership(partnership_id=data.world.partnership.pk, today=NEW_YEARS_EVE)
    units = {chart.key: chart.unit for chart in board.charts}
    assert units == {
        "caseload_status": "cases",
        "caseload_tier": "cases",
        "caseload_risk": "cases",
        "referrals_decisions": "cases",
        "contacts": "contacts",
        "sessions": "sessions",
        "followups": "reviews",
    }
    for unit in set(units.values()):
        assert f"Each figure is a number of {unit}." in page
