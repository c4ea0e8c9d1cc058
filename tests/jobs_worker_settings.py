"""Settings of the Celery workers that tests/test_jobs_worker.py starts: the test suite's, with
the production queues, routes, time limits and broker timing of masip.jobs (not the short
visibility timeout of tests/followups_worker_settings.py), on queues named for the test so
that no other worker on the same Redis takes its messages."""

from __future__ import annotations

import os

from masip import jobs
from masip.settings.test import *  # noqa: F403

_PREFIX = os.environ["MASIP_JOBS_QUEUE_PREFIX"]
QUEUE_NAMES = {queue: f"{_PREFIX}-{queue}" for queue in jobs.QUEUES}
CELERY_TASK_DEFAULT_QUEUE = QUEUE_NAMES[jobs.INTERACTIVE]
CELERY_TASK_ROUTES = jobs.task_routes(queues=QUEUE_NAMES)
FOLLOWUPS_SCHEDULE_BATCH_SIZE = 3
FOLLOWUPS_REMINDER_BATCH_SIZE = 3
FOLLOWUPS_TEST_BATCH_PAUSE_SECONDS = float(os.environ.get("MASIP_FOLLOWUPS_PAUSE_SECONDS", "0"))
