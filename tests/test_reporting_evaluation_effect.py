"""The effect tables (version 2) of a hand-built bundle, every figure worked out by hand.

The bundle and its timeline are in tests/evaluation_effect_data.py. As of 30 June 2020; a
case reached m months when start + m calendar months <= 30 June 2020 (relativedelta's
rule: 30 November + 3 months is 29 February, + 6 months is 30 May).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from dateutil.relativedelta import relativedelta
from scipy.stats import chi2_contingency

from agencies.models import Partnership
from reporting import evaluation as ev
from tests.evaluation_effect_data import AS_OF, FILES
from tests.exchange_bundle_data import write_bundle

pytestmark = pytest.mark.django_db


@pytest.fixture
def partnership(tmp_path: Path) -> Partnership:
    from exchange.importer import import_bundle

    result = import_bundle(
        source=write_bundle(tmp_path / "bundle", FILES), partnership_slug="effect", create_name="Effect"
    )
    assert result.ok, [str(e) for e in result.errors]
    return Partnership.objects.get(slug="effect")


def tables(partnership: Partnership, **period: Any) -> dict[str, Any]:
    return ev.evaluation_tables(partnership=partnership, period=ev.Period(**{"as_of": AS_OF, **period}))


def scipy_p(a: int, b: int, c: int, d: int) -> float:
    return round(float(chi2_contingency([[a, b], [c, d]], correction=True).pvalue), 3)


def test_the_calendar_edges_used_below() -> None:
    assert dt.date(2019, 11, 30) + relativedelta(months=3) == dt.date(2020, 2, 29)
    assert dt.date(2019, 11, 30) + relativedelta(months=6) == dt.date(2020, 5, 30)
    assert dt.date(2019, 6, 30) + relativedelta(months=12) == dt.date(2020, 6, 30)


def test_reoffending_after_treatment(partnership: Partnership) -> None:
    # Start = the latest ended direct intervention on or before 30 June 2020:
    # E1 completed, ended 2019-06-30: +3 2019-09-30 ... +12 2020-06-30 (exactly): all reached;
    #    re-offended 2019-08-15 (< +3): yes at every threshold (2019-01-08 is before the start).
    # E2 completed, ended 2019-03-31: +3 2019-06-30, +6 2019-09-30, +9 2019-12-31, +12 2020-03-31: all reached;
    #    re-offended 2019-10-05: not within 3 or 6 months (on or after +6), within 9 and 12.
    # E3 dropped out, ended 2019-12-31: +3 2020-03-31 and +6 2020-06-30 reached, +9 and +12 not;
    #    re-offended 2020-01-15: within 3 and 6.
    # E5: of its two, the later (dropped out, 2019-11-30) is the start, so not completed although
    #    the earlier was: +3 2020-02-29, +6 2020-05-30 reached, +9 2020-08-30 not; its re-offending
    #    2019-07-01 is before the start and 2020-07-01 after +6: no.
    # E4: its ongoing one has not ended and its cancelled one ended after 30 June 2020: not counted.
    # N1 is not a case.
    rows = {(r["completion"], r["months"]): r for r in tables(partnership)["reoffending_after_treatment"]}
    assert list(rows) == [(c, m) for c in ("completed", "not_completed", "all") for m in (3, 6, 9, 12)]

    def row(completion: str, months: int, reached: int, not_reached: int, yes: int, pct: float | None) -> dict:
        return {
            "completion": completion,
            "months": months,
            "reached": reached,
            "not_reached": not_reached,
            "yes": yes,
            "no": reached - yes,
            "yes_pct": pct,
        }

    assert rows["completed", 3] == row("completed", 3, 2, 0, 1, 50.0)  # E1 yes, E2 no
    assert rows["completed", 6] == row("completed", 6, 2, 0, 1, 50.0)
    assert rows["completed", 9] == row("completed", 9, 2, 0, 2, 100.0)
    assert rows["completed", 12] == row("completed", 12, 2, 0, 2, 100.0)
    assert rows["not_completed", 3] == row("not_completed", 3, 2, 0, 1, 50.0)  # E3 yes, E5 no
    assert rows["not_completed", 6] == row("not_completed", 6, 2, 0, 1, 50.0)
    assert rows["not_completed", 9] == row("not_completed", 9, 0, 2, 0, None)
    assert rows["not_completed", 12] == row("not_completed", 12, 0, 2, 0, None)
    assert rows["all", 3] == row("all", 3, 4, 0, 2, 50.0)
    assert rows["all", 6] == row("all", 6, 4, 0, 2, 50.0)
    assert rows["all", 9] == row("all", 9, 2, 2, 2, 100.0)
    assert rows["all", 12] == row("all", 12, 2, 2, 2, 100.0)


def test_recurrence_from_the_decision(partnership: Partnership) -> None:
    # 9 months from the decision reached by E1 (2019-10-10), E2, E4 (2020-03-20), E5, E7, E8;
    # not E3 (2020-07-15) nor E6 (2020-10-05): 6.
    # Same victim: E2 (2019-10-05), E4 (2020-03-01). New victim: E4 (2020-02-10); not E1's
    # (2019-01-08, before its decision) nor E5's (2020-07-01, after 30 June 2020).
    # Any: E2, E4: 2 of 6 = 33.3%. E1, E5, E7's persistence is not recurrence.
    assert tables(partnership)["recurrence"] == {
        "reached": 6,
        "same_victim": 2,
        "new_victim": 1,
        "any": 2,
        "any_pct": 33.3,
    }


def test_start_referral_moves_every_monitoring_start(partnership: Partnership) -> None:
    t = tables(partnership, start="referral")
    # 9 months from the referral: E3 (2020-06-01) now reached too; E6 (2020-08-20) not: 7.
    # New victim: E1 (2019-01-08 is after its referral, 2019-01-05), E3, E4. Any: E1, E2, E3, E4: 4 of 7.
    assert t["recurrence"] == {"reached": 7, "same_victim": 2, "new_victim": 3, "any": 4, "any_pct": 57.1}
    # 6 months from the referral: all 8 reached (E6 2020-05-20); re-offended within: E1 (2019-01-08),
    # E3 (2020-01-15 < 2020-03-01), E5 (2019-07-01 < 2019-09-01), E6 (2020-04-01), E7: 5 of 8.
    assert t["reoffending_by_threshold"][1] == {
        "months": 6, "reached": 8, "not_reached": 0, "yes": 5, "no": 3, "yes_pct": 62.5,
    }  # fmt: skip
    # From the decision: E6 (2020-07-05) not reached; within: E3 (2020-01-15 < 2020-04-15), E5, E7: 3 of 7.
    assert tables(partnership)["reoffending_by_threshold"][1] == {
        "months": 6, "reached": 7, "not_reached": 1, "yes": 3, "no": 4, "yes_pct": 42.9,
    }  # fmt: skip
    # The treatment table has its own start, the end of treatment: unchanged.
    assert t["reoffending_after_treatment"] == tables(partnership)["reoffending_after_treatment"]


def test_factor_by_reoffending(partnership: Partnership) -> None:
    # Cohort: reached 6 months from the decision, all but E6. Re-offended within 6 months:
    # E3, E5, E7 (yes); E1 (2019-08-15 >= 2019-07-10), E2, E4, E8 (no).
    rows = {r["factor"]: r for r in tables(partnership)["factor_by_reoffending"]}
    assert list(rows) == [
        "stalking_charge", "ex_intimate", "mental_health_services", "probation_involved", "mappa",
        "antisocial_lifestyle",
    ]  # fmt: skip

    def row(factor: str, with_yes: int, with_no: int, without_yes: int, without_no: int, p: float | None) -> dict:
        return {
            "factor": factor,
            "with_yes": with_yes,
            "with_no": with_no,
            "without_yes": without_yes,
            "without_no": without_no,
            "chi2_p": p,
        }

    # Stalking charge: E1 (no), E3, E7 (yes), E4 (no); without: E2 (arrest), E8 (other), no; E5's reason is empty.
    assert rows["stalking_charge"] == row("stalking_charge", 2, 2, 0, 2, scipy_p(2, 2, 0, 2))
    # Ex-intimate: E1, E2, E4 (no), E5 (yes); without: E3 (stranger, yes), E8 (acquaintance, no); E7 empty.
    assert rows["ex_intimate"] == row("ex_intimate", 1, 3, 1, 1, scipy_p(1, 3, 1, 1))
    # Mental-health services: E1 (no), E3, E5 (yes); not: E2, E8 (no), E7 (yes); E4 unknown.
    assert rows["mental_health_services"] == row("mental_health_services", 2, 1, 1, 2, scipy_p(2, 1, 1, 2))
    # Probation: only E6 (outside the cohort) and N1 (not a case): a row of zeros, no test.
    assert rows["probation_involved"] == row("probation_involved", 0, 0, 3, 4, None)
    # MAPPA: known only for N1.
    assert rows["mappa"] == row("mappa", 0, 0, 0, 0, None)
    # Antisocial lifestyle: E1, E2 (no), E5, E7 (yes); without: E3 (yes), E4, E8 (no).
    assert rows["antisocial_lifestyle"] == row("antisocial_lifestyle", 2, 2, 1, 2, scipy_p(2, 2, 1, 2))
    # The hand formula's answer for the first: expected counts 4/3, 8/3, 2/3, 4/3, every |O - E| = 2/3,
    # (2/3 - 1/2)^2 = 1/36; chi2 = 1/36 x (3/4 + 3/8 + 3/2 + 3/4) = 0.09375; p = erfc(sqrt(0.046875)) = 0.7595 -> 0.759.
    assert rows["stalking_charge"]["chi2_p"] == 0.759


def test_risk_change(partnership: Partnership) -> None:
    # DASH (bands 0-9, 10-13, 14+): E1 15 -> 8 lower (-7); E2 9 -> 10 higher (+1); E3 twice on one
    # day only: left out; E4 14 -> 17 (the 20 between does not count) same band (+3); E5 3 -> 11
    # (of the two on 2019-04-01 the later row) higher (+8). Mean (-7 + 1 + 3 + 8) / 4 = 1.25 -> 1.3.
    # SASH: E1 high -> moderate lower; E2 moderate then not completed: one level only, left out;
    # E3 low -> moderate/high higher; E4 (not completed left out) moderate -> moderate same.
    # SRP: E1 violence moderate -> low, persistence high -> high, recurrence rated once only,
    # psychosocial damage low -> moderate; E6 violence high -> high, persistence moderate -> low,
    # recurrence moderate -> high, psychosocial damage never rated. N1 is not a case.
    assert tables(partnership)["risk_change"] == {
        "dash": {"cases": 4, "lower": 1, "same": 1, "higher": 2, "mean_change": 1.3},
        "sash": {"cases": 3, "lower": 1, "same": 1, "higher": 1, "mean_change": None},
        "srp_violence": {"cases": 2, "lower": 1, "same": 1, "higher": 0, "mean_change": None},
        "srp_persistence": {"cases": 2, "lower": 1, "same": 1, "higher": 0, "mean_change": None},
        "srp_recurrence": {"cases": 1, "lower": 0, "same": 0, "higher": 1, "mean_change": None},
        "srp_psychosocial_damage": {"cases": 1, "lower": 0, "same": 0, "higher": 1, "mean_change": None},
    }


def test_victim_outcomes(partnership: Partnership) -> None:
    # Feels safe: E1 2 -> 7 (+5), E2 6 -> 4 (-2), E3 one date only, E4 3 -> 3 (its first row is
    # empty), E5 8 -> 9 (the later row of 2019-05-01, +1). Mean (5 - 2 + 0 + 1) / 4 = 1.0.
    # Wellbeing: E1 3 -> 6 (the empty 2019-04-01 skipped), E2 5 -> 5, E4 once only, E5 7 -> 8:
    # mean 4 / 3 = 1.3.
    # Incidents (fewer is better): E1 10 -> 0, E2 2 -> 3, E4 5 -> 5, E5 1 -> 0: mean -10 / 4 = -2.5.
    assert tables(partnership)["victim_outcomes"] == {
        "feels_safe": {"cases": 4, "improved": 2, "same": 1, "worse": 1, "mean_change": 1.0},
        "wellbeing": {"cases": 3, "improved": 2, "same": 1, "worse": 0, "mean_change": 1.3},
        "incidents_last_month": {"cases": 4, "improved": 2, "same": 1, "worse": 1, "mean_change": -2.5},
    }


def test_the_csv_form_carries_the_effect_tables(partnership: Partnership) -> None:
    rows = ev.tables_as_rows(tables(partnership))
    assert ("reoffending_after_treatment", "completed_3", "yes_pct", "50.0") in rows
    assert ("recurrence", "", "any_pct", "33.3") in rows
    assert ("factor_by_reoffending", "mappa", "chi2_p", "") in rows
    assert ("risk_change", "dash", "mean_change", "1.3") in rows
    assert ("victim_outcomes", "incidents_last_month", "improved", "2") in rows


def test_an_unknown_start_is_refused() -> None:
    with pytest.raises(ev.EvaluationError) as refused:
        ev.parse_period(as_of="2020-06-30", date_from=None, date_to=None, today=AS_OF, start="sentence")
    assert refused.value.field == "start"
    assert ev.parse_period(as_of=None, date_from=None, date_to=None, today=AS_OF).start == "decision"


def test_the_export_writes_version_2_and_imports_back_to_the_same_tables(
    partnership: Partnership, tmp_path: Path
) -> None:
    import csv

    from exchange.exporter import export_to_path
    from exchange.importer import import_bundle

    folder = tmp_path / "export"
    export_to_path(partnership=partnership, path=folder)
    with (folder / "referrals.csv").open(encoding="utf-8") as f:
        referrals = {r["referral_ref"]: r for r in csv.DictReader(f)}
    assert (referrals["E1"]["mental_health_services"], referrals["E1"]["mappa"]) == ("yes", "")
    assert referrals["E3"]["offence"] == "s4a_stalking_serious_alarm_distress"
    with (folder / "victim_outcomes.csv").open(encoding="utf-8") as f:
        outcomes = list(csv.DictReader(f))
    # Every row of the bundle's file comes back, N1's too (a declined referral is still held).
    assert len(outcomes) == 15
    assert outcomes[0] == {
        "referral_ref": "E1", "recorded_on": "2019-01-12", "feels_safe": "2", "wellbeing": "3",
        "incidents_last_month": "10",
    }  # fmt: skip
    again = import_bundle(source=folder, partnership_slug="effect-again", create_name="Effect again")
    assert again.ok, [str(e) for e in again.errors]
    first = tables(partnership)
    second = tables(Partnership.objects.get(slug="effect-again"))
    assert {**second, "partnership": "effect"} == first
    # Imported again into the same partnership: everything is already held, nothing is added.
    repeat = import_bundle(source=folder, partnership_slug="effect")
    assert repeat.ok and repeat.created["victim_outcomes.csv"] == 0
    assert repeat.already_held["victim_outcomes.csv"] == 15


def test_bad_outcomes_are_refused_with_their_lines_and_nothing_is_written(tmp_path: Path) -> None:
    from advocacy.models import VictimOutcome
    from exchange.importer import import_bundle

    files = {
        **FILES,
        "victim_outcomes.csv": "referral_ref,recorded_on,feels_safe,wellbeing,incidents_last_month\n"
        "E1,2019-01-12,11,3,1\nE1,2019-02-12,5,-1,1\nE9,2019-02-12,5,5,\n",
    }
    result = import_bundle(
        source=write_bundle(tmp_path / "bad", files), partnership_slug="effect-bad", create_name="Effect bad"
    )
    assert not result.ok
    problems = {(e.file, e.line, e.column) for e in result.errors}
    assert ("victim_outcomes.csv", 2, "feels_safe") in problems
    assert ("victim_outcomes.csv", 3, "wellbeing") in problems
    assert ("victim_outcomes.csv", 4, "referral_ref") in problems
    assert not VictimOutcome.objects.exists()
    assert not Partnership.objects.filter(slug="effect-bad").exists()


def test_the_page_and_the_api_carry_the_effect_tables_with_a_caution_on_small_groups(
    world: Any, tmp_path: Path
) -> None:
    from django.test import Client
    from django.urls import reverse
    from rest_framework.test import APIClient

    from exchange.importer import import_bundle

    assert import_bundle(source=write_bundle(tmp_path / "b", FILES), partnership_slug=world.partnership.slug).ok
    client = Client()
    client.force_login(world.programme_manager)
    query = {"as_of_day": "30", "as_of_month": "6", "as_of_year": "2020", "start": "referral"}
    response = client.get(reverse("reporting:evaluation"), query)
    assert response.status_code == 200
    html = response.content.decode()
    for key in ("reoffending-after-treatment", "recurrence", "risk-change", "victim-outcomes", "factor-by-reoffending"):
        assert f'data-testid="table-{key}"' in html, key
    for key in ("reoffending-after-treatment", "risk-change", "victim-outcomes", "factor-by-reoffending"):
        assert f'data-chart="{key}"' in html, key
    # Every factor's table here is small: each defined test is marked, and the warning names them.
    caution = html.split('data-testid="caution-factor-by-reoffending"')[1].split("</div>")[0]
    assert "Referred on a stalking charge" in caution and "Managed under MAPPA" not in caution
    assert "(caution)" in html
    # From the referral: 7 reached 9 months, 4 recurred (57.1%), as the tables have it.
    assert "57.1%" in html and "monitoring counted from the referral" in html
    assert "start=referral" in html  # the downloads keep the choice
    api = APIClient()
    api.force_login(world.programme_manager)
    url = reverse("api-partnership-evaluation", args=[world.partnership.slug])
    answer = api.get(url, {"as_of": "2020-06-30", "start": "referral"})
    assert answer.status_code == 200 and answer.json()["recurrence"]["any_pct"] == 57.1
    assert api.get(url, {"as_of": "2020-06-30", "start": "sentence"}).status_code == 400
    # The command takes the same choice.
    import io
    import json

    from django.core.management import call_command

    out = io.StringIO()
    call_command("evaluation_tables", "--partnership", world.partnership.slug, "--as-of", "2020-06-30",
                 "--start", "referral", stdout=out)  # fmt: skip
    assert json.loads(out.getvalue())["recurrence"] == answer.json()["recurrence"]
