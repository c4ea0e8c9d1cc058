"""``migrate`` as the database's owner when ``DATABASE_OWNER_URL`` is set, then the grants.

The service runs as an application role that owns no table (``masip/database.py``);
migrations must create and alter tables, so they run as the owner. With
``DATABASE_OWNER_URL`` set, this command connects as the owner for the whole run (data
migrations and post-migrate steps included), then grants the application's role
(``DATABASE_URL``'s user) its privileges on whatever the migrations created. Without it,
Django's ``migrate`` runs unchanged on ``DATABASE_URL``.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.commands import migrate
from django.db import DEFAULT_DB_ALIAS, connections

from masip.database import grant_application_role

_CONNECTION_KEYS = ("NAME", "USER", "PASSWORD", "HOST", "PORT", "OPTIONS")


class Command(migrate.Command):
    help = (
        "Apply migrations; with DATABASE_OWNER_URL set, as the owner, then grant the application's role "
        "(DATABASE_URL) its privileges."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        owner = settings.DATABASE_OWNER
        if owner is None or options["database"] != DEFAULT_DB_ALIAS:
            super().handle(*args, **options)
            return
        from audit.models import AccessLog

        connection = connections[DEFAULT_DB_ALIAS]
        application = {key: connection.settings_dict[key] for key in _CONNECTION_KEYS}
        connection.close()
        connection.settings_dict.update({key: owner[key] for key in _CONNECTION_KEYS})
        try:
            super().handle(*args, **options)
            grant_application_role(
                connection=connection, role=application["USER"], append_only_tables=[AccessLog._meta.db_table]
            )
            if options["verbosity"] >= 1:
                self.stdout.write(f"Granted the application's role {application['USER']!r} its privileges.")
        finally:
            connection.close()
            connection.settings_dict.update(application)
