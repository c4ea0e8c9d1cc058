"""Scoring, bands, professional judgement and the MARAC criteria, as plain functions.

No database here: the services feed these from the version's items and the case's
records, and the property-based tests drive them directly.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from dateutil.relativedelta import relativedelta

YES = "yes"
# A judged domain the assessor left unrated: stored as such, shown "Not rated", and left out
# of every level worked out from the domains (it is not low).
NOT_RATED = "not_rated"
NOT_RATED_LABEL = "Not rated"


class LevelError(ValueError):
    """A level that is not one of the version's bands, or a judgement lower than the score's band."""


@dataclass(frozen=True)
class ItemRule:
    """What scoring needs to know of one item."""

    key: str
    group: str
    response: str
    scored: bool = False
    required: bool = True
    condition_key: str = ""
    condition_answer: str = ""


@dataclass(frozen=True)
class Band:
    key: str
    label: str
    overall: str
    min: int | None = None

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> Band:
        return cls(key=data["key"], label=data["label"], overall=data["overall"], min=data.get("min"))

    def as_data(self) -> dict[str, Any]:
        data: dict[str, Any] = {"key": self.key, "label": self.label, "overall": self.overall}
        if self.min is not None:
            data["min"] = self.min
        return data


def bands_from_data(data: Iterable[Mapping[str, Any]]) -> list[Band]:
    return [Band.from_data(b) for b in data]


def open_keys(items: Sequence[ItemRule], answers: Mapping[str, str]) -> set[str]:
    """The items that are asked, given the answers so far.

    An item with a condition opens when the earlier item it names is itself open and
    has the named answer: the S-DASH opens when the DASH's stalking item is yes, and
    closes again if that answer changes.
    """
    opened: set[str] = set()
    for item in items:
        if not item.condition_key or (
            item.condition_key in opened and answers.get(item.condition_key) == item.condition_answer
        ):
            opened.add(item.key)
    return opened


def yes_count(items: Sequence[ItemRule], answers: Mapping[str, str]) -> int:
    """The score of a yes_count instrument: open, scored items answered yes."""
    opened = open_keys(items, answers)
    return sum(1 for item in items if item.scored and item.key in opened and answers.get(item.key) == YES)


def group_yes_counts(items: Sequence[ItemRule], answers: Mapping[str, str], groups: Iterable[str]) -> dict[str, int]:
    """Yes answers per group (the S-DASH's count inside a DASH), open items only."""
    wanted = set(groups)
    opened = open_keys(items, answers)
    counts = dict.fromkeys(wanted, 0)
    for item in items:
        if item.group in wanted and item.key in opened and answers.get(item.key) == YES:
            counts[item.group] += 1
    return counts


def missing_required(items: Sequence[ItemRule], answers: Mapping[str, str]) -> list[str]:
    opened = open_keys(items, answers)
    return [i.key for i in items if i.required and i.key in opened and not (answers.get(i.key) or "").strip()]


def with_thresholds(bands: Sequence[Band], overrides: Mapping[str, int]) -> list[Band]:
    """The version's bands with a partnership's own lower bounds (DASH medium and high)."""
    return [Band(b.key, b.label, b.overall, overrides.get(b.key, b.min)) for b in bands]


def band_for(score: int, bands: Sequence[Band]) -> Band | None:
    """The highest band whose lower bound the score reaches."""
    found = None
    for band in sorted((b for b in bands if b.min is not None), key=lambda b: b.min or 0):
        if score >= (band.min or 0):
            found = band
    return found


def rank(bands: Sequence[Band], key: str) -> int:
    for index, band in enumerate(bands):
        if band.key == key:
            return index
    raise LevelError(f"{key!r} is not a level of this instrument")


def band_label(bands: Sequence[Band], key: str) -> str:
    if key == NOT_RATED:
        return NOT_RATED_LABEL
    return next((b.label for b in bands if b.key == key), key)


def resolve_level(bands: Sequence[Band], scored_key: str, judgement_key: str) -> str:
    """The level after professional judgement: it may raise the scored band, never lower it."""
    if not judgement_key:
        return scored_key
    if rank(bands, judgement_key) < rank(bands, scored_key):
        raise LevelError(
            f"Professional judgement can raise the level, never lower it: the score gives "
            f"{band_label(bands, scored_key).lower()}"
        )
    return judgement_key


def highest_level(bands: Sequence[Band], values: Iterable[str]) -> str:
    present = [v for v in values if v and v != NOT_RATED]
    if not present:
        return ""
    return max(present, key=lambda v: rank(bands, v))


def overall_for(bands: Sequence[Band], key: str) -> str:
    return next((b.overall for b in bands if b.key == key), "")


# --- MARAC -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Thresholds:
    marac_score_from: int = 14
    escalation_incidents: int = 3
    escalation_months: int = 12
    repeat_months: int = 12


@dataclass(frozen=True)
class MaracCriterion:
    key: str
    label: str
    met: bool
    reason: str

    def as_data(self) -> dict[str, Any]:
        return {"key": self.key, "label": self.label, "met": self.met, "reason": self.reason}

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> MaracCriterion:
        return cls(key=data["key"], label=data["label"], met=bool(data["met"]), reason=data["reason"])


VISIBLE_HIGH_RISK = "visible_high_risk"
PROFESSIONAL_JUDGEMENT = "professional_judgement"
POTENTIAL_ESCALATION = "potential_escalation"
REPEAT = "repeat"
MARAC_LABELS = {
    VISIBLE_HIGH_RISK: "Visible high risk",
    PROFESSIONAL_JUDGEMENT: "Professional judgement",
    POTENTIAL_ESCALATION: "Potential escalation",
    REPEAT: "Repeat",
}


def _day(value: dt.date) -> str:
    return f"{value.day} {value:%B %Y}"


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def evaluate_marac(
    *,
    on: dt.date,
    thresholds: Thresholds,
    score: int | None,
    top_band: Band | None,
    scored_band: str = "",
    judgement_level: str = "",
    judgement_reason: str = "",
    incident_dates: Iterable[dt.date] = (),
    referral_dates: Iterable[dt.date] = (),
) -> list[MaracCriterion]:
    """The four MARAC referral criteria as at ``on``, each with the reason it is met or not.

    - visible high risk: the DASH score reaches the partnership's MARAC threshold;
    - professional judgement: the assessor raised the level to the top band;
    - potential escalation: ``escalation_incidents`` or more incidents on or after the
      day ``escalation_months`` before ``on``, and not after ``on``;
    - repeat: an incident after the last MARAC referral and no more than
      ``repeat_months`` after it.
    """
    criteria = []
    if score is None:
        criteria.append(MaracCriterion(VISIBLE_HIGH_RISK, MARAC_LABELS[VISIBLE_HIGH_RISK], False, "No DASH completed"))
    elif score >= thresholds.marac_score_from:
        criteria.append(
            MaracCriterion(
                VISIBLE_HIGH_RISK,
                MARAC_LABELS[VISIBLE_HIGH_RISK],
                True,
                f"DASH score {score}: at or above the MARAC threshold of {thresholds.marac_score_from}",
            )
        )
    else:
        criteria.append(
            MaracCriterion(
                VISIBLE_HIGH_RISK,
                MARAC_LABELS[VISIBLE_HIGH_RISK],
                False,
                f"DASH score {score}: below the MARAC threshold of {thresholds.marac_score_from}",
            )
        )

    raised = bool(top_band and judgement_level == top_band.key and scored_band != top_band.key)
    if raised and top_band is not None:
        reason = f"Raised to {top_band.label.lower()} by professional judgement"
        if judgement_reason.strip():
            reason += f": {judgement_reason.strip()}"
        criteria.append(MaracCriterion(PROFESSIONAL_JUDGEMENT, MARAC_LABELS[PROFESSIONAL_JUDGEMENT], True, reason))
    else:
        criteria.append(
            MaracCriterion(
                PROFESSIONAL_JUDGEMENT,
                MARAC_LABELS[PROFESSIONAL_JUDGEMENT],
                False,
                "The level was not raised to high by professional judgement",
            )
        )

    incidents = sorted(d for d in incident_dates if d <= on)
    since = on - relativedelta(months=thresholds.escalation_months)
    window = [d for d in incidents if d >= since]
    period = f"{_plural(thresholds.escalation_months, 'month')} to {_day(on)}"
    if len(window) >= thresholds.escalation_incidents:
        criteria.append(
            MaracCriterion(
                POTENTIAL_ESCALATION,
                MARAC_LABELS[POTENTIAL_ESCALATION],
                True,
                f"{_plural(len(window), 'incident')} in the {period} ({', '.join(_day(d) for d in window)})",
            )
        )
    else:
        criteria.append(
            MaracCriterion(
                POTENTIAL_ESCALATION,
                MARAC_LABELS[POTENTIAL_ESCALATION],
                False,
                f"{_plural(len(window), 'incident')} in the {period}; "
                f"{thresholds.escalation_incidents} or more is the criterion",
            )
        )

    referrals = sorted(d for d in referral_dates if d <= on)
    if not referrals:
        criteria.append(MaracCriterion(REPEAT, MARAC_LABELS[REPEAT], False, "No earlier MARAC referral recorded"))
    else:
        last = referrals[-1]
        until = last + relativedelta(months=thresholds.repeat_months)
        repeat = [d for d in incidents if last < d <= until]
        if repeat:
            criteria.append(
                MaracCriterion(
                    REPEAT,
                    MARAC_LABELS[REPEAT],
                    True,
                    f"Incident on {_day(repeat[0])}, within {_plural(thresholds.repeat_months, 'month')} "
                    f"of the MARAC referral of {_day(last)}",
                )
            )
        else:
            criteria.append(
                MaracCriterion(
                    REPEAT,
                    MARAC_LABELS[REPEAT],
                    False,
                    f"No incident within {_plural(thresholds.repeat_months, 'month')} "
                    f"after the MARAC referral of {_day(last)}",
                )
            )
    return criteria
