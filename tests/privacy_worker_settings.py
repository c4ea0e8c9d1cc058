"""Settings of the Celery worker that the retention kill test starts and SIGKILLs.

The test suite's settings, plus: chunks of one record, a deliberate slow step inside each
chunk's transaction (so the test can kill the worker in the middle of one), and a short
broker visibility timeout (so the unacknowledged task is delivered again to the next
worker within seconds). Nothing else uses this module.
"""

from __future__ import annotations

import os

from masip.settings.test import *  # noqa: F403

PRIVACY_RETENTION_CHUNK_SIZE = 1
PRIVACY_TEST_CHUNK_PAUSE_SECONDS = float(os.environ.get("MASIP_PRIVACY_PAUSE_SECONDS", "0"))
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": 8,
    "unacked_restore_interval": 1,
    "unacked_restore_throttle": 1,
}
