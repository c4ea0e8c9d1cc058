"""In a real browser, every page of the demo as each role, at 1280 px and at 375 px: no page
scrolls sideways, and axe-core finds no WCAG 2.2 A or AA violation.

The pages are found, not listed: from the home page the walk follows every link of the
service, one address per URL pattern (a case page stands for every case page). A page that
is added later is walked the first time a link leads to it. One browser for the run, two
tests (GROUPS), one signed-in context per role, each page visited once per width.
"""

from __future__ import annotations

import io
import time
from collections import deque
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.core.management import call_command
from django.urls import Resolver404, resolve

from agencies.demo import DEMO_PASSWORD, DEMO_USERS
from tests.conftest import ROOT, sign_in

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]

WIDTHS = (1280, 375)
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"]
# Not pages of this service's layout: the session's end, Django's admin (its own
# templates, off in production), the API and its schema, files.
SKIP_PREFIXES = ("/accounts/logout/", "/admin/", "/api/", "/static/", "/healthz")
# A role's walk stops here: a link multiplying pages without end would show as a failure,
# not as a run that never ends.
MAX_PAGES_PER_ROLE = 150
# Asked for on purpose, to check the not-found page itself.
MISSING = "/no-such-page/"

# GOV.UK Frontend's conditional reveals put aria-expanded on the radio or checkbox that
# reveals: invalid by the ARIA spec, kept on purpose because screen readers announce it
# (a known issue of the Design System: alphagov/govuk-frontend#979). Only that is let
# through; any other attribute, or aria-expanded anywhere else, still fails.
AXE_RUN = """
async (tags) => {
  const result = await axe.run(document, { runOnly: { type: 'tag', values: tags }, resultTypes: ['violations'] })
  const govukReveal = (node) => {
    const element = document.querySelector(node.target.join(' '))
    const attributes = new Set(node.failureSummary.match(/aria-[a-z]+(?==)/g) || [])
    return element && element.matches('.govuk-radios__input[aria-controls], .govuk-checkboxes__input[aria-controls]') &&
      attributes.size === 1 && attributes.has('aria-expanded')
  }
  return result.violations
    .map((v) => ({ ...v, nodes: v.id === 'aria-allowed-attr' ? v.nodes.filter((n) => !govukReveal(n)) : v.nodes }))
    .filter((v) => v.nodes.length)
    .map((v) => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(', ')}`)
}
"""
# After a resize, charts (Chart.js) redraw on the next frames: measure once they have.
SIDEWAYS = """
async () => {
  for (let frame = 0; frame < 3; frame++) await new Promise((resolve) => requestAnimationFrame(resolve))
  return document.documentElement.scrollWidth - document.documentElement.clientWidth
}
"""


def _pattern(path: str) -> str | None:
    if path.startswith(SKIP_PREFIXES):
        return None
    try:
        match = resolve(path)
    except Resolver404:
        return f"unresolved:{path}"
    return f"{match.view_name}:{match.route}"


class _Walk:
    def __init__(self, page: Any, origin: str) -> None:
        self.page = page
        self.origin = origin
        self.problems: list[str] = []

    def check(self, path: str, who: str) -> list[str]:
        """Load a page once and check it at each width; return the service's links on it."""
        self.page.set_viewport_size({"width": WIDTHS[0], "height": 900})
        try:
            response = self.page.goto(path)
        except Exception as exc:  # a download link: Playwright refuses to navigate to it
            if "Download is starting" in str(exc):
                return []
            raise
        assert response is not None
        if "text/html" not in response.headers.get("content-type", ""):
            return []
        if response.status >= 400 and path != MISSING:
            self.problems.append(f"{who} {path}: answered {response.status}")
        for width in WIDTHS:
            # Resizing re-lays the same page out (GOV.UK's components follow the media
            # queries): the same as loading it at that width, for half the page loads.
            self.page.set_viewport_size({"width": width, "height": 900})
            where = f"{who} {path} at {width}px"
            sideways = self.page.evaluate(SIDEWAYS)
            if sideways > 0:
                self.problems.append(f"{where}: scrolls sideways by {sideways}px")
            self.problems.extend(f"{where}: {v}" for v in self.page.evaluate(AXE_RUN, AXE_TAGS))
        return self.page.eval_on_selector_all("a[href]", "els => els.map((e) => e.href)")

    def walk(self, who: str, start: list[str]) -> int:
        seen: set[str] = set()
        queue: deque[str] = deque(start)
        visited = 0
        while queue and visited < MAX_PAGES_PER_ROLE:
            path = queue.popleft()
            pattern = _pattern(urlsplit(path).path)
            if pattern is None or pattern in seen:
                continue
            seen.add(pattern)
            visited += 1
            for href in self.check(path, who):
                parts = urlsplit(href)
                # The query is kept: some pages are a query (the cases behind a dashboard figure).
                address = f"{parts.path}?{parts.query}" if parts.query else parts.path
                if f"{parts.scheme}://{parts.netloc}" == self.origin and address not in queue:
                    queue.append(address)
        assert visited < MAX_PAGES_PER_ROLE, f"{who}: more than {MAX_PAGES_PER_ROLE} kinds of page"
        return visited


def _context(browser: Any, base_url: str, axe_source: str) -> Any:
    context = browser.new_context(base_url=base_url)
    # An init script, not a <script> tag: the pages' Content-Security-Policy allows no
    # inline script, and the pages are checked as served, policy included.
    context.add_init_script(script=axe_source)
    return context


SIGNED_OUT = "signed out"
# Two tests, so that the suite's two processes can share the walks (every role in a row was
# the longest test of the suite, 252 s). Not one test a role: each test seeds the demo afresh
# (the walks are transactional tests and start from an empty database), about 20 s a time,
# which seven tests spent over again. The groups take about as long as each other: the
# admin's and the manager's walks are the longest.
GROUPS = {
    "caseworkers": [SIGNED_OUT, "triage@demo.masip.test", "advocate@demo.masip.test",
                    "probation@demo.masip.test", "clinician@demo.masip.test"],
    "managers": ["manager@demo.masip.test", "admin@demo.masip.test"],
}  # fmt: skip


def test_the_groups_walk_every_demo_role_once() -> None:
    walked = [who for group in GROUPS.values() for who in group]
    assert sorted(walked) == sorted([SIGNED_OUT, *(demo.email for demo in DEMO_USERS)])


@pytest.mark.parametrize("group", GROUPS)
def test_every_page_fits_both_widths_and_passes_axe_for_every_role(
    group: str, browser: Any, live_server: Any, settings: Any
) -> None:
    settings.MASIP_DEMO_DATA_ALLOWED = True
    call_command("seed_demo", stdout=io.StringIO())
    axe_source = (ROOT / "node_modules" / "axe-core" / "axe.min.js").read_text()
    started = time.monotonic()
    problems: list[str] = []
    counts: dict[str, int] = {}

    for who in GROUPS[group]:
        context = _context(browser, live_server.url, axe_source)
        page = context.new_page()
        page.set_default_timeout(15_000)
        walk = _Walk(page, live_server.url)
        if who == SIGNED_OUT:
            # Sign-in, password reset, sign-up (closed) and the not-found page.
            start = ["/accounts/login/", "/accounts/password/reset/", "/accounts/signup/", MISSING]
        else:
            sign_in(page, who, DEMO_PASSWORD)
            page.wait_for_url(f"{live_server.url}/")
            start = ["/", MISSING]
        counts[who] = walk.walk(who, start)
        problems += walk.problems
        context.close()

    print(f"walked {counts} in {time.monotonic() - started:.0f}s")
    # Every role reaches more than the page it started from: the walk found the service's links.
    assert all(count > 3 for count in counts.values()), counts
    assert not problems, "\n".join(problems)
