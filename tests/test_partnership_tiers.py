"""Tiers are a partnership setting (only one of the three partnerships used them, seeds/004).

With tiers on (the default) a meeting must give an accepted case its tier and the caseload,
case page and returns show it; with tiers off no tier is asked, required or accepted, the
caseload has no tier column and a return broken down by tier shows one row, "—"."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from agencies.models import Partnership, User
from cases.models import Case
from reporting.returns import measures
from reporting.returns import services as returns_services
from tests.factories import World
from tests.triage_factories import make_meeting, on_agenda, waiting_case
from triage import services
from triage.models import Outcome

pytestmark = pytest.mark.django_db


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def set_tiers(world: World, on: bool) -> None:
    Partnership.objects.filter(pk=world.partnership.pk).update(uses_tiers=on)
    world.partnership.uses_tiers = on


def accept_at_meeting(world: World, case: Case, tier: int | None) -> None:
    item = on_agenda(world, make_meeting(world.triage_officer), case)
    services.decision_record(
        actor=world.triage_officer, item=item, data=services.DecisionInput(outcome=Outcome.ACCEPTED, tier=tier)
    )


def test_the_partnership_admin_turns_tiers_off_on_the_settings_page_and_nobody_else_can(world: World) -> None:
    url = reverse("agencies:partnership_settings")
    for user in (world.triage_officer, world.advocate, world.programme_manager):
        assert client_for(user).get(url).status_code == 404
        assert client_for(user).post(url, {"uses_tiers": "no"}).status_code == 404
    assert Partnership.objects.get(pk=world.partnership.pk).uses_tiers is True
    admin = client_for(world.admin)
    page = admin.get(url)
    assert page.status_code == 200 and "Does the partnership give cases a tier?" in page.content.decode()
    missing = admin.post(url, {})
    assert (
        missing.status_code == 200 and "Choose whether the partnership gives cases a tier" in missing.content.decode()
    )
    assert admin.post(url, {"uses_tiers": "no"}).status_code == 302
    assert Partnership.objects.get(pk=world.partnership.pk).uses_tiers is False
    # Another partnership's setting is its own.
    other = World("Elsewhere")
    assert Partnership.objects.get(pk=other.partnership.pk).uses_tiers is True


def test_with_tiers_on_an_accepted_case_needs_its_tier_and_shows_it(world: World) -> None:
    case = waiting_case(world)
    with pytest.raises(ValidationError) as refused:
        accept_at_meeting(world, case, None)
    assert "tier" in refused.value.message_dict
    accept_at_meeting(world, case, 3)
    assert Case.objects.get(pk=case.pk).tier == 3
    client = client_for(world.triage_officer)
    caseload = client.get(reverse("cases:caseload")).content.decode()
    assert "sort by tier" in caseload
    assert 'data-testid="case-tier"' in client.get(reverse("cases:case_detail", args=[case.pk])).content.decode()
    meeting = make_meeting(world.triage_officer)
    on_agenda(world, meeting, waiting_case(world))
    assert 'name="item-' in client.get(reverse("triage:meeting_run", args=[meeting.pk])).content.decode()
    run = client.get(reverse("triage:meeting_run", args=[meeting.pk])).content.decode()
    assert "-decision-tier" in run


def test_with_tiers_off_no_tier_is_asked_required_accepted_or_shown(world: World) -> None:
    set_tiers(world, False)
    case = waiting_case(world)
    with pytest.raises(ValidationError) as refused:
        accept_at_meeting(world, case, 2)
    assert "does not use tiers" in refused.value.message_dict["tier"][0]
    accept_at_meeting(world, case, None)
    accepted = Case.objects.get(pk=case.pk)
    assert (accepted.status, accepted.tier) == ("accepted", None)

    client = client_for(world.triage_officer)
    caseload = client.get(reverse("cases:caseload"))
    html = caseload.content.decode()
    assert caseload.status_code == 200 and "sort by tier" not in html and 'name="tier"' not in html
    # A sort by tier asked for in the address falls back to the usual order.
    assert client.get(reverse("cases:caseload") + "?sort=tier").status_code == 200
    page = client.get(reverse("cases:case_detail", args=[case.pk])).content.decode()
    assert 'data-testid="case-tier"' not in page and "Tier not set" not in page
    meeting = make_meeting(world.triage_officer)
    on_agenda(world, meeting, waiting_case(world))
    run = client.get(reverse("triage:meeting_run", args=[meeting.pk])).content.decode()
    assert "-decision-tier" not in run and "Tiers are not used" in run


def test_the_api_refuses_a_tier_where_tiers_are_off(world: World) -> None:
    from rest_framework.test import APIClient

    set_tiers(world, False)
    case = waiting_case(world)
    item = on_agenda(world, make_meeting(world.triage_officer), case)
    api = APIClient()
    api.force_authenticate(world.triage_officer)
    url = f"/api/v1/meetings/{item.meeting_id}/agenda/{item.pk}/decision/"
    refused = api.post(url, {"outcome": "accepted", "tier": 1}, format="json")
    assert refused.status_code == 400 and "tier" in refused.json()
    assert api.post(url, {"outcome": "accepted"}, format="json").status_code == 201
    assert Case.objects.get(pk=case.pk).tier is None


@pytest.mark.parametrize("on", [True, False])
def test_a_return_broken_down_by_tier_shows_tiers_only_where_they_are_used(world: World, on: bool) -> None:
    set_tiers(world, True)
    first, second = waiting_case(world), waiting_case(world)
    accept_at_meeting(world, first, 1)
    if on:
        accept_at_meeting(world, second, 4)
    else:
        set_tiers(world, False)
        accept_at_meeting(world, second, None)
    spec = next(s for s in measures.DEFAULT_INDICATORS if s.key == "cases_accepted_by_tier")
    quarter = measures.Quarter.containing(timezone.localdate())
    result = returns_services.compute_indicator(spec, partnership_id=world.partnership.pk, quarter=quarter)
    rows = [(r["value"], r["label"], r["count"]) for r in result["rows"]]
    assert result["total"] == 2
    if on:
        assert rows == [
            ("1", "Tier 1", 1),
            ("2", "Tier 2", 0),
            ("3", "Tier 3", 0),
            ("4", "Tier 4", 1),
            ("none", "No tier", 0),
        ]
    else:
        assert rows == [("none", "—", 2)]
