"""Fixtures for every test directory (tests/ and each app's tests/)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.caches import clear_process_caches

# One registration of the shared fixtures for tests/ and every app's tests/: a
# fixture imported into two conftest files would start two browsers. The test databases are
# copies of one migrated per run (tests/template_database.py).
pytest_plugins = ["tests.fixtures", "tests.template_database"]


@pytest.fixture(autouse=True)
def _cold_process_caches() -> Iterator[None]:
    # Process-wide caches make a pinned query count depend on which tests ran
    # before; start every test cold so the counts are the same alone or in a suite.
    clear_process_caches()
    yield
    clear_process_caches()
