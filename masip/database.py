"""The two database roles: the owner, which runs migrations, and the application's role.

The application's role (``DATABASE_URL``) owns nothing, so it cannot drop or disable a
trigger, and on the append-only tables (the access log) it may only read and insert: no
UPDATE, DELETE or TRUNCATE, whatever it sets ``pgtrigger.ignore`` to. The owner
(``DATABASE_OWNER_URL``) runs ``manage.py migrate``, which then calls
``grant_application_role`` so that tables added by a migration are granted at once.
With one URL (a developer's machine, the tests) the one role does both.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.core.exceptions import ImproperlyConfigured


def grant_application_role(*, connection: Any, role: str, append_only_tables: Sequence[str]) -> None:
    """Give ``role`` what the service needs on every table of the schema, and no more.

    Run as the owner after every migration. Refuses a role that is a superuser or owns an
    append-only table: such a role could set the log's protection aside whatever it is granted.
    """
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = %s", [role])
        found = cursor.fetchone()
        if found is None:
            raise ImproperlyConfigured(f"The application's database role {role!r} does not exist")
        if found[0]:
            raise ImproperlyConfigured(
                f"The application's database role {role!r} is a superuser: it could change the access log"
            )
        for table in append_only_tables:
            cursor.execute("SELECT pg_get_userbyid(relowner) FROM pg_class WHERE oid = %s::regclass", [table])
            (owner,) = cursor.fetchone()
            if owner == role:
                raise ImproperlyConfigured(
                    f"The application's database role {role!r} owns {table}: migrate as another role "
                    "(DATABASE_OWNER_URL), so that it cannot drop or disable the table's triggers"
                )
        cursor.execute("SELECT current_database(), current_schema()")
        database, schema = cursor.fetchone()
        grantee = quote(role)
        cursor.execute(f"GRANT CONNECT ON DATABASE {quote(database)} TO {grantee}")
        cursor.execute(f"GRANT USAGE ON SCHEMA {quote(schema)} TO {grantee}")
        cursor.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {quote(schema)} TO {grantee}")
        cursor.execute(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {quote(schema)} TO {grantee}")
        for table in append_only_tables:
            cursor.execute(f"REVOKE ALL ON TABLE {quote(table)} FROM {grantee}")
            cursor.execute(f"GRANT SELECT, INSERT ON TABLE {quote(table)} TO {grantee}")
            # A partitioned log (audit/partitions.py): nothing on its partitions or detached
            # archives, which the grant on all tables above reached. Reads and inserts go
            # through the parent, whose privileges are the only ones checked for them.
            cursor.execute(
                "SELECT c.relname FROM pg_class c WHERE c.relnamespace = current_schema()::regnamespace AND ("
                " c.oid IN (SELECT relid FROM pg_partition_tree(%s::regclass) WHERE relid <> %s::regclass)"
                " OR (c.relkind = 'r' AND c.relname LIKE %s))",
                [table, table, table.replace("_", r"\_") + r"\_archive\_%"],
            )
            for (part,) in cursor.fetchall():
                cursor.execute(f"REVOKE ALL ON TABLE {quote(part)} FROM {grantee}")
        # Making next months' partitions and detaching old ones (the daily job), through the
        # owner's two functions that do only that.
        cursor.execute(
            "SELECT p.oid::regprocedure::text FROM pg_proc p WHERE p.pronamespace = current_schema()::regnamespace"
            " AND p.proname IN ('audit_accesslog_partition_create', 'audit_accesslog_partition_detach')"
        )
        for (function,) in cursor.fetchall():
            cursor.execute(f"GRANT EXECUTE ON FUNCTION {function} TO {grantee}")
