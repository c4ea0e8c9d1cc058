"""Interventions' work lines (masip.worklist), counted as the interventions inbox lists them:
treatment referrals waiting for a decision and sessions missing feedback (health), and
concerns not yet acknowledged (the probation practitioner or referrer told of them)."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils import timezone

from cases.selectors import case_queryset_for_user
from interventions import permissions
from interventions.selectors import concerns_for, feedback_due, referrals_to_decide
from masip.worklist import WorkLine


def lines(user: Any) -> list[WorkLine]:
    clinician, refers = permissions.is_health_clinician(user), permissions.can_refer(user)
    if not (clinician or refers):
        return []
    visible = case_queryset_for_user(user=user).values("pk")
    inbox = reverse("interventions:inbox")
    found: list[WorkLine] = []
    if clinician:
        waiting = referrals_to_decide(user, visible).count()
        missing = feedback_due(user, visible, now=timezone.now()).count()
        found += [
            WorkLine("treatment_referrals", "Treatment referrals waiting for a decision", waiting, url=inbox),
            WorkLine("feedback_missing", "Sessions missing feedback", missing, url=inbox, overdue=missing > 0),
        ]
    if refers:
        concerns = concerns_for(user, visible).count()
        found.append(WorkLine("concerns", "Concerns not acknowledged", concerns, url=inbox, overdue=concerns > 0))
    return found
