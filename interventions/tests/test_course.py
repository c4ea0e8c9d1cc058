"""A course of sessions booked at once (preview, all or nothing), and one appointment
cancelled with its reason: the service, the API and the page, and who may do it."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from rest_framework.test import APIClient

from agencies.models import User
from interventions import services
from interventions.models import Appointment, Intervention
from interventions.tests.helpers import accepted, book, days_ago, full_intervention, old_case, plan
from interventions.tests.test_pages import client_for, date_fields, html, url
from tests.factories import World

pytestmark = pytest.mark.django_db

NOT_DELIVERING = "Only the clinicians delivering this intervention can do this"


def monday_in(weeks: int) -> dt.date:
    today = timezone.localdate()
    return today + dt.timedelta(days=7 * weeks - today.weekday())


def course(**overrides: Any) -> services.CourseInput:
    data = services.CourseInput(
        first_date=monday_in(2), start_time=dt.time(9, 30), frequency="weekly", sessions=4, method="in_person"
    )
    for name, value in overrides.items():
        setattr(data, name, value)
    return data


def planned(world: World, sessions: int = 12) -> Intervention:
    intervention = accepted(world, old_case(world))
    plan(world, intervention, sessions=sessions)
    return Intervention.objects.select_related("case").get(pk=intervention.pk)


def booked(intervention: Intervention) -> list[tuple[int, dt.date, dt.time]]:
    rows = Appointment.objects.filter(session__intervention=intervention, cancelled_at__isnull=True).order_by(
        "session__number"
    )
    return [
        (a.session.number, timezone.localtime(a.starts_at).date(), timezone.localtime(a.starts_at).time())
        for a in rows.select_related("session")
    ]


def api(user: User) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


# --- the service ------------------------------------------------------------------------------------------


def test_a_fortnightly_course_skips_the_dates_given_and_keeps_its_length(world: World) -> None:
    intervention = planned(world)
    first = monday_in(2)
    holiday = first + dt.timedelta(days=28)
    slots = services.course_preview(
        actor=world.clinician, intervention=intervention, data=course(frequency="fortnightly", skip_dates=[holiday])
    )
    assert [(s.number, timezone.localtime(s.starts_at).date()) for s in slots] == [
        (1, first),
        (2, first + dt.timedelta(days=14)),
        (3, first + dt.timedelta(days=42)),
        (4, first + dt.timedelta(days=56)),
    ]
    assert not Appointment.objects.filter(session__intervention=intervention).exists()  # a preview saves nothing
    services.course_book(
        actor=world.clinician, intervention=intervention, data=course(frequency="fortnightly", skip_dates=[holiday])
    )
    assert [(n, d) for n, d, _t in booked(intervention)] == [
        (s.number, timezone.localtime(s.starts_at).date()) for s in slots
    ]
    assert {t for _n, _d, t in booked(intervention)} == {dt.time(9, 30)}


def test_the_course_fills_the_sessions_not_yet_booked(world: World) -> None:
    intervention = planned(world, sessions=6)
    book(world, intervention, 1, days_ago(-3))
    book(world, intervention, 3, days_ago(-4))
    services.course_book(actor=world.clinician, intervention=intervention, data=course(sessions=3))
    assert [n for n, _d, _t in booked(intervention)] == [1, 2, 3, 4, 5]
    with pytest.raises(ValidationError) as exc:
        services.course_book(actor=world.clinician, intervention=intervention, data=course(sessions=2))
    assert exc.value.message_dict == {"sessions": ["Only 1 session of the plan is still to book"]}


def test_a_course_with_errors_books_nothing_and_says_everything_at_once(world: World) -> None:
    intervention = planned(world, sessions=4)
    with pytest.raises(ValidationError) as exc:
        services.course_book(
            actor=world.clinician,
            intervention=intervention,
            data=course(sessions=6, first_date=timezone.localdate() - dt.timedelta(days=7), method="fax"),
        )
    assert exc.value.message_dict == {
        "first_date": ["A course starts in the future: record a past session on its own"],
        "method": ["Choose how the session is held"],
        "sessions": ["Only 4 sessions of the plan are still to book"],
    }
    with pytest.raises(ValidationError) as exc:
        services.course_book(
            actor=world.clinician, intervention=intervention, data=course(sessions=6, duration_minutes=600)
        )
    assert exc.value.message_dict == {
        "sessions": ["Only 4 sessions of the plan are still to book"],
        "duration_minutes": ["A session lasts between 5 minutes and 8 hours"],
    }
    with pytest.raises(ValidationError) as exc:
        services.course_book(actor=world.clinician, intervention=intervention, data=course(first_date=monday_in(50)))
    assert list(exc.value.message_dict) == ["sessions"]
    assert "Book sessions at most a year ahead" in exc.value.message_dict["sessions"][0]
    assert not Appointment.objects.filter(session__intervention=intervention).exists()


def test_only_the_delivering_clinicians_book_a_course_or_cancel(world: World) -> None:
    intervention = planned(world)
    appointment = book(world, intervention, 1, days_ago(-5))
    appointment = Appointment.objects.select_related("session__intervention__case").get(pk=appointment.pk)
    for user in (world.probation_practitioner, world.advocate):
        with pytest.raises(ValidationError) as exc:
            services.course_book(actor=user, intervention=intervention, data=course())
        assert exc.value.message_dict == {"first_date": [NOT_DELIVERING]}
        with pytest.raises(ValidationError) as exc:
            services.course_preview(actor=user, intervention=intervention, data=course())
        assert exc.value.message_dict == {"first_date": [NOT_DELIVERING]}
        with pytest.raises(ValidationError) as exc:
            services.appointment_cancel(actor=user, appointment=appointment, reason="No")
        assert exc.value.message_dict == {"reason": [NOT_DELIVERING]}
    assert booked(intervention)[0][0] == 1 and len(booked(intervention)) == 1


def test_cancelling_keeps_the_appointment_with_its_reason_and_frees_the_session(world: World) -> None:
    intervention = planned(world)
    appointment = book(world, intervention, 2, days_ago(-5))
    appointment = Appointment.objects.select_related("session__intervention__case").get(pk=appointment.pk)
    with pytest.raises(ValidationError) as exc:
        services.appointment_cancel(actor=world.clinician, appointment=appointment, reason="  ")
    assert exc.value.message_dict == {"reason": ["Give the reason for cancelling"]}
    services.appointment_cancel(actor=world.clinician, appointment=appointment, reason="Clinic closed for training")
    appointment.refresh_from_db()
    assert appointment.cancelled_at is not None and appointment.cancel_reason == "Clinic closed for training"
    with pytest.raises(ValidationError):
        services.appointment_cancel(actor=world.clinician, appointment=appointment, reason="Again")
    again = book(world, intervention, 2, days_ago(-6))
    assert again.pk != appointment.pk
    past = Appointment.objects.select_related("session__intervention__case").get(
        pk=book(world, intervention, 3, days_ago(1)).pk
    )
    with pytest.raises(ValidationError) as exc:
        services.appointment_cancel(actor=world.clinician, appointment=past, reason="Too late")
    assert list(exc.value.message_dict) == ["reason"]


# --- the API ----------------------------------------------------------------------------------------------


def test_course_and_cancel_by_api(world: World) -> None:
    intervention = planned(world, sessions=3)
    address = f"/api/v1/interventions/{intervention.pk}/course/"
    body = {
        "first_date": monday_in(2).isoformat(),
        "start_time": "2.30pm",
        "frequency": "weekly",
        "sessions": 3,
        "skip_dates": [(monday_in(3)).isoformat()],
        "method": "video",
    }
    clinician = api(world.clinician)
    response = clinician.post(address, {**body, "preview": True}, format="json")
    assert response.status_code == 200
    assert [s["session_number"] for s in response.json()["sessions"]] == [1, 2, 3]
    assert not Appointment.objects.filter(session__intervention=intervention).exists()
    response = clinician.post(address, {**body, "start_time": "25 past"}, format="json")
    assert response.status_code == 400 and list(response.json()) == ["start_time"]
    response = clinician.post(address, body, format="json")
    assert response.status_code == 201
    assert [d for _n, d, _t in booked(intervention)] == [monday_in(2), monday_in(4), monday_in(5)]
    assert {t for _n, _d, t in booked(intervention)} == {dt.time(14, 30)}
    first = response.json()["appointments"][0]["id"]
    cancel = f"/api/v1/interventions/{intervention.pk}/appointments/{first}/cancel/"
    assert clinician.post(cancel, {}, format="json").status_code == 400
    # Probation and the advocate see the case and its sessions, but booking is the clinicians' alone.
    for outsider in (world.probation_practitioner, world.advocate):
        assert api(outsider).post(cancel, {"reason": "x"}, format="json").status_code == 404
        assert api(outsider).post(address, {**body, "preview": True}, format="json").status_code == 404
    response = clinician.post(cancel, {"reason": "Interpreter unavailable"}, format="json")
    assert response.status_code == 200 and response.json()["cancel_reason"] == "Interpreter unavailable"


def test_course_and_cancel_by_api_are_404_outside_the_partnership(world: World, other_world: World) -> None:
    intervention = planned(world)
    appointment = book(world, intervention, 1, days_ago(-5))
    client = api(other_world.clinician)
    assert client.post(f"/api/v1/interventions/{intervention.pk}/course/", {}, format="json").status_code == 404
    response = client.post(
        f"/api/v1/interventions/{intervention.pk}/appointments/{appointment.pk}/cancel/", {"reason": "x"}, format="json"
    )
    assert response.status_code == 404
    assert Appointment.objects.get(pk=appointment.pk).cancelled_at is None


# --- the page ---------------------------------------------------------------------------------------------


def test_the_course_page_previews_then_books(world: World) -> None:
    case, intervention = full_intervention(world)
    client = client_for(world.clinician)
    address = url("course_book", case.pk, intervention.pk)
    page = html(client.post(address, {"time": ""}))
    assert "govuk-error-summary" in page
    for message in ("Enter the start time", "Choose how often the sessions are held", "Enter the number of sessions"):
        assert message in page
    form = {
        **date_fields("first_date", monday_in(3)),
        "start_time": "9.30am",
        "frequency": "weekly",
        "sessions": "3",
        "skip_dates": monday_in(4).strftime("%d/%m/%Y"),
        "duration_minutes": "50",
        "method": "in_person",
    }
    before = booked(intervention)
    page = html(client.post(address, form))
    assert 'data-testid="course-preview"' in page and "Book 3 sessions" in page
    assert booked(intervention) == before
    previewed = page.split('name="previewed" value="')[1].split('"')[0].replace("&#x27;", "'")
    # Changed after the preview: shown again, not booked.
    page = html(client.post(address, {**form, "sessions": "2", "confirm": "book", "previewed": previewed}))
    assert "The course changed since you previewed it" in page and booked(intervention) == before
    response = client.post(address, {**form, "confirm": "book", "previewed": previewed})
    assert response.status_code == 302
    new = [row for row in booked(intervention) if row not in before]
    assert [d for _n, d, _t in new] == [monday_in(3), monday_in(5), monday_in(6)]
    assert {t for _n, _d, t in new} == {dt.time(9, 30)}


def test_the_cancel_page_keeps_the_reason_in_the_session_history(world: World) -> None:
    case = old_case(world)
    intervention = accepted(world, case)
    plan(world, intervention)
    appointment = book(world, intervention, 1, days_ago(-3))
    client = client_for(world.clinician)
    address = url("appointment_cancel", case.pk, intervention.pk, appointment.pk)
    page = html(client.post(address, {"reason": ""}))
    assert "Give the reason for cancelling" in page and "Keep the appointment" in page
    assert client.post(address, {"reason": "She asked to move to evenings"}).status_code == 302
    page = html(client.get(url("session_detail", case.pk, intervention.pk, 1)))
    assert "She asked to move to evenings" in page and "Not scheduled" in page
    assert client.get(address).status_code == 404  # cancelled already
