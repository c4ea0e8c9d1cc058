"""Running the service: JSON logs without personal data, /metrics, liveness and readiness, the backup drill."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from celery import signals
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.urls import reverse

from agencies.models import User
from audit.models import AccessAction
from audit.services import access_record
from cases.models import Case, Person
from masip.logging import JsonFormatter, RequestIdFilter
from tests.factories import World

METRICS_TOKEN = "scrape-" + "x" * 40


@pytest.fixture
def log_output() -> Iterator[io.StringIO]:
    """Everything logged at INFO and above, formatted as production formats it."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestIdFilter())
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    try:
        yield stream
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


def _demo() -> None:
    from advocacy.demo import load_demo_data
    from agencies.demo import load_demo
    from cases.demo import load_demo_cases

    load_demo()
    load_demo_cases()
    load_demo_data()


def _personal_data_markers() -> set[str]:
    """The demo's people: names, dates of birth, addresses, postcodes, phone numbers, e-mails."""
    markers: set[str] = set()
    for person in Person.objects.prefetch_related("addresses").all():
        markers |= {person.given_name, person.family_name, f"{person.given_name} {person.family_name}"}
        if person.date_of_birth:
            markers.add(person.date_of_birth.isoformat())
        for address in person.addresses.all():
            markers |= {address.line_1, address.postcode}
    for row in Person.objects.values_list("contact_details__value", flat=True):
        if row:
            markers.add(row)
    return {marker for marker in markers if marker and len(marker) >= 4}


def test_logs_are_json_lines_with_a_request_id_and_no_personal_data(db: None, log_output: io.StringIO) -> None:
    _demo()
    triage = Client()
    triage.force_login(User.objects.get(email="triage@demo.masip.test"))
    advocate = Client()
    advocate.force_login(User.objects.get(email="advocate@demo.masip.test"))
    victim = Person.objects.filter(case_parts__role="victim").order_by("pk").first()
    assert victim is not None
    answers = [
        triage.get("/cases/", HTTP_X_REQUEST_ID="proxy-id-0001"),
        # A search by a victim's family name: the term is personal data.
        triage.post("/cases/", {"q": victim.family_name}),
        triage.get("/cases/"),
        triage.get(reverse("people:person_detail", args=[victim.pk])),
        triage.get("/cases/999999999/"),  # 404
        triage.post("/cases/new/", {"victim-family_name": victim.family_name}),  # a form with errors
    ]
    for case in Case.objects.order_by("pk")[:4]:
        answers.append(triage.get(reverse("cases:case_detail", args=[case.pk])))
        answers.append(advocate.get(reverse("cases:case_detail", args=[case.pk])))
    assert {answer.status_code for answer in answers} >= {200, 404}

    text = log_output.getvalue()
    lines = [json.loads(line) for line in text.splitlines() if line.strip()]
    requests = [line for line in lines if line["logger"] == "masip.request"]
    assert len(requests) == len(answers)
    # Each request's line carries the id the answer carries; a proxy's own id is kept.
    assert [line["request_id"] for line in requests] == [answer["X-Request-ID"] for answer in answers]
    assert requests[0]["request_id"] == "proxy-id-0001"
    assert {"time", "level", "view", "route", "status", "duration_ms", "user_id"} <= set(requests[0])
    assert requests[4]["status"] == 404
    # No path, so not even a case id: the URL pattern instead.
    assert requests[3]["route"] == "people/<int:person_id>/"
    markers = _personal_data_markers()
    assert len(markers) > 50
    leaked = sorted(marker for marker in markers if marker in text)
    assert leaked == []


def test_metrics_answer_only_the_scraper_and_show_latency_queues_and_failures(
    world: World, settings: Any, client: Client
) -> None:
    from masip.celery import ping

    settings.MASIP_METRICS_TOKEN = METRICS_TOKEN
    assert client.get("/metrics").status_code == 404
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 404
    client.force_login(world.admin)
    assert client.get("/metrics").status_code == 404  # signed-in staff are not the scraper either
    assert client.get("/cases/").status_code == 200
    # A task that failed for good, as a worker reports it.
    signals.task_failure.send(sender=ping, task_id="t-1", exception=RuntimeError("x"))
    answer = Client().get("/metrics", HTTP_AUTHORIZATION=f"Bearer {METRICS_TOKEN}")
    assert answer.status_code == 200
    body = answer.content.decode()
    assert 'masip_http_request_duration_seconds_bucket{le="0.3",method="GET",view="cases:caseload"}' in body
    assert 'masip_celery_queue_depth{queue="nightly"}' in body
    assert 'masip_celery_task_failures_total{task="masip.ping"}' in body
    assert answer["Cache-Control"].startswith("max-age=0") or "no-store" in answer["Cache-Control"]


def test_liveness_asks_nothing_and_readiness_wants_the_access_log_partitions(db: None, client: Client) -> None:
    assert client.get("/livez").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert set(ready.json()["checks"]) == {"database", "redis", "access_log"}
    import datetime as dt

    from audit.partitions import months_from
    from masip.health import timezone

    nxt = months_from(timezone.now().astimezone(dt.UTC).date().replace(day=1), 2)[1]
    with connection.cursor() as cursor:  # rolled back with the test
        cursor.execute(f"ALTER TABLE audit_accesslog DETACH PARTITION audit_accesslog_y{nxt:%Y}m{nxt:%m}")
    answer = client.get("/readyz")
    assert answer.status_code == 503
    assert answer.json()["checks"]["access_log"]["ok"] is False
    assert client.get("/livez").status_code == 200


@pytest.mark.django_db(transaction=True)
def test_the_backup_drill_restores_every_row_and_an_append_only_log(world: World) -> None:
    for n in range(3):
        access_record(user=world.advocate, action=AccessAction.VIEW, record_type="cases.case", record_ids=[n])
    out = io.StringIO()
    call_command("backup_drill", "--keep-database", stdout=out)
    text = out.getvalue()
    assert "row counts: every table matches" in text
    assert "access log: append-only after the restore" in text
    from masip.management.commands.backup_drill import _conninfo, access_log_append_only

    db = settings.DATABASES["default"]
    with psycopg.connect(**_conninfo(db), autocommit=True) as conn:
        drills = [
            name
            for (name,) in conn.execute(
                "SELECT datname FROM pg_database WHERE datname LIKE %s", [f"{db['NAME']}\\_drill\\_%"]
            ).fetchall()
        ]
    assert len(drills) == 1
    try:
        with psycopg.connect(**_conninfo(db, drills[0]), autocommit=True) as copy:
            assert copy.execute("SELECT count(*) FROM audit_accesslog").fetchone() == (3,)
            assert access_log_append_only(copy) == []
            # The check can fail: without a partition's TRUNCATE trigger, it says so.
            partition = copy.execute(
                "SELECT tableoid::regclass::text FROM audit_accesslog ORDER BY id LIMIT 1"
            ).fetchone()
            assert partition is not None
            copy.execute(f"DROP TRIGGER pgtrigger_append_only_truncate_9f243 ON {partition[0]}")
            assert access_log_append_only(copy) == [f"TRUNCATE {partition[0]}"]
    finally:
        with psycopg.connect(**_conninfo(db), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE "{drills[0]}"')
