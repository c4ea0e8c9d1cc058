"""The write walk: every form and every write endpoint of the URL configuration, as every
role, aimed at cases and people the user may not see (in the URL and in the body), answers
404 or 400 and changes nothing.

"Nothing" is measured on the whole database: a fingerprint of every table (row count and
a digest of every row, pghistory's event tables included) before and after each request.
Only the access log (a refusal may be logged) and the session table are left out.

The generic walk sends, to each write URL whose parameters name a record out of the
user's scope, a body full of foreign ids under every name the forms and serializers use.
The scenarios after it send otherwise valid bodies with one foreign id each: the intake
link to a person (``perpetrator-link``, ``link_person_id``), a merge target, a share to
another partnership's agency, a worker of another partnership, an order of another case.
``MASIP_WALK_SEED`` replays a run; ``MASIP_WRITE_WALK_ROLES`` (default 3) is how many
roles try each write URL in a run.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import random
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pytest
from django.db import connection, transaction
from django.test import Client
from django.urls import Resolver404, resolve
from psycopg import sql

from cases.models import Case, Order
from tests.factories import World
from tests.walk_urls import Route, bindings, project_routes
from tests.walk_world import ROLES, VISIBLE, WalkWorld, build

pytestmark = pytest.mark.django_db

SEED = int(os.environ.get("MASIP_WALK_SEED") or random.SystemRandom().randrange(2**32))
ROLES_PER_URL = int(os.environ.get("MASIP_WRITE_WALK_ROLES", "3"))
WRITE_METHODS = ("post", "put", "patch", "delete")
# A refusal may be logged, and signing in writes a session: neither is a change to a record.
UNFINGERPRINTED = {"audit_accesslog", "django_session", "pghistory_context"}
ALLOWED_STATUSES = {400, 404, 405}
BREAK_GLASS = {"api/v1/cases/<int:case_id>/break-glass/"}
# The parameters that name a record of a partnership; the others (a status, a page of a form,
# a version of an instrument, which every partnership shares) only choose a view.
RECORD_PARAMS = {
    "case_id",
    "person_id",
    "order_id",
    "review_id",
    "candidate_id",
    "assessment_id",
    "meeting_id",
    "item_id",
    "attendance_id",
    "action_id",
    "notification_id",
    "contact_id",
    "measure_id",
    "notice_id",
    "concern_id",
    "referral_id",
    "intervention_id",
    "plan_id",
    "appointment_id",
    "return_id",
    "definition_id",
    "event_id",
    "user_id",
    "lead_id",
    "job_id",
    "slug",
}


@dataclass(frozen=True)
class Change:
    role: str
    method: str
    url: str
    status: int
    changed: tuple[str, ...]


def fingerprint() -> dict[str, str]:
    """Each table's row count and a digest of its rows, in one query."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY tablename",
        )
        # The access log is partitioned by month: its partitions are tables of their own.
        tables = [
            row[0]
            for row in cursor.fetchall()
            if row[0] not in UNFINGERPRINTED and not row[0].startswith("audit_accesslog_")
        ]
        one = sql.SQL(
            "SELECT {name}, count(*)::text || ':' || coalesce(md5(string_agg(t::text, '|' ORDER BY t::text)), '')"
            " FROM {table} t"
        )
        query = sql.SQL(" UNION ALL ").join(
            one.format(name=sql.Literal(name), table=sql.Identifier(name)) for name in tables
        )
        cursor.execute(query)
        return dict(cursor.fetchall())


def changed_tables(before: dict[str, str], after: dict[str, str]) -> tuple[str, ...]:
    return tuple(sorted(name for name in before.keys() | after.keys() if before.get(name) != after.get(name)))


def write_methods(route: Route) -> list[str]:
    """POST for a page; for an endpoint, the write methods its view class defines."""
    match = resolve(route.sample_url())
    view_class = getattr(match.func, "view_class", None) or getattr(match.func, "cls", None)
    if not route.is_api or view_class is None:
        return ["post"]
    return [m for m in WRITE_METHODS if hasattr(view_class, m)]


def write_routes() -> list[Route]:
    """Every route whose parameters name a record: the walk can point those out of scope."""
    return [r for r in project_routes() if set(r.names) & RECORD_PARAMS and write_methods(r)]


def _resolvable(route: Route) -> bool:
    try:
        write_methods(route)
    except Resolver404:
        return False
    return True


class Targets:
    """The records one role may not see, by how the world was built (walk_world.VISIBLE)."""

    def __init__(self, world: WalkWorld, role: str) -> None:
        hidden = [tag for tag in world.cases if role not in VISIBLE[tag]]
        shown = [tag for tag in world.cases if role in VISIBLE[tag]]
        self.cases = [world.cases[tag] for tag in hidden]
        seen_people = {world.people[f"{tag}-{side}"] for tag in shown for side in ("victim", "perpetrator")}
        self.people = sorted(
            {world.people[f"{tag}-{side}"] for tag in hidden for side in ("victim", "perpetrator")} - seen_people
        )
        self.outsider = role == "outsider"


def _foreign_values(world: WalkWorld, route: Route, targets: Targets, rng: random.Random) -> dict[str, object] | None:
    """A filling of the route in which the record the URL names is out of the role's scope."""
    cases = targets.cases
    if route.pattern in BREAK_GLASS:
        # Break-glass is the one way into a case of the partnership outside the agency's scope;
        # it must still refuse a restricted case and another partnership's.
        cases = [case for case in cases if case.is_restricted or case.pk == world.cases["o"].pk]
    case = rng.choice(cases) if cases else None
    person = rng.choice(targets.people) if targets.people else None
    if "case_id" in route.names or "person_id" in route.names:
        if ("case_id" in route.names and case is None) or ("person_id" in route.names and person is None):
            return None
        # The case's own records (case a's) under a foreign case, or, for the other
        # partnership's user, all of them foreign.
        filled = bindings(route, world.params)
        if not filled:
            return None
        values = dict(rng.choice(filled))
        if "case_id" in values and case is not None:
            values["case_id"] = case.pk
        if "person_id" in values and person is not None:
            values["person_id"] = person
        return values
    if not targets.outsider:
        # Meetings, interventions, returns... of the user's own partnership: in scope.
        return None
    filled = bindings(route, world.params)
    return dict(rng.choice(filled)) if filled else None


def _foreign_body(world: WalkWorld, targets: Targets, rng: random.Random) -> dict[str, Any]:
    person = rng.choice(targets.people) if targets.people else 0
    case = rng.choice(targets.cases) if targets.cases else world.cases["o"]
    order = Order.objects.filter(case=case).first()
    south = world.south
    return {
        "perpetrator-link": person,
        "victim-link": person,
        "link": person,
        "link_person_id": person,
        "person_id": person,
        "person": person,
        "merged": person,
        "other_person_id": person,
        "case_id": case.pk,
        "case": case.pk,
        "reference": case.reference,
        "agency": south.police.pk,
        "agency_id": south.police.pk,
        "add-agency": south.police.pk,
        "worker": south.triage_officer.pk,
        "worker_id": south.triage_officer.pk,
        "advocate": south.advocate.pk,
        "advocate_id": south.advocate.pk,
        "user_id": south.triage_officer.pk,
        "owner_id": south.triage_officer.pk,
        "chair_id": south.triage_officer.pk,
        "order": order.pk if order else 0,
        "order_id": order.pk if order else 0,
        "reason": "Checking the record for the walk of the access rules.",
        "add-reason": "Checking the record for the walk of the access rules.",
    }


def _send(client: Client, method: str, url: str, body: dict[str, Any], *, api: bool) -> int:
    """The answer's status; a page that shows its form again with a GOV.UK error summary
    (the pages' way of saying 400) counts as 400."""
    if api:
        response = getattr(client, method)(url, data=json.dumps(body), content_type="application/json")
    else:
        response = client.post(url, data=body)
    if not api and response.status_code == 200 and b"govuk-error-summary" in response.content:
        return 400
    return int(response.status_code)


@contextmanager
def _undo() -> Iterator[None]:
    """Whatever a request wrote is undone, so the next request meets the same world."""
    try:
        with transaction.atomic():
            yield
            raise _RollBack
    except _RollBack:
        pass


class _RollBack(Exception):
    pass


def _clients(world: WalkWorld) -> dict[str, Client]:
    clients = {}
    for role in ROLES:
        client = Client(raise_request_exception=False)
        client.force_login(world.users[role])
        clients[role] = client
    return clients


def test_every_write_route_is_walked() -> None:
    routes = [r for r in project_routes() if set(r.names) & RECORD_PARAMS]
    unresolvable = [r.pattern for r in routes if not _resolvable(r)]
    assert not unresolvable, unresolvable
    patterns = {r.pattern for r in write_routes()}
    for expected in (
        "cases/<int:case_id>/notes/",
        "people/<int:person_id>/merge/",
        "api/v1/people/<int:person_id>/merge/",
        "api/v1/cases/<int:case_id>/shares/",
        "advocacy/cases/<int:case_id>/safe-contact/<int:person_id>/",
    ):
        assert expected in patterns, expected
    assert len(patterns) >= 120, len(patterns)


def test_write_walk_with_ids_out_of_scope_changes_nothing(world: World, other_world: World) -> None:
    print(f"\nwrite walk seed: MASIP_WALK_SEED={SEED}")
    rng = random.Random(SEED)
    walk_world = build(world, other_world)
    clients = _clients(walk_world)
    targets = {role: Targets(walk_world, role) for role in ROLES}
    baseline = fingerprint()
    findings: list[Change] = []
    requests = 0
    routes = write_routes()
    for route in routes:
        for role in rng.sample(ROLES, min(ROLES_PER_URL, len(ROLES))):
            values = _foreign_values(walk_world, route, targets[role], rng)
            if values is None:
                continue
            url = route.url(values)
            body = _foreign_body(walk_world, targets[role], rng)
            for method in write_methods(route):
                requests += 1
                with _undo():
                    status = _send(clients[role], method, url, body, api=route.is_api)
                    after = fingerprint()
                changed = changed_tables(baseline, after)
                if status not in ALLOWED_STATUSES or changed:
                    findings.append(Change(role, method.upper(), url, status, changed))
    print(
        f"write walk: {len(routes)} write routes x {ROLES_PER_URL} of {len(ROLES)} roles, {requests} requests,"
        f" writes that changed something or answered other than 400/404/405: {len(findings)}"
    )
    for change in findings:
        print(f"  {change.role} {change.method} {change.url} -> {change.status}, changed: {list(change.changed)}")
    assert requests >= len(routes), "most write routes were not tried"
    assert not findings, f"replay with MASIP_WALK_SEED={SEED}"


# --- the scenarios: valid bodies with one foreign id ---------------------------------------------------


def _intake_form(**overrides: object) -> dict[str, object]:
    received = dt.date.today() - dt.timedelta(days=2)
    data: dict[str, object] = {
        "received_on_day": str(received.day),
        "received_on_month": str(received.month),
        "received_on_year": str(received.year),
        "referring_agency_kind": "probation",
        "crime_references": "CH/55555/26",
        "offence": "s2a_stalking",
        "referral_reason": "post_sentence",
        "relationship": "ex_intimate",
        "summary": "Followed the victim home twice.",
        "victim-given_name": "Rosa",
        "victim-family_name": "Linden",
        "victim-gender": "female",
        "victim-link": "new",
        "perpetrator-given_name": "Owen",
        "perpetrator-family_name": "Prior",
        "perpetrator-gender": "male",
        "perpetrator-link": "new",
    }
    data.update(overrides)
    return data


def _intake_json(perpetrator: dict[str, Any], victim: dict[str, Any] | None = None) -> dict[str, Any]:
    today = dt.date.today()
    return {
        "received_on": (today - dt.timedelta(days=1)).isoformat(),
        "referring_agency_kind": "probation",
        "offence": "s2a_stalking",
        "referral_reason": "post_sentence",
        "relationship": "ex_intimate",
        "crime_references": ["ch/777/26"],
        "summary": "Following, messages and gifts left at work since the relationship ended.",
        "people": [
            victim or {"role": "victim", "person": {"given_name": "Priya", "family_name": "Shah", "gender": "female"}},
            perpetrator,
        ],
    }


_NEW_LOCATION = {
    "addresses": [{"line_1": "1 Overwritten Road", "town": "Chester", "postcode": "CH2 1AB"}],
    "contacts": [{"kind": "mobile", "value": "07700 900999"}],
    "safe_contact": {"safe_times": "Evenings", "channels": ["text"], "code_word": "overwritten"},
}


def scenarios(world: WalkWorld) -> list[tuple[str, str, str, str, dict[str, Any]]]:
    """(name, role, method, url, body): each valid but for one id out of the role's scope."""
    south = world.south
    a, r, o = world.cases["a"], world.cases["r"], world.cases["o"]
    restricted_victim = world.people["r-victim"]
    hidden_victim = world.people["w-victim"]  # probation and health may not see case w
    other_order = Order.objects.filter(case=o).first()
    restricted_order = Order.objects.filter(case=r).first()
    assert other_order is not None and restricted_order is not None
    a_perpetrator = world.people["a-perpetrator"]
    breach = {"occurred_on": dt.date.today().isoformat(), "description": "Came to the door."}
    breach_form = {
        "occurred_on_day": str(dt.date.today().day),
        "occurred_on_month": str(dt.date.today().month),
        "occurred_on_year": str(dt.date.today().year),
        "description": "Came to the door.",
    }
    merge_reason = "Same name and date of birth on both records."
    return [
        ("intake page links a restricted case's victim", "probation_practitioner", "post", "/cases/new/",
         _intake_form(**{"perpetrator-link": restricted_victim})),
        ("intake page links a restricted case's victim", "clinician", "post", "/cases/new/",
         _intake_form(**{"perpetrator-link": restricted_victim})),
        ("intake page links a victim of a case not shared", "probation_practitioner", "post", "/cases/new/",
         _intake_form(**{"victim-link": hidden_victim})),
        ("intake page links another partnership's victim", "triage_officer", "post", "/cases/new/",
         _intake_form(**{"perpetrator-link": world.people["o-victim"]})),
        ("intake API links a restricted case's victim", "probation_practitioner", "post", "/api/v1/referrals/",
         _intake_json({"role": "perpetrator", "link_person_id": restricted_victim})),
        ("intake API writes location onto a victim not shared", "probation_practitioner", "post",
         "/api/v1/referrals/",
         _intake_json(
             {"role": "perpetrator", "person": {"given_name": "Mark", "family_name": "Doyle", "gender": "male"}},
             {"role": "victim", "link_person_id": hidden_victim, "person": _NEW_LOCATION},
         )),
        ("intake API links another partnership's person", "triage_officer", "post", "/api/v1/referrals/",
         _intake_json({"role": "perpetrator", "link_person_id": world.people["o-perpetrator"]})),
        ("merge page folds in a restricted case's victim", "admin", "post", f"/people/{a_perpetrator}/merge/",
         {"action": "merge", "merged": restricted_victim, "reason": merge_reason}),
        ("merge API folds in a restricted case's victim", "admin", "post", f"/api/v1/people/{a_perpetrator}/merge/",
         {"other_person_id": restricted_victim, "reason": merge_reason}),
        ("merge API folds in another partnership's person", "admin", "post",
         f"/api/v1/people/{a_perpetrator}/merge/",
         {"other_person_id": world.people["o-victim"], "reason": merge_reason}),
        ("share API to another partnership's agency", "admin", "post", f"/api/v1/cases/{a.pk}/shares/",
         {"agency": south.police.pk, "reason": "Needed for the joint review."}),
        ("share page to another partnership's agency", "admin", "post", f"/cases/{a.pk}/sharing/",
         {"action": "add", "add-agency": south.police.pk, "add-reason": "Needed for the joint review."}),
        ("worker API from another partnership", "triage_officer", "put", f"/api/v1/cases/{a.pk}/assignment/",
         {"worker": south.triage_officer.pk}),
        ("worker API from another partnership", "triage_officer", "post", f"/api/v1/cases/{a.pk}/assignment/",
         {"worker": south.triage_officer.pk}),
        ("worker page from another partnership", "triage_officer", "post", f"/cases/{a.pk}/worker/",
         {"worker": south.triage_officer.pk}),
        ("breach API on another partnership's order", "triage_officer", "post",
         f"/api/v1/cases/{a.pk}/orders/{other_order.pk}/breaches/", breach),
        ("breach API on a restricted case's order", "triage_officer", "post",
         f"/api/v1/cases/{a.pk}/orders/{restricted_order.pk}/breaches/", breach),
        ("breach page on a restricted case's order", "triage_officer", "post",
         f"/cases/{a.pk}/orders/{restricted_order.pk}/breaches/new/", breach_form),
        ("safe contact API for a victim of a case not shared", "probation_practitioner", "put",
         f"/api/v1/cases/{world.cases['b'].pk}/advocacy/safe-contact/{world.people['wren']}/",
         {"safe_times": "Evenings", "channels": ["text"], "code_word": "overwritten"}),
        ("break-glass into a restricted case", "clinician", "post", f"/api/v1/cases/{r.pk}/break-glass/",
         {"reason": "Urgent risk information for today's clinic"}),
        ("break-glass into another partnership's case", "clinician", "post", f"/api/v1/cases/{o.pk}/break-glass/",
         {"reason": "Urgent risk information for today's clinic"}),
        ("advocate of another partnership", "advocate", "post", f"/api/v1/cases/{a.pk}/advocacy/advocates/",
         {"advocate": south.advocate.pk}),
        ("note on a restricted case", "triage_officer", "post", f"/api/v1/cases/{r.pk}/notes/",
         {"text": "A note."}),
        ("staff of another partnership", "admin", "patch", f"/api/v1/staff/{south.advocate.pk}/",
         {"job_title": "Changed"}),
        ("case transition of another partnership's case", "admin", "post", f"/api/v1/cases/{o.pk}/transitions/",
         {"to_status": "awaiting_triage"}),
        ("meeting agenda with a restricted case", "triage_officer", "post",
         f"/api/v1/meetings/{world.params['meeting_id'][0]['meeting_id']}/agenda/", {"case_id": r.pk}),
        ("intervention referral to another partnership's clinic", "probation_practitioner", "post",
         f"/api/v1/cases/{world.cases['b'].pk}/intervention-referrals/",
         {"health_agency_id": south.health.pk, "risk_information": "Breached an order.",
          "desired_outcomes": ["Stops contacting the victim"]}),
    ]  # fmt: skip


def test_write_scenarios_with_one_foreign_id_change_nothing(world: World, other_world: World) -> None:
    walk_world = build(world, other_world)
    clients = _clients(walk_world)
    baseline = fingerprint()
    findings: list[str] = []
    cases_before = Case.objects.count()
    for name, role, method, url, body in scenarios(walk_world):
        with _undo():
            status = _send(clients[role], method, url, body, api=url.startswith("/api/"))
            after = fingerprint()
        changed = changed_tables(baseline, after)
        if status not in ALLOWED_STATUSES or changed:
            findings.append(f"{name}: {role} {method.upper()} {url} -> {status}, changed: {list(changed)}")
    print(f"\nwrite scenarios: {len(scenarios(walk_world))}, that changed something or answered wrongly:")
    for finding in findings:
        print(f"  {finding}")
    assert Case.objects.count() == cases_before
    assert not findings, "\n".join(findings)


def test_the_fingerprint_sees_a_change(world: World) -> None:
    """The walk can fail: a write that goes through shows in the fingerprint, and is undone."""
    from tests.case_factories import make_case

    case = make_case(world.triage_officer)
    before = fingerprint()
    with _undo():
        client = Client()
        client.force_login(world.triage_officer)
        response = client.post(
            f"/api/v1/cases/{case.pk}/notes/", data=json.dumps({"text": "A note."}), content_type="application/json"
        )
        assert response.status_code == 201, response.content
        changed = changed_tables(before, fingerprint())
    assert "cases_casenote" in changed and any(name.endswith("event") for name in changed), changed
    assert changed_tables(before, fingerprint()) == ()
