"""The watch list through the API: list, start and end a watch with the same services and
access rules as the pages. Triage roles only; every other role, and anyone outside the case's
scope, gets 404 and writes nothing, under the default agreement and agreements that give every
agency every class of record."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from agencies.models import User
from cases.models import CaseEvent
from tests.agreements import AGREEMENTS, set_agreement
from tests.factories import World
from tests.test_triage_watch import REASON, declined_case, watch
from tests.triage_factories import waiting_case
from triage.models import Watch

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate


def api(user: User) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_a_triage_officer_starts_lists_and_ends_a_watch_through_the_api(world: World) -> None:
    case = declined_case(world)
    police = api(world.triage_officer)
    review_on = TODAY() + dt.timedelta(days=40)
    created = police.post(
        f"/api/v1/cases/{case.pk}/watch/", {"review_on": review_on.isoformat(), "reason": REASON}, format="json"
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert (body["case"]["id"], body["review_on"], body["reason"], body["ended_at"]) == (
        case.pk,
        review_on.isoformat(),
        REASON,
        None,
    )
    assert CaseEvent.objects.filter(case=case, summary__startswith="Put on the watch list").count() == 1

    listed = police.get("/api/v1/watch-list/")
    assert listed.status_code == 200
    assert [(row["watch"]["case"]["reference"], row["due"]) for row in listed.json()] == [(case.reference, False)]
    assert police.get(f"/api/v1/cases/{case.pk}/watch/").json()["id"] == body["id"]

    again = police.post(
        f"/api/v1/cases/{case.pk}/watch/", {"review_on": review_on.isoformat(), "reason": REASON}, format="json"
    )
    assert again.status_code == 400 and "already watched" in str(again.json())

    no_reason = police.post(f"/api/v1/cases/{case.pk}/watch/end/", {"end_reason": ""}, format="json")
    assert no_reason.status_code == 400 and "end_reason" in no_reason.json()
    ended = police.post(
        f"/api/v1/cases/{case.pk}/watch/end/", {"end_reason": "She has left him and moved away."}, format="json"
    )
    assert ended.status_code == 200 and ended.json()["ended_at"] is not None
    assert police.get("/api/v1/watch-list/").json() == []
    assert police.get(f"/api/v1/cases/{case.pk}/watch/").status_code == 404
    assert police.post(f"/api/v1/cases/{case.pk}/watch/end/", {"end_reason": "Again"}, format="json").status_code == 404


def test_bad_input_answers_400_with_every_field_error_and_writes_nothing(world: World) -> None:
    police = api(world.triage_officer)
    case = declined_case(world)
    response = police.post(
        f"/api/v1/cases/{case.pk}/watch/", {"review_on": TODAY().isoformat(), "reason": "  "}, format="json"
    )
    assert response.status_code == 400 and {"review_on", "reason"} <= set(response.json())
    malformed = police.post(f"/api/v1/cases/{case.pk}/watch/", {"review_on": "soon"}, format="json")
    assert malformed.status_code == 400 and {"review_on", "reason"} <= set(malformed.json())
    waiting = waiting_case(world)
    not_declined = police.post(
        f"/api/v1/cases/{waiting.pk}/watch/",
        {"review_on": (TODAY() + dt.timedelta(days=9)).isoformat(), "reason": REASON},
        format="json",
    )
    assert not_declined.status_code == 400
    assert not Watch.objects.exists()


@pytest.fixture(params=list(AGREEMENTS))
def agreement(request: Any, world: World) -> str:
    rules = AGREEMENTS[request.param]
    if rules is not None:
        set_agreement(world.partnership, rules)
    return str(request.param)


def test_other_roles_and_other_partnerships_get_404_and_write_nothing(world: World, agreement: str) -> None:
    watched, unwatched = declined_case(world), declined_case(world)
    watch(world, watched)
    elsewhere = World("Elsewhere")
    outsiders = [
        world.advocate,
        world.clinician,
        world.probation_practitioner,
        world.programme_manager,
        elsewhere.triage_officer,
        elsewhere.admin,
    ]
    payload = {"review_on": (TODAY() + dt.timedelta(days=20)).isoformat(), "reason": REASON}
    for user in outsiders:
        client = api(user)
        listed = client.get("/api/v1/watch-list/")
        if user.agency is not None and user.agency.partnership_id == world.partnership.pk:
            assert listed.status_code == 404, (agreement, user.role)
        else:
            # A triage officer of another partnership watches cases, but sees none of these.
            assert listed.status_code == 200 and listed.json() == [], (agreement, user.role)
        assert client.get(f"/api/v1/cases/{watched.pk}/watch/").status_code == 404, (agreement, user.role)
        assert client.post(f"/api/v1/cases/{unwatched.pk}/watch/", payload, format="json").status_code == 404
        ended = client.post(f"/api/v1/cases/{watched.pk}/watch/end/", {"end_reason": "Not mine"}, format="json")
        assert ended.status_code == 404, (agreement, user.role)
    assert list(Watch.objects.values_list("case_id", "ended_at")) == [(watched.pk, None)]
    # The page list follows the same rule.
    for user in (world.advocate, world.clinician, world.probation_practitioner):
        page_client = Client()
        page_client.force_login(user)
        assert page_client.get("/triage/watch-list/").status_code == 404


def test_the_watch_operations_are_in_the_schema() -> None:
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(public=True)
    operations = {
        operation["operationId"]: (path, method)
        for path, item in schema["paths"].items()
        for method, operation in item.items()
    }
    assert operations["watch_list"] == ("/api/v1/watch-list/", "get")
    assert operations["case_watch_retrieve"] == ("/api/v1/cases/{case_id}/watch/", "get")
    assert operations["case_watch_create"] == ("/api/v1/cases/{case_id}/watch/", "post")
    assert operations["case_watch_end"] == ("/api/v1/cases/{case_id}/watch/end/", "post")
