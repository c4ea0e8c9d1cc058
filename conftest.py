"""Fixtures for every test directory (tests/ and each app's tests/)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

# One registration of the shared fixtures for tests/ and every app's tests/: a
# fixture imported into two conftest files would start two browsers.
pytest_plugins = ["tests.fixtures"]


@pytest.fixture(autouse=True)
def _cold_process_caches() -> Iterator[None]:
    """A transactional test flushes auth_permission and recreates it with new ids;
    the process-wide cache of cases.view_case's id must not outlive that."""
    from django.contrib.contenttypes.models import ContentType

    from cases.permissions import view_case_permission_id

    # Process-wide caches make a pinned query count depend on which tests ran
    # before; start every test cold so the counts are the same alone or in a suite.
    view_case_permission_id.cache_clear()
    ContentType.objects.clear_cache()
    yield
    view_case_permission_id.cache_clear()
