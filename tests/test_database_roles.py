"""The access log is append-only against the application's database role, by every route.

The role is made here with exactly the grants the project's own step gives it
(``masip.database.grant_application_role``, which ``manage.py migrate`` runs as the owner),
and then tries every way to change or remove a row.
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from django.conf import settings
from django.db import connection, transaction
from django.db.utils import DatabaseError

from audit.models import AccessAction, AccessLog
from audit.services import access_record
from tests.factories import World
from tests.workers import ROOT, database_url_for

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "app-role-" + secrets.token_hex(8)


def _conninfo(role: str) -> dict[str, Any]:
    db = settings.DATABASES["default"]
    return {
        "dbname": db["NAME"],
        "user": role,
        "password": PASSWORD,
        "host": db["HOST"],
        "port": db["PORT"] or None,
        "autocommit": True,
    }


@pytest.fixture
def application_role(db: None) -> Iterator[str]:
    role = f"masip_app_{secrets.token_hex(4)}"
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE ROLE {role} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD %s", [PASSWORD])
    try:
        yield role
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"DROP OWNED BY {role}")
            cursor.execute(f"DROP ROLE {role}")


def _trigger_names() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tgname FROM pg_trigger WHERE tgrelid = 'audit_accesslog'::regclass AND NOT tgisinternal"
            " ORDER BY tgname"
        )
        return [name for (name,) in cursor.fetchall()]


def _attempt(app: psycopg.Connection[Any], statements: list[str], *, ignore: str, entry_id: int) -> None:
    """Run one route's statements in one transaction (``SET LOCAL`` lasts only that long)."""
    with app.transaction():
        for statement in statements:
            params: list[object] = [ignore] if "set_config" in statement else []
            params += [entry_id] if "id = %s" in statement else []
            app.execute(statement, params)


def test_the_application_role_cannot_change_or_remove_an_access_log_row(world: World, application_role: str) -> None:
    from masip.database import grant_application_role

    entry = access_record(user=world.advocate, action=AccessAction.VIEW, record_type="cases.case", record_ids=[41])
    grant_application_role(connection=connection, role=application_role, append_only_tables=["audit_accesslog"])
    triggers = _trigger_names()
    assert len(triggers) == 2  # UPDATE/DELETE rows, and TRUNCATE
    routes = [
        ["UPDATE audit_accesslog SET purpose = 'tampered' WHERE id = %s"],
        ["DELETE FROM audit_accesslog WHERE id = %s"],
        ["TRUNCATE audit_accesslog"],
        ["TRUNCATE audit_accesslog CASCADE"],
        [
            "SELECT set_config('pgtrigger.ignore', %s, true)",
            "UPDATE audit_accesslog SET purpose = 'tampered' WHERE id = %s",
        ],
        [
            "SELECT set_config('pgtrigger.ignore', %s, true)",
            "DELETE FROM audit_accesslog WHERE id = %s",
        ],
        ["ALTER TABLE audit_accesslog DISABLE TRIGGER ALL"],
        *[[f"ALTER TABLE audit_accesslog DISABLE TRIGGER {name}"] for name in triggers],
        *[[f"DROP TRIGGER {name} ON audit_accesslog"] for name in triggers],
        ["DROP TABLE audit_accesslog CASCADE"],
        ["ALTER TABLE audit_accesslog RENAME TO audit_accesslog_old"],
    ]
    ignore_every_trigger = "{" + ",".join(triggers) + "}"
    with psycopg.connect(**_conninfo(application_role)) as app:
        # The role does its job: it reads the log and appends to it, and changes other tables.
        app.execute(
            "INSERT INTO audit_accesslog (action, record_type, record_ids, purpose, break_glass)"
            " VALUES ('view', 'cases.case', '{42}', '', false)"
        )
        assert app.execute("SELECT count(*) FROM audit_accesslog").fetchone() == (2,)
        app.execute("UPDATE agencies_user SET job_title = 'Senior advocate' WHERE id = %s", [world.advocate.pk])
        for statements in routes:
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                _attempt(app, statements, ignore=ignore_every_trigger, entry_id=entry.pk)
    entry.refresh_from_db()
    assert entry.purpose == ""
    assert AccessLog.objects.count() == 2
    assert _trigger_names() == triggers


def test_the_access_log_refuses_truncate_even_from_its_owner(world: World) -> None:
    access_record(user=world.advocate, action=AccessAction.VIEW, record_type="cases.case", record_ids=[41])
    with pytest.raises(DatabaseError, match="Cannot truncate"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("TRUNCATE audit_accesslog")
    assert AccessLog.objects.count() == 1


def test_the_grant_step_refuses_a_role_that_owns_the_log_or_is_a_superuser(db: None) -> None:
    from django.core.exceptions import ImproperlyConfigured

    from masip.database import grant_application_role

    with pytest.raises(ImproperlyConfigured, match=r"superuser|owns"):
        grant_application_role(
            connection=connection, role=settings.DATABASES["default"]["USER"], append_only_tables=["audit_accesslog"]
        )


def test_migrate_with_an_owner_url_grants_the_application_role(application_role: str) -> None:
    """``manage.py migrate`` with both URLs: runs as the owner, then grants the application's role."""
    db = settings.DATABASES["default"]
    owner_url = database_url_for(db)
    app_url = database_url_for({**db, "USER": application_role, "PASSWORD": PASSWORD})
    dropped = {"DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env = {k: v for k, v in os.environ.items() if k not in dropped}
    env.update(DJANGO_SETTINGS_MODULE="masip.settings.test", DATABASE_URL=app_url, DATABASE_OWNER_URL=owner_url)
    result = subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"Granted the application's role '{application_role}'" in result.stdout
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT has_table_privilege(%s, 'audit_accesslog', 'INSERT'),"
            " has_table_privilege(%s, 'audit_accesslog', 'UPDATE'),"
            " has_table_privilege(%s, 'audit_accesslog', 'DELETE'),"
            " has_table_privilege(%s, 'audit_accesslog', 'TRUNCATE'),"
            " has_table_privilege(%s, 'cases_case', 'UPDATE')",
            [application_role] * 5,
        )
        assert cursor.fetchone() == (True, False, False, False, True)
    # An owner URL naming another database is refused at start, naming the variable.
    env["DATABASE_OWNER_URL"] = owner_url.rsplit("/", 1)[0] + "/another"
    bad = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert bad.returncode == 2
    assert "DATABASE_OWNER_URL" in bad.stderr.strip().splitlines()[-1]


def test_the_application_role_has_no_way_into_a_partition_or_an_archive(world: World, application_role: str) -> None:
    """Partitions and detached months: no rights at all; making and detaching only through the owner's functions."""
    from audit import partitions
    from masip.database import grant_application_role

    entry = access_record(user=world.advocate, action=AccessAction.VIEW, record_type="cases.case", record_ids=[41])
    old = dt.date(2020, 1, 1)
    with connection.cursor() as cursor:
        partitions.partition_create(cursor=cursor, month=old)
        cursor.execute(
            "INSERT INTO audit_accesslog (at, action, record_type, record_ids, purpose, break_glass)"
            " VALUES ('2020-01-15T12:00:00Z', 'view', 'cases.case', '{9}', '', false)"
        )
        cursor.execute("SELECT tableoid::regclass::text FROM audit_accesslog WHERE id = %s", [entry.pk])
        (current,) = cursor.fetchone()
    grant_application_role(connection=connection, role=application_role, append_only_tables=["audit_accesslog"])
    archive = f"{partitions.ARCHIVE_PREFIX}y2020m01"
    try:
        with psycopg.connect(**_conninfo(application_role)) as app:
            # The daily job's calls: allowed, and they do their work.
            made = app.execute("SELECT audit_accesslog_partition_create('2040-01-01')").fetchone()
            assert made == ("audit_accesslog_y2040m01",)
            detached = app.execute("SELECT audit_accesslog_partition_detach(12)").fetchall()
            assert (archive,) in detached
            for table in (current, "audit_accesslog_y2040m01", archive):
                routes = [
                    f"SELECT count(*) FROM {table}",
                    f"INSERT INTO {table} (at, action, record_type, record_ids, purpose, break_glass)"
                    " SELECT at, action, record_type, record_ids, purpose, break_glass FROM audit_accesslog LIMIT 1",
                    f"UPDATE {table} SET purpose = 'tampered'",
                    f"DELETE FROM {table}",
                    f"TRUNCATE {table}",
                    f"ALTER TABLE {table} DISABLE TRIGGER ALL",
                    f"DROP TABLE {table}",
                ]
                for statement in routes:
                    with pytest.raises(psycopg.errors.InsufficientPrivilege), app.transaction():
                        app.execute(statement)
            # The detach function keeps a year online whatever it is asked.
            with pytest.raises(psycopg.errors.RaiseException, match="at least 12 months"), app.transaction():
                app.execute("SELECT audit_accesslog_partition_detach(1)")
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT count(*) FROM {archive}")
            assert cursor.fetchone() == (1,)
        assert AccessLog.objects.get(pk=entry.pk).purpose == ""
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS {archive}")
            cursor.execute("ALTER TABLE audit_accesslog DETACH PARTITION audit_accesslog_y2040m01")
            cursor.execute("DROP TABLE audit_accesslog_y2040m01")
