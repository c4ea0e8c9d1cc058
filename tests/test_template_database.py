"""The suite's own set-up: the run's migrated template (tests/template_database.py) and the
Redis database of each process (masip/settings/test.py)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from django.conf import settings
from psycopg import sql

from masip.settings.test import PROCESSES_PER_BASE, _redis_database_for_test_process
from tests.template_database import BUILDING, TEMPLATE_MARK, _maintenance, drop_stale_templates

BASE = "test_masip_selftest"


def _names() -> set[str]:
    with _maintenance(settings.DATABASES["default"]) as conn:
        rows = conn.execute("SELECT datname FROM pg_database WHERE starts_with(datname, %s)", [BASE]).fetchall()
    return {name for (name,) in rows}


def _create(*names: str) -> None:
    with _maintenance(settings.DATABASES["default"]) as conn:
        for name in names:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


@pytest.fixture
def gone_pid() -> int:
    """The process id of a process that has ended (and was this one's child, so not reused yet)."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_templates_of_runs_that_ended_are_dropped_and_a_running_runs_is_kept(gone_pid: int) -> None:
    ended = f"{BASE}{TEMPLATE_MARK}{gone_pid}"
    half_built = f"{BASE}{TEMPLATE_MARK}{gone_pid}{BUILDING}"
    running = f"{BASE}{TEMPLATE_MARK}{os.getpid()}"
    unrelated = f"{BASE}_other"
    _create(ended, half_built, running, unrelated)
    try:
        dropped = drop_stale_templates(settings.DATABASES["default"], BASE)
        assert sorted(dropped) == sorted([ended, half_built])
        assert _names() == {running, unrelated}
    finally:
        with _maintenance(settings.DATABASES["default"]) as conn:
            for name in (ended, half_built, running, unrelated):
                conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))


def test_each_process_has_a_redis_database_of_its_own_and_suites_side_by_side_do_not_share() -> None:
    def database(url: str, worker: str) -> str:
        return _redis_database_for_test_process(url, worker).rsplit("/", 1)[-1]

    processes = [f"gw{k}" for k in range(PROCESSES_PER_BASE)]
    first = [database("redis://127.0.0.1:6379/0", worker) for worker in processes]
    second = [database("redis://127.0.0.1:6379/1", worker) for worker in processes]
    assert first == ["1", "2", "3", "4"]
    assert len(set(first) | set(second)) == 2 * PROCESSES_PER_BASE
    with pytest.raises(ValueError, match="at most 4 processes"):
        _redis_database_for_test_process("redis://127.0.0.1:6379/0", f"gw{PROCESSES_PER_BASE}")


def test_this_process_runs_on_a_full_copy_of_the_runs_template_when_there_is_one(db: None) -> None:
    from django.db import connection
    from django.db.migrations.loader import MigrationLoader

    template = os.environ.get("MASIP_TEST_TEMPLATE_DATABASE")
    if template is None:
        pytest.skip("a single-process run, or one reusing its databases, migrates its own")
    # The copy holds every migration on disk as applied: the template was copied only once
    # complete (a copy of a half-built one would miss the later migrations).
    loader = MigrationLoader(connection)
    assert set(loader.graph.nodes) <= loader.applied_migrations.keys()
    # And the template is still there for the run's other processes (dropped at the run's end).
    with _maintenance(settings.DATABASES["default"]) as conn:
        assert conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [template]).fetchone()
