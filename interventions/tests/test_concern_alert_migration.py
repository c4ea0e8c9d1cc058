"""The migration that moves a concern's alert onto the notifications app, tried on data.

Three concerns as the old code left them: one e-mailed (its inbox alert written with
``email=False``, the concern holding ``emailed_at``), one whose e-mail was still owed, and one
from before concerns had an inbox alert at all. Forward, each is linked to one alert that
carries its e-mail time; backwards, the times return to the concerns. No row is lost.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from cases.permissions import view_case_permission_id
from interventions.models import SessionConcern
from interventions.tests.helpers import CONCERN_TEXT, accepted, attend, book, days_ago, old_case, plan
from notifications.models import Notification
from tests.factories import World

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = ("interventions", "0003_appointment_cancel_reason")
AFTER = ("interventions", "0004_concern_alert_on_notifications")


def migrate(target: tuple[str, str]) -> None:
    executor = MigrationExecutor(connection)
    executor.migrate([target])


@pytest.fixture
def back_at_the_latest_schema() -> Iterator[None]:
    yield
    migrate(AFTER)  # whatever the test did, the next test finds the schema it expects


def rows(sql: str, *params: Any) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return list(cursor.fetchall())


def test_concern_alerts_move_onto_notifications_without_losing_a_row(
    world: World, back_at_the_latest_schema: None
) -> None:
    view_case_permission_id.cache_clear()
    intervention = accepted(world, old_case(world))
    plan(world, intervention)
    for number in (1, 2, 3):
        attend(
            world,
            book(world, intervention, number, days_ago(10 - number)),
            concerns_raised=True,
            concern_description=CONCERN_TEXT,
        )
    emailed, owed, oldest = SessionConcern.objects.order_by("pk")
    practitioner = world.probation_practitioner.pk
    history_before = rows("SELECT count(*) FROM interventions_sessionconcernevent")[0][0]

    migrate(BEFORE)
    # The old shape: the concern holds the e-mail time, its inbox alert had no e-mail of its own,
    # and the oldest concern has no inbox alert (raised before they had one).
    # Set in full: a suite's worker may already have e-mailed the alerts written above.
    sent_at = timezone.now() - dt.timedelta(days=3)
    with connection.cursor() as cursor:
        cursor.execute("UPDATE interventions_sessionconcern SET emailed_at = NULL")
        cursor.execute("UPDATE interventions_sessionconcern SET emailed_at = %s WHERE id = %s", [sent_at, emailed.pk])
        cursor.execute(
            "UPDATE notifications_notification SET email = false, emailed_at = NULL "
            "WHERE key LIKE 'interventions.concern:%%'"
        )
        cursor.execute("DELETE FROM notifications_notification WHERE key = %s", [f"interventions.concern:{oldest.pk}"])
    assert rows("SELECT count(*) FROM interventions_sessionconcern")[0][0] == 3

    migrate(AFTER)
    concerns = {c.pk: c for c in SessionConcern.objects.select_related("notification")}
    assert set(concerns) == {emailed.pk, owed.pk, oldest.pk}
    for pk, concern in concerns.items():
        alert = concern.notification
        assert alert is not None
        assert (alert.recipient_id, alert.key, alert.email) == (practitioner, f"interventions.concern:{pk}", True)
        assert f"/interventions/cases/{intervention.case_id}/{intervention.pk}/" == alert.link
    # The e-mail already sent is not owed again; the others are, for the sweep to send.
    assert concerns[emailed.pk].notification.emailed_at == sent_at  # type: ignore[union-attr]
    assert concerns[owed.pk].notification.emailed_at is None  # type: ignore[union-attr]
    recreated = concerns[oldest.pk].notification
    assert recreated is not None and recreated.created_at == concerns[oldest.pk].created_at
    assert recreated.subject.startswith("Concern raised at session 3: case MASIP-")
    assert Notification.objects.filter(key__startswith="interventions.concern:").count() == 3
    # History kept: the earlier versions of every concern are still there.
    assert rows("SELECT count(*) FROM interventions_sessionconcernevent")[0][0] >= history_before

    # Backwards, the e-mail times return to the concerns; the alerts stay in the inbox.
    migrate(BEFORE)
    times = dict(rows("SELECT id, emailed_at FROM interventions_sessionconcern"))
    assert times == {emailed.pk: sent_at, owed.pk: None, oldest.pk: None}
    assert Notification.objects.filter(key__startswith="interventions.concern:").count() == 3
