"""The interventions pages: each renders for whom it is for, 404 outside scope, forms work
without JavaScript, the access log records each look, and list pages cost a fixed number of queries."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from agencies.models import User
from audit.models import AccessAction, AccessLog
from interventions.models import (
    Appointment,
    ClinicalNote,
    EndOfServiceReport,
    Intervention,
    InterventionReferral,
    InterventionStatus,
    ReferralStatus,
    SessionConcern,
    TherapyPlan,
)
from interventions.tests.helpers import (
    CLINICAL_TEXT,
    CONCERN_TEXT,
    SUMMARY_TEXT,
    accepted,
    book,
    days_ago,
    deliver,
    full_intervention,
    old_case,
    plan,
    refer,
)
from tests.factories import World

pytestmark = pytest.mark.django_db


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def url(name: str, *args: Any) -> str:
    return reverse(f"interventions:{name}", args=args)


def html(response: Any) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


# --- rendering ----------------------------------------------------------------------------------------


def test_progress_page_shows_every_session_with_its_tag(world: World) -> None:
    case, intervention = full_intervention(world)
    page = html(client_for(world.probation_practitioner).get(url("intervention_detail", case.pk, intervention.pk)))
    for number, tag in [
        (1, "Completed"),
        (2, "Did not attend"),
        (3, "Completed"),
        (4, "Scheduled"),
        (5, "Not scheduled"),
    ]:
        row = page.split(f'data-testid="session-{number}"')[1].split("</tr>")[0]
        assert f">{tag}</strong>" in row, (number, row)
    assert "2 of 12" in page
    assert SUMMARY_TEXT in page and "Worked on alternatives to contact." in page
    assert CONCERN_TEXT in page
    assert "Acknowledge" in page  # the practitioner told may acknowledge it
    log = AccessLog.objects.filter(user=world.probation_practitioner, record_type="interventions.intervention")
    assert log.latest("id").record_ids == [str(intervention.pk)]


def test_progress_page_for_the_clinician_has_the_actions_and_the_clinical_notes(world: World) -> None:
    case, intervention = full_intervention(world)
    page = html(client_for(world.clinician).get(url("intervention_detail", case.pk, intervention.pk)))
    assert CLINICAL_TEXT in page
    assert "End the intervention" in page and "Revise" in page and "Record a review" in page
    assert url("appointment_book", case.pk, intervention.pk, 2) in page  # book session 2 again
    assert url("appointment_book", case.pk, intervention.pk, 5) in page
    notes = ClinicalNote.objects.filter(intervention=intervention).values_list("pk", flat=True)
    logged = AccessLog.objects.filter(user=world.clinician, record_type="interventions.clinical_note").latest("id")
    assert sorted(logged.record_ids) == sorted(str(pk) for pk in notes)


def test_case_section_lists_interventions_and_is_in_the_case_navigation(world: World) -> None:
    case, _intervention = full_intervention(world)
    client = client_for(world.advocate)
    page = html(client.get(url("case_interventions", case.pk)))
    assert "Direct psychological intervention" in page and "Comprehensive risk assessment" in page
    assert "Target hardening (victim)" in page
    assert 'aria-current="page" href="' + url("case_interventions", case.pk) in page
    overview = html(client.get(reverse("cases:case_detail", args=[case.pk])))
    assert 'data-testid="interventions-card"' in overview and "2 of 12 sessions delivered" in overview
    assert "Concern raised" in overview


def test_case_section_offers_the_referral_to_probation_only(world: World) -> None:
    case = old_case(world)
    assert "Refer for direct intervention" in html(
        client_for(world.probation_practitioner).get(url("case_interventions", case.pk))
    )
    assert "Refer for direct intervention" not in html(
        client_for(world.clinician).get(url("case_interventions", case.pk))
    )
    assert "Refer for direct intervention" not in html(
        client_for(world.advocate).get(url("case_interventions", case.pk))
    )


def test_session_page_keeps_the_rescheduled_appointment_and_its_reason(world: World) -> None:

    case = old_case(world)
    intervention = accepted(world, case)
    plan(world, intervention)
    first = book(world, intervention, 1, days_ago(-3))
    client = client_for(world.clinician)
    when = timezone.localdate() + dt.timedelta(days=6)
    response = client.post(
        url("appointment_reschedule", case.pk, intervention.pk, first.pk),
        {
            **date_fields("date", when),
            "time": "2:15pm",
            "duration_minutes": "50",
            "method": "video",
            "reason": "He starts a new job that morning",
        },
    )
    assert response.status_code == 302
    page = html(client.get(url("session_detail", case.pk, intervention.pk, 1)))
    assert "He starts a new job that morning" in page
    assert page.count(">Rescheduled</strong>") == 3  # the session, the old appointment, the new one
    new = Appointment.objects.get(replaces=first)
    assert timezone.localtime(new.starts_at).hour == 14 and new.method == "video"


def test_inbox_lists_what_is_waiting(world: World) -> None:
    _case, intervention = full_intervention(world)
    waiting = refer(world, old_case(world))
    book(world, intervention, 5, days_ago(1))
    clinician = html(client_for(world.clinician).get(url("inbox")))
    assert url("referral_detail", waiting.case_id, waiting.pk) in clinician
    assert 'data-testid="feedback-due"' in clinician and 'data-testid="upcoming"' in clinician
    probation = html(client_for(world.probation_practitioner).get(url("inbox")))
    assert CONCERN_TEXT in probation and 'data-testid="my-referrals"' in probation
    assert reverse("interventions:inbox") in html(client_for(world.probation_practitioner).get(reverse("home")))


@pytest.mark.parametrize("role", ["advocate", "programme_manager"])
def test_inbox_is_404_for_those_without_a_part_in_it(world: World, role: str) -> None:
    assert client_for(getattr(world, role)).get(url("inbox")).status_code == 404


# --- scope: 404 ------------------------------------------------------------------------------------------


def every_page(case_id: int, intervention: Intervention) -> list[str]:
    appointment = Appointment.objects.filter(session__intervention=intervention, feedback_at__isnull=True).first()
    referral = InterventionReferral.objects.get(intervention=intervention)
    assert appointment is not None
    i = intervention.pk
    return [
        url("case_interventions", case_id),
        url("referral_detail", case_id, referral.pk),
        url("intervention_detail", case_id, i),
        url("session_detail", case_id, i, 1),
        url("plan_edit", case_id, i),
        url("plan_review", case_id, i),
        url("appointment_book", case_id, i, 5),
        url("appointment_reschedule", case_id, i, appointment.pk),
        url("appointment_cancel", case_id, i, appointment.pk),
        url("course_book", case_id, i),
        url("appointment_feedback", case_id, i, appointment.pk),
        url("intervention_end", case_id, i),
        url("intervention_record", case_id),
        url("referral_new", case_id),
    ]


def test_everything_is_404_outside_the_partnership(world: World, other_world: World) -> None:
    case, intervention = full_intervention(world)
    for user in (other_world.clinician, other_world.probation_practitioner, other_world.admin):
        client = client_for(user)
        for page in every_page(case.pk, intervention):
            assert client.get(page).status_code == 404, (user.role, page)
    concern = SessionConcern.objects.get()
    assert (
        client_for(other_world.probation_practitioner).post(url("concern_acknowledge", concern.pk)).status_code == 404
    )


def test_everything_is_404_for_an_agency_the_case_is_not_shared_with(world: World) -> None:
    from cases import services as case_services
    from cases.models import Case

    case, intervention = full_intervention(world)
    case_services.case_share_remove(
        actor=world.triage_officer, case=Case.objects.get(pk=case.pk), agency=world.advocacy, reason="Not needed"
    )
    client = client_for(world.advocate)
    for page in every_page(case.pk, intervention):
        assert client.get(page).status_code == 404, page


def test_a_wrong_case_in_the_address_is_404(world: World) -> None:
    case, intervention = full_intervention(world)
    other_case = old_case(world)
    client = client_for(world.clinician)
    assert client.get(url("intervention_detail", other_case.pk, intervention.pk)).status_code == 404
    assert client.get(url("session_detail", case.pk, intervention.pk, 99)).status_code == 404


@pytest.mark.parametrize("role", ["probation_practitioner", "triage_officer", "advocate", "admin"])
def test_clinical_work_pages_are_404_to_other_agencies(world: World, role: str) -> None:
    case, intervention = full_intervention(world)
    client = client_for(getattr(world, role))
    appointment = Appointment.objects.filter(session__intervention=intervention, feedback_at__isnull=True).get()
    i = intervention.pk
    for page in (
        url("plan_edit", case.pk, i),
        url("plan_review", case.pk, i),
        url("appointment_book", case.pk, i, 5),
        url("appointment_reschedule", case.pk, i, appointment.pk),
        url("appointment_cancel", case.pk, i, appointment.pk),
        url("course_book", case.pk, i),
        url("appointment_feedback", case.pk, i, appointment.pk),
        url("intervention_end", case.pk, i),
    ):
        assert client.get(page).status_code == 404, page
    assert client.post(url("clinical_note_add", case.pk, i), {"note-text": "x"}).status_code == 404


@pytest.mark.parametrize("role", ["clinician", "advocate"])
def test_referral_form_is_404_to_those_who_do_not_refer(world: World, role: str) -> None:
    case = old_case(world)
    assert client_for(getattr(world, role)).get(url("referral_new", case.pk)).status_code == 404


def test_record_form_is_404_to_an_agency_that_delivers_nothing(world: World) -> None:
    case = old_case(world)
    assert client_for(world.probation_practitioner).get(url("intervention_record", case.pk)).status_code == 404


# --- the workflow through the forms, without JavaScript --------------------------------------------------


def date_fields(name: str, day: dt.date) -> dict[str, str]:
    return {f"{name}_day": str(day.day), f"{name}_month": str(day.month), f"{name}_year": str(day.year)}


def test_refer_accept_plan_book_feedback_end_through_the_forms(world: World) -> None:
    case = old_case(world)
    probation = client_for(world.probation_practitioner)
    response = probation.post(url("referral_new", case.pk), {"health_agency": ""})
    page = html(response)
    assert "There is a problem" in page and "Choose the health agency" in page
    response = probation.post(
        url("referral_new", case.pk),
        {
            "health_agency": str(world.health.pk),
            "risk_information": "High risk of persistence.",
            "desired_outcomes": "No contact with the victim\n- Manages rumination\n",
            "interpreter_required": "no",
        },
    )
    referral = InterventionReferral.objects.get()
    assert response.status_code == 302 and response["Location"] == url("referral_detail", case.pk, referral.pk)
    assert referral.desired_outcomes == ["No contact with the victim", "Manages rumination"]
    assert referral.referred_on == timezone.localdate()
    # As if it had been made last month, so that a session can already have been held.
    InterventionReferral.objects.filter(pk=referral.pk).update(referred_on=timezone.localdate() - dt.timedelta(days=30))

    clinician = client_for(world.clinician)
    referral.refresh_from_db()
    response = clinician.post(url("referral_detail", case.pk, referral.pk), {"action": "accept"})
    intervention = Intervention.objects.get()
    assert response["Location"] == url("intervention_detail", case.pk, intervention.pk)

    plan_page = html(clinician.get(url("plan_edit", case.pk, intervention.pk)))
    assert 'value="12"' in plan_page and "No contact with the victim\nManages rumination" in plan_page
    response = clinician.post(
        url("plan_edit", case.pk, intervention.pk),
        {
            "modalities": ["cbt", "emotion_focused"],
            "planned_sessions": "12",
            "frequency": "fortnightly",
            "desired_outcomes": "No contact with the victim\nManages rumination",
            "criminogenic_needs": ["employment"],
            "action": "approve",
        },
    )
    assert response.status_code == 302
    assert TherapyPlan.objects.get().status == "approved"

    held_on = timezone.localdate() - dt.timedelta(days=2)
    response = clinician.post(
        url("appointment_book", case.pk, intervention.pk, 1),
        {**date_fields("date", held_on), "time": "09:30", "duration_minutes": "60", "method": "in_person"},
    )
    assert response.status_code == 302, response.content.decode()[-3000:]
    appointment = Appointment.objects.get()
    response = clinician.post(
        url("appointment_feedback", case.pk, intervention.pk, appointment.pk),
        {
            "attendance": "late",
            "happened": "yes",
            "summary": "Arrived 10 minutes late; engaged.",
            "concerns_raised": "no",
        },
    )
    assert response.status_code == 302
    appointment.refresh_from_db()
    assert appointment.attendance == "late" and appointment.happened is True

    end_page = html(clinician.get(url("intervention_end", case.pk, intervention.pk)))
    assert "No contact with the victim" in end_page and "End-of-service report" in end_page
    response = clinician.post(
        url("intervention_end", case.pk, intervention.pk),
        {"ending": "dropped_out", "reason": "Stopped attending", "rating_1": "partly", "rating_2": "not_achieved"},
    )
    assert response.status_code == 302
    intervention.refresh_from_db()
    assert intervention.status == InterventionStatus.DROPPED_OUT
    assert list(EndOfServiceReport.objects.get().ratings.values_list("rating", flat=True)) == ["partly", "not_achieved"]
    page = html(probation.get(url("intervention_detail", case.pk, intervention.pk)))
    assert "End-of-service report" in page and "Partly achieved" in page


def test_feedback_form_shows_the_service_errors_against_the_fields(world: World) -> None:
    case = old_case(world)
    intervention = accepted(world, case)
    plan(world, intervention)
    appointment = book(world, intervention, 1, days_ago(1))
    page = html(
        client_for(world.clinician).post(
            url("appointment_feedback", case.pk, intervention.pk, appointment.pk),
            {"attendance": "did_not_attend", "happened": "no", "not_happened_reason": "", "concerns_raised": "no"},
        )
    )
    assert "There is a problem" in page
    assert '<a href="#id_not_happened_reason_0">Say why the session did not happen</a>' in page


def test_feedback_before_the_time_is_refused_on_the_page(world: World) -> None:
    case = old_case(world)
    intervention = accepted(world, case)
    plan(world, intervention)
    appointment = book(world, intervention, 1, timezone.now() + dt.timedelta(hours=2))
    page = html(
        client_for(world.clinician).post(
            url("appointment_feedback", case.pk, intervention.pk, appointment.pk),
            {"attendance": "attended", "happened": "yes", "summary": "x", "concerns_raised": "no"},
        )
    )
    assert "Attendance can be recorded only after the session&#x27;s start time" in page


def test_decline_with_reason_on_the_page(world: World) -> None:
    case = old_case(world)
    referral = refer(world, case)
    client = client_for(world.clinician)
    page = html(client.post(url("referral_detail", case.pk, referral.pk), {"action": "decline", "decline-reason": ""}))
    assert "Give the reason for declining the referral" in page
    response = client.post(
        url("referral_detail", case.pk, referral.pk), {"action": "decline", "decline-reason": "No capacity"}
    )
    assert response.status_code == 302
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.DECLINED
    assert "No capacity" in html(client_for(world.probation_practitioner).get(url("case_interventions", case.pk)))


def test_acknowledge_with_and_without_javascript(world: World) -> None:
    case, intervention = full_intervention(world)
    concern = SessionConcern.objects.get()
    client = client_for(world.probation_practitioner)
    fragment = client.post(url("concern_acknowledge", concern.pk), HTTP_HX_REQUEST="true")
    assert fragment.status_code == 200 and "Concern acknowledged" in fragment.content.decode()
    assert "<html" not in fragment.content.decode()
    concern.refresh_from_db()
    assert concern.acknowledged_by == world.probation_practitioner
    again = client.post(url("concern_acknowledge", concern.pk), {"next": "https://evil.example/"})
    assert again["Location"] == url("intervention_detail", case.pk, intervention.pk)


# --- query counts ----------------------------------------------------------------------------------------


# Session, user, agency; the case and its two access checks; referrals, interventions, open
# concerns; the sharing agreement; two access-log rows (the case, its interventions); the
# identity bar's parties and the per-person rule for them (is either a victim in a case the
# reader cannot see?); the case sub-navigation's other sections (two access checks).
# Each + 1: the header's unread-notifications count (docs/home-and-search.md).
CASE_SECTION_QUERIES = 14 + 1
# Session, user, agency; the case and its two access checks; the intervention; the agreement;
# sessions, their appointments (with concerns and authors) and their clinical notes; plans;
# the referral; the report; general clinical notes; plan reviews; two access-log rows (the
# intervention, the clinical notes read); the identity bar's parties and the per-person rule
# for them; the sub-navigation's other sections (two access checks).
PROGRESS_QUERIES = 20 + 1


def test_case_section_query_count_does_not_grow(world: World, django_assert_num_queries: Any) -> None:
    case, _intervention = full_intervention(world)
    client = client_for(world.clinician)
    client.get(url("case_interventions", case.pk))
    with django_assert_num_queries(CASE_SECTION_QUERIES):
        html(client.get(url("case_interventions", case.pk)))
    from interventions import services

    for _ in range(3):
        services.intervention_record(
            actor=world.clinician, case=case, intervention_type="perpetrator_health_signposting"
        )
    with django_assert_num_queries(CASE_SECTION_QUERIES):
        html(client.get(url("case_interventions", case.pk)))


def test_progress_page_query_count_does_not_grow(world: World, django_assert_num_queries: Any) -> None:
    case, intervention = full_intervention(world)
    client = client_for(world.clinician)
    client.get(url("intervention_detail", case.pk, intervention.pk))
    with django_assert_num_queries(PROGRESS_QUERIES):
        html(client.get(url("intervention_detail", case.pk, intervention.pk)))
    deliver(world, intervention, [5, 6, 7], first_days_ago=20)
    with django_assert_num_queries(PROGRESS_QUERIES):
        html(client.get(url("intervention_detail", case.pk, intervention.pk)))


# Session, user, agency; referrals to decide; sessions needing feedback; sessions coming up;
# the access-log row; the agreement (the header's sections).
INBOX_QUERIES = 7 + 1  # + 1: the header's unread count


def test_inbox_query_count_does_not_grow(world: World, django_assert_num_queries: Any) -> None:
    full_intervention(world)
    client = client_for(world.clinician)
    client.get(url("inbox"))
    with django_assert_num_queries(INBOX_QUERIES):
        html(client.get(url("inbox")))
    for _ in range(3):
        refer(world, old_case(world))
    with django_assert_num_queries(INBOX_QUERIES):
        html(client.get(url("inbox")))


# --- every page that names the people logs the look ---------------------------------------------------------


def _looks_since(user: User, last_id: int) -> list[tuple[str, list[str], str]]:
    return list(
        AccessLog.objects.filter(user=user, action=AccessAction.VIEW, pk__gt=last_id)
        .order_by("id")
        .values_list("record_type", "record_ids", "purpose")
    )


def _last_log_id() -> int:
    return AccessLog.objects.order_by("-id").values_list("id", flat=True).first() or 0


@pytest.mark.parametrize(
    ("who", "page", "purpose"),
    [
        ("probation_practitioner", "referral_new", "refer for direct intervention"),
        ("clinician", "intervention_record", "record an intervention"),
    ],
)
def test_the_refer_and_record_pages_log_the_case_they_name(world: World, who: str, page: str, purpose: str) -> None:
    case = old_case(world)
    user = getattr(world, who)
    last = _last_log_id()
    assert "Darren Cole" in html(client_for(user).get(url(page, case.pk)))
    assert _looks_since(user, last) == [("cases.case", [str(case.pk)], purpose)]


def test_the_intervention_form_pages_log_the_intervention_they_show(world: World) -> None:
    case = old_case(world)
    intervention = accepted(world, case)
    plan(world, intervention)
    appointment = book(world, intervention, 1, days_ago(-5))
    from interventions import services

    planned = services.intervention_record(
        actor=world.clinician, case=case, intervention_type="perpetrator_health_signposting"
    )
    client = client_for(world.clinician)
    pages = [
        (url("intervention_start", case.pk, planned.pk), planned.pk, "record the start"),
        (url("plan_review", case.pk, intervention.pk), intervention.pk, "plan review"),
        (url("appointment_book", case.pk, intervention.pk, 2), intervention.pk, "book session 2"),
        (
            url("appointment_reschedule", case.pk, intervention.pk, appointment.pk),
            intervention.pk,
            "reschedule session 1",
        ),
    ]
    for address, shown, purpose in pages:
        last = _last_log_id()
        assert "Darren Cole" in html(client.get(address)), address
        assert _looks_since(world.clinician, last) == [("interventions.intervention", [str(shown)], purpose)], address


def test_the_api_reads_log_through_the_same_read_functions(world: World) -> None:
    case, intervention = full_intervention(world)
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_authenticate(world.clinician)
    last = _last_log_id()
    assert client.get(f"/api/v1/interventions/{intervention.pk}/").status_code == 200
    # The endpoint never carries clinical notes, so it logs no reading of them.
    assert _looks_since(world.clinician, last) == [("interventions.intervention", [str(intervention.pk)], "")]
    last = _last_log_id()
    assert client.get(f"/api/v1/cases/{case.pk}/interventions/").status_code == 200
    looks = _looks_since(world.clinician, last)
    assert looks[0] == ("cases.case", [str(case.pk)], "interventions")
    assert looks[1][0] == "interventions.intervention" and str(intervention.pk) in looks[1][1]
    assert len(looks) == 2
