"""No lost update: edits made at the same time, on real connections, keep every change or say why not.

Each race is forced, not hoped for: a third connection holds the row's lock while two
requests run in their own threads (each with its own database connection, as two web
processes would), both read the record and reach the lock; then the lock is let go.
A service that merged a partial change into what it read before the lock would write
back a stale copy and lose the other change every time; one that merges under the lock
keeps both. With ``If-Match`` the second writer is told (412) instead.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
import pytest
from django.db import connection
from rest_framework.test import APIClient

from agencies.models import User
from cases.models import Case, CaseEvent, CaseParty, EventKind, PartyRole, Person
from masip.concurrency import CONFLICT_MESSAGE
from tests.case_factories import make_case
from tests.factories import World

TRIALS = 5


def api(user: User) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


def perpetrator(case: Case) -> Person:
    return CaseParty.objects.get(case=case, role=PartyRole.PERPETRATOR, is_primary=True).person


def _connect() -> psycopg.Connection[Any]:
    params = connection.settings_dict
    return psycopg.connect(
        dbname=params["NAME"],
        user=params["USER"],
        password=params["PASSWORD"] or None,
        host=params["HOST"] or None,
        port=params["PORT"] or None,
    )


def _waiting_on_locks(watcher: psycopg.Connection[Any]) -> int:
    row = watcher.execute(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
    ).fetchone()
    return int(row[0]) if row else 0


@contextmanager
def row_held(table: str, pk: int) -> Iterator[Callable[[int], None]]:
    """Hold ``table``'s row ``pk`` locked on a connection of its own; yield a wait for N blocked writers."""
    holder = _connect()
    watcher = _connect()
    watcher.autocommit = True
    try:
        holder.execute(f"SELECT 1 FROM {table} WHERE id = %s FOR UPDATE", [pk])

        def wait_for(blocked: int) -> None:
            deadline = time.monotonic() + 20
            while _waiting_on_locks(watcher) < blocked:
                assert time.monotonic() < deadline, f"{blocked} writers never reached the lock on {table}"
                time.sleep(0.02)

        yield wait_for
    finally:
        holder.rollback()
        holder.close()
        watcher.close()


def race(table: str, pk: int, requests: list[Callable[[], Any]]) -> list[Any]:
    """Run each request in its own thread while the row is locked; let go once all are blocked on it."""
    results: list[Any] = [None] * len(requests)

    def run(index: int) -> None:
        try:
            results[index] = requests[index]()
        finally:
            connection.close()  # this thread's own connection

    with row_held(table, pk) as wait_for:
        threads = [threading.Thread(target=run, args=(i,)) for i in range(len(requests))]
        for thread in threads:
            thread.start()
        wait_for(len(requests))
    for thread in threads:
        thread.join(timeout=30)
        assert not thread.is_alive()
    return results


@pytest.mark.django_db(transaction=True)
def test_concurrent_patches_of_different_fields_keep_both(world: World) -> None:
    case = make_case(world.triage_officer)
    person = perpetrator(case)
    first, second = api(world.triage_officer), api(world.triage_officer)
    url = f"/api/v1/people/{person.pk}/"
    lost = 0
    for trial in range(TRIALS):
        given, family = f"Given{trial}", f"Family{trial}"

        def change_given(given: str = given) -> Any:
            return first.patch(url, {"given_name": given}, format="json")

        def change_family(family: str = family) -> Any:
            return second.patch(url, {"family_name": family}, format="json")

        responses = race("cases_person", person.pk, [change_given, change_family])
        assert [r.status_code for r in responses] == [200, 200], [r.content for r in responses]
        person.refresh_from_db()
        lost += (person.given_name, person.family_name) != (given, family)
    assert lost == 0, f"{lost} of {TRIALS} trials lost one of the two changes"


@pytest.mark.django_db(transaction=True)
def test_concurrent_patches_from_one_version_give_one_412(world: World) -> None:
    case = make_case(world.triage_officer)
    person = perpetrator(case)
    first, second = api(world.triage_officer), api(world.triage_officer)
    url = f"/api/v1/people/{person.pk}/"
    etag = first.get(url)["ETag"]

    responses = race(
        "cases_person",
        person.pk,
        [
            lambda: first.patch(url, {"given_name": "Dean"}, format="json", HTTP_IF_MATCH=etag),
            lambda: second.patch(url, {"family_name": "Coles"}, format="json", HTTP_IF_MATCH=etag),
        ],
    )

    assert sorted(r.status_code for r in responses) == [200, 412]
    won = next(r for r in responses if r.status_code == 200)
    refused = next(r for r in responses if r.status_code == 412)
    assert refused.json()["detail"] == CONFLICT_MESSAGE
    # The refusal hands out the version now on record: the one the winner's answer carried.
    assert refused["ETag"] == won["ETag"] != etag
    person.refresh_from_db()
    assert (person.given_name, person.family_name) in {("Dean", "Cole"), ("Darren", "Coles")}


@pytest.mark.django_db(transaction=True)
def test_concurrent_reassignments_report_the_conflict(world: World) -> None:
    case = make_case(world.triage_officer)
    first, second = api(world.triage_officer), api(world.programme_manager)
    etag = first.get(f"/api/v1/cases/{case.pk}/")["ETag"]
    url = f"/api/v1/cases/{case.pk}/assignment/"

    responses = race(
        "cases_case",
        case.pk,
        [
            lambda: first.patch(url, {"worker": world.advocate.pk}, format="json", HTTP_IF_MATCH=etag),
            lambda: second.patch(url, {"worker": world.triage_officer.pk}, format="json", HTTP_IF_MATCH=etag),
        ],
    )

    assert sorted(r.status_code for r in responses) == [200, 412]
    won = next(r for r in responses if r.status_code == 200)
    case.refresh_from_db()
    assert case.assigned_worker_id == won.json()["assigned_worker"]["id"]
    assert CaseEvent.objects.filter(case=case, kind=EventKind.ASSIGNED).count() == 1
