"""python manage.py backup_drill: back the database up, restore it into a fresh one, and check it.

A backup is only as good as its last restore. The drill:

1. opens a read-only snapshot of the database and counts the rows of every table in it;
2. ``pg_dump --format=custom`` of that same snapshot (``--snapshot``), so the counts and the
   dump agree even while the service keeps writing;
3. makes a fresh database and ``pg_restore``s the dump into it;
4. counts every table there and compares;
5. checks that the restored access log is still append-only: on the log and on each of its
   partitions and archives, UPDATE, DELETE and TRUNCATE are refused (tried inside a
   transaction that is rolled back);
6. drops the drill database (``--keep-database`` keeps it) and the dump (``--dump`` keeps it).

Exits non-zero, naming what differs, when anything does not match. The PostgreSQL client
programs are taken from ``--pg-bin``, else from the server's own major version under
/usr/lib/postgresql, else from PATH (pg_dump must not be older than the server).
"""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import psycopg
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from psycopg import sql


def _conninfo(db: dict[str, Any], name: str | None = None) -> dict[str, Any]:
    return {
        "dbname": name or db["NAME"],
        "user": db["USER"] or None,
        "password": db["PASSWORD"] or None,
        "host": db["HOST"] or None,
        "port": db["PORT"] or None,
    }


def _counts(conn: psycopg.Connection[Any]) -> dict[str, int]:
    """Exact row counts of every ordinary table (partitions counted one by one)."""
    tables = [
        name
        for (name,) in conn.execute(
            "SELECT relname FROM pg_class WHERE relkind = 'r' AND relnamespace = current_schema()::regnamespace"
            " ORDER BY relname"
        ).fetchall()
    ]
    counts = {}
    for table in tables:
        row = conn.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(table))).fetchone()
        assert row is not None
        counts[table] = int(row[0])
    return counts


def _refuses(conn: psycopg.Connection[Any], statement: sql.Composed) -> bool:
    """True only when the append-only trigger refused it: any other error proves nothing."""
    try:
        with conn.transaction():
            conn.execute(statement)
    except psycopg.errors.RaiseException as exc:
        return "pgtrigger:" in str(exc)
    except psycopg.Error:
        return False
    return False


def access_log_append_only(conn: psycopg.Connection[Any]) -> list[str]:
    """What of the access log can be changed or removed: empty when nothing can."""
    problems = []
    with conn.transaction(force_rollback=True):
        tables = [
            name
            for (name,) in conn.execute(
                "SELECT relname FROM pg_class WHERE relkind IN ('r', 'p') AND relname LIKE 'audit\\_accesslog%'"
                " AND relnamespace = current_schema()::regnamespace ORDER BY relname"
            ).fetchall()
        ]
        # A row to try with, in the current month's partition (rolled back with the rest).
        conn.execute(
            "INSERT INTO audit_accesslog (action, record_type, record_ids, purpose, break_glass)"
            " VALUES ('view', 'backup.drill', '{}', '', false)"
        )
        # Check the row's deferred foreign keys now: TRUNCATE refuses a table with pending
        # trigger events, which would pass for the append-only refusal.
        conn.execute("SET CONSTRAINTS ALL IMMEDIATE")
        for table in tables:
            name = sql.Identifier(table)
            for verb, statement in (
                ("UPDATE", sql.SQL("UPDATE {} SET purpose = 'drill'").format(name)),
                ("DELETE", sql.SQL("DELETE FROM {}").format(name)),
                ("TRUNCATE", sql.SQL("TRUNCATE {}").format(name)),
            ):
                if verb != "TRUNCATE":
                    row = conn.execute(sql.SQL("SELECT count(*) FROM {}").format(name)).fetchone()
                    if row is None or row[0] == 0:
                        continue  # a row trigger has nothing to fire on; TRUNCATE is still tried
                if not _refuses(conn, statement):
                    problems.append(f"{verb} {table}")
    return problems


class Command(BaseCommand):
    help = (
        "Dump the database (pg_dump custom format), restore it into a fresh database, compare every "
        "table's row count and check the access log is still append-only; then drop the copy."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--pg-bin", default="", help="Directory of pg_dump and pg_restore")
        parser.add_argument("--dump", default="", help="Keep the dump at this path")
        parser.add_argument("--keep-database", action="store_true", help="Keep the restored database")

    def handle(self, *args: Any, **options: Any) -> None:
        db = settings.DATABASES["default"]
        source = _conninfo(db)
        with psycopg.connect(**source, autocommit=True) as conn:
            row = conn.execute("SELECT current_setting('server_version_num')::int / 10000").fetchone()
            assert row is not None
            major = int(row[0])
        pg_bin = self._pg_bin(str(options["pg_bin"]), major)
        env = {**os.environ}
        if db["PASSWORD"]:
            env["PGPASSWORD"] = str(db["PASSWORD"])
        target = f"{db['NAME']}_drill_{secrets.token_hex(4)}"
        workdir = Path(tempfile.mkdtemp(prefix="masip-drill-"))
        dump = Path(options["dump"]) if options["dump"] else workdir / "masip.dump"
        try:
            started = time.monotonic()
            with psycopg.connect(**source) as snap:
                snap.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                row = snap.execute("SELECT pg_export_snapshot()").fetchone()
                assert row is not None
                snapshot = str(row[0])
                before = _counts(snap)
                self._run(
                    [
                        pg_bin / "pg_dump",
                        "--format=custom",
                        f"--snapshot={snapshot}",
                        "--file",
                        dump,
                        *self._target_args(db, str(db["NAME"])),
                    ],
                    env,
                )
                snap.rollback()
            dumped = time.monotonic() - started
            size = dump.stat().st_size
            with psycopg.connect(**source, autocommit=True) as conn:
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(target)))
            started = time.monotonic()
            self._run([pg_bin / "pg_restore", "--exit-on-error", "--dbname", target, *self._conn_args(db), dump], env)
            restored = time.monotonic() - started
            with psycopg.connect(**_conninfo(db, target), autocommit=True) as copy:
                after = _counts(copy)
                problems = access_log_append_only(copy)
            differ = sorted(
                f"{table}: {before.get(table)} before, {after.get(table)} restored"
                for table in set(before) | set(after)
                if before.get(table) != after.get(table)
            )
            self.stdout.write(
                f"backup_drill dump={size / 1e6:.1f} MB in {dumped:.1f} s; restore {restored:.1f} s; "
                f"tables={len(before)} rows={sum(before.values())}"
            )
            if differ:
                raise CommandError("row counts differ after the restore: " + "; ".join(differ))
            if problems:
                raise CommandError("the restored access log is not append-only: " + ", ".join(problems))
            self.stdout.write("row counts: every table matches")
            self.stdout.write("access log: append-only after the restore (UPDATE, DELETE, TRUNCATE refused)")
        finally:
            if not options["keep_database"]:
                with psycopg.connect(**source, autocommit=True) as conn:
                    conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(target)))
            shutil.rmtree(workdir, ignore_errors=True)

    def _pg_bin(self, given: str, major: int) -> Path:
        for candidate in (given, f"/usr/lib/postgresql/{major}/bin"):
            if candidate and (Path(candidate) / "pg_dump").exists():
                return Path(candidate)
        found = shutil.which("pg_dump")
        if found is None:
            raise CommandError("pg_dump not found: pass --pg-bin")
        return Path(found).parent

    @staticmethod
    def _conn_args(db: dict[str, Any]) -> list[str]:
        args = []
        if db["HOST"]:
            args += ["--host", str(db["HOST"])]
        if db["PORT"]:
            args += ["--port", str(db["PORT"])]
        if db["USER"]:
            args += ["--username", str(db["USER"])]
        return [*args, "--no-password"]

    def _target_args(self, db: dict[str, Any], name: str) -> list[str]:
        return [*self._conn_args(db), "--dbname", name]

    @staticmethod
    def _run(command: list[Any], env: dict[str, str]) -> None:
        result = subprocess.run([str(part) for part in command], env=env, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            raise CommandError(f"{Path(str(command[0])).name} failed: {result.stderr.strip()[-2000:]}")
