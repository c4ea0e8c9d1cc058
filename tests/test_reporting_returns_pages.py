"""The returns pages and API: who may use them (404 for everyone else), the access log, query counts."""

from __future__ import annotations

import csv
import io
from typing import Any

import openpyxl
import pytest
from django.test import Client
from django.urls import reverse

from audit.models import AccessLog
from reporting.models import GeneratedReturn, ReturnDefinition, TrainingEvent
from reporting.returns import services
from tests.factories import World
from tests.reporting_returns_data import Q3

pytestmark = pytest.mark.django_db


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _done_return(world: World) -> GeneratedReturn:
    definition = services.definition_ensure_default(partnership=world.partnership, actor=world.programme_manager)
    generated = services.return_request(
        actor=world.programme_manager, definition=definition, quarter=Q3, suppress_small_numbers=True
    )
    services.return_generate(return_id=generated.pk)
    generated.refresh_from_db()
    return generated


def _pages(generated: GeneratedReturn) -> list[str]:
    definition_id = generated.version.definition_id
    return [
        reverse("reporting:returns"),
        reverse("reporting:return_preview") + f"?definition={definition_id}&quarter=2025-Q3",
        reverse("reporting:return_detail", args=[generated.pk]),
        reverse("reporting:return_download", args=[generated.pk, "xlsx"]),
        reverse("reporting:return_download", args=[generated.pk, "csv"]),
        reverse("reporting:definition_detail", args=[definition_id]),
        reverse("reporting:definition_version", args=[definition_id, 1]),
        reverse("reporting:indicator_add", args=[definition_id]),
        reverse("reporting:indicator_edit", args=[definition_id, "referrals_received"]),
        reverse("reporting:training_list"),
        reverse("reporting:dashboard"),
        reverse("reporting:data_quality"),
        reverse("reporting:data_quality_cases", args=["no_tier"]),
    ]


def _apis(generated: GeneratedReturn) -> list[str]:
    return [
        reverse("api-reporting-returns"),
        reverse("api-reporting-return-detail", args=[generated.pk]),
        reverse("api-reporting-return-download", args=[generated.pk, "csv"]),
        reverse("api-reporting-dashboard"),
    ]


@pytest.mark.parametrize("role", ["programme_manager", "admin"])
def test_programme_roles_reach_every_page(world: World, role: str, django_capture_on_commit_callbacks: Any) -> None:
    with django_capture_on_commit_callbacks(execute=False):
        generated = _done_return(world)
    client = _client(getattr(world, role))
    for url in _pages(generated) + _apis(generated):
        assert client.get(url).status_code == 200, url


@pytest.mark.parametrize("role", ["triage_officer", "advocate", "clinician", "probation_practitioner"])
def test_other_roles_get_404_everywhere(world: World, role: str, django_capture_on_commit_callbacks: Any) -> None:
    with django_capture_on_commit_callbacks(execute=False):
        generated = _done_return(world)
    client = _client(getattr(world, role))
    for url in _pages(generated) + _apis(generated):
        assert client.get(url).status_code == 404, url
    definition_id = generated.version.definition_id
    posts = [
        (reverse("reporting:return_generate"), {"definition": definition_id, "quarter": "2025-Q3"}),
        (reverse("reporting:indicator_remove", args=[definition_id, "referrals_received"]), {"based_on": 1}),
        (reverse("reporting:training_list"), {}),
        (reverse("api-reporting-returns"), {"quarter": "2025-Q3"}),
    ]
    for url, data in posts:
        assert client.post(url, data).status_code == 404, url
    assert GeneratedReturn.objects.count() == 1
    assert generated.version.definition.versions.count() == 1


def test_another_partnership_gets_404(
    world: World, other_world: World, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=False):
        generated = _done_return(world)
    client = _client(other_world.programme_manager)
    definition_id = generated.version.definition_id
    for url in [p for p in _pages(generated) + _apis(generated) if str(generated.pk) in p or str(definition_id) in p]:
        if url.startswith(reverse("reporting:returns")) and "preview" not in url and str(generated.pk) not in url:
            continue
        assert client.get(url).status_code in (404, 400), url
    assert client.get(reverse("reporting:return_detail", args=[generated.pk])).status_code == 404
    assert client.get(reverse("api-reporting-return-detail", args=[generated.pk])).status_code == 404
    assert client.get(reverse("reporting:definition_detail", args=[definition_id])).status_code == 404
    assert (
        client.post(
            reverse("api-reporting-returns"), {"quarter": "2025-Q3", "definition_id": definition_id}
        ).status_code
        == 404
    )
    # Their own pages show their own partnership only.
    response = client.get(reverse("reporting:returns"))
    assert response.status_code == 200 and generated.version.definition.name in response.content.decode()
    assert ReturnDefinition.objects.filter(partnership=other_world.partnership).count() == 1


def test_signed_out_api_is_401(world: World) -> None:
    assert Client().get(reverse("api-reporting-dashboard")).status_code == 401


def test_downloads_are_logged_as_exports(world: World, django_capture_on_commit_callbacks: Any) -> None:
    with django_capture_on_commit_callbacks(execute=False):
        generated = _done_return(world)
    client = _client(world.programme_manager)
    xlsx_response = client.get(reverse("reporting:return_download", args=[generated.pk, "xlsx"]))
    assert xlsx_response["Content-Disposition"].endswith(f'-return-2025-26-q3-v1-{generated.pk}.xlsx"')
    book = openpyxl.load_workbook(io.BytesIO(xlsx_response.content))
    assert book["Cover"]["B3"].value == world.partnership.name
    csv_response = client.get(reverse("api-reporting-return-download", args=[generated.pk, "csv"]))
    rows = list(csv.reader(io.StringIO(csv_response.content.decode("utf-8-sig"))))
    assert rows[1][:4] == [world.partnership.name, "2025/26 Q3", "Home Office quarterly return", "1"]
    exports = AccessLog.objects.filter(action="export", record_type="reporting.generated_return").order_by("id")
    assert [(e.user_id, e.record_ids, e.purpose) for e in exports] == [
        (world.programme_manager.pk, [str(generated.pk)], "XLSX of the 2025/26 Q3 return (definition version 1)"),
        (world.programme_manager.pk, [str(generated.pk)], "CSV of the 2025/26 Q3 return (definition version 1)"),
    ]
    assert exports[0].partnership_id == world.partnership.pk


def test_a_return_not_ready_has_no_download(world: World, django_capture_on_commit_callbacks: Any) -> None:
    definition = services.definition_ensure_default(partnership=world.partnership)
    with django_capture_on_commit_callbacks(execute=False):
        generated = services.return_request(
            actor=world.programme_manager, definition=definition, quarter=Q3, suppress_small_numbers=False
        )
    client = _client(world.programme_manager)
    page = client.get(reverse("reporting:return_detail", args=[generated.pk])).content.decode()
    # The progress panel polls with htmx and offers a plain link to refresh without JavaScript.
    assert 'hx-get="' + reverse("reporting:return_progress", args=[generated.pk]) in page
    assert "Refresh the page" in page
    assert client.get(reverse("reporting:return_download", args=[generated.pk, "xlsx"])).status_code == 404
    progress = client.get(reverse("reporting:return_progress", args=[generated.pk]), HTTP_HX_REQUEST="true")
    assert "Waiting to start" in progress.content.decode()
    services.return_generate(return_id=generated.pk)
    done = client.get(reverse("reporting:return_progress", args=[generated.pk]), HTTP_HX_REQUEST="true")
    assert done.status_code == 204 and done["HX-Refresh"] == "true"
    # Without htmx, the progress URL sends the browser to the page itself.
    assert client.get(reverse("reporting:return_progress", args=[generated.pk])).status_code == 302


def test_generate_through_the_page_queues_the_job(world: World, django_capture_on_commit_callbacks: Any) -> None:
    definition = services.definition_ensure_default(partnership=world.partnership)
    client = _client(world.programme_manager)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(
            reverse("reporting:return_generate"), {"definition": definition.pk, "quarter": "2025-Q3", "suppress": "on"}
        )
    generated = GeneratedReturn.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "reporting:return_detail", args=[generated.pk]
    )
    assert (generated.year, generated.quarter, generated.suppress_small_numbers) == (2025, 3, True)
    assert len(callbacks) == 1  # the job, queued when the transaction commits


def test_the_api_generates_and_reports_status(world: World, django_capture_on_commit_callbacks: Any) -> None:
    client = _client(world.programme_manager)
    with django_capture_on_commit_callbacks(execute=False):
        response = client.post(
            reverse("api-reporting-returns"),
            {"quarter": "2025-Q3", "suppress_small_numbers": True},
            content_type="application/json",
        )
    assert response.status_code == 202
    body = response.json()
    assert body["status"] == "queued" and body["definition_version"] == 1 and body["download_urls"] == {}
    services.return_generate(return_id=body["id"])
    status = client.get(body["status_url"]).json()
    assert status["status"] == "done" and status["progress_percent"] == 100
    assert status["download_urls"]["xlsx"] == reverse("api-reporting-return-download", args=[body["id"], "xlsx"])
    referrals = status["sections"][0]["indicators"][0]
    assert referrals["key"] == "referrals_received" and referrals["total"] == 0
    bad = client.post(reverse("api-reporting-returns"), {"quarter": "2025-Q9"}, content_type="application/json")
    assert bad.status_code == 400 and "quarter" in bad.json()


def test_the_indicator_form_adds_a_version(world: World) -> None:
    definition = services.definition_ensure_default(partnership=world.partnership)
    client = _client(world.programme_manager)
    url = reverse("reporting:indicator_add", args=[definition.pk])
    assert "What does the indicator count?" in client.get(url).content.decode()
    form = client.get(url + "?measure=interventions").content.decode()
    assert "Only count where: intervention type" in form
    response = client.post(
        url,
        {
            "based_on": 1,
            "measure": "interventions",
            "label": "Victim safeguarding started",
            "section": "Victims",
            "date_basis": "started",
            "period": "quarter",
            "filter_intervention_type": ["victim_safeguarding"],
            "breakdown": "",
        },
    )
    assert response.status_code == 302
    version = services.latest_version(definition)
    added = version.indicators.get(key="victim_safeguarding_started")
    assert (version.number, added.filters, added.section) == (
        2,
        {"intervention_type": ["victim_safeguarding"]},
        "Victims",
    )
    # The same form again, on the version it was made from: refused as stale, nothing saved.
    stale = client.post(
        url,
        {
            "based_on": 1,
            "measure": "interventions",
            "label": "Again",
            "section": "Victims",
            "date_basis": "started",
            "period": "quarter",
        },
    )
    assert stale.status_code == 400 and "since you opened it" in stale.content.decode()
    assert definition.versions.count() == 2


def test_training_is_recorded_and_validated(world: World, other_world: World) -> None:
    client = _client(world.programme_manager)
    url = reverse("reporting:training_list")
    bad = client.post(
        url, {"topic": "", "audience": "police", "attendees": "0", "delivering_agency": other_world.police.pk}
    )
    assert bad.status_code == 400
    page = bad.content.decode()
    assert "Enter the topic" in page and "Attendees must be between 1 and 10,000" in page
    good = client.post(
        url,
        {
            "delivered_on_day": "14",
            "delivered_on_month": "10",
            "delivered_on_year": "2025",
            "topic": "Stalking awareness",
            "audience": "police",
            "attendees": "18",
            "delivering_agency": world.police.pk,
        },
    )
    assert good.status_code == 302
    event = TrainingEvent.objects.get()
    assert (event.partnership_id, event.attendees, event.recorded_by_id) == (
        world.partnership.pk,
        18,
        world.programme_manager.pk,
    )
    assert (
        _client(other_world.programme_manager).get(reverse("reporting:training_edit", args=[event.pk])).status_code
        == 404
    )


def test_list_pages_pin_their_query_counts(
    world: World, django_assert_num_queries: Any, django_capture_on_commit_callbacks: Any
) -> None:
    client = _client(world.programme_manager)

    def returns_page_queries() -> int:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("reporting:returns")).status_code == 200
        return len(queries)

    with django_capture_on_commit_callbacks(execute=False):
        _done_return(world)
    # The session's first request records its activity (a save); the next ones, within the
    # minute, do not (masip.middleware.IdleTimeoutMiddleware).
    client.get(reverse("reporting:returns"))
    one = returns_page_queries()
    with django_capture_on_commit_callbacks(execute=False):
        for _ in range(4):
            _done_return(world)
    # The same number of queries for one return listed as for five: no query per row.
    assert returns_page_queries() == one
    # Session, user, agency, definitions, the returns with definition and requester, the header's
    # sections (the sharing agreement); the count is pinned.
    with django_assert_num_queries(one):
        client.get(reverse("reporting:returns"))
    for n in range(3):
        TrainingEvent.objects.create(
            partnership=world.partnership,
            delivering_agency=world.police,
            delivered_on=Q3.start,
            audience="police",
            topic=f"Session {n}",
            attendees=10,
            recorded_by=world.programme_manager,
        )
    with django_assert_num_queries(one + 1):  # the form's agencies; the events with their agency in one query
        assert client.get(reverse("reporting:training_list")).status_code == 200


def test_the_header_lists_the_sections_for_programme_roles_only(world: World) -> None:
    from masip.navigation import sections_for

    mine = {"programme_dashboard", "quarterly_returns", "data_quality", "training_events"}
    assert mine <= {s.key for s in sections_for(world.programme_manager)}
    assert mine <= {s.key for s in sections_for(world.admin)}
    for user in (world.triage_officer, world.advocate, world.clinician, world.probation_practitioner):
        assert not mine & {s.key for s in sections_for(user)}
