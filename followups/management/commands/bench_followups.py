"""Benchmark of the follow-up scheduler: N cases in monitoring, schedule_due_followups run twice.

The dataset comes from ``seed_scale`` (the same generator as the caseload benchmark); its
cases are then put in monitoring, accepted on a date in the last 15 months, so every
checkpoint (3, 6, 9 and 12 months) is represented and about a fifth of the cases are past
their last one. Their monitoring periods are opened by the product's own set-based sweep.
Then the scheduler runs twice over every batch, exactly as the Celery batch tasks do, in
this process on ``--workers`` connections at once (the batches are disjoint ranges of case
ids, as when that many Celery workers take the batch tasks): the first run creates the
reviews of every checkpoint reached, the second must create nothing. The last line is

    schedule_due_followups first=… s second=… s created=… duplicates=0

Run it on a database of its own: it replaces the seed partnerships' case data. Like
seed_scale, the set-up (not the timed runs) writes benchmark data without history triggers.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, connections, transaction
from django.utils import timezone

from agencies.models import Partnership
from cases.management.commands.seed_scale import SEED_SLUG_PREFIX
from followups import services
from followups.models import FollowUpReview, MonitoringPeriod, ReoffendingCandidate, ReoffendingRecord

# Acceptance dates spread over the last 15 months (days), one per case id.
ACCEPTED_WITHIN_DAYS = 456


class Command(BaseCommand):
    help = (
        "Build --cases N cases in monitoring with seed_scale, open their monitoring periods, run "
        "schedule_due_followups twice and print its timings, the reviews created and the duplicates found. "
        "Replaces the seed partnerships' case data: use a database of its own."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--cases", type=int, required=True, help="How many cases in monitoring")
        parser.add_argument("--partnerships", type=int, default=20, help="How many seed partnerships (default 20)")
        parser.add_argument("--seed", type=int, default=1, help="Random seed of seed_scale")
        parser.add_argument("--batch-size", type=int, default=None, help="Case ids per batch (default: the setting)")
        parser.add_argument("--workers", type=int, default=2, help="Batches run at once (default 2, the cores here)")
        parser.add_argument(
            "--reuse",
            action="store_true",
            help="Keep the seeded cases in monitoring from a previous run: delete only their reviews and "
            "next-due dates, then measure again (the set-up is skipped)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        n = int(options["cases"])
        if n < 1:
            raise CommandError("--cases must be at least 1")
        started = time.monotonic()
        self.verbosity = int(options["verbosity"])
        if self.verbosity < 2:
            # One INFO line per batch and run is noise here; -v 2 shows them.
            logging.getLogger(services.__name__).setLevel(logging.WARNING)
        today = timezone.localdate()
        batch_size = options["batch_size"]
        if options["reuse"]:
            self._forget_reviews()
        else:
            self._build(n, options, batch_size=batch_size, today=today, started=started)
        self._measure(today=today, batch_size=batch_size, workers=max(1, int(options["workers"])))

    def _build(
        self, n: int, options: dict[str, Any], *, batch_size: int | None, today: dt.date, started: float
    ) -> None:
        self._forget_followups()
        call_command(
            "seed_scale",
            cases=n,
            partnerships=int(options["partnerships"]),
            seed=int(options["seed"]),
            reset=Partnership.objects.filter(slug__startswith=SEED_SLUG_PREFIX).exists(),
            no_vacuum=True,
            verbosity=max(0, self.verbosity - 1),
            stdout=self.stdout,
        )
        self._say(f"seeded {n:,} cases in {time.monotonic() - started:.1f} s")
        in_monitoring = self._put_in_monitoring()
        self._say(f"{in_monitoring:,} cases put in monitoring")
        tick = time.monotonic()
        opened = 0
        for first, last in services.followups_schedule_ranges(batch_size=batch_size):
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute("SET LOCAL session_replication_role = replica")
                opened += services.monitoring_periods_open_batch(first_case_id=first, last_case_id=last, today=today)
        self._say(f"{opened:,} monitoring periods opened in {time.monotonic() - tick:.1f} s")

    def _measure(self, *, today: dt.date, batch_size: int | None, workers: int) -> None:
        with connection.cursor() as cursor:
            cursor.execute(
                f"VACUUM (ANALYZE) {MonitoringPeriod._meta.db_table}, {FollowUpReview._meta.db_table}, cases_case"
            )
        before = FollowUpReview.objects.count()
        tick = time.monotonic()
        first_run = self._schedule(today=today, batch_size=batch_size, workers=workers)
        first_seconds = time.monotonic() - tick
        self._say(
            f"first run: {first_run.reviews_created:,} reviews, {first_run.cases_due_changed:,} next-due dates moved"
        )
        tick = time.monotonic()
        second_run = self._schedule(today=today, batch_size=batch_size, workers=workers)
        second_seconds = time.monotonic() - tick
        self._say(f"second run: {second_run.reviews_created:,} reviews")
        created = FollowUpReview.objects.count() - before
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT count(*) FROM (SELECT 1 FROM {FollowUpReview._meta.db_table} "
                "GROUP BY case_id, period_id, checkpoint_months HAVING count(*) > 1) d"
            )
            duplicates = int(cursor.fetchone()[0])
        if second_run.reviews_created:
            self.stderr.write(f"the second run created {second_run.reviews_created} reviews")
        self.stdout.write(
            f"schedule_due_followups first={first_seconds:.1f} s second={second_seconds:.1f} s "
            f"created={created} duplicates={duplicates}"
        )

    def _schedule(self, *, today: dt.date, batch_size: int | None, workers: int) -> services.BatchResult:
        """Every batch once, ``workers`` at a time, each on its own connection and transaction."""
        ranges = services.followups_schedule_ranges(batch_size=batch_size)

        def run(bounds: tuple[int, int]) -> services.BatchResult:
            try:
                return services.followups_schedule_batch(first_case_id=bounds[0], last_case_id=bounds[1], today=today)
            finally:
                connections.close_all()

        with ThreadPoolExecutor(max_workers=workers) as pool:
            results = list(pool.map(run, ranges))
        return services.BatchResult(
            periods_opened=sum(r.periods_opened for r in results),
            reviews_created=sum(r.reviews_created for r in results),
            cases_due_changed=sum(r.cases_due_changed for r in results),
        )

    def _say(self, message: str) -> None:
        if self.verbosity:
            self.stdout.write(message)
            self.stdout.flush()

    def _forget_followups(self) -> None:
        """seed_scale --reset refuses while other tables point at its cases: clear ours first."""
        seed = Partnership.objects.filter(slug__startswith=SEED_SLUG_PREFIX).values("pk")
        with transaction.atomic():
            ReoffendingRecord.objects.filter(case__partnership__in=seed).delete()
            ReoffendingCandidate.objects.filter(case__partnership__in=seed).delete()
            with connection.cursor() as cursor:
                # Benchmark data only: no history of its deletion, as seed_scale --reset.
                cursor.execute("SET LOCAL session_replication_role = replica")
                # Set-based: a million reviews are not deleted one collector query at a time.
                cursor.execute(
                    f"DELETE FROM {FollowUpReview._meta.db_table} r USING cases_case c "
                    "WHERE c.id = r.case_id AND c.partnership_id IN "
                    "(SELECT id FROM agencies_partnership WHERE slug LIKE %s)",
                    [f"{SEED_SLUG_PREFIX}%"],
                )
                cursor.execute(
                    f"DELETE FROM {MonitoringPeriod._meta.db_table} p USING cases_case c "
                    "WHERE c.id = p.case_id AND c.partnership_id IN "
                    "(SELECT id FROM agencies_partnership WHERE slug LIKE %s)",
                    [f"{SEED_SLUG_PREFIX}%"],
                )

    def _forget_reviews(self) -> None:
        """--reuse: back to cases in monitoring with no reviews and no next-due date (the worst case)."""
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL session_replication_role = replica")
            seed = "(SELECT id FROM agencies_partnership WHERE slug LIKE %s)"
            cursor.execute(
                f"DELETE FROM {ReoffendingRecord._meta.db_table} x USING cases_case c "
                f"WHERE c.id = x.case_id AND c.partnership_id IN {seed}",
                [f"{SEED_SLUG_PREFIX}%"],
            )
            cursor.execute(
                f"DELETE FROM {FollowUpReview._meta.db_table} r USING cases_case c "
                f"WHERE c.id = r.case_id AND c.partnership_id IN {seed}",
                [f"{SEED_SLUG_PREFIX}%"],
            )
            cursor.execute(
                f"UPDATE cases_case SET next_due_on = NULL WHERE partnership_id IN {seed} AND next_due_on IS NOT NULL",
                [f"{SEED_SLUG_PREFIX}%"],
            )
        self._say("reviews and next-due dates of the seeded cases cleared")

    def _put_in_monitoring(self) -> int:
        """Every seed case accepted on a date in the last 15 months and now in monitoring.

        Benchmark data, like seed_scale's: written with the history triggers off.
        """
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL session_replication_role = replica")
            cursor.execute(
                """
                UPDATE cases_case c SET status = 'monitoring', decision = 'accepted', decision_reason = '',
                    decided_on = GREATEST(c.received_on, CURRENT_DATE - ((c.id * 7919) %% %(days)s)::int),
                    closed_on = NULL, discharge_reason = ''
                WHERE c.partnership_id IN (SELECT id FROM agencies_partnership WHERE slug LIKE %(prefix)s)
                """,
                {"days": ACCEPTED_WITHIN_DAYS, "prefix": f"{SEED_SLUG_PREFIX}%"},
            )
            count = int(cursor.rowcount)
        with connection.cursor() as cursor:
            cursor.execute("VACUUM (ANALYZE) cases_case")
        return count
