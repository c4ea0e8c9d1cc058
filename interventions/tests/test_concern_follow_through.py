"""A concern that may put the victim at risk reaches her advocate as well as probation; what was
done about a concern is recorded on acknowledging it, and an acknowledged concern stops counting."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from advocacy import services as advocacy_services
from agencies.models import User
from interventions import services
from interventions.models import SessionConcern
from interventions.tests.helpers import accepted, attend, book, days_ago, old_case, plan
from notifications.models import Notification
from tests.factories import World

pytestmark = pytest.mark.django_db


def concern_case(world: World, *, victim_at_risk: bool) -> SessionConcern:
    case = old_case(world)
    advocacy_services.advocate_assign(actor=world.advocate, case=case, advocate=world.advocate)
    intervention = accepted(world, case)
    plan(world, intervention)
    appointment = book(world, intervention, 1, days_ago(2))
    attend(
        world,
        appointment,
        concerns_raised=True,
        concern_description="Said he drove past her workplace.",
        concern_victim_at_risk=victim_at_risk,
    )
    return SessionConcern.objects.get(appointment=appointment)


def test_a_concern_for_the_victim_reaches_her_advocate_naming_the_case_only(world: World) -> None:
    concern = concern_case(world, victim_at_risk=True)
    assert concern.victim_at_risk
    alert = Notification.objects.get(recipient=world.advocate)
    reference = concern.intervention.case.reference
    assert alert.subject == f"A concern about the victim's safety: case {reference}"
    assert "drove past" not in alert.subject + alert.body
    assert alert.link == reverse("advocacy:safety_plan", args=[concern.intervention.case_id])
    # Probation is told as before.
    assert Notification.objects.filter(recipient=world.probation_practitioner).exists()


def test_a_concern_not_marked_for_the_victim_does_not_reach_the_advocate(world: World) -> None:
    concern_case(world, victim_at_risk=False)
    assert not Notification.objects.filter(recipient=world.advocate).exists()


def count_concerns(user: User) -> int:
    client = Client()
    client.force_login(user)
    html = client.get(reverse("home")).content.decode()
    return int(html.split('data-testid="work-line-concerns"')[1].split('govuk-table__cell--numeric">')[1].split("<")[0])


def test_acknowledging_records_what_was_done_and_stops_counting(world: World) -> None:
    concern = concern_case(world, victim_at_risk=True)
    assert count_concerns(world.probation_practitioner) == 1
    client = Client()
    client.force_login(world.probation_practitioner)
    response = client.post(
        reverse("interventions:concern_acknowledge", args=[concern.pk]),
        {"action_taken": "Warned him at supervision; police told."},
    )
    assert response.status_code == 302
    concern.refresh_from_db()
    assert concern.acknowledged_by == world.probation_practitioner
    assert concern.action_taken == "Warned him at supervision; police told."
    assert count_concerns(world.probation_practitioner) == 0


def test_acknowledging_marks_the_recipients_alert_read_and_leaves_the_advocates(world: World) -> None:
    """The concern's alert waits in the practitioner's inbox until the concern is acknowledged,
    by them or by a colleague of their agency; the advocate's own alert is hers to read."""
    from agencies.models import Role
    from tests.factories import make_user

    for actor in (world.probation_practitioner, make_user(world.probation, Role.PROBATION_PRACTITIONER)):
        concern = concern_case(world, victim_at_risk=True)
        alert = concern.notification
        assert alert is not None and alert.recipient == world.probation_practitioner
        assert alert.read_at is None
        advocates = set(
            Notification.objects.filter(recipient=world.advocate, read_at__isnull=True).values_list("pk", flat=True)
        )
        assert advocates
        services.concern_acknowledge(actor=actor, concern=concern, action_taken="Seen.")
        alert.refresh_from_db()
        assert alert.read_at is not None, actor
        still_unread = Notification.objects.filter(recipient=world.advocate, read_at__isnull=True)
        assert advocates <= set(still_unread.values_list("pk", flat=True)), actor


def test_the_api_takes_what_was_done_and_refuses_others(world: World) -> None:
    concern = concern_case(world, victim_at_risk=False)
    outsider = APIClient()
    outsider.force_login(world.advocate)
    url = f"/api/v1/intervention-concerns/{concern.pk}/acknowledge/"
    assert outsider.post(url, {"action_taken": "x"}, format="json").status_code in (400, 404)
    client = APIClient()
    client.force_login(world.probation_practitioner)
    body = client.post(url, {"action_taken": "Discussed at supervision."}, format="json").json()
    assert body["action_taken"] == "Discussed at supervision." and body["acknowledged_at"]
    with pytest.raises(ValidationError):  # already acknowledged
        services.concern_acknowledge(actor=world.probation_practitioner, concern=concern)


def test_outsiders_cannot_acknowledge_and_the_concern_is_unchanged(world: World, other_world: World) -> None:
    """A probation practitioner of another partnership, and one of a second probation service
    of this partnership that the case is not shared with: 404 on the page and the API, and the
    concern's row is as it was."""
    from agencies.models import AgencyKind, Role
    from cases.permissions import can_view_case
    from tests.factories import make_agency, make_user

    concern = concern_case(world, victim_at_risk=True)
    unshared = make_user(make_agency(world.partnership, AgencyKind.PROBATION), Role.PROBATION_PRACTITIONER)
    case = concern.intervention.case
    assert unshared.agency.partnership_id == case.partnership_id and not can_view_case(unshared, case)  # type: ignore[union-attr]

    def row() -> tuple[object, ...]:
        return tuple(
            SessionConcern.objects.filter(pk=concern.pk).values_list(
                "acknowledged_at", "acknowledged_by", "action_taken"
            )[0]
        )

    before = row()
    assert before == (None, None, "")
    page = reverse("interventions:concern_acknowledge", args=[concern.pk])
    api = f"/api/v1/intervention-concerns/{concern.pk}/acknowledge/"
    for outsider in (other_world.probation_practitioner, unshared):
        browser = Client()
        browser.force_login(outsider)
        assert browser.post(page, {"action_taken": "Nothing to see."}).status_code == 404, outsider
        client = APIClient()
        client.force_login(outsider)
        assert client.post(api, {"action_taken": "Nothing to see."}, format="json").status_code == 404, outsider
        assert row() == before, outsider
    # The practitioner told still can, afterwards.
    services.concern_acknowledge(actor=world.probation_practitioner, concern=concern, action_taken="Seen.")
    assert row()[1:] == (world.probation_practitioner.pk, "Seen.")


def test_saved_feedback_stays_reachable_from_the_inbox_link(world: World) -> None:
    intervention = accepted(world, old_case(world))
    plan(world, intervention)
    appointment = book(world, intervention, 1, days_ago(2))
    attend(world, appointment)
    client = Client()
    client.force_login(world.clinician)
    link = reverse("interventions:appointment_feedback", args=[intervention.case_id, intervention.pk, appointment.pk])
    response = client.get(link)
    assert response.status_code == 302
    assert response["Location"] == reverse(
        "interventions:session_detail", args=[intervention.case_id, intervention.pk, 1]
    )
    assert client.get(response["Location"]).status_code == 200
    # Outside the case's scope it is still 404.
    outsider = Client()
    outsider.force_login(world.advocate)
    assert outsider.get(link).status_code == 404
