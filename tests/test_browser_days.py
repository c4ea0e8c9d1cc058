"""In a real browser, one journey of each role's day on the demo partnership (issue: the
caseworker's day), with axe-core run on every page state the journey reaches: 0 violations.

Every click (a link followed or a button pressed) goes through ``Day.click``, which counts it;
typing into a field or choosing a radio option is not counted. The counts are the "clicks per
journey" of docs/home-and-search.md, and each journey asserts its own so a change that adds a
click shows here. One browser and one demo load for the six journeys: the demo takes most of
the time, and each journey starts from its role's home page as a member of staff's day does.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import time
from collections.abc import Callable
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import expect

from advocacy.models import ContactLogEntry as Contact
from advocacy.models import VictimNotice
from agencies.demo import DEMO_PASSWORD
from audit.models import AccessAction, AccessLog
from cases.models import Case, CaseParty, PartyRole
from interventions.models import Appointment, SessionConcern
from tests.conftest import ROOT, sign_in
from tests.test_browser_layout import AXE_RUN, AXE_TAGS, _context
from tests.test_browser_triage import _decide
from triage.models import Meeting

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]

# The clicks of each journey (docs/home-and-search.md, "Clicks per journey").
CLICKS = {
    "advocate": 8,
    "police triage officer": 10,
    "clinician": 6,
    "probation practitioner": 2,
    "programme manager": 3,
    "partnership admin": 3,
}


class Day:
    """One role's journey: counts the clicks and runs axe-core on every page state reached."""

    def __init__(self, browser: Any, base_url: str, axe_source: str, who: str, email: str) -> None:
        self.who = who
        self.context = _context(browser, base_url, axe_source)
        self.page = self.context.new_page()
        self.page.set_default_timeout(20_000)
        self.clicks = 0
        self.pages: list[str] = []
        self.problems: list[str] = []
        sign_in(self.page, email, DEMO_PASSWORD)
        self.page.wait_for_url(f"{base_url}/")
        self.check()  # the home page: where every day starts

    def check(self) -> None:
        self.page.wait_for_load_state()
        where = self.page.url.split("://", 1)[-1].split("/", 1)[-1]
        self.pages.append(f"/{where}")
        self.problems.extend(f"{self.who} /{where}: {v}" for v in self.page.evaluate(AXE_RUN, AXE_TAGS))

    def click(self, target: Any, *, then: Callable[[], None] | None = None) -> None:
        """Click a link or button; ``then`` waits for what the click changes in place (HTMX)."""
        self.clicks += 1
        target.click()
        if then is not None:
            then()
        self.check()

    def link(self, name: str | re.Pattern[str], *, within: Any = None) -> None:
        self.click((within or self.page).get_by_role("link", name=name).first)

    def button(
        self, name: str | re.Pattern[str], *, within: Any = None, then: Callable[[], None] | None = None
    ) -> None:
        self.click((within or self.page).get_by_role("button", name=name).first, then=then)

    def close(self) -> None:
        self.context.close()


def _date(page: Any, group: str, day: dt.date) -> None:
    fields = page.get_by_role("group", name=group)
    fields.get_by_label("Day").fill(str(day.day))
    fields.get_by_label("Month").fill(str(day.month))
    fields.get_by_label("Year").fill(str(day.year))


def _a_minute_ago() -> dt.datetime:
    return timezone.localtime() - dt.timedelta(minutes=1)


def _safe_method(page: Any, group: str) -> str:
    """Choose the first way the victim agreed as safe; the label of the choice."""
    options = page.get_by_role("group", name=group).locator(".govuk-radios__item")
    for n in range(options.count()):
        label = options.nth(n).locator("label").inner_text().strip()
        if "not agreed as safe" not in label:
            options.nth(n).locator("input").check()
            return label
    raise AssertionError(f"{group}: no way agreed as safe")


# --- the journeys --------------------------------------------------------------------------------------------


def advocate_day(day: Day) -> None:
    """From the home page to the oldest overdue contact, logged by a safe way; then a key event
    she is told of (which logs the contact in the same step)."""
    page = day.page
    contacts_before = Contact.objects.count()
    day.link("Contacts overdue")
    expect(page.get_by_role("heading", name="Contacts overdue")).to_be_visible()
    row = page.get_by_test_id("today-rows").locator("tbody tr").first
    reference = row.locator("td").first.inner_text().strip()
    day.link(re.compile("^Contact the victim"), within=row)
    day.link("Log a contact")
    # A minute ago, not a fixed time of day: 9.30am today is in the future until it comes, and
    # the day failed from midnight to half past nine.
    moment = _a_minute_ago()
    _date(page, "Date of the contact", moment.date())
    page.get_by_label("Time of the contact").fill(moment.strftime("%H:%M"))
    method = _safe_method(page, "How")
    page.get_by_role("group", name="Who made the contact").get_by_label("To the victim").check()
    page.get_by_role("group", name="Topics").get_by_label("Safety planning").check()
    page.get_by_label("Summary").fill("Checked in; she has the police reference and knows who to call.")
    day.button("Log contact")
    # The success banner of the page it redirects to: the form itself has a "Summary" label,
    # which a looser wait found before the post was answered (the count below then ran early).
    banner = page.locator(".govuk-notification-banner--success")
    expect(banner.get_by_text("Contact logged", exact=True)).to_be_visible()
    contact = Contact.objects.order_by("-pk").first()
    assert contact is not None and Contact.objects.count() == contacts_before + 1
    assert contact.case.reference == reference and contact.get_channel_display() == method
    assert not contact.unsafe_method_reason

    # Back to what to do next: a key event to tell her of.
    day.link("MASIP case management")
    day.link("Key events not yet told")
    row = page.get_by_test_id("today-rows").locator("tbody tr").first
    day.link(re.compile("^Tell the victim"), within=row)
    notice_id = int(re.search(r"/notices/(\d+)/", page.url).group(1))  # type: ignore[union-attr]
    moment = _a_minute_ago()
    _date(page, "Date the victim was told", moment.date())
    page.get_by_label("Time the victim was told").fill(moment.strftime("%H:%M"))
    _safe_method(page, "How was the victim told?")
    page.get_by_label("Note").fill("Told her of it; agreed to update the safety plan this week.")
    day.button("Record that the victim was told")
    expect(page.get_by_text("Recorded: the victim has been told, and the contact logged")).to_be_visible()
    notice = VictimNotice.objects.get(pk=notice_id)
    assert notice.told_at is not None and notice.told_contact_id is not None


def police_day(day: Day) -> None:
    """A case found by its reference; the perpetrator's earlier case opened from the banner; this
    morning's triage meeting run, one case decided and the meeting concluded with the other
    left undecided (asked to confirm first)."""
    page = day.page
    repeat = _repeat_perpetrator_case()
    page.get_by_label("Search cases").fill(str(repeat.pk))  # "37" finds MASIP-000037
    day.button("Search")
    expect(page.get_by_text(re.compile(rf"1 case found for .{repeat.pk}."))).to_be_visible()
    day.link(repeat.reference)
    banner = page.get_by_test_id("repeat-perpetrator")
    expect(banner).to_contain_text("Repeat perpetrator")
    earlier = banner.get_by_role("link").first
    earlier_reference = earlier.inner_text().strip()
    day.click(earlier)
    expect(page.get_by_role("heading", name=re.compile(earlier_reference))).to_be_visible()

    meeting = Meeting.objects.get(status="planned", kind="triage")
    items = list(meeting.items.select_related("case").order_by("position"))
    first, second = items[0].case, items[1].case
    day.link("Meetings")
    day.link(re.compile(r"^Triage meeting, .*"))
    day.link("Run the meeting")
    day.button(
        "Start the meeting", then=lambda: expect(page.get_by_test_id("meeting-status")).to_have_text("In progress")
    )
    item = page.locator(f"[data-testid=agenda-item][data-case='{first.reference}']")
    day.clicks += 1  # _decide presses "Record the decision" once
    _decide(item, "Accepted", tier="2")
    expect(item.get_by_test_id("decision-tag")).to_have_text("Accepted")
    day.check()
    day.button("Conclude the meeting")
    expect(page.get_by_test_id("undecided")).to_have_text(second.reference)
    day.button("Conclude the meeting")
    page.wait_for_url(f"**/triage/meetings/{meeting.pk}/minutes/")
    meeting.refresh_from_db()
    assert meeting.status == "concluded"
    assert Case.objects.get(pk=first.pk).tier == 2


def _repeat_perpetrator_case() -> Case:
    """The newest demo case whose perpetrator is the perpetrator of an earlier case."""
    perpetrators = CaseParty.objects.filter(role=PartyRole.PERPETRATOR)
    for party in perpetrators.select_related("case").order_by("-case__received_on"):
        if perpetrators.filter(person_id=party.person_id).exclude(case_id=party.case_id).exists():
            return party.case
    raise AssertionError("the demo has no repeat perpetrator")


def clinician_day(day: Day) -> None:
    """Feedback for the session waiting for it, from the inbox link; then the rest of the course
    booked at once (weekly, a date skipped), previewed first."""
    page = day.page
    day.link("Sessions missing feedback")
    day.link(re.compile("^Record feedback"))
    appointment_id = int(re.search(r"/appointments/(\d+)/feedback/", page.url).group(1))  # type: ignore[union-attr]
    page.get_by_role("group", name="Did the person attend?").get_by_label("Attended", exact=True).check()
    page.get_by_role("group", name="Did the session happen?").get_by_label("Yes").check()
    page.get_by_label("Session summary for probation").fill("Worked on the urge to check on her; kept to the plan.")
    page.get_by_role("group", name=re.compile("concern you")).get_by_label("No").check()
    day.button("Save feedback")
    assert Appointment.objects.get(pk=appointment_id).feedback_at is not None

    # Saved, the intervention's page: its sessions, and the course still to book.
    day.link("Book a course of sessions")
    start = timezone.localdate() + dt.timedelta(days=21)
    _date(page, "Date of the first session", start)
    page.get_by_label("Start time").fill("2:30pm")
    page.get_by_role("group", name="How often").get_by_label("Weekly").check()
    page.get_by_label("Number of sessions to book").fill("3")
    skipped = start + dt.timedelta(days=7)
    page.get_by_label("Dates to skip (optional)").fill(skipped.strftime("%d/%m/%Y"))
    page.get_by_label("Duration in minutes").fill("60")
    page.get_by_role("group", name="How is the session held?").get_by_label("In person").check()
    day.button("Preview the sessions")
    expect(page.get_by_test_id("course-preview")).to_be_visible()
    day.button("Book 3 sessions")
    booked = Appointment.objects.filter(starts_at__date__gte=start).values_list("starts_at", flat=True)
    days = sorted(timezone.localtime(s).date() for s in booked)
    assert days == [start, start + dt.timedelta(days=14), start + dt.timedelta(days=21)]


def probation_day(day: Day) -> None:
    """The concern a clinician raised, acknowledged from the home page with what was done."""
    page = day.page
    day.link("Concerns not acknowledged")
    concern = page.get_by_test_id("concern").first
    concern.get_by_label("What was done about it (optional)").fill("Warning given at supervision; police told.")
    day.button(
        re.compile("^Acknowledge"),
        within=concern,
        then=lambda: expect(page.get_by_text("Concern acknowledged")).to_be_visible(),
    )
    done = SessionConcern.objects.get(acknowledged_at__isnull=False)
    assert done.action_taken == "Warning given at supervision; police told."


def manager_day(day: Day) -> None:
    """The programme dashboard, then last quarter's return previewed."""
    page = day.page
    day.link("Reporting")
    expect(page.get_by_role("heading", level=1)).to_contain_text("dashboard", ignore_case=True)
    day.link("Quarterly returns")
    page.get_by_label("Quarter").select_option(index=1)
    day.button("Preview the return")
    expect(page.get_by_role("heading", level=1)).to_be_visible()


def admin_day(day: Day) -> None:
    """Who looked at a case: the partnership's access log filtered by the case reference."""
    page = day.page
    day.link("Administration")
    day.link("Access log")
    case = Case.objects.order_by("pk").first()
    assert case is not None
    page.get_by_label("Case reference").fill(case.reference)
    day.button("Apply filters")
    rows = page.locator("main table tbody tr")
    expect(rows.first).to_be_visible()
    assert AccessLog.objects.filter(action=AccessAction.VIEW, record_type="cases.case").exists()


JOURNEYS: list[tuple[str, str, Callable[[Day], None]]] = [
    ("advocate", "advocate@demo.masip.test", advocate_day),
    ("police triage officer", "triage@demo.masip.test", police_day),
    ("clinician", "clinician@demo.masip.test", clinician_day),
    ("probation practitioner", "probation@demo.masip.test", probation_day),
    ("programme manager", "manager@demo.masip.test", manager_day),
    ("partnership admin", "admin@demo.masip.test", admin_day),
]


def test_each_roles_day_in_the_browser_with_axe_on_every_page(browser: Any, live_server: Any, settings: Any) -> None:
    settings.MASIP_DEMO_DATA_ALLOWED = True
    started = time.monotonic()
    call_command("seed_demo", stdout=io.StringIO())
    seeded = time.monotonic()
    axe_source = (ROOT / "node_modules" / "axe-core" / "axe.min.js").read_text()
    problems: list[str] = []
    clicks: dict[str, int] = {}
    for who, email, journey in JOURNEYS:
        day = Day(browser, live_server.url, axe_source, who, email)
        try:
            journey(day)
        except Exception as exc:  # one broken journey must not hide the others
            problems.append(f"{who}: failed at {day.pages[-1]} after {day.clicks} clicks: {exc}")
        finally:
            day.close()
        clicks[who] = day.clicks
        problems += day.problems
        print(f"{who}: {day.clicks} clicks, {len(day.pages)} page states: {' -> '.join(day.pages)}")
    print(f"demo {seeded - started:.0f}s, journeys {time.monotonic() - seeded:.0f}s")
    assert not problems, "\n".join(problems)
    assert clicks == CLICKS
