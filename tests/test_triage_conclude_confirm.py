"""Concluding a meeting with cases still undecided asks first, naming them."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from tests.factories import World
from tests.triage_factories import make_meeting, on_agenda, waiting_case
from triage.models import MeetingStatus

pytestmark = pytest.mark.django_db


def test_concluding_with_undecided_cases_asks_first(world: World) -> None:
    meeting = make_meeting(world.triage_officer)
    case = waiting_case(world)
    on_agenda(world, meeting, case)
    client = Client()
    client.force_login(world.triage_officer)
    url = reverse("triage:meeting_conclude", args=[meeting.pk])
    asked = client.post(url)
    assert asked.status_code == 200
    html = asked.content.decode()
    assert "Conclude the meeting with 1 case undecided?" in html and case.reference in html
    meeting.refresh_from_db()
    assert meeting.status != MeetingStatus.CONCLUDED
    done = client.post(url, {"confirm": "yes"})
    assert done["Location"] == reverse("triage:minutes", args=[meeting.pk])
    meeting.refresh_from_db()
    assert meeting.status == MeetingStatus.CONCLUDED


def test_someone_who_may_not_run_the_meeting_is_refused(world: World) -> None:
    meeting = make_meeting(world.triage_officer)
    on_agenda(world, meeting, waiting_case(world))
    client = Client()
    client.force_login(world.clinician)
    assert client.post(reverse("triage:meeting_conclude", args=[meeting.pk]), {"confirm": "yes"}).status_code == 404
