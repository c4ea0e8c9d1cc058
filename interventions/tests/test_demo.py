"""The demo interventions load once, through the services, and every page renders for the demo staff."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from agencies.demo import load_demo
from agencies.models import User
from cases.demo import load_demo_cases
from interventions.demo import load_demo_data
from interventions.models import (
    EndOfServiceReport,
    Intervention,
    InterventionReferral,
    ReferralStatus,
    SessionConcern,
)

pytestmark = pytest.mark.django_db


def test_demo_interventions_load_once_and_render() -> None:
    load_demo()
    load_demo_cases()
    assert load_demo_data() == 11
    assert load_demo_data() == 0
    direct = Intervention.objects.filter(type="perpetrator_direct_intervention")
    assert sorted(direct.values_list("status", flat=True)) == ["completed", "dropped_out", "ongoing"]
    assert sorted(InterventionReferral.objects.values_list("status", flat=True)) == [
        ReferralStatus.ACCEPTED,
        ReferralStatus.ACCEPTED,
        ReferralStatus.ACCEPTED,
        ReferralStatus.DECLINED,
        ReferralStatus.SUBMITTED,
    ]
    assert EndOfServiceReport.objects.count() == 2
    assert SessionConcern.objects.filter(acknowledged_at__isnull=True).count() == 1
    completed = direct.get(status="completed")
    assert (completed.sessions_planned, completed.sessions_attended) == (12, 12)
    for email in ("clinician@demo.masip.test", "probation@demo.masip.test", "advocate@demo.masip.test"):
        client = Client()
        client.force_login(User.objects.get(email=email))
        for intervention in Intervention.objects.all():
            response = client.get(
                reverse("interventions:intervention_detail", args=[intervention.case_id, intervention.pk])
            )
            assert response.status_code == 200, (email, intervention.type)
        for case_id in set(Intervention.objects.values_list("case_id", flat=True)):
            assert client.get(reverse("interventions:case_interventions", args=[case_id])).status_code == 200
