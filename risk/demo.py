"""Demo risk records for the demo cases, built through the risk services.

Each case the meeting has heard gets a SASH level of concern; ex-partner cases a DASH
(with the S-DASH), and cases in work an SRP by the clinic. Some cases have incidents,
a few of them after the DASH (so the DASH is due again) and a MARAC referral where the
criteria were met. Levels follow the risk the case demo gave each case, so the caseload
and the risk pages tell the same story. Dates are relative to today.
"""

from __future__ import annotations

import datetime as dt
import random

from django.db import transaction
from django.utils import timezone

from agencies.demo import DEMO_SLUG
from agencies.models import Partnership
from cases import permissions as case_permissions
from cases.demo import DemoStaff
from cases.models import Case, CaseStatus
from risk import services
from risk.models import Assessment, Incident, MaracReferral

HEARD = (CaseStatus.ACCEPTED, CaseStatus.ACTIVE, CaseStatus.MONITORING, CaseStatus.CLOSED, CaseStatus.REOPENED)
IN_WORK = (CaseStatus.ACTIVE, CaseStatus.MONITORING, CaseStatus.CLOSED, CaseStatus.REOPENED)
DASH_SCORED = [
    "current_injury", "very_frightened", "fears", "isolation", "depression_suicidal", "separation",
    "child_contact_conflict", "pregnancy", "more_often", "getting_worse", "control_jealousy", "weapons",
    "threats_to_kill", "strangulation", "sexual_abuse", "other_threat", "hurt_others", "animal_abuse",
    "financial_issues", "substance_mental_health", "suicide_threats", "breach_bail", "criminal_history",
]  # fmt: skip
SDASH = [
    "sdash_very_frightened", "sdash_criminal_history", "sdash_property_damage", "sdash_turning_up",
    "sdash_following", "sdash_threats_violence", "sdash_third_parties", "sdash_violence_others",
    "sdash_involving_others", "sdash_substance_misuse", "sdash_past_violence",
]  # fmt: skip
INCIDENTS = [
    "Sent repeated messages through a new social media account after being blocked.",
    "Seen waiting outside the victim's workplace at the end of her shift.",
    "Left a letter and flowers at the victim's door.",
    "Phoned the victim's mother asking where the victim is living now.",
    "Followed the victim's car from the supermarket car park.",
]
SCORES = {"high": (14, 19), "moderate": (10, 13), "low": (3, 9)}
# Mullen's types as they usually go with the relationship (the rejected stalker is an ex-partner).
STALKER_TYPES = {
    "ex_intimate": ["rejected", "rejected", "rejected", "resentful"],
    "stranger": ["intimacy_seeker", "incompetent_suitor", "predatory"],
    "online_only": ["intimacy_seeker", "incompetent_suitor"],
    "workplace": ["resentful", "intimacy_seeker"],
    "professional": ["resentful", "intimacy_seeker"],
}
SRP_LEVELS = {"high": ["high", "moderate"], "moderate": ["moderate", "low"], "low": ["low"]}


def _at(day: dt.date, hour: int = 10) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, 15)))


def _stamp(assessment: Assessment, day: dt.date) -> None:
    """Date the record to when it happens in the story, not to the second the demo was loaded."""
    Assessment.objects.filter(pk=assessment.pk).update(created_at=_at(day, 9), completed_at=_at(day, 10))


def _dash(staff: DemoStaff, case: Case, target: str, day: dt.date, rng: random.Random) -> Assessment:
    low, high = SCORES[target]
    score = rng.randint(low, high)
    yes = {"stalking", *rng.sample(DASH_SCORED, score - 1)}
    answers = {key: "yes" if key in yes else rng.choice(["no", "no", "not_known"]) for key in DASH_SCORED}
    answers["stalking"] = "yes"
    answers.update({key: "yes" if rng.random() < 0.55 else "no" for key in SDASH})
    answers.update({"children_in_household": rng.choice(["yes", "no"]), "hurt_children": "no"})
    answers["threats_to_children"] = "not_known"
    raise_it = target == "high" and score < 14
    draft = services.assessment_start(actor=staff.advocate, case=case, instrument_key="dash")
    services.assessment_save(
        actor=staff.advocate,
        assessment=draft,
        answers=answers,
        assessed_on=day,
        judgement_level="high" if raise_it else "",
        judgement_reason="Recent threats at the door; the victim fears for her children." if raise_it else "",
        notes="Completed with the victim by phone at the agreed safe time.",
    )
    dash = services.assessment_complete(actor=staff.advocate, assessment=draft)
    _stamp(dash, day)
    return dash


def _srp(staff: DemoStaff, case: Case, target: str, day: dt.date, rng: random.Random) -> Assessment:
    levels = SRP_LEVELS[target]
    draft = services.assessment_start(actor=staff.clinician, case=case, instrument_key="srp")
    services.assessment_save(
        actor=staff.clinician,
        assessment=draft,
        assessed_on=day,
        answers={
            "stalker_type": rng.choice(
                STALKER_TYPES.get(case.referral.relationship, ["resentful", "incompetent_suitor"])
            ),
            "relationship": {"ex_intimate": "ex_intimate", "stranger": "stranger", "family": "family"}.get(
                case.referral.relationship, "acquaintance"
            ),
            "risk_of_violence": levels[-1],
            "persistence": levels[0],
            "recurrence": rng.choice(levels),
            "psychosocial_damage": rng.choice(["moderate", "high", "low"]),
            "risk_factors": "Recent separation; ruminates on perceived injustice; breaches of bail conditions.",
            "protective_factors": "Engaging with the clinic; supportive sibling; in employment.",
            "management_plan": "Weekly sessions for 12 weeks; probation to enforce the non-contact condition; "
            "review after the court date.",
            "clinical_formulation": "Rejection-based pursuit maintained by rumination and a sense of grievance; "
            "escalates around anniversaries and court dates.",
            "clinical_notes": "Discussed sleep and alcohol use; GP letter sent.",
        },
    )
    srp = services.assessment_complete(actor=staff.clinician, assessment=draft)
    _stamp(srp, day)
    return srp


def _incident(staff: DemoStaff, case: Case, day: dt.date, rng: random.Random) -> Incident:
    incident = services.incident_record(
        actor=rng.choice([staff.triage, staff.advocate]),
        case=case,
        occurred_on=day,
        description=rng.choice(INCIDENTS),
        source=rng.choice(["victim", "victim", "police"]),
    )
    Incident.objects.filter(pk=incident.pk).update(
        created_at=_at(min(day + dt.timedelta(days=1), timezone.localdate()))
    )
    return incident


@transaction.atomic
def load_demo_data() -> int:
    """Create the demo risk records once. Returns how many assessments were made (0 when present)."""
    partnership = Partnership.objects.filter(slug=DEMO_SLUG).first()
    if partnership is None or Assessment.objects.filter(case__partnership=partnership).exists():
        return 0
    services.instruments_ensure_shipped()
    staff = DemoStaff.of(partnership)
    rng = random.Random(2030)  # noqa: S311 - the same demo on every machine
    today = timezone.localdate()
    made = 0
    cases = Case.objects.filter(partnership=partnership, status__in=HEARD).select_related("referral").order_by("pk")
    for case in cases:
        target = case.current_risk or rng.choice(["moderate", "low"])
        heard = case.decided_on or min(case.received_on + dt.timedelta(days=7), today)
        incidents = []
        if rng.random() < 0.5:
            start = case.referral.behaviour_started_on or case.received_on - dt.timedelta(days=60)
            for _ in range(rng.randint(1, 3)):
                incidents.append(start + dt.timedelta(days=rng.randint(0, max((case.received_on - start).days, 1))))
        for day in sorted(incidents):
            _incident(staff, case, min(day, today), rng)

        if target == "high" and rng.random() < 0.5:
            # An earlier, lower screening: the history shows the concern rising.
            first = max(case.received_on, heard - dt.timedelta(days=5))
            sash = services.sash_record(actor=staff.triage, case=case, level="moderate", assessed_on=first)
            _stamp(sash, first)
            made += 1
        level = {"high": rng.choice(["high", "moderate_high"]), "moderate": "moderate", "low": "low"}[target]
        sash = services.sash_record(
            actor=staff.triage, case=case, level=level, assessed_on=heard, note="Agreed at the triage meeting."
        )
        _stamp(sash, heard)
        made += 1

        dash = None
        if case.referral.relationship == "ex_intimate":
            day = min(case.received_on + dt.timedelta(days=rng.randint(1, 6)), today)
            dash = _dash(staff, case, target, day, rng)
            made += 1
            if dash.marac_met:
                referred = min(day + dt.timedelta(days=rng.randint(1, 4)), today)
                referral = services.marac_referral_record(
                    actor=staff.advocate, case=case, referred_on=referred, assessment=dash, notes="Heard at MARAC."
                )
                MaracReferral.objects.filter(pk=referral.pk).update(created_at=_at(referred))
            if case.status in IN_WORK and rng.random() < 0.5 and day + dt.timedelta(days=20) < today:
                # A later incident: the DASH is due again (and, after a referral, a repeat).
                _incident(staff, case, min(day + dt.timedelta(days=rng.randint(10, 60)), today), rng)

        started = case.decided_on or heard
        if case.status in IN_WORK and rng.random() < 0.7 and case_permissions.can_view_case(staff.clinician, case):
            day = min(started + dt.timedelta(days=rng.randint(7, 30)), today)
            _srp(staff, case, target, day, rng)
            made += 1
    return made
