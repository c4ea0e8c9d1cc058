"""The project's shared fixtures (tests/conftest.py), for the interventions app's own tests."""

from tests.conftest import browser, celery_worker_process, other_world, page, world

__all__ = ["browser", "celery_worker_process", "other_world", "page", "world"]
