"""python manage.py bench_access_log: the access log at national size, generated and timed.

``--generate N`` adds N rows, spread evenly over the ``--days`` whole days before the
current month (a million a day is the national estimate), made inside PostgreSQL by
``INSERT … SELECT`` over ``generate_series``, never a row at a time from Python. Each
month is loaded into a table of its own and then *attached* as the month's partition:
PostgreSQL checks the month's bound against a CHECK constraint instead of scanning, and
builds the partition's indexes in one sorted pass each when it attaches it (the way an
operator would load an archive back). The rows are looks by the ``seed_scale`` staff at
their own partnership's cases: a case page (one id) or a list page (ten ids).

Then, on whatever the log holds:

- ``admin_page_person_month``: a partnership admin's access-log page filtered to one
  member of staff and one calendar month (``access_log_page_for_admin``, as the page calls
  it), and ``admin_page_person_month_older``: the next page by its cursor;
  ``admin_page_record_month``: filtered to one case id and one month (the GIN index);
- ``write``: one ``access_record`` call, the row every page that shows personal data adds.

One line each: ``NAME p50=… p95=… p99=… ms``, with the load average before and after.
"""

from __future__ import annotations

import datetime as dt
import math
import os
import random
import time
from collections.abc import Callable
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, transaction
from django.utils import timezone

from agencies.models import Role, User
from agencies.selectors import access_log_page_for_admin
from audit import partitions
from audit.models import AccessAction
from audit.services import access_record
from cases.management.commands.seed_scale import SEED_EMAIL_DOMAIN

# The month's rows are generated into this table, then it becomes the partition.
STAGING = "audit_accesslog_load"


def _line(name: str, times_ms: list[float]) -> str:
    ordered = sorted(times_ms)

    def pct(p: float) -> float:
        return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]

    return f"{name} p50={pct(50):.2f} p95={pct(95):.2f} p99={pct(99):.2f} ms n={len(ordered)}"


def _load() -> str:
    return ", ".join(f"{value:.2f}" for value in os.getloadavg())


class Command(BaseCommand):
    help = (
        "Generate access-log rows by the seed_scale staff (--generate N over --days days before this "
        "month) and time an admin's filtered access-log page and one access_record write. Run on a "
        "database of its own, with DEBUG=false."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--generate", type=int, default=0, help="Rows to add before timing (default none)")
        parser.add_argument("--days", type=int, default=100, help="Days the generated rows cover (default 100)")
        parser.add_argument("--requests", type=int, default=200, help="Timed calls per measurement (default 200)")
        parser.add_argument(
            "--resume",
            action="store_true",
            help="With --generate: skip the months a stopped run already loaded (same --generate and --days)",
        )
        parser.add_argument("--seed", type=int, default=1)

    def handle(self, *args: Any, **options: Any) -> None:
        self.rng = random.Random(options["seed"])
        staff = list(
            User.objects.filter(email__endswith=f".{SEED_EMAIL_DOMAIN}", agency__isnull=False)
            .select_related("agency")
            .order_by("pk")
        )
        if not staff:
            raise CommandError("No seed staff: run seed_scale first.")
        requests = int(options["requests"])
        if options["generate"]:
            self._generate(
                int(options["generate"]),
                int(options["days"]),
                lambda: self._measure(staff, requests),
                resume=bool(options["resume"]),
            )
        else:
            self._measure(staff, requests)

    # --- generation ----------------------------------------------------------------------------------------------

    def _generate(self, rows: int, days: int, measure: Callable[[], None], *, resume: bool = False) -> None:
        """Newest month first, timing after each: a run stopped early has measured what it loaded."""
        if rows < 1 or days < 1:
            raise CommandError("--generate and --days must be at least 1")
        this_month = timezone.now().astimezone(dt.UTC).date().replace(day=1)
        first_day = this_month - dt.timedelta(days=days)
        per_day = rows // days
        started = time.monotonic()
        self.stdout.write(f"# generating {per_day * days:,} rows over {days} days from {first_day}; load {_load()}")
        months = [m for m in partitions.months_from(first_day.replace(day=1), days // 28 + 2) if m < this_month]
        for month in reversed(months):
            nxt = partitions.months_from(month, 2)[1]
            start, end = max(month, first_day), min(nxt, this_month)
            if resume and self._month_loaded(month):
                # A month is loaded and attached in one transaction: there or not at all.
                self.stdout.write(f"# {month:%Y-%m} was loaded by an earlier run: skipped")
                continue
            self._load_month(month, nxt, start, end, per_day)
            with connection.cursor() as cursor:
                cursor.execute(f"ANALYZE audit_accesslog_y{month:%Y}m{month:%m}")
                cursor.execute(
                    "SELECT pg_size_pretty(sum(pg_total_relation_size(inhrelid))) FROM pg_inherits"
                    " WHERE inhparent = 'audit_accesslog'::regclass"
                )
                (size,) = cursor.fetchone()
            self.stdout.write(
                f"[{time.monotonic() - started:8.1f} s] {month:%Y-%m} loaded and attached; the log's partitions"
                f" take {size}; load {_load()}"
            )
            measure()

    def _month_loaded(self, month: dt.date) -> bool:
        with connection.cursor() as cursor:
            cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [f"audit_accesslog_y{month:%Y}m{month:%m}"])
            return bool(cursor.fetchone()[0])

    def _load_month(self, month: dt.date, nxt: dt.date, start: dt.date, end: dt.date, per_day: int) -> None:
        name = f"audit_accesslog_y{month:%Y}m{month:%m}"
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL maintenance_work_mem = '1GB'")
            cursor.execute("SET LOCAL TimeZone = 'UTC'")
            cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [name])
            if cursor.fetchone()[0]:
                raise CommandError(f"{name} exists already: generate into a database of its own")
            cursor.execute(f"DROP TABLE IF EXISTS {STAGING}")
            cursor.execute(f"CREATE TABLE {STAGING} (LIKE audit_accesslog INCLUDING DEFAULTS)")
            cursor.execute(f"ALTER TABLE {STAGING} SET (autovacuum_enabled = false)")
            # Ids from the log's own sequence, reserved in one step for the whole month.
            total = per_day * (end - start).days
            cursor.execute(
                "SELECT setval(pg_get_serial_sequence('audit_accesslog', 'id'),"
                " nextval(pg_get_serial_sequence('audit_accesslog', 'id')) + %s - 1)",
                [total],
            )
            (last_id,) = cursor.fetchone()
            cursor.execute(
                f"""
                WITH staff AS (
                    SELECT array_agg(u.id ORDER BY u.id) AS users,
                           array_agg(u.agency_id ORDER BY u.id) AS agencies,
                           array_agg(a.partnership_id ORDER BY u.id) AS partnerships,
                           count(*) AS n
                    FROM agencies_user u JOIN agencies_agency a ON a.id = u.agency_id
                    WHERE u.email LIKE %s
                ),
                cases AS (SELECT min(id) AS lo, max(id) AS hi FROM cases_case)
                INSERT INTO {STAGING}
                    (id, at, action, record_type, record_ids, purpose, break_glass, agency_id, partnership_id, user_id)
                SELECT %s - %s + g,
                       %s::timestamptz + (g - 1) * (%s::float8 * 86400 / %s) * interval '1 second',
                       CASE WHEN r < 0.7 THEN 'view' WHEN r < 0.97 THEN 'search' ELSE 'export' END,
                       'cases.case',
                       CASE WHEN r < 0.7 THEN ARRAY[(cases.lo + floor(random() * (cases.hi - cases.lo)))::text]
                            -- "+ g %% 1" (zero) ties the list to the row, so that it is drawn anew for each
                            ELSE ARRAY(SELECT (cases.lo + floor(random() * (cases.hi - cases.lo)))::text
                                       FROM generate_series(1, 10 + g %% 1))
                       END,
                       CASE WHEN r < 0.7 THEN '' ELSE 'caseload' END,
                       r > 0.9995,
                       staff.agencies[k], staff.partnerships[k], staff.users[k]
                FROM staff, cases,
                     LATERAL (SELECT g, random() AS r, 1 + floor(random() * staff.n)::int AS k
                              FROM generate_series(1, %s) AS g) AS pick
                """,
                [
                    f"%.{SEED_EMAIL_DOMAIN}",
                    last_id,
                    total,
                    start,
                    (end - start).days,
                    total,
                    total,
                ],
            )
            lower = dt.datetime.combine(month, dt.time.min, tzinfo=dt.UTC)
            upper = dt.datetime.combine(nxt, dt.time.min, tzinfo=dt.UTC)
            cursor.execute(
                f"ALTER TABLE {STAGING} ADD CONSTRAINT {STAGING}_bound CHECK (at >= %s AND at < %s)", [lower, upper]
            )
            cursor.execute(f"ALTER TABLE {STAGING} RENAME TO {name}")
            cursor.execute(
                f"ALTER TABLE audit_accesslog ATTACH PARTITION {name} FOR VALUES FROM (%s) TO (%s)",
                [
                    lower,
                    upper,
                ],
            )
            cursor.execute(f"ALTER TABLE {name} DROP CONSTRAINT {STAGING}_bound")
            cursor.execute(f"ALTER TABLE {name} RESET (autovacuum_enabled)")
            cursor.execute(
                f"CREATE TRIGGER {partitions.TRUNCATE_TRIGGER} BEFORE TRUNCATE ON {name}"
                f" FOR EACH STATEMENT EXECUTE FUNCTION {partitions.TRUNCATE_TRIGGER}()"
            )

    # --- measurement ---------------------------------------------------------------------------------------------

    def _measure(self, staff: list[User], requests: int) -> None:
        admins = [user for user in staff if user.role == Role.PARTNERSHIP_ADMIN]
        by_partnership: dict[int, list[User]] = {}
        for user in staff:
            assert user.agency is not None
            by_partnership.setdefault(user.agency.partnership_id, []).append(user)
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT sum(c.reltuples)::bigint FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid"
                " WHERE i.inhparent = 'audit_accesslog'::regclass"
            )
            (estimate,) = cursor.fetchone()
            # The months with rows: one indexed probe per partition.
            months = []
            for name in partitions.partitions(cursor=cursor):
                cursor.execute(f"SELECT min(at) FROM {connection.ops.quote_name(name)}")
                (first,) = cursor.fetchone()
                if first is not None:
                    months.append(timezone.localtime(first).date().replace(day=1))
        if not months:
            months = [timezone.localdate().replace(day=1)]
        self.stdout.write(
            f"# access log: about {estimate or 0:,} rows (planner's estimate), months {months[0]:%Y-%m} to"
            f" {months[-1]:%Y-%m}; {len(admins)} partnership admins; load average before: {_load()}"
        )

        def person_month(older: bool) -> Callable[[], object]:
            def call() -> object:
                admin = self.rng.choice(admins)
                assert admin.agency is not None
                person = self.rng.choice(by_partnership[admin.agency.partnership_id])
                month = self.rng.choice(months)
                last = partitions.months_from(month, 2)[1] - dt.timedelta(days=1)
                page = access_log_page_for_admin(actor=admin, user_id=person.pk, date_from=month, date_to=last)
                if older and page.older:
                    page = access_log_page_for_admin(
                        actor=admin, before=page.older, user_id=person.pk, date_from=month, date_to=last
                    )
                return page

            return call

        def record_month() -> object:
            admin = self.rng.choice(admins)
            assert admin.agency is not None
            month = self.rng.choice(months)
            last = partitions.months_from(month, 2)[1] - dt.timedelta(days=1)
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT record_ids[1] FROM audit_accesslog WHERE partnership_id = %s AND at >= %s"
                    " ORDER BY at LIMIT 1",
                    [admin.agency.partnership_id, month],
                )
                found = cursor.fetchone()
            record_id = found[0] if found else "1"
            started = time.perf_counter()
            access_log_page_for_admin(actor=admin, record_id=record_id, date_from=month, date_to=last)
            return (time.perf_counter() - started) * 1000

        def write() -> object:
            user = self.rng.choice(staff)
            return access_record(
                user=user, action=AccessAction.VIEW, record_type="cases.case", record_ids=[self.rng.randint(1, 10**6)]
            )

        for name, call in (
            ("admin_page_person_month", person_month(older=False)),
            ("admin_page_person_month_older", person_month(older=True)),
            ("write", write),
        ):
            for _ in range(5):
                call()
            times = []
            for _ in range(requests):
                started = time.perf_counter()
                call()
                times.append((time.perf_counter() - started) * 1000)
            self.stdout.write(_line(name, times))
        for _ in range(5):
            record_month()
        self.stdout.write(_line("admin_page_record_month", [float(record_month()) for _ in range(requests)]))  # type: ignore[arg-type]
        self.stdout.write(f"# load average after: {_load()}")
