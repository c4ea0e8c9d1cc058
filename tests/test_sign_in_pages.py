"""Sign-in, sign-up (closed) and MFA pages in the GOV.UK patterns."""

from __future__ import annotations

import pytest
from django.test import Client

from masip.templatetags.govuk import sentence_case
from tests.factories import PASSWORD, World

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("Sign In", "Sign in"),
        ("Sign Up Closed", "Sign up closed"),
        ("Two-Factor Authentication", "Two-factor authentication"),
        ("Activate TOTP", "Activate TOTP"),
        ("Sign in", "Sign in"),
    ],
)
def test_titles_are_in_sentence_case(title: str, expected: str) -> None:
    assert sentence_case(title) == expected


def test_the_sign_in_page_offers_no_dead_end_sign_up(db: None) -> None:
    html = Client().get("/accounts/login/").content.decode()
    assert '<h1 class="govuk-heading-l">Sign in</h1>' in html
    assert "/accounts/signup/" not in html
    assert "ask your partnership admin" in html


def test_sign_up_says_accounts_come_by_invitation(db: None) -> None:
    html = Client().get("/accounts/signup/").content.decode()
    assert "You cannot create an account here" in html and "Sign Up Closed" not in html


def test_a_wrong_password_gets_the_error_summary(world: World) -> None:
    response = Client().post("/accounts/login/", {"login": world.advocate.email, "password": "not-it"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "govuk-error-summary" in html and "There is a problem" in html


def test_a_bad_authenticator_code_gets_the_error_summary_linking_to_the_field(world: World) -> None:
    client = Client()
    client.force_login(world.advocate)
    # Setting up an authenticator asks for the password again first.
    client.post("/accounts/reauthenticate/", {"password": PASSWORD})
    response = client.post("/accounts/2fa/totp/activate/", {"code": "000000"})
    html = response.content.decode()
    assert response.status_code == 200
    summary = html[
        html.index("govuk-error-summary__list") : html.index("</ul>", html.index("govuk-error-summary__list"))
    ]
    assert 'href="#id_code"' in summary
