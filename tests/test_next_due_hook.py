"""``Case.next_due_on`` is kept by one hook (cases.services ``next_due_changed`` and
``next_due_scope``): a service marks the cases whose due things it changed, and the outermost
scope recomputes each once, set-based, inside the same transaction.

Each kind of change (contact, review, session, follow-up, plan) is checked for the date it
leaves and for being recomputed once; a structural scan keeps the recompute in the hook."""

from __future__ import annotations

import ast
import datetime as dt
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from advocacy import services as advocacy_services
from cases import extensions
from cases import services as case_services
from cases.models import Case
from followups import services as followup_services
from followups.models import FollowUpReview
from interventions import services as intervention_services
from interventions.tests.helpers import accepted, attend, book, days_ago, old_case, plan
from tests.advocacy_factories import contact_input
from tests.case_factories import make_case
from tests.factories import World
from tests.followups_factories import accepted_case
from tests.risk_factories import complete_srp, shipped_instruments

__all__ = ["shipped_instruments"]

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate


class Asked:
    """A due source that gives no date and notes which cases it was asked about, each time:
    how many times the hook recomputed each case."""

    def __init__(self) -> None:
        self.calls: list[list[int]] = []

    def __call__(self, case_ids: Sequence[int]) -> dict[int, dt.date]:
        self.calls.append(sorted(case_ids))
        return {}

    def times(self, case_id: int) -> int:
        return sum(call.count(case_id) for call in self.calls)


@pytest.fixture
def asked() -> Iterator[Asked]:
    source = Asked()
    extensions.register_due_source(source)
    try:
        yield source
    finally:
        extensions._due_sources.remove(source)


def due(case: Case) -> dt.date | None:
    return Case.objects.values_list("next_due_on", flat=True).get(pk=case.pk)


# --- each kind of change ----------------------------------------------------------------------------------------


def test_a_contact_sets_the_next_contact_date_once(world: World, asked: Asked) -> None:
    case = make_case(world.triage_officer)
    case_services.case_assign_worker(actor=world.triage_officer, case=case, worker=world.advocate)
    next_contact = TODAY() + dt.timedelta(days=9)
    advocacy_services.contact_record(actor=world.advocate, case=case, data=contact_input(next_contact_due=next_contact))
    assert due(case) == next_contact
    assert asked.times(case.pk) == 1


def test_a_risk_review_date_is_the_case_s_due_date_once(world: World, asked: Asked) -> None:
    case = make_case(world.triage_officer)
    srp = complete_srp(world.clinician, case, stalker_type="resentful", assessed_on=TODAY() - dt.timedelta(days=3))
    assert srp.review_due_on is not None
    assert due(case) == srp.review_due_on
    assert asked.times(case.pk) == 1


def test_a_session_booked_and_fed_back_moves_the_date_once_each(world: World, asked: Asked) -> None:
    case = old_case(world)
    intervention = accepted(world, case)
    plan(world, intervention, review_on=TODAY() + dt.timedelta(days=30))
    assert due(case) == TODAY() + dt.timedelta(days=30)
    before = asked.times(case.pk)
    past = book(world, intervention, 1, days_ago(2))
    assert due(case) == TODAY() - dt.timedelta(days=2)  # feedback overdue
    assert asked.times(case.pk) == before + 1
    attend(world, past)
    assert due(case) == TODAY() + dt.timedelta(days=30)
    assert asked.times(case.pk) == before + 2


def test_a_plan_and_its_review_move_the_date_once_each(world: World, asked: Asked) -> None:
    case = old_case(world)
    intervention = accepted(world, case)
    before = asked.times(case.pk)
    plan(world, intervention, review_on=TODAY() + dt.timedelta(days=20))
    assert due(case) == TODAY() + dt.timedelta(days=20)
    assert asked.times(case.pk) == before + 1
    intervention.refresh_from_db()
    intervention_services.plan_review_record(
        actor=world.clinician, intervention=intervention, summary="On track", next_review_on=TODAY() + dt.timedelta(40)
    )
    assert due(case) == TODAY() + dt.timedelta(days=40)
    assert asked.times(case.pk) == before + 2


def test_a_follow_up_review_completed_clears_its_date_once(world: World, asked: Asked) -> None:
    case = accepted_case(world, decided_on=TODAY() - dt.timedelta(days=100), worker=world.probation_practitioner)
    followup_services.followups_schedule(today=TODAY())
    review = FollowUpReview.objects.get(case=case)
    assert due(case) == review.due_on
    before = asked.times(case.pk)
    followup_services.followup_review_complete(
        actor=world.probation_practitioner,
        review=review,
        data=followup_services.ReviewInput(reoffended=False, sources_checked=["police"]),
    )
    assert due(case) is None
    assert asked.times(case.pk) == before + 1


# --- the hook itself --------------------------------------------------------------------------------------------


def test_changes_in_one_scope_are_recomputed_once_at_its_end_in_the_same_transaction(
    world: World, asked: Asked
) -> None:
    case = make_case(world.triage_officer)
    case_services.case_assign_worker(actor=world.triage_officer, case=case, worker=world.advocate)
    later, sooner = TODAY() + dt.timedelta(days=12), TODAY() + dt.timedelta(days=5)
    with transaction.atomic():
        with case_services.next_due_scope():
            advocacy_services.contact_record(
                actor=world.advocate, case=case, data=contact_input(next_contact_due=later)
            )
            # Marked, not yet recomputed: the scope has not ended.
            assert asked.times(case.pk) == 0
            advocacy_services.safety_plan_review(
                actor=world.advocate, case=case, reviewed_on=TODAY(), summary="ok", next_review_on=sooner
            )
        # Once for both changes, and already right before the transaction commits.
        assert asked.times(case.pk) == 1
        assert due(case) == sooner


def test_a_failed_scope_recomputes_nothing_and_leaves_nothing_pending(world: World, asked: Asked) -> None:
    case = make_case(world.triage_officer)

    def failing_service() -> None:
        with case_services.next_due_scope():
            case_services.next_due_changed(case_ids=[case.pk])
            raise RuntimeError("the service failed")

    with pytest.raises(RuntimeError):
        failing_service()
    assert asked.times(case.pk) == 0
    with case_services.next_due_scope():
        pass
    assert asked.times(case.pk) == 0


def test_outside_a_scope_a_change_is_recomputed_at_once(world: World, asked: Asked) -> None:
    case = make_case(world.triage_officer)
    case_services.next_due_changed(case_ids=[case.pk])
    assert asked.times(case.pk) == 1


def test_many_cases_are_recomputed_in_one_set_based_pass(world: World, asked: Asked) -> None:
    cases = [make_case(world.triage_officer, crime_reference=f"CH/{n}/26") for n in range(1, 6)]
    Case.objects.filter(pk__in=[c.pk for c in cases]).update(next_due_on=TODAY())  # wrong: nothing is due
    with case_services.next_due_scope():
        for case in cases:
            case_services.next_due_changed(case_ids=[case.pk])
            case_services.next_due_changed(case_ids=[case.pk])
    assert asked.calls == [sorted(c.pk for c in cases)]
    assert all(due(c) is None for c in cases)


# --- the structure: no recompute outside the hook ----------------------------------------------------------------

ROOT = Path(settings.BASE_DIR)
HOOK = ROOT / "cases" / "services.py"


def project_modules() -> list[Path]:
    skip = {".venv", "node_modules", "migrations", "tests", "var", "static"}
    return sorted(
        p for p in ROOT.rglob("*.py") if not skip.intersection(p.relative_to(ROOT).parts) and p.name != "conftest.py"
    )


def test_only_the_hook_recomputes_or_writes_the_due_date() -> None:
    found = []
    for path in project_modules():
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            # The old per-service refresh, or the hook's own recompute, called directly.
            if name in {"case_refresh_next_due", "_next_due_recompute"} and path != HOOK:
                found.append(f"{path.relative_to(ROOT)}:{node.lineno} calls {name}")
            # A write of the column through the ORM: .update(next_due_on=...) or bulk_update([...], ["next_due_on"]).
            writes = any(k.arg == "next_due_on" for k in node.keywords) and name == "update"
            writes |= name == "bulk_update" and "next_due_on" in ast.unparse(node)
            if writes and path != HOOK:
                found.append(f"{path.relative_to(ROOT)}:{node.lineno} writes next_due_on")
    assert found == []
    assert len(project_modules()) > 100  # the walk found the project
