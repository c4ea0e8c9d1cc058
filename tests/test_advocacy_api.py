"""The advocacy API: every endpoint's answer, its field errors, and the access log."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from advocacy import services
from advocacy.models import AdvocacyLead, ContactLogVersion, VictimNotice
from agencies.models import Role, User
from audit.models import AccessAction, AccessLog
from cases import services as case_services
from cases.models import Case
from notifications import services as notification_services
from notifications.models import Notification
from tests.advocacy_factories import contact_input, victim_id
from tests.case_factories import VICTIM_CODE_WORD, make_case
from tests.factories import World, make_user

pytestmark = pytest.mark.django_db


def api(user: User) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


def base(case: Case) -> str:
    return f"/api/v1/cases/{case.pk}/advocacy/"


def assigned_case(world: World) -> Case:
    case = make_case(world.triage_officer)
    services.advocate_assign(actor=world.advocate, case=case, advocate=world.advocate)
    return case


def last_log(user: User) -> AccessLog:
    return AccessLog.objects.filter(user=user).latest("id")


def test_overview(world: World) -> None:
    case = assigned_case(world)
    answer = api(world.advocate).get(base(case))
    assert answer.status_code == 200
    body = answer.json()
    assert body["reference"] == case.reference
    assert sorted(body["areas"]) == sorted(
        ["assignment", "contact", "safe_contact", "key_event", "needs", "outcomes", "safety_plan", "feedback"]
    )
    assert body["victims"] == [
        {"person_id": victim_id(case), "name": "Hannah Mills", "role_label": "Victim", "is_primary": True}
    ]
    assert body["advocates"][0]["current"]["advocate"]["id"] == world.advocate.pk
    assert body["safe_contacts"][0]["code_word"] == VICTIM_CODE_WORD
    assert body["recent_contacts"] == [] and body["untold"] == [] and body["needs"] == []
    assert last_log(world.advocate).record_type == "advocacy.case"


def test_assign_and_hand_over(world: World) -> None:
    case = make_case(world.triage_officer)
    second = make_user(world.advocacy, Role.ADVOCATE)
    client = api(world.triage_officer)
    first = client.post(f"{base(case)}advocates/", {"advocate": world.advocate.pk}, format="json")
    assert first.status_code == 201 and first.json()["advocate"]["id"] == world.advocate.pk
    missing = client.post(f"{base(case)}advocates/", {"advocate": second.pk}, format="json")
    assert missing.status_code == 400 and "handover_note" in missing.json()
    handed = client.post(
        f"{base(case)}advocates/", {"advocate": second.pk, "handover_note": "Over to you."}, format="json"
    )
    assert handed.status_code == 201 and handed.json()["handover_note"] == "Over to you."
    history = client.get(f"{base(case)}advocates/").json()
    assert [h["advocate"]["id"] for h in history[0]["history"]] == [second.pk, world.advocate.pk]
    assert history[0]["current"]["advocate"]["id"] == second.pk
    stranger = client.post(f"{base(case)}advocates/", {"advocate": 999999, "handover_note": "x"}, format="json")
    assert stranger.status_code == 400
    ended = client.post(f"{base(case)}advocates/end/", {"note": "Support complete."}, format="json")
    assert ended.status_code == 200 and ended.json()["end_note"] == "Support complete."
    # The new advocate was told in the app.
    assert Notification.objects.filter(recipient=second, subject=f"You are the advocate on case {case.reference}")


def test_contacts_log_and_versions(world: World) -> None:
    case = assigned_case(world)
    client = api(world.advocate)
    when = (timezone.now() - dt.timedelta(hours=2)).isoformat()
    created = client.post(
        f"{base(case)}contacts/",
        {
            "occurred_at": when,
            "channel": "phone",
            "direction": "from_victim",
            "topics": ["housing"],
            "summary": "Asked about a move.",
            "duration_minutes": 12,
            "next_contact_due": str(timezone.localdate()),
        },
        format="json",
    )
    assert created.status_code == 201, created.json()
    contact = created.json()
    assert (contact["channel"], contact["version"], contact["staff_member"]["id"]) == ("phone", 1, world.advocate.pk)
    bad = client.post(
        f"{base(case)}contacts/",
        {"occurred_at": when, "channel": "phone", "direction": "to_victim", "topics": [], "summary": ""},
        format="json",
    )
    assert bad.status_code == 400 and {"topics", "summary"} <= set(bad.json())
    changed = client.put(
        f"{base(case)}contacts/{contact['id']}/",
        {
            "occurred_at": when,
            "channel": "phone",
            "direction": "from_victim",
            "topics": ["housing", "finance"],
            "summary": "Asked about a move and rent arrears.",
            "duration_minutes": 12,
            "next_contact_due": str(timezone.localdate()),
            "reason": "Added the finance topic.",
        },
        format="json",
    )
    assert changed.status_code == 200, changed.json()
    detail = changed.json()
    assert detail["contact"]["version"] == 2
    assert [(v["number"], v["topics"], v["edit_reason"]) for v in detail["versions"]] == [
        (2, ["housing", "finance"], "Added the finance topic."),
        (1, ["housing"], ""),
    ]
    page = client.get(f"{base(case)}contacts/").json()
    assert [r["id"] for r in page["results"]] == [contact["id"]] and page["next"] is None
    assert last_log(world.advocate).record_ids == [str(contact["id"])]


def test_contact_log_pages_with_a_cursor(world: World) -> None:
    case = assigned_case(world)
    ids = [
        services.contact_record(
            actor=world.advocate, case=case, data=contact_input(occurred_at=timezone.now() - dt.timedelta(hours=h))
        ).pk
        for h in range(1, 56)
    ]
    client = api(world.advocate)
    first = client.get(f"{base(case)}contacts/").json()
    assert [r["id"] for r in first["results"]] == ids[:50]
    second = client.get(f"{base(case)}contacts/", {"cursor": first["next"]}).json()
    assert [r["id"] for r in second["results"]] == ids[50:] and second["next"] is None


def test_safe_contact(world: World) -> None:
    case = assigned_case(world)
    client = api(world.triage_officer)
    url = f"{base(case)}safe-contact/{victim_id(case)}/"
    assert client.get(url).json()["code_word"] == VICTIM_CODE_WORD
    put = client.put(
        url,
        {"safe_times": "After 6pm", "channels": ["email"], "no_voicemail": False, "code_word": "otter", "notes": ""},
        format="json",
    )
    assert put.status_code == 200
    assert {k: put.json()[k] for k in ("safe_times", "channels", "code_word", "recorded")} == {
        "safe_times": "After 6pm",
        "channels": ["email"],
        "code_word": "otter",
        "recorded": True,
    }
    assert client.get(f"{base(case)}safe-contact/999999/").status_code == 404


def test_needs(world: World) -> None:
    case = assigned_case(world)
    client = api(world.advocate)
    items = [{"domain": d, "level": "low"} for d in services.NeedsDomain.values]
    d = timezone.localdate()
    made = client.post(
        f"{base(case)}needs/",
        {"assessed_on": str(d), "review_on": str(d + dt.timedelta(days=14)), "items": items},
        format="json",
    )
    assert made.status_code == 201, made.json()
    assert len(made.json()["items"]) == 8
    short = client.post(
        f"{base(case)}needs/", {"assessed_on": str(d), "review_on": str(d), "items": items[:3]}, format="json"
    )
    assert short.status_code == 400 and "level_children" in short.json()
    twice = client.post(
        f"{base(case)}needs/", {"assessed_on": str(d), "review_on": str(d), "items": [*items, items[0]]}, format="json"
    )
    assert twice.status_code == 400 and "items" in twice.json()
    assert [a["id"] for a in client.get(f"{base(case)}needs/").json()] == [made.json()["id"]]


def test_safety_plan(world: World) -> None:
    case = assigned_case(world)
    client = api(world.triage_officer)
    made = client.post(
        f"{base(case)}safety-plan/measures/",
        {"kind": "cctv", "owner_agency": world.police.pk, "details": "Doorbell camera"},
        format="json",
    )
    assert made.status_code == 201 and made.json()["status"] == "proposed"
    measure = made.json()["id"]
    wrong = client.patch(f"{base(case)}safety-plan/measures/{measure}/", {"status": "ended"}, format="json")
    assert wrong.status_code == 400 and wrong.json() == {"status": ["A measure that is proposed cannot become ended"]}
    d = timezone.localdate()
    moved = client.patch(
        f"{base(case)}safety-plan/measures/{measure}/",
        {"status": "in_place", "on": str(d), "review_on": str(d + dt.timedelta(days=9))},
        format="json",
    )
    assert moved.status_code == 200
    assert (moved.json()["status"], moved.json()["in_place_on"]) == ("in_place", str(d))
    cleared = client.patch(f"{base(case)}safety-plan/measures/{measure}/", {"review_on": None}, format="json")
    assert cleared.json()["review_on"] is None
    reviewed = client.post(
        f"{base(case)}safety-plan/reviews/",
        {"reviewed_on": str(d), "summary": "Working.", "next_review_on": str(d + dt.timedelta(days=7))},
        format="json",
    )
    assert reviewed.status_code == 201
    plans = client.get(f"{base(case)}safety-plan/").json()
    assert plans[0]["review_on"] == str(d + dt.timedelta(days=7))
    assert [m["kind"] for m in plans[0]["measures"]] == ["cctv"] and len(plans[0]["reviews"]) == 1
    other_agency = client.post(
        f"{base(case)}safety-plan/measures/", {"kind": "alarm", "owner_agency": 999999}, format="json"
    )
    assert other_agency.status_code == 400 and "owner_agency" in other_agency.json()


def test_key_events_and_telling(world: World) -> None:
    case = assigned_case(world)
    d = timezone.localdate()
    recorded = api(world.triage_officer).post(
        f"{base(case)}key-events/",
        {"kind": "court_date", "occurs_on": str(d + dt.timedelta(days=20)), "details": "Magistrates, 10:00"},
        format="json",
    )
    assert recorded.status_code == 201
    listed = api(world.advocate).get(f"{base(case)}key-events/").json()
    assert listed[0]["kind"] == "court_date" and listed[0]["notices"][0]["told_at"] is None
    notice_id = listed[0]["notices"][0]["id"]
    told = api(world.advocate).post(
        f"{base(case)}key-events/notices/{notice_id}/told/",
        {
            "told_at": timezone.now().isoformat(),
            "method": "in_person",
            "note": "At the office.",
            "unsafe_method_reason": "She came to the office unannounced.",
        },
        format="json",
    )
    assert told.status_code == 200 and told.json()["told_method"] == "in_person"
    again = api(world.advocate).post(
        f"{base(case)}key-events/notices/{notice_id}/told/",
        {"told_at": timezone.now().isoformat(), "method": "phone"},
        format="json",
    )
    assert again.status_code == 400
    too_far = api(world.triage_officer).post(
        f"{base(case)}key-events/", {"kind": "charge", "occurs_on": "2099-01-01"}, format="json"
    )
    assert too_far.status_code == 400 and "occurs_on" in too_far.json()
    assert VictimNotice.objects.get(pk=notice_id).told_by == world.advocate


def test_feedback_and_summary(world: World) -> None:
    case = assigned_case(world)
    client = api(world.advocate)
    early = client.put(
        f"{base(case)}feedback/", {"collected_on": str(timezone.localdate()), "feels_safer": 4}, format="json"
    )
    assert early.status_code == 400 and "collected_on" in early.json()
    for target in ("awaiting_triage", "accepted", "active", "monitoring"):
        case = case_services.case_transition(actor=world.triage_officer, case=case, to_status=target)
    saved = client.put(
        f"{base(case)}feedback/",
        {"collected_on": str(timezone.localdate()), "feels_safer": 4, "overall_satisfaction": 2},
        format="json",
    )
    assert saved.status_code == 200 and saved.json()["feels_safer"] == 4
    out_of_scale = client.put(
        f"{base(case)}feedback/", {"collected_on": str(timezone.localdate()), "coping": 9}, format="json"
    )
    assert out_of_scale.status_code == 400 and "coping" in out_of_scale.json()
    rows = client.get(f"{base(case)}feedback/").json()
    assert rows[0]["open"] is True and rows[0]["feedback"]["overall_satisfaction"] == 2
    summary = api(world.programme_manager).get("/api/v1/advocacy/feedback/summary/").json()
    assert summary["collected"] == 1
    satisfaction = next(q for q in summary["questions"] if q["question"] == "overall_satisfaction")
    assert [c["count"] for c in satisfaction["counts"]] == [0, 1, 0, 0, 0] and satisfaction["positive_percent"] == 0.0
    future = (
        api(world.programme_manager)
        .get("/api/v1/advocacy/feedback/summary/", {"start": str(timezone.localdate() + dt.timedelta(days=1))})
        .json()
    )
    assert future["collected"] == 0


def test_settings_and_leads(world: World) -> None:
    client = api(world.admin)
    assert client.get("/api/v1/advocacy/settings/").json() == {
        "tell_victim_within_hours": 24,
        "review_reminder_days": 3,
        "leads": [],
    }
    changed = client.put(
        "/api/v1/advocacy/settings/", {"tell_victim_within_hours": 8, "review_reminder_days": 2}, format="json"
    )
    assert changed.status_code == 200 and changed.json()["tell_victim_within_hours"] == 8
    bad = client.put(
        "/api/v1/advocacy/settings/", {"tell_victim_within_hours": 500, "review_reminder_days": 2}, format="json"
    )
    assert bad.status_code == 400 and "tell_victim_within_hours" in bad.json()
    lead = client.post("/api/v1/advocacy/settings/leads/", {"user": world.advocate.pk}, format="json")
    assert lead.status_code == 201 and lead.json()["agency"]["id"] == world.advocacy.pk
    not_advocacy = client.post("/api/v1/advocacy/settings/leads/", {"user": world.triage_officer.pk}, format="json")
    assert not_advocacy.status_code == 400
    assert client.delete(f"/api/v1/advocacy/settings/leads/{lead.json()['id']}/").status_code == 204
    assert not AdvocacyLead.objects.exists()


def test_notifications_api(world: World) -> None:
    first = notification_services.notify(world.clinician, "A general alert", "Nothing about a victim.", "/cases/")
    notification_services.notify(world.clinician, "Another")
    notification_services.notify(world.advocate, "Not yours")
    assert first is not None
    client = api(world.clinician)
    inbox = client.get("/api/v1/notifications/").json()
    assert inbox["unread"] == 2 and [n["subject"] for n in inbox["results"]] == ["Another", "A general alert"]
    read = client.post(f"/api/v1/notifications/{first.pk}/read/")
    assert read.status_code == 200 and read.json()["read_at"] is not None
    theirs = Notification.objects.get(subject="Not yours")
    assert client.post(f"/api/v1/notifications/{theirs.pk}/read/").status_code == 404
    assert client.post("/api/v1/notifications/read/").json() == {"marked": 1}


def test_an_api_change_writes_the_access_log(world: World) -> None:
    case = assigned_case(world)
    entry = services.contact_record(actor=world.advocate, case=case, data=contact_input())
    log = AccessLog.objects.filter(user=world.advocate, record_type="advocacy.contactlogentry").latest("id")
    assert (log.action, log.record_ids) == (AccessAction.CREATE, [str(entry.pk)])
    assert ContactLogVersion.objects.filter(entry=entry).count() == 1


def test_schema_lists_the_advocacy_endpoints(world: World) -> None:
    schema: Any = api(world.advocate).get("/api/v1/schema/", {"format": "json"}).json()
    paths = set(schema["paths"])
    assert "/api/v1/cases/{case_id}/advocacy/contacts/{contact_id}/" in paths
    assert "/api/v1/notifications/" in paths
    assert "/api/v1/cases/{case_id}/advocacy/key-events/notices/{notice_id}/told/" in paths
