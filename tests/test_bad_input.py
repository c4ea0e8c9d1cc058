"""Bad input answers 400 or a field error, never a 500: crafted cursors, deeply nested JSON,
checkpoints that look like numbers to ``str.isdigit`` but not to ``int``."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from cases.models import CaseNote
from followups.models import FollowUpSettings
from tests.case_factories import make_case
from tests.factories import World

pytestmark = pytest.mark.django_db


def _cursor(payload: str) -> str:
    return base64.urlsafe_b64encode(payload.encode()).decode().rstrip("=")


CRAFTED_CURSORS = {
    # The review's cursor: ["next", null, 1].
    "null date": "WyJuZXh0IixudWxsLDFd",
    "empty date": _cursor('["next", "", 1]'),
    "id a float": _cursor('["next", "2026-01-01", 1.5]'),
    "id a string": _cursor('["prev", "2026-01-01", "1"]'),
    "date a number": _cursor('["next", 20260101, 1]'),
    "an object": _cursor('{"next": 1}'),
    "nested arrays": _cursor("[" * 3000 + "]" * 3000),
}


@pytest.mark.parametrize("cursor", CRAFTED_CURSORS.values(), ids=CRAFTED_CURSORS.keys())
def test_a_crafted_caseload_cursor_is_the_first_page(world: World, cursor: str) -> None:
    case = make_case(world.triage_officer)
    client = Client()
    client.force_login(world.triage_officer)
    page = client.get(reverse("cases:caseload"), {"cursor": cursor})
    assert page.status_code == 200
    assert [row.case.pk for row in page.context["page"].rows] == [case.pk]
    api = client.get("/api/v1/cases/", {"cursor": cursor[:200]})
    assert api.status_code == 200
    assert [row["id"] for row in api.json()["results"]] == [case.pk]


def _nested(depth: int) -> str:
    return "[" * depth + "]" * depth


def test_a_deeply_nested_json_body_is_a_400_on_writes(world: World) -> None:
    case = make_case(world.triage_officer)
    client = Client()
    client.force_login(world.triage_officer)
    body = _nested(5000)  # 10 KB
    for url in ("/api/v1/referrals/", f"/api/v1/cases/{case.pk}/notes/", f"/api/v1/cases/{case.pk}/shares/"):
        response = client.post(url, body, content_type="application/json")
        assert response.status_code == 400, url
        assert "nested" in response.json()["detail"]
    # Shallow enough for the decoder, too deep for any write (33 levels with the object around
    # it): refused before a serializer walks it.
    wrapped = json.dumps({"text": json.loads(_nested(32))})
    response = client.post(f"/api/v1/cases/{case.pk}/notes/", wrapped, content_type="application/json")
    assert response.status_code == 400
    assert not CaseNote.objects.filter(case=case).exists()


def _api_views(resolver: URLResolver, prefix: str = "") -> list[tuple[str, Any]]:
    found: list[tuple[str, Any]] = []
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            found += _api_views(entry, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern) and hasattr(entry.callback, "cls"):
            found.append((prefix + str(entry.pattern), entry.callback.cls))
    return found


def test_every_api_view_parses_json_with_the_depth_limited_parser() -> None:
    from masip.api import JSONParser

    views = _api_views(get_resolver())
    assert len(views) > 20
    for route, view in views:
        parsers = view.parser_classes
        assert all(not p.media_type.endswith("json") or issubclass(p, JSONParser) for p in parsers), route


@pytest.mark.parametrize("checkpoints", ["3, ², 12", "3, " + "9" * 5000, "3, ٣, 12", "3, -6"])
def test_follow_up_checkpoints_that_are_not_plain_numbers_are_a_field_error(world: World, checkpoints: str) -> None:
    client = Client()
    client.force_login(world.admin)
    response = client.post(reverse("followups:followup_settings"), {"checkpoints": checkpoints, "review_agency": ""})
    assert response.status_code == 200
    assert "checkpoints" in response.context["form"].errors
    assert not FollowUpSettings.objects.filter(partnership=world.partnership).exists()


def test_a_nested_follow_up_reviews_cursor_is_the_first_page(world: World) -> None:
    client = Client()
    client.force_login(world.triage_officer)
    response = client.get("/api/v1/followup-reviews/", {"cursor": CRAFTED_CURSORS["nested arrays"]})
    assert response.status_code == 200
    assert response.json()["results"] == []


@pytest.mark.parametrize("url", ["/api/v1/meetings/", "/api/v1/actions/", "/triage/actions/"])
def test_a_huge_page_number_is_an_empty_page(world: World, url: str) -> None:
    client = Client()
    client.force_login(world.triage_officer)
    response = client.get(url, {"page": "9" * 20})  # OFFSET past PostgreSQL's bigint
    assert response.status_code == 200
