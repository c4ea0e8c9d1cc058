"""``python manage.py import_bundle PATH --partnership SLUG [--create "Name"] [--dry-run] [--user EMAIL]``

Imports a partnership data bundle (a folder or a .zip; ../shared/specs/partnership-import.md)
all or nothing. Every error is printed as ``file:line: column: problem`` and the command
exits with status 1 having written nothing. ``--user`` names the member of staff on whose
behalf the import runs (the access log and the timeline show them); without it the import
is recorded as a system job.
"""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from agencies.models import Partnership, User
from exchange.importer import ImportResult, import_bundle
from exchange.models import TransferOutcome
from exchange.services import bundle_import_log


class Command(BaseCommand):
    help = "Import a partnership data bundle (a folder or a .zip of CSV files), all or nothing."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", help="The bundle: a folder of CSV files, or a .zip of one")
        parser.add_argument("--partnership", required=True, help="The partnership's slug")
        parser.add_argument("--create", default="", metavar="NAME", help="Create the partnership with this name")
        parser.add_argument("--dry-run", action="store_true", help="Check the bundle and write nothing")
        parser.add_argument("--user", default="", metavar="EMAIL", help="The member of staff importing")

    def handle(self, *args: Any, **options: Any) -> None:
        actor = self._actor(options["user"], options["partnership"])
        started = self._started = time.monotonic()
        result = import_bundle(
            source=options["path"],
            partnership_slug=options["partnership"],
            create_name=options["create"],
            dry_run=options["dry_run"],
            actor=actor,
            label=options["path"],
            progress=self._progress,
        )
        self._record(result, actor=actor, source=options["path"])
        if result.errors:
            for error in result.errors:
                self.stderr.write(str(error))
            count = len(result.errors)
            raise CommandError(f"{count:,} error{'s' if count != 1 else ''}: nothing was imported", returncode=1)
        for line in result.summary_lines():
            self.stdout.write(line)
        elapsed = time.monotonic() - started
        if options["dry_run"]:
            self.stdout.write(self.style.SUCCESS(f"The bundle is valid ({elapsed:.1f} s); nothing was written"))
        else:
            self.stdout.write(self.style.SUCCESS(f"Imported in {elapsed:.1f} s"))

    def _record(self, result: ImportResult, *, actor: User | None, source: str) -> None:
        """The partnership's transfer history, as for an upload (not for a partnership only checked)."""
        partnership = Partnership.objects.filter(slug=result.partnership_slug).first()
        if partnership is None:
            return
        bundle_import_log(
            actor=actor,
            partnership_id=partnership.pk,
            dry_run=result.dry_run,
            source=source,
            outcome=TransferOutcome.REJECTED if result.errors else TransferOutcome.DONE,
            created=dict(result.created),
            already_held=dict(result.already_held),
            error_count=len(result.errors),
        )

    def _progress(self, message: str) -> None:
        self.stdout.write(f"[{time.monotonic() - self._started:7.1f} s] {message}")
        self.stdout.flush()

    def _actor(self, email: str, slug: str) -> User | None:
        if not email:
            return None
        user = User.objects.filter(email__iexact=email.strip(), is_active=True).select_related("agency").first()
        if user is None or user.agency is None or user.agency.partnership.slug != slug:
            raise CommandError(f"No active member of staff of {slug} with the e-mail address {email}")
        return user
