"""Every Celery task's queue and time limits, in one table, and the broker timing derived from it.

Workers run with ``acks_late``: a task's message stays unacknowledged in Redis while it
runs, and if the worker dies (SIGKILL, the machine lost) the broker hands the message to
another worker once the **visibility timeout** has passed. That timeout has to be longer
than any task may run (or a task still running would be delivered a second time) and
longer than any retry's countdown (a retry waits in a worker as an unacknowledged
message), and as short as possible (it is how long a crashed worker's batch waits). So it
is not chosen on its own: it is worked out here from the hard limits below, which in turn
are set well above what each task takes (docs/performance.md, "Jobs under faults").

The one task that can run longer than the visibility timeout is the bundle import (one
transaction over a whole upload): a second delivery of it while it runs finds the job's
lock held and checks again later (exchange.services.bundle_import_run), so a
redelivery never runs it twice, and a crashed import is picked up within a minute too.

Queues, one per workload, so that one kind of work never waits behind another:

- ``interactive`` (the default): anything short a person's action sets off, and the
  worker's liveness check;
- ``email``: notifications' e-mails, rate limited (a reminder run queues tens of thousands:
  they wait on their own queue, so a liveness check or anything interactive never waits
  behind them);
- ``reports``: quarterly returns (seconds of reading each, from the replica when there is one);
- ``exchange``: bundle imports and exports (minutes each, one transaction);
- ``nightly``: the beat schedule's jobs and the batches they fan out into.

``WORKER_GROUPS`` says which queues each kind of worker consumes: docker-compose.yml runs
one service per group, ``make run`` (masip.devstack) one worker over every queue. A
reminder run that queues tens of thousands of e-mails never sits in front of a return, an
import or a liveness check, and a return never waits behind an import.

Standard library only: the settings import this module.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

INTERACTIVE = "interactive"
EMAIL = "email"
REPORTS = "reports"
EXCHANGE = "exchange"
NIGHTLY = "nightly"
QUEUES = (INTERACTIVE, EMAIL, REPORTS, EXCHANGE, NIGHTLY)
# What each kind of worker consumes (docker-compose.yml has a service per group). One
# queue each: a worker's processes are then sized for one workload (docs/deployment.md).
WORKER_GROUPS: dict[str, tuple[str, ...]] = {
    "interactive": (INTERACTIVE,),
    "email": (EMAIL,),
    "reports": (REPORTS,),
    "exchange": (EXCHANGE,),
    "nightly": (NIGHTLY,),
}

# How many e-mails one worker sends a second: below what mail relays commonly accept from
# one client, and well above the rate at which reminders are produced over a day.
EMAIL_RATE_LIMIT = "20/s"
# The longest a retry waits before running again (every task's ``retry_backoff_max``): it
# must stay below the visibility timeout, see above. Longer outages are covered by the
# sweeps (notifications.send_pending_notification_emails) and by the daily jobs running again.
RETRY_BACKOFF_MAX = 30
# Seconds between the broker's sweeps for messages of dead workers (kombu's default is
# 100 s: 10 s interval, every 10th sweep scans).
RESTORE_INTERVAL = 5
# Added to the longest hard limit: a task that has just been killed at its hard limit has
# its message acknowledged (as failed) before anyone may take it again.
VISIBILITY_MARGIN = 5


@dataclass(frozen=True)
class Job:
    queue: str
    soft: int  # seconds: SoftTimeLimitExceeded is raised in the task, its transaction rolls back
    hard: int  # seconds: the worker process running it is killed
    # True only where a second delivery while the first still runs is harmless by design.
    guarded: bool = False
    rate_limit: str | None = None


JOBS: dict[str, Job] = {
    # Imports and exports: someone is looking at a page that follows the job, for minutes.
    "exchange.import_bundle_job": Job(EXCHANGE, soft=25 * 60, hard=30 * 60, guarded=True),
    # Reports: a return's figures, a few seconds of reading.
    "reporting.generate_return": Job(REPORTS, soft=25, hard=35),
    # Interactive: short, set off by a person (the worker's liveness check too).
    "masip.ping": Job(INTERACTIVE, soft=5, hard=10),
    # Nightly: the beat schedule's jobs (fan-out jobs only queue their batches) and the batches.
    "followups.schedule_due_followups": Job(NIGHTLY, soft=25, hard=35),
    "followups.schedule_followups_batch": Job(NIGHTLY, soft=25, hard=35),
    "followups.send_followup_reminders": Job(NIGHTLY, soft=25, hard=35),
    "followups.send_followup_reminders_batch": Job(NIGHTLY, soft=25, hard=35),
    "notifications.send_pending_notification_emails": Job(NIGHTLY, soft=25, hard=35),
    "advocacy.escalate_untold_key_events": Job(NIGHTLY, soft=25, hard=35),
    "advocacy.send_safety_review_reminders": Job(NIGHTLY, soft=25, hard=35),
    "advocacy.raise_order_expiry_key_events": Job(NIGHTLY, soft=25, hard=35),
    "triage.send_action_reminders": Job(NIGHTLY, soft=25, hard=35),
    # A few catalogue changes; detaching waits for a lock on the log behind running inserts.
    "audit.maintain_access_log_partitions": Job(NIGHTLY, soft=25, hard=35),
    # One INSERT ... SELECT per schedule over every case of a partnership (docs/performance.md,
    # "Retention"): minutes at national scale. A second delivery while it runs adds nothing
    # (one batch per partnership and day, one item per schedule and record), so guarded.
    "privacy.list_due_retention": Job(NIGHTLY, soft=15 * 60, hard=16 * 60, guarded=True),
    # Works for a slice well inside the soft limit and queues its continuation; each chunk
    # is one transaction marked done in itself, so a redelivery skips what was done.
    "privacy.run_retention_batch": Job(NIGHTLY, soft=25, hard=35),
    # E-mail: one message each; the SMTP connection's own timeout is well inside these.
    "notifications.send_notification_email": Job(EMAIL, soft=20, hard=30, rate_limit=EMAIL_RATE_LIMIT),
}


def visibility_timeout(jobs: dict[str, Job] = JOBS) -> int:
    """Longer than every unguarded task's hard limit and every retry's wait."""
    longest = max([job.hard for job in jobs.values() if not job.guarded] + [RETRY_BACKOFF_MAX])
    return longest + VISIBILITY_MARGIN


def redelivery_bound(jobs: dict[str, Job] = JOBS) -> int:
    """The longest a dead worker's message waits before another worker may take it."""
    return visibility_timeout(jobs) + RESTORE_INTERVAL


def task_annotations(jobs: dict[str, Job] = JOBS) -> dict[str, dict[str, Any]]:
    annotations: dict[str, dict[str, Any]] = {}
    for name, job in jobs.items():
        annotations[name] = {"soft_time_limit": job.soft, "time_limit": job.hard}
        if job.rate_limit:
            annotations[name]["rate_limit"] = job.rate_limit
    return annotations


def worker_queues(group: str, *, queues: dict[str, str] | None = None) -> str:
    """The ``--queues`` argument of a worker of one group (``all``: every queue, as ``make run``)."""
    names = queues or {}
    chosen = QUEUES if group == "all" else WORKER_GROUPS[group]
    return ",".join(names.get(queue, queue) for queue in chosen)


def task_routes(jobs: dict[str, Job] = JOBS, *, queues: dict[str, str] | None = None) -> dict[str, dict[str, str]]:
    """Each task to its queue; ``queues`` renames them (the test suite's workers use queues of their own)."""
    names = queues or {}
    return {name: {"queue": names.get(job.queue, job.queue)} for name, job in jobs.items()}


def broker_transport_options(jobs: dict[str, Job] = JOBS) -> dict[str, Any]:
    return {
        "visibility_timeout": visibility_timeout(jobs),
        "unacked_restore_interval": RESTORE_INTERVAL,
        # Scan on every sweep: the interval above is then the sweep's whole period.
        "unacked_restore_throttle": 1,
    }
