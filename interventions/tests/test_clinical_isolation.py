"""Clinical notes (class clinical) never reach police, probation or advocacy users: not on a
page, not in the API, not in an e-mail, not in the bundle export's rows, not on the case overview.
Health sees them. A partnership that changes its agreement changes who sees them."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from agencies.models import RecordClass, SharingRule, User
from interventions import selectors
from interventions.models import Appointment, ClinicalNote, SessionConcern
from interventions.tests.helpers import (
    ASSESSMENT_DETAILS,
    CLINICAL_TEXT,
    GENERAL_CLINICAL_TEXT,
    HARDENING_DETAILS,
    SUMMARY_TEXT,
    full_intervention,
)
from tests.factories import World

pytestmark = pytest.mark.django_db

CLINICAL = (CLINICAL_TEXT, GENERAL_CLINICAL_TEXT, ASSESSMENT_DETAILS)
NON_HEALTH = ["probation_practitioner", "triage_officer", "advocate", "programme_manager", "admin"]


def pages(case_id: int, intervention_id: int) -> list[str]:
    other_ids = list(
        selectors.Intervention.objects.filter(case_id=case_id).exclude(pk=intervention_id).values_list("pk", flat=True)
    )
    referral_id = selectors.InterventionReferral.objects.get(intervention_id=intervention_id).pk
    return [
        reverse("cases:case_detail", args=[case_id]),
        reverse("interventions:case_interventions", args=[case_id]),
        reverse("interventions:referral_detail", args=[case_id, referral_id]),
        reverse("interventions:intervention_detail", args=[case_id, intervention_id]),
        *[reverse("interventions:intervention_detail", args=[case_id, pk]) for pk in other_ids],
        *[reverse("interventions:session_detail", args=[case_id, intervention_id, n]) for n in (1, 2, 3, 4)],
        reverse("interventions:inbox"),
    ]


def api_urls(case_id: int, intervention_id: int) -> list[str]:
    other_ids = list(
        selectors.Intervention.objects.filter(case_id=case_id).exclude(pk=intervention_id).values_list("pk", flat=True)
    )
    referral_id = selectors.InterventionReferral.objects.get(intervention_id=intervention_id).pk
    return [
        f"/api/v1/cases/{case_id}/interventions/",
        f"/api/v1/interventions/{intervention_id}/",
        *[f"/api/v1/interventions/{pk}/" for pk in other_ids],
        f"/api/v1/intervention-referrals/{referral_id}/",
        "/api/v1/interventions/inbox/",
        f"/api/v1/cases/{case_id}/",
    ]


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def api_for(user: User) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


@pytest.mark.parametrize("role", NON_HEALTH)
def test_no_page_shows_clinical_notes_to_other_agencies(world: World, role: str) -> None:
    case, intervention = full_intervention(world)
    client = client_for(getattr(world, role))
    for page in pages(case.pk, intervention.pk):
        response = client.get(page)
        if response.status_code == 404:
            continue  # the inbox of a role with no part in interventions
        body = response.content.decode()
        assert response.status_code == 200, page
        for secret in CLINICAL:
            assert secret not in body, (role, page)
    # What may be shared is there for probation: attendance and the summaries.
    if role == "probation_practitioner":
        body = client.get(pages(case.pk, intervention.pk)[3]).content.decode()
        assert SUMMARY_TEXT in body and "Did not attend" in body
        assert 'data-testid="clinical-notes"' not in body


@pytest.mark.parametrize("role", NON_HEALTH)
def test_no_api_answer_carries_clinical_notes_to_other_agencies(world: World, role: str) -> None:
    case, intervention = full_intervention(world)
    client = api_for(getattr(world, role))
    for address in api_urls(case.pk, intervention.pk):
        response = client.get(address)
        assert response.status_code == 200, (address, response.status_code)
        body = json.dumps(response.json())
        for secret in CLINICAL:
            assert secret not in body, (role, address)
    response = client.get(f"/api/v1/interventions/{intervention.pk}/clinical-notes/")
    assert response.status_code == 404
    response = client.post(f"/api/v1/interventions/{intervention.pk}/clinical-notes/", {"text": "x"}, format="json")
    assert response.status_code == 404


def test_health_reads_clinical_notes_on_pages_and_api(world: World) -> None:
    case, intervention = full_intervention(world)
    page = client_for(world.clinician).get(
        reverse("interventions:intervention_detail", args=[case.pk, intervention.pk])
    )
    body = page.content.decode()
    assert CLINICAL_TEXT in body and GENERAL_CLINICAL_TEXT in body
    response = api_for(world.clinician).get(f"/api/v1/interventions/{intervention.pk}/clinical-notes/")
    assert response.status_code == 200
    assert sorted(n["text"] for n in response.json()) == sorted([CLINICAL_TEXT, CLINICAL_TEXT, GENERAL_CLINICAL_TEXT])
    # The general API answer never carries them, even for health: one door, logged.
    detail = json.dumps(api_for(world.clinician).get(f"/api/v1/interventions/{intervention.pk}/").json())
    assert CLINICAL_TEXT not in detail


def test_risk_assessment_details_are_clinical_and_target_hardening_is_safety_planning(world: World) -> None:
    case, _ = full_intervention(world)
    rows = {
        r.intervention.type: r
        for r in selectors.case_interventions_for_user(user=world.probation_practitioner, case_id=case.pk).interventions
    }
    assert rows["comprehensive_risk_assessment"].details is None
    assert rows["comprehensive_risk_assessment"].details_withheld
    assert rows["victim_target_hardening"].details is None  # safety plan: police and advocacy only
    rows = {
        r.intervention.type: r
        for r in selectors.case_interventions_for_user(user=world.advocate, case_id=case.pk).interventions
    }
    assert rows["victim_target_hardening"].details == HARDENING_DETAILS
    assert rows["comprehensive_risk_assessment"].details is None
    rows = {
        r.intervention.type: r
        for r in selectors.case_interventions_for_user(user=world.clinician, case_id=case.pk).interventions
    }
    assert rows["comprehensive_risk_assessment"].details == ASSESSMENT_DETAILS
    assert rows["victim_target_hardening"].details is None


def test_the_concern_email_carries_no_clinical_notes(world: World) -> None:
    full_intervention(world)
    concern = SessionConcern.objects.get()
    from notifications.services import notification_email_send

    assert concern.notification_id is not None
    assert notification_email_send(notification_id=concern.notification_id) is True
    (message,) = mail.outbox
    for secret in (*CLINICAL, SUMMARY_TEXT, concern.description):
        assert secret not in message.subject and secret not in message.body


def test_the_export_rows_carry_no_clinical_text(world: World) -> None:
    full_intervention(world)
    rows = selectors.interventions_for_export(partnership_id=world.partnership.pk).values(
        "case__referral__ref",
        "type",
        "started_on",
        "ended_on",
        "status",
        "sessions_planned",
        "sessions_attended",
        "ending",
    )
    text = json.dumps(list(rows), default=str)
    for secret in CLINICAL:
        assert secret not in text
    assert sorted(r["type"] for r in rows) == [
        "comprehensive_risk_assessment",
        "perpetrator_direct_intervention",
        "victim_target_hardening",
    ]


def test_clinical_notes_follow_the_partnership_agreement(world: World) -> None:
    """If a partnership's agreement gives probation the clinical class, probation reads them;
    the rule is the agreement's, not a hard-coded agency."""
    case, intervention = full_intervention(world)
    SharingRule.objects.create(
        agreement=world.partnership.sharing_agreement, agency_kind="probation", record_class=RecordClass.CLINICAL
    )
    body = (
        client_for(world.probation_practitioner)
        .get(reverse("interventions:intervention_detail", args=[case.pk, intervention.pk]))
        .content.decode()
    )
    assert CLINICAL_TEXT in body
    SharingRule.objects.filter(
        agreement__partnership=world.partnership, agency_kind="health", record_class="clinical"
    ).delete()
    body = (
        client_for(world.clinician)
        .get(reverse("interventions:intervention_detail", args=[case.pk, intervention.pk]))
        .content.decode()
    )
    assert CLINICAL_TEXT not in body
    assert api_for(world.clinician).get(f"/api/v1/interventions/{intervention.pk}/clinical-notes/").status_code == 404


def test_a_non_health_agency_cannot_write_clinical_notes_by_the_api_either(world: World) -> None:
    case, intervention = full_intervention(world)
    appointment = Appointment.objects.filter(session__intervention=intervention, feedback_at__isnull=True).get()
    Appointment.objects.filter(pk=appointment.pk).update(starts_at=appointment.starts_at - dt.timedelta(days=30))
    before = ClinicalNote.objects.count()
    response = api_for(world.probation_practitioner).post(
        f"/api/v1/interventions/{intervention.pk}/appointments/{appointment.pk}/feedback/",
        {"attendance": "attended", "happened": True, "summary": "x", "clinical_notes": "probation's guess"},
        format="json",
    )
    assert response.status_code == 400
    assert ClinicalNote.objects.count() == before
    del case
