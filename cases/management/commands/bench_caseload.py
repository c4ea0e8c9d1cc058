"""python manage.py bench_caseload: time the caseload and the case page through the real selectors.

Run it on a database built by ``seed_scale``. Users of four agency kinds (a police
triage officer, an advocate, a probation practitioner, a clinician) in several
partnerships of different sizes take turns; each call starts as a request would,
with nothing memoised on the user but the user and agency rows themselves.
"""

from __future__ import annotations

import math
import os
import random
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import Resolver404, resolve

from agencies.models import Partnership, Role, User
from cases import selectors
from cases.management.commands.seed_scale import SEED_EMAIL_DOMAIN, SEED_SLUG_PREFIX
from cases.models import CaseGroupObjectPermission, CaseParty, CrimeReference, PartyRole
from cases.permissions import view_case_permission_id

ROLES = [
    ("police", Role.TRIAGE_OFFICER),
    ("advocacy", Role.ADVOCATE),
    ("probation", Role.PROBATION_PRACTITIONER),
    ("health", Role.CLINICIAN),
]
SAMPLE_CASES = 40


@dataclass
class BenchUser:
    user: User
    kind: str
    partnership: str
    case_ids: list[int] = field(default_factory=list)
    family_names: list[str] = field(default_factory=list)
    crime_refs: list[str] = field(default_factory=list)
    second_page_cursor: str = ""


@dataclass
class Result:
    name: str
    times_ms: list[float] = field(default_factory=list)
    queries: list[int] = field(default_factory=list)

    def line(self) -> str:
        ordered = sorted(self.times_ms)

        def pct(p: float) -> float:
            return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]

        low, high = min(self.queries), max(self.queries)
        queries = str(low) if low == high else f"{low}-{high}"
        return f"{self.name} p50={pct(50):.2f} p95={pct(95):.2f} p99={pct(99):.2f} ms queries={queries}"


def _fresh(user: User) -> User:
    """What a new request sees: the record-class answer is not memoised yet."""
    user.__dict__.pop("_masip_record_classes", None)
    return user


class Command(BaseCommand):
    help = (
        "Time the caseload (first page, status filter, second page by cursor, search by perpetrator "
        "family name and by crime reference) and the case page through the real selectors, for users "
        "of police, advocacy, probation and health in several seed partnerships. Prints one line per "
        "measurement: NAME p50=… p95=… p99=… ms queries=…. Run with DEBUG=false: with DEBUG on, "
        "Django keeps every query's SQL and the timings grow."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--requests", type=int, default=200, help="Timed calls per measurement (default 200)")
        parser.add_argument("--partnerships", type=int, default=4, help="How many seed partnerships to use")
        parser.add_argument("--warmup", type=int, default=3, help="Untimed calls per user before timing")
        parser.add_argument("--by-agency", action="store_true", help="Also print one line per agency kind")
        parser.add_argument("--no-http", action="store_true", help="Skip the test-client request to /cases/")
        parser.add_argument("--seed", type=int, default=1, help="Random seed for the sample of cases and terms")

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.DEBUG:
            self.stderr.write("DEBUG is on: every query is recorded, so timings are pessimistic. Use DEBUG=false.")
        self.rng = random.Random(options["seed"])
        users = self._users(int(options["partnerships"]))
        requests = int(options["requests"])
        if requests < 1:
            raise CommandError("--requests must be at least 1")
        active = selectors.CaseloadFilters(statuses=["active"])

        measurements: list[tuple[str, Callable[[BenchUser, int], object]]] = [
            (
                "caseload_first_page",
                lambda u, i: selectors.case_list_for_user(user=_fresh(u.user), filters=selectors.CaseloadFilters()),
            ),
            ("caseload_status_active", lambda u, i: selectors.case_list_for_user(user=_fresh(u.user), filters=active)),
            (
                "caseload_second_page",
                lambda u, i: selectors.case_list_for_user(
                    user=_fresh(u.user), filters=selectors.CaseloadFilters(), cursor=u.second_page_cursor
                ),
            ),
            (
                "search_perpetrator_family_name",
                lambda u, i: selectors.case_list_for_user(
                    user=_fresh(u.user),
                    filters=selectors.CaseloadFilters(search=u.family_names[i % len(u.family_names)]),
                ),
            ),
            (
                "search_crime_reference",
                lambda u, i: selectors.case_list_for_user(
                    user=_fresh(u.user), filters=selectors.CaseloadFilters(search=u.crime_refs[i % len(u.crime_refs)])
                ),
            ),
            (
                "case_page",
                lambda u, i: selectors.case_detail_for_user(
                    user=_fresh(u.user), case_id=u.case_ids[i % len(u.case_ids)]
                ),
            ),
        ]
        if not options["no_http"]:
            http = self._http_measurement()
            if http is not None:
                measurements.append(http)

        by_agency: dict[str, list[Result]] = {}
        for name, call in measurements:
            calls = requests if not name.startswith("http_") else min(requests, 50)
            overall = Result(name)
            per_kind = {kind: Result(f"{name}[{kind}]") for kind, _role in ROLES}
            for bench_user in users:
                for i in range(int(options["warmup"])):
                    call(bench_user, i)
                with CaptureQueriesContext(connection) as captured:
                    call(bench_user, 0)
                overall.queries.append(len(captured.captured_queries))
                per_kind[bench_user.kind].queries.append(len(captured.captured_queries))
            for i in range(calls):
                bench_user = users[i % len(users)]
                started = time.perf_counter()
                call(bench_user, i // len(users))
                elapsed = (time.perf_counter() - started) * 1000
                overall.times_ms.append(elapsed)
                per_kind[bench_user.kind].times_ms.append(elapsed)
            self.stdout.write(overall.line())
            self.stdout.flush()
            by_agency[name] = [r for r in per_kind.values() if r.times_ms]
        self.stdout.write(f"# load average after: {', '.join(f'{value:.2f}' for value in os.getloadavg())}")
        if options["by_agency"]:
            for results in by_agency.values():
                for result in results:
                    self.stdout.write(result.line())

    # --- who, and what they look for ----------------------------------------------------------------

    def _users(self, how_many: int) -> list[BenchUser]:
        partnerships = sorted(
            Partnership.objects.filter(slug__startswith=SEED_SLUG_PREFIX),
            key=lambda p: -p.cases.count(),
        )
        if not partnerships:
            raise CommandError("No seed partnerships: run `manage.py seed_scale --cases N` first")
        # The largest, the smallest and some between: spread over the sizes.
        if len(partnerships) > how_many:
            step = (len(partnerships) - 1) / max(1, how_many - 1)
            partnerships = [partnerships[round(k * step)] for k in range(how_many)]
        perm_id = view_case_permission_id()
        result = []
        for partnership in partnerships:
            for kind, role in ROLES:
                email = f"{role.value.replace('_', '-')}1@{partnership.slug}.{SEED_EMAIL_DOMAIN}"
                user = User.objects.select_related("agency").filter(email=email).first()
                if user is None or user.agency is None:
                    raise CommandError(f"Seed user {email} is missing: run seed_scale again")
                bench_user = BenchUser(user=user, kind=kind, partnership=partnership.slug)
                shared = CaseGroupObjectPermission.objects.filter(group_id=user.agency.group_id, permission_id=perm_id)
                total = shared.count()
                if total == 0:
                    raise CommandError(f"No cases are shared with {user.agency}")
                # A random sample of the cases this agency works on, found without sorting them all.
                offsets = sorted(self.rng.sample(range(total), min(SAMPLE_CASES, total)))
                ids = list(shared.order_by("content_object_id").values_list("content_object_id", flat=True))
                bench_user.case_ids = [ids[o] for o in offsets]
                self.rng.shuffle(bench_user.case_ids)
                bench_user.family_names = list(
                    CaseParty.objects.filter(
                        case_id__in=bench_user.case_ids, role=PartyRole.PERPETRATOR, is_primary=True
                    ).values_list("person__family_name", flat=True)
                )
                bench_user.crime_refs = list(
                    CrimeReference.objects.filter(referral__case__id__in=bench_user.case_ids).values_list(
                        "reference", flat=True
                    )
                )
                first = selectors.case_list_for_user(user=_fresh(user), filters=selectors.CaseloadFilters())
                bench_user.second_page_cursor = first.next_cursor or ""
                result.append(bench_user)
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_setting('server_version'), (SELECT COUNT(*) FROM cases_case)")
            server_version, total_cases = cursor.fetchone()
        sizes = ", ".join(f"{p.slug} ({p.cases.count():,} cases)" for p in partnerships)
        load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
        self.stdout.write(
            f"# {total_cases:,} cases; {len(result)} users ({', '.join(k for k, _ in ROLES)}) in {sizes}\n"
            f"# PostgreSQL {server_version}, Python {sys.version.split()[0]}, load average before: {load}"
        )
        return result

    def _http_measurement(self) -> tuple[str, Callable[[BenchUser, int], object]] | None:
        try:
            resolve("/cases/")
        except Resolver404:
            self.stderr.write("No /cases/ page yet: the test-client measurement is skipped.")
            return None
        from django.test import Client
        from django.test.utils import override_settings

        clients: dict[int, Client] = {}

        def call(bench_user: BenchUser, i: int) -> object:
            client = clients.get(bench_user.user.pk)
            if client is None:
                client = clients[bench_user.user.pk] = Client()
                client.force_login(bench_user.user)
            with override_settings(ALLOWED_HOSTS=["testserver"]):
                response = client.get("/cases/")
            if response.status_code != 200:
                raise CommandError(f"/cases/ answered {response.status_code} for {bench_user.user.email}")
            return response

        return "http_cases_list", call
