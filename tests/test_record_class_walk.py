"""Walk every page and API endpoint that takes a case or a person, as each
perpetrator-side user, and prove the victim's location never reaches them.

The URL list is read from the URL configuration, so a page added later by any
app is walked too without this test changing.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from cases import services
from cases.models import CaseParty, PartyRole
from tests.case_factories import (
    EXCLUSION_ZONE,
    VICTIM_ADDRESS,
    VICTIM_CODE_WORD,
    VICTIM_PHONE,
    VICTIM_POSTCODE,
    make_case,
)
from tests.factories import World

pytestmark = pytest.mark.django_db

SECRETS = (VICTIM_ADDRESS, VICTIM_POSTCODE, VICTIM_PHONE, VICTIM_CODE_WORD, EXCLUSION_ZONE)
PARAM = re.compile(r"<(?:(?P<converter>[^>:]+):)?(?P<name>[^>]+)>")


def _routes(patterns: list[Any], prefix: str = "") -> Iterator[str]:
    for entry in patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            yield from _routes(entry.url_patterns, route)
        elif isinstance(entry, URLPattern):
            yield route


def _record_routes() -> list[str]:
    found = []
    for route in _routes(get_resolver().url_patterns):
        names = {m.group("name") for m in PARAM.finditer(route)}
        if names & {"case_id", "person_id"} and not route.startswith("^"):
            found.append(route)
    return sorted(set(found))


def test_the_walk_finds_the_case_and_person_pages_and_endpoints() -> None:
    routes = _record_routes()
    assert "cases/<int:case_id>/" in routes
    assert "people/<int:person_id>/" in routes
    assert "api/v1/cases/<int:case_id>/" in routes
    assert len(routes) >= 15, routes


@pytest.mark.parametrize("who", ["probation_practitioner", "clinician"])
def test_no_page_or_endpoint_shows_a_victims_location_to_the_perpetrator_side(world: World, who: str) -> None:
    case = make_case(world.triage_officer)
    order = services.order_record(
        actor=world.triage_officer,
        case=case,
        kind="restraining_order",
        made_on=case.received_on,
        conditions="No contact.",
        exclusion_zones=EXCLUSION_ZONE,
    )
    victim = CaseParty.objects.get(case=case, role=PartyRole.VICTIM).person
    values = {"case_id": case.pk, "person_id": victim.pk, "order_id": order.pk}
    client = Client()
    client.force_login(getattr(world, who))
    walked = 0
    for route in _record_routes():
        names = [m.group("name") for m in PARAM.finditer(route)]
        if any(name not in values for name in names):
            # A route keyed by a record of another app (a session, a contact...):
            # those apps walk their own records; here the case and person routes.
            continue
        url = "/" + PARAM.sub(lambda m: str(values[m.group("name")]), route)
        response = client.get(url)
        assert response.status_code in {200, 302, 404, 405}, (url, response.status_code)
        body = response.content.decode(errors="replace")
        for secret in SECRETS:
            assert secret not in body, f"{secret!r} reached {who} at {url}"
        walked += 1
    assert walked >= 15
    # And the advocate, who may see it, does see it on the case page: the walk can fail.
    advocate = Client()
    advocate.force_login(world.advocate)
    page = advocate.get(f"/cases/{case.pk}/").content.decode()
    assert all(secret in page for secret in SECRETS)
