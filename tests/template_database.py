"""One migrated database per test run, copied for each pytest-xdist process.

``manage.py migrate`` on an empty database takes about two minutes of Python CPU here (the
migration state is re-rendered for each of some 900 operations, most of them pghistory's
triggers, constraints and indexes). Each process of the suite used to run it on a test
database of its own, all at once: a third process cost a third migrate on two cores.
Instead, the first process to need a database migrates one template for the whole run,
under a lock, and every process's test database is PostgreSQL's copy of it
(``CREATE DATABASE … TEMPLATE``, a file copy of a second or two). Django still runs
``migrate`` on the copy, which finds every migration applied and only sends
``post_migrate``, so what a test sees is what migrate made.

The template lives for one run: its name carries the pytest controller's process id, the
controller drops it at the end, and a later run drops templates whose controller is gone
(a run killed before its end). A single-process run (``-n 0``) and a run that reuses its
databases (``--reuse-db``) migrate as before.
"""

from __future__ import annotations

import fcntl
import os
import subprocess
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg import sql

from tests.workers import ROOT, database_url_for

# Set by the controller before it starts its processes, which inherit it: the run's template.
TEMPLATE_ENV = "MASIP_TEST_TEMPLATE_DATABASE"
TEMPLATE_MARK = "_template_"
BUILDING = "_building"


def _settings() -> dict[str, Any]:
    from django.conf import settings

    return settings.DATABASES["default"]


def _maintenance(db_settings: Mapping[str, Any]) -> psycopg.Connection[Any]:
    """A connection to the server's ``postgres`` database: a database cannot be made,
    renamed or dropped from a connection to itself, nor copied while anyone is connected to it."""
    return psycopg.connect(
        dbname="postgres",
        host=db_settings["HOST"] or None,
        port=db_settings["PORT"] or None,
        user=db_settings["USER"] or None,
        password=db_settings["PASSWORD"] or None,
        autocommit=True,
    )


def _base_name(db_settings: Mapping[str, Any]) -> str:
    return str(db_settings.get("TEST", {}).get("NAME") or f"test_{db_settings['NAME']}")


def _exists(conn: psycopg.Connection[Any], name: str) -> bool:
    return conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is not None


def _drop(conn: psycopg.Connection[Any], name: str) -> None:
    conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))


def _controller_alive(name: str) -> bool:
    pid = name.removesuffix(BUILDING).rsplit("_", 1)[-1]
    try:
        os.kill(int(pid), 0)
    except (ValueError, ProcessLookupError):
        return False
    except PermissionError:
        return True
    return True


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    with path.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _migrate_into(db_settings: Mapping[str, Any], name: str) -> None:
    """``manage.py migrate`` in a process of its own, on the template under construction:
    this process's own connection settings name its test database, which does not exist yet."""
    env = dict(os.environ)
    env["DJANGO_SETTINGS_MODULE"] = "masip.settings.test"
    env["DATABASE_URL"] = database_url_for({**db_settings, "NAME": name})
    done = subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "--verbosity", "0"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    if done.returncode != 0:
        raise RuntimeError(f"migrate into the test template {name} failed:\n{done.stderr[-5000:]}")


def ensure_template(db_settings: Mapping[str, Any], name: str, lock_folder: Path) -> None:
    """Make the run's template once, whichever process asks first; the others wait for it."""
    with _locked(lock_folder / f"{name}.lock"):
        with _maintenance(db_settings) as conn:
            if _exists(conn, name):
                return
            # Built under another name and renamed when complete: a process killed half-way
            # leaves no half-migrated template for the next one to copy.
            building = name + BUILDING
            _drop(conn, building)
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(building)))
        _migrate_into(db_settings, building)
        with _maintenance(db_settings) as conn:
            conn.execute(
                sql.SQL("ALTER DATABASE {} RENAME TO {}").format(sql.Identifier(building), sql.Identifier(name))
            )


def drop_stale_templates(db_settings: Mapping[str, Any], base: str) -> list[str]:
    """Drop the templates (and half-built ones) of earlier runs whose controller is gone: a run
    killed before its end. Another run's, still going on the same server, is left alone."""
    dropped = []
    with _maintenance(db_settings) as conn:
        names = conn.execute(
            "SELECT datname FROM pg_database WHERE starts_with(datname, %s)", [f"{base}{TEMPLATE_MARK}"]
        ).fetchall()
        for (name,) in names:
            if not _controller_alive(name):
                _drop(conn, name)
                dropped.append(name)
    return dropped


# --- each process: its test database is a copy of the template ---------------------------------------------------


@pytest.fixture(scope="session")
def django_db_modify_db_settings(
    django_db_modify_db_settings_parallel_suffix: None,
    django_db_keepdb: bool,
    django_db_createdb: bool,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """pytest-django's hook for the test databases' settings, run before they are made."""
    name = os.environ.get(TEMPLATE_ENV)
    if not name or (django_db_keepdb and not django_db_createdb):
        return
    db_settings = _settings()
    # The folder above this process's own temporary folder is the run's, shared by its processes.
    ensure_template(db_settings, name, tmp_path_factory.getbasetemp().parent)
    db_settings.setdefault("TEST", {})["TEMPLATE"] = name


# --- the controller's hooks -------------------------------------------------------------------------------------


def _is_controller_of_processes(config: pytest.Config) -> bool:
    return not hasattr(config, "workerinput") and bool(getattr(config.option, "numprocesses", 0))


def pytest_configure(config: pytest.Config) -> None:
    if not _is_controller_of_processes(config) or config.getoption("reuse_db", False):
        return
    db_settings = _settings()
    base = _base_name(db_settings)
    drop_stale_templates(db_settings, base)
    os.environ[TEMPLATE_ENV] = f"{base}{TEMPLATE_MARK}{os.getpid()}"


def pytest_unconfigure(config: pytest.Config) -> None:
    name = os.environ.get(TEMPLATE_ENV)
    if not name or not _is_controller_of_processes(config):
        return
    with _maintenance(_settings()) as conn:
        _drop(conn, name)
        _drop(conn, name + BUILDING)
