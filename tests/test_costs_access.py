"""Who sees cost accounts and time, what victim costs they see, and that every look is logged."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from agencies import services as agency_services
from agencies.models import DEFAULT_SHARING, AgencyKind, RecordClass, Role, User
from audit.models import AccessLog
from costs.models import TimeEntry
from tests.advocacy_factories import contact_input
from tests.case_factories import make_case
from tests.cost_factories import cheshire_case_1
from tests.factories import World, make_user

pytestmark = pytest.mark.django_db


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _set_victim_identity(world: World, kinds: list[str]) -> None:
    matrix = {k: list(v) for k, v in DEFAULT_SHARING.items()}
    matrix[RecordClass.VICTIM_IDENTITY] = kinds
    agency_services.agreement_update(actor=world.admin, partnership=world.partnership, matrix=matrix)


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("programme_manager", 200),
        ("admin", 200),
        ("triage_officer", 404),
        ("advocate", 404),
        ("clinician", 404),
        ("probation_practitioner", 404),
    ],
)
def test_account_page_and_api_by_role(world: World, role: str, status: int) -> None:
    account = cheshire_case_1(world)
    client = _client(getattr(world, role))
    assert client.get(reverse("costs:account", args=[account.case_id])).status_code == status
    assert client.get(reverse("api-costs-account", args=[account.case_id])).status_code == status
    assert client.get(reverse("costs:account_pdf", args=[account.case_id])).status_code == status
    assert client.get(reverse("costs:programme")).status_code == status
    assert client.get(reverse("costs:home")).status_code == status


def test_another_partnership_gets_404(world: World, other_world: World) -> None:
    account = cheshire_case_1(world)
    client = _client(other_world.programme_manager)
    assert client.get(reverse("costs:account", args=[account.case_id])).status_code == 404
    assert client.get(reverse("api-costs-account", args=[account.case_id])).status_code == 404
    assert client.post(reverse("api-costs-account", args=[account.case_id])).status_code == 404
    card = account.rate_card
    assert client.get(reverse("costs:rate_card", args=[card.pk])).status_code == 404
    # Opening an account for another partnership's case by its number is 404 too.
    response = client.post(reverse("costs:home"), {"case": f"MASIP-{account.case_id:06d}"})
    assert response.status_code == 404


def test_victim_costs_follow_the_agreement(world: World) -> None:
    account = cheshire_case_1(world)
    health_manager = make_user(world.health, Role.PROGRAMME_MANAGER)
    url = reverse("costs:account", args=[account.case_id])
    api = reverse("api-costs-account", args=[account.case_id])

    # Default agreement: health may not see victim identity, police may.
    page = _client(health_manager).get(url).content.decode()
    assert "£7,182.54" in page
    assert "£20,579.74" not in page and "£11,344.74" not in page and "£27,762.28" not in page
    assert "withheld" in page
    body = _client(health_manager).get(api).json()
    assert body["total_victim"] is None and body["total"] is None
    assert body["withheld"] == ["victim_identity"]
    assert body["scenarios"][0]["state_ratio"] == "2.8"
    assert body["scenarios"][0]["victim_ratio"] is None
    assert all(item["bearer"] == "state" for s in body["scenarios"] for item in s["items"])
    police = _client(world.programme_manager).get(api).json()
    assert police["total_victim"] == "20579.74" and police["scenarios"][0]["victim_ratio"] == "3.5"

    # The partnership lets health see victim identity and stops police seeing it.
    _set_victim_identity(world, [AgencyKind.HEALTH, AgencyKind.ADVOCACY])
    assert _client(health_manager).get(api).json()["total_victim"] == "20579.74"
    assert "£20,579.74" in _client(health_manager).get(url).content.decode()
    police = _client(User.objects.get(pk=world.programme_manager.pk)).get(api).json()
    assert police["total_victim"] is None and police["withheld"] == ["victim_identity"]


def test_every_look_is_logged(world: World) -> None:
    account = cheshire_case_1(world)
    client = _client(world.programme_manager)
    before = AccessLog.objects.count()
    client.get(reverse("costs:account", args=[account.case_id]))
    client.get(reverse("api-costs-account", args=[account.case_id]))
    client.get(reverse("costs:account_pdf", args=[account.case_id]))
    rows = list(AccessLog.objects.order_by("pk")[before:])
    assert [(r.action, r.record_type, r.record_ids) for r in rows] == [
        ("view", "costs.costaccount", [str(account.pk)]),
        ("view", "costs.costaccount", [str(account.pk)]),
        ("export", "costs.costaccount", [str(account.pk)]),
    ]
    assert all(r.user_id == world.programme_manager.pk for r in rows)


def test_time_on_a_contact_is_asked_once_and_scoped(world: World, other_world: World) -> None:
    from advocacy import services as advocacy_services

    case = make_case(world.triage_officer)
    advocacy_services.advocate_assign(actor=world.advocate, case=case, advocate=world.advocate)
    contact = advocacy_services.contact_record(actor=world.advocate, case=case, data=contact_input(duration_minutes=35))
    url = reverse("costs:time_entry", args=["advocacy.contact", contact.pk])
    client = _client(world.advocate)
    page = client.get(url)
    assert page.status_code == 200
    # The contact's own length is offered.
    assert 'value="35"' in page.content.decode()
    assert client.post(url, {"kind": "contact", "minutes": "35", "who": "me"}).status_code == 302
    assert client.post(url, {"kind": "contact", "minutes": "50", "who": "me"}).status_code == 302
    mine = TimeEntry.objects.filter(activity_kind="contact", activity_id=contact.pk, staff=world.advocate)
    assert [e.minutes for e in mine] == [50]
    # Another agency's person, by role.
    assert (
        client.post(url, {"kind": "contact", "minutes": "15", "who": "other", "role": "Housing officer"}).status_code
        == 302
    )
    other = TimeEntry.objects.get(activity_id=contact.pk, staff__isnull=True)
    assert (other.role, other.minutes, other.cost_category) == ("housing_officer", 15, "safeguarding")
    # Bad input: a 400 with the GOV.UK error summary, nothing written.
    bad = client.post(url, {"kind": "contact", "minutes": "0", "who": "other"})
    assert bad.status_code == 400
    text = bad.content.decode()
    assert "govuk-error-summary" in text and "Enter the person" in text
    assert TimeEntry.objects.filter(activity_id=contact.pk).count() == 2
    # Outside scope: another partnership's staff, and a programme manager, get 404.
    assert _client(other_world.advocate).get(url).status_code == 404
    assert _client(world.programme_manager).get(url).status_code == 404
    # The contact page links here.
    contact_page = client.get(reverse("advocacy:contact_detail", args=[case.pk, contact.pk]))
    assert url in contact_page.content.decode()


def test_bad_input_is_a_400_not_a_500(world: World) -> None:
    account = cheshire_case_1(world)
    client = _client(world.programme_manager)
    page = client.post(
        reverse("costs:line_add", args=[account.case_id]),
        {"line-category": "victim_costs", "line-bearer": "victim", "line-amount": "lots", "line-label": "Locks"},
    )
    assert page.status_code == 400
    assert "Enter the amount in pounds" in page.content.decode()
    api = client.post(
        reverse("api-costs-account-lines", args=[account.case_id]),
        {"category": "victim_costs", "bearer": "victim"},
        content_type="application/json",
    )
    assert api.status_code == 400
    assert "amount" in api.json()
    item = client.post(
        reverse("api-costs-scenario-items", args=[account.case_id]),
        {"scenario": "best", "unit_cost": 999999},
        content_type="application/json",
    )
    assert item.status_code == 400 and "unit_cost" in item.json()
    period = client.get(reverse("api-costs-programme"), {"date_from": "2020-05-01", "date_to": "2020-04-01"})
    assert period.status_code == 400 and "date_to" in period.json()


def test_api_builds_and_finishes_an_account(world: World) -> None:
    account = cheshire_case_1(world)
    client = _client(world.programme_manager)
    added = client.post(
        reverse("api-costs-account-lines", args=[account.case_id]),
        {"category": "victim_costs", "bearer": "victim", "label": "Locks changed", "amount": "85.50"},
        content_type="application/json",
    )
    assert added.status_code == 201
    assert added.json()["total_victim"] == str(Decimal("20579.74") + Decimal("85.50"))
    done = client.post(reverse("api-costs-account-finish", args=[account.case_id]))
    assert done.status_code == 200 and done.json()["status"] == "finished"


def test_the_record_time_link_shows_only_to_those_who_record_time(world: World) -> None:
    """A programme manager records no casework time: the case page offers them no link that
    would answer 404; a caseworker's link leads to a page that opens."""
    case = make_case(world.triage_officer)
    time_url = reverse("costs:time_entry", args=["case", case.pk])
    manager_page = _client(world.programme_manager).get(reverse("cases:case_detail", args=[case.pk]))
    assert manager_page.status_code == 200
    assert time_url not in manager_page.content.decode()
    assert _client(world.programme_manager).get(time_url).status_code == 404
    officer_page = _client(world.triage_officer).get(reverse("cases:case_detail", args=[case.pk]))
    assert time_url in officer_page.content.decode()
    assert _client(world.triage_officer).get(time_url).status_code == 200
