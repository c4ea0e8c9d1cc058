"""The home page's "what to do next": counted lines per role, each linking to the list behind it,
counting only what the reader may open."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from advocacy import services
from advocacy.models import NeedsDomain, VictimNotice
from agencies.models import User
from audit.models import AccessAction, AccessLog
from cases import services as case_services
from cases.models import Case
from notifications.models import Notification
from notifications.services import notify
from tests.advocacy_factories import contact_input
from tests.case_factories import make_case
from tests.factories import World

pytestmark = pytest.mark.django_db


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def count_of(html: str, key: str) -> int | None:
    found = re.search(rf'data-testid="work-line-{key}">.*?govuk-table__cell--numeric">(\d+)<', html, re.S)
    return int(found.group(1)) if found else None


def advocate_case_with_work(world: World) -> Case:
    case = make_case(world.triage_officer)
    services.advocate_assign(actor=world.advocate, case=case, advocate=world.advocate)
    today = timezone.localdate()
    services.key_event_record(
        actor=world.triage_officer,
        case=case,
        data=services.KeyEventInput(kind="release_from_custody", occurs_on=today),
    )
    services.contact_record(
        actor=world.advocate,
        case=case,
        data=contact_input(
            occurred_at=timezone.now() - dt.timedelta(days=10), next_contact_due=today - dt.timedelta(days=3)
        ),
    )
    services.needs_assess(
        actor=world.advocate,
        case=case,
        assessed_on=today - dt.timedelta(days=40),
        review_on=today - dt.timedelta(days=1),
        levels=dict.fromkeys(NeedsDomain.values, "low"),
    )
    return case


def test_the_advocate_sees_her_lines_counted_and_each_list_behind_them(world: World) -> None:
    case = advocate_case_with_work(world)
    client = client_for(world.advocate)
    home = client.get(reverse("home")).content.decode()
    assert 'data-testid="work-lines"' in home
    assert count_of(home, "untold") == 1
    assert count_of(home, "contacts_overdue") == 1
    assert count_of(home, "needs_reviews") == 1
    assert count_of(home, "safety_plan_reviews") == 0
    for key, target in (
        ("untold", "advocacy:notice_told"),
        ("contacts_overdue", "advocacy:contact_log"),
        ("needs_reviews", "advocacy:needs"),
    ):
        assert reverse("today", args=[key]) in home
        listing = client.get(reverse("today", args=[key])).content.decode()
        assert case.reference in listing, key
        if key != "untold":
            assert reverse(target, args=[case.pk]) in listing, key
    entry = AccessLog.objects.filter(user=world.advocate).latest("id")
    assert (entry.action, entry.record_type, entry.record_ids) == (AccessAction.VIEW, "cases.case", [str(case.pk)])


def test_telling_the_victim_takes_the_line_down(world: World) -> None:
    case = advocate_case_with_work(world)
    notice = VictimNotice.objects.get(key_event__case=case)
    services.victim_told(actor=world.advocate, notice=notice, told_at=timezone.now(), method="phone")
    assert count_of(client_for(world.advocate).get(reverse("home")).content.decode(), "untold") == 0


def test_other_roles_have_no_advocacy_lines_and_their_lists_answer_404(world: World) -> None:
    advocate_case_with_work(world)
    for user in (world.probation_practitioner, world.clinician):
        client = client_for(user)
        home = client.get(reverse("home")).content.decode()
        assert count_of(home, "untold") is None
        assert client.get(reverse("today", args=["untold"])).status_code == 404
        assert client.get(reverse("today", args=["no-such-line"])).status_code == 404


def test_a_case_withdrawn_from_the_agency_stops_counting(world: World) -> None:
    case = advocate_case_with_work(world)
    case_services.case_share_remove(
        actor=world.admin, case=case, agency=world.advocacy, reason="Withdrawn from advocacy."
    )
    home = client_for(world.advocate).get(reverse("home")).content.decode()
    assert count_of(home, "untold") == 0 and count_of(home, "contacts_overdue") == 0
    listing = client_for(world.advocate).get(reverse("today", args=["untold"])).content.decode()
    assert case.reference not in listing


def test_my_cases_overdue_link_to_the_caseload_filter(world: World) -> None:
    case = make_case(world.triage_officer)
    Case.objects.filter(pk=case.pk).update(
        assigned_worker=world.triage_officer, next_due_on=timezone.localdate() - dt.timedelta(days=2)
    )
    home = client_for(world.triage_officer).get(reverse("home")).content.decode()
    assert count_of(home, "cases_overdue") == 1 and count_of(home, "cases_due") == 1
    assert f'href="{reverse("cases:caseload")}?mine=1&amp;due=overdue"' in home


def test_an_action_alerts_its_owner_at_once_and_counts_on_her_home_page(world: World) -> None:
    from tests.triage_factories import make_meeting, on_agenda, waiting_case
    from triage import services as triage_services

    case = waiting_case(world)
    item = on_agenda(world, make_meeting(world.triage_officer), case)
    action = triage_services.action_create(
        actor=world.triage_officer,
        item=item,
        data=triage_services.ActionInput(
            owner_id=world.probation_practitioner.pk, description="Check the licence", due_on=timezone.localdate()
        ),
    )
    alert = Notification.objects.get(recipient=world.probation_practitioner)
    assert alert.subject == f"Action assigned to you on case {case.reference}"
    assert alert.link == reverse("triage:action_detail", args=[action.pk])
    assert "Check the licence" not in alert.body  # the e-mail leaves the system
    # Her own action: no alert to herself.
    triage_services.action_create(
        actor=world.triage_officer,
        item=item,
        data=triage_services.ActionInput(
            owner_id=world.triage_officer.pk, description="Chair", due_on=timezone.localdate()
        ),
    )
    assert not Notification.objects.filter(recipient=world.triage_officer).exists()
    home = client_for(world.probation_practitioner).get(reverse("home")).content.decode()
    assert count_of(home, "my_actions") == 1
    assert reverse("triage:my_actions") in home


def test_the_unread_count_is_on_the_home_page_and_falls_when_read(world: World) -> None:
    advocate_case_with_work(world)  # the key event alerts the advocate
    client = client_for(world.advocate)
    home = client.get(reverse("home")).content.decode()
    assert count_of(home, "notifications") == 1
    assert reverse("notifications:inbox") in home
    Notification.objects.filter(recipient=world.advocate).update(read_at=timezone.now())
    assert count_of(client.get(reverse("home")).content.decode(), "notifications") == 0


def test_the_home_page_counts_unread_notifications_once_for_its_line_and_its_header(world: World) -> None:
    notify(world.advocate, "Risk review due on case MASIP-000001", email=False)
    notify(world.advocate, "Risk review due on case MASIP-000002", email=False)
    client = client_for(world.advocate)
    with CaptureQueriesContext(connection) as queries:
        home = client.get(reverse("home")).content.decode()
    counts = [q["sql"] for q in queries.captured_queries if 'FROM "notifications_notification"' in q["sql"]]
    assert len(counts) == 1, counts
    # Both places still show the figure.
    assert count_of(home, "notifications") == 2
    assert header_unread(home) == 2


def header_unread(html: str) -> int | None:
    """The header's count as the screen reader hears it; None when the header shows none."""
    link = re.search(r'data-testid="header-notifications">(.*?)</a>', html, re.S)
    assert link is not None, "every staff page's header links to Notifications"
    heard = re.search(r'govuk-visually-hidden">, (\d+) unread notifications?</span>', link.group(1))
    return int(heard.group(1)) if heard else None


def test_the_header_counts_unread_notifications_on_every_page(world: World) -> None:
    client = client_for(world.advocate)
    caseload = reverse("cases:caseload")
    assert header_unread(client.get(caseload).content.decode()) is None
    first = notify(world.advocate, "Risk review due on case MASIP-000001", email=False)
    notify(world.advocate, "Risk review due on case MASIP-000002", email=False)
    # Another member of staff's alert is not counted in mine.
    notify(world.probation_practitioner, "Risk review due on case MASIP-000003", email=False)
    page = client.get(caseload).content.decode()
    assert header_unread(page) == 2
    assert '<span class="moj-notification-badge" aria-hidden="true">2</span>' in page
    assert header_unread(client.get(reverse("notifications:inbox")).content.decode()) == 2
    notify(world.advocate, "Action assigned to you on case MASIP-000004", email=False)
    assert header_unread(client.get(caseload).content.decode()) == 3
    assert first is not None
    client.post(reverse("notifications:read", args=[first.pk]))
    assert header_unread(client.get(caseload).content.decode()) == 2
    client.post(reverse("notifications:read_all"))
    assert header_unread(client.get(caseload).content.decode()) is None
