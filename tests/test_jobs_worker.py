"""The queues, time limits and broker timing of masip.jobs, on real Celery workers and real Redis.

- The table covers every task, and the visibility timeout worked out from it is longer than
  every task's hard limit and every retry's wait, and short enough for redelivery within a
  minute.
- A worker SIGKILLed in the middle of a follow-up batch, with the production broker timing:
  another worker finishes the batch within a minute, nothing lost, nothing twice.
- Each task goes to its workload's queue (interactive work, e-mails, reports, imports and exports,
  nightly jobs), and every kind of worker docker-compose.yml and `make run` start together
  consume every queue.
- A worker of the reports queue alone takes a return and leaves an e-mail task where it is.
- A run of e-mails does not hold up a return: a return queued behind a hundred e-mails is
  done at once, while the e-mails drain at their rate limit; the queue's depth is on
  /healthz and on the admin's page of background jobs.
"""

from __future__ import annotations

import datetime as dt
import time
import uuid
from collections.abc import Iterator

import pytest
from django.conf import settings
from django.db.models import Count
from django.test import Client

from cases.models import Case
from cases.permissions import view_case_permission_id
from followups.models import FollowUpReview
from followups.tasks import schedule_due_followups
from masip import health, jobs
from masip.celery import app
from tests.factories import World
from tests.followups_factories import accepted_case
from tests.workers import ROOT, Worker, in_slow_step, wait_for

TODAY = dt.date(2025, 8, 1)
# The production settings' values (the test settings send every task to the suite's one queue).
PRODUCTION_ROUTES = jobs.task_routes()
PRODUCTION_TRANSPORT = jobs.broker_transport_options()


# --- the table -------------------------------------------------------------------------------------------------------


def test_every_task_has_a_queue_and_limits_and_the_broker_timing_follows_from_them() -> None:
    app.loader.import_default_modules()
    registered = {name for name in app.tasks if not name.startswith("celery.")}
    assert registered == set(jobs.JOBS)
    visibility = PRODUCTION_TRANSPORT["visibility_timeout"]
    for name, job in jobs.JOBS.items():
        task = app.tasks[name]
        assert 0 < job.soft < job.hard, name
        if not job.guarded:
            assert job.hard < visibility, name  # never delivered again while it still runs
        # A retry waits in a worker, unacknowledged: it must not outlast the visibility timeout.
        if getattr(task, "autoretry_for", ()):
            assert task.retry_backoff_max <= jobs.RETRY_BACKOFF_MAX < visibility, name
    assert jobs.redelivery_bound() == visibility + PRODUCTION_TRANSPORT["unacked_restore_interval"] <= 60
    assert PRODUCTION_TRANSPORT["unacked_restore_throttle"] == 1
    # The settings every environment starts from use the table.
    from masip.settings import base

    assert base.CELERY_BROKER_TRANSPORT_OPTIONS == PRODUCTION_TRANSPORT
    assert base.CELERY_TASK_ROUTES == PRODUCTION_ROUTES
    assert base.CELERY_TASK_ANNOTATIONS["followups.schedule_followups_batch"] == {
        "soft_time_limit": jobs.JOBS["followups.schedule_followups_batch"].soft,
        "time_limit": jobs.JOBS["followups.schedule_followups_batch"].hard,
    }


# Written out by hand, not read from the table: what each task's workload is.
EXPECTED_QUEUES = {
    "masip.ping": "interactive",
    "notifications.send_notification_email": "email",
    "reporting.generate_return": "reports",
    "exchange.import_bundle_job": "exchange",
    "followups.schedule_due_followups": "nightly",
    "followups.schedule_followups_batch": "nightly",
    "followups.send_followup_reminders": "nightly",
    "followups.send_followup_reminders_batch": "nightly",
    "notifications.send_pending_notification_emails": "nightly",
    "advocacy.escalate_untold_key_events": "nightly",
    "advocacy.send_safety_review_reminders": "nightly",
    "advocacy.raise_order_expiry_key_events": "nightly",
    "triage.send_action_reminders": "nightly",
    "audit.maintain_access_log_partitions": "nightly",
    "privacy.list_due_retention": "nightly",
    "privacy.run_retention_batch": "nightly",
}


def test_each_task_is_routed_to_its_workloads_queue_by_celerys_own_router() -> None:
    from celery.app.routes import Router, prepare

    from masip.settings import base

    app.loader.import_default_modules()
    registered = {name for name in app.tasks if not name.startswith("celery.")}
    assert registered == set(EXPECTED_QUEUES)  # every registered task has a route, and no route is stale
    assert set(jobs.QUEUES) == set(EXPECTED_QUEUES.values())
    # The router a worker and a web process build from the production settings (Celery makes
    # a queue it is not told of in advance: task_create_missing_queues, on by default).
    assert app.conf.task_create_missing_queues
    router = Router(prepare(base.CELERY_TASK_ROUTES), app.amqp.queues, create_missing=True, app=app)
    for name, queue in EXPECTED_QUEUES.items():
        assert router.route({}, name)["queue"].name == queue, name
    assert base.CELERY_TASK_DEFAULT_QUEUE == "interactive"


def _compose_worker_queues() -> dict[str, list[str]]:
    import yaml

    services = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    found = {}
    for name, service in services.items():
        command = service.get("command") or []
        if command[:4] == ["celery", "-A", "masip", "worker"]:
            found[name] = command[command.index("--queues") + 1].split(",")
    return found


def test_compose_has_a_worker_service_per_queue_group_and_make_run_consumes_every_queue() -> None:
    from masip import devstack

    assert _compose_worker_queues() == {
        "worker-interactive": ["interactive"],
        "worker-email": ["email"],
        "worker-reports": ["reports"],
        "worker-exchange": ["exchange"],
        "worker-nightly": ["nightly"],
    }
    workers = [argv for name, argv in devstack.app_commands(8000) if "worker" in argv]
    consumed = {queue for argv in workers for queue in argv[argv.index("--queues") + 1].split(",")}
    assert consumed == {"interactive", "email", "reports", "exchange", "nightly"}


# --- real workers ----------------------------------------------------------------------------------------------------


def _worker(prefix: str, queues: list[str], *, pause: float = 0) -> Worker:
    """A worker with the production queue layout under the test's names (not waited for: a test
    starts several, then waits for each)."""
    return Worker(
        [f"{prefix}-{q}" for q in queues],
        settings_module="tests.jobs_worker_settings",
        env={"MASIP_JOBS_QUEUE_PREFIX": prefix, "MASIP_FOLLOWUPS_PAUSE_SECONDS": str(pause)},
        log_prefix="celery-jobs-",
        wait=False,
    )


@pytest.fixture
def prefix() -> Iterator[str]:
    name = f"masip-jobs-{uuid.uuid4().hex[:8]}"
    yield name
    # Whatever a test left in its queues (the kill test's restored deliveries, if it failed).
    import redis

    client = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    client.delete(*[f"{name}-{q}" for q in jobs.QUEUES])
    client.close()


def _in_slow_step() -> bool:
    return in_slow_step("followups-test-slow-step")


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_batch_has_its_batch_finished_within_a_minute(world: World, prefix: str) -> None:
    view_case_permission_id.cache_clear()  # the transactional test's flush recreated the permission rows
    cases = [accepted_case(world, decided_on=dt.date(2025, 2, 1), crime_reference="") for _ in range(9)]
    expected = sorted([(c.pk, 3) for c in cases] + [(c.pk, 6) for c in cases])  # three batches of six reviews
    slow = _worker(prefix, [jobs.NIGHTLY], pause=3)
    rescuer: Worker | None = None
    try:
        slow.ready()
        schedule_due_followups.apply_async(args=[TODAY.isoformat()], queue=f"{prefix}-{jobs.NIGHTLY}")
        wait_for(
            lambda: FollowUpReview.objects.count() > 0 and _in_slow_step(), timeout=60, what="a batch in its slow step"
        )
        slow.kill()
        killed_at = time.monotonic()
        # The dead worker's batch is out, unacknowledged: the health figure shows it ageing.
        assert health.queue_stats()["oldest_unacked_seconds"] is not None
        rescuer = _worker(prefix, [jobs.NIGHTLY])
        wait_for(lambda: FollowUpReview.objects.count() >= len(expected), timeout=75, what="the batch delivered again")
        took = time.monotonic() - killed_at
        print(f"\nredelivered and finished {took:.1f} s after the SIGKILL (bound {jobs.redelivery_bound()} s)")
        assert took <= 60
        time.sleep(1)  # anything delivered twice has had time to run twice
        assert sorted(FollowUpReview.objects.values_list("case_id", "checkpoint_months")) == expected
        assert (
            not FollowUpReview.objects.values("case", "period", "checkpoint_months")
            .annotate(n=Count("id"))
            .filter(n__gt=1)
        )
        assert set(Case.objects.filter(pk__in=[c.pk for c in cases]).values_list("next_due_on", flat=True)) == {
            dt.date(2025, 5, 1)
        }
    finally:
        slow.stop()
        if rescuer is not None:
            rescuer.stop()


def _production_queue(prefix: str, task: str) -> str:
    """The queue the production routes send ``task`` to, under the test's queue names."""
    names = {queue: f"{prefix}-{queue}" for queue in jobs.QUEUES}
    return jobs.task_routes(queues=names)[task]["queue"]


@pytest.mark.worker
@pytest.mark.django_db  # the worker reads the test database; the test writes nothing
def test_a_reports_worker_takes_a_return_and_leaves_an_email_task_alone(prefix: str) -> None:
    from notifications.tasks import send_notification_email
    from reporting.returns.tasks import generate_return

    reports = _worker(prefix, [jobs.REPORTS])
    interactive: Worker | None = None
    try:
        reports.ready()
        email_queue = _production_queue(prefix, send_notification_email.name)
        email = send_notification_email.apply_async(args=[0], queue=email_queue)
        report = generate_return.apply_async(args=[0], queue=_production_queue(prefix, generate_return.name))
        assert report.get(timeout=30) == "not_pending"  # no such return: the reports worker ran it
        time.sleep(2)  # time enough for the reports worker to have taken the e-mail too, if it would
        assert not email.ready()
        assert health.queue_stats((email_queue,))["depth"][email_queue] == 1
        log = reports.log_text()
        assert report.id in log and email.id not in log  # the worker never received the e-mail task
        # The e-mail waits for its own worker, and is taken as soon as there is one.
        interactive = _worker(prefix, [jobs.EMAIL])
        assert email.get(timeout=60) is False  # no such notification: nothing sent
    finally:
        reports.stop()
        if interactive is not None:
            interactive.stop()


@pytest.mark.worker
@pytest.mark.django_db  # the workers' tasks read the test database; the test writes nothing
def test_a_return_is_not_held_up_by_a_run_of_emails(prefix: str) -> None:
    from masip.celery import ping
    from notifications.tasks import send_notification_email
    from reporting.returns.tasks import generate_return

    # As docker-compose.yml runs them: a worker per queue group.
    email_worker = _worker(prefix, [jobs.EMAIL])
    interactive = _worker(prefix, [jobs.INTERACTIVE])
    reports = _worker(prefix, [jobs.REPORTS])
    try:
        email_worker.ready()
        interactive.ready()
        reports.ready()
        email_queue = _production_queue(prefix, send_notification_email.name)
        emails = 100
        queued_at = time.monotonic()
        results = [send_notification_email.apply_async(args=[0], queue=email_queue) for _ in range(emails)]
        started = time.monotonic()
        report = generate_return.apply_async(args=[0], queue=_production_queue(prefix, generate_return.name))
        assert report.get(timeout=10) == "not_pending"
        waited = time.monotonic() - started
        waiting = health.queue_stats((email_queue,))["depth"][email_queue]
        print(f"\nreturn task answered in {waited:.2f} s with {waiting} e-mails still queued")
        assert waited < 2
        assert waiting > emails // 2  # the e-mails were still in front of it, on their own queue
        # Interactive work (here the liveness check) is not behind them either.
        started = time.monotonic()
        assert ping.apply_async(queue=_production_queue(prefix, ping.name)).get(timeout=10) == "pong"
        print(f"ping answered in {time.monotonic() - started:.2f} s behind the e-mails")
        assert time.monotonic() - started < 2
        for result in results:
            assert result.get(timeout=60) is False  # no such notification: nothing sent
        drained = time.monotonic() - queued_at
        print(f"{emails} e-mail tasks drained in {drained:.1f} s (rate limit {jobs.EMAIL_RATE_LIMIT})")
        assert drained >= (emails - 1) / 20 - 0.5  # held to the rate limit
    finally:
        email_worker.stop()
        interactive.stop()
        reports.stop()


# --- what the admin and the load balancer see ------------------------------------------------------------------------


@pytest.mark.django_db
def test_healthz_and_the_admin_page_show_each_queue(world: World) -> None:
    import redis

    client = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    client.delete(jobs.INTERACTIVE)
    client.rpush(jobs.INTERACTIVE, b"{}", b"{}", b"{}")
    try:
        body = Client().get("/healthz").json()
        queues = body["checks"]["queues"]
        assert queues["ok"] is True
        assert queues["depth"][jobs.INTERACTIVE] == 3
        assert set(queues["depth"]) == set(jobs.QUEUES)

        anonymous = Client().get("/admin/jobs/")
        assert anonymous.status_code == 302 and "login" in anonymous["Location"]
        not_staff = Client()
        not_staff.force_login(world.admin)
        refused = not_staff.get("/admin/jobs/")
        assert refused.status_code == 302 and "/admin/login/" in refused["Location"]
        world.admin.is_staff = True
        world.admin.save(update_fields=["is_staff"])
        staff = Client()
        staff.force_login(world.admin)
        page = staff.get("/admin/jobs/")
        assert page.status_code == 200
        html = page.content.decode()
        assert f"<td>{jobs.INTERACTIVE}</td>" in html and "<td>3</td>" in html
    finally:
        client.delete(jobs.INTERACTIVE)
        client.close()
