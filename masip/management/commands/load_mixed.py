"""python manage.py load_mixed: the service under a mixed load, through gunicorn, as users meet it.

On a database built by ``seed_scale``: seed staff of four roles (police triage officers,
advocates, probation practitioners, clinicians) of several partnerships are signed in (a
session each, made here as a sign-in makes it), and locust (headless) plays them for
``--duration`` seconds at each ``--users`` level against gunicorn started with the
production settings, as the Dockerfile starts it. One line per level:

    mixed_load users=U rps=… p50=… p95=… p99=… ms errors=…

then the slowest kinds of request at the best level. Only seed staff are signed in; the
command refuses a database without seed partnerships.

Two production settings are changed for the run, both about the client, not the work a
request does: MFA (a second factor at sign-in only; the sessions are made signed in) and
the HTTPS redirect (the load runs over plain HTTP with the proxy's X-Forwarded-Proto).
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
import random
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.http import Http404
from django.test.utils import override_settings
from django.utils import timezone

from advocacy.selectors import contact_form_for_user
from agencies.models import Role
from cases.management.commands.bench_caseload import Command as BenchCaseload

ROOT = Path(__file__).resolve().parents[3]
LOCUSTFILE = ROOT / "masip" / "loadtest" / "locustfile.py"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _load() -> str:
    return ", ".join(f"{value:.2f}" for value in os.getloadavg())


class Command(BaseCommand):
    help = (
        "Run locust (headless) with seed staff of four roles against gunicorn on the production settings, "
        "for --duration seconds at each --users level; prints mixed_load users=U rps=… p50=… p95=… p99=… "
        "ms errors=… per level. Needs a seed_scale database."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--users", default="20,40,80", help="Concurrency levels, comma-separated")
        parser.add_argument("--duration", type=int, default=60, help="Seconds per level (default 60)")
        parser.add_argument("--workers", type=int, default=4, help="gunicorn worker processes (default 4)")
        parser.add_argument("--partnerships", type=int, default=4, help="Seed partnerships the staff come from")
        parser.add_argument("--seed", type=int, default=1)

    def handle(self, *args: Any, **options: Any) -> None:
        levels = [int(level) for level in str(options["users"]).split(",") if level.strip()]
        if not levels or min(levels) < 1:
            raise CommandError("--users takes positive numbers, e.g. 20,40,80")
        secret_key = secrets.token_urlsafe(64)
        with tempfile.TemporaryDirectory(prefix="masip-load-") as tmp:
            plan_path = Path(tmp) / "plan.json"
            plan = self._plan(int(options["partnerships"]), int(options["seed"]), secret_key)
            plan_path.write_text(json.dumps(plan))
            port = _free_port()
            server = self._gunicorn(port, int(options["workers"]), secret_key, Path(tmp))
            try:
                self.stdout.write(
                    f"# gunicorn --workers {options['workers']} on the production settings; "
                    f"{len(plan['users'])} staff; load average before: {_load()}"
                )
                results = []
                for users in levels:
                    results.append(self._run(users, int(options["duration"]), port, plan_path, Path(tmp)))
                    self.stdout.write(results[-1]["line"])
                    self.stdout.write(f"# load average: {_load()}")
                best = max(results, key=lambda r: r["rps"] if r["errors"] == 0 else -1)
                self.stdout.write(f"# slowest requests at users={best['users']} (p99 first):")
                for row in best["by_name"][:6]:
                    self.stdout.write(f"#   {row}")
            finally:
                server.send_signal(signal.SIGTERM)
                try:
                    server.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    server.kill()

    # --- the staff and their sessions ---------------------------------------------------------------------------

    def _plan(self, partnerships: int, seed: int, secret_key: str) -> dict[str, Any]:
        bench = BenchCaseload()
        bench.rng = random.Random(seed)
        bench.stdout = self.stdout
        staff = bench._users(partnerships)
        now = timezone.localtime()
        users = []
        # Sessions are signed with the server's key and hold the hash of the user's password
        # made with it: made under the key gunicorn is given.
        with override_settings(SECRET_KEY=secret_key):
            for member in staff:
                user = member.user
                contacts = []
                if user.role == Role.ADVOCATE:
                    for case_id in member.case_ids:
                        try:
                            form = contact_form_for_user(user=user, case_id=case_id)
                        except Http404:
                            continue
                        # A victim whose agreed ways this advocate may see: for any other, every
                        # way needs a reason, which a day's routine contact does not give.
                        if form.victims and form.victims[0].location_visible:
                            victim = form.victims[0]
                            # As an advocate does: by a way she agreed is safe (the form refuses
                            # any other without a reason); any way when none is recorded.
                            agreed = victim.safe_contact.channels if victim.safe_contact else []
                            contacts.append(
                                [
                                    case_id,
                                    victim.person_id,
                                    now.day,
                                    now.month,
                                    now.year,
                                    f"{now:%H:%M}",
                                    agreed[0] if agreed else "phone",
                                ]
                            )
                session = SessionStore()
                session[SESSION_KEY] = str(user.pk)
                session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
                session[HASH_SESSION_KEY] = user.get_session_auth_hash()
                session.create()
                users.append(
                    {
                        "email": user.email,
                        "session": session.session_key,
                        "cases": member.case_ids,
                        "family_names": member.family_names,
                        "contacts": contacts,
                    }
                )
        if not any(user["contacts"] for user in users):
            raise CommandError("No seed advocate may log a contact on the sampled cases")
        return {
            "users": users,
            "session_cookie": settings.SESSION_COOKIE_NAME,
            "csrf_cookie": settings.CSRF_COOKIE_NAME,
            "csrf_secret": secrets.token_hex(16),  # 32 characters: a CSRF secret as Django makes them
        }

    # --- gunicorn and locust ------------------------------------------------------------------------------------

    def _env(self, secret_key: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
        env.update(
            DJANGO_SETTINGS_MODULE="masip.settings.production",
            SECRET_KEY=secret_key,
            ALLOWED_HOSTS="127.0.0.1",
            SECURE_SSL_REDIRECT="false",
            MASIP_REQUIRE_MFA="false",
            DEBUG="false",
        )
        return env

    def _gunicorn(self, port: int, workers: int, secret_key: str, tmp: Path) -> subprocess.Popen[bytes]:
        log = (tmp / "gunicorn.log").open("wb")
        server = subprocess.Popen(
            [
                str(Path(sys.executable).with_name("gunicorn")),
                "masip.wsgi:application",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                str(workers),
                "--error-logfile",
                "-",
            ],
            cwd=ROOT,
            env=self._env(secret_key),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if server.poll() is not None:
                raise CommandError(f"gunicorn exited: {(tmp / 'gunicorn.log').read_text()[-2000:]}")
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5)
                break
            except urllib.error.HTTPError:
                break  # it answers (503 without a Celery worker is still an answer)
            except OSError:
                time.sleep(0.5)
        else:
            server.kill()
            raise CommandError("gunicorn did not answer within two minutes")
        return server

    def _run(self, users: int, duration: int, port: int, plan: Path, tmp: Path) -> dict[str, Any]:
        prefix = tmp / f"u{users}"
        env = {**os.environ, "MASIP_LOAD_PLAN": str(plan)}
        subprocess.run(
            [
                str(Path(sys.executable).with_name("locust")),
                "-f",
                str(LOCUSTFILE),
                "--headless",
                "--users",
                str(users),
                "--spawn-rate",
                str(max(1, users // 5)),
                "--run-time",
                f"{duration}s",
                "--host",
                f"http://127.0.0.1:{port}",
                "--csv",
                str(prefix),
                "--only-summary",
                "--loglevel",
                "WARNING",
                "--exit-code-on-error",
                "0",
            ],
            cwd=ROOT,
            env=env,
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=(tmp / f"locust-u{users}.log").open("wb"),
            timeout=duration + 120,
        )
        with open(f"{prefix}_stats.csv", encoding="utf-8") as stats:
            rows = list(csv.DictReader(stats))
        total = next(row for row in rows if row["Name"] == "Aggregated")
        by_name = sorted((row for row in rows if row["Name"] != "Aggregated"), key=lambda row: -float(row["99%"] or 0))
        rps = float(total["Requests/s"])
        errors = int(total["Failure Count"])
        line = (
            f"mixed_load users={users} rps={rps:.1f} p50={total['50%']} p95={total['95%']} p99={total['99%']} ms"
            f" errors={errors} requests={total['Request Count']}"
        )
        failures = Path(f"{prefix}_failures.csv")
        if errors and failures.exists():
            line += "\n# failures: " + "; ".join(
                f"{row['Name']} {row['Error']} x{row['Occurrences']}" for row in csv.DictReader(failures.open())
            )
        return {
            "users": users,
            "rps": rps,
            "errors": errors,
            "line": line,
            "by_name": [
                f"{row['Name']}: n={row['Request Count']} p50={row['50%']} p95={row['95%']} p99={row['99%']} ms"
                for row in by_name
            ],
            "at": dt.datetime.now(dt.UTC).isoformat(),
        }
