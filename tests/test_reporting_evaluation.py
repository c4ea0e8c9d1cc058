"""The evaluation tables of a hand-built bundle, every figure worked out by hand.

The bundle is tests/exchange_bundle_data.py: 13 referrals, 8 of them accepted (C1 to C8).
As of 30 June 2020. Each case's monitoring starts on its decision date ("start"); a case has
reached m months when start + m calendar months <= 30 June 2020, and re-offended within m
months when a re-offending record falls on or after the start and before start + m months.

    case  start        +3           +6           +9           +12          re-offending
    C1    2019-01-15   2019-04-15   2019-07-15   2019-10-15   2020-01-15   2019-04-14 (last day of the 3-month window)
    C2    2019-03-01   2019-06-01   2019-09-01   2019-12-01   2020-03-01   2019-06-01 (the day after it)
    C3    2019-12-31   2020-03-31   2020-06-30   2020-09-30   2020-12-31   2019-12-30 (the day before the start)
    C4    2020-01-01   2020-04-01   2020-07-01   2020-10-01   2021-01-01   2020-02-01
    C5    2019-08-31   2019-11-30   2020-02-29   2020-05-31   2020-08-31   2020-02-28 (last day of the 6-month window)
    C6    2019-06-10   2019-09-10   2019-12-10   2020-03-10   2020-06-10   2019-07-01 and 2019-07-15 (count once)
    C7    2019-05-05   2019-08-05   2019-11-05   2020-02-05   2020-05-05   none
    C8    2019-10-20   2020-01-20   2020-04-20   2020-07-20   2020-10-20   2020-05-01 (after the 6-month window)

C3 is exactly 6 months old on 30 June 2020 (2019-12-31 + 6 months = 2020-06-30): it has
reached 6 months. C4 is one day short (2020-07-01). C5's six months end on 29 February,
as relativedelta has it (31 August + 6 months).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import math
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import pytest
from dateutil.relativedelta import relativedelta
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from agencies.models import Partnership
from exchange.importer import import_bundle
from reporting import evaluation as ev
from tests.exchange_bundle_data import AS_OF, write_bundle

pytestmark = pytest.mark.django_db


@pytest.fixture
def partnership(tmp_path: Path) -> Partnership:
    result = import_bundle(
        source=write_bundle(tmp_path / "bundle"), partnership_slug="hand-built", create_name="Hand-built"
    )
    assert result.ok, [str(e) for e in result.errors]
    return Partnership.objects.get(slug="hand-built")


def tables(partnership: Partnership, **period: Any) -> dict[str, Any]:
    return ev.evaluation_tables(partnership=partnership, period=ev.Period(**{"as_of": AS_OF, **period}))


def chi2_yates_p(a: int, b: int, c: int, d: int) -> float:
    """By hand, independently of scipy: Yates' statistic on [[a, b], [c, d]], one degree of freedom.

    chi2 = sum over the cells of (|O - E| - 1/2)^2 / E, with E = row total x column total / n;
    for one degree of freedom the upper tail is P(chi2 > x) = erfc(sqrt(x / 2)).
    """
    n = a + b + c + d
    rows, cols = (a + b, c + d), (a + c, b + d)
    observed = ((a, b), (c, d))
    x = sum(
        (abs(observed[i][j] - rows[i] * cols[j] / n) - 0.5) ** 2 / (rows[i] * cols[j] / n)
        for i in range(2)
        for j in range(2)
    )
    return math.erfc(math.sqrt(x / 2))


def test_the_edges_of_the_calendar_as_relativedelta_has_them() -> None:
    # The rule the tables apply in SQL, checked against the definition's own library.
    assert dt.date(2019, 12, 31) + relativedelta(months=6) == dt.date(2020, 6, 30)
    assert dt.date(2019, 8, 31) + relativedelta(months=6) == dt.date(2020, 2, 29)
    assert dt.date(2020, 1, 1) + relativedelta(months=6) == dt.date(2020, 7, 1)


def test_referrals_months_and_decisions(partnership: Partnership) -> None:
    t = tables(partnership)
    assert t["partnership"] == "hand-built"
    assert t["as_of"] == "2020-06-30"
    # police: C1, C2, C6, N1; marac: C7, N3; other: C8, N5; one referral from each of the rest.
    assert t["referrals_by_agency"] == {
        "police": 4,
        "probation": 1,  # C3
        "health": 1,  # C4
        "advocacy": 1,  # C5
        "helpline": 1,  # N2
        "marac": 2,
        "self": 1,  # N4
        "other": 2,
        "total": 13,
    }
    # Every month from the first referral (January 2019) to the last (June 2020), zeros included.
    assert t["referrals_by_month"] == {
        "2019-01": 2,  # C1, N1
        "2019-02": 1,  # C2
        "2019-03": 2,  # N2, N3
        "2019-04": 0,
        "2019-05": 2,  # C7, N5
        "2019-06": 1,  # C6
        "2019-07": 0,
        "2019-08": 1,  # C5
        "2019-09": 0,
        "2019-10": 1,  # C8
        "2019-11": 0,
        "2019-12": 2,  # C3, C4
        "2020-01": 0,
        "2020-02": 0,
        "2020-03": 0,
        "2020-04": 0,
        "2020-05": 0,
        "2020-06": 1,  # N4
    }
    # C1 to C8 accepted; N1 and N5 not stalking; N2 not applicable; N3 no added value; N4 pending.
    assert t["decisions"] == {
        "accepted": 8,
        "not_stalking": 2,
        "not_applicable": 1,
        "no_added_value": 1,
        "pending": 1,
    }


def test_reoffending_by_threshold(partnership: Partnership) -> None:
    t = tables(partnership)
    assert t["reoffending_by_threshold"] == [
        # 3 months: all 8 reached (C4 on 2020-04-01, C3 on 2020-03-31). Re-offended before +3:
        # C1 (2019-04-14 < 2019-04-15), C4 (2020-02-01 < 2020-04-01), C6 (2019-07-01 < 2019-09-10).
        # Not: C2 (2019-06-01 is +3 itself), C3 (before its start), C5 (2020-02-28 >= 2019-11-30), C7, C8.
        # 3 of 8 = 37.5%.
        {"months": 3, "reached": 8, "not_reached": 0, "yes": 3, "no": 5, "yes_pct": 37.5},
        # 6 months: reached by all but C4 (2020-07-01 > 2020-06-30): 7; C3 exactly (2020-06-30).
        # Re-offended before +6: C1, C2 (2019-06-01 < 2019-09-01), C5 (2020-02-28 < 2020-02-29), C6.
        # Not: C3, C7, C8 (2020-05-01 >= 2020-04-20). 4 of 7 = 57.142...% -> 57.1.
        {"months": 6, "reached": 7, "not_reached": 1, "yes": 4, "no": 3, "yes_pct": 57.1},
        # 9 months: C1 (2019-10-15), C2 (2019-12-01), C5 (2020-05-31), C6 (2020-03-10), C7 (2020-02-05): 5.
        # Not yet: C3, C4, C8 (2020-07-20). Re-offended: C1, C2, C5, C6; not C7. 4 of 5 = 80%.
        {"months": 9, "reached": 5, "not_reached": 3, "yes": 4, "no": 1, "yes_pct": 80.0},
        # 12 months: C1 (2020-01-15), C2 (2020-03-01), C6 (2020-06-10), C7 (2020-05-05): 4.
        # C5's is 2020-08-31. Re-offended: C1, C2, C6. 3 of 4 = 75%.
        {"months": 12, "reached": 4, "not_reached": 4, "yes": 3, "no": 1, "yes_pct": 75.0},
    ]


def test_nothing_reached_gives_no_percentage(partnership: Partnership) -> None:
    # As of 1 April 2019 no case is 3 months old (C1's three months end on 15 April).
    t = tables(partnership, as_of=dt.date(2019, 4, 1))
    for row in t["reoffending_by_threshold"]:
        assert row["reached"] == 0 and row["not_reached"] == 8 and row["yes_pct"] is None


def test_intervention_by_reoffending_with_chi_square(partnership: Partnership) -> None:
    rows = {row["type"]: row for row in tables(partnership)["intervention_by_reoffending"]}
    # One row per type, in the bundle format's order.
    assert list(rows) == list(ev.INTERVENTION_TYPES)
    # Cohort: the 7 cases that reached 6 months (all but C4). Re-offended within 6 months:
    # C1, C2, C5, C6 (4); did not: C3, C7, C8 (3).
    #
    # Direct intervention: C1 (re-offended), C3 and C7 (did not); C4's is outside the cohort.
    # 2x2 [[1, 2], [4 - 1, 3 - 2]] = [[1, 2], [3, 1]]: n 7, rows 3 and 4, columns 4 and 3;
    # E = 12/7, 9/7, 16/7, 12/7; |O - E| = 5/7 in every cell; (5/7 - 1/2)^2 = 9/196;
    # chi2 = 9/196 x (7/12 + 7/9 + 7/16 + 7/12) = 9/196 x 343/144 = 0.109375; p = erfc(sqrt(0.0546875)).
    assert math.isclose(9 / 196 * 343 / 144, 0.109375)
    assert rows["perpetrator_direct_intervention"] == {
        "type": "perpetrator_direct_intervention",
        "yes": 1,
        "no": 2,
        "total": 3,
        "chi2_p": round(chi2_yates_p(1, 2, 3, 1), 3),
    }
    assert round(math.erfc(math.sqrt(0.109375 / 2)), 3) == 0.741
    assert rows["perpetrator_direct_intervention"]["chi2_p"] == 0.741
    # Comprehensive risk assessment: C2 and C6 (C6 twice, counted once), both re-offended; C4's outside.
    # [[2, 0], [2, 3]]: rows 2 and 5, columns 4 and 3; E11 = 8/7, |O - E| = 6/7, (6/7 - 1/2)^2 = 25/196;
    # chi2 = 25/196 x (7/8 + 7/6 + 7/20 + 7/15) = 25/196 x 343/120 = 0.364583...; p = erfc(sqrt(chi2 / 2)) = 0.546.
    assert rows["comprehensive_risk_assessment"] == {
        "type": "comprehensive_risk_assessment",
        "yes": 2,
        "no": 0,
        "total": 2,
        "chi2_p": 0.546,
    }
    assert round(chi2_yates_p(2, 0, 2, 3), 3) == 0.546
    # Victim safeguarding: every case of the cohort had it, so the "did not have it" row is
    # empty: its expected counts are 0 x 4 / 7 = 0 and 0 x 3 / 7 = 0, and there is no test.
    assert rows["victim_safeguarding"] == {
        "type": "victim_safeguarding",
        "yes": 4,
        "no": 3,
        "total": 7,
        "chi2_p": None,
    }
    # N1's target hardening is not a case's; no other type was given: zeros, and no test
    # (a row of zeros is an expected count of zero too).
    for kind in (
        "perpetrator_health_signposting",
        "perpetrator_third_party_consultation",
        "victim_direct_intervention",
        "victim_target_hardening",
        "victim_third_party_consultation",
    ):
        assert rows[kind] == {"type": kind, "yes": 0, "no": 0, "total": 0, "chi2_p": None}


def test_the_p_value_is_scipys_yates_test() -> None:
    from scipy.stats import chi2_contingency

    # The function's answer is scipy's, rounded; the hand formula above agrees with it.
    assert ev.chi2_p(1, 2, 3, 1) == round(chi2_contingency([[1, 2], [3, 1]], correction=True).pvalue, 3) == 0.741
    assert ev.chi2_p(4, 3, 0, 0) is None  # a row of zeros
    assert ev.chi2_p(0, 3, 0, 4) is None  # a column of zeros
    assert ev.chi2_p(0, 0, 0, 0) is None


@hypothesis_settings(max_examples=400, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=300), min_size=4, max_size=4))
def test_the_p_value_agrees_with_scipy_on_any_table(cells: list[int]) -> None:
    """Including the tables where an observed count is within half a unit of its expected count
    (scipy then moves it only as far as the expected count) and the undefined ones."""
    from scipy.stats import chi2_contingency

    a, b, c, d = cells
    if 0 in (a + b, c + d, a + c, b + d):
        assert ev.chi2_p(a, b, c, d) is None
        return
    ours = ev.chi2_p(a, b, c, d)
    theirs = float(chi2_contingency([[a, b], [c, d]], correction=True).pvalue)
    assert ours is not None and abs(ours - theirs) <= 0.0005 + 1e-12
    assert ours == float(Decimal(repr(theirs)).quantize(Decimal("0.001"), rounding=ROUND_HALF_UP))


def test_stalker_type_by_reoffending(partnership: Partnership) -> None:
    # Cohort of 6 months: C1, C2, C3 rejected; C5 resentful; C7 intimacy seeker; C6 and C8 none.
    # Re-offended within 6 months: C1, C2, C5, C6. C4 (predatory) has not reached 6 months.
    assert tables(partnership)["stalker_type_by_reoffending"] == {
        "rejected": {"yes": 2, "no": 1},
        "intimacy_seeker": {"yes": 0, "no": 1},
        "incompetent_suitor": {"yes": 0, "no": 0},
        "resentful": {"yes": 1, "no": 0},
        "predatory": {"yes": 0, "no": 0},
        "unknown": {"yes": 1, "no": 1},
    }


def test_people_tables(partnership: Partnership) -> None:
    t = tables(partnership)
    # Perpetrators of C1 to C8: P1 (male, in C1 and C6: counted per case), P2 male, P3 female,
    # P4 male, P5 other, P7 (gender left empty: unknown), P8 male.
    assert t["perpetrator_gender"] == {"female": 1, "male": 5, "other": 1, "unknown": 1}
    # Victims: V3 male, V8 unknown, the other six female.
    assert t["victim_gender"] == {"female": 6, "male": 1, "other": 0, "unknown": 1}
    # Age at the referral's received date:
    # C1: P1 born 1994-01-10, received 2019-01-10: 25 that day -> 25_34; C6 (P1 again, 2019-06-05): 25_34.
    # C2: P2 born 1994-03-02, received 2019-02-25: still 24 -> under_25.
    # C3: P3, no date of birth, recorded 45_54. C4: P4 born 1950-01-01, received 2019-12-28: 69 -> 65_plus.
    # C5: P5, neither -> unknown. C7: P7 born 1984-12-01, received 2019-05-01: 34 -> 25_34.
    # C8: P8 born 1975-06-15 (the recorded band under_25 is not used), received 2019-10-15: 44 -> 35_44.
    assert t["perpetrator_age_band"] == {
        "under_25": 1,
        "25_34": 3,
        "35_44": 1,
        "45_54": 1,
        "55_64": 0,
        "65_plus": 1,
        "unknown": 1,
    }


def test_sash_and_tier_by_perpetrator_gender(partnership: Partnership) -> None:
    t = tables(partnership)
    # Latest SASH: C1 moderate (2019-03-01 after high on 2019-01-15), C2 moderate/high, C3 high,
    # C4 not completed (recorded so), C5 none, C6 moderate (its DASH is not a SASH), C7 low,
    # C8 none. N1's high SASH is not a case's.
    assert t["sash_by_perpetrator_gender"] == {
        "low": {"female": 0, "male": 0, "other": 0, "unknown": 1},  # C7
        "moderate": {"female": 0, "male": 2, "other": 0, "unknown": 0},  # C1, C6
        "moderate_high": {"female": 0, "male": 1, "other": 0, "unknown": 0},  # C2
        "high": {"female": 1, "male": 0, "other": 0, "unknown": 0},  # C3
        "not_completed": {"female": 0, "male": 2, "other": 1, "unknown": 0},  # C4, C8; C5
    }
    # Tiers: C1 1, C2 2, C3 1 (female), C4 none, C5 3 (other), C6 1, C7 none (unknown), C8 4.
    # N1's tier 2 is not a case's.
    assert t["tier_by_perpetrator_gender"] == {
        "1": {"female": 1, "male": 2, "other": 0, "unknown": 0},
        "2": {"female": 0, "male": 1, "other": 0, "unknown": 0},
        "3": {"female": 0, "male": 0, "other": 1, "unknown": 0},
        "4": {"female": 0, "male": 1, "other": 0, "unknown": 0},
        "blank": {"female": 0, "male": 1, "other": 0, "unknown": 1},
    }


def test_referrals_in_a_period(partnership: Partnership) -> None:
    # Received from 1 June to 31 December 2019: C6 (06-05), C5 (08-20), C8 (10-15), C3 (12-20), C4 (12-28).
    # N5 (05-31) is the day before; nothing after 31 December.
    t = tables(partnership, date_from=dt.date(2019, 6, 1), date_to=dt.date(2019, 12, 31))
    assert t["referrals_by_agency"] == {
        "police": 1,
        "probation": 1,
        "health": 1,
        "advocacy": 1,
        "helpline": 0,
        "marac": 0,
        "self": 0,
        "other": 1,
        "total": 5,
    }
    assert t["referrals_by_month"] == {
        "2019-06": 1,
        "2019-07": 0,
        "2019-08": 1,
        "2019-09": 0,
        "2019-10": 1,
        "2019-11": 0,
        "2019-12": 2,
    }
    assert t["decisions"]["accepted"] == 5
    # Over C3, C4, C5, C6, C8: 3 months reached by all, re-offended C4, C6 (2/5 = 40%); 6 months
    # reached by C3, C5, C6, C8, re-offended C5, C6 (50%); 9 months C5, C6 (both, 100%); 12 months C6.
    assert [(r["reached"], r["yes"], r["yes_pct"]) for r in t["reoffending_by_threshold"]] == [
        (5, 2, 40.0),
        (4, 2, 50.0),
        (2, 2, 100.0),
        (1, 1, 100.0),
    ]


def test_every_key_of_every_enumeration_is_present_for_an_empty_partnership(partnership: Partnership) -> None:
    from tests.factories import make_partnership

    empty = tables(make_partnership())
    assert empty["referrals_by_agency"] == dict.fromkeys([*ev.AGENCIES, "total"], 0)
    assert empty["referrals_by_month"] == {}
    assert empty["decisions"] == dict.fromkeys(ev.DECISIONS, 0)
    assert [r["yes_pct"] for r in empty["reoffending_by_threshold"]] == [None] * 4
    assert all(r["chi2_p"] is None and r["total"] == 0 for r in empty["intervention_by_reoffending"])
    assert empty["sash_by_perpetrator_gender"] == {level: dict.fromkeys(ev.GENDERS, 0) for level in ev.SASH_LEVELS}
    assert empty["tier_by_perpetrator_gender"] == {tier: dict.fromkeys(ev.GENDERS, 0) for tier in ev.TIERS}
    assert empty["perpetrator_age_band"] == dict.fromkeys([*ev.AGE_BANDS, "unknown"], 0)
    assert list(empty) == [
        "partnership",
        "as_of",
        "referrals_by_agency",
        "referrals_by_month",
        "decisions",
        "reoffending_by_threshold",
        "intervention_by_reoffending",
        "stalker_type_by_reoffending",
        "perpetrator_gender",
        "victim_gender",
        "perpetrator_age_band",
        "sash_by_perpetrator_gender",
        "tier_by_perpetrator_gender",
    ]


def test_a_pending_detection_counts_and_a_rejected_one_does_not(partnership: Partnership) -> None:
    """Re-offending the project detected (a new referral naming C7's perpetrator) counts while it
    awaits a decision, as the export writes it; once rejected it is not re-offending."""
    from cases.models import Case, CaseParty
    from followups.models import ReoffendingCandidate

    c7 = Case.objects.get(referral__ref="C7")
    other = Case.objects.get(referral__ref="N2")
    perpetrator = CaseParty.objects.get(case=c7, role="perpetrator").person
    candidate = ReoffendingCandidate.objects.create(
        case=c7, new_case=other, person=perpetrator, occurred_on=dt.date(2019, 6, 1), kind="recurrence",
        victim="new", source="police", offence="other", last_known_behaviour_on=dt.date(2019, 5, 1),
    )  # fmt: skip
    # C7 (start 2019-05-05) now re-offended within 3 months: 3 -> 4 of 8 at 3 months.
    assert tables(partnership)["reoffending_by_threshold"][0]["yes"] == 4
    candidate.status = "rejected"
    candidate.save()
    assert tables(partnership)["reoffending_by_threshold"][0]["yes"] == 3


def test_the_command_prints_the_json_and_the_csv(partnership: Partnership) -> None:
    out = io.StringIO()
    call_command("evaluation_tables", "--partnership", "hand-built", "--as-of", "2020-06-30", "--format", "json",
                 stdout=out)  # fmt: skip
    assert json.loads(out.getvalue()) == tables(partnership)
    out = io.StringIO()
    call_command("evaluation_tables", "--partnership", "hand-built", "--as-of", "2020-06-30", "--format", "csv",
                 "--from", "2019-06-01", "--to", "2019-12-31", stdout=out)  # fmt: skip
    rows = list(csv.reader(io.StringIO(out.getvalue())))
    assert rows[0] == ["table", "row", "column", "value"]
    assert rows[1:3] == [["partnership", "", "", "hand-built"], ["as_of", "", "", "2020-06-30"]]
    assert ["referrals_by_agency", "total", "count", "5"] in rows
    assert ["reoffending_by_threshold", "6", "yes_pct", "50.0"] in rows
    assert ["intervention_by_reoffending", "victim_safeguarding", "chi2_p", ""] in rows
    assert ["sash_by_perpetrator_gender", "high", "female", "1"] in rows


def test_the_csv_writes_no_cell_a_spreadsheet_would_run(partnership: Partnership) -> None:
    # A slug may start with "-" (Django's slug pattern allows it): in Excel "-2+3" is a formula.
    Partnership.objects.filter(pk=partnership.pk).update(slug="-2+3")
    out = io.StringIO()
    call_command("evaluation_tables", "--partnership=-2+3", "--as-of", "2020-06-30", "--format", "csv", stdout=out)
    rows = list(csv.reader(io.StringIO(out.getvalue())))
    assert rows[1] == ["partnership", "", "", "'-2+3"]
    assert all(not cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)
    # The keys as well as the values.
    assert ev.tables_as_rows({"t": {"=HYPERLINK(1)": {"+c": "@v"}}}) == [("t", "'=HYPERLINK(1)", "'+c", "'@v")]


def test_the_command_refuses_bad_dates(partnership: Partnership) -> None:
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="--as-of"):
        call_command("evaluation_tables", "--partnership", "hand-built", "--as-of", "30/06/2020")
    with pytest.raises(CommandError, match="--to"):
        call_command("evaluation_tables", "--partnership", "hand-built", "--as-of", "2020-06-30",
                     "--from", "2020-01-01", "--to", "2019-01-01")  # fmt: skip


def test_a_fixed_number_of_queries_whatever_the_size(partnership: Partnership) -> None:
    """Aggregates, not a loop over cases: the same number of queries for 13 referrals as for none."""
    from tests.factories import make_partnership

    empty = make_partnership()
    tables(partnership)  # warm the instrument lookups
    with CaptureQueriesContext(connection) as full:
        tables(partnership)
    with CaptureQueriesContext(connection) as none:
        tables(empty)
    assert len(full.captured_queries) == len(none.captured_queries)
    # The referrals grouped by month, agency and decision; the SASH instrument; one pass over the
    # cases. And the savepoint with its SET LOCAL jit, and its release, around them.
    selects = [q["sql"] for q in full.captured_queries if q["sql"].startswith("SELECT")]
    assert len(selects) == 3
