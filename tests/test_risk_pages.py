"""Risk pages: the case's risk section, the GOV.UK question pages with JavaScript off, check your
answers and confirmation, amendments, incidents, MARAC referrals, thresholds; scope, record classes,
the access log and pinned query counts."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from agencies.models import User
from audit.models import AccessAction, AccessLog
from cases import services as case_services
from cases.models import Case
from risk import services
from risk.models import Assessment, Incident, MaracReferral, RiskSettings, Status
from tests.case_factories import VICTIM_ADDRESS, VICTIM_PHONE, VICTIM_POSTCODE, make_case
from tests.factories import World
from tests.risk_factories import (
    DASH_SCORED,
    SDASH,
    SRP_CLINICAL_TEXT,
    SRP_NOTES_TEXT,
    complete_dash,
    complete_srp,
    shipped_instruments,
)

pytestmark = pytest.mark.django_db
__all__ = ["shipped_instruments"]
TODAY = dt.date.today()


@pytest.fixture(autouse=True)
def _instruments(shipped_instruments: None) -> None:
    return None


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def risk_url(case: Case) -> str:
    return reverse("risk:case_risk", args=[case.pk])


def page_url(assessment: Assessment, page: str) -> str:
    return reverse("risk:assessment_page", args=[assessment.case_id, assessment.pk, page])


def date_data(name: str, day: dt.date) -> dict[str, str]:
    return {f"{name}_day": str(day.day), f"{name}_month": str(day.month), f"{name}_year": str(day.year)}


# --- the case's risk section ---------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["triage_officer", "advocate", "clinician", "probation_practitioner"])
def test_risk_section_renders_for_every_agency_the_case_is_shared_with(world: World, role: str) -> None:
    case = make_case(world.triage_officer)
    complete_dash(world.triage_officer, case, score=15, sdash_yes=5)
    user = getattr(world, role)
    response = client_for(user).get(risk_url(case))
    assert response.status_code == 200
    html = response.content.decode()
    assert "MARAC referral criteria met" in html
    assert "DASH score 15: at or above the MARAC threshold of 14" in html
    assert "5 yes answers, asked with the DASH of" in html
    assert 'id="risk-history-data"' in html and "vendor/chart.umd.min.js" in html
    assert "Risk history by instrument and domain" in html  # the table alternative
    for secret in (VICTIM_ADDRESS, VICTIM_POSTCODE, VICTIM_PHONE):
        assert secret not in html
    entry = AccessLog.objects.filter(user=user, record_type="risk.case").latest("id")
    assert entry.action == AccessAction.VIEW and entry.record_ids == [str(case.pk)]


def test_the_risk_section_is_in_the_case_navigation_and_the_card_on_the_overview(world: World) -> None:
    case = make_case(world.triage_officer)
    services.sash_record(actor=world.triage_officer, case=case, level="moderate_high")
    html = client_for(world.advocate).get(reverse("cases:case_detail", args=[case.pk])).content.decode()
    assert f'href="{risk_url(case)}"' in html
    assert 'data-testid="risk-card"' in html and "Moderate/high" in html


def test_outside_scope_every_risk_page_is_404(world: World, other_world: World) -> None:
    case = make_case(world.triage_officer)
    dash = complete_dash(world.triage_officer, case, score=5)
    outsider = client_for(other_world.triage_officer)
    urls = [
        risk_url(case),
        reverse("risk:assessment_detail", args=[case.pk, dash.pk]),
        reverse("risk:assessment_confirmation", args=[case.pk, dash.pk]),
        reverse("risk:assessment_amend", args=[case.pk, dash.pk]),
        reverse("risk:assessment_start", args=[case.pk, "dash"]),
        reverse("risk:sash_record", args=[case.pk]),
        reverse("risk:incident_add", args=[case.pk]),
        reverse("risk:marac_referral_add", args=[case.pk]),
    ]
    for url in urls:
        assert outsider.get(url).status_code == 404, url
    assert outsider.post(reverse("risk:assessment_start", args=[case.pk, "dash"])).status_code == 404
    assert not Assessment.objects.filter(case=case, status=Status.DRAFT).exists()


def test_an_agency_the_case_is_not_shared_with_gets_404(world: World) -> None:
    case = make_case(world.triage_officer)
    case_services.case_share_remove(actor=world.triage_officer, case=case, agency=world.health, reason="Victim only")
    assert client_for(world.clinician).get(risk_url(case)).status_code == 404


def test_the_start_page_logs_the_names_it_shows(world: World) -> None:
    case = make_case(world.triage_officer)
    services.assessment_start(actor=world.triage_officer, case=case, instrument_key="dash")
    last = AccessLog.objects.latest("id").pk
    response = client_for(world.advocate).get(reverse("risk:assessment_start", args=[case.pk, "dash"]))
    html = response.content.decode()
    # The identity bar names the case's people, and the draft names who started it.
    assert response.status_code == 200 and "Hannah Mills" in html and "Darren Cole" in html
    assert world.triage_officer.get_full_name() in html
    rows = AccessLog.objects.filter(pk__gt=last)
    assert [(r.user_id, r.action, r.record_type, r.record_ids) for r in rows] == [
        (world.advocate.pk, AccessAction.VIEW, "risk.case", [str(case.pk)])
    ]


def test_the_risk_section_costs_a_fixed_number_of_queries(world: World, django_assert_num_queries: Any) -> None:
    case = make_case(world.triage_officer)
    client = client_for(world.advocate)
    client.get(risk_url(case))  # warm the per-process caches (permission id, content types)
    complete_dash(world.triage_officer, case, score=9)
    services.sash_record(actor=world.triage_officer, case=case, level="low")
    services.incident_record(actor=world.triage_officer, case=case, occurred_on=TODAY, description="x", source="police")
    with CaptureQueriesContext(connection) as first:
        assert client.get(risk_url(case)).status_code == 200
    # The risk app's own: settings, assessments, their amendments, domain answers, current
    # versions, incidents, MARAC referrals, withheld items. The rest is the frame (session,
    # user, case and its access checks, the agreement, the identity bar, each app's entry
    # in the case navigation, the access log).
    assert sum(1 for q in first.captured_queries if '"risk_' in q["sql"].split(" WHERE ")[0]) == 8
    for _ in range(3):
        complete_dash(world.triage_officer, case, score=14)
        services.incident_record(
            actor=world.triage_officer, case=case, occurred_on=TODAY, description="y", source="victim"
        )
    complete_srp(world.clinician, case)
    services.marac_referral_record(actor=world.triage_officer, case=case, referred_on=TODAY)
    with django_assert_num_queries(len(first.captured_queries)):
        assert client.get(risk_url(case)).status_code == 200


# --- record classes -------------------------------------------------------------------------------------------


def test_the_srp_formulation_and_notes_reach_health_only(world: World) -> None:
    case = make_case(world.triage_officer)
    srp = complete_srp(world.clinician, case)
    detail = reverse("risk:assessment_detail", args=[case.pk, srp.pk])
    health = client_for(world.clinician).get(detail).content.decode()
    assert SRP_CLINICAL_TEXT in health and SRP_NOTES_TEXT in health
    for role in ("triage_officer", "advocate", "probation_practitioner"):
        client = client_for(getattr(world, role))
        for url in (detail, risk_url(case), reverse("risk:assessment_confirmation", args=[case.pk, srp.pk])):
            html = client.get(url).content.decode()
            assert SRP_CLINICAL_TEXT not in html and SRP_NOTES_TEXT not in html, (role, url)
        html = client.get(detail).content.decode()
        assert "Withheld under the information-sharing agreement" in html
        assert "Management plan" in html and "Weekly sessions" in html  # the rest of the SRP is shared


def test_only_agencies_that_see_clinical_records_are_offered_the_srp(world: World) -> None:
    case = make_case(world.triage_officer)
    start = reverse("risk:assessment_start", args=[case.pk, "srp"])
    assert client_for(world.probation_practitioner).get(start).status_code == 404
    assert client_for(world.clinician).get(start).status_code == 200
    html = client_for(world.probation_practitioner).get(risk_url(case)).content.decode()
    assert start not in html


# --- the question pages with JavaScript off ---------------------------------------------------------------------


def test_a_dash_through_the_question_pages_without_javascript(world: World) -> None:
    case = make_case(world.triage_officer)
    client = client_for(world.triage_officer)
    response = client.post(reverse("risk:assessment_start", args=[case.pk, "dash"]))
    draft = Assessment.objects.get(case=case, status=Status.DRAFT)
    assert response.status_code == 302 and response["Location"] == page_url(draft, "about")

    response = client.post(page_url(draft, "about"), date_data("assessed_on", TODAY))
    assert response["Location"] == page_url(draft, "current_situation")

    # Continue without answering: the error summary links to each question.
    response = client.post(page_url(draft, "current_situation"), {"action": "continue"})
    html = response.content.decode()
    assert response.status_code == 200 and "There is a problem" in html
    assert '<a href="#id_current_injury_0">Select yes, no or not known for current injury</a>' in html
    assert html.count("govuk-error-message") == 5

    yes = set(DASH_SCORED[:16])
    pages = []
    location = page_url(draft, "current_situation")
    while "/pages/" in location and "/pages/result/" not in location:
        page = location.rstrip("/").rsplit("/", 1)[1]
        pages.append(page)
        form = client.get(location).context["form"]
        data = {key: ("yes" if key in yes or key in SDASH[:3] else "no") for key in form.fields}
        response = client.post(location, {**data, "action": "continue"})
        assert response.status_code == 302, response.content.decode()[:2000]
        location = response["Location"]
    assert pages == [
        "current_situation",
        "separation_children",
        "stalking",
        "sdash",  # opened by the stalking item's yes
        "pattern",
        "violence_threats",
        "others",
        "perpetrator",
        "children",
    ]
    html = client.get(location).content.decode()
    assert "Score: <strong>16</strong> yes answers, <strong>high</strong>" in html
    assert "Stalking: the S-DASH questions: 3 yes of 11." in html
    response = client.post(location, {"judgement_level": "", "notes": "Seen at the station", "action": "continue"})
    check = reverse("risk:assessment_check", args=[case.pk, draft.pk])
    assert response["Location"] == check
    html = client.get(check).content.decode()
    assert "Check your answers before completing the DASH" in html and "16 yes answers" in html

    response = client.post(check)
    confirmation = reverse("risk:assessment_confirmation", args=[case.pk, draft.pk])
    assert response["Location"] == confirmation
    html = client.get(confirmation).content.decode()
    assert "DASH completed" in html and "Score 16" in html and "High risk" in html
    assert "MARAC referral criteria met" in html
    assert "Visible high risk</strong>: DASH score 16: at or above the MARAC threshold of 14" in html
    assert Case.objects.get(pk=case.pk).current_risk == "high"


def test_stalking_no_skips_the_sdash_page(world: World) -> None:
    case = make_case(world.triage_officer)
    draft = services.assessment_start(actor=world.triage_officer, case=case, instrument_key="dash")
    response = client_for(world.triage_officer).post(page_url(draft, "stalking"), {"stalking": "no"})
    assert response["Location"] == page_url(draft, "pattern")
    assert client_for(world.triage_officer).get(page_url(draft, "sdash")).status_code == 404


def test_save_and_come_back_later_keeps_a_partial_page(world: World) -> None:
    case = make_case(world.triage_officer)
    draft = services.assessment_start(actor=world.triage_officer, case=case, instrument_key="dash")
    client = client_for(world.triage_officer)
    response = client.post(page_url(draft, "current_situation"), {"current_injury": "yes", "action": "later"})
    assert response["Location"] == risk_url(case)
    assert draft.answers.get().value == "yes"
    html = client.get(risk_url(case)).content.decode()
    assert "Continue the draft" in html


def test_autosave_saves_what_the_page_holds(world: World) -> None:
    case = make_case(world.triage_officer)
    draft = services.assessment_start(actor=world.triage_officer, case=case, instrument_key="dash")
    client = client_for(world.triage_officer)
    url = reverse("risk:assessment_autosave", args=[case.pk, draft.pk, "current_situation"])
    response = client.post(url, {"current_injury": "yes", "fears": "not_known"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and "Draft saved at" in response.content.decode()
    assert dict(draft.answers.values_list("item__key", "value")) == {"current_injury": "yes", "fears": "not_known"}
    response = client.post(url, {"current_injury": "maybe"}, HTTP_HX_REQUEST="true")
    assert "Not saved" in response.content.decode()
    assert client.get(url).status_code == 405
    # Another agency cannot continue the draft.
    assert client_for(world.advocate).post(url, {"current_injury": "no"}).status_code == 404


def test_completing_with_questions_unanswered_links_back_to_them(world: World) -> None:
    case = make_case(world.triage_officer)
    draft = services.assessment_start(actor=world.triage_officer, case=case, instrument_key="dash")
    check = reverse("risk:assessment_check", args=[case.pk, draft.pk])
    response = client_for(world.triage_officer).post(check)
    html = response.content.decode()
    assert response.status_code == 200 and "There is a problem" in html
    assert (
        f'<a href="{page_url(draft, "current_situation")}?return=check">Select yes, no or not known for current' in html
    )
    assert Assessment.objects.get(pk=draft.pk).status == Status.DRAFT


def test_judgement_lower_than_the_score_is_refused_on_the_result_page(world: World) -> None:
    case = make_case(world.triage_officer)
    draft = services.assessment_start(actor=world.triage_officer, case=case, instrument_key="dash")
    services.assessment_save(
        actor=world.triage_officer, assessment=draft, answers=dict.fromkeys(DASH_SCORED[:11], "yes")
    )
    client = client_for(world.triage_officer)
    form = client.get(page_url(draft, "result")).context["form"]
    # Only higher levels are offered ...
    assert [v for v, _ in form.fields["judgement_level"].choices] == ["", "high"]
    # ... and a lower one posted anyway is refused.
    response = client.post(page_url(draft, "result"), {"judgement_level": "standard", "judgement_reason": "x"})
    refused = "Choose an answer to \u2018Does your professional judgement raise the level?\u2019 from the list"
    assert response.status_code == 200 and refused in response.content.decode()
    response = client.post(page_url(draft, "result"), {"judgement_level": "high", "judgement_reason": ""})
    assert "Give the reason for raising the level" in response.content.decode()


def test_a_completed_assessments_pages_are_locked(world: World) -> None:
    case = make_case(world.triage_officer)
    dash = complete_dash(world.triage_officer, case, score=4)
    client = client_for(world.triage_officer)
    response = client.post(page_url(dash, "current_situation"), {"current_injury": "yes"})
    assert response["Location"] == reverse("risk:assessment_detail", args=[case.pk, dash.pk])
    assert Assessment.objects.get(pk=dash.pk).score == 4


def test_amend_from_the_assessment_page(world: World) -> None:
    case = make_case(world.triage_officer)
    dash = complete_dash(world.triage_officer, case, score=12)
    client = client_for(world.advocate)
    detail = client.get(reverse("risk:assessment_detail", args=[case.pk, dash.pk])).content.decode()
    amend = reverse("risk:assessment_amend", args=[case.pk, dash.pk])
    assert amend in detail
    response = client.post(amend, {"reason": ""})
    assert "Give the reason for the amendment" in response.content.decode()
    response = client.post(amend, {"reason": "Victim corrected her answer about threats"})
    amendment = Assessment.objects.get(amends=dash)
    assert response["Location"] == reverse("risk:assessment_check", args=[case.pk, amendment.pk])
    client.post(
        page_url(amendment, "violence_threats"),
        {"weapons": "yes", "threats_to_kill": "yes", "strangulation": "no", "sexual_abuse": "no"},
    )
    client.post(reverse("risk:assessment_check", args=[case.pk, amendment.pk]))
    amendment.refresh_from_db()
    assert (amendment.status, amendment.revision, amendment.score, amendment.band) == ("completed", 2, 14, "high")
    html = client.get(reverse("risk:assessment_detail", args=[case.pk, amendment.pk])).content.decode()
    assert "Victim corrected her answer about threats" in html and "Revision 1" in html


def test_record_a_sash_level_directly(world: World) -> None:
    case = make_case(world.triage_officer)
    client = client_for(world.triage_officer)
    url = reverse("risk:sash_record", args=[case.pk])
    response = client.post(url, {"level": "", **date_data("assessed_on", TODAY)})
    assert "Choose low, moderate, moderate/high or high" in response.content.decode()
    response = client.post(url, {"level": "high", **date_data("assessed_on", TODAY), "note": "Clinic"})
    assert response["Location"] == risk_url(case)
    assert Case.objects.get(pk=case.pk).current_risk == "high"


def test_incident_and_marac_referral_pages(world: World) -> None:
    case = make_case(world.triage_officer)
    complete_dash(world.triage_officer, case, score=3, assessed_on=TODAY - dt.timedelta(days=10))
    client = client_for(world.advocate)
    incident = reverse("risk:incident_add", args=[case.pk])
    response = client.post(incident, {**date_data("occurred_on", TODAY + dt.timedelta(days=2)), "source": "victim"})
    html = response.content.decode()
    assert "The date of the incident cannot be in the future" in html or "Describe the incident" in html
    response = client.post(
        incident,
        {**date_data("occurred_on", TODAY - dt.timedelta(days=1)), "source": "victim", "description": "Followed her"},
    )
    assert response["Location"] == risk_url(case)
    assert Incident.objects.get(case=case).description == "Followed her"
    assert Case.objects.get(pk=case.pk).next_due_on == TODAY - dt.timedelta(days=1)
    referral = reverse("risk:marac_referral_add", args=[case.pk])
    response = client.post(referral, {**date_data("referred_on", TODAY), "notes": "Heard on Tuesday"})
    assert response["Location"] == risk_url(case)
    assert MaracReferral.objects.get(case=case).assessment is not None
    assert client_for(world.programme_manager).get(incident).status_code == 404


# --- instruments and thresholds ------------------------------------------------------------------------------------


def test_instrument_pages_show_topic_labels_and_versions(world: World) -> None:
    client = client_for(world.probation_practitioner)
    html = client.get(reverse("risk:instruments")).content.decode()
    for name in ("DASH", "S-DASH", "SASH", "SRP"):
        assert f"{name}:" in html
    version_id = int(re.search(r"/risk/instruments/versions/(\d+)/", html).group(1))  # type: ignore[union-attr]
    html = client.get(reverse("risk:instrument_version", args=[version_id])).content.decode()
    assert "Current injury" in html and "Asked when stalking or harassment is yes." in html


def test_thresholds_page_is_for_the_partnership_admin(world: World) -> None:
    url = reverse("risk:settings")
    assert client_for(world.triage_officer).get(url).status_code == 404
    client = client_for(world.admin)
    data = {
        "dash_medium_from": "10",
        "dash_high_from": "17",
        "marac_score_from": "17",
        "escalation_incidents": "3",
        "escalation_months": "12",
        "repeat_months": "12",
    }
    response = client.post(url, {**data, "dash_high_from": "9"})
    assert "The high band must start above the medium band" in response.content.decode()
    assert client.post(url, data).status_code == 302
    settings = RiskSettings.objects.get(partnership=world.partnership)
    assert (settings.dash_high_from, settings.marac_score_from, settings.updated_by) == (17, 17, world.admin)
