"""Benchmark of the programme cost figures: one partnership of N cases and M time entries.

The cases come from ``seed_scale`` (one seed partnership); the time entries, rates, FTEs and
monitoring periods are then written set-based (``INSERT ... SELECT`` over
``generate_series``) with ``session_replication_role = replica``, so no history trigger
fires: benchmark data, not production data. Then ``costs.selectors.programme_figures``
(what the page and the API call) runs ``--runs`` times over the financial year and over
the whole span, as a programme manager would ask, and the timings are printed:

    programme_figures year: p50=… p95=… max=… ms statements=…

Run it on a database of its own (it refuses a database whose name does not contain
"bench"), and drop that database afterwards (docs/performance.md).
"""

from __future__ import annotations

import datetime as dt
import math
import os
import time
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, reset_queries, transaction
from django.test.utils import CaptureQueriesContext

from agencies.models import Agency, Partnership, Role, User
from cases.management.commands.seed_scale import SEED_SLUG_PREFIX
from costs import selectors
from costs.models import HourlyRate, RateCard, StaffFte

ROLES = ["triage_officer", "advocate", "clinician", "probation_practitioner", "officer_in_charge", "housing_officer"]
KINDS = ["meeting_attendance", "contact", "session", "risk_assessment", "safeguarding", "referral", "follow_up"]
CATEGORIES = [
    "referral",
    "safeguarding",
    "treatment",
    "initial_risk_assessment",
    "safeguarding",
    "referral",
    "follow_up",
]


def _pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


class Command(BaseCommand):
    help = (
        "Seed one partnership of --cases cases and --entries time entries (set-based, in a database of "
        "its own) and time the programme cost figures. Prints NAME p50=… p95=… max=… ms statements=…."
    )
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--cases", type=int, default=100_000)
        parser.add_argument("--entries", type=int, default=2_000_000)
        parser.add_argument("--runs", type=int, default=10)
        parser.add_argument("--reuse", action="store_true", help="Measure the data a previous run seeded")

    def handle(self, *args: Any, **options: Any) -> None:
        name = connection.settings_dict["NAME"]
        if "bench" not in name or name.startswith("test_"):
            raise CommandError(f"Run this on a benchmark database of its own (a name with 'bench'), not {name!r}")
        if not options["reuse"]:
            self._seed(int(options["cases"]), int(options["entries"]))
        partnership = Partnership.objects.filter(slug__startswith=SEED_SLUG_PREFIX).order_by("pk").first()
        if partnership is None:
            raise CommandError("No seed partnership: run without --reuse first")
        cases = partnership.cases.count()
        entries = connection.cursor()
        entries.execute("SELECT count(*) FROM costs_timeentry WHERE partnership_id = %s", [partnership.pk])
        n_entries = int(entries.fetchone()[0])
        self.stdout.write(f"partnership {partnership.slug}: {cases:,} cases, {n_entries:,} time entries")
        self.stdout.write(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        today = dt.date.today()
        fy_start = dt.date(today.year if today.month >= 4 else today.year - 1, 4, 1)
        periods = {
            "year": (fy_start, today),
            "three years": (today - dt.timedelta(days=3 * 365), today),
        }
        for label, (start, end) in periods.items():
            times: list[float] = []
            statements = 0
            figures = None
            for _ in range(int(options["runs"])):
                reset_queries()
                with CaptureQueriesContext(connection) as queries:
                    tick = time.perf_counter()
                    figures = selectors.programme_figures(partnership_id=partnership.pk, date_from=start, date_to=end)
                    times.append((time.perf_counter() - tick) * 1000)
                statements = len(queries.captured_queries)
            assert figures is not None
            self.stdout.write(
                f"programme_figures {label}: p50={_pct(times, 50):.0f} p95={_pct(times, 95):.0f} "
                f"max={max(times):.0f} ms statements={statements} "
                f"(cost per case £{figures.cost_per_case}, {figures.cases_worked:,} cases worked, "
                f"{figures.outcomes:,} outcomes, caseload per FTE {figures.caseload_per_fte})"
            )
        self.stdout.write(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")

    def _seed(self, cases: int, entries: int) -> None:
        tick = time.monotonic()
        partnership = Partnership.objects.filter(slug__startswith=SEED_SLUG_PREFIX).order_by("pk").first()
        if partnership is not None and partnership.cases.count() == cases:
            # The cases of an earlier run are kept (they take minutes); only the costs data is written again.
            self.stdout.write(f"keeping the {cases:,} seeded cases")
        else:
            call_command(
                "seed_scale",
                cases=cases,
                partnerships=1,
                reset=partnership is not None,
                no_vacuum=True,
                verbosity=0,
                stdout=self.stdout,
            )
            self.stdout.write(f"seeded {cases:,} cases in {time.monotonic() - tick:.1f} s")
        partnership = Partnership.objects.filter(slug__startswith=SEED_SLUG_PREFIX).order_by("pk").first()
        assert partnership is not None
        agencies = list(Agency.objects.filter(partnership=partnership).order_by("pk").values_list("pk", flat=True))
        staff = list(
            partnership.agencies.values_list("staff__pk", flat=True).exclude(staff__role=Role.PROGRAMME_MANAGER)
        )
        staff = [s for s in staff if s is not None]
        tick = time.monotonic()
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL session_replication_role = replica")
            cursor.execute("SET LOCAL jit = off")
            cursor.execute("DELETE FROM costs_timeentry WHERE partnership_id = %s", [partnership.pk])
            cursor.execute(
                "DELETE FROM followups_monitoringperiod "
                "WHERE case_id IN (SELECT id FROM cases_case WHERE partnership_id = %s)",
                [partnership.pk],
            )
            cursor.execute(
                "SELECT array_agg(id ORDER BY id), min(received_on) FROM cases_case WHERE partnership_id = %s",
                [partnership.pk],
            )
            case_ids, first_day = cursor.fetchone()
            # Each entry: a case, a day after the case's referral, a role, an agency (or none
            # for another agency's person), minutes from 10 to 180.
            cursor.execute(
                """
                INSERT INTO costs_timeentry (partnership_id, case_id, activity_kind, activity_id, cost_category,
                    occurred_on,
                    staff_id, agency_id, role, minutes, recorded_by_id, recorded_at)
                SELECT %(p)s, c.id, (%(kinds)s::text[])[1 + g %% 7], NULL, (%(cats)s::text[])[1 + g %% 7],
                       LEAST(c.received_on + (g %% 200)::int, CURRENT_DATE),
                       NULL,
                       CASE WHEN g %% 6 < 4
                            THEN (%(agencies)s::bigint[])[1 + g %% array_length(%(agencies)s::bigint[], 1)] END,
                       (%(roles)s::text[])[1 + g %% 6],
                       10 + (g * 7919) %% 171,
                       (%(staff)s::bigint[])[1 + g %% array_length(%(staff)s::bigint[], 1)],
                       now()
                FROM generate_series(0::bigint, %(n)s - 1) AS g
                JOIN cases_case c
                  ON c.id = (%(cases)s::bigint[])[1 + (g * 104729) %% array_length(%(cases)s::bigint[], 1)]
                """,
                {
                    "p": partnership.pk,
                    "kinds": KINDS,
                    "cats": CATEGORIES,
                    "agencies": agencies,
                    "roles": ROLES,
                    "staff": staff,
                    "cases": case_ids,
                    "n": entries,
                },
            )
            # Monitoring periods from each accepted case's decision (the outcome measure).
            cursor.execute(
                """
                INSERT INTO followups_monitoringperiod (case_id, basis, starts_on, ended_on, end_reason, created_at)
                SELECT id, 'acceptance', decided_on, NULL, '', now() FROM cases_case
                WHERE partnership_id = %s AND decision = 'accepted' AND decided_on IS NOT NULL
                ON CONFLICT DO NOTHING
                """,
                [partnership.pk],
            )
        self.stdout.write(f"{entries:,} time entries and monitoring periods written in {time.monotonic() - tick:.1f} s")
        first_year = first_day.year - 1
        for fy in range(first_year, dt.date.today().year + 1):
            card, _ = RateCard.objects.update_or_create(
                partnership=partnership,
                financial_year=fy,
                defaults={"price_year": fy, "operating_costs": 150_000, "referrals_in_year": 30_000},
            )
            for n, role in enumerate(ROLES):
                HourlyRate.objects.update_or_create(
                    rate_card=card, role=role, defaults={"label": role, "hourly_rate": 20 + 3 * n}
                )
        recorder = User.objects.filter(agency__partnership=partnership).order_by("pk").first()
        assert recorder is not None
        for agency_id in agencies:
            StaffFte.objects.update_or_create(
                agency_id=agency_id,
                starts_on=dt.date(first_year, 4, 1),
                defaults={
                    "partnership": partnership,
                    "ends_on": dt.date.today() + dt.timedelta(days=365),
                    "fte": 3,
                    "recorded_by": recorder,
                },
            )
        tick = time.monotonic()
        with connection.cursor() as cursor:
            cursor.execute("VACUUM (ANALYZE) costs_timeentry, followups_monitoringperiod, cases_case")
        self.stdout.write(f"VACUUM ANALYZE in {time.monotonic() - tick:.1f} s")
