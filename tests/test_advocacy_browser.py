"""In a real browser: police record a perpetrator's release; the advocate sees the alert,
checks the safe-contact preferences, logs a phone call, marks the victim informed and adds
an alarm to the safety plan. Then the case page's quick add, with and without JavaScript."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.utils import timezone

from advocacy import services
from advocacy.models import ContactLogEntry, KeyEvent, SafetyMeasure, VictimNotice
from cases.permissions import view_case_permission_id
from notifications.models import Notification
from tests.case_factories import VICTIM_CODE_WORD, make_case
from tests.conftest import sign_in
from tests.factories import PASSWORD, World

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


@pytest.fixture(autouse=True)
def fresh_permission_id() -> Iterator[None]:
    # A transactional test's flush re-creates permissions with new ids; the id is cached per process.
    view_case_permission_id.cache_clear()
    yield
    view_case_permission_id.cache_clear()


def sign_out(page: Any) -> None:
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/accounts/login/**")


def test_release_alert_to_an_informed_victim_and_an_alarm(page: Any, world: World) -> None:
    case = make_case(world.triage_officer)
    services.advocate_assign(actor=world.advocate, case=case, advocate=world.advocate)

    # Police record the release from the case's advocacy section.
    sign_in(page, world.triage_officer.email, PASSWORD)
    page.wait_for_url("**/")
    page.goto(f"/cases/{case.pk}/")
    page.get_by_test_id("case-nav").get_by_role("link", name="Victim advocacy").click()
    page.get_by_test_id("advocacy-nav").get_by_role("link", name="Key events").click()
    page.get_by_role("link", name="Record a key event").click()
    page.get_by_label("Release from custody").check()
    today = timezone.localdate()
    page.fill("input[name=occurs_on_day]", str(today.day))
    page.fill("input[name=occurs_on_month]", str(today.month))
    page.fill("input[name=occurs_on_year]", str(today.year))
    page.get_by_label("Details for the victim's advocate").fill("Released on licence from HMP Altcourse at 09:00.")
    page.get_by_role("button", name="Record key event").click()
    page.wait_for_url(f"**/advocacy/cases/{case.pk}/key-events/")
    assert "The victim's advocacy service has been alerted" in page.inner_text("main")
    sign_out(page)

    # The advocate sees the alert in Notifications and opens it.
    sign_in(page, world.advocate.email, PASSWORD)
    page.wait_for_url("**/")
    page.get_by_role("link", name="Notifications").first.click()
    alert = page.get_by_test_id("notification").filter(has_text="release from custody")
    assert f"Key event on case {case.reference}" in alert.inner_text()
    alert.get_by_role("button", name=re.compile("^Open")).click()
    notice = VictimNotice.objects.get(key_event__case=case)
    page.wait_for_url(f"**/advocacy/cases/{case.pk}/key-events/notices/{notice.pk}/")
    assert Notification.objects.get(recipient=world.advocate).read_at is not None

    # She checks the safe-contact preferences before calling.
    safe = page.get_by_test_id("safe-contact")
    assert safe.is_visible()
    assert VICTIM_CODE_WORD in safe.inner_text() and "Do not leave voicemail" in safe.inner_text()
    assert "Weekdays 10:00 to 14:00" in safe.inner_text()

    # She logs the phone call.
    page.get_by_role("link", name="Log the contact as well").click()
    assert VICTIM_CODE_WORD in page.get_by_test_id("safe-contact").inner_text()
    page.get_by_label("Phone", exact=True).check()
    page.get_by_label("To the victim").check()
    page.get_by_label("Criminal justice update").check()
    page.get_by_label("Duration in minutes").fill("15")
    page.get_by_label("Summary").fill("Told her of the release and the licence conditions; reviewed her route.")
    page.get_by_role("button", name="Log contact").click()
    page.wait_for_url(f"**/advocacy/cases/{case.pk}/contacts/")
    assert "Told her of the release" in page.get_by_test_id("contact-timeline").inner_text()
    entry = ContactLogEntry.objects.get(case=case)
    assert (entry.channel, entry.direction, entry.topics, entry.duration_minutes) == (
        "phone",
        "to_victim",
        ["criminal_justice_update"],
        15,
    )

    # She marks the victim informed.
    page.get_by_test_id("advocacy-nav").get_by_role("link", name="Key events").click()
    page.get_by_role("link", name=re.compile("^Record that the victim was told")).click()
    page.get_by_label("Phone", exact=True).check()
    page.get_by_role("button", name="Record that the victim was told").click()
    page.wait_for_url(f"**/advocacy/cases/{case.pk}/key-events/")
    assert "Told" in page.get_by_test_id("notice").inner_text()
    notice.refresh_from_db()
    assert notice.told_at is not None and notice.told_method == "phone" and notice.told_by == world.advocate

    # She adds an alarm to the safety plan.
    page.get_by_test_id("advocacy-nav").get_by_role("link", name="Safety plan").click()
    page.get_by_role("link", name="Add a measure").click()
    page.get_by_label("Alarm", exact=True).check()
    page.select_option("select[name=owner_agency]", value=str(world.police.pk))
    page.get_by_label("Details").fill("Police-linked pendant alarm")
    page.get_by_role("button", name="Add measure").click()
    page.wait_for_url(f"**/advocacy/cases/{case.pk}/safety-plan/")
    assert "Alarm" in page.get_by_test_id("measures").inner_text()
    measure = SafetyMeasure.objects.get(plan__case=case)
    assert (measure.kind, measure.status, measure.owner_agency) == ("alarm", "proposed", world.police)
    assert KeyEvent.objects.filter(case=case, kind="release_from_custody").count() == 1


def test_quick_add_from_the_case_page_with_htmx(page: Any, world: World) -> None:
    case = make_case(world.triage_officer)
    services.advocate_assign(actor=world.advocate, case=case, advocate=world.advocate)
    sign_in(page, world.advocate.email, PASSWORD)
    page.wait_for_url("**/")
    page.goto(f"/cases/{case.pk}/")
    card = page.get_by_test_id("advocacy-card")
    card.get_by_text("Log a contact").click()
    assert VICTIM_CODE_WORD in card.get_by_test_id("safe-contact").inner_text()
    card.get_by_label("Text message").check()
    card.get_by_label("From the victim").check()
    card.get_by_label("Emotional support").check()
    card.get_by_label("Summary").fill("She texted to say the week was quiet.")
    url_before = page.url
    card.get_by_role("button", name="Log contact").click()
    page.get_by_text("Contact logged").wait_for()
    assert page.url == url_before  # swapped in place, no page load
    assert "1, last on" in page.get_by_test_id("advocacy-card").inner_text()
    assert ContactLogEntry.objects.get(case=case).channel == "text"


def test_quick_add_from_the_case_page_without_javascript(browser: Any, live_server: Any, world: World) -> None:
    case = make_case(world.triage_officer)
    services.advocate_assign(actor=world.advocate, case=case, advocate=world.advocate)
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        sign_in(page, world.advocate.email, PASSWORD)
        page.wait_for_url("**/")
        page.goto(f"/cases/{case.pk}/")
        card = page.get_by_test_id("advocacy-card")
        card.locator("summary").click()  # the native <details> opens without JavaScript
        card.get_by_label("In person").check()
        card.get_by_label("To the victim").check()
        card.get_by_label("Court support").check()
        card.get_by_label("Summary").fill("Pre-trial visit to the court.")
        card.get_by_role("button", name="Log contact").click()
        page.wait_for_url(re.compile(rf".*/cases/{case.pk}/#advocacy-card$"))
        assert "Contact logged" in page.inner_text("main")
        assert ContactLogEntry.objects.get(case=case).channel == "in_person"
    finally:
        context.close()
