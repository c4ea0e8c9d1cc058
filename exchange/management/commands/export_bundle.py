"""``python manage.py export_bundle PATH --partnership SLUG [--pseudonymise] [--user EMAIL] [--reason TEXT]``

Writes the partnership's data as a bundle in the import's format: a folder, or a .zip when
PATH ends in .zip. ``--pseudonymise`` leaves out names and identifiers and replaces every
ref with a stable pseudonym (exchange.exporter). The export is recorded in the
access log, with every case it contains, and in the partnership's transfer history. An
export with names needs ``--reason`` (why it is taken), which both keep.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from agencies.models import Partnership, RecordClass, User
from cases.permissions import may_see
from cases.selectors import restricted_case_ids_withheld_from
from exchange.exporter import Withheld, export_to_path, snapshot
from exchange.services import bundle_export_log, export_reason_check
from masip.replica import use_replica


class Command(BaseCommand):
    help = "Export a partnership's data as a partnership data bundle (folder or .zip)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", help="A new folder, or a file name ending in .zip")
        parser.add_argument("--partnership", required=True, help="The partnership's slug")
        parser.add_argument("--pseudonymise", action="store_true", help="Leave out names and identifiers")
        parser.add_argument("--user", default="", metavar="EMAIL", help="The member of staff exporting")
        parser.add_argument(
            "--reason", default="", help="Why the export with names is needed (required without --pseudonymise)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        partnership = Partnership.objects.filter(slug=options["partnership"]).first()
        if partnership is None:
            raise CommandError(f"No partnership {options['partnership']}")
        try:
            reason = export_reason_check(pseudonymise=options["pseudonymise"], reason=options["reason"])
        except ValidationError:
            raise CommandError("Give --reason: why the export with names is needed (it is logged)") from None
        actor = None
        if options["user"]:
            actor = User.objects.filter(
                email__iexact=options["user"].strip(), is_active=True, agency__partnership=partnership
            ).first()
            if actor is None:
                raise CommandError(f"No active member of staff of {partnership.slug} with that e-mail address")
        started = time.monotonic()
        # As a member of staff: without the restricted cases they hold no grant for. Run by an
        # operator without --user: the whole partnership. Read on the primary, before the rows.
        withheld = Withheld.cases(restricted_case_ids_withheld_from(actor)) if actor else None
        # A victim's own costs are victim_identity: only for an agency that may see it.
        victim_costs = actor is None or may_see(actor, RecordClass.VICTIM_IDENTITY)
        try:
            # The rows from the replica when there is one (masip/replica.py); the log, the primary.
            with use_replica(), snapshot():
                summary = export_to_path(
                    partnership=partnership,
                    path=Path(options["path"]),
                    pseudonymise=options["pseudonymise"],
                    progress=self.stdout.write,
                    withheld=withheld,
                    victim_costs=victim_costs,
                )
                bundle_export_log(
                    actor=actor, partnership=partnership, summary=summary, target=options["path"], reason=reason
                )
        except FileExistsError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(self.style.SUCCESS(f"Exported to {options['path']} in {time.monotonic() - started:.1f} s"))
