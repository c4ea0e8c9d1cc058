"""In a real browser: a triage officer completes a DASH with the stalking item yes; the S-DASH
opens, the score bands high and the MARAC flag shows with its reason."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.contrib.contenttypes.models import ContentType

from cases.models import Case
from cases.permissions import view_case_permission_id
from risk.models import Assessment
from risk.services import instruments_ensure_shipped
from tests.case_factories import make_case
from tests.conftest import sign_in
from tests.factories import PASSWORD, World

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


def _answer_all(page: Any, value: str) -> None:
    for radio in page.locator(f"input[type=radio][value={value}]").all():
        radio.check()


def _continue(page: Any) -> None:
    with page.expect_navigation():
        page.get_by_role("button", name="Save and continue").click()


def test_a_dash_with_stalking_opens_the_sdash_bands_high_and_flags_marac(page: Any) -> None:
    # A transactional test starts from a database emptied and refilled by the tests before
    # it: permissions and content types come back with new ids, and the shipped instruments
    # (seeded by a data migration) do not come back at all.
    view_case_permission_id.cache_clear()
    ContentType.objects.clear_cache()
    instruments_ensure_shipped()
    world = World("Journey Partnership")
    case = make_case(world.triage_officer)

    sign_in(page, world.triage_officer.email, PASSWORD)
    page.wait_for_url(re.compile(r".*/$"))
    page.goto(f"/cases/{case.pk}/")
    page.get_by_test_id("case-nav").get_by_role("link", name="Risk").click()
    page.wait_for_url(f"**/risk/cases/{case.pk}/")
    page.get_by_test_id("risk-summary-dash").get_by_role("link", name="Start DASH").click()
    page.get_by_role("button", name="Start now").click()

    # The date of the assessment is today's unless changed.
    page.wait_for_url(re.compile(r".*/pages/about/$"))
    _continue(page)

    assert page.get_by_role("heading", level=1).inner_text() == "The current situation"
    _answer_all(page, "yes")
    # Answers are saved as a draft as they change (htmx); the page still submits without JavaScript.
    page.get_by_test_id("autosave-status").filter(has_text="Draft saved at").wait_for()
    _continue(page)
    assert page.get_by_role("heading", level=1).inner_text() == "Separation, child contact and pregnancy"
    _answer_all(page, "yes")
    _continue(page)

    # The stalking item, with the keyboard alone: Space chooses the radio, Tab reaches the button.
    assert page.get_by_role("heading", level=1).inner_text() == "Stalking and harassment"
    page.locator("#id_stalking_0").focus()
    page.keyboard.press("Space")
    page.keyboard.press("Tab")
    with page.expect_navigation():
        page.keyboard.press("Enter")

    # Yes to stalking opens the S-DASH.
    assert page.get_by_role("heading", level=1).inner_text() == "Stalking: the S-DASH questions"
    assert page.locator("input[type=radio][value=yes]").count() == 11
    _answer_all(page, "no")
    for key in ("sdash_turning_up", "sdash_following", "sdash_threats_violence"):
        page.check(f"input[name={key}][value=yes]")
    _continue(page)

    for title, value in (
        ("The pattern of abuse", "yes"),
        ("Violence and threats", "yes"),
        ("Other people and animals", "no"),
        ("The abuser's circumstances", "no"),
        ("Children and dependants", "not_known"),
    ):
        assert page.get_by_role("heading", level=1).inner_text() == title
        _answer_all(page, value)
        _continue(page)

    # 5 + 3 + 1 (stalking) + 3 + 4 = 16 yes answers: high.
    assert page.get_by_role("heading", level=1).inner_text() == "Result and professional judgement"
    preview = page.get_by_test_id("result-preview").inner_text()
    assert "Score: 16 yes answers, high." in preview
    assert "Stalking: the S-DASH questions: 3 yes of 11." in preview
    # High is the top band: there is nothing for judgement to raise it to.
    assert page.locator("input[name=judgement_level]").count() == 0
    assert "the highest level" in page.get_by_test_id("result-preview").inner_text()
    _continue(page)

    assert "Check your answers" in page.get_by_role("heading", level=1).inner_text()
    assert "16 yes answers" in page.get_by_test_id("check-result").inner_text()
    page.get_by_role("button", name="Complete the DASH").click()
    page.wait_for_url(re.compile(r".*/completed/$"))

    panel = page.get_by_test_id("confirmation").inner_text()
    assert "DASH completed" in panel and "Score 16" in panel and "High risk" in panel
    flag = page.get_by_test_id("marac-flag").inner_text()
    assert "MARAC referral criteria met" in flag
    assert "Visible high risk: DASH score 16: at or above the MARAC threshold of 14" in flag

    dash = Assessment.objects.get(case=case, instrument__key="dash")
    assert (dash.status, dash.score, dash.band, dash.marac_met, dash.subscores) == (
        "completed",
        16,
        "high",
        True,
        {"sdash": 3},
    )
    assert Case.objects.get(pk=case.pk).current_risk == "high"

    # The risk section shows the flag and draws the history chart beside its table.
    page.get_by_role("link", name="Back to the case's risk").click()
    page.wait_for_url(f"**/risk/cases/{case.pk}/")
    assert "Visible high risk" in page.get_by_test_id("marac-flag").inner_text()
    page.locator("#risk-history-chart").wait_for(state="visible")
    assert "DASH" in page.get_by_test_id("risk-history-table").inner_text()
