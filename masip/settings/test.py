"""The test suite: real PostgreSQL and Redis (from the environment), fast hashing."""

from __future__ import annotations

from masip.settings.base import *  # noqa: F403
from masip.settings.base import BASE_DIR, CACHES, documents_storage
from masip.settings.env import env_str

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
    "documents": documents_storage(BASE_DIR / "var" / "test-documents"),
}
# The suite's Celery worker listens on a queue of its own (tests/conftest.py).
CELERY_TASK_DEFAULT_QUEUE = env_str("MASIP_CELERY_QUEUE", "masip-test")
# ...and takes every task there: the queues of masip.jobs are tested by workers of their own
# (tests/test_jobs_worker.py).
CELERY_TASK_ROUTES = {}
MASIP_DEMO_DATA_ALLOWED = True
# Transactional tests are emptied by `flush`, which the access log otherwise refuses.
MASIP_FLUSH_EMPTIES_ACCESS_LOG = True
