"""In a real browser: a programme manager builds a case's cost account from the time recorded
on it, adds what the victim paid and a best case from the catalogue, reads the ratios, and
finishes the account."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.contrib.contenttypes.models import ContentType

from cases.permissions import view_case_permission_id
from costs.models import AccountStatus, CostAccount
from tests.case_factories import make_case
from tests.conftest import sign_in
from tests.cost_factories import Time, catalogue_shipped, rate_card, record_time
from tests.factories import PASSWORD, World

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


def test_a_manager_builds_a_case_account_and_reads_its_ratios(page: Any) -> None:
    view_case_permission_id.cache_clear()
    ContentType.objects.clear_cache()
    catalogue_shipped()
    world = World("Costs Browser Partnership")
    rate_card(world.programme_manager)  # £151.13 per referral; the clinician at £40.714 an hour
    case = make_case(world.triage_officer, received_on=dt.date(2018, 9, 3))
    # 10 hours of the clinician's referral work: £407.14.
    record_time(world, case, [Time("referral", "referral", 600, staff=world.clinician)])

    sign_in(page, world.programme_manager.email, PASSWORD)
    page.wait_for_url(re.compile(r".*/$"))
    page.get_by_role("link", name="Costs").first.click()
    page.get_by_label("Case number").fill(case.reference)
    page.get_by_role("button", name="Open the account").click()
    page.wait_for_url(re.compile(rf".*/costs/cases/{case.pk}/$"))
    assert page.get_by_test_id("total-state").inner_text() == "£558.27"  # 151.13 + 407.14

    # What the victim paid: moving house, from the catalogue.
    page.get_by_label("Category").select_option(label="In/direct costs to the victim")
    page.locator("#id_line-bearer_1").check()
    page.get_by_label("From the catalogue", exact=True).select_option(label="Moving house")
    page.get_by_role("button", name="Add the cost").click()
    assert page.get_by_test_id("total-victim").inner_text() == "£8,855.00"

    # The best case: violence with injury, to the state and to the victim.
    for label in (
        "Violence with injury: costs to the state",
        "Violence with injury: physical and emotional harm to the victim",
    ):
        page.get_by_label("Cost avoided", exact=True).select_option(label=label)
        page.get_by_role("button", name="Add to the scenario").click()
    # £20,179.26 ÷ £558.27 and £56,652.32 ÷ £8,855.00
    assert page.get_by_test_id("best-state-ratio").inner_text() == "36.1"
    assert page.get_by_test_id("best-victim-ratio").inner_text() == "6.4"

    page.get_by_role("button", name="Finish the account").click()
    assert page.get_by_test_id("account-status").inner_text() == "Finished"
    assert CostAccount.objects.get(case=case).status == AccountStatus.FINISHED
    assert page.get_by_test_id("best-state-ratio").inner_text() == "36.1"
