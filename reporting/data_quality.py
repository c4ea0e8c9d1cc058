"""The data-quality report: for each stage, the share of cases missing what that stage needs.

The evaluators of the pilot lost months to gaps like these (../shared/DOMAIN.md: no
dates, no identifiers, re-offending and treatment completion not recorded); this
report shows them while they can still be filled in, with links to the cases.

Each check is a population (the cases at that stage) and a condition (what is
missing). All the checks' figures are one aggregate query over the partnership's
cases. The figures are programme data; the links go only to cases the person may open
(the caseload's rule, ``cases.permissions.case_visibility_q``), and those lists are
logged in the access log like any list of cases.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Exists, OuterRef, Q
from django.http import Http404
from django.utils import timezone

from agencies.models import User
from cases.models import Case, CaseParty, CaseStatus, Decision, PartyRole
from cases.permissions import case_visibility_q
from followups.models import FollowUpReview, ReviewStatus
from interventions.models import CLOSED_STATUSES, OPEN_STATUSES, Intervention
from risk.models import Assessment
from risk.models import Status as AssessmentStatus

CASE_LIST_LIMIT = 200


@dataclass(frozen=True)
class Check:
    key: str
    stage: str
    title: str
    description: str
    population_label: str

    def population(self, today: dt.date) -> Q:
        return _POPULATIONS[self.key](today)

    def missing(self, today: dt.date) -> Q:
        return _MISSING[self.key](today)


def _party_missing(role: str, condition: Q) -> Q:
    return Q(Exists(CaseParty.objects.filter(case_id=OuterRef("pk"), role=role, is_primary=True).filter(condition)))


_NO_GENDER_OR_AGE = Q(person__gender="unknown") | Q(person__date_of_birth__isnull=True, person__age_band="")


def _completed(instrument: str, **extra: object) -> Q:
    return Q(
        Exists(
            Assessment.objects.filter(
                case_id=OuterRef("pk"), instrument__key=instrument, status=AssessmentStatus.COMPLETED, **extra
            )
        )
    )


PAST_TRIAGE = [
    CaseStatus.ACCEPTED,
    CaseStatus.DECLINED,
    CaseStatus.ACTIVE,
    CaseStatus.MONITORING,
    CaseStatus.CLOSED,
    CaseStatus.REOPENED,
]
DECIDED = ~Q(decision=Decision.PENDING)
ACCEPTED = Q(decision=Decision.ACCEPTED)
HAS_INTERVENTION = Q(Exists(Intervention.objects.filter(case_id=OuterRef("pk"))))
HAS_REVIEWS = Q(Exists(FollowUpReview.objects.filter(case_id=OuterRef("pk"))))

CHECKS: tuple[Check, ...] = (
    Check(
        "victim_gender_age",
        "Referral",
        "Victim with no gender, or no date of birth or age band",
        "Needed for the equality breakdown of the quarterly return.",
        "all cases",
    ),
    Check(
        "perpetrator_gender_age",
        "Referral",
        "Perpetrator with no gender, or no date of birth or age band",
        "Needed for the equality breakdown and the evaluation's age and gender tables.",
        "all cases",
    ),
    Check(
        "ethnicity",
        "Referral",
        "Victim or perpetrator with no ethnicity recorded",
        "Needed for the equality breakdown of the quarterly return.",
        "all cases",
    ),
    Check(
        "no_decision",
        "Triage",
        "Past triage but no decision or decision date",
        "A case accepted, declined or further on must carry the meeting's decision and its date.",
        "cases past triage",
    ),
    Check(
        "no_sash_at_triage",
        "Triage",
        "No SASH at triage",
        "No completed SASH dated on or before the triage decision: the return shows these as not completed.",
        "cases with a triage decision",
    ),
    Check(
        "no_tier", "Triage", "Accepted with no tier", "Every accepted case needs its tier (1 to 4).", "accepted cases"
    ),
    Check("no_dash", "Risk", "Accepted with no DASH", "No completed DASH on an accepted case.", "accepted cases"),
    Check(
        "intervention_no_end",
        "Interventions",
        "Intervention with no end status",
        "An intervention still planned or ongoing on a closed case, or one that ended with no end date.",
        "cases with an intervention",
    ),
    Check(
        "followup_overdue",
        "Monitoring",
        "Follow-up review overdue",
        "A re-offending follow-up review past its due date and still open.",
        "cases with follow-up reviews",
    ),
    Check(
        "closed_no_reason",
        "Closure",
        "Closed with no discharge reason or date",
        "Every closed case needs the date it closed and why.",
        "closed cases",
    ),
)
CHECKS_BY_KEY = {c.key: c for c in CHECKS}

_POPULATIONS = {
    "victim_gender_age": lambda today: Q(),
    "perpetrator_gender_age": lambda today: Q(),
    "ethnicity": lambda today: Q(),
    "no_decision": lambda today: Q(status__in=PAST_TRIAGE),
    "no_sash_at_triage": lambda today: DECIDED,
    "no_tier": lambda today: ACCEPTED,
    "no_dash": lambda today: ACCEPTED,
    "intervention_no_end": lambda today: HAS_INTERVENTION,
    "followup_overdue": lambda today: HAS_REVIEWS,
    "closed_no_reason": lambda today: Q(status=CaseStatus.CLOSED),
}
_MISSING = {
    "victim_gender_age": lambda today: _party_missing(PartyRole.VICTIM, _NO_GENDER_OR_AGE),
    "perpetrator_gender_age": lambda today: _party_missing(PartyRole.PERPETRATOR, _NO_GENDER_OR_AGE),
    "ethnicity": lambda today: (
        _party_missing(PartyRole.VICTIM, Q(person__ethnicity=""))
        | _party_missing(PartyRole.PERPETRATOR, Q(person__ethnicity=""))
    ),
    "no_decision": lambda today: Q(decision=Decision.PENDING) | Q(decided_on__isnull=True),
    "no_sash_at_triage": lambda today: ~_completed("sash", assessed_on__lte=OuterRef("decided_on")),
    "no_tier": lambda today: Q(tier__isnull=True),
    "no_dash": lambda today: ~_completed("dash"),
    "intervention_no_end": lambda today: Q(
        Exists(
            Intervention.objects.filter(case_id=OuterRef("pk")).filter(
                Q(status__in=OPEN_STATUSES, case__status=CaseStatus.CLOSED)
                | Q(status__in=CLOSED_STATUSES, ended_on__isnull=True)
            )
        )
    ),
    "followup_overdue": lambda today: Q(
        Exists(FollowUpReview.objects.filter(case_id=OuterRef("pk"), status=ReviewStatus.OPEN, due_on__lt=today))
    ),
    "closed_no_reason": lambda today: Q(discharge_reason="") | Q(closed_on__isnull=True),
}


@dataclass
class CheckResult:
    check: Check
    population: int
    missing: int

    @property
    def share(self) -> float | None:
        return round(self.missing * 100 / self.population, 1) if self.population else None


@dataclass
class StageResult:
    stage: str
    checks: list[CheckResult]


def report_for_partnership(*, partnership_id: int, today: dt.date | None = None) -> list[StageResult]:
    """Every check's population and missing count: one aggregate query."""
    today = today or timezone.localdate()
    aggregates = {}
    for check in CHECKS:
        population = check.population(today)
        aggregates[f"{check.key}__p"] = Count("pk", filter=population)
        aggregates[f"{check.key}__m"] = Count("pk", filter=population & check.missing(today))
    figures = Case.objects.filter(partnership_id=partnership_id).aggregate(**aggregates)
    stages: list[StageResult] = []
    for check in CHECKS:
        result = CheckResult(check, figures[f"{check.key}__p"], figures[f"{check.key}__m"])
        if not stages or stages[-1].stage != check.stage:
            stages.append(StageResult(check.stage, []))
        stages[-1].checks.append(result)
    return stages


@dataclass
class CheckCases:
    check: Check
    cases: list[Case]
    visible: int
    missing: int


def cases_for_check(*, user: User, key: str, today: dt.date | None = None) -> CheckCases:
    """The cases missing ``key`` that ``user`` may open, newest first (at most CASE_LIST_LIMIT)."""
    check = CHECKS_BY_KEY.get(key)
    if check is None or user.agency is None:
        raise Http404
    today = today or timezone.localdate()
    condition = check.population(today) & check.missing(today)
    partnership = Case.objects.filter(partnership_id=user.agency.partnership_id)
    visible = Case.objects.filter(case_visibility_q(user)).filter(condition)
    cases = list(visible.order_by("-received_on", "-id")[:CASE_LIST_LIMIT])
    return CheckCases(
        check=check,
        cases=cases,
        visible=visible.count() if len(cases) == CASE_LIST_LIMIT else len(cases),
        missing=partnership.filter(condition).count(),
    )
