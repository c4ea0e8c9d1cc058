"""Load a risk instrument version from a JSON or YAML file (docs/risk-instruments.md)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from agencies.models import Partnership, User
from risk.services import instrument_version_load_file


class Command(BaseCommand):
    help = (
        "Load an instrument version from FILE (.json, .yaml or .yml). With --partnership the version, and any "
        "licensed wording in it, belongs to that partnership alone; without, it is offered to every partnership "
        "and may carry topic labels only. A loaded version never changes: load changes as a new version."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="The definition file")
        parser.add_argument("--partnership", metavar="SLUG", help="The partnership the version is for")
        parser.add_argument("--by", metavar="EMAIL", help="The member of staff loading it, for the record")
        parser.add_argument(
            "--not-current",
            action="store_true",
            help="Load it without making it the version new assessments use",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        partnership = None
        if options["partnership"]:
            partnership = Partnership.objects.filter(slug=options["partnership"]).first()
            if partnership is None:
                raise CommandError(f"There is no partnership with the slug {options['partnership']!r}")
        actor = None
        if options["by"]:
            actor = User.objects.filter(email__iexact=options["by"]).first()
            if actor is None:
                raise CommandError(f"There is no member of staff with the e-mail address {options['by']!r}")
        try:
            version = instrument_version_load_file(
                path=options["file"], partnership=partnership, actor=actor, make_current=not options["not_current"]
            )
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        owner = f"for {partnership.name}" if partnership else "for every partnership"
        state = "new assessments use it" if version.is_current else "not made current"
        self.stdout.write(
            self.style.SUCCESS(
                f"Loaded {version.instrument.short_name} version {version.version!r} {owner}: "
                f"{version.items.count()} items in {version.groups.count()} groups; {state}."
            )
        )
