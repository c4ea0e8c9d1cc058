"""In a real browser: a triage officer builds an agenda of three cases, runs the meeting, accepts two
(tiers 2 and 3) and declines one as not stalking, without a page reload; the owners see their actions."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from cases.models import Case, CaseStatus, Decision
from tests.conftest import sign_in
from tests.factories import PASSWORD, World
from tests.triage_factories import waiting_case
from triage.models import Action, Meeting

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


def _decide(section: Any, outcome: str, *, tier: str = "", decline_reason: str = "", reason: str = "") -> None:
    form = section.get_by_test_id("decision-form")
    form.get_by_role("group", name="Does the conduct amount to stalking?").get_by_label(
        "No" if outcome == "Declined" else "Yes", exact=True
    ).check()
    form.get_by_role("group", name="Outcome").get_by_label(outcome, exact=True).check()
    if tier:
        form.get_by_role("group", name="Tier").get_by_label(tier, exact=True).check()
    if decline_reason:
        form.get_by_role("group", name="Why is it declined?").get_by_label(decline_reason, exact=True).check()
    if reason:
        form.get_by_label("Reason").fill(reason)
    form.get_by_role("button", name=re.compile("Record the decision")).click()


def _add_action(section: Any, owner_id: int, description: str, due: dt.date) -> None:
    section.get_by_label("Action", exact=True).fill(description)
    section.get_by_label("Owner").select_option(str(owner_id))
    section.get_by_label("Day").fill(str(due.day))
    section.get_by_label("Month").fill(str(due.month))
    section.get_by_label("Year").fill(str(due.year))
    section.get_by_role("button", name=re.compile("^Add action")).click()


def test_a_triage_officer_runs_a_meeting_and_the_owners_see_their_actions(browser: Any, live_server: Any) -> None:
    world = World("Triage Journey Partnership")
    first = waiting_case(world, victim_name=("Nadia", "Brook"), perpetrator_name=("Keith", "Arden"))
    second = waiting_case(world, victim_name=("Olga", "Fenn"), perpetrator_name=("Liam", "Stroud"))
    third = waiting_case(world, victim_name=("Petra", "Lowe"), perpetrator_name=("Mark", "Dunne"))
    due = timezone.localdate() + dt.timedelta(days=7)

    context = browser.new_context(base_url=live_server.url)
    page = context.new_page()
    page.set_default_timeout(15_000)
    sign_in(page, world.triage_officer.email, PASSWORD)
    page.wait_for_url(re.compile(r".*/$"))

    # Schedule this morning's meeting (date, time and chair come filled in).
    page.get_by_role("link", name="Meetings").first.click()
    page.get_by_role("button", name="Schedule a meeting").click()
    page.get_by_label("Triage meeting").check()
    page.get_by_role("button", name="Schedule meeting").click()
    page.wait_for_url(re.compile(r".*/triage/meetings/\d+/$"))
    meeting = Meeting.objects.get(partnership=world.partnership)

    # From here on, every change is an in-page update: a marker on the window would not survive a reload.
    page.evaluate("window.__sameDocument = true")

    # Build the agenda from the three proposals, then put the third case first.
    proposals = page.get_by_test_id("proposals")
    for case in (first, second, third):
        proposals.get_by_label(f"Add case {case.reference}").check()
    page.get_by_role("button", name="Add to the agenda").click()
    expect(page.get_by_text("3 cases added to the agenda")).to_be_visible()
    rows = page.get_by_test_id("agenda-row")
    expect(rows).to_have_count(3)
    page.get_by_role("button", name=re.compile(f"move case {third.reference} up")).click()
    expect(page.get_by_text(f"Case {third.reference} moved up")).to_be_visible()
    page.get_by_role("button", name=re.compile(f"move case {third.reference} up")).click()
    expect(rows.first).to_have_attribute("data-case", third.reference)
    assert page.evaluate("window.__sameDocument === true")

    # Run the meeting: one page, every case decided in place.
    page.get_by_role("link", name="Run the meeting").first.click()
    page.wait_for_url(f"**/triage/meetings/{meeting.pk}/run/")
    page.evaluate("window.__sameDocument = true")
    items = page.get_by_test_id("agenda-item")
    expect(items).to_have_count(3)
    expect(items.first).to_have_attribute("data-case", third.reference)

    one = page.locator(f"[data-testid=agenda-item][data-case='{first.reference}']")
    _decide(one, "Accepted", tier="2")
    expect(one.get_by_test_id("decision-tag")).to_have_text("Accepted")
    expect(one.get_by_test_id("case-tier")).to_contain_text("Tier 2")
    _add_action(one, world.advocate.pk, "Contact the victim and agree a safety plan", due)
    expect(one.get_by_test_id("actions")).to_contain_text("Contact the victim and agree a safety plan")

    two = page.locator(f"[data-testid=agenda-item][data-case='{second.reference}']")
    _decide(two, "Accepted", tier="3")
    expect(two.get_by_test_id("decision-tag")).to_have_text("Accepted")
    _add_action(two, world.probation_practitioner.pk, "Check licence conditions", due)
    expect(two.get_by_test_id("actions")).to_contain_text("Check licence conditions")

    three = page.locator(f"[data-testid=agenda-item][data-case='{third.reference}']")
    _decide(three, "Declined", decline_reason="Not stalking", reason="One argument between neighbours.")
    expect(three.get_by_test_id("decision-tag")).to_have_text("Declined")
    expect(page.get_by_test_id("meeting-progress")).to_have_text("3 of 3 cases decided")
    expect(page.get_by_test_id("meeting-status")).to_have_text("In progress")
    assert page.evaluate("window.__sameDocument === true"), "the meeting page reloaded"

    page.get_by_role("button", name="Conclude the meeting").click()
    page.wait_for_url(f"**/triage/meetings/{meeting.pk}/minutes/")
    expect(page.get_by_test_id("minutes-case")).to_have_count(3)
    context.close()

    cases = {c.pk: c for c in Case.objects.filter(pk__in=[first.pk, second.pk, third.pk])}
    assert (cases[first.pk].status, cases[first.pk].tier) == (CaseStatus.ACCEPTED, 2)
    assert (cases[second.pk].status, cases[second.pk].tier) == (CaseStatus.ACCEPTED, 3)
    assert (cases[third.pk].status, cases[third.pk].decision) == (CaseStatus.DECLINED, Decision.NOT_STALKING)
    assert cases[third.pk].decision_reason == "One argument between neighbours."

    # The owners see their actions, and only theirs.
    for owner, mine, not_mine, case in (
        (world.advocate, "Contact the victim and agree a safety plan", "Check licence conditions", first),
        (world.probation_practitioner, "Check licence conditions", "Contact the victim", second),
    ):
        context = browser.new_context(base_url=live_server.url)
        page = context.new_page()
        page.set_default_timeout(15_000)
        sign_in(page, owner.email, PASSWORD)
        page.wait_for_url(re.compile(r".*/$"))
        page.get_by_role("link", name="My actions").first.click()
        listing = page.get_by_test_id("action-list")
        expect(listing).to_contain_text(mine)
        expect(listing).to_contain_text(case.reference)
        expect(listing).not_to_contain_text(not_mine)
        page.get_by_role("link", name=mine).click()
        expect(page.get_by_test_id("action")).to_contain_text(due.strftime("%-d %B %Y"))
        context.close()
    assert Action.objects.filter(case=first, owner=world.advocate).count() == 1
