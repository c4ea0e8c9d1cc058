"""``python manage.py bench_evaluation --partnership SLUG --as-of YYYY-MM-DD [--runs 20] [--command-runs 5]``

Times the evaluation tables (docs/performance.md): in this process, warm, as the API and
the page run them; the database's own execution time of each query (EXPLAIN ANALYZE); and
``manage.py evaluation_tables`` as a new process, start to finish. Prints the load average
before and after, since a shared machine's other work shows in every figure.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from agencies.models import Partnership, User
from masip.bench import percentile
from reporting import evaluation as ev


class Command(BaseCommand):
    help = "Time the evaluation tables of a partnership (in process, in the database, as a command)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--partnership", required=True)
        parser.add_argument("--as-of", required=True, dest="as_of")
        parser.add_argument("--runs", type=int, default=20)
        parser.add_argument("--command-runs", type=int, default=5)

    def _load(self) -> str:
        return " ".join(f"{v:.2f}" for v in os.getloadavg())

    def handle(self, *args: Any, **options: Any) -> None:
        partnership = Partnership.objects.filter(slug=options["partnership"]).first()
        if partnership is None:
            raise CommandError(f"No partnership {options['partnership']}")
        period = ev.parse_period(as_of=options["as_of"], date_from=None, date_to=None, today=ev.dt.date.today())
        referrals = ev.referrals_in_scope(partnership_id=partnership.pk, period=period).count()
        cases = ev.accepted_in_scope(partnership_id=partnership.pk, period=period).count()
        self.stdout.write(f"partnership {partnership.slug}: {referrals:,} referrals, {cases:,} accepted cases")
        self.stdout.write(f"load average before: {self._load()}")
        ev.evaluation_tables(partnership=partnership, period=period)  # warm: the plans, the cache
        totals: list[float] = []
        cpu: list[float] = []
        sql: list[float] = []
        for _ in range(options["runs"]):
            started, started_cpu = time.perf_counter(), time.process_time()
            with CaptureQueriesContext(connection) as queries:
                ev.evaluation_tables(partnership=partnership, period=period)
            totals.append((time.perf_counter() - started) * 1000)
            cpu.append((time.process_time() - started_cpu) * 1000)
            sql.append(sum(float(q["time"]) for q in queries.captured_queries) * 1000)
        self.stdout.write(
            f"evaluation_tables in process: p50={statistics.median(totals):.0f} p95={percentile(totals, 95):.0f} "
            f"max={max(totals):.0f} ms; of which SQL p50={statistics.median(sql):.0f} ms; "
            f"Python CPU p50={statistics.median(cpu):.0f} ms; {len(queries.captured_queries)} statements"
        )
        self._explain(partnership, period)
        self._command(options)
        if User.objects.filter(agency__partnership=partnership, role__in=("programme_manager", "partnership_admin")):
            self._api(partnership, options)
        self.stdout.write(f"load average after: {self._load()}")

    def _explain(self, partnership: Partnership, period: ev.Period) -> None:
        with CaptureQueriesContext(connection) as queries:
            ev.evaluation_tables(partnership=partnership, period=period)
        for query in queries.captured_queries:
            sql = query["sql"]
            if not sql.startswith("SELECT") or "set_config" in sql:
                continue
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute("SET LOCAL jit = off")
                cursor.execute(f"EXPLAIN (ANALYZE, FORMAT JSON) {sql}")
                plan = cursor.fetchone()[0][0]
            label = " ".join(sql.split()[:4])[:60]
            self.stdout.write(f"  database: {plan['Execution Time']:.0f} ms  {label} ...")

    def _command(self, options: dict[str, Any]) -> None:
        manage = Path(settings.BASE_DIR) / "manage.py"
        walls = []
        for _ in range(options["command_runs"]):
            started = time.perf_counter()
            subprocess.run(  # noqa: S603 (our own command, fixed arguments)
                [sys.executable, str(manage), "evaluation_tables", "--partnership", options["partnership"],
                 "--as-of", options["as_of"], "--format", "json"],
                check=True, stdout=subprocess.DEVNULL, env=os.environ.copy(),
            )  # fmt: skip
            walls.append((time.perf_counter() - started) * 1000)
        if walls:
            self.stdout.write(
                f"manage.py evaluation_tables, a new process each time: p50={statistics.median(walls):.0f} "
                f"max={max(walls):.0f} ms (Python start and Django set-up included)"
            )

    def _api(self, partnership: Partnership, options: dict[str, Any]) -> None:
        from django.test import Client

        user = User.objects.filter(
            agency__partnership=partnership, role__in=("programme_manager", "partnership_admin"), is_active=True
        ).first()
        if user is None:
            return
        client = Client()
        client.force_login(user)
        url = f"/api/v1/partnerships/{partnership.slug}/evaluation/?as_of={options['as_of']}"
        client.get(url)
        walls = []
        for _ in range(min(options["runs"], 10)):
            started = time.perf_counter()
            response = client.get(url)
            walls.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200
        self.stdout.write(
            f"GET {url}: p50={statistics.median(walls):.0f} max={max(walls):.0f} ms (as {user.get_role_display()})"
        )
