"""Risk assessments built through the risk services, so test data obeys the same rules."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import pytest

from agencies.models import User
from cases.models import Case
from risk import services
from risk.models import Assessment

# The 24 scored DASH items, in the order the form asks them (risk/instruments/dash.json).
DASH_SCORED = [
    "current_injury",
    "very_frightened",
    "fears",
    "isolation",
    "depression_suicidal",
    "separation",
    "child_contact_conflict",
    "pregnancy",
    "stalking",
    "more_often",
    "getting_worse",
    "control_jealousy",
    "weapons",
    "threats_to_kill",
    "strangulation",
    "sexual_abuse",
    "other_threat",
    "hurt_others",
    "animal_abuse",
    "financial_issues",
    "substance_mental_health",
    "suicide_threats",
    "breach_bail",
    "criminal_history",
]
SDASH = [
    "sdash_very_frightened",
    "sdash_criminal_history",
    "sdash_property_damage",
    "sdash_turning_up",
    "sdash_following",
    "sdash_threats_violence",
    "sdash_third_parties",
    "sdash_violence_others",
    "sdash_involving_others",
    "sdash_substance_misuse",
    "sdash_past_violence",
]
CHILDREN = ["children_in_household", "hurt_children", "threats_to_children"]
SRP_CLINICAL_TEXT = "Formulation: rejection-driven, ruminative; escalates after court dates."
SRP_NOTES_TEXT = "Discussed medication review with the GP."


@pytest.fixture(autouse=False)
def shipped_instruments(db: None) -> None:
    """The data migration seeds them; a transactional test's flush removes them, so put them back."""
    services.instruments_ensure_shipped()


def dash_answers(yes: Iterable[str], *, sdash_yes: int = 0) -> dict[str, str]:
    """Every DASH item answered: ``yes`` items yes, the rest no; S-DASH items when stalking is yes."""
    chosen = set(yes)
    answers = {key: "yes" if key in chosen else "no" for key in DASH_SCORED}
    answers.update(dict.fromkeys(CHILDREN, "not_known"))
    if answers["stalking"] == "yes":
        answers.update({key: "yes" if index < sdash_yes else "no" for index, key in enumerate(SDASH)})
    return answers


def complete_dash(
    actor: User,
    case: Case,
    *,
    score: int,
    stalking: bool = True,
    sdash_yes: int = 0,
    judgement: str = "",
    reason: str = "",
    assessed_on: dt.date | None = None,
) -> Assessment:
    """A completed DASH with exactly ``score`` yes answers (stalking among them when asked)."""
    others = [k for k in DASH_SCORED if k != "stalking"]
    yes = (["stalking"] if stalking and score > 0 else []) + others[: score - (1 if stalking and score > 0 else 0)]
    assessment = services.assessment_start(actor=actor, case=case, instrument_key="dash")
    assessment = services.assessment_save(
        actor=actor,
        assessment=assessment,
        answers=dash_answers(yes, sdash_yes=sdash_yes),
        assessed_on=assessed_on or dt.date.today(),
        judgement_level=judgement,
        judgement_reason=reason,
    )
    return services.assessment_complete(actor=actor, assessment=assessment)


def complete_srp(
    actor: User,
    case: Case,
    *,
    violence: str = "moderate",
    persistence: str = "high",
    recurrence: str = "moderate",
    damage: str = "low",
    stalker_type: str = "rejected",
    assessed_on: dt.date | None = None,
    more: dict[str, str] | None = None,
) -> Assessment:
    """``more``: further answers (the current version's imminent serious violence, a secondary type)."""
    assessment = services.assessment_start(actor=actor, case=case, instrument_key="srp")
    assessment = services.assessment_save(
        actor=actor,
        assessment=assessment,
        assessed_on=assessed_on or dt.date.today(),
        answers={
            "stalker_type": stalker_type,
            "relationship": "ex_intimate",
            "risk_of_violence": violence,
            "persistence": persistence,
            "recurrence": recurrence,
            "psychosocial_damage": damage,
            "risk_factors": "Recent separation; breaches of bail.",
            "protective_factors": "Stable employment.",
            "management_plan": "Weekly sessions; liaison with probation on licence conditions.",
            "clinical_formulation": SRP_CLINICAL_TEXT,
            "clinical_notes": SRP_NOTES_TEXT,
            **(more or {}),
        },
    )
    return services.assessment_complete(actor=actor, assessment=assessment)
