"""Scoring, bands, the never-lower rule and the MARAC criteria, with hand-worked and generated cases."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from risk import scoring
from risk.loader import SHIPPED_DIR, parse_definition, read_file
from risk.scoring import Band, ItemRule, Thresholds
from tests.risk_factories import CHILDREN, DASH_SCORED, SDASH

DASH = parse_definition(read_file(SHIPPED_DIR / "dash.json"))
RULES = [
    ItemRule(
        key=i.key,
        group=next(g.key for g in DASH.groups if i in g.items),
        response=i.response,
        scored=i.scored,
        required=i.required,
        condition_key=i.condition_key,
        condition_answer=i.condition_answer,
    )
    for i in DASH.items
]
BANDS = scoring.bands_from_data(DASH.bands)
ANSWER = st.sampled_from(["yes", "no", "not_known", ""])


def test_the_shipped_dash_has_24_scored_items_11_sdash_and_the_children_block() -> None:
    assert [r.key for r in RULES if r.scored] == DASH_SCORED
    assert [r.key for r in RULES if r.group == "sdash"] == SDASH
    assert [r.key for r in RULES if r.group == "children"] == CHILDREN
    assert all(r.condition_key == "stalking" and r.condition_answer == "yes" for r in RULES if r.group == "sdash")


@pytest.mark.parametrize(
    ("score", "band"),
    [(0, "standard"), (9, "standard"), (10, "medium"), (13, "medium"), (14, "high"), (24, "high")],
)
def test_dash_band_edges(score: int, band: str) -> None:
    found = scoring.band_for(score, BANDS)
    assert found is not None and found.key == band


@pytest.mark.parametrize(("score", "band"), [(13, "medium"), (14, "medium"), (16, "medium"), (17, "high")])
def test_a_partnership_threshold_moves_the_band_edge(score: int, band: str) -> None:
    bands = scoring.with_thresholds(BANDS, {"medium": 10, "high": 17})
    found = scoring.band_for(score, bands)
    assert found is not None and found.key == band


def test_the_sdash_opens_only_when_stalking_is_yes_and_closes_again() -> None:
    assert not set(SDASH) & scoring.open_keys(RULES, {"stalking": "no"})
    assert set(SDASH) <= scoring.open_keys(RULES, {"stalking": "yes"})
    assert not set(SDASH) & scoring.open_keys(RULES, {"stalking": "not_known"})


def test_sdash_and_children_answers_do_not_count_in_the_dash_score() -> None:
    answers = dict.fromkeys(SDASH + CHILDREN, "yes")
    answers["stalking"] = "yes"
    assert scoring.yes_count(RULES, answers) == 1
    assert scoring.group_yes_counts(RULES, answers, ["sdash"]) == {"sdash": 11}


@given(st.fixed_dictionaries({r.key: ANSWER for r in RULES}))
def test_dash_score_is_the_number_of_yes_answers_to_the_24_items(answers: dict[str, str]) -> None:
    expected = sum(1 for key in DASH_SCORED if answers[key] == "yes")
    score = scoring.yes_count(RULES, answers)
    assert score == expected
    band = scoring.band_for(score, BANDS)
    assert band is not None
    assert band.key == ("high" if expected >= 14 else "medium" if expected >= 10 else "standard")


@given(st.fixed_dictionaries({r.key: ANSWER for r in RULES}))
def test_closed_items_never_count(answers: dict[str, str]) -> None:
    opened = scoring.open_keys(RULES, answers)
    sdash = scoring.group_yes_counts(RULES, answers, ["sdash"])["sdash"]
    if answers["stalking"] != "yes":
        assert not set(SDASH) & opened and sdash == 0
    else:
        assert sdash == sum(1 for key in SDASH if answers[key] == "yes")


@given(st.integers(min_value=0, max_value=24), st.sampled_from(["", "standard", "medium", "high"]))
def test_professional_judgement_may_raise_never_lower(score: int, judgement: str) -> None:
    band = scoring.band_for(score, BANDS)
    assert band is not None
    order = ["standard", "medium", "high"]
    if judgement and order.index(judgement) < order.index(band.key):
        with pytest.raises(scoring.LevelError, match="never lower"):
            scoring.resolve_level(BANDS, band.key, judgement)
    else:
        level = scoring.resolve_level(BANDS, band.key, judgement)
        assert order.index(level) >= order.index(band.key)
        assert level == (judgement or band.key)


@given(
    st.lists(st.sampled_from(["low", "moderate", "high", ""]), min_size=1, max_size=4),
)
def test_the_srp_level_is_the_highest_judged_domain(values: list[str]) -> None:
    bands = [Band("low", "Low", "low"), Band("moderate", "Moderate", "moderate"), Band("high", "High", "high")]
    expected = next((level for level in ("high", "moderate", "low") if level in values), "")
    assert scoring.highest_level(bands, values) == expected


# --- MARAC ------------------------------------------------------------------------------------------------

ON = dt.date(2026, 3, 10)
TOP = BANDS[-1]


def marac(**kwargs: object) -> dict[str, scoring.MaracCriterion]:
    defaults: dict[str, object] = {
        "on": ON,
        "thresholds": Thresholds(),
        "score": 5,
        "top_band": TOP,
        "scored_band": "standard",
    }
    defaults.update(kwargs)
    return {c.key: c for c in scoring.evaluate_marac(**defaults)}  # type: ignore[arg-type]


@pytest.mark.parametrize(("score", "met"), [(13, False), (14, True), (24, True)])
def test_visible_high_risk_from_14(score: int, met: bool) -> None:
    found = marac(score=score)["visible_high_risk"]
    assert found.met is met
    assert str(score) in found.reason and "14" in found.reason


def test_visible_high_risk_at_a_partnership_threshold_of_17() -> None:
    assert not marac(score=16, thresholds=Thresholds(marac_score_from=17))["visible_high_risk"].met
    assert marac(score=17, thresholds=Thresholds(marac_score_from=17))["visible_high_risk"].met


def test_professional_judgement_criterion_only_when_raised_to_high() -> None:
    raised = marac(scored_band="medium", judgement_level="high", judgement_reason="Threats to kill at the door")
    assert raised["professional_judgement"].met
    assert (
        raised["professional_judgement"].reason
        == "Raised to high by professional judgement: Threats to kill at the door"
    )
    assert not marac(scored_band="medium", judgement_level="")["professional_judgement"].met
    assert not marac(scored_band="high", judgement_level="high")["professional_judgement"].met


def test_potential_escalation_counts_incidents_in_the_12_months_to_the_day() -> None:
    # 10 March 2026: the window starts on 10 March 2025 (inclusive).
    three = [dt.date(2025, 3, 10), dt.date(2025, 9, 1), dt.date(2026, 3, 10)]
    found = marac(incident_dates=three)["potential_escalation"]
    assert found.met
    assert found.reason == (
        "3 incidents in the 12 months to 10 March 2026 (10 March 2025, 1 September 2025, 10 March 2026)"
    )
    just_outside = [dt.date(2025, 3, 9), dt.date(2025, 9, 1), dt.date(2026, 3, 10)]
    assert not marac(incident_dates=just_outside)["potential_escalation"].met
    future = [dt.date(2025, 9, 1), dt.date(2026, 1, 2), dt.date(2026, 3, 11)]
    assert not marac(incident_dates=future)["potential_escalation"].met


def test_repeat_is_an_incident_within_12_months_after_the_last_marac_referral() -> None:
    found = marac(referral_dates=[dt.date(2025, 4, 1)], incident_dates=[dt.date(2026, 2, 1)])["repeat"]
    assert found.met
    assert found.reason == "Incident on 1 February 2026, within 12 months of the MARAC referral of 1 April 2025"
    # Only the last referral counts, and only incidents after it.
    assert not marac(referral_dates=[dt.date(2025, 4, 1)], incident_dates=[dt.date(2025, 4, 1)])["repeat"].met
    assert not marac(
        referral_dates=[dt.date(2024, 1, 1)], incident_dates=[dt.date(2025, 1, 2)], on=dt.date(2025, 6, 1)
    )["repeat"].met
    assert marac(referral_dates=[dt.date(2024, 1, 1)], incident_dates=[dt.date(2025, 1, 1)], on=dt.date(2025, 6, 1))[
        "repeat"
    ].met
    assert not marac()["repeat"].met and marac()["repeat"].reason == "No earlier MARAC referral recorded"


@given(
    st.lists(st.dates(min_value=dt.date(2024, 1, 1), max_value=dt.date(2026, 12, 31)), max_size=8),
    st.dates(min_value=dt.date(2025, 1, 1), max_value=dt.date(2026, 12, 31)),
)
def test_escalation_matches_a_count_of_the_window(dates: list[dt.date], on: dt.date) -> None:
    start = on.replace(year=on.year - 1) if not (on.month == 2 and on.day == 29) else dt.date(on.year - 1, 2, 28)
    expected = sum(1 for d in dates if start <= d <= on)
    found = marac(on=on, incident_dates=dates)["potential_escalation"]
    assert found.met is (expected >= 3)
