"""Locust users for ``manage.py load_mixed``: staff of four roles at work on their caseloads.

Each simulated member of staff is one of the seed staff (``seed_scale``), signed in by the
command (a session in the database, as after a sign-in), with a sample of the cases their
agency may see. They open the caseload, open a case, search by a perpetrator's family name
(the search is a POST and stays in the session, as the page does it), add a case note, and
advocates log a contact. Everything goes through gunicorn, the middleware, the templates and
the access log, as a browser's request would.

The plan (sessions, cases, names) comes from the JSON file named by ``MASIP_LOAD_PLAN``.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import threading
from typing import Any

from locust import between, task
from locust.contrib.fasthttp import FastHttpUser

with open(os.environ["MASIP_LOAD_PLAN"], encoding="utf-8") as plan_file:
    PLAN: dict[str, Any] = json.load(plan_file)

_next = itertools.count()
_lock = threading.Lock()


class Staff(FastHttpUser):
    # Half a second between a user's requests on average: a busy day's pace for many users at once.
    wait_time = between(0.2, 0.8)

    def on_start(self) -> None:
        with _lock:
            me = PLAN["users"][next(_next) % len(PLAN["users"])]
        self.me = me
        self.rng = random.Random(me["session"])
        host = (self.host or "").split("://", 1)[-1]
        # The production settings mark the cookies Secure and trust the proxy's header for
        # HTTPS (SECURE_PROXY_SSL_HEADER); this client speaks plain HTTP to gunicorn as the
        # proxy would, so the cookies go in a header of their own.
        self.headers = {
            "Cookie": f"{PLAN['session_cookie']}={me['session']}; {PLAN['csrf_cookie']}={PLAN['csrf_secret']}",
            "X-Forwarded-Proto": "https",
            "Referer": f"https://{host}/cases/",
        }

    def _get(self, path: str, name: str) -> None:
        with self.client.get(path, headers=self.headers, name=name, catch_response=True) as response:
            if response.status_code != 200:
                response.failure(f"{response.status_code}")

    def _post(self, path: str, data: dict[str, Any], name: str) -> None:
        body = {"csrfmiddlewaretoken": PLAN["csrf_secret"], **data}
        with self.client.post(
            path, data=body, headers=self.headers, name=name, allow_redirects=False, catch_response=True
        ) as response:
            # A good form post answers with a redirect (post/redirect/get); 200 is the form again.
            if response.status_code != 302:
                response.failure(f"{response.status_code}")

    @task(4)
    def caseload(self) -> None:
        self._get("/cases/", "caseload")

    @task(4)
    def case_page(self) -> None:
        self._get(f"/cases/{self.rng.choice(self.me['cases'])}/", "case page")

    @task(2)
    def search(self) -> None:
        if not self.me["family_names"]:
            return
        self._post("/cases/", {"q": self.rng.choice(self.me["family_names"])}, "search")
        self._get("/cases/", "search results")
        self._post("/cases/", {"clear": "1"}, "search clear")

    @task(1)
    def case_note(self) -> None:
        case_id = self.rng.choice(self.me["cases"])
        self._post(f"/cases/{case_id}/notes/", {"note-text": "Spoke to the officer in the case about bail."}, "note")

    @task(1)
    def contact(self) -> None:
        if not self.me["contacts"]:
            return self.case_page()
        case_id, victim_id, day, month, year, time, channel = self.rng.choice(self.me["contacts"])
        self._post(
            f"/advocacy/cases/{case_id}/contacts/new/",
            {
                "origin": "card",
                "contact-victim": victim_id,
                "contact-occurred_on_day": day,
                "contact-occurred_on_month": month,
                "contact-occurred_on_year": year,
                "contact-occurred_time": time,
                "contact-channel": channel,
                "contact-direction": "to_victim",
                "contact-topics": "safety_planning",
                "contact-summary": "Checked in; reviewed the safety plan.",
            },
            "contact",
        )
        return None
