"""Monitoring pages and API: the timeline, the review form (JavaScript off), possible re-offending,
settings; scope (404 outside it), access-log rows, pinned query counts."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from agencies.models import User
from audit.models import AccessLog
from cases import services as case_services
from cases.models import CaseParty, PartyRole
from followups import services
from followups.models import FollowUpReview, FollowUpSettings, ReoffendingCandidate, ReoffendingRecord, ReviewStatus
from tests.case_factories import VICTIM_ADDRESS, VICTIM_PHONE
from tests.factories import World, make_agency, make_user
from tests.followups_factories import accepted_case, referral_naming_perpetrator

pytestmark = pytest.mark.django_db

TODAY = dt.date.today


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def api(user: User) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


def monitored(world: World, days: int = 100) -> FollowUpReview:
    case = accepted_case(world, decided_on=TODAY() - dt.timedelta(days=days), worker=world.probation_practitioner)
    services.followups_schedule(today=TODAY())
    return FollowUpReview.objects.get(case=case, checkpoint_months=3)


def date_fields(prefix: str, day: dt.date) -> dict[str, str]:
    return {f"{prefix}_day": str(day.day), f"{prefix}_month": str(day.month), f"{prefix}_year": str(day.year)}


# --- the monitoring page -----------------------------------------------------------------------------------------


def test_monitoring_page_shows_the_timeline_and_logs_the_look(world: World) -> None:
    review = monitored(world, days=200)
    case = review.case
    url = reverse("followups:case_monitoring", args=[case.pk])
    response = client_for(world.advocate).get(url)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Re-offending monitoring" in html
    assert f"Acceptance by the partnership: from {case.decided_on:%-d %B %Y}" in html
    assert html.count('data-testid="checkpoint"') == 4  # 3, 6, 9 and 12 months
    assert "Complete review" in html  # the advocate may complete reviews
    # The perpetrator-facing detail of the case page never carries victim location here either.
    assert VICTIM_ADDRESS not in html and VICTIM_PHONE not in html
    assert AccessLog.objects.filter(user=world.advocate, record_ids=[str(case.pk)], purpose="monitoring").exists()
    # The case overview has the card and the sub-navigation the section.
    overview = client_for(world.advocate).get(reverse("cases:case_detail", args=[case.pk])).content.decode()
    assert 'data-testid="monitoring-card"' in overview and "2 overdue" in overview
    assert url in overview


def test_monitoring_page_query_count_is_fixed(world: World, django_assert_num_queries: Any) -> None:
    review = monitored(world, days=400)
    client = client_for(world.triage_officer)
    url = reverse("followups:case_monitoring", args=[review.case.pk])
    client.get(url)

    def count() -> int:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx.captured_queries)

    baseline = count()
    services.followup_review_complete(
        actor=world.triage_officer,
        review=review,
        data=services.ReviewInput(
            reoffended=True,
            occurrences=[
                services.OccurrenceInput(
                    occurred_on=TODAY() - dt.timedelta(days=d),
                    kind="persistence",
                    victim="same",
                    source="police",
                    offence="s2a_stalking",
                )
                for d in (5, 6, 7)
            ],
        ),
    )
    with django_assert_num_queries(baseline):
        client.get(url)


@pytest.mark.parametrize("who", ["other_partnership", "agency_not_shared"])
def test_outside_scope_every_monitoring_page_and_endpoint_is_404(world: World, other_world: World, who: str) -> None:
    review = monitored(world)
    case = review.case
    earlier = case
    if who == "other_partnership":
        outsider = other_world.triage_officer
    else:
        outsider = make_user(make_agency(world.partnership, "other", "Housing"), "triage_officer")
    # A candidate to try to decide.
    candidate = ReoffendingCandidate.objects.create(
        case=earlier,
        new_case=accepted_case(world, decided_on=TODAY()),
        person_id=CaseParty.objects.filter(case=earlier, role=PartyRole.PERPETRATOR)
        .values_list("person_id", flat=True)
        .get(),
        occurred_on=TODAY(),
        kind="persistence",
        victim="same",
        source="police",
        offence="other",
        last_known_behaviour_on=TODAY(),
    )
    client = client_for(outsider)
    for url in (
        reverse("followups:case_monitoring", args=[case.pk]),
        reverse("followups:followup_review_complete", args=[case.pk, review.pk]),
        reverse("followups:reoffending_candidate_decide", args=[case.pk, candidate.pk]),
        reverse("followups:reoffending_add", args=[case.pk]),
    ):
        assert client.get(url).status_code == 404, url
        assert client.post(url, {"action": "save"}).status_code == 404, url
    rest = api(outsider)
    for url in (
        f"/api/v1/cases/{case.pk}/monitoring/",
        f"/api/v1/cases/{case.pk}/followup-reviews/",
        f"/api/v1/cases/{case.pk}/reoffending/",
        f"/api/v1/cases/{case.pk}/reoffending-candidates/",
    ):
        assert rest.get(url).status_code == 404, url
    assert (
        rest.post(
            f"/api/v1/cases/{case.pk}/followup-reviews/{review.pk}/completion/",
            {"reoffended": False, "sources_checked": ["police"]},
            format="json",
        ).status_code
        == 404
    )
    assert (
        rest.post(
            f"/api/v1/cases/{case.pk}/reoffending-candidates/{candidate.pk}/confirm/", {}, format="json"
        ).status_code
        == 404
    )
    assert rest.get("/api/v1/followup-reviews/").json()["results"] == []
    assert FollowUpReview.objects.get(pk=review.pk).status == ReviewStatus.OPEN


# --- the review form, JavaScript off -------------------------------------------------------------------------------


def test_review_form_add_another_occurrence_then_complete(world: World) -> None:
    review = monitored(world)
    url = reverse("followups:followup_review_complete", args=[review.case.pk, review.pk])
    client = client_for(world.probation_practitioner)
    first = {
        "review-reoffended": "yes",
        "review-occurrence_count": "1",
        **date_fields("occurrence-0-occurred_on", TODAY() - dt.timedelta(days=10)),
        "occurrence-0-kind": "persistence",
        "occurrence-0-victim": "same",
        "occurrence-0-source": "victim",
        "occurrence-0-offence": "s4a_stalking",
        "occurrence-0-crime_reference": "CH/1/26",
    }
    # "Add another occurrence": the page comes back with two, what was typed kept, no errors.
    page = client.post(url, {**first, "action": "add"})
    html = page.content.decode()
    assert page.status_code == 200 and html.count('data-testid="occurrence"') == 2
    assert 'value="CH/1/26"' in html and "There is a problem" not in html
    # Submitting with the second one empty names its fields.
    page = client.post(url, {**first, "review-occurrence_count": "2", "action": "save"})
    assert page.status_code == 200
    assert "Enter the date of the behaviour" in page.content.decode()
    assert "Choose persistence or recurrence" in page.content.decode()
    second = {
        **date_fields("occurrence-1-occurred_on", TODAY() - dt.timedelta(days=4)),
        "occurrence-1-kind": "recurrence",
        "occurrence-1-victim": "new",
        "occurrence-1-source": "police",
        "occurrence-1-offence": "malicious_communications",
    }
    done = client.post(url, {**first, **second, "review-occurrence_count": "2", "action": "save"})
    assert done.status_code == 302 and done["Location"] == reverse("followups:case_monitoring", args=[review.case.pk])
    assert sorted(
        ReoffendingRecord.objects.filter(review=review).values_list("kind", "victim", "source", "offence")
    ) == [
        ("persistence", "same", "victim", "s4a_stalking"),
        ("recurrence", "new", "police", "malicious_communications"),
    ]


def test_review_form_none_found_needs_the_sources(world: World) -> None:
    review = monitored(world)
    url = reverse("followups:followup_review_complete", args=[review.case.pk, review.pk])
    client = client_for(world.triage_officer)
    page = client.post(url, {"review-reoffended": "no", "review-occurrence_count": "1", "action": "save"})
    assert "Choose the sources you checked" in page.content.decode()
    done = client.post(
        url,
        {
            "review-reoffended": "no",
            "review-sources_checked": ["police", "probation"],
            "review-occurrence_count": "1",
            "action": "save",
        },
    )
    assert done.status_code == 302
    review.refresh_from_db()
    assert (review.status, review.reoffended, review.sources_checked) == ("completed", False, ["police", "probation"])
    timeline = client.get(reverse("followups:case_monitoring", args=[review.case.pk])).content.decode()
    assert "No re-offending found.</strong> Sources checked: police, probation." in timeline


# --- possible re-offending ----------------------------------------------------------------------------------------


def test_the_owner_confirms_a_candidate_with_a_correction(world: World) -> None:
    earlier = accepted_case(world, decided_on=TODAY() - dt.timedelta(days=60), worker=world.advocate)
    referral_naming_perpetrator(earlier, actor=world.triage_officer, last_incident_on=TODAY() - dt.timedelta(days=2))
    candidate = ReoffendingCandidate.objects.get(case=earlier)
    monitoring = (
        client_for(world.advocate).get(reverse("followups:case_monitoring", args=[earlier.pk])).content.decode()
    )
    assert 'data-testid="pending-candidates"' in monitoring and "Confirm or reject" in monitoring
    # A clinician sees it but cannot decide it.
    assert (
        "Awaiting the case"
        in client_for(world.clinician).get(reverse("followups:case_monitoring", args=[earlier.pk])).content.decode()
    )
    url = reverse("followups:reoffending_candidate_decide", args=[earlier.pk, candidate.pk])
    assert client_for(world.clinician).get(url).status_code == 404
    data = {
        "action": "confirm",
        **date_fields("confirm-occurred_on", TODAY() - dt.timedelta(days=3)),
        "confirm-kind": "recurrence",
        "confirm-victim": "new",
        "confirm-source": "police",
        "confirm-offence": "s2a_stalking",
        "confirm-crime_reference": "",
    }
    assert client_for(world.advocate).post(url, data).status_code == 302
    record = ReoffendingRecord.objects.get(case=earlier)
    assert (record.occurred_on, record.candidate) == (TODAY() - dt.timedelta(days=3), candidate)


def test_a_new_case_not_shared_with_the_reader_is_not_named(world: World) -> None:
    """The earlier case's readers judge the suggestion; the new case's reference and link are
    only for those who may see it (it may be restricted, or not shared with their agency)."""
    earlier = accepted_case(world, decided_on=TODAY() - dt.timedelta(days=60), worker=world.advocate)
    new = referral_naming_perpetrator(earlier, actor=world.triage_officer)
    case_services.case_share_remove(actor=world.triage_officer, case=new, agency=world.advocacy, reason="police only")
    candidate = ReoffendingCandidate.objects.get(case=earlier)
    decide = reverse("followups:reoffending_candidate_decide", args=[earlier.pk, candidate.pk])
    monitoring = reverse("followups:case_monitoring", args=[earlier.pk])
    # The advocate (the earlier case's worker) cannot see the new case.
    for url in (monitoring, decide):
        html = client_for(world.advocate).get(url).content.decode()
        assert new.reference not in html and f"/cases/{new.pk}/" not in html, url
        assert "a case not shared with your agency" in html.lower(), url
    listed = api(world.advocate).get(f"/api/v1/cases/{earlier.pk}/reoffending-candidates/").json()
    assert [c["new_case"] for c in listed] == [None]
    assert (
        api(world.advocate).get(f"/api/v1/cases/{earlier.pk}/monitoring/").json()["candidates"][0]["new_case"] is None
    )
    # The timeline, which every reader of the earlier case sees, never names it.
    timeline = " ".join(earlier.timeline.values_list("summary", flat=True))
    assert "Possible re-offending" in timeline and new.reference not in timeline
    # The police triage officer sees both cases: the reference and a link.
    html = client_for(world.triage_officer).get(decide).content.decode()
    assert f'href="/cases/{new.pk}/">{new.reference}</a>' in html
    listed = api(world.triage_officer).get(f"/api/v1/cases/{earlier.pk}/reoffending-candidates/").json()
    assert listed[0]["new_case"] == {"id": new.pk, "reference": new.reference, "received_on": TODAY().isoformat()}
    # Rejected, the decided list keeps the same rule.
    rejected = api(world.advocate).post(
        f"/api/v1/cases/{earlier.pk}/reoffending-candidates/{candidate.pk}/reject/", {"reason": "Not him"}
    )
    assert rejected.status_code == 200 and rejected.json()["new_case"] is None
    html = client_for(world.advocate).get(monitoring).content.decode()
    assert "A case not shared with your agency: rejected" in html and new.reference not in html


# --- settings ------------------------------------------------------------------------------------------------------


def test_settings_page_for_programme_managers_only(world: World) -> None:
    url = reverse("followups:followup_settings")
    assert client_for(world.advocate).get(url).status_code == 404
    client = client_for(world.programme_manager)
    assert "3, 6, 9, 12" in client.get(url).content.decode()
    page = client.post(url, {"checkpoints": "6, three"})
    assert "Enter whole numbers of months separated by commas" in page.content.decode()
    assert client.post(url, {"checkpoints": "1, 6, 12", "review_agency": str(world.probation.pk)}).status_code == 302
    saved = FollowUpSettings.objects.get(partnership=world.partnership)
    assert (saved.checkpoints, saved.review_agency) == ([1, 6, 12], world.probation)


# --- the API --------------------------------------------------------------------------------------------------------


def test_api_reviews_completion_and_reoffending_rows(world: World) -> None:
    review = monitored(world)
    case = review.case
    client = api(world.probation_practitioner)
    listed = client.get(f"/api/v1/cases/{case.pk}/followup-reviews/").json()
    assert [(r["checkpoint_months"], r["status"], r["assigned_worker"]["id"]) for r in listed] == [
        (3, "open", world.probation_practitioner.pk)
    ]
    bad = client.post(
        f"/api/v1/cases/{case.pk}/followup-reviews/{review.pk}/completion/",
        {
            "reoffended": True,
            "occurrences": [
                {
                    "occurred_on": (TODAY() + dt.timedelta(days=1)).isoformat(),
                    "kind": "persistence",
                    "victim": "same",
                    "source": "police",
                    "offence": "other",
                }
            ],
        },
        format="json",
    )
    assert bad.status_code == 400
    assert bad.json() == {"occurrence_0_occurred_on": ["The date cannot be in the future"]}
    ok = client.post(
        f"/api/v1/cases/{case.pk}/followup-reviews/{review.pk}/completion/",
        {
            "reoffended": True,
            "occurrences": [
                {
                    "occurred_on": (TODAY() - dt.timedelta(days=1)).isoformat(),
                    "kind": "persistence",
                    "victim": "same",
                    "source": "police",
                    "offence": "other",
                    "crime_reference": "x/1",
                }
            ],
        },
        format="json",
    )
    assert ok.status_code == 200 and ok.json()["status"] == "completed"
    rows = client.get(f"/api/v1/cases/{case.pk}/reoffending/").json()
    assert [
        {k: r[k] for k in ("referral_ref", "occurred_on", "kind", "victim", "source", "offence")} for r in rows
    ] == [
        {
            "referral_ref": case.referral.ref,
            "occurred_on": (TODAY() - dt.timedelta(days=1)).isoformat(),
            "kind": "persistence",
            "victim": "same",
            "source": "police",
            "offence": "other",
        }
    ]
    created = client.post(
        f"/api/v1/cases/{case.pk}/reoffending/",
        {
            "occurred_on": TODAY().isoformat(),
            "kind": "recurrence",
            "victim": "new",
            "source": "probation",
            "offence": "s2_harassment",
        },
        format="json",
    )
    assert created.status_code == 201 and created.json()["review_id"] is None
    monitoring = client.get(f"/api/v1/cases/{case.pk}/monitoring/").json()
    assert monitoring["checkpoints"] == [3, 6, 9, 12]
    assert [c["state"] for c in monitoring["periods"][0]["checkpoints"]] == [
        "completed",
        "upcoming",
        "upcoming",
        "upcoming",
    ]
    assert len(monitoring["reoffending"]) == 2


def test_api_open_reviews_across_cases_keyset_paged(world: World) -> None:
    for days in (400, 200, 100):
        accepted_case(world, decided_on=TODAY() - dt.timedelta(days=days), worker=world.advocate)
    services.followups_schedule(today=TODAY())
    client = api(world.advocate)
    dues: list[str] = []
    cursor, pages = "", 0
    while True:
        page = client.get("/api/v1/followup-reviews/", {"due": "overdue", "page_size": "3", "cursor": cursor}).json()
        dues += [r["due_on"] for r in page["results"]]
        pages += 1
        if not page["next"]:
            break
        cursor = page["next"]
    # 400 days: 3, 6, 9 and 12 months reached; 200 days: 3 and 6; 100 days: 3.
    assert (len(dues), pages) == (7, 3)
    assert dues == sorted(dues)
    assert client.get("/api/v1/followup-reviews/", {"mine": "true"}).json()["results"][0]["assigned_worker"]["id"] == (
        world.advocate.pk
    )
