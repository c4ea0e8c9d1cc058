"""Return definitions as data: every edit is a new version, and a generated return keeps its own."""

from __future__ import annotations

import io
from typing import Any

import openpyxl
import pytest
from django.core.exceptions import ValidationError
from django.http import Http404

from reporting.models import DefinitionVersion, GeneratedReturn, ReturnStatus
from reporting.returns import measures, services
from reporting.returns.measures import IndicatorSpec
from reporting.returns.views import return_file
from tests.factories import World
from tests.reporting_returns_data import Q3, build

pytestmark = pytest.mark.django_db

CLINIC_SPEC = IndicatorSpec(
    key="", label="Cases open at the end of the quarter", section="Triage", measure="cases", date_basis="open_at_end"
)


def _generate(world: World, definition: Any) -> GeneratedReturn:
    """Queue a return and run the job's service here (the real worker is tested in test_reporting_returns_worker)."""
    generated = services.return_request(
        actor=world.programme_manager, definition=definition, quarter=Q3, suppress_small_numbers=False
    )
    assert services.return_generate(return_id=generated.pk) == "done"
    generated.refresh_from_db()
    return generated


def _keys(generated: GeneratedReturn) -> list[str]:
    return [i["key"] for s in generated.results["sections"] for i in s["indicators"]]


def test_an_edit_changes_the_next_return_and_not_the_stored_one(
    world: World, other_world: World, django_capture_on_commit_callbacks: Any
) -> None:
    build(world, other_world)
    definition = services.definition_ensure_default(partnership=world.partnership, actor=world.programme_manager)
    with django_capture_on_commit_callbacks(execute=False):
        first = _generate(world, definition)
    assert first.version.number == 1
    assert "cases_open_at_the_end_of_the_quarter" not in _keys(first)
    stored = first.results

    version = services.indicator_add(actor=world.programme_manager, definition=definition, spec=CLINIC_SPEC, based_on=1)
    assert version.number == 2 and version.note == "Added “Cases open at the end of the quarter”"
    # Added at the end of its section (Triage): after cases_accepted_by_tier, before the Risk section.
    keys = list(version.indicators.order_by("position").values_list("key", flat=True))
    assert keys[keys.index("cases_accepted_by_tier") + 1] == "cases_open_at_the_end_of_the_quarter"
    assert keys[keys.index("cases_open_at_the_end_of_the_quarter") + 1] == "risk_sash_at_triage"

    with django_capture_on_commit_callbacks(execute=False):
        second = _generate(world, definition)
    assert second.version.number == 2
    triage = next(s for s in second.results["sections"] if s["title"] == "Triage")
    added = next(i for i in triage["indicators"] if i["key"] == "cases_open_at_the_end_of_the_quarter")
    # Accepted by 31 Dec and open then: C1, C2, C4, C8, C9, C10.
    assert added["total"] == 6

    first.refresh_from_db()
    assert first.version.number == 1
    assert first.results == stored
    assert "cases_open_at_the_end_of_the_quarter" not in _keys(first)
    # Version 1 still has its 24 indicators; the earlier return's spreadsheet still shows version 1's.
    assert DefinitionVersion.objects.get(definition=definition, number=1).indicators.count() == 24
    response = return_file(user=world.programme_manager, generated=first, file_format="xlsx")
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    assert book["Cover"]["B7"].value == 1
    triage_sheet = [row[0] for row in book["Triage"].iter_rows(values_only=True)]
    assert "cases_open_at_the_end_of_the_quarter" not in triage_sheet


def test_remove_and_move_make_versions(world: World) -> None:
    definition = services.definition_ensure_default(partnership=world.partnership, actor=world.programme_manager)
    pm = world.programme_manager
    v2 = services.indicator_move(actor=pm, definition=definition, key="cases_accepted", direction="up", based_on=1)
    keys = list(v2.indicators.order_by("position").values_list("key", flat=True))
    assert keys[:2] == ["cases_accepted", "referrals_received"]
    v3 = services.indicator_remove(actor=pm, definition=definition, key="training_attendees", based_on=2)
    assert v3.number == 3
    assert not v3.indicators.filter(key="training_attendees").exists()
    assert (
        DefinitionVersion.objects.get(definition=definition, number=2)
        .indicators.filter(key="training_attendees")
        .exists()
    )
    with pytest.raises(ValidationError) as first:
        services.indicator_move(actor=pm, definition=definition, key="cases_accepted", direction="up", based_on=3)
    assert "already first" in str(first.value)


def test_a_stale_edit_is_refused(world: World) -> None:
    definition = services.definition_ensure_default(partnership=world.partnership, actor=world.programme_manager)
    services.indicator_remove(
        actor=world.programme_manager, definition=definition, key="training_attendees", based_on=1
    )
    with pytest.raises(ValidationError) as stale:
        services.indicator_remove(actor=world.admin, definition=definition, key="training_sessions", based_on=1)
    assert "based_on" in stale.value.message_dict
    assert definition.versions.count() == 2


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"measure": "salaries"}, "measure"),
        ({"date_basis": "decided"}, "date_basis"),  # referrals are counted on their received date only
        ({"filters": {"intervention_type": ["perpetrator_direct_intervention"]}}, "filters"),
        ({"filters": {"decision": ["maybe"]}}, "filters"),
        ({"breakdown": "gender"}, "breakdown"),  # a referral has no one gender
        ({"label": " "}, "label"),
        ({"key": "Has Spaces"}, "key"),
        ({"key": "referrals_received"}, "key"),  # taken
    ],
)
def test_indicators_outside_the_vocabulary_are_refused(world: World, change: dict[str, Any], field: str) -> None:
    definition = services.definition_ensure_default(partnership=world.partnership, actor=world.programme_manager)
    spec = IndicatorSpec(key="new_one", label="New", section="Referrals", measure="referrals", date_basis="received")
    for name, value in change.items():
        setattr(spec, name, value)
    with pytest.raises(ValidationError) as refused:
        services.indicator_add(actor=world.programme_manager, definition=definition, spec=spec, based_on=1)
    assert field in refused.value.message_dict
    assert definition.versions.count() == 1


def test_only_programme_roles_of_the_partnership_edit(world: World, other_world: World) -> None:
    definition = services.definition_ensure_default(partnership=world.partnership, actor=world.programme_manager)
    for outsider in (world.triage_officer, world.advocate, other_world.programme_manager):
        with pytest.raises(Http404):
            services.indicator_remove(actor=outsider, definition=definition, key="training_attendees", based_on=1)
        with pytest.raises(Http404):
            services.return_request(actor=outsider, definition=definition, quarter=Q3, suppress_small_numbers=False)
    assert definition.versions.count() == 1


def test_the_default_definition_is_made_once(world: World) -> None:
    first = services.definition_ensure_default(partnership=world.partnership)
    again = services.definition_ensure_default(partnership=world.partnership)
    assert first.pk == again.pk
    indicators = services.latest_version(first).indicators.order_by("position")
    assert [i.key for i in indicators] == [s.key for s in measures.DEFAULT_INDICATORS]


def test_a_future_quarter_cannot_be_generated(world: World) -> None:
    definition = services.definition_ensure_default(partnership=world.partnership)
    with pytest.raises(ValidationError) as future:
        services.return_request(
            actor=world.programme_manager,
            definition=definition,
            quarter=measures.Quarter(2100, 1),
            suppress_small_numbers=False,
        )
    assert "quarter" in future.value.message_dict
    assert not GeneratedReturn.objects.exists()


def test_generating_twice_is_harmless(world: World, django_capture_on_commit_callbacks: Any) -> None:
    definition = services.definition_ensure_default(partnership=world.partnership)
    with django_capture_on_commit_callbacks(execute=False):
        generated = _generate(world, definition)
    finished = generated.finished_at
    # A redelivered job finds the return done and leaves it as it is.
    assert services.return_generate(return_id=generated.pk) == "not_pending"
    generated.refresh_from_db()
    assert generated.status == ReturnStatus.DONE and generated.finished_at == finished
    assert generated.indicators_done == generated.indicators_total == 24


def test_quarters_of_the_financial_year() -> None:
    assert (measures.Quarter(2025, 1).start, measures.Quarter(2025, 1).end).__repr__() == (
        "(datetime.date(2025, 4, 1), datetime.date(2025, 6, 30))"
    )
    q4 = measures.Quarter(2025, 4)
    assert (q4.start.isoformat(), q4.end.isoformat(), q4.label) == ("2026-01-01", "2026-03-31", "2025/26 Q4")
    assert measures.Quarter.parse("2025-q3") == Q3
    assert measures.Quarter.parse("2025-Q5") is None and measures.Quarter.parse("Q3") is None
    import datetime as dt

    assert measures.Quarter.containing(dt.date(2026, 3, 31)) == q4
    assert measures.Quarter.containing(dt.date(2026, 4, 1)) == measures.Quarter(2026, 1)
    assert Q3.range_for("year_to_date") == (dt.date(2025, 4, 1), dt.date(2025, 12, 31))
