"""``manage.py load_unit_costs FILE [--partnership SLUG]``: load a catalogue of unit costs.

The whole file is checked first; the first problem is printed with where it is and the
command exits with status 1 having written nothing (docs/costs.md).
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from agencies.models import Partnership
from costs import catalogue
from costs.models import UnitCost


class Command(BaseCommand):
    help = "Load a catalogue of unit costs (JSON or YAML, format masip-unit-costs/1)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file")
        parser.add_argument(
            "--partnership", help="the partnership's slug: its own entries, replacing shipped ones by key"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        partnership_id = None
        if options["partnership"]:
            partnership = Partnership.objects.filter(slug=options["partnership"]).first()
            if partnership is None:
                raise CommandError(f"No partnership '{options['partnership']}'")
            partnership_id = partnership.pk
        try:
            parsed = catalogue.parse(catalogue.read_file(options["file"]))
        except (OSError, ValueError) as exc:
            raise CommandError(f"{options['file']}: {exc}") from None
        with transaction.atomic():
            created, updated = catalogue.load(parsed, unit_cost_model=UnitCost, partnership_id=partnership_id)
        self.stdout.write(f"{parsed.label}: {created} unit costs added, {updated} updated")
