"""The migration that re-classifies re-offending by the programme's definition (the break decides
the kind, the victim is recorded apart), run against records the old rule labelled."""

from __future__ import annotations

import datetime as dt
import importlib

import pytest
from django.apps import apps

from followups.models import ReoffendingCandidate, ReoffendingRecord
from tests.factories import World
from tests.followups_factories import accepted_case, referral_naming_perpetrator

pytestmark = pytest.mark.django_db

MIGRATION = importlib.import_module("followups.migrations.0002_reoffending_kind_by_break")


def record(case_id: int, on: dt.date, kind: str, victim: str) -> ReoffendingRecord:
    return ReoffendingRecord.objects.create(
        case_id=case_id, occurred_on=on, kind=kind, victim=victim, source="police", offence="other"
    )


def test_new_victim_within_six_months_becomes_persistence_and_keeps_its_history(world: World) -> None:
    # Received 2025-01-01 (no last incident): the behaviour known to the case.
    case = accepted_case(world, decided_on=dt.date(2025, 1, 11), received_on=dt.date(2025, 1, 1))
    a_month_on = record(case.pk, dt.date(2025, 2, 1), "recurrence", "new")  # the old rule's label
    after_a_break = record(case.pk, dt.date(2025, 9, 1), "recurrence", "new")  # 7 months after 2025-02-01
    soon_after = record(case.pk, dt.date(2025, 10, 1), "recurrence", "new")  # a month after 2025-09-01
    same_victim = record(case.pk, dt.date(2025, 3, 1), "persistence", "same")
    MIGRATION.reclassify(apps, None)
    kinds = {r.pk: r.kind for r in ReoffendingRecord.objects.filter(case=case)}
    assert kinds == {
        a_month_on.pk: "persistence",
        after_a_break.pk: "recurrence",
        soon_after.pk: "persistence",
        same_victim.pk: "persistence",
    }
    # The victim is untouched; the history holds the kind it had, and why it changed.
    assert ReoffendingRecord.objects.get(pk=a_month_on.pk).victim == "new"
    events = list(
        apps.get_model("followups", "ReoffendingRecordEvent")
        .objects.filter(pgh_obj_id=a_month_on.pk)
        .order_by("pgh_id")
        .values_list("kind", "pgh_context__metadata")
    )
    assert [kind for kind, _ in events] == ["recurrence", "persistence"]
    assert events[-1][1]["reason"] == MIGRATION.REASON


def test_a_detected_candidate_is_reclassified_by_its_own_last_known_behaviour(world: World) -> None:
    earlier = accepted_case(world, decided_on=dt.date(2025, 1, 5), received_on=dt.date(2025, 1, 1))
    referral_naming_perpetrator(
        earlier,
        actor=world.probation_practitioner,
        same_victim=False,
        offence="other",
        referral_reason="other",
        relationship="stranger",
        behaviour_started_on=dt.date(2025, 2, 1),
    )
    candidate = ReoffendingCandidate.objects.get(case=earlier)
    # As the old rule had it.
    ReoffendingCandidate.objects.filter(pk=candidate.pk).update(kind="recurrence")
    MIGRATION.reclassify(apps, None)
    candidate.refresh_from_db()
    assert (candidate.kind, candidate.victim) == ("persistence", "new")


def test_outcomes_map_to_the_home_office_types_keeping_their_history(world: World) -> None:
    from cases.models import CriminalJusticeOutcome

    outcome_migration = importlib.import_module("cases.migrations.0008_evaluation_fields_and_home_office_outcomes")
    case = accepted_case(world, decided_on=dt.date(2025, 1, 11))
    made = {
        old: CriminalJusticeOutcome.objects.create(
            case=case, kind=old, decided_on=dt.date(2025, 2, 1), recorded_by=world.triage_officer
        )
        for old in ("charge", "summons", "caution", "community_resolution", "nfa_evidential",
                    "nfa_victim_does_not_support")
    }  # fmt: skip
    outcome_migration.to_home_office(apps, None)
    kinds = {old: CriminalJusticeOutcome.objects.get(pk=o.pk).kind for old, o in made.items()}
    assert kinds == {
        "charge": "charge_summons",
        "summons": "charge_summons",
        "caution": "adult_caution",
        "community_resolution": "community_resolution",
        "nfa_evidential": "evidential_victim_supports",
        "nfa_victim_does_not_support": "evidential_no_victim_support",
    }
    assert CriminalJusticeOutcome.objects.get(pk=made["nfa_evidential"].pk).home_office_outcome == "15"
    history = (
        apps.get_model("cases", "CriminalJusticeOutcomeEvent")
        .objects.filter(pgh_obj_id=made["summons"].pk)
        .order_by("pgh_id")
        .values_list("kind", flat=True)
    )
    assert list(history) == ["summons", "charge_summons"]
