"""The retention run on a real Celery worker and real Redis, SIGKILLed in the middle of a chunk.

The worker (tests/privacy_worker_settings.py: chunks of one record, a slow step inside each
chunk's transaction, a visibility timeout of seconds) is killed while a chunk's erasure is
written but not committed; a second worker picks the redelivered task up. Every chunk must
then be done exactly once: one tombstone per chunk in the access log, every record erased.
"""

from __future__ import annotations

import datetime as dt
import time
import uuid
from collections.abc import Iterator

import pytest
from django.db import connection
from django.test import override_settings

from audit.models import AccessLog
from cases.permissions import view_case_permission_id
from masip.celery import app
from privacy import services
from privacy.models import BatchStatus, ItemOutcome, RetentionBatch, RetentionChunk, RetentionItem
from tests.factories import World
from tests.privacy_factories import close_long_ago, marked_case
from tests.workers import Worker, in_slow_step, wait_for

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.worker]


@pytest.fixture(autouse=True)
def _fresh_permission_id() -> None:
    view_case_permission_id.cache_clear()


def _worker(queue: str, *, pause: float) -> Worker:
    return Worker(
        [queue],
        settings_module="tests.privacy_worker_settings",
        env={"MASIP_CELERY_QUEUE": queue, "MASIP_PRIVACY_PAUSE_SECONDS": str(pause)},
        log_prefix="celery-privacy-",
    )


@pytest.fixture
def kill_queue() -> Iterator[str]:
    queue = f"masip-privacy-{uuid.uuid4().hex[:8]}"
    previous = app.conf.task_default_queue
    app.conf.task_default_queue = queue
    yield queue
    app.conf.task_default_queue = previous


def _in_slow_step() -> bool:
    return in_slow_step("privacy-test-slow-step")


def test_a_retention_run_killed_mid_chunk_resumes_without_double_work(world: World, kill_queue: str) -> None:
    cases = [marked_case(world, f"qzkill{i}mark") for i in range(4)]
    for case in cases:
        close_long_ago(case)
    services.schedule_create(
        actor=world.admin, record_kind="case", trigger="case_closed", period_months=72, action="erase"
    )
    with_tombstones = AccessLog.objects.filter(record_type="privacy.retentionbatch", purpose__startswith="Erased")
    # Chunks of one record (the worker's settings): list with the same size here.
    with override_settings(PRIVACY_RETENTION_CHUNK_SIZE=1):
        batch_id = services.retention_list_due(today=dt.date.today())[0].batch_id
    assert RetentionChunk.objects.filter(batch_id=batch_id).count() == 4

    slow = _worker(kill_queue, pause=3)
    try:
        services.retention_batch_approve(actor=world.admin, batch_id=batch_id)  # queues the run on commit
        done = RetentionChunk.objects.filter(batch_id=batch_id, done_at__isnull=False)
        wait_for(lambda: done.count() > 0 and _in_slow_step(), timeout=120, what="a chunk in its slow step")
        slow.kill()
    finally:
        slow.stop()
    wait_for(lambda: not _in_slow_step(), timeout=30, what="the killed chunk to roll back")
    done_at_kill = done.count()
    tombstones_at_kill = with_tombstones.count()
    assert 0 < done_at_kill < 4
    assert tombstones_at_kill == done_at_kill  # the killed chunk's tombstone rolled back with it

    rescuer = _worker(kill_queue, pause=0)
    try:
        wait_for(
            lambda: RetentionBatch.objects.get(pk=batch_id).status == BatchStatus.DONE,
            timeout=120,
            what="the redelivered run to finish the batch",
        )
        time.sleep(2)  # anything delivered twice has had time to run twice
    finally:
        rescuer.stop()
    assert with_tombstones.count() == 4  # one per chunk: no chunk done twice
    assert set(RetentionItem.objects.filter(batch_id=batch_id).values_list("outcome", flat=True)) == {ItemOutcome.DONE}
    for i in range(4):
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM cases_person WHERE given_name ILIKE %s", [f"%qzkill{i}mark%"])
            assert cursor.fetchone()[0] == 0
