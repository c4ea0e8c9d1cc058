from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from agencies.demo import DEMO_PASSWORD, DEMO_USERS, load_demo


class Command(BaseCommand):
    help = "Load the demo partnership and its staff once, then print the demo logins."

    def handle(self, *args: Any, **options: Any) -> None:
        created = load_demo()
        self.stdout.write("Demo data loaded." if created else "Demo data already present; reusing it.")
        self.stdout.write("")
        self.stdout.write(f"Demo logins (password for all: {DEMO_PASSWORD}):")
        for demo in DEMO_USERS:
            self.stdout.write(f"  {demo.role.label:<24} {demo.email:<32} {demo.agency}")
