"""The follow-up jobs on a real Celery worker and real Redis: run twice, and killed mid-batch.

The kill test starts its own worker (tests/followups_worker_settings.py: batches of three,
a slow step inside each batch's transaction, a visibility timeout of seconds), SIGKILLs it
while a batch's rows are written but not committed, starts another worker, and checks that
every row is there exactly once.
"""

from __future__ import annotations

import datetime as dt
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from celery.result import AsyncResult
from django.db.models import Count

from cases.models import Case
from cases.permissions import view_case_permission_id
from followups import services
from followups.models import FollowUpReview
from followups.tasks import schedule_due_followups, send_followup_reminders
from masip.celery import app
from notifications.models import Notification
from tests.factories import World, make_user
from tests.followups_factories import accepted_case
from tests.workers import Worker, in_slow_step, wait_for

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.worker]

TODAY = dt.date(2025, 8, 1)


@pytest.fixture(autouse=True)
def _fresh_permission_id() -> None:
    """A transactional test's flush recreates the permission rows: forget the cached id."""
    view_case_permission_id.cache_clear()


def _cases(world: World, n: int) -> list[Case]:
    """n cases accepted on 1 February 2025: on 1 August, the 3- and 6-month checkpoints are reached."""
    return [accepted_case(world, decided_on=dt.date(2025, 2, 1), crime_reference="") for _ in range(n)]


def _results(ids: list[str]) -> list[Any]:
    return [AsyncResult(i, app=app).get(timeout=90) for i in ids]


def test_both_jobs_on_a_real_worker_run_twice_do_everything_once(world: World, celery_worker_process: Any) -> None:
    cases = _cases(world, 4)
    batches = schedule_due_followups.delay(TODAY.isoformat()).get(timeout=90)
    assert sum(_results(batches)) == 8
    again = schedule_due_followups.delay(TODAY.isoformat()).get(timeout=90)
    assert sum(_results(again)) == 0
    assert sorted(FollowUpReview.objects.values_list("case_id", "checkpoint_months", "due_on")) == sorted(
        [(c.pk, 3, dt.date(2025, 5, 1)) for c in cases] + [(c.pk, 6, dt.date(2025, 8, 1)) for c in cases]
    )

    # 1 August: the 6-month reviews are due today, the 3-month ones 92 days overdue (escalated).
    first = _results(send_followup_reminders.delay(TODAY.isoformat()).get(timeout=90))
    second = _results(send_followup_reminders.delay(TODAY.isoformat()).get(timeout=90))
    assert [sum(r[0] for r in first), sum(r[1] for r in first)] == [8, 4]
    assert [sum(r[0] for r in second), sum(r[1] for r in second)] == [0, 0]
    keys = Counter(Notification.objects.values_list("recipient_id", "key"))
    assert set(keys.values()) == {1}
    assert len(keys) == 12
    assert {r for r, _ in keys} == {world.triage_officer.pk, world.programme_manager.pk}


# --- a worker killed in the middle of a batch -------------------------------------------------------------------


def _worker(queue: str, *, pause: float) -> Worker:
    """A worker of the kill test's own (batches of three, a slow step of ``pause`` seconds)."""
    return Worker(
        [queue],
        settings_module="tests.followups_worker_settings",
        env={
            "MASIP_CELERY_QUEUE": queue,
            "MASIP_FOLLOWUPS_PAUSE_SECONDS": str(pause),
            "MASIP_FOLLOWUPS_BATCH_SIZE": "3",
        },
        log_prefix="celery-kill-",
    )


@pytest.fixture
def kill_queue() -> Iterator[str]:
    queue = f"masip-kill-{uuid.uuid4().hex[:8]}"
    previous = app.conf.task_default_queue
    app.conf.task_default_queue = queue
    yield queue
    app.conf.task_default_queue = previous


def _in_slow_step() -> bool:
    return in_slow_step("followups-test-slow-step")


def _kill_mid_batch(queue: str, start: Callable[[], Any], committed: Callable[[], int]) -> tuple[Worker, int]:
    """Start a slow worker, start the job, SIGKILL the worker once a batch has committed and the
    next one is half done; answer a fresh worker (no slow step) that finishes the job, and what
    had committed when the killed batch had rolled back (counted before the fresh worker starts:
    on a busy machine it can finish the job while it is still starting up)."""
    slow = _worker(queue, pause=3)
    try:
        start()
        wait_for(lambda: committed() > 0 and _in_slow_step(), timeout=90, what="a batch in its slow step")
        slow.kill()
    finally:
        slow.stop()
    # PostgreSQL notices the dead client (client_connection_check_interval) and rolls back.
    wait_for(lambda: not _in_slow_step(), timeout=30, what="the killed batch to roll back")
    committed_at_kill = committed()
    return _worker(queue, pause=0), committed_at_kill


def test_schedule_killed_mid_batch_loses_nothing_and_duplicates_nothing(world: World, kill_queue: str) -> None:
    cases = _cases(world, 9)  # batches of three case ids: three batches, six reviews each
    expected = sorted([(c.pk, 3) for c in cases] + [(c.pk, 6) for c in cases])
    worker, committed_at_kill = _kill_mid_batch(
        kill_queue,
        start=lambda: schedule_due_followups.apply_async(args=[TODAY.isoformat()], queue=kill_queue),
        committed=FollowUpReview.objects.count,
    )
    try:
        assert 0 < committed_at_kill < len(expected)  # killed half way
        wait_for(lambda: FollowUpReview.objects.count() >= len(expected), timeout=90, what="the retried batch")
        time.sleep(2)  # anything delivered twice has had time to run twice
        assert sorted(FollowUpReview.objects.values_list("case_id", "checkpoint_months")) == expected
        assert (
            not FollowUpReview.objects.values("case", "period", "checkpoint_months")
            .annotate(n=Count("id"))
            .filter(n__gt=1)
        )
        # Every case's next-due date moved with its reviews, once.
        assert set(Case.objects.filter(pk__in=[c.pk for c in cases]).values_list("next_due_on", flat=True)) == {
            dt.date(2025, 5, 1)
        }
    finally:
        worker.stop()


def test_reminders_killed_mid_batch_send_each_once(world: World, kill_queue: str) -> None:
    second_officer = make_user(world.police, "triage_officer")
    cases = _cases(world, 5)
    services.followups_schedule(today=TODAY)  # ten open reviews: batches of three reviews
    reviews = list(FollowUpReview.objects.order_by("id"))
    worker, committed_at_kill = _kill_mid_batch(
        kill_queue,
        start=lambda: send_followup_reminders.apply_async(args=[TODAY.isoformat()], queue=kill_queue),
        committed=lambda: Notification.objects.filter(key__startswith="followup-reminder:").count(),
    )
    try:
        expected_reminders = {
            (officer.pk, f"followup-reminder:{r.pk}:{r.due_on.isoformat() if r.due_on == TODAY else '2025-07-31'}")
            for r in reviews
            for officer in (world.triage_officer, second_officer)
        }
        expected = expected_reminders | {
            (world.programme_manager.pk, f"followup-escalation:{r.pk}") for r in reviews if r.checkpoint_months == 3
        }
        assert 0 < committed_at_kill < len(expected_reminders)  # killed half way
        wait_for(lambda: Notification.objects.count() >= len(expected), timeout=90, what="the retried batch")
        time.sleep(2)
        rows = Counter(Notification.objects.values_list("recipient_id", "key"))
        assert set(rows) == expected
        assert set(rows.values()) == {1}
        assert len(cases) == 5
    finally:
        worker.stop()
