"""The watch list: a declined domestic-abuse case kept in view comes back to the triage agenda
when its review date falls due or a new referral names the same perpetrator."""

from __future__ import annotations

import datetime as dt

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.http import Http404
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from guardian.shortcuts import assign_perm

from agencies.models import User
from audit.models import AccessLog
from cases import permissions as case_permissions
from cases import services as case_services
from cases.models import Case, CaseEvent, CaseParty, CaseStatus, Decision, PartyRole, Referral
from tests.case_factories import make_case
from tests.factories import World
from tests.test_safety_gateway import unshare_from
from tests.triage_factories import make_meeting, waiting_case
from triage import selectors, services
from triage.models import AgendaSource, Meeting, Outcome, Watch

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate
REASON = "She is still in the relationship; if it ends she may be stalked."


def declined_case(world: World, **kwargs: object) -> Case:
    case = waiting_case(world, **kwargs)
    return case_services.case_transition(
        actor=world.triage_officer,
        case=case,
        to_status=CaseStatus.DECLINED,
        decision=Decision.NOT_STALKING,
        reason="Controlling behaviour inside the relationship; no stalking yet.",
    )


def watch(world: World, case: Case, days: int = 30) -> Watch:
    return services.watch_start(
        actor=world.triage_officer, case=case, review_on=TODAY() + dt.timedelta(days=days), reason=REASON
    )


def proposed(world: World, meeting: Meeting) -> dict[int, str]:
    return {
        p.case.pk: p.source for p in selectors.agenda_proposals_for_user(user=world.triage_officer, meeting=meeting)
    }


def perpetrator_id(case: Case) -> int:
    return CaseParty.objects.get(case=case, role=PartyRole.PERPETRATOR, is_primary=True).person_id


def test_a_watched_case_comes_back_to_triage_when_its_review_date_falls_due(world: World) -> None:
    case = declined_case(world)
    started = watch(world, case)
    meeting = make_meeting(world.triage_officer)
    assert case.pk not in proposed(world, meeting)  # watched, not yet due
    Watch.objects.filter(pk=started.pk).update(review_on=TODAY())  # the review date arrives
    assert proposed(world, meeting) == {case.pk: AgendaSource.WATCH_DUE}
    # The meeting hears it again (reviewed: the case stays declined) ...
    item = services.agenda_add(actor=world.triage_officer, meeting=meeting, case_id=case.pk)
    assert item.source == AgendaSource.WATCH_DUE
    item.meeting = meeting
    services.decision_record(
        actor=world.triage_officer, item=item, data=services.DecisionInput(outcome=Outcome.REVIEWED)
    )
    case.refresh_from_db()
    assert case.status == CaseStatus.DECLINED
    # ... and it is not proposed again until the next review date it is given falls due.
    later = make_meeting(world.triage_officer, day=TODAY() + dt.timedelta(days=1))
    assert case.pk not in proposed(world, later)
    services.watch_reschedule(
        actor=world.triage_officer, watch=started, review_on=TODAY() + dt.timedelta(days=90), reason=REASON
    )
    assert Watch.objects.get(pk=started.pk).review_on == TODAY() + dt.timedelta(days=90)
    assert case.pk not in proposed(world, later)
    # Ended, it is never proposed; its history is kept.
    services.watch_end(actor=world.triage_officer, watch=started, reason="She has moved away with support.")
    Watch.objects.filter(pk=started.pk).update(review_on=TODAY())
    assert case.pk not in proposed(world, later)
    history = apps.get_model("triage", "WatchEvent").objects.filter(pgh_obj_id=started.pk)
    assert list(history.order_by("pgh_id").values_list("pgh_label", flat=True)) == ["insert"] + ["update"] * 4
    summaries = list(CaseEvent.objects.filter(case=case, kind="meeting").values_list("summary", flat=True))
    assert any(s.startswith("Put on the watch list") for s in summaries)
    assert "Taken off the watch list" in summaries


def test_a_new_referral_naming_the_same_perpetrator_brings_it_back(world: World) -> None:
    case = declined_case(world)
    watch(world, case, days=200)
    meeting = make_meeting(world.triage_officer)
    # A referral about someone else changes nothing.
    make_case(world.triage_officer, perpetrator_name=("Gary", "Lowe"), perpetrator_dob=dt.date(1979, 1, 9))
    assert case.pk not in proposed(world, meeting)
    # The intake links the new referral's perpetrator to the known person.
    make_case(world.triage_officer, victim_name=("Joanne", "Pike"), link_perpetrator_id=perpetrator_id(case))
    assert proposed(world, meeting) == {case.pk: AgendaSource.WATCH_NEW_REFERRAL}
    item = services.agenda_add(actor=world.triage_officer, meeting=meeting, case_id=case.pk)
    item.meeting = meeting
    services.decision_record(
        actor=world.triage_officer, item=item, data=services.DecisionInput(outcome=Outcome.REVIEWED)
    )
    later = make_meeting(world.triage_officer, day=TODAY() + dt.timedelta(days=1))
    assert case.pk not in proposed(world, later)


def test_only_a_declined_domestic_abuse_case_is_watched_and_only_by_triage_roles(world: World) -> None:
    waiting = waiting_case(world)
    with pytest.raises(ValidationError) as not_declined:
        watch(world, waiting)
    assert "declined" in str(not_declined.value)
    stranger = declined_case(world)
    Referral.objects.filter(case=stranger).update(relationship="stranger")
    with pytest.raises(ValidationError) as not_domestic:
        watch(world, stranger)
    assert "domestic" in str(not_domestic.value)
    case = declined_case(world)
    with pytest.raises(ValidationError) as bad:
        services.watch_start(actor=world.triage_officer, case=case, review_on=TODAY(), reason=" ")
    assert set(bad.value.message_dict) == {"review_on", "reason"}
    with pytest.raises(ValidationError):
        services.watch_start(actor=world.advocate, case=case, review_on=TODAY() + dt.timedelta(days=9), reason=REASON)
    with pytest.raises(Http404):
        watch(World("Elsewhere"), case)
    assert not Watch.objects.exists()
    watch(world, case)
    with pytest.raises(ValidationError):
        watch(world, case)
    assert Watch.objects.filter(case=case).count() == 1
    # A declined case that is not watched cannot be put on an agenda.
    unwatched = declined_case(world)
    with pytest.raises(ValidationError):
        services.agenda_add(
            actor=world.triage_officer, meeting=make_meeting(world.triage_officer), case_id=unwatched.pk
        )


# --- pages ---------------------------------------------------------------------------------------------------


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def date_fields(name: str, day: dt.date) -> dict[str, str]:
    return {f"{name}_day": str(day.day), f"{name}_month": str(day.month), f"{name}_year": str(day.year)}


def test_the_pages_start_list_change_and_end_a_watch(world: World) -> None:
    case = declined_case(world)
    client = client_for(world.triage_officer)
    detail = client.get(reverse("cases:case_detail", args=[case.pk])).content.decode()
    assert reverse("triage:case_watch", args=[case.pk]) in detail
    # Every missing answer at once, nothing written.
    bad = client.post(reverse("triage:case_watch", args=[case.pk]), {})
    assert bad.status_code == 200
    body = bad.content.decode()
    assert "govuk-error-summary" in body and "Give the reason for watching the case" in body
    assert not Watch.objects.exists()
    review_on = TODAY() + dt.timedelta(days=60)
    done = client.post(
        reverse("triage:case_watch", args=[case.pk]), {**date_fields("review_on", review_on), "reason": REASON}
    )
    assert done.status_code == 302
    assert Watch.objects.get(case=case).review_on == review_on
    listing = client.get(reverse("triage:watch_list"))
    assert listing.status_code == 200 and case.reference in listing.content.decode()
    assert AccessLog.objects.filter(user=world.triage_officer, purpose="Watch list", record_ids=[str(case.pk)]).exists()
    ended = client.post(reverse("triage:case_watch_end", args=[case.pk]), {"end_reason": "Relationship over; safe."})
    assert ended.status_code == 302
    assert Watch.objects.get(case=case).ended_at is not None
    assert case.reference not in client.get(reverse("triage:watch_list")).content.decode()


def test_outside_the_case_or_the_role_the_pages_answer_404(world: World) -> None:
    case = declined_case(world)
    watch(world, case)
    other = World("Elsewhere")
    for user in (other.triage_officer, world.advocate, world.clinician):
        client = client_for(user)
        assert client.get(reverse("triage:case_watch", args=[case.pk])).status_code == 404
        assert client.post(reverse("triage:case_watch_end", args=[case.pk]), {"end_reason": "x"}).status_code == 404
    assert Watch.objects.get(case=case).ended_at is None
    assert case.reference not in client_for(other.triage_officer).get(reverse("triage:watch_list")).content.decode()
    # A case that cannot be watched (not declined) has no watch form.
    waiting = waiting_case(world)
    assert client_for(world.triage_officer).get(reverse("triage:case_watch", args=[waiting.pk])).status_code == 404


# --- what the watch pages log, and what the new-referral flag may tell ------------------------------------------


def logged(user: User, purpose: str) -> list[list[str]]:
    return list(AccessLog.objects.filter(user=user, purpose=purpose).values_list("record_ids", flat=True))


def test_the_case_card_and_the_start_change_end_pages_log_the_case_they_show(world: World) -> None:
    case = declined_case(world)
    client = client_for(world.triage_officer)
    assert client.get(reverse("cases:case_detail", args=[case.pk])).status_code == 200
    assert logged(world.triage_officer, "Watch list: case card") == [[str(case.pk)]]
    assert client.get(reverse("triage:case_watch", args=[case.pk])).status_code == 200
    assert logged(world.triage_officer, "Watch list: start or change a watch") == [[str(case.pk)]]
    watch(world, case)
    assert client.get(reverse("triage:case_watch_end", args=[case.pk])).status_code == 200
    assert logged(world.triage_officer, "Watch list: end a watch") == [[str(case.pk)]]
    # Refused by role or scope: 404 and no row of any of them.
    before = AccessLog.objects.count()
    for user in (world.advocate, World("Elsewhere").triage_officer):
        assert client_for(user).get(reverse("triage:case_watch", args=[case.pk])).status_code == 404
        assert client_for(user).get(reverse("triage:case_watch_end", args=[case.pk])).status_code == 404
    assert AccessLog.objects.count() == before


def _logged_since(user: User, mark: int) -> list[tuple[str, str]]:
    return list(AccessLog.objects.filter(user=user, id__gt=mark).order_by("id").values_list("action", "record_type"))


def _mark() -> int:
    return AccessLog.objects.order_by("-id").values_list("id", flat=True).first() or 0


def test_a_post_logs_the_write_it_makes_and_no_view(world: World) -> None:
    """Starting, changing and ending a watch, on the pages and through the API, each write their
    own row and no ``view``; a refused POST that shows the page again logs that view once."""
    from rest_framework.test import APIClient

    officer = world.triage_officer
    client = client_for(officer)
    case = declined_case(world)
    start, end = reverse("triage:case_watch", args=[case.pk]), reverse("triage:case_watch_end", args=[case.pk])
    later = {**date_fields("review_on", TODAY() + dt.timedelta(days=60)), "reason": REASON}

    def posted(url: str, body: dict[str, str], status: int) -> list[tuple[str, str]]:
        mark = _mark()
        assert client.post(url, body).status_code == status, url
        return _logged_since(officer, mark)

    assert posted(start, {}, 200) == [("view", "cases.case")]
    assert posted(start, later, 302) == [("create", "triage.watch")]
    assert posted(start, {**later, "reason": "She has moved in with him again."}, 302) == [("change", "triage.watch")]
    assert posted(end, {"end_reason": ""}, 200) == [("view", "cases.case")]
    assert posted(end, {"end_reason": "Relationship over; safe."}, 302) == [("change", "triage.watch")]
    api = APIClient()
    api.force_authenticate(officer)
    mark = _mark()
    body = {"review_on": (TODAY() + dt.timedelta(days=30)).isoformat(), "reason": REASON}
    assert api.post(f"/api/v1/cases/{case.pk}/watch/", body, format="json").status_code == 201
    assert api.post(f"/api/v1/cases/{case.pk}/watch/end/", {"end_reason": "Over."}, format="json").status_code == 200
    assert _logged_since(officer, mark) == [("create", "triage.watch"), ("change", "triage.watch")]


def test_a_new_referral_in_a_case_the_officer_cannot_see_raises_no_flag_for_them(world: World, agreement: str) -> None:
    case = declined_case(world)
    watch(world, case, days=200)
    meeting = make_meeting(world.triage_officer)
    # A new referral about the same perpetrator that is not shared with the triage officer's
    # agency: its existence is not theirs to learn, so the watch raises nothing for them.
    unseen = make_case(world.triage_officer, victim_name=("Joanne", "Pike"), link_perpetrator_id=perpetrator_id(case))
    unshare_from(unseen, world.police)
    assert not case_permissions.can_view_case(world.triage_officer, unseen)
    assert case.pk not in proposed(world, meeting)
    [row] = selectors.watch_list_for_user(user=world.triage_officer)
    assert row.new_referral_at is None
    page = client_for(world.triage_officer).get(reverse("triage:watch_list")).content.decode()
    assert "New referral names the perpetrator" not in page
    # Shared with them again, the same referral is told.
    assign_perm(f"cases.{case_permissions.VIEW_CASE}", world.police.group, unseen)
    assert proposed(world, meeting) == {case.pk: AgendaSource.WATCH_NEW_REFERRAL}
    [row] = selectors.watch_list_for_user(user=world.triage_officer)
    assert row.new_referral_at is not None
