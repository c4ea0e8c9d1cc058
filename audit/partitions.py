"""The access log's monthly partitions: the SQL that makes, keeps and detaches them.

At national scale the log gains about a million rows a day, for years. One table of
that size would make every index rebuild, vacuum and retention step a job over billions
of rows; deleting old rows one by one would also fight the append-only triggers. So
``audit_accesslog`` is partitioned by month on ``at`` (PostgreSQL declarative range
partitioning, one partition per calendar month in UTC):

- a query bounded in time (the access-log page's month filter, the keyset cursor) reads
  only the partitions it needs, and each partition's indexes are a month deep;
- partitions are made ahead of time by a daily job (``audit.maintain_access_log_partitions``),
  so an insert always finds its month's partition;
- months older than the online period are *detached*, a catalogue change that moves no
  row, and renamed ``audit_accesslog_archive_yYYYYmMM``: still in the database, still
  append-only, readable by the owner, to be archived and dropped by the operators'
  retention procedure (docs/deployment.md), never deleted row by row.

The append-only protection on every partition: PostgreSQL clones the parent's row
trigger (UPDATE/DELETE) to each partition, but not a statement trigger (TRUNCATE), and
a detached partition loses the cloned row trigger; so the functions below add both
where PostgreSQL does not. The application's database role may only read and insert
through the parent (``masip.database.grant_application_role`` revokes everything on the
partitions), and it makes and detaches partitions only through these two functions,
which run with their owner's rights (``SECURITY DEFINER``) and do nothing else.

The SQL lives here, not only in the migration, so that the migration and the tests use
the one text.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

TABLE = "audit_accesslog"
ARCHIVE_PREFIX = f"{TABLE}_archive_"
PARTITION_PATTERN = r"^audit_accesslog_y[0-9]{4}m[0-9]{2}$"

# The trigger functions pgtrigger installed for the model's two triggers (audit/models.py);
# their names carry pgtrigger's hash of the trigger's name, stable across releases.
ROW_TRIGGER = "pgtrigger_append_only_d991f"
TRUNCATE_TRIGGER = "pgtrigger_append_only_truncate_9f243"

# Months kept attached at the least, whatever the caller asks: a mistaken or hostile call
# cannot take the recent log out of the application's sight.
MINIMUM_ONLINE_MONTHS = 12


def functions_sql(schema: str) -> str:
    """The two functions, owned by whoever runs the migration (the owner role)."""
    return f"""
CREATE OR REPLACE FUNCTION audit_accesslog_partition_create(month date) RETURNS text
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = {schema}, pg_temp
SET TimeZone = 'UTC'
AS $fn$
DECLARE
    first_day date := date_trunc('month', month)::date;
    name text := format('audit_accesslog_y%sm%s', to_char(first_day, 'YYYY'), to_char(first_day, 'MM'));
BEGIN
    IF to_regclass(name) IS NOT NULL THEN
        RETURN NULL;
    END IF;
    EXECUTE format(
        'CREATE TABLE %I PARTITION OF audit_accesslog FOR VALUES FROM (%L) TO (%L)',
        name, first_day::timestamptz, (first_day + interval '1 month')::timestamptz
    );
    -- TRUNCATE of a partition fires no trigger of the parent's.
    EXECUTE format(
        'CREATE TRIGGER {TRUNCATE_TRIGGER} BEFORE TRUNCATE ON %I'
        ' FOR EACH STATEMENT EXECUTE FUNCTION {TRUNCATE_TRIGGER}()', name
    );
    RETURN name;
END
$fn$;

CREATE OR REPLACE FUNCTION audit_accesslog_partition_detach(keep_months integer) RETURNS SETOF text
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = {schema}, pg_temp
SET TimeZone = 'UTC'
AS $fn$
DECLARE
    oldest_kept date;
    part record;
    archive text;
BEGIN
    IF keep_months IS NULL OR keep_months < {MINIMUM_ONLINE_MONTHS} THEN
        RAISE EXCEPTION 'the access log keeps at least {MINIMUM_ONLINE_MONTHS} months online, not %', keep_months;
    END IF;
    oldest_kept := (date_trunc('month', now()) - make_interval(months => keep_months - 1))::date;
    FOR part IN
        SELECT c.relname AS name,
               to_date(substr(c.relname, length('audit_accesslog_y') + 1, 4)
                       || substr(c.relname, length('audit_accesslog_y') + 6, 2), 'YYYYMM') AS first_day
        FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
        WHERE i.inhparent = 'audit_accesslog'::regclass AND c.relname ~ '{PARTITION_PATTERN}'
        ORDER BY c.relname
    LOOP
        CONTINUE WHEN part.first_day >= oldest_kept;
        archive := '{ARCHIVE_PREFIX}' || substr(part.name, length('audit_accesslog_') + 1);
        EXECUTE format('ALTER TABLE audit_accesslog DETACH PARTITION %I', part.name);
        EXECUTE format('ALTER TABLE %I RENAME TO %I', part.name, archive);
        -- Detaching drops the row trigger cloned from the parent: the archive gets its own.
        EXECUTE format(
            'CREATE TRIGGER {ROW_TRIGGER} BEFORE UPDATE OR DELETE ON %I'
            ' FOR EACH ROW EXECUTE FUNCTION {ROW_TRIGGER}()', archive
        );
        RETURN NEXT archive;
    END LOOP;
END
$fn$;

REVOKE ALL ON FUNCTION audit_accesslog_partition_create(date) FROM PUBLIC;
REVOKE ALL ON FUNCTION audit_accesslog_partition_detach(integer) FROM PUBLIC;
"""  # noqa: S608 (the schema is the connection's own current_schema())


def months_from(first: dt.date, count: int) -> list[dt.date]:
    """``count`` first days of months, starting with ``first``'s month."""
    year, month = first.year, first.month
    out = []
    for _ in range(count):
        out.append(dt.date(year, month, 1))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


def partition_create(*, cursor: Any, month: dt.date) -> str | None:
    """Make the partition of ``month`` unless it exists; its name, or None when it existed."""
    cursor.execute("SELECT audit_accesslog_partition_create(%s)", [month])
    (name,) = cursor.fetchone()
    return name


def partitions(*, cursor: Any) -> list[str]:
    cursor.execute(
        "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid"
        " WHERE i.inhparent = %s::regclass ORDER BY c.relname",
        [TABLE],
    )
    return [name for (name,) in cursor.fetchall()]


def archives(*, cursor: Any) -> list[str]:
    cursor.execute(
        "SELECT relname FROM pg_class WHERE relkind = 'r' AND relname LIKE %s"
        " AND relnamespace = current_schema()::regnamespace ORDER BY relname",
        [ARCHIVE_PREFIX.replace("_", r"\_") + "%"],
    )
    return [name for (name,) in cursor.fetchall()]
