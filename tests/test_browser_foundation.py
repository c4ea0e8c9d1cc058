"""In a real browser: the demo advocate signs in and sees who she is."""

from __future__ import annotations

from typing import Any

import pytest

from agencies.demo import DEMO_PASSWORD, load_demo
from tests.conftest import sign_in

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


def test_demo_advocate_signs_in_and_sees_the_home_page(page: Any) -> None:
    load_demo()
    sign_in(page, "advocate@demo.masip.test", DEMO_PASSWORD)
    page.wait_for_url("**/")
    who = page.get_by_test_id("who-you-are")
    assert "Demo Partnership" in who.inner_text()
    assert "Demo Victim Advocacy Service" in who.inner_text()
    assert "Victim advocate" in who.inner_text()
    assert "Amy Okafor" in page.get_by_test_id("signed-in-as").inner_text()
    # The compiled GOV.UK stylesheet applied, and GOV.UK Frontend's script marked the body.
    assert page.evaluate("getComputedStyle(document.querySelector('.govuk-heading-xl')).fontWeight") == "700"
    assert page.evaluate("document.body.classList.contains('govuk-frontend-supported')")
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/accounts/login/**")


def test_wrong_password_shows_an_error_and_no_session(page: Any) -> None:
    load_demo()
    sign_in(page, "advocate@demo.masip.test", "not-the-password")
    assert "/accounts/login/" in page.url
    assert page.locator(".govuk-error-summary, .govuk-error-message").count() >= 1
