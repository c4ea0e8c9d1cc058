"""The advocacy pages: each form with and without JavaScript, the quick add from the case page,
safe contact before every contact action, the access log, and pinned query counts."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from advocacy import services
from advocacy.models import (
    AdvocacyLead,
    AdvocacySettings,
    AdvocateAssignment,
    ContactLogEntry,
    KeyEvent,
    NeedsAssessment,
    SafetyMeasure,
    SafetyPlanReview,
    VictimFeedback,
    VictimNotice,
)
from advocacy.views import case_card
from agencies.models import Role, User
from audit.models import AccessAction, AccessLog
from cases import services as case_services
from cases.models import Case, SafeContactPreference
from notifications import services as notification_services
from notifications.models import Notification
from tests.advocacy_factories import CODE_WORD, contact_input, full_advocacy_case, victim_id
from tests.case_factories import VICTIM_CODE_WORD, make_case
from tests.factories import World, make_user

pytestmark = pytest.mark.django_db


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def assigned_case(world: World) -> Case:
    case = make_case(world.triage_officer)
    services.advocate_assign(actor=world.advocate, case=case, advocate=world.advocate)
    return case


def date_fields(name: str, day: dt.date) -> dict[str, str]:
    return {f"{name}_day": str(day.day), f"{name}_month": str(day.month), f"{name}_year": str(day.year)}


def contact_post(overrides: dict[str, Any] | None = None, prefix: str = "contact-") -> dict[str, Any]:
    when = timezone.localtime() - dt.timedelta(hours=1)
    data: dict[str, Any] = {
        **date_fields(f"{prefix}occurred_on", when.date()),
        f"{prefix}occurred_time": f"{when:%H:%M}",
        f"{prefix}channel": "phone",
        f"{prefix}direction": "to_victim",
        f"{prefix}duration_minutes": "25",
        f"{prefix}topics": ["safety_planning", "court_support"],
        f"{prefix}summary": "Talked through the bail conditions.",
    }
    data.update(overrides or {})
    return data


# --- the case page's card and its quick add -----------------------------------------------------------------


def test_the_card_is_for_advocacy_staff_only(world: World) -> None:
    case = assigned_case(world)
    html = client_for(world.advocate).get(reverse("cases:case_detail", args=[case.pk])).content.decode()
    assert 'data-testid="advocacy-card"' in html and 'data-testid="quick-contact"' in html
    for role in ("triage_officer", "probation_practitioner", "clinician"):
        other = client_for(getattr(world, role)).get(reverse("cases:case_detail", args=[case.pk])).content.decode()
        assert 'data-testid="advocacy-card"' not in other, role


def test_quick_add_with_htmx_swaps_the_card(world: World) -> None:
    case = assigned_case(world)
    url = reverse("advocacy:contact_add", args=[case.pk])
    response = client_for(world.advocate).post(
        url, {**contact_post(), "origin": "card", "contact-victim": victim_id(case)}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith('<div class="govuk-summary-card" id="advocacy-card"')
    assert "Contact logged" in html and '<dd class="govuk-summary-list__value">1, last on' in html
    entry = ContactLogEntry.objects.get(case=case)
    assert entry.topics == ["safety_planning", "court_support"] and entry.duration_minutes == 25


def test_quick_add_with_htmx_shows_errors_in_the_card(world: World) -> None:
    case = assigned_case(world)
    response = client_for(world.advocate).post(
        reverse("advocacy:contact_add", args=[case.pk]),
        {**contact_post({"contact-topics": []}), "origin": "card"},
        HTTP_HX_REQUEST="true",
    )
    html = response.content.decode()
    assert response.status_code == 200 and "Choose at least one topic" in html
    assert 'data-testid="quick-contact" open' in html
    assert not ContactLogEntry.objects.exists()


def test_quick_add_without_javascript_returns_to_the_case_page(world: World) -> None:
    case = assigned_case(world)
    client = client_for(world.advocate)
    response = client.post(reverse("advocacy:contact_add", args=[case.pk]), {**contact_post(), "origin": "card"})
    assert response.status_code == 302
    assert response["Location"] == reverse("cases:case_detail", args=[case.pk]) + "#advocacy-card"
    assert ContactLogEntry.objects.filter(case=case).count() == 1
    # Invalid without JavaScript: the full form page, with the error summary.
    bad = client.post(
        reverse("advocacy:contact_add", args=[case.pk]), {**contact_post({"contact-summary": ""}), "origin": "card"}
    )
    assert bad.status_code == 200
    assert "There is a problem" in bad.content.decode() and "Enter a summary" in bad.content.decode()


def test_the_card_costs_six_queries(world: World, django_assert_num_queries: Any) -> None:
    case = assigned_case(world)
    for _ in range(3):
        services.contact_record(actor=world.advocate, case=case, data=contact_input())
    advocate = User.objects.select_related("agency").get(pk=world.advocate.pk)
    case_card(advocate, case)  # the sharing agreement, memoised on the user
    # Victims, the per-person rule over them (people_classes), advocates, the latest contact, notices, measures.
    with django_assert_num_queries(6):
        card = case_card(advocate, case)
    assert card is not None and card["contact_count"] == 3


# --- safe contact before every contact action ---------------------------------------------------------------


def test_safe_contact_comes_before_every_contact_action(world: World) -> None:
    case = assigned_case(world)
    notice = VictimNotice.objects.get(
        key_event=services.key_event_record(
            actor=world.triage_officer, case=case, data=services.KeyEventInput(kind="charge", occurs_on=dt.date.today())
        )
    )
    client = client_for(world.advocate)
    pages = [
        reverse("cases:case_detail", args=[case.pk]),
        reverse("advocacy:contact_add", args=[case.pk]),
        reverse("advocacy:notice_told", args=[case.pk, notice.pk]),
    ]
    for url in pages:
        html = client.get(url).content.decode()
        form_at = html.index('name="contact-summary"') if "contact-summary" in html else html.index('name="method"')
        assert VICTIM_CODE_WORD in html, url
        assert html.index('data-testid="safe-contact"') < form_at, url
        assert "Do not leave voicemail" in html[:form_at]


def test_safe_contact_preferences_are_edited_by_advocacy_and_police(world: World) -> None:
    case = assigned_case(world)
    url = reverse("advocacy:safe_contact_edit", args=[case.pk, victim_id(case)])
    page = client_for(world.triage_officer).get(url)
    assert page.status_code == 200 and VICTIM_CODE_WORD in page.content.decode()
    response = client_for(world.advocate).post(
        url, {"safe_times": "Mornings", "channels": ["text"], "code_word": CODE_WORD, "notes": ""}
    )
    assert response.status_code == 302
    pref = SafeContactPreference.objects.get(person_id=victim_id(case))
    assert (pref.safe_times, pref.channels, pref.no_voicemail, pref.code_word) == (
        "Mornings",
        ["text"],
        False,
        CODE_WORD,
    )
    entry = AccessLog.objects.filter(user=world.advocate, record_type="cases.safecontactpreference").latest("id")
    assert entry.action == AccessAction.CHANGE


# --- the section's pages ------------------------------------------------------------------------------------


def test_the_overview_shows_what_the_user_may_see_and_logs_the_view(world: World) -> None:
    adv = full_advocacy_case(world)
    response = client_for(world.advocate).get(reverse("advocacy:case_advocacy", args=[adv.case.pk]))
    html = response.content.decode()
    assert response.status_code == 200
    assert 'data-testid="untold-banner"' in html and "Release from custody" in html
    assert 'data-testid="recent-contacts"' in html and "Alarm" in html and CODE_WORD in html
    assert 'aria-current="page" href="/advocacy/cases/' in html  # the case sub-navigation marks the section
    entry = AccessLog.objects.filter(user=world.advocate, record_type="advocacy.case").latest("id")
    assert entry.record_ids == [str(adv.case.pk)] and entry.action == AccessAction.VIEW


def test_handover_page(world: World) -> None:
    case = assigned_case(world)
    second = make_user(world.advocacy, Role.ADVOCATE, first_name="Bea", last_name="Second")
    client = client_for(world.advocate)
    url = reverse("advocacy:assignment", args=[case.pk])
    missing = client.post(url, {"action": "assign", "assign-advocate": second.pk, "assign-victim": victim_id(case)})
    assert missing.status_code == 200 and "Write a handover note for the new advocate" in missing.content.decode()
    done = client.post(
        url, {"action": "assign", "assign-advocate": second.pk, "assign-handover_note": "Court on the 3rd."}
    )
    assert done.status_code == 302
    current = AdvocateAssignment.objects.get(case=case, ended_at__isnull=True)
    assert (current.advocate, current.handover_note) == (second, "Court on the 3rd.")
    history = client.get(url).content.decode()
    assert "Court on the 3rd." in history and history.count("moj-timeline__item") == 2
    ended = client.post(url, {"action": "end", "end-note": "Victim moved to another area."})
    assert ended.status_code == 302 and not AdvocateAssignment.objects.filter(ended_at__isnull=True).exists()


def test_contact_edit_keeps_versions_on_the_page(world: World) -> None:
    case = assigned_case(world)
    entry = services.contact_record(actor=world.advocate, case=case, data=contact_input(summary="Before the edit."))
    client = client_for(world.advocate)
    edit_url = reverse("advocacy:contact_edit", args=[case.pk, entry.pk])
    form = client.get(edit_url).content.decode()
    assert "Before the edit." in form and VICTIM_CODE_WORD in form
    response = client.post(
        edit_url, {**contact_post({"contact-summary": "After the edit."}), "contact-reason": "Typo in the summary."}
    )
    assert response.status_code == 302
    detail = client.get(reverse("advocacy:contact_detail", args=[case.pk, entry.pk])).content.decode()
    assert detail.count('data-testid="contact-version"') == 2
    assert detail.index("After the edit.") < detail.index("Before the edit.")
    assert "Typo in the summary." in detail
    log = client.get(reverse("advocacy:contact_log", args=[case.pk])).content.decode()
    assert "After the edit." in log and "Changed: see 2 versions" in log


def test_needs_page_and_form(world: World) -> None:
    case = assigned_case(world)
    client = client_for(world.advocate)
    d = dt.date.today()
    data = {**date_fields("assessed_on", d), **date_fields("review_on", d + dt.timedelta(days=30))}
    data.update({f"level_{domain}": "medium" for domain in services.NeedsDomain.values})
    data["level_housing"] = "high"
    data["notes_housing"] = "Landlord knows the perpetrator."
    response = client.post(reverse("advocacy:needs_add", args=[case.pk]), data)
    assert response.status_code == 302
    assessment = NeedsAssessment.objects.get(case=case)
    assert assessment.items.get(domain="housing").level == "high"
    page = client.get(reverse("advocacy:needs", args=[case.pk])).content.decode()
    assert "Landlord knows the perpetrator." in page
    incomplete = client.post(reverse("advocacy:needs_add", args=[case.pk]), {**data, "level_children": ""})
    assert "Choose the level of need for children" in incomplete.content.decode()


def test_safety_plan_pages(world: World) -> None:
    case = assigned_case(world)
    client = client_for(world.triage_officer)
    d = dt.date.today()
    added = client.post(
        reverse("advocacy:measure_add", args=[case.pk]),
        {
            "kind": "alarm",
            "owner_agency": world.police.pk,
            "status": "proposed",
            "details": "Pendant alarm",
            **date_fields("review_on", d + dt.timedelta(days=14)),
        },
    )
    assert added.status_code == 302
    measure = SafetyMeasure.objects.get(plan__case=case)
    assert (measure.kind, measure.owner_agency, measure.status) == ("alarm", world.police, "proposed")
    edit = reverse("advocacy:measure_edit", args=[case.pk, measure.pk])
    changed = client.post(edit, {"status": "in_place", "owner_agency": world.police.pk, "details": "Pendant alarm"})
    assert changed.status_code == 302
    measure.refresh_from_db()
    assert (measure.status, measure.in_place_on, measure.review_on) == ("in_place", d, None)
    wrong = client.post(edit, {"status": "proposed", "owner_agency": world.police.pk})
    assert wrong.status_code == 200  # "proposed" is not offered from "in place"
    reviewed = client.post(
        reverse("advocacy:review_add", args=[case.pk]),
        {
            **date_fields("reviewed_on", d),
            "summary": "All measures working.",
            **date_fields("next_review_on", d + dt.timedelta(days=28)),
        },
    )
    assert reviewed.status_code == 302 and SafetyPlanReview.objects.filter(plan__case=case).count() == 1
    page = client.get(reverse("advocacy:safety_plan", args=[case.pk])).content.decode()
    assert "Pendant alarm" in page and "All measures working." in page


def test_key_event_by_police_then_told_by_the_advocate(world: World) -> None:
    case = assigned_case(world)
    d = dt.date.today()
    police = client_for(world.triage_officer)
    recorded = police.post(
        reverse("advocacy:key_event_add", args=[case.pk]),
        {"kind": "court_date", **date_fields("occurs_on", d + dt.timedelta(days=10)), "details": "Crown Court, 10am"},
    )
    assert recorded.status_code == 302 and recorded["Location"] == reverse("advocacy:key_events", args=[case.pk])
    notice = VictimNotice.objects.get(key_event__case=case)
    advocate = client_for(world.advocate)
    url = reverse("advocacy:notice_told", args=[case.pk, notice.pk])
    when = timezone.localtime() - dt.timedelta(minutes=5)
    bad = advocate.post(url, {**date_fields("told_on", when.date()), "told_time": "25:00", "method": "phone"})
    assert bad.status_code == 200 and "Enter a real time" in bad.content.decode()
    told = advocate.post(
        url, {**date_fields("told_on", when.date()), "told_time": f"{when:%H:%M}", "method": "phone", "note": "Fine."}
    )
    assert told.status_code == 302
    notice.refresh_from_db()
    assert notice.told_method == "phone" and timezone.localtime(notice.told_at).strftime("%H:%M") == f"{when:%H:%M}"
    events = advocate.get(reverse("advocacy:key_events", args=[case.pk])).content.decode()
    assert "Crown Court, 10am" in events and 'govuk-tag--green">Told' in events


def test_feedback_page(world: World) -> None:
    case = assigned_case(world)
    client = client_for(world.advocate)
    url = reverse("advocacy:feedback", args=[case.pk])
    assert "Support for this victim has not ended yet." in client.get(url).content.decode()
    assert client.post(url, {}).status_code == 404
    for target in ("awaiting_triage", "accepted", "active", "monitoring"):
        case = case_services.case_transition(actor=world.triage_officer, case=case, to_status=target)
    saved = client.post(
        url,
        {
            **date_fields("collected_on", dt.date.today()),
            "feels_safer": "4",
            "felt_informed": "5",
            "overall_satisfaction": "5",
            "comments": "Thank you.",
        },
    )
    assert saved.status_code == 302
    feedback = VictimFeedback.objects.get(case=case)
    assert (feedback.feels_safer, feedback.felt_informed, feedback.coping, feedback.overall_satisfaction) == (
        4,
        5,
        None,
        5,
    )
    summary = client_for(world.programme_manager).get(reverse("advocacy:feedback_summary")).content.decode()
    assert "1 questionnaire recorded" in summary and "100.0% positive" in summary


def test_notifications_inbox_open_and_read(world: World) -> None:
    case = assigned_case(world)
    services.key_event_record(
        actor=world.triage_officer, case=case, data=services.KeyEventInput(kind="charge", occurs_on=dt.date.today())
    )
    client = client_for(world.advocate)
    inbox = client.get(reverse("notifications:inbox")).content.decode()
    assert f"Key event on case {case.reference}: charge" in inbox and "You have 1 unread notification." in inbox
    alert = Notification.objects.get(recipient=world.advocate)
    opened = client.post(reverse("notifications:open", args=[alert.pk]))
    assert opened.status_code == 302 and opened["Location"] == alert.link
    alert.refresh_from_db()
    assert alert.read_at is not None
    notification_services.notify(world.advocate, "Another", link="https://elsewhere.example/phish")
    other = Notification.objects.get(subject="Another")
    assert client.post(reverse("notifications:open", args=[other.pk]))["Location"] == reverse("notifications:inbox")
    notification_services.notify(world.advocate, "Third")
    client.post(reverse("notifications:read_all"))
    assert not Notification.objects.filter(recipient=world.advocate, read_at__isnull=True).exists()


def test_settings_page(world: World) -> None:
    client = client_for(world.admin)
    url = reverse("advocacy:settings")
    saved = client.post(
        url, {"action": "settings", "settings-tell_victim_within_hours": "12", "settings-review_reminder_days": "5"}
    )
    assert saved.status_code == 302
    row = AdvocacySettings.objects.get(partnership=world.partnership)
    assert (row.tell_victim_within_hours, row.review_reminder_days) == (12, 5)
    bad = client.post(
        url, {"action": "settings", "settings-tell_victim_within_hours": "0", "settings-review_reminder_days": "5"}
    )
    assert bad.status_code == 200 and "There is a problem" in bad.content.decode()
    added = client.post(url, {"action": "add_lead", "lead-user": world.advocate.pk})
    assert added.status_code == 302
    lead = AdvocacyLead.objects.get()
    assert (lead.agency, lead.user) == (world.advocacy, world.advocate)
    client.post(url, {"action": "remove_lead", "lead": lead.pk})
    assert not AdvocacyLead.objects.exists()


# --- query counts -------------------------------------------------------------------------------------------


def _grow(world: World, case: Case, n: int) -> None:
    for i in range(n):
        services.contact_record(
            actor=world.advocate,
            case=case,
            data=contact_input(occurred_at=timezone.now() - dt.timedelta(hours=i + 2)),
        )
        services.key_event_record(
            actor=world.triage_officer, case=case, data=services.KeyEventInput(kind="charge", occurs_on=dt.date.today())
        )
        services.safety_measure_add(
            actor=world.advocate, case=case, data=services.MeasureInput(kind="alarm", owner_agency=world.police)
        )
        services.needs_assess(
            actor=world.advocate,
            case=case,
            assessed_on=dt.date.today(),
            review_on=dt.date.today() + dt.timedelta(days=7),
            levels=dict.fromkeys(services.NeedsDomain.values, "low"),
        )


# Session, user, agency; the case and its two access checks; the sharing agreement; the
# page's own reads (a fixed number, whatever the rows); the access-log row; the case
# sub-navigation (other apps' sections check the case again: two). No session save: a
# request seconds after the last one leaves the session as it was (masip.middleware).
# Each + 1: the header's unread-notifications count (docs/home-and-search.md).
PAGE_QUERIES = {
    # victims, advocates, needs with items (2), untold notices, recent contacts, plans with measures and reviews (3),
    # feedback
    "advocacy:case_advocacy": 20 + 1,
    # victims, contacts
    "advocacy:contact_log": 11 + 1,
    # victims, events, notices
    "advocacy:key_events": 12 + 1,
    # victims, plans, measures, reviews
    "advocacy:safety_plan": 13 + 1,
    # victims, assessments, items
    "advocacy:needs": 12 + 1,
}


@pytest.mark.parametrize("name", sorted(PAGE_QUERIES))
def test_list_pages_cost_a_fixed_number_of_queries(world: World, django_assert_num_queries: Any, name: str) -> None:
    case = assigned_case(world)
    client = client_for(world.advocate)
    url = reverse(name, args=[case.pk])
    _grow(world, case, 1)
    client.get(url)  # warm the process-wide permission-id cache
    with django_assert_num_queries(PAGE_QUERIES[name]):
        assert client.get(url).status_code == 200
    _grow(world, case, 6)
    with django_assert_num_queries(PAGE_QUERIES[name]):
        assert client.get(url).status_code == 200


def _unread_counts(queries: Any) -> int:
    return sum(
        1
        for q in queries.captured_queries
        if q["sql"].startswith("SELECT COUNT(*)") and '"notifications_notification"' in q["sql"]
    )


def test_the_inbox_costs_a_fixed_number_of_queries(world: World, django_assert_num_queries: Any) -> None:
    """One count of the unread serves the inbox and the header's badge."""
    client = client_for(world.advocate)
    notification_services.notify(world.advocate, "One")
    client.get(reverse("notifications:inbox"))
    # Session, user; the notifications and the unread count (the header's too); the header's
    # sections (the agency).
    with django_assert_num_queries(5) as queries:
        response = client.get(reverse("notifications:inbox"))
    assert response.status_code == 200 and _unread_counts(queries) == 1
    for n in range(30):
        notification_services.notify(world.advocate, f"Alert {n}")
    with django_assert_num_queries(5) as queries:
        response = client.get(reverse("notifications:inbox"))
    assert response.status_code == 200 and _unread_counts(queries) == 1
    html = response.content.decode()
    assert "You have 31 unread notifications." in html
    assert '<span class="moj-notification-badge" aria-hidden="true">31</span>' in html
    # Another page still draws the badge from the header's own count.
    other = client.get(reverse("home")).content.decode()
    assert '<span class="moj-notification-badge" aria-hidden="true">31</span>' in other


# --- demo data ----------------------------------------------------------------------------------------------


def test_demo_advocacy_loads_once_and_renders(db: None) -> None:
    from advocacy.demo import load_demo_data
    from agencies.demo import load_demo
    from cases.demo import load_demo_cases

    load_demo()
    load_demo_cases()
    made = load_demo_data()
    assert made > 50
    assert load_demo_data() == 0
    advocate = User.objects.get(email="advocate@demo.masip.test")
    assert AdvocacyLead.objects.filter(user=advocate).exists()
    assert VictimNotice.objects.filter(told_at__isnull=True).count() >= 2
    assert KeyEvent.objects.filter(kind="release_from_custody", recorded_by__email="triage@demo.masip.test").exists()
    client = client_for(advocate)
    assert client.get(reverse("notifications:inbox")).status_code == 200
    for case in Case.objects.filter(advocate_assignments__isnull=False).distinct()[:6]:
        for name in (
            "advocacy:case_advocacy",
            "advocacy:contact_log",
            "advocacy:key_events",
            "advocacy:safety_plan",
            "advocacy:needs",
            "advocacy:feedback",
            "advocacy:assignment",
        ):
            assert client.get(reverse(name, args=[case.pk])).status_code == 200, (name, case.pk)
        assert client.get(reverse("cases:case_detail", args=[case.pk])).status_code == 200
