"""The read walk: every page and API endpoint of the URL configuration, as every role,
under the default information-sharing agreement and under many generated ones.

The world (tests/walk_world.py) carries a marker string in every protected field of every
record class. Under each agreement, no page or answer may contain a marker of a class the
agreement denies to the reader's agency kind, or a marker of a case the reader may not
open; and every page or answer that shows a marker of personal data must have written an
access-log row during that request.

The agreements come from a seeded generator: the seed is printed, and
``MASIP_WALK_SEED=<seed>`` replays a failing run. ``MASIP_WALK_AGREEMENTS`` (default 50)
and ``MASIP_WALK_REQUESTS`` (extra URL patterns per agreement and role, default 0) size the
walk. The world is built once; each agreement is applied inside a savepoint that is rolled
back. Every (role, URL pattern) pair is walked once a run (each with one of its fillings),
dealt at random to one of the generated agreements, so each run covers the whole URL
configuration as every role and, across runs (each draws a new seed), every pair meets many
agreements; under each agreement one role also walks the case and person pages and answers
of the hard case. Raise the numbers for a deeper run.
"""

from __future__ import annotations

import os
import random
import re
import time
from collections import Counter
from dataclasses import dataclass

import pytest
from django.db import transaction
from django.test import Client

from agencies.models import DEFAULT_SHARING, AgencyKind, RecordClass
from agencies.services import agreement_update
from audit.models import AccessLog
from tests.factories import World
from tests.walk_urls import Route, bindings, project_routes
from tests.walk_world import ROLES, VISIBLE, Marker, WalkWorld, build

pytestmark = pytest.mark.django_db

SEED = int(os.environ.get("MASIP_WALK_SEED") or random.SystemRandom().randrange(2**32))
AGREEMENTS = int(os.environ.get("MASIP_WALK_AGREEMENTS", "50"))
SAMPLE = int(os.environ.get("MASIP_WALK_REQUESTS", "0"))
# Slow and free of case data (the health check, the schema), or not text (the minutes'
# PDF, spreadsheets): walked once a run, by one role, for a server error.
ONCE_PATTERNS = {
    "healthz",
    "livez",
    "readyz",
    "metrics",
    "api/v1/schema/",
    "triage/meetings/<int:meeting_id>/minutes.pdf",
    "reporting/evaluation/download/<str:file_format>/",
    "reporting/returns/<int:return_id>/download/<str:file_format>/",
    "api/v1/reporting/returns/<int:return_id>/download/<str:file_format>/",
}
KINDS = [kind.value for kind in AgencyKind]
Agreement = dict[str, set[str]]


class _RollBack(Exception):
    """Leaves an agreement's savepoint, undoing the agreement and whatever the walk wrote."""


@dataclass(frozen=True)
class Finding:
    kind: str  # "leak", "unlogged", "error"
    url: str
    role: str
    agreement: int  # 0 is the default agreement
    detail: str
    marker: str = ""


def generate_agreements(rng: random.Random, count: int) -> list[Agreement]:
    """The default first, then ``count`` random ones: each (class, kind) pair on or off,
    with the two extremes (nobody sees anything, everybody sees everything) always among them."""
    default: Agreement = {rc: set(kinds) for rc, kinds in DEFAULT_SHARING.items()}
    nobody: Agreement = {rc: set() for rc in RecordClass.values}
    everybody: Agreement = {rc: set(KINDS) for rc in RecordClass.values}
    agreements = [default, nobody, everybody]
    while len(agreements) < count + 1:
        density = rng.choice([0.2, 0.5, 0.8])
        agreements.append({rc: {k for k in KINDS if rng.random() < density} for rc in RecordClass.values})
    return agreements


def forbidden(world: WalkWorld, role: str, marker: Marker, agreement: Agreement) -> bool:
    """Whether ``role`` must not see ``marker``: the case is out of their scope, or the
    agreement of the case's partnership withholds the marker's class from their agency kind."""
    if role not in VISIBLE[marker.case]:
        return True
    if marker.record_class is None:
        return False
    user = world.users[role]
    assert user.agency is not None
    grants = agreement if marker.case != "o" else {rc: set(k) for rc, k in DEFAULT_SHARING.items()}
    return user.agency.kind not in grants[marker.record_class]


def _url_list(world: WalkWorld) -> tuple[list[tuple[Route, str]], list[str]]:
    urls: list[tuple[Route, str]] = []
    unfilled: list[str] = []
    for route in project_routes():
        filled = bindings(route, world.params)
        if not filled:
            unfilled.append(route.pattern)
        urls.extend((route, route.url(values)) for values in filled)
    return urls, unfilled


def _clients(world: WalkWorld) -> dict[str, Client]:
    clients = {}
    for role in ROLES:
        client = Client(raise_request_exception=False)
        client.force_login(world.users[role])
        clients[role] = client
    return clients


def test_every_route_of_the_url_configuration_is_walked(world: World, other_world: World) -> None:
    """A page added later with a parameter nobody fills fails here rather than escaping the walk."""
    walk_world = build(world, other_world)
    urls, unfilled = _url_list(walk_world)
    assert not unfilled, f"URL patterns the walk cannot fill: {unfilled}"
    patterns = {route.pattern for route, _ in urls}
    assert {"cases/<int:case_id>/", "people/<int:person_id>/", "api/v1/cases/<int:case_id>/"} <= patterns
    assert len(patterns) >= 200, len(patterns)


def test_read_walk_under_many_agreements(world: World, other_world: World) -> None:
    print(f"\nread walk seed: MASIP_WALK_SEED={SEED}")
    started = time.monotonic()
    rng = random.Random(SEED)
    walk_world = build(world, other_world)
    urls, unfilled = _url_list(walk_world)
    assert not unfilled, f"URL patterns the walk cannot fill: {unfilled}"
    pattern = re.compile("|".join(re.escape(m.text) for m in walk_world.markers), re.IGNORECASE)
    by_text: dict[str, list[Marker]] = {}
    for marker in walk_world.markers:
        by_text.setdefault(marker.text.lower(), []).append(marker)
    clients = _clients(walk_world)
    agreements = generate_agreements(rng, AGREEMENTS)
    findings: list[Finding] = []
    covered: dict[tuple[str, str], set[int]] = {}
    seen_allowed: Counter[tuple[str, str]] = Counter()  # (role, record class) a reader rightly saw
    requests = 0
    patterns = sorted({route for route, _ in urls if route.pattern not in ONCE_PATTERNS}, key=lambda r: r.pattern)
    by_pattern: dict[Route, list[str]] = {}
    for route, url in urls:
        by_pattern.setdefault(route, []).append(url)
    a, b = walk_world.cases["a"].pk, walk_world.cases["b"].pk
    wren = walk_world.people["wren"]
    # Where a person's data gathers, and the hard case: Wren, perpetrator in b, victim in w.
    core = [f"/cases/{a}/", f"/cases/{b}/", f"/api/v1/cases/{b}/", f"/people/{wren}/", f"/api/v1/people/{wren}/"]
    once = [(route, url) for route, url in urls if route.pattern in ONCE_PATTERNS]
    pairs = [(role, route) for role in ROLES for route in patterns]
    rng.shuffle(pairs)
    dealt = {index: pairs[index :: len(agreements)] for index in range(len(agreements))}
    for index, agreement in enumerate(agreements):
        try:
            with transaction.atomic():
                agreement_update(
                    actor=walk_world.north.admin,
                    partnership=walk_world.north.partnership,
                    matrix={rc: sorted(kinds) for rc, kinds in agreement.items()},
                )
                plan: list[tuple[str, Route, str]] = []
                if index == 0:
                    plan.extend((rng.choice(ROLES), route, url) for route, url in once)
                # Every (role, pattern) pair once a run, under the agreement it was dealt to...
                plan.extend((role, route, rng.choice(by_pattern[route])) for role, route in dealt[index])
                # ...and, for a deeper run, more drawn at random under this one.
                for role in ROLES:
                    for route in rng.sample(patterns, min(SAMPLE, len(patterns))):
                        plan.append((role, route, rng.choice(by_pattern[route])))
                role = rng.choice(ROLES)
                plan.extend((role, _route_of(urls, url), url) for url in core)
                for role, route, url in plan:
                    covered.setdefault((role, route.pattern), set()).add(index)
                    requests += 1
                    findings.extend(
                        _check(
                            walk_world,
                            clients[role],
                            role,
                            route,
                            url,
                            index,
                            agreement,
                            pattern,
                            by_text,
                            seen_allowed,
                        )
                    )
                raise _RollBack
        except _RollBack:
            pass
    elapsed = time.monotonic() - started
    leaks = [f for f in findings if f.kind == "leak"]
    distinct_pairs = len(covered)
    print(
        f"read walk: {len(agreements)} agreements x {len(ROLES)} roles x {len(urls)} URLs"
        f" ({len({r.pattern for r, _ in urls})} patterns), {requests} requests, {distinct_pairs} (role, pattern)"
        f" pairs met, each under {min(map(len, covered.values()))}-{max(map(len, covered.values()))} agreements;"
        f" leaks found: {len(leaks)}, unlogged: {sum(f.kind == 'unlogged' for f in findings)},"
        f" errors: {sum(f.kind == 'error' for f in findings)}; {elapsed:.0f}s"
    )
    for finding, markers in _distinct(findings):
        print(
            f"  {finding.kind}: {finding.role} GET {finding.url} (agreement {finding.agreement}):"
            f" {finding.detail} [{markers[:160]}]"
        )
    # The walk can see: readers whom the agreements allow did meet markers of each class.
    assert seen_allowed, "the walk met no marker at all: it could not have found a leak"
    assert not findings, f"{len(findings)} findings; replay with MASIP_WALK_SEED={SEED}"


def _route_of(urls: list[tuple[Route, str]], url: str) -> Route:
    return next(route for route, candidate in urls if candidate == url)


def _check(
    world: WalkWorld,
    client: Client,
    role: str,
    route: Route,
    url: str,
    index: int,
    agreement: Agreement,
    pattern: re.Pattern[str],
    by_text: dict[str, list[Marker]],
    seen_allowed: Counter[tuple[str, str]],
) -> list[Finding]:
    before = AccessLog.objects.count()
    response = client.get(url, HTTP_ACCEPT="application/json" if route.is_api else "")
    if response.status_code == 500:
        return [Finding("error", url, role, index, "500")]
    if response.status_code != 200 or response.get("Content-Type", "").startswith(
        ("application/pdf", "application/vnd")
    ):
        return []
    shown = {text.lower() for text in pattern.findall(response.content.decode(errors="replace"))}
    found = []
    for text in shown:
        for marker in by_text[text]:
            if forbidden(world, role, marker, agreement):
                detail = f"{marker.record_class or 'personal data'} of case {marker.case}"
                found.append(Finding("leak", url, role, index, detail, text))
            elif marker.record_class:
                seen_allowed[(role, marker.record_class)] += 1
    if shown and AccessLog.objects.count() == before:
        found.append(Finding("unlogged", url, role, index, "no access-log row", ", ".join(sorted(shown))))
    return found


def _distinct(findings: list[Finding]) -> list[tuple[Finding, str]]:
    """One line per (kind, role, URL, what): the same hole under fifty agreements is one hole."""
    seen: dict[tuple[str, str, str, str], tuple[Finding, set[str]]] = {}
    for finding in findings:
        _, markers = seen.setdefault((finding.kind, finding.role, finding.url, finding.detail), (finding, set()))
        markers.update(finding.marker.split(", "))
    return sorted(((f, ", ".join(sorted(m))) for f, m in seen.values()), key=lambda x: (x[0].kind, x[0].url, x[0].role))
