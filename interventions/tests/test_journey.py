"""In a real browser: probation refers, the clinician approves a 12-session plan and records
three sessions including one did-not-attend, and the probation practitioner sees the attendance
and the summaries but not the clinical notes."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from cases.permissions import view_case_permission_id
from interventions.models import Appointment, ClinicalNote, Intervention, InterventionReferral
from interventions.tests.helpers import old_case
from tests.conftest import sign_in
from tests.factories import PASSWORD, World

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]

CLINICAL = [
    "Rumination about the relationship ending; started thought records.",
    "Disclosed passive suicidal ideation; safety plan with GP agreed.",
]
SUMMARIES = [
    "Introductions, goals and the limits of confidentiality.",
    "Arrived late; worked on urges to make contact.",
]


def new_page(browser: Any, live_server: Any) -> Any:
    context = browser.new_context(base_url=live_server.url)
    page = context.new_page()
    page.set_default_timeout(15_000)
    return page


def fill_date(page: Any, prefix: str, day: dt.date) -> None:
    page.fill(f"#id_{prefix}_0", str(day.day))
    page.fill(f"#id_{prefix}_1", str(day.month))
    page.fill(f"#id_{prefix}_2", str(day.year))


def book(page: Any, number: int, day: dt.date, time: str) -> None:
    page.get_by_role("link", name=f"Book session {number}", exact=True).click()
    page.wait_for_url(f"**/sessions/{number}/book/")
    fill_date(page, "date", day)
    page.fill("#id_time", time)
    page.get_by_label("Video call").check()
    page.get_by_role("button", name="Book session").click()
    page.wait_for_selector(f"text=Session {number} booked")


def feedback(page: Any, number: int) -> None:
    page.get_by_role("link", name=f"Record feedback for session {number}").click()
    page.wait_for_url("**/feedback/")


def test_refer_plan_three_sessions_and_probation_sees_no_clinical_notes(
    browser: Any, live_server: Any, world: World
) -> None:
    # A transactional test flushes the tables, and the permissions are made again with new
    # ids: forget the id an earlier test cached (cases.permissions caches it per process).
    view_case_permission_id.cache_clear()
    case = old_case(world, days=90)

    # Probation refers.
    probation = new_page(browser, live_server)
    sign_in(probation, world.probation_practitioner.email, PASSWORD)
    probation.get_by_test_id("signed-in-as").wait_for()
    probation.goto(f"/cases/{case.pk}/")
    probation.get_by_test_id("case-nav").get_by_role("link", name="Interventions").click()
    probation.get_by_role("link", name="Refer for direct intervention").click()
    assert probation.get_by_label(world.health.name).is_checked()  # the one health agency sharing the case
    probation.fill("#id_risk_information", "Two breaches of a restraining order; fixated on reconciliation.")
    probation.fill("#id_desired_outcomes", "Stops all contact with the victim\nManages rumination without acting on it")
    probation.get_by_label("No", exact=True).check()
    probation.get_by_role("button", name="Send referral").click()
    probation.wait_for_selector("text=Referral sent to")
    referral = InterventionReferral.objects.get()
    # The journey spans weeks: the referral is moved a month back instead of waiting.
    InterventionReferral.objects.filter(pk=referral.pk).update(referred_on=timezone.localdate() - dt.timedelta(days=30))

    # The clinician accepts and approves a 12-session plan.
    clinician = new_page(browser, live_server)
    sign_in(clinician, world.clinician.email, PASSWORD)
    clinician.get_by_test_id("signed-in-as").wait_for()
    clinician.goto("/interventions/")
    clinician.get_by_test_id("referrals-to-decide").get_by_role("link", name=case.reference).click()
    clinician.get_by_role("button", name="Accept referral").click()
    clinician.get_by_role("link", name="Write the therapy plan").click()
    clinician.get_by_label("Cognitive behavioural therapy (CBT)").check()
    clinician.get_by_label("Emotion-focused therapy").check()
    assert clinician.input_value("#id_planned_sessions") == "12"
    assert "Stops all contact with the victim" in clinician.input_value("#id_desired_outcomes")
    clinician.get_by_label("Weekly", exact=True).check()
    clinician.get_by_label("Housing", exact=True).check()
    clinician.get_by_role("button", name="Approve plan").click()
    clinician.wait_for_selector("text=Plan approved: 12 sessions, weekly")
    assert clinician.locator("[data-testid^=session-] [data-testid=tag]").count() == 12

    # Three sessions: attended, did not attend, attended late.
    today = timezone.localdate()
    book(clinician, 1, today - dt.timedelta(days=21), "10:00")
    feedback(clinician, 1)
    clinician.locator("#id_attendance_0").check()  # attended
    clinician.locator("#id_happened_0").check()  # yes
    clinician.fill("#id_summary", SUMMARIES[0])
    clinician.locator("#id_concerns_raised_1").check()  # no
    clinician.fill("#id_clinical_notes", CLINICAL[0])
    clinician.get_by_role("button", name="Save feedback").click()
    clinician.wait_for_selector("text=Feedback for session 1 recorded.")

    book(clinician, 2, today - dt.timedelta(days=14), "10:00")
    feedback(clinician, 2)
    clinician.get_by_label("Did not attend").check()
    clinician.locator("#id_happened_1").check()  # no: reveals why
    clinician.get_by_label("Unacceptable absence").check()
    clinician.locator("#id_concerns_raised_1").check()
    clinician.get_by_role("button", name="Save feedback").click()
    clinician.wait_for_selector("text=Feedback for session 2 recorded.")

    book(clinician, 3, today - dt.timedelta(days=7), "2:30pm")
    feedback(clinician, 3)
    clinician.get_by_label("Attended late").check()
    clinician.locator("#id_happened_0").check()
    clinician.fill("#id_summary", SUMMARIES[1])
    clinician.locator("#id_concerns_raised_1").check()
    clinician.fill("#id_clinical_notes", CLINICAL[1])
    clinician.get_by_role("button", name="Save feedback").click()
    clinician.wait_for_selector("text=Feedback for session 3 recorded.")
    for note in CLINICAL:
        assert note in clinician.content()

    intervention = Intervention.objects.get()
    assert (intervention.status, intervention.sessions_planned, intervention.sessions_attended) == ("ongoing", 12, 2)
    assert Appointment.objects.filter(attendance="did_not_attend").count() == 1
    assert ClinicalNote.objects.count() == 2

    # Probation sees the attendance and the summaries, never the clinical notes.
    probation.goto(f"/interventions/cases/{case.pk}/{intervention.pk}/")
    tags = probation.locator("[data-testid^=session-] [data-testid=tag]").all_inner_texts()
    assert tags[:4] == ["Completed", "Did not attend", "Completed", "Not scheduled"]
    assert probation.get_by_test_id("sessions-delivered").inner_text() == "2 of 12"
    attendance = probation.locator("[data-testid=attendance]").all_inner_texts()
    assert attendance == ["Attended", "Did not attend", "Attended late"]
    summaries = probation.locator("[data-testid=summary]").all_inner_texts()
    assert SUMMARIES[0] in summaries and SUMMARIES[1] in summaries
    content = probation.content()
    for note in CLINICAL:
        assert note not in content
    assert probation.get_by_test_id("clinical-notes").count() == 0
    for number in (1, 2, 3):
        probation.goto(f"/interventions/cases/{case.pk}/{intervention.pk}/sessions/{number}/")
        for note in CLINICAL:
            assert note not in probation.content()
