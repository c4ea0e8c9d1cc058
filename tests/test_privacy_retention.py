"""Retention schedules, their nightly listing, approval, legal holds, and erasure that
reaches every table and every history row."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import Client
from django.urls import reverse
from psycopg import sql

from advocacy.models import ContactLogEntry
from agencies.models import User
from audit.models import AccessLog
from cases.models import Address, Case, CaseNote, Person
from documents.models import Document, document_storage
from privacy import services
from privacy.models import BatchStatus, ItemOutcome, LegalHold, RetentionBatch, RetentionChunk, RetentionItem
from tests.agreements import AGREEMENTS, set_agreement
from tests.factories import World
from tests.privacy_factories import close_long_ago, marked_case, victim_id

pytestmark = pytest.mark.django_db

TODAY = dt.date.today()
TEXT_TYPES = ("text", "character varying", "character", "json", "jsonb", "ARRAY")


@pytest.fixture(autouse=True)
def _remove_stored_files(db: None) -> Iterator[None]:
    yield
    for document in Document.objects.exclude(file=""):
        document.file.delete(save=False)


def columns_holding(marker: str) -> list[str]:
    """Every text, varchar, json(b) and array column of every table that holds ``marker``."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.table_schema, c.table_name, c.column_name FROM information_schema.columns c "
            "JOIN information_schema.tables t USING (table_schema, table_name) "
            "WHERE c.table_schema NOT IN ('pg_catalog', 'information_schema') AND t.table_type = 'BASE TABLE' "
            "AND c.data_type = ANY(%s)",
            [list(TEXT_TYPES)],
        )
        columns = cursor.fetchall()
        found = []
        for schema, table, column in columns:
            cursor.execute(
                sql.SQL("SELECT 1 FROM {}.{} WHERE {}::text ILIKE %s LIMIT 1").format(
                    sql.Identifier(schema), sql.Identifier(table), sql.Identifier(column)
                ),
                [f"%{marker}%"],
            )
            if cursor.fetchone():
                found.append(f"{table}.{column}")
    assert len(columns) > 200  # the scan reaches the whole schema, history tables included
    return found


def _schedule(admin: User, kind: str = "case", action: str = "erase", trigger: str = "case_closed", months: int = 72):
    return services.schedule_create(actor=admin, record_kind=kind, trigger=trigger, period_months=months, action=action)


def _list_and_approve(admin: User) -> RetentionBatch:
    listed = services.retention_list_due(today=TODAY)
    batch = RetentionBatch.objects.get(pk=next(x.batch_id for x in listed if x.batch_id))
    services.retention_batch_approve(actor=admin, batch_id=batch.pk)
    return batch


def test_erasing_a_case_leaves_no_trace_of_its_content_in_any_table_or_history(world: World) -> None:
    erased = marked_case(world, "qzerasemark")
    kept = marked_case(world, "qzkeepmark")
    close_long_ago(erased)
    stored = list(Document.objects.filter(case=erased).values_list("file", flat=True))
    assert stored and all(document_storage().exists(name) for name in stored)
    # Before: the marker is in the live tables and in their history tables.
    before = columns_holding("qzerasemark")
    assert any(c.startswith("cases_person.") for c in before)
    assert any(c.startswith("cases_personevent.") for c in before), before
    assert any(c.startswith("documents_documentevent.") for c in before), before

    _schedule(world.admin)
    batch = _list_and_approve(world.admin)
    assert list(RetentionItem.objects.filter(batch=batch).values_list("record_id", flat=True)) == [erased.pk]
    assert services.retention_batch_run(batch_id=batch.pk) == 0

    assert columns_holding("qzerasemark") == []
    # Only what was due went: the other case keeps every word.
    assert "cases_casenote.text" in columns_holding("qzkeepmark")
    assert CaseNote.objects.filter(case=kept).exists()
    assert not any(document_storage().exists(name) for name in stored)
    address = Address.objects.get(person_id=victim_id(erased))
    assert (address.line_1, address.postcode) == ("", "")
    assert Person.objects.get(pk=victim_id(erased)).date_of_birth is None
    # The case row stays (returns count it) and says nothing.
    assert Case.objects.filter(pk=erased.pk).exists()
    assert not ContactLogEntry.objects.filter(case=erased).exists()
    # The tombstone: kind, count, schedule, approver; no record's content.
    tombstone = AccessLog.objects.get(record_type="privacy.retentionbatch", purpose__startswith="Erased")
    assert tombstone.user_id == world.admin.pk
    assert "Erased 1 case records under retention schedule" in tombstone.purpose
    assert f"approved by user {world.admin.pk}" in tombstone.purpose
    batch.refresh_from_db()
    assert batch.status == BatchStatus.DONE


@pytest.mark.parametrize(
    ("kind", "action"),
    [("document", "erase"), ("contact_log", "erase"), ("contact_log", "anonymise"), ("person", "anonymise")],
)
def test_each_kind_of_record_goes_with_its_history(world: World, kind: str, action: str) -> None:
    case = marked_case(world, "qzkindmark")
    close_long_ago(case)
    _schedule(world.admin, kind=kind, action=action)
    batch = _list_and_approve(world.admin)
    assert services.retention_batch_run(batch_id=batch.pk) == 0
    left = columns_holding("qzkindmark")
    if kind == "document":
        assert not any(c.startswith("documents_document") for c in left)
        assert not Document.objects.filter(case=case).exists()
        assert "cases_casenote.text" in left  # the rest of the case is not this schedule's
    elif kind == "contact_log":
        assert not any(c.startswith("advocacy_contactlog") for c in left), left
        assert ContactLogEntry.objects.filter(case=case).exists() == (action == "anonymise")
    else:
        assert not any(c.startswith(("cases_person.", "cases_personevent.", "cases_address")) for c in left), left
        assert Person.objects.get(pk=victim_id(case)).gender == "female"  # anonymising keeps demographics


def test_the_nightly_listing_is_idempotent_and_counts_from_the_trigger(world: World) -> None:
    old, recent, open_case = (marked_case(world, f"qzidem{i}") for i in range(3))
    close_long_ago(old)
    close_long_ago(recent, closed_on=TODAY - dt.timedelta(days=30))
    _schedule(world.admin)
    first = services.retention_list_due(today=TODAY)
    second = services.retention_list_due(today=TODAY)
    assert [x.items for x in first] == [1]
    assert [x.items for x in second] == [0]
    assert list(RetentionItem.objects.values_list("record_id", flat=True)) == [old.pk]
    assert RetentionBatch.objects.count() == 1
    assert open_case.pk not in RetentionItem.objects.values_list("record_id", flat=True)


def test_a_legal_hold_keeps_a_case_out_of_the_batch_and_stops_an_approved_one(world: World) -> None:
    held_before, held_after, free = (marked_case(world, f"qzhold{i}") for i in range(3))
    for case in (held_before, held_after, free):
        close_long_ago(case)
    services.legal_hold_set(actor=world.admin, case_reference=held_before.reference, reason="Civil claim pending")
    _schedule(world.admin)
    listed = services.retention_list_due(today=TODAY)
    batch = RetentionBatch.objects.get(pk=listed[0].batch_id)
    assert sorted(RetentionItem.objects.filter(batch=batch).values_list("record_id", flat=True)) == sorted(
        [held_after.pk, free.pk]
    )
    services.retention_batch_approve(actor=world.admin, batch_id=batch.pk)
    # A hold set after approval, before the job reaches the case, still stops it.
    services.legal_hold_set(actor=world.admin, case_reference=str(held_after.pk), reason="Inquiry")
    services.retention_batch_run(batch_id=batch.pk)
    outcomes = dict(RetentionItem.objects.filter(batch=batch).values_list("record_id", "outcome"))
    assert outcomes == {held_after.pk: ItemOutcome.HELD, free.pk: ItemOutcome.DONE}
    assert "cases_casenote.text" in columns_holding("qzhold1")
    assert "cases_casenote.text" in columns_holding("qzhold0")
    assert columns_holding("qzhold2") == []
    # Lifted with a reason; the next night lists the held case that was never itemised.
    hold = LegalHold.objects.get(case=held_before, lifted_at__isnull=True)
    with pytest.raises(ValidationError):
        services.legal_hold_lift(actor=world.admin, hold_id=hold.pk, reason=" ")
    services.legal_hold_lift(actor=world.admin, hold_id=hold.pk, reason="Claim settled")
    later = services.retention_list_due(today=TODAY + dt.timedelta(days=1))
    assert [x.items for x in later] == [1]


def test_a_run_again_after_it_finished_does_nothing_twice(world: World) -> None:
    cases = [marked_case(world, f"qztwice{i}") for i in range(3)]
    for case in cases:
        close_long_ago(case)
    _schedule(world.admin, action="anonymise")
    batch = _list_and_approve(world.admin)
    services.retention_batch_run(batch_id=batch.pk)
    chunks = RetentionChunk.objects.filter(batch=batch).count()
    tombstones = AccessLog.objects.filter(record_type="privacy.retentionbatch", purpose__startswith="Anonymised")
    assert tombstones.count() == chunks
    services.retention_batch_run(batch_id=batch.pk)
    for chunk_id in RetentionChunk.objects.filter(batch=batch).values_list("pk", flat=True):
        assert services.retention_chunk_run(chunk_id=chunk_id) is False
    assert tombstones.count() == chunks


def test_schedules_refuse_what_cannot_be_done_all_at_once(world: World) -> None:
    client = Client()
    client.force_login(world.admin)
    response = client.post(
        reverse("privacy:schedules"),
        {
            "add_schedule": "1",
            "record_kind": "access_log",
            "trigger": "date_of_birth",
            "period_months": "0",
            "action": "erase",
        },
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "govuk-error-summary" in body
    assert "Enter a period between 1 and 1200 months" in body
    with pytest.raises(ValidationError) as caught:
        services.schedule_create(
            actor=world.admin, record_kind="access_log", trigger="date_of_birth", period_months=12, action="erase"
        )
    assert set(caught.value.message_dict) == {"trigger", "action"}
    response = client.post(
        reverse("privacy:schedules"),
        {
            "add_schedule": "1",
            "record_kind": "case",
            "trigger": "case_closed",
            "period_months": "72",
            "action": "review",
        },
    )
    assert response.status_code == 302
    table = client.get(reverse("privacy:schedules")).content.decode().split('data-testid="schedules"')[1]
    cells = [c.split(">", 1)[1].split("<", 1)[0] for c in table.split("</table>")[0].split("<td")[1:5]]
    assert cells == ["Case", "Case closed", "72", "Review"]


# --- who may: every page and write is the partnership admin's, of their own partnership -------------------------


@pytest.fixture(params=list(AGREEMENTS))
def agreement(request: pytest.FixtureRequest, world: World, other_world: World) -> str:
    rules = AGREEMENTS[request.param]
    if rules is not None:
        set_agreement(world.partnership, rules)
        set_agreement(other_world.partnership, rules)
    return str(request.param)


def test_retention_pages_and_writes_are_404_outside_the_admins_partnership(
    world: World, other_world: World, agreement: str
) -> None:
    case = marked_case(world, "qzpermmark")
    close_long_ago(case)
    _schedule(world.admin)
    batch = RetentionBatch.objects.get(pk=services.retention_list_due(today=TODAY)[0].batch_id)
    hold = services.legal_hold_set(actor=world.admin, case_reference=case.reference, reason="Claim")
    outsiders = [
        other_world.admin,
        world.triage_officer,
        world.advocate,
        world.clinician,
        world.probation_practitioner,
        world.programme_manager,
    ]
    for user in outsiders:
        client = Client()
        client.force_login(user)
        for url in (
            reverse("privacy:batch", args=[batch.pk]),
            reverse("privacy:hold_lift", args=[hold.pk]),
        ):
            assert client.get(url).status_code == 404, (user.role, url)
        assert client.post(reverse("privacy:batch", args=[batch.pk]), {"decision": "approve"}).status_code == 404
        assert client.post(reverse("privacy:hold_lift", args=[hold.pk]), {"lift_reason": "x"}).status_code == 404
        if user.role != "partnership_admin":
            for name in ("privacy:schedules", "privacy:batches", "privacy:holds"):
                assert client.get(reverse(name)).status_code == 404, (user.role, name)
    # The other partnership's admin cannot hold this partnership's case by its number either.
    with pytest.raises(ValidationError):
        services.legal_hold_set(actor=other_world.admin, case_reference=case.reference, reason="x")
    batch.refresh_from_db()
    assert batch.status == BatchStatus.AWAITING_APPROVAL
    assert LegalHold.objects.get(pk=hold.pk).lifted_at is None
    # And the pages work for the admin.
    client = Client()
    client.force_login(world.admin)
    for name in ("privacy:schedules", "privacy:batches", "privacy:holds"):
        assert client.get(reverse(name)).status_code == 200
    page = client.get(reverse("privacy:batch", args=[batch.pk]))
    assert page.status_code == 200
    assert "qzpermmark" not in page.content.decode()  # counts only, no record named


def test_the_api_lists_and_approves_batches_for_the_admins_partnership_only(world: World, other_world: World) -> None:
    from rest_framework.test import APIClient

    case = marked_case(world, "qzapimark")
    close_long_ago(case)
    _schedule(world.admin, action="review")
    batch_id = services.retention_list_due(today=TODAY)[0].batch_id
    for user in (other_world.admin, world.triage_officer, world.probation_practitioner):
        client = APIClient()
        client.force_authenticate(user)
        assert client.post(f"/api/v1/privacy/retention/batches/{batch_id}/approve/").status_code == 404
        listed = client.get("/api/v1/privacy/retention/batches/")
        assert listed.status_code == 404 or listed.json()["results"] == []
    client = APIClient()
    client.force_authenticate(world.admin)
    assert [b["id"] for b in client.get("/api/v1/privacy/retention/batches/").json()["results"]] == [batch_id]
    approved = client.post(f"/api/v1/privacy/retention/batches/{batch_id}/approve/")
    assert approved.status_code == 200 and approved.json()["status"] == BatchStatus.APPROVED
    assert client.post(f"/api/v1/privacy/retention/batches/{batch_id}/approve/").status_code == 400
