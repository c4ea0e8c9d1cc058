"""The service's own pages for refusals and errors, with DEBUG off and on (the demo)."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from tests.case_factories import make_case
from tests.factories import World

pytestmark = pytest.mark.django_db

NOT_FOUND = "Page not found"
ASK_ADMIN = "ask your partnership admin"


@pytest.fixture(params=[False, True], ids=["debug-off", "debug-on"])
def debug(request: Any, settings: Any) -> bool:
    settings.DEBUG = request.param
    settings.ROOT_URLCONF = "tests.error_urls"
    return bool(request.param)


def _client(user: Any = None) -> Client:
    client = Client(raise_request_exception=False)
    if user is not None:
        client.force_login(user)
    return client


def test_a_case_outside_scope_and_a_case_never_recorded_get_the_same_page(
    world: World, other_world: World, debug: bool
) -> None:
    case = make_case(world.triage_officer)
    client = _client(other_world.triage_officer)
    outside = client.get(f"/cases/{case.pk}/")
    missing = client.get("/cases/987654321/")
    assert outside.status_code == missing.status_code == 404
    for response in (outside, missing):
        text = response.content.decode()
        assert NOT_FOUND in text and ASK_ADMIN in text
        assert case.reference not in text
        # The service's layout: the header with the user's own navigation.
        assert 'class="govuk-service-navigation"' in text
        assert "no-store" in response["Cache-Control"]
    # Nothing else tells the two apart: the pages differ only in the per-request CSRF token.
    assert len(outside.content) == len(missing.content)


def test_an_address_that_matches_nothing_gets_the_service_page_not_djangos(world: World, debug: bool) -> None:
    response = _client(world.advocate).get("/no-such-page/")
    text = response.content.decode()
    assert response.status_code == 404
    assert NOT_FOUND in text and "Using the URLconf" not in text
    if not debug:  # django-csp leaves the header off 404s under DEBUG, for the technical page
        assert "Content-Security-Policy" in response


def test_a_fault_gets_the_service_error_page(world: World, debug: bool) -> None:
    response = _client(world.advocate).get("/test-fails/")
    text = response.content.decode()
    assert response.status_code == 500
    assert "Sorry, there is a problem with the service" in text
    assert "a fault in a view" not in text and "Traceback" not in text


def test_a_refusal_gets_the_service_page(world: World, debug: bool) -> None:
    response = _client(world.advocate).get("/test-refuses/")
    assert response.status_code == 403
    assert "You cannot use this page" in response.content.decode()


def test_the_api_answers_json_not_a_page(world: World, debug: bool) -> None:
    response = _client(world.advocate).get("/api/v1/no-such-thing/")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}


def test_a_form_without_its_csrf_token_gets_the_service_page(debug: bool) -> None:
    client = Client(enforce_csrf_checks=True)
    response = client.post("/accounts/login/", {"login": "someone@example.org", "password": "x"})
    assert response.status_code == 403
    text = response.content.decode()
    assert "Your form could not be sent" in text and "Nothing from the form was saved" in text


def test_sign_in_again_still_redirects_with_the_error_pages_on(world: World, debug: bool) -> None:
    # allauth asks for the password again by an exception its own middleware turns into a
    # redirect: the error pages must not take it for a fault.
    response = _client(world.advocate).get("/accounts/2fa/totp/activate/")
    assert response.status_code == 302
    assert "/accounts/reauthenticate/" in response["Location"]
