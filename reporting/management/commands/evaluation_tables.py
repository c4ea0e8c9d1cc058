"""``python manage.py evaluation_tables --partnership SLUG --as-of YYYY-MM-DD [--from … --to …]
[--start decision|referral] --format json|csv``

The evaluation tables of ../shared/specs/evaluation-tables.md on standard output: the
contract's JSON, or the same figures one a line as CSV (docs/evaluation-tables.md).
"""

from __future__ import annotations

import csv
import json
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from agencies.models import Partnership
from masip.replica import use_replica
from reporting.evaluation import (
    CSV_HEADER,
    START_DECISION,
    STARTS,
    EvaluationError,
    evaluation_tables,
    parse_period,
    tables_as_rows,
)


class Command(BaseCommand):
    help = "Print a partnership's evaluation tables as of a date, as JSON or CSV."
    # A read-only report that other tools call: the system checks (which import every URL
    # module) would double its running time and check nothing it depends on.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--partnership", required=True, help="The partnership's slug")
        parser.add_argument("--as-of", required=True, dest="as_of", help="YYYY-MM-DD")
        parser.add_argument("--from", dest="date_from", default=None, help="Referrals received on or after")
        parser.add_argument("--to", dest="date_to", default=None, help="Referrals received on or before")
        parser.add_argument(
            "--start",
            choices=STARTS,
            default=START_DECISION,
            help="Measure monitoring from the decision (default) or from the referral's received date",
        )
        parser.add_argument("--format", choices=("json", "csv"), default="json")

    def handle(self, *args: Any, **options: Any) -> None:
        partnership = Partnership.objects.filter(slug=options["partnership"]).first()
        if partnership is None:
            raise CommandError(f"No partnership {options['partnership']}")
        try:
            period = parse_period(
                as_of=options["as_of"],
                date_from=options["date_from"],
                date_to=options["date_to"],
                today=timezone.localdate(),
                start=options["start"],
            )
        except EvaluationError as exc:
            raise CommandError(f"--{exc.field.replace('_', '-')}: {exc.message}") from None
        started = time.perf_counter()
        with use_replica():  # a read-only report: from the replica when there is one
            tables = evaluation_tables(partnership=partnership, period=period)
        elapsed = time.perf_counter() - started
        if options["format"] == "json":
            self.stdout.write(json.dumps(tables, indent=2))
        else:
            writer = csv.writer(self.stdout, lineterminator="\n")
            writer.writerow(CSV_HEADER)
            writer.writerows(tables_as_rows(tables))
        if options["verbosity"] >= 2:
            self.stderr.write(f"computed in {elapsed * 1000:.0f} ms")
