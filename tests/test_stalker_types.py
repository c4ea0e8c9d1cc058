"""A case carries a primary and an optional secondary stalker type (Mullen's typology), recorded
where the typology is recorded: the meeting's decision (page and API) and the SRP."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from agencies.models import User
from cases import services as case_services
from cases.models import Case, CaseEvent
from tests.factories import World
from tests.risk_factories import complete_srp, shipped_instruments
from tests.triage_factories import accept, make_meeting, on_agenda, waiting_case
from triage import services
from triage.models import AgendaItem, MeetingDecision, MeetingKind, Outcome

pytestmark = pytest.mark.django_db
__all__ = ["shipped_instruments"]


def types_of(case: Case) -> tuple[str, str]:
    row = Case.objects.values_list("stalker_type", "stalker_type_secondary").get(pk=case.pk)
    return (row[0], row[1])


def clinic_item(world: World, case: Case) -> AgendaItem:
    accept(world, on_agenda(world, make_meeting(world.triage_officer), case), tier=2, refer_to_clinic=True)
    clinic = make_meeting(world.clinician, kind=MeetingKind.CLINIC)
    return services.agenda_add(actor=world.clinician, meeting=clinic, case_id=case.pk)


def test_a_clinic_records_a_primary_and_a_secondary_type(world: World) -> None:
    case = waiting_case(world)
    item = clinic_item(world, case)
    services.decision_record(
        actor=world.clinician,
        item=item,
        data=services.DecisionInput(
            outcome=Outcome.REVIEWED, stalker_type="rejected", stalker_type_secondary="resentful"
        ),
    )
    assert types_of(case) == ("rejected", "resentful")
    decision = MeetingDecision.objects.get(item=item)
    assert (decision.stalker_type, decision.stalker_type_secondary) == ("rejected", "resentful")
    latest = CaseEvent.objects.filter(case=case).order_by("-id").first()
    assert latest is not None and "Secondary stalker type: resentful" in latest.summary


@pytest.mark.parametrize(
    ("primary", "secondary", "field"),
    [("rejected", "rejected", "stalker_type_secondary"), ("", "resentful", "stalker_type")],
)
def test_a_secondary_type_needs_a_different_primary_and_nothing_is_written_without_one(
    world: World, primary: str, secondary: str, field: str
) -> None:
    case = waiting_case(world)
    item = clinic_item(world, case)
    before = types_of(case)
    with pytest.raises(ValidationError) as refused:
        services.decision_record(
            actor=world.clinician,
            item=item,
            data=services.DecisionInput(
                outcome=Outcome.REVIEWED, stalker_type=primary, stalker_type_secondary=secondary
            ),
        )
    assert field in refused.value.message_dict
    assert types_of(case) == before and not MeetingDecision.objects.filter(item=item).exists()
    # The same rule in the case's own service, and in the database.
    with pytest.raises(ValidationError):
        case_services.case_record_triage_outcome(
            actor=world.triage_officer, case=case, stalker_type=primary or None, stalker_type_secondary=secondary
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        Case.objects.filter(pk=case.pk).update(stalker_type=primary, stalker_type_secondary=secondary)


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_decision_form_asks_for_the_secondary_type_and_the_case_page_shows_both(world: World) -> None:
    case = waiting_case(world)
    item = clinic_item(world, case)
    client = client_for(world.clinician)
    run = reverse("triage:meeting_run", args=[item.meeting_id])
    html = client.get(run).content.decode()
    assert "Secondary stalker type (optional)" in html
    prefix = f"item-{item.pk}-decision"
    url = reverse("triage:decision_add", args=[item.meeting_id, item.pk])
    same = client.post(
        url,
        {
            f"{prefix}-outcome": "reviewed",
            f"{prefix}-stalker_type": "predatory",
            f"{prefix}-stalker_type_secondary": "predatory",
        },
    )
    assert "The secondary stalker type must differ from the primary type" in same.content.decode()
    assert types_of(case) == ("", "")
    client.post(
        url,
        {
            f"{prefix}-outcome": "reviewed",
            f"{prefix}-stalker_type": "predatory",
            f"{prefix}-stalker_type_secondary": "resentful",
        },
    )
    assert types_of(case) == ("predatory", "resentful")
    page = client.get(reverse("cases:case_detail", args=[case.pk])).content.decode()
    assert "Predatory (primary); resentful (secondary)" in page


def test_the_api_records_and_shows_both_types(world: World) -> None:
    case = waiting_case(world)
    item = clinic_item(world, case)
    api = APIClient()
    api.force_authenticate(world.clinician)
    url = f"/api/v1/meetings/{item.meeting_id}/agenda/{item.pk}/decision/"
    same = api.post(
        url, {"outcome": "reviewed", "stalker_type": "resentful", "stalker_type_secondary": "resentful"}, format="json"
    )
    assert same.status_code == 400 and "stalker_type_secondary" in same.json()
    done = api.post(
        url, {"outcome": "reviewed", "stalker_type": "resentful", "stalker_type_secondary": "rejected"}, format="json"
    )
    assert done.status_code == 201, done.content
    shown = api.get(f"/api/v1/cases/{case.pk}/").json()["case"]
    assert (shown["stalker_type"], shown["stalker_type_secondary"]) == ("resentful", "rejected")


def test_an_srp_records_both_types_on_the_case_and_refuses_the_same_type_twice(
    world: World, shipped_instruments: None
) -> None:
    case = waiting_case(world)
    complete_srp(
        world.clinician, case, stalker_type="intimacy_seeker", more={"stalker_type_secondary": "incompetent_suitor"}
    )
    assert types_of(case) == ("intimacy_seeker", "incompetent_suitor")
    with pytest.raises(ValidationError) as refused:
        complete_srp(world.clinician, case, stalker_type="rejected", more={"stalker_type_secondary": "rejected"})
    assert "stalker_type_secondary" in refused.value.message_dict
    assert types_of(case) == ("intimacy_seeker", "incompetent_suitor")
