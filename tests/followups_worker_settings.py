"""Settings of the Celery worker that the follow-up kill test starts and SIGKILLs.

The test suite's settings, plus: small batches, a deliberate slow step inside each
batch's transaction (so the test can kill the worker in the middle of one), and a short
broker visibility timeout (so the unacknowledged batch is delivered again to the next
worker within seconds instead of the production hour). Nothing else uses this module.
"""

from __future__ import annotations

import os

from masip.settings.test import *  # noqa: F403

FOLLOWUPS_SCHEDULE_BATCH_SIZE = int(os.environ.get("MASIP_FOLLOWUPS_BATCH_SIZE", "3"))
FOLLOWUPS_REMINDER_BATCH_SIZE = int(os.environ.get("MASIP_FOLLOWUPS_BATCH_SIZE", "3"))
FOLLOWUPS_TEST_BATCH_PAUSE_SECONDS = float(os.environ.get("MASIP_FOLLOWUPS_PAUSE_SECONDS", "0"))
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": 8,
    "unacked_restore_interval": 1,
    "unacked_restore_throttle": 1,
}
