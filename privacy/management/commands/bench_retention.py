"""The nightly retention job over a national-scale dataset: ``manage.py bench_retention --cases N``.

Builds N cases with ``seed_scale`` when the seed partnerships hold fewer, makes exactly 5%
of them fall due (closed long ago) and the rest not (open, or closed last month), gives each
seed partnership one schedule (cases, six years after closing, erase), and times the job the
beat runs each night: ``privacy.services.retention_list_due``, which lists what is due into
each partnership's batch. ``--run-chunks K`` also times K chunks of an approved batch (the
erasure itself, history rows included), which runs after an admin's approval, not nightly.

The dataset's case rows are adjusted with the history triggers off (as seed_scale loads
them): it is a benchmark dataset, not production data. Rerunning deletes the previous run's
batches and schedules first.
"""

from __future__ import annotations

import datetime as dt
import os
import time
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser
from django.db import connection, transaction
from django.utils import timezone

from agencies.models import Partnership, Role, User
from cases.models import Case
from privacy import services
from privacy.models import RetentionBatch, RetentionChunk, RetentionItem, RetentionSchedule

SEED_SLUG_PREFIX = "seed-"
DUE_EVERY = 20  # one case in twenty: 5%


class Command(BaseCommand):
    help = "Time the nightly retention listing over N cases with 5% falling due"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--cases", type=int, required=True)
        parser.add_argument("--run-chunks", type=int, default=0, help="Also time this many chunks of the erasure")

    def handle(self, *args: Any, **options: Any) -> None:
        n = int(options["cases"])
        partnerships = list(Partnership.objects.filter(slug__startswith=SEED_SLUG_PREFIX))
        have = Case.objects.filter(partnership__in=partnerships).count() if partnerships else 0
        if have < n:
            self.stdout.write(f"seeding {n:,} cases (have {have:,})")
            call_command("seed_scale", cases=n, reset=bool(partnerships), verbosity=0)
            partnerships = list(Partnership.objects.filter(slug__startswith=SEED_SLUG_PREFIX))
        ids = [p.pk for p in partnerships]
        today = timezone.localdate()
        self._reset_privacy(ids)
        due = self._make_five_percent_due(ids, today)
        for partnership in partnerships:
            admin = User.objects.filter(agency__partnership=partnership, role=Role.PARTNERSHIP_ADMIN).first()
            if admin is None:
                admin = User.objects.filter(agency__partnership=partnership).first()
                assert admin is not None
                User.objects.filter(pk=admin.pk).update(role=Role.PARTNERSHIP_ADMIN)
                admin.refresh_from_db()
            services.schedule_create(
                actor=admin, record_kind="case", trigger="case_closed", period_months=72, action="erase"
            )
        load_before = os.getloadavg()
        started = time.monotonic()
        listed = services.retention_list_due(today=today)
        seconds = time.monotonic() - started
        load_after = os.getloadavg()
        items = sum(x.items for x in listed)
        self.stdout.write(
            f"bench_retention cases={Case.objects.count():,} due={due:,} listed={items:,} "
            f"batches={len(listed)} seconds={seconds:.1f} load={load_before[0]:.1f}->{load_after[0]:.1f}"
        )
        chunks = int(options["run_chunks"])
        if chunks and listed:
            batch = RetentionBatch.objects.get(pk=listed[0].batch_id)
            admin = User.objects.get(
                pk=RetentionSchedule.objects.filter(partnership_id=batch.partnership_id)[0].created_by_id
            )
            with transaction.atomic():
                RetentionBatch.objects.filter(pk=batch.pk).update(
                    status="approved", decided_by=admin, decided_at=timezone.now()
                )
            pending = list(
                RetentionChunk.objects.filter(batch=batch).order_by("number").values_list("pk", "item_count")[:chunks]
            )
            started = time.monotonic()
            for chunk_id, _ in pending:
                services.retention_chunk_run(chunk_id=chunk_id)
            erase_seconds = time.monotonic() - started
            records = sum(count for _, count in pending)
            self.stdout.write(
                f"bench_retention_erase chunks={len(pending)} cases={records} seconds={erase_seconds:.1f} "
                f"per_case_ms={1000 * erase_seconds / max(records, 1):.0f} load={os.getloadavg()[0]:.1f}"
            )

    def _reset_privacy(self, partnership_ids: list[int]) -> None:
        with transaction.atomic():
            RetentionItem.objects.filter(batch__partnership_id__in=partnership_ids).delete()
            RetentionChunk.objects.filter(batch__partnership_id__in=partnership_ids).delete()
            RetentionBatch.objects.filter(partnership_id__in=partnership_ids).delete()
            RetentionItem.objects.filter(schedule__partnership_id__in=partnership_ids).delete()
            RetentionSchedule.objects.filter(partnership_id__in=partnership_ids).delete()

    def _make_five_percent_due(self, partnership_ids: list[int], today: dt.date) -> int:
        """One case in twenty closed ten years ago; every other closed case closed last month."""
        long_ago = today.replace(year=today.year - 10)
        last_month = today - dt.timedelta(days=30)
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL session_replication_role = replica")
            cursor.execute(
                "UPDATE cases_case SET status = 'closed', closed_on = %s "
                "WHERE partnership_id = ANY(%s) AND id %% %s = 0 "
                "AND (status <> 'closed' OR closed_on IS DISTINCT FROM %s)",
                [long_ago, partnership_ids, DUE_EVERY, long_ago],
            )
            cursor.execute(
                "UPDATE cases_case SET closed_on = %s "
                "WHERE partnership_id = ANY(%s) AND id %% %s <> 0 AND status IN ('closed', 'declined') "
                "AND COALESCE(closed_on, decided_on) < %s",
                [last_month, partnership_ids, DUE_EVERY, last_month],
            )
            cursor.execute(
                "DELETE FROM privacy_legalhold WHERE case_id IN "
                "(SELECT id FROM cases_case WHERE partnership_id = ANY(%s))",
                [partnership_ids],
            )
            cursor.execute(
                "SELECT count(*) FROM cases_case WHERE partnership_id = ANY(%s) AND id %% %s = 0",
                [partnership_ids, DUE_EVERY],
            )
            due = int(cursor.fetchone()[0])
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE cases_case")
        return due
