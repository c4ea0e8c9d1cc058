"""The test suite: real PostgreSQL and Redis (from the environment), fast hashing."""

from __future__ import annotations

import os
from urllib.parse import urlsplit, urlunsplit

from masip.settings.base import *  # noqa: F403
from masip.settings.base import BASE_DIR, CACHES, REDIS_URL, documents_storage
from masip.settings.env import env_str

PROCESSES_PER_BASE = 4


def _redis_database_for_test_process(url: str, worker: str) -> str:
    """Each pytest-xdist process (gw0, gw1, ...) on a Redis database of its own.

    Tests flush the cache (Django's Redis cache clears the whole database), and the broker
    restores unacknowledged messages of every queue in its database after the visibility
    timeout; neither may reach another process's worker and messages. The processes' own
    Celery workers inherit PYTEST_XDIST_WORKER, so they land on the same database. Up to
    PROCESSES_PER_BASE databases per base database (4n+1 to 4n+4 for REDIS_URL's n), so that
    suites run side by side on consecutive base databases do not share one either.
    """
    index = int(worker.removeprefix("gw"))
    if index >= PROCESSES_PER_BASE:
        raise ValueError(f"{worker}: the suite runs on at most {PROCESSES_PER_BASE} processes (Redis databases)")
    parts = urlsplit(url)
    if parts.scheme == "unix":
        # unix:///path/redis.sock?db=N
        query = dict(pair.split("=", 1) for pair in parts.query.split("&") if "=" in pair)
        base = int(query.get("db", "0"))
        query["db"] = str((PROCESSES_PER_BASE * base + 1 + index) % 16)
        return urlunsplit(parts._replace(query="&".join(f"{k}={v}" for k, v in query.items())))
    base = int(parts.path.strip("/") or "0")
    return urlunsplit(parts._replace(path=f"/{(PROCESSES_PER_BASE * base + 1 + index) % 16}"))


_XDIST_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")
if _XDIST_WORKER:
    REDIS_URL = _redis_database_for_test_process(REDIS_URL, _XDIST_WORKER)
    CACHES["default"]["LOCATION"] = REDIS_URL
    CELERY_BROKER_URL = REDIS_URL
    CELERY_RESULT_BACKEND = REDIS_URL

DEBUG = False
# Argon2 is deliberately slow; tests create hundreds of users. Production hashing is
# asserted separately (tests/test_settings.py).
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
CACHES["default"]["KEY_PREFIX"] = "masip-test"
MASIP_REQUIRE_MFA = False
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    # One folder per pytest-xdist process: each has its own database, so the same ids.
    "documents": documents_storage(BASE_DIR / "var" / "test-documents" / os.environ.get("PYTEST_XDIST_WORKER", "main")),
}
# The suite's Celery worker listens on a queue of its own (tests/conftest.py).
CELERY_TASK_DEFAULT_QUEUE = env_str("MASIP_CELERY_QUEUE", "masip-test")
# ...and takes every task there: the queues of masip.jobs are tested by workers of their own
# (tests/test_jobs_worker.py).
CELERY_TASK_ROUTES = {}
MASIP_DEMO_DATA_ALLOWED = True
# Transactional tests are emptied by `flush`, which the access log otherwise refuses.
MASIP_FLUSH_EMPTIES_ACCESS_LOG = True
