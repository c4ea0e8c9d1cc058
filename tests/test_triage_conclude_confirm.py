"""Concluding a meeting with cases still undecided asks first, naming them."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.factories import World
from tests.triage_factories import make_meeting, on_agenda, waiting_case
from triage.models import Meeting, MeetingStatus

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


def test_scheduling_at_the_time_of_another_meeting_warns_and_typed_times_are_read(world: World) -> None:
    day = dt.date.today() + dt.timedelta(days=3)
    form = {
        "kind": "triage",
        "day_day": str(day.day),
        "day_month": str(day.month),
        "day_year": str(day.year),
        "time": "9.30am",
        "chair": str(world.triage_officer.pk),
        "location": "Room 4",
    }
    client = Client()
    client.force_login(world.triage_officer)
    first = client.post(reverse("triage:meeting_new"), form, follow=True).content.decode()
    assert "clashes with" not in first
    assert f"{timezone.localtime(Meeting.objects.get().starts_at):%H:%M}" == "09:30"
    second = client.post(reverse("triage:meeting_new"), {**form, "time": "10:15"}, follow=True).content.decode()
    assert "It clashes with Triage meeting on" in second
    third = client.post(reverse("triage:meeting_new"), {**form, "time": "2:30pm"}, follow=True).content.decode()
    assert "clashes with" not in third
    assert sorted(m.starts_at.minute for m in Meeting.objects.all()) == [15, 30, 30]
