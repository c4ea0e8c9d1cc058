"""In a real browser: a referral with a known perpetrator, linked, reaches the advocate;
the perpetrator-side agencies never see the victim's address."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest

from cases.models import Case, CaseParty, PartyRole, Person
from tests.case_factories import make_case
from tests.conftest import sign_in
from tests.factories import PASSWORD, World

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]

NEW_VICTIM_ADDRESS = "27 Willowbrook Road"
NEW_VICTIM_POSTCODE = "CH2 7LP"
NEW_VICTIM_PHONE = "07700 900456"
NEW_CODE_WORD = "kingfisher"


def _fill_date(page: Any, name: str, day: dt.date) -> None:
    page.fill(f"input[name={name}_day]", str(day.day))
    page.fill(f"input[name={name}_month]", str(day.month))
    page.fill(f"input[name={name}_year]", str(day.year))


def test_referral_with_known_perpetrator_reaches_the_advocate_and_not_the_address(
    browser: Any, live_server: Any
) -> None:
    world = World("Browser Partnership")
    earlier = make_case(world.triage_officer, perpetrator_name=("Darren", "Cole"), perpetrator_pnc="19/123456A")
    known = CaseParty.objects.get(case=earlier, role=PartyRole.PERPETRATOR).person
    people_before = Person.objects.count()

    context = browser.new_context(base_url=live_server.url)
    page = context.new_page()
    page.set_default_timeout(15_000)
    sign_in(page, world.triage_officer.email, PASSWORD)
    page.wait_for_url(re.compile(r".*/$"))
    page.get_by_role("link", name="Record a referral").first.click()
    page.wait_for_url("**/cases/new/")

    _fill_date(page, "received_on", dt.date.today() - dt.timedelta(days=1))
    page.check("input[name=referring_agency_kind][value=police]")
    page.fill("textarea[name=crime_references]", "CH/77777/26")
    page.check("input[name=offence][value=s4a_stalking]")
    assert "008/65" in page.content()
    page.select_option("select[name=referral_reason]", "arrest")
    page.select_option("select[name=relationship]", "ex_intimate")
    page.fill("input[name=victim-given_name]", "Leanne")
    page.fill("input[name=victim-family_name]", "Porter")
    _fill_date(page, "victim-date_of_birth", dt.date(1992, 2, 14))
    page.fill("input[name=victim-address_line_1]", NEW_VICTIM_ADDRESS)
    page.fill("input[name=victim-town]", "Chester")
    page.fill("input[name=victim-postcode]", NEW_VICTIM_POSTCODE)
    page.fill("input[name=victim-phone]", NEW_VICTIM_PHONE)
    page.fill("input[name=victim-code_word]", NEW_CODE_WORD)
    page.fill("input[name=perpetrator-given_name]", "Darren")
    page.fill("input[name=perpetrator-family_name]", "Cole")
    page.fill("input[name=perpetrator-pnc_id]", "19/123456A")
    page.locator("button[name=check][value=perpetrator]").click()

    candidates = page.get_by_test_id("perpetrator-candidates")
    candidates.wait_for()
    assert "PNC ID" in candidates.inner_text()
    # The one candidate's radio carries a signed offer, not the person's id.
    offered = page.locator("input[name=perpetrator-link]:not([value=new])")
    assert offered.count() == 1 and offered.get_attribute("value") != str(known.pk)
    offered.check()
    if page.locator("input[name=victim-link][value=new]").count():
        page.check("input[name=victim-link][value=new]")
    page.get_by_role("button", name="Record referral").click()
    page.wait_for_url(re.compile(r".*/cases/\d+/$"))

    case = Case.objects.exclude(pk=earlier.pk).get(partnership=world.partnership)
    linked = CaseParty.objects.get(case=case, role=PartyRole.PERPETRATOR).person
    assert linked.pk == known.pk, "the perpetrator was linked, not duplicated"
    assert Person.objects.count() == people_before + 1, "only the new victim was created"
    context.close()

    # The advocate sees the case on her caseload and the victim's address on it.
    advocate = browser.new_context(base_url=live_server.url).new_page()
    sign_in(advocate, world.advocate.email, PASSWORD)
    advocate.wait_for_url(re.compile(r".*/$"))
    advocate.goto("/cases/")
    advocate.get_by_role("link", name=case.reference).click()
    advocate.wait_for_url(f"**/cases/{case.pk}/")
    assert NEW_VICTIM_ADDRESS in advocate.content()
    assert NEW_CODE_WORD in advocate.content()
    advocate.context.close()

    # Probation and health see the case, never the victim's location.
    victim = CaseParty.objects.get(case=case, role=PartyRole.VICTIM).person
    for user in (world.probation_practitioner, world.clinician):
        other = browser.new_context(base_url=live_server.url).new_page()
        sign_in(other, user.email, PASSWORD)
        other.wait_for_url(re.compile(r".*/$"))
        other.goto("/cases/")
        assert case.reference in other.content()
        for url in (f"/cases/{case.pk}/", f"/people/{victim.pk}/", f"/api/v1/cases/{case.pk}/"):
            response = other.goto(url)
            body = other.content()
            for secret in (NEW_VICTIM_ADDRESS, NEW_VICTIM_POSTCODE, NEW_VICTIM_PHONE, NEW_CODE_WORD):
                assert secret not in body, (
                    f"{secret!r} shown to {user.role} at {url} ({response.status if response else '?'})"
                )
        other.context.close()
