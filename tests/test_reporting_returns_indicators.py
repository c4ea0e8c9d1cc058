"""Each default indicator of the Home Office return, against the hand-built partnership.

The dataset and its cases are described in tests/reporting_returns_data.py; every
expected figure below is worked out by hand from that table, in the comments, not
copied from the program's output. The quarter is 2025/26 Q3, 1 October to 31 December
2025, London time. The other partnership's case O1 falls in the quarter on every measure
and must never be counted.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from reporting.returns import measures, services
from tests.caches import clear_process_caches
from tests.factories import World
from tests.reporting_returns_data import Q3, build

# The figures are read from a module fixture; the mark makes pytest-django set up the test
# database even when this module runs alone (without it, the fixture would write to the
# configured database itself) and runs these tests with the other database tests.
pytestmark = pytest.mark.django_db

EXTRA = {
    # Referrals, financial year to date, by month.
    "ytd": measures.IndicatorSpec(
        "ytd", "Referrals, year to date", "S", "referrals", "received", period="year_to_date", breakdown="month"
    ),
    # Cases accepted and still open at the end of the quarter, by tier.
    "open": measures.IndicatorSpec("open", "Open cases", "S", "cases", "open_at_end", breakdown="tier"),
    # Re-offending of the cases whose perpetrator had a direct intervention.
    "treated_reoffending": measures.IndicatorSpec(
        "treated_reoffending",
        "Re-offending of treated cases",
        "S",
        "reoffending_cases",
        "recorded",
        filters={"case_intervention_type": ["perpetrator_direct_intervention"]},
        breakdown="reoffending_kind",
    ),
    "reviews_by_basis": measures.IndicatorSpec(
        "reviews_by_basis", "Reviews by monitoring", "S", "followup_reviews", "completed", breakdown="monitoring_basis"
    ),
}


@pytest.fixture(scope="module")
def computed(django_db_setup: None, django_db_blocker: Any) -> dict[str, Any]:
    """Build the partnership once for the module, compute every figure, then roll it all back.

    The tests below only read the figures, so one dataset serves them all.
    """
    out: dict[str, Any] = {}
    clear_process_caches()
    with django_db_blocker.unblock(), transaction.atomic():
        data = build(World("North Partnership"), World("South Partnership"))
        partnership_id = data.world.partnership.pk
        with CaptureQueriesContext(connection) as queries:
            for spec in measures.DEFAULT_INDICATORS:
                measures.compute(spec, partnership_id=partnership_id, quarter=Q3)
        out["queries"] = len(queries)
        for spec in (*measures.DEFAULT_INDICATORS, *EXTRA.values()):
            result = services.compute_indicator(spec, partnership_id=partnership_id, quarter=Q3)
            out[spec.key] = {
                "total": result["total"],
                "rows": {r["value"]: r["count"] for r in result["rows"]},
                "labelled": [(r["label"], r["count"]) for r in result["rows"]],
            }
        transaction.set_rollback(True)
    with django_db_blocker.unblock():
        connection.close()  # nothing of the module's own connection outlives the fixture
    return out


@pytest.fixture
def figures(computed: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Every default indicator for Q3: key -> {"total": n, "rows": {value: n}}."""
    return {k: {"total": v["total"], "rows": v["rows"]} for k, v in computed.items() if isinstance(v, dict)}


def test_every_default_indicator_is_checked_here(figures: dict[str, Any]) -> None:
    checked = {name.removeprefix("test_") for name in globals() if name.startswith("test_")}
    assert {s.key for s in measures.DEFAULT_INDICATORS} <= checked


def test_referrals_received(figures: dict[str, Any]) -> None:
    # Received 1 Oct to 31 Dec: C1 (police), C2 (probation), C3 (advocacy), C5 (self), C6 (police, on 31 Dec).
    # Not C4 (20 Sep), C7 (1 Jan), C8, C9, C10 (earlier), nor O1 (other partnership).
    assert figures["referrals_received"]["total"] == 5
    assert figures["referrals_received"]["rows"] == {
        "police": 2,
        "probation": 1,
        "health": 0,
        "advocacy": 1,
        "helpline": 0,
        "marac": 0,
        "self": 1,
        "other": 0,
    }


def test_cases_accepted(figures: dict[str, Any]) -> None:
    # Accepted with the decision dated in Q3: C1 (20 Oct), C2 (15 Nov), C4 (2 Oct, received in Q2), C9 (10 Oct).
    # Not C7 (5 Jan), C8 (10 Jul), C10 (1 Feb).
    assert figures["cases_accepted"] == {"total": 4, "rows": {}}


def test_cases_declined(figures: dict[str, Any]) -> None:
    # Declined in Q3: C3 not stalking (3 Dec), C5 no added value (30 Oct). C6 is still pending.
    assert figures["cases_declined"]["total"] == 2
    # Only the decline reasons: a breakdown by the dimension it is filtered on lists what the filter lets through.
    assert figures["cases_declined"]["rows"] == {
        "not_stalking": 1,
        "not_applicable": 0,
        "no_added_value": 1,
    }


def test_cases_heard_at_clinic(figures: dict[str, Any]) -> None:
    # C1: clinic meeting 25 Oct. C8: clinic meeting 3 Nov (accepted back in July). C2: marked heard at
    # clinic with no clinic meeting on file, so its decision date (15 Nov) stands in. Not C9: its clinic
    # meeting is on 10 Jan (the decision date stands in only when there is no meeting on file).
    assert figures["cases_heard_at_clinic"] == {"total": 3, "rows": {}}


def test_cases_accepted_by_tier(figures: dict[str, Any]) -> None:
    # The four accepted: C2 tier 1, C1 tier 2, C9 tier 4, C4 no tier.
    assert figures["cases_accepted_by_tier"]["total"] == 4
    assert figures["cases_accepted_by_tier"]["rows"] == {"1": 1, "2": 1, "3": 0, "4": 1, "none": 1}


def test_risk_sash_at_triage(figures: dict[str, Any]) -> None:
    # Decided in Q3: C1, C2, C3, C4, C5, C9 (six).
    # C1: high on 20 Oct, the decision day: high. C2: moderate on 1 Nov, high on 1 Dec after the 15 Nov
    # decision: moderate. C3: low on the decision day. C4: none: not completed. C5: moderate/high on
    # 29 Oct, the day before: moderate_high. C9: high on 11 Oct, the day after its decision: not completed.
    assert figures["risk_sash_at_triage"]["total"] == 6
    assert figures["risk_sash_at_triage"]["rows"] == {
        "low": 1,
        "moderate": 1,
        "moderate_high": 1,
        "high": 1,
        "not_completed": 2,
    }


def test_risk_dash_at_triage(figures: dict[str, Any]) -> None:
    # C1: 15 yes on 18 Oct: high (14 and over). C2: 5 yes: standard. C4: 11 yes on 1 Oct, before its
    # 2 Oct decision: medium (10 to 13). C5: 11 yes raised to high by judgement: high.
    # C3 and C9: no DASH: not completed.
    assert figures["risk_dash_at_triage"]["total"] == 6
    assert figures["risk_dash_at_triage"]["rows"] == {"standard": 1, "medium": 1, "high": 2, "not_completed": 2}


def test_victims_supported(figures: dict[str, Any]) -> None:
    # Contacts in Q3 (London time): C1's victim twice (one person), C2's victim at 23:30 on 31 Dec,
    # C8's victim at 00:05 on 1 Oct (23:05 UTC on 30 Sep). C4's victim only just outside, both sides.
    assert figures["victims_supported"] == {"total": 3, "rows": {}}


def test_safety_plans_started(figures: dict[str, Any]) -> None:
    # C1's plan (22 Oct) and C2's (31 Dec); C8's was started on 15 Sep.
    assert figures["safety_plans_started"] == {"total": 2, "rows": {}}


def test_direct_interventions_started(figures: dict[str, Any]) -> None:
    # Direct interventions started in Q3: C1 (25 Oct), C2 (20 Nov). C4's is health signposting; C8 and C9
    # started before; O1 is another partnership's.
    assert figures["direct_interventions_started"] == {"total": 2, "rows": {}}


def test_direct_interventions_completed(figures: dict[str, Any]) -> None:
    # C8 completed on 30 Nov; C9 completed on 2 Jan (outside).
    assert figures["direct_interventions_completed"] == {"total": 1, "rows": {}}


def test_direct_interventions_dropped_out(figures: dict[str, Any]) -> None:
    # C2 dropped out on 15 Dec.
    assert figures["direct_interventions_dropped_out"] == {"total": 1, "rows": {}}


def test_sessions_delivered(figures: dict[str, Any]) -> None:
    # C8: session 1 attended 6 Oct, session 2 attended late 20 Oct (after a missed one); C1: session 1 at
    # 18:00 on 31 Dec. Not C8's 29 Sep session, nor C1's session 2 that the service could not hold.
    assert figures["sessions_delivered"] == {"total": 3, "rows": {}}


def test_sessions_missed(figures: dict[str, Any]) -> None:
    # C8's session 2 on 13 Oct: did not attend. The one the service could not hold is not missed.
    assert figures["sessions_missed"] == {"total": 1, "rows": {}}


def test_followup_reviews_completed(figures: dict[str, Any]) -> None:
    # Completed in Q3: C8's 3-month (12 Oct, none found), C10's 6-month (00:30 on 1 Oct, none found),
    # C10's 9-month (3 Nov, re-offending found). C10's 3-month was completed at 22:00 on 30 Sep; C4's is open.
    assert figures["followup_reviews_completed"]["total"] == 3
    assert figures["followup_reviews_completed"]["rows"] == {"reoffended": 1, "none_found": 2, "open": 0}


def test_reoffending_found(figures: dict[str, Any]) -> None:
    # Recorded in Q3: C10 persistence and recurrence (3 Nov), C8 recurrence (found 5 Oct, occurred 1 Sep).
    # C1's was found on 3 Jan. Cases: C10 and C8 = 2; by kind, persistence: C10 = 1; recurrence: C10, C8 = 2
    # (C10 is in both rows and once in the total).
    assert figures["reoffending_found"]["total"] == 2
    assert figures["reoffending_found"]["rows"] == {"persistence": 1, "recurrence": 2}


def test_reoffending_filtered_by_intervention_type(figures: dict[str, Any]) -> None:
    # Of C10 and C8 (above), only C8 had a direct intervention (completed 30 Nov): its recurrence.
    assert figures["treated_reoffending"]["total"] == 1
    assert figures["treated_reoffending"]["rows"] == {"persistence": 0, "recurrence": 1}
    # The three reviews completed in Q3 belong to monitoring from acceptance; none yet from a treatment's end.
    assert figures["reviews_by_basis"]["rows"] == {"acceptance": 3, "intervention_end": 0}


def test_training_sessions(figures: dict[str, Any]) -> None:
    # 15 Oct to police, 31 Dec to health; 30 Sep is outside; the other partnership's is not ours.
    assert figures["training_sessions"]["total"] == 2
    rows = figures["training_sessions"]["rows"]
    assert rows["police"] == 1 and rows["health"] == 1
    assert sum(rows.values()) == 2


def test_training_attendees(figures: dict[str, Any]) -> None:
    # 20 + 3.
    assert figures["training_attendees"] == {"total": 23, "rows": {}}


# The equality breakdown: victims and perpetrators of the four cases accepted in Q3 (C1, C2, C4, C9).
# Victims: C1 female, born 1 Jun 1990, 35 on 5 Oct 2025, white. C2 male, born 10 Nov 2002, 23 on the day
# of the referral, ethnicity not recorded. C4 gender not known, no date of birth or band, mixed. C9 female,
# born 1 Aug 1960, 65 exactly on the referral's date (1 Aug 2025), white.
# Perpetrators: C1 and C9 share one person (male, born 2 Mar 1985: 40 at both referrals, black); C2's is
# female with no date of birth and the band 55-64 recorded, Asian; C4's is male, born 21 Sep 2000, 24 on
# 20 Sep 2025 (the day before his 25th birthday), white. Three people.


def test_victims_gender(figures: dict[str, Any]) -> None:
    assert figures["victims_gender"] == {"total": 4, "rows": {"female": 2, "male": 1, "other": 0, "unknown": 1}}


def test_victims_age_band(figures: dict[str, Any]) -> None:
    assert figures["victims_age_band"] == {
        "total": 4,
        "rows": {"under_25": 1, "25_34": 0, "35_44": 1, "45_54": 0, "55_64": 0, "65_plus": 1, "unknown": 1},
    }


def test_victims_ethnicity(figures: dict[str, Any]) -> None:
    assert figures["victims_ethnicity"]["total"] == 4
    assert figures["victims_ethnicity"]["rows"] == {
        "asian": 0,
        "black": 0,
        "mixed": 1,
        "white": 2,
        "other": 0,
        "prefer_not_to_say": 0,
        "unknown": 1,
    }


def test_perpetrators_gender(figures: dict[str, Any]) -> None:
    assert figures["perpetrators_gender"] == {"total": 3, "rows": {"female": 1, "male": 2, "other": 0, "unknown": 0}}


def test_perpetrators_age_band(figures: dict[str, Any]) -> None:
    assert figures["perpetrators_age_band"] == {
        "total": 3,
        "rows": {"under_25": 1, "25_34": 0, "35_44": 1, "45_54": 0, "55_64": 1, "65_plus": 0, "unknown": 0},
    }


def test_perpetrators_ethnicity(figures: dict[str, Any]) -> None:
    assert figures["perpetrators_ethnicity"]["total"] == 3
    assert figures["perpetrators_ethnicity"]["rows"] == {
        "asian": 1,
        "black": 1,
        "mixed": 0,
        "white": 1,
        "other": 0,
        "prefer_not_to_say": 0,
        "unknown": 0,
    }


def test_year_to_date_and_month_breakdown(computed: dict[str, Any]) -> None:
    # Referrals from 1 Apr 2025 to 31 Dec 2025: C1, C2, C3, C4 (20 Sep), C5, C6, C8 (1 Jul), C9 (1 Aug) = 8.
    assert computed["ytd"]["total"] == 8
    # Every month of the period is shown, zeros included: Apr-Jun 0, Jul 1 (C8), Aug 1 (C9), Sep 1 (C4),
    # Oct 2 (C1, C5), Nov 1 (C2), Dec 2 (C3, C6).
    assert computed["ytd"]["labelled"] == [
        ("April 2025", 0),
        ("May 2025", 0),
        ("June 2025", 0),
        ("July 2025", 1),
        ("August 2025", 1),
        ("September 2025", 1),
        ("October 2025", 2),
        ("November 2025", 1),
        ("December 2025", 2),
    ]


def test_open_cases_at_the_end_of_the_quarter(computed: dict[str, Any]) -> None:
    # Accepted on or before 31 Dec and not closed by then: C1, C2, C4, C8, C9, C10 (C7 is accepted in January).
    assert computed["open"]["total"] == 6
    # C2 tier 1; C1, C10 tier 2; C8 tier 3; C9 tier 4; C4 none.
    assert computed["open"]["rows"] == {"1": 1, "2": 2, "3": 1, "4": 1, "none": 1}


def test_each_indicator_is_one_query_and_two_for_distinct_people_by_group(computed: dict[str, Any]) -> None:
    # Six equality tables (distinct people) and re-offending by kind (distinct cases) need their total apart.
    distinct_by_group = sum(
        1
        for s in measures.DEFAULT_INDICATORS
        if s.breakdown and measures.MEASURES[s.measure].count.startswith("distinct")
    )
    assert distinct_by_group == 7
    assert computed["queries"] == len(measures.DEFAULT_INDICATORS) + distinct_by_group
