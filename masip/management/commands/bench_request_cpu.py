"""python manage.py bench_request_cpu: what one request costs in CPU, in the web process and in
its database backend, page by page, as signed-in staff of four roles open them.

Requests go through the whole middleware stack in this process (Django's test client), one
after another, so each one's CPU can be read: the web process's own (``time.process_time``)
and its PostgreSQL backend's (``/proc/<pid>/stat``, when the database is on this machine).
Their sum is what a request takes from the machine's cores whatever the concurrency, which
bounds the requests per second a machine can serve: cores × 1,000 ms / CPU ms per request.

    request_cpu role=R page=P n=… web_p50=… web_p95=… db_mean=… ms

(the backend's CPU is counted in clock ticks of 10 ms, too coarse for one request, so it is
read over the whole run of a page and given as a mean).

then, for the load test's mix of the caseload and the case page (``load_mixed``), the mean CPU
per request and the bound it puts on two cores. Run it with the production settings, as
docs/performance.md shows; like ``load_mixed`` it signs the staff in without their second
factor and asks over HTTPS, so the redirect to it does not count.
"""

from __future__ import annotations

import statistics
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.test import Client
from django.test.utils import override_settings

from agencies.models import User
from cases.models import Case
from masip.bench import backend_cpu_seconds, load_average, percentile

# The demo's staff of the load test's four roles.
ROLES = ("triage", "advocate", "probation", "clinician")
# The load test's weights for the pages measured here (load_mixed: caseload 4, case page 4).
MIX = {"caseload": 4, "case page": 4}


class Command(BaseCommand):
    help = "CPU per request (web process and database backend) of the caseload, a case page, home and the inbox."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--requests", type=int, default=60, help="Requests per page and role (default 60)")
        parser.add_argument("--domain", default="demo.masip.test", help="The staff's e-mail domain")

    def handle(self, *args: Any, **options: Any) -> None:
        runs = int(options["requests"])
        if runs < 10:
            raise CommandError("--requests must be at least 10")
        self.stdout.write(f"# load average before: {load_average()}")
        by_page: dict[str, list[float]] = {}
        with override_settings(MASIP_REQUIRE_MFA=False):
            for role in ROLES:
                user = User.objects.filter(email=f"{role}@{options['domain']}").first()
                if user is None:
                    raise CommandError(f"no user {role}@{options['domain']}: run seed_demo first")
                client = Client(HTTP_HOST="localhost")
                client.force_login(user)
                cases = self._cases(client)
                pages = {"home": ["/"], "inbox": ["/notifications/"], "caseload": ["/cases/"], "case page": cases}
                for page, paths in pages.items():
                    web, db_mean = self._measure(client, paths, runs)
                    by_page.setdefault(page, []).extend(w + db_mean for w in web)
                    self.stdout.write(
                        f"request_cpu role={role} page={page.replace(' ', '_')} n={runs} "
                        f"web_p50={statistics.median(web):.1f} web_p95={percentile(web, 95):.1f} "
                        f"db_mean={db_mean:.1f} ms"
                    )
        weight = sum(MIX.values())
        mean = sum(statistics.fmean(by_page[page]) * w for page, w in MIX.items()) / weight
        self.stdout.write(
            f"# caseload and case page at the load test's mix: {mean:.1f} ms of CPU per request (web + db); "
            f"two cores at 100% serve at most {2000 / mean:.0f} requests/s of it"
        )
        inbox = statistics.fmean(by_page["inbox"])
        self.stdout.write(
            f"# the inbox, the lightest signed-in page: {inbox:.1f} ms; two cores: at most {2000 / inbox:.0f}/s"
        )
        self.stdout.write(f"# load average after: {load_average()}")

    def _cases(self, client: Client) -> list[str]:
        """Up to five case pages the user may open (the first cases by id that answer 200)."""
        found = []
        for pk in Case.objects.order_by("pk").values_list("pk", flat=True)[:60]:
            if client.get(f"/cases/{pk}/", secure=True).status_code == 200:
                found.append(f"/cases/{pk}/")
            if len(found) == 5:
                break
        if not found:
            raise CommandError("the user can open no case")
        return found

    def _measure(self, client: Client, paths: list[str], runs: int) -> tuple[list[float], float]:
        for path in paths:  # warm: templates compiled, caches filled, as in a running server
            response = client.get(path, secure=True)
            if response.status_code != 200:
                raise CommandError(f"{path} answered {response.status_code}")
        web: list[float] = []
        db_before = backend_cpu_seconds() * 1000
        for i in range(runs):
            path = paths[i % len(paths)]
            cpu_before = time.process_time()
            client.get(path, secure=True)
            web.append((time.process_time() - cpu_before) * 1000)
        # Less the one query that reads the backend's pid, run twice here: a few microseconds.
        return web, (backend_cpu_seconds() * 1000 - db_before) / runs
