"""Fixtures for every test directory (tests/ and each app's tests/)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest


@pytest.fixture(autouse=True)
def _fresh_permission_ids() -> Iterator[None]:
    """A transactional test flushes auth_permission and recreates it with new ids;
    the process-wide cache of cases.view_case's id must not outlive that."""
    from cases.permissions import view_case_permission_id

    view_case_permission_id.cache_clear()
    yield
    view_case_permission_id.cache_clear()
