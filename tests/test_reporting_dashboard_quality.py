"""The programme dashboard's figures and the data-quality report, against the hand-built partnership.

The dataset is tests/reporting_returns_data.py; figures worked out by hand from its table.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from audit.models import AccessLog
from cases.models import Case
from reporting import data_quality
from reporting.dashboard import dashboard_for_partnership
from tests.case_factories import make_case
from tests.factories import World
from tests.reporting_returns_data import Dataset, build

pytestmark = pytest.mark.django_db
NEW_YEARS_EVE = dt.date(2025, 12, 31)


@pytest.fixture
def data(world: World, other_world: World) -> Dataset:
    return build(world, other_world)


def _series(board: Any, key: str) -> dict[str, list[int]]:
    chart = board.chart(key)
    return {s.label: s.data for s in chart.series}


def test_dashboard_figures(data: Dataset) -> None:
    board = dashboard_for_partnership(partnership_id=data.world.partnership.pk, today=NEW_YEARS_EVE)
    # Open now (not closed or declined): C1, C2, C4, C6, C7, C8, C9, C10. C3 and C5 are declined.
    assert board.open_cases == 8
    status = dict(zip(board.chart("caseload_status").labels, _series(board, "caseload_status")["Cases"], strict=True))
    # Active: C1, C2, C4, C7, C8, C9; awaiting triage: C6; monitoring: C10.
    assert status == {"Referred": 0, "Awaiting triage": 1, "Accepted": 0, "Active": 6, "Monitoring": 1, "Reopened": 0}
    # Tier 1: C2, C7; tier 2: C1, C10; tier 3: C8; tier 4: C9; none: C4, C6.
    assert _series(board, "caseload_tier")["Cases"] == [2, 2, 1, 1, 2]

    months = board.chart("referrals_decisions").labels
    assert months[0] == "Jan 2025" and months[-1] == "Dec 2025" and len(months) == 12
    flow = _series(board, "referrals_decisions")
    # Received: Jan C10; Jul C8; Aug C9; Sep C4; Oct C1, C5; Nov C2; Dec C3, C6. (C7 is 1 Jan 2026.)
    assert flow["Referred"] == [1, 0, 0, 0, 0, 0, 1, 1, 1, 2, 1, 2]
    # Accepted: Feb C10; Jul C8; Oct C4, C9, C1; Nov C2. Declined: Oct C5; Dec C3.
    assert flow["Accepted"] == [0, 1, 0, 0, 0, 0, 1, 0, 0, 3, 1, 0]
    assert flow["Declined"] == [0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1]

    work = {**_series(board, "contacts"), **_series(board, "sessions")}
    # Contacts by London month: Sep C4 (23:50 on the 30th); Oct C8 (00:05 on the 1st), C1; Nov C1; Dec C2.
    assert work["Advocacy contacts"] == [0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 1, 1]
    # Delivered: Sep C8 s3; Oct C8 s1 and s2 (late); Dec C1 s1. Missed: Oct C8 s2.
    assert work["Sessions delivered"] == [0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 0, 1]
    assert work["Sessions missed"] == [0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0]

    # One open review, C4's 3-month, due 2 Jan 2026: not overdue on 31 Dec, due within 30 days, in January.
    assert (board.followups_overdue, board.followups_due_soon) == (0, 1)
    followups = board.chart("followups")
    assert followups.labels == ["Overdue", "Dec 2025", "Jan 2026", "Feb 2026", "Mar 2026", "Apr 2026", "May 2026"]
    assert followups.series[0].data == [0, 0, 1, 0, 0, 0, 0]


def test_dashboard_page_has_a_table_for_each_chart_and_a_fixed_query_count(
    data: Dataset, world: World, django_assert_num_queries: Any
) -> None:
    client = Client()
    client.force_login(data.world.programme_manager)
    client.get(reverse("reporting:dashboard"))
    with CaptureQueriesContext(connection) as before:
        client.get(reverse("reporting:dashboard"))
    # Seven aggregates: the caseload now; referrals, decisions, contacts and sessions by month; reviews
    # overdue and due soon; reviews by month due. The rest is the page's chrome (session, user, header,
    # the header's unread-notifications count).
    aggregates = [q for q in before.captured_queries if "COUNT(" in q["sql"]]
    assert len([q for q in aggregates if "notifications_notification" not in q["sql"]]) == 7
    for n in range(3):
        make_case(world.triage_officer, received_on=NEW_YEARS_EVE, crime_reference=f"XX/MORE{n}/25")
    # More cases, the same queries.
    with django_assert_num_queries(len(before)):
        response = client.get(reverse("reporting:dashboard"))
    page = response.content.decode()
    for key in (
        "caseload_status",
        "caseload_tier",
        "caseload_risk",
        "referrals_decisions",
        "contacts",
        "sessions",
        "followups",
    ):
        assert f'data-testid="table-{key}"' in page
        assert f'data-chart="{key}"' in page
    assert 'id="dashboard-data"' in page
    assert "reporting/dashboard.js" in page and "vendor/chart.umd.min.js" in page
    api = client.get(reverse("api-reporting-dashboard")).json()
    assert api["open_cases"] == 8 + 3 and len(api["charts"]) == 7  # three more cases referred


def test_data_quality_by_stage(data: Dataset) -> None:
    c = data.cases
    # C1 closed with no discharge reason while its direct intervention is still ongoing.
    Case.objects.filter(pk=c["C1"].pk).update(status="closed", closed_on=dt.date(2025, 12, 20), discharge_reason="")
    report = data_quality.report_for_partnership(partnership_id=data.world.partnership.pk, today=NEW_YEARS_EVE)
    found = {r.check.key: (r.missing, r.population) for stage in report for r in stage.checks}
    assert [s.stage for s in report] == ["Referral", "Triage", "Risk", "Interventions", "Monitoring", "Closure"]
    assert found == {
        # C4's victim: gender not known and no date of birth or band.
        "victim_gender_age": (1, 10),
        # C2's perpetrator has no date of birth but the band 55-64 is recorded: not missing.
        "perpetrator_gender_age": (0, 10),
        # Ethnicity recorded for both only on C1, C4, C9 (C2's victim has none; the rest have none at all).
        "ethnicity": (7, 10),
        # Past triage: every case but C6 (awaiting triage); all carry a decision and its date.
        "no_decision": (0, 9),
        # Decided: all but C6. No SASH on or before the decision: C4, C7, C8, C10 (none) and C9 (the day after).
        "no_sash_at_triage": (5, 9),
        # Accepted: C1, C2, C4, C7, C8, C9, C10; C4 has no tier.
        "no_tier": (1, 7),
        # No DASH: C7, C8, C9, C10.
        "no_dash": (4, 7),
        # With an intervention: C1, C2, C4, C8, C9; C1's is ongoing on a closed case.
        "intervention_no_end": (1, 5),
        # With reviews: C4, C8, C10; C4's open review is due 2 Jan 2026: not yet overdue.
        "followup_overdue": (0, 3),
        # Closed: C1, with no discharge reason.
        "closed_no_reason": (1, 1),
    }
    assert next(r for s in report for r in s.checks if r.check.key == "ethnicity").share == 70.0
    after = data_quality.report_for_partnership(partnership_id=data.world.partnership.pk, today=dt.date(2026, 1, 3))
    assert next(r for s in after for r in s.checks if r.check.key == "followup_overdue").missing == 1


def test_data_quality_links_only_to_cases_the_user_may_open(data: Dataset) -> None:
    c = data.cases
    # A restricted case is seen only by those granted it one by one: counted, never listed.
    Case.objects.filter(pk=c["C4"].pk).update(is_restricted=True)
    client = Client()
    client.force_login(data.world.programme_manager)
    response = client.get(reverse("reporting:data_quality_cases", args=["no_dash"]))
    page = response.content.decode()
    # Missing a DASH: C7, C8, C9, C10; all shared with the police agency.
    listed = [case.pk for case in response.context["found"].cases]
    assert listed == [c["C7"].pk, c["C9"].pk, c["C8"].pk, c["C10"].pk]  # newest referral first
    assert "4 cases in the partnership; 4 of them are shared with your agency" in page
    restricted = client.get(reverse("reporting:data_quality_cases", args=["no_tier"]))
    assert restricted.context["found"].cases == []
    assert "1 case in the partnership; 0 of them are shared with your agency" in restricted.content.decode()
    logged = AccessLog.objects.filter(record_type="cases.case", purpose="data-quality check no_dash").get()
    assert logged.record_ids == [str(pk) for pk in listed]
    assert client.get(reverse("reporting:data_quality_cases", args=["no_such_check"])).status_code == 404
