from __future__ import annotations

import importlib
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from agencies.demo import DEMO_PASSWORD, DEMO_USERS, load_demo

# Each app with demo data has <app>/demo.py with load_demo_data() -> number created,
# idempotent; run in dependency order, except that the follow-ups come straight after the
# cases: their monitoring periods start from the demo cases' acceptance, before the other
# apps' demo records add to those cases.
DEMO_APPS = ["cases", "followups", "risk", "triage", "advocacy", "interventions", "reporting"]


class Command(BaseCommand):
    help = "Load the demo partnership, its staff and cases once, then print the demo logins."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--logins-only", action="store_true", help="Only print the demo logins.")
        parser.add_argument(
            "--force-in-production",
            action="store_true",
            help="Load the demo even where MASIP_DEMO_DATA_ALLOWED is off (production settings).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not options["logins_only"] and not settings.MASIP_DEMO_DATA_ALLOWED and not options["force_in_production"]:
            # The demo staff's password is published: on a live service anyone could sign in
            # as a demo partnership admin and enrol their own authenticator.
            raise CommandError(
                "seed_demo refuses to run with these settings: it creates staff accounts with a published "
                "password. Use the development settings, or pass --force-in-production if you really mean it."
            )
        if not options["logins_only"]:
            created = load_demo()
            self.stdout.write("Demo data loaded." if created else "Demo data already present; reusing it.")
            for app in DEMO_APPS:
                try:
                    module = importlib.import_module(f"{app}.demo")
                except ModuleNotFoundError as exc:
                    if exc.name != f"{app}.demo":
                        raise
                    continue
                created_count = module.load_demo_data()
                if created_count:
                    self.stdout.write(f"{app}: {created_count} demo records created.")
            self.stdout.write("")
        self.stdout.write(f"Demo logins (password for all: {DEMO_PASSWORD}):")
        for demo in DEMO_USERS:
            self.stdout.write(f"  {demo.role.label:<24} {demo.email:<32} {demo.agency}")
