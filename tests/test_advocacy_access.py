"""Who reaches victim advocacy: every page and endpoint, by agency, against the sharing agreement.

Probation (victim identity only, by default) and health (no victim class) get 404 on
every page and endpoint, whatever the method, and nothing of the app appears on any
page or answer they do see. The one exception is deliberate and tested: probation, like
the police, records key events, a write that answers with the event alone.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from advocacy.models import (
    AdvocateAssignment,
    ContactLogEntry,
    KeyEvent,
    NeedsAssessment,
    SafetyMeasure,
    SafetyPlanReview,
    VictimFeedback,
    VictimNotice,
)
from agencies.models import AgencyKind, RecordClass, SharingRule, User
from cases.models import SafeContactPreference
from notifications.models import Notification
from tests.advocacy_factories import MARKERS, AdvocacyCase, full_advocacy_case
from tests.factories import World

pytestmark = pytest.mark.django_db


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def api_for(user: User) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


def page_urls(a: AdvocacyCase) -> list[str]:
    c = a.case.pk
    return [
        reverse("advocacy:case_advocacy", args=[c]),
        reverse("advocacy:assignment", args=[c]),
        reverse("advocacy:contact_log", args=[c]),
        reverse("advocacy:contact_add", args=[c]),
        reverse("advocacy:contact_detail", args=[c, a.contact.pk]),
        reverse("advocacy:contact_edit", args=[c, a.contact.pk]),
        reverse("advocacy:safe_contact_edit", args=[c, a.person_id]),
        reverse("advocacy:needs", args=[c]),
        reverse("advocacy:needs_add", args=[c]),
        reverse("advocacy:safety_plan", args=[c]),
        reverse("advocacy:measure_add", args=[c]),
        reverse("advocacy:measure_edit", args=[c, a.measure.pk]),
        reverse("advocacy:review_add", args=[c]),
        reverse("advocacy:key_events", args=[c]),
        reverse("advocacy:notice_told", args=[c, a.notice.pk]),
        reverse("advocacy:feedback", args=[c]),
        reverse("advocacy:feedback_summary"),
        reverse("advocacy:settings"),
    ]


def api_calls(a: AdvocacyCase) -> list[tuple[str, str]]:
    base = f"/api/v1/cases/{a.case.pk}/advocacy/"
    return [
        ("get", base),
        ("get", f"{base}advocates/"),
        ("post", f"{base}advocates/"),
        ("post", f"{base}advocates/end/"),
        ("get", f"{base}contacts/"),
        ("post", f"{base}contacts/"),
        ("get", f"{base}contacts/{a.contact.pk}/"),
        ("put", f"{base}contacts/{a.contact.pk}/"),
        ("get", f"{base}safe-contact/{a.person_id}/"),
        ("put", f"{base}safe-contact/{a.person_id}/"),
        ("get", f"{base}needs/"),
        ("post", f"{base}needs/"),
        ("get", f"{base}safety-plan/"),
        ("post", f"{base}safety-plan/measures/"),
        ("patch", f"{base}safety-plan/measures/{a.measure.pk}/"),
        ("post", f"{base}safety-plan/reviews/"),
        ("get", f"{base}key-events/"),
        ("post", f"{base}key-events/notices/{a.notice.pk}/told/"),
        ("get", f"{base}feedback/"),
        ("put", f"{base}feedback/"),
        ("get", "/api/v1/advocacy/feedback/summary/"),
        ("get", "/api/v1/advocacy/settings/"),
        ("put", "/api/v1/advocacy/settings/"),
        ("post", "/api/v1/advocacy/settings/leads/"),
    ]


# Valid bodies, so a refusal is the access rule and not bad input.
def api_body(a: AdvocacyCase, world: World) -> dict[str, Any]:
    return {
        "advocate": world.advocate.pk,
        "handover_note": "x",
        "note": "x",
        "occurred_at": "2026-01-05T10:00:00Z",
        "channel": "phone",
        "direction": "to_victim",
        "topics": ["housing"],
        "summary": "x",
        "reason": "x",
        "channels": ["phone"],
        "assessed_on": "2026-01-05",
        "review_on": "2026-02-05",
        "items": [{"domain": "safety", "level": "low"}],
        "kind": "alarm",
        "owner_agency": world.police.pk,
        "reviewed_on": "2026-01-05",
        "told_at": "2026-01-05T10:00:00Z",
        "method": "phone",
        "collected_on": "2026-01-05",
        "feels_safer": 3,
        "tell_victim_within_hours": 12,
        "review_reminder_days": 2,
        "user": world.advocate.pk,
    }


def counts() -> tuple[int, ...]:
    return tuple(
        m.objects.count()
        for m in (
            AdvocateAssignment,
            ContactLogEntry,
            NeedsAssessment,
            SafetyMeasure,
            SafetyPlanReview,
            KeyEvent,
            VictimNotice,
            VictimFeedback,
            SafeContactPreference,
        )
    )


def assert_no_marker(text: str) -> None:
    found = [m for m in MARKERS if m in text]
    assert not found, f"advocacy data leaked: {found}"


@pytest.fixture
def adv(world: World) -> AdvocacyCase:
    return full_advocacy_case(world)


# --- probation and health: 404 everywhere -------------------------------------------------------------------


@pytest.mark.parametrize("role", ["probation_practitioner", "clinician"])
def test_probation_and_health_get_404_on_every_page(world: World, adv: AdvocacyCase, role: str) -> None:
    client = client_for(getattr(world, role))
    before = counts()
    for url in page_urls(adv):
        assert client.get(url).status_code == 404, url
        assert client.post(url, {"action": "assign"}).status_code == 404, url
    # Notification actions answer 404 on another's notification.
    other = Notification.objects.filter(recipient=world.advocate).first()
    assert other is not None
    assert client.post(reverse("notifications:open", args=[other.pk])).status_code == 404
    assert client.post(reverse("notifications:read", args=[other.pk])).status_code == 404
    assert counts() == before


@pytest.mark.parametrize("role", ["probation_practitioner", "clinician"])
def test_probation_and_health_get_404_on_every_endpoint(world: World, adv: AdvocacyCase, role: str) -> None:
    client = api_for(getattr(world, role))
    before = counts()
    body = api_body(adv, world)
    for method, url in api_calls(adv):
        response = getattr(client, method)(url, body, format="json") if method != "get" else client.get(url)
        assert response.status_code == 404, (method, url, response.status_code)
    assert counts() == before


def test_health_cannot_record_a_key_event(world: World, adv: AdvocacyCase) -> None:
    url = reverse("advocacy:key_event_add", args=[adv.case.pk])
    client = client_for(world.clinician)
    before = KeyEvent.objects.count()
    assert client.get(url).status_code == 404
    assert client.post(url, {"kind": "charge"}).status_code == 404
    response = api_for(world.clinician).post(
        f"/api/v1/cases/{adv.case.pk}/advocacy/key-events/",
        {"kind": "charge", "occurs_on": "2026-01-05"},
        format="json",
    )
    assert response.status_code == 404
    assert KeyEvent.objects.count() == before


def test_probation_records_a_key_event_and_sees_nothing_of_the_victim(world: World, adv: AdvocacyCase) -> None:
    client = client_for(world.probation_practitioner)
    url = reverse("advocacy:key_event_add", args=[adv.case.pk])
    form = client.get(url)
    assert form.status_code == 200
    assert_no_marker(form.content.decode())
    assert "Hannah Mills" not in form.content.decode()
    today = dt.date.today()
    response = client.post(
        url,
        {
            "kind": "bail_change",
            "occurs_on_day": today.day,
            "occurs_on_month": today.month,
            "occurs_on_year": today.year,
            "details": "Bail varied: curfew lifted.",
        },
    )
    # Back to the case overview: the key-event list is not probation's to see.
    assert response.status_code == 302 and response["Location"] == reverse("cases:case_detail", args=[adv.case.pk])
    event = KeyEvent.objects.latest("id")
    assert (event.kind, event.recorded_by, event.source) == ("bail_change", world.probation_practitioner, "recorded")
    api = api_for(world.probation_practitioner).post(
        f"/api/v1/cases/{adv.case.pk}/advocacy/key-events/",
        {"kind": "sentence", "occurs_on": str(today)},
        format="json",
    )
    assert api.status_code == 201
    assert set(api.json()) == {"id", "kind", "kind_label", "occurs_on", "details", "raised_from", "recorded_at"}


@pytest.mark.parametrize("role", ["probation_practitioner", "clinician"])
def test_nothing_of_the_app_appears_elsewhere_for_probation_and_health(
    world: World, adv: AdvocacyCase, role: str
) -> None:
    user = getattr(world, role)
    client = client_for(user)
    case_page = client.get(reverse("cases:case_detail", args=[adv.case.pk]))
    assert case_page.status_code == 200
    html = case_page.content.decode()
    assert_no_marker(html)
    assert 'data-testid="advocacy-card"' not in html
    assert f'href="{reverse("advocacy:case_advocacy", args=[adv.case.pk])}"' not in html
    # Probation's only way in is the key-event form; health has none.
    assert (reverse("advocacy:key_event_add", args=[adv.case.pk]) in html) == (role == "probation_practitioner")
    api = api_for(user)
    answer = api.get(f"/api/v1/cases/{adv.case.pk}/")
    assert answer.status_code == 200
    assert_no_marker(answer.content.decode())
    for url in (reverse("cases:caseload"), reverse("home"), reverse("notifications:inbox")):
        page = client.get(url)
        assert page.status_code == 200
        assert_no_marker(page.content.decode())
    person = client.get(reverse("people:person_detail", args=[adv.person_id]))
    assert_no_marker(person.content.decode())
    inbox = api.get("/api/v1/notifications/")
    assert inbox.status_code == 200 and inbox.json()["results"] == []


# --- the agreement decides, not the agency's name -----------------------------------------------------------


def test_an_agreement_that_shares_victim_location_with_probation_opens_those_parts(
    world: World, adv: AdvocacyCase
) -> None:
    SharingRule.objects.create(
        agreement=world.partnership.sharing_agreement,
        agency_kind=AgencyKind.PROBATION,
        record_class=RecordClass.VICTIM_LOCATION,
    )
    client = client_for(world.probation_practitioner)
    log = client.get(reverse("advocacy:contact_log", args=[adv.case.pk]))
    assert log.status_code == 200 and "contact-marker-saffron" in log.content.decode()
    assert client.get(reverse("advocacy:key_events", args=[adv.case.pk])).status_code == 200
    # Safety plans stay withheld (no safety_plan class); safe contact follows victim_location, as on the case page.
    assert client.get(reverse("advocacy:safety_plan", args=[adv.case.pk])).status_code == 404
    assert client.get(reverse("advocacy:safe_contact_edit", args=[adv.case.pk, adv.person_id])).status_code == 200
    overview = client.get(reverse("advocacy:case_advocacy", args=[adv.case.pk])).content.decode()
    assert 'data-testid="recent-contacts"' in overview
    assert "codeword-marker-juniper" in overview and "Alarm" not in overview
    # Seeing is not writing: the contact log is the advocacy service's.
    assert client.get(reverse("advocacy:contact_add", args=[adv.case.pk])).status_code == 404


def test_police_without_the_safety_plan_class_lose_the_plan_only(world: World, adv: AdvocacyCase) -> None:
    SharingRule.objects.filter(
        agreement=world.partnership.sharing_agreement,
        agency_kind=AgencyKind.POLICE,
        record_class=RecordClass.SAFETY_PLAN,
    ).delete()
    client = client_for(world.triage_officer)
    assert client.get(reverse("advocacy:safety_plan", args=[adv.case.pk])).status_code == 404
    assert client.get(reverse("advocacy:needs", args=[adv.case.pk])).status_code == 404
    assert client.get(reverse("advocacy:feedback", args=[adv.case.pk])).status_code == 404
    assert client.get(reverse("advocacy:contact_log", args=[adv.case.pk])).status_code == 200
    overview = api_for(world.triage_officer).get(f"/api/v1/cases/{adv.case.pk}/advocacy/").json()
    assert overview["safety_plans"] is None and overview["needs"] is None
    assert overview["recent_contacts"] is not None


# --- other scopes -------------------------------------------------------------------------------------------


def test_another_partnership_gets_404_everywhere(world: World, other_world: World, adv: AdvocacyCase) -> None:
    client = client_for(other_world.advocate)
    for url in page_urls(adv)[:-2]:
        assert client.get(url).status_code == 404, url
    assert client.get(reverse("advocacy:key_event_add", args=[adv.case.pk])).status_code == 404
    api = api_for(other_world.advocate)
    for method, url in api_calls(adv)[:-4]:
        response = getattr(api, method)(url, api_body(adv, world), format="json") if method != "get" else api.get(url)
        assert response.status_code == 404, (method, url)


def test_a_case_not_shared_with_the_advocacy_service_is_404(world: World, adv: AdvocacyCase) -> None:
    from cases import services as case_services

    case_services.case_share_remove(
        actor=world.triage_officer, case=adv.case, agency=world.advocacy, reason="Victim declined advocacy."
    )
    client = client_for(world.advocate)
    assert client.get(reverse("advocacy:case_advocacy", args=[adv.case.pk])).status_code == 404
    assert api_for(world.advocate).get(f"/api/v1/cases/{adv.case.pk}/advocacy/contacts/").status_code == 404


POLICE_WRITE_REFUSED: list[tuple[str, Callable[[AdvocacyCase], str]]] = [
    ("contact_add", lambda a: reverse("advocacy:contact_add", args=[a.case.pk])),
    ("contact_edit", lambda a: reverse("advocacy:contact_edit", args=[a.case.pk, a.contact.pk])),
    ("needs_add", lambda a: reverse("advocacy:needs_add", args=[a.case.pk])),
]


@pytest.mark.parametrize(("name", "url"), POLICE_WRITE_REFUSED)
def test_police_read_but_do_not_write_the_advocates_records(
    world: World, adv: AdvocacyCase, name: str, url: Callable[[AdvocacyCase], str]
) -> None:
    client = client_for(world.triage_officer)
    assert client.get(url(adv)).status_code == 404
    before = counts()
    assert client.post(url(adv), {}).status_code == 404
    assert counts() == before


def test_police_may_not_mark_a_victim_told_or_record_feedback(world: World, adv: AdvocacyCase) -> None:
    client = client_for(world.triage_officer)
    page = client.get(reverse("advocacy:notice_told", args=[adv.case.pk, adv.notice.pk]))
    assert page.status_code == 200 and "Record that the victim was told" not in page.content.decode()
    assert client.post(reverse("advocacy:notice_told", args=[adv.case.pk, adv.notice.pk]), {}).status_code == 404
    assert client.post(reverse("advocacy:feedback", args=[adv.case.pk]), {}).status_code == 404
    api = api_for(world.triage_officer)
    told = api.post(
        f"/api/v1/cases/{adv.case.pk}/advocacy/key-events/notices/{adv.notice.pk}/told/",
        {"told_at": "2026-01-05T10:00:00Z", "method": "phone"},
        format="json",
    )
    assert told.status_code == 404
    adv.notice.refresh_from_db()
    assert adv.notice.told_at is None


def test_police_see_and_change_safe_contact_and_the_safety_plan(world: World, adv: AdvocacyCase) -> None:
    client = client_for(world.triage_officer)
    assert client.get(reverse("advocacy:safe_contact_edit", args=[adv.case.pk, adv.person_id])).status_code == 200
    assert client.get(reverse("advocacy:measure_add", args=[adv.case.pk])).status_code == 200
    assert client.get(reverse("advocacy:measure_edit", args=[adv.case.pk, adv.measure.pk])).status_code == 200


def test_settings_are_for_partnership_admins_only(world: World) -> None:
    for role in ("advocate", "triage_officer", "programme_manager", "probation_practitioner", "clinician"):
        assert client_for(getattr(world, role)).get(reverse("advocacy:settings")).status_code == 404, role
    assert client_for(world.admin).get(reverse("advocacy:settings")).status_code == 200


def test_every_staff_member_has_a_notifications_page_in_the_header(world: World) -> None:
    for role in ("advocate", "triage_officer", "clinician", "probation_practitioner", "programme_manager", "admin"):
        html = client_for(getattr(world, role)).get(reverse("home")).content.decode()
        assert f'href="{reverse("notifications:inbox")}">Notifications<' in html, role


def test_signed_out_gets_no_page_and_401_from_the_api(world: World, adv: AdvocacyCase) -> None:
    anonymous = Client()
    response = anonymous.get(reverse("advocacy:case_advocacy", args=[adv.case.pk]))
    assert response.status_code in (302, 404)
    assert APIClient().get(f"/api/v1/cases/{adv.case.pk}/advocacy/").status_code == 401
    assert APIClient().get("/api/v1/notifications/").status_code == 401


# --- the page and the API read through one function, logged once ---------------------------------------------


def test_each_page_and_endpoint_writes_one_access_log_row_of_its_record_type(world: World, adv: AdvocacyCase) -> None:
    from audit.models import AccessAction, AccessLog

    c = adv.case.pk
    base = f"/api/v1/cases/{c}/advocacy/"
    reads = [
        ("advocacy.case", reverse("advocacy:case_advocacy", args=[c]), base),
        ("advocacy.advocateassignment", reverse("advocacy:assignment", args=[c]), f"{base}advocates/"),
        ("advocacy.contactlogentry", reverse("advocacy:contact_log", args=[c]), f"{base}contacts/"),
        (
            "advocacy.contactlogentry",
            reverse("advocacy:contact_detail", args=[c, adv.contact.pk]),
            f"{base}contacts/{adv.contact.pk}/",
        ),
        (
            "cases.safecontactpreference",
            reverse("advocacy:safe_contact_edit", args=[c, adv.person_id]),
            f"{base}safe-contact/{adv.person_id}/",
        ),
        ("advocacy.needsassessment", reverse("advocacy:needs", args=[c]), f"{base}needs/"),
        ("advocacy.safetyplan", reverse("advocacy:safety_plan", args=[c]), f"{base}safety-plan/"),
        ("advocacy.keyevent", reverse("advocacy:key_events", args=[c]), f"{base}key-events/"),
        ("advocacy.victimfeedback", reverse("advocacy:feedback", args=[c]), f"{base}feedback/"),
    ]
    page_client, api = client_for(world.advocate), api_for(world.advocate)
    for record_type, page_url, api_url in reads:
        for get in (page_client.get, api.get):
            last = AccessLog.objects.latest("id").pk
            url = page_url if get == page_client.get else api_url
            assert get(url).status_code == 200, url
            rows = AccessLog.objects.filter(pk__gt=last)
            assert [(r.action, r.record_type) for r in rows] == [(AccessAction.VIEW, record_type)], url
