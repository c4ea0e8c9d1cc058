"""The shared fixtures (world, other_world, celery_worker_process, browser, page)
come from tests/fixtures.py through the root conftest.py."""
