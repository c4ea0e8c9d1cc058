"""The catalogue of unit costs as a file: checked whole before writing, a partnership's own
entries replace the shipped ones for it alone, and figures stay exact Decimals."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from costs import selectors
from costs.models import UnitCost
from tests.cost_factories import catalogue_shipped
from tests.factories import World

pytestmark = pytest.mark.django_db


def _write(path: Path, entries: list[dict[str, object]]) -> Path:
    path.write_text(
        json.dumps(
            {"format": "masip-unit-costs/1", "catalogue": "Cheshire 2020", "price_year": 2020, "unit_costs": entries}
        )
    )
    return path


def test_a_partnership_file_replaces_shipped_entries_for_that_partnership_only(
    world: World, other_world: World, tmp_path: Path
) -> None:
    catalogue_shipped()
    # A JSON number, not a string: read as Decimal, so 0.1 + 0.2 style errors cannot creep in.
    text = (
        '{"format": "masip-unit-costs/1", "catalogue": "Own", "price_year": 2020, "unit_costs": ['
        '{"key": "moving_house", "label": "Moving house (local survey)", "kind": "money", "bearer": "victim",'
        ' "amount": 9120.10}]}'
    )
    path = tmp_path / "own.json"
    path.write_text(text)
    call_command("load_unit_costs", str(path), partnership=world.partnership.slug)
    own = {u.key: u for u in selectors.unit_costs_for_user(user=world.programme_manager)}
    assert own["moving_house"].amount == Decimal("9120.10")
    assert own["moving_house"].partnership_id == world.partnership.pk
    assert "suicide" in own  # shipped entries it did not replace are still offered
    theirs = {u.key: u for u in selectors.unit_costs_for_user(user=other_world.programme_manager)}
    assert theirs["moving_house"].amount == Decimal("8855.00")


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        (
            {"key": "x", "label": "X", "kind": "qaly", "bearer": "victim", "qaly_loss": "0.1"},
            "'value_of_year': required",
        ),
        ({"key": "x", "label": "X", "kind": "money", "bearer": "council", "amount": "1"}, "'bearer' must be one of"),
        ({"key": "X Y", "label": "X", "kind": "money", "bearer": "state", "amount": "1"}, "'key' must be lower-case"),
        ({"key": "x", "label": "X", "kind": "money", "bearer": "state", "amount": "-5"}, "number of 0 or more"),
        (
            {"key": "x", "label": "X", "kind": "qaly", "bearer": "victim", "qaly_loss": "2", "value_of_year": "1"},
            "at most 1",
        ),
    ],
)
def test_a_bad_file_is_refused_whole(world: World, tmp_path: Path, entry: dict[str, object], message: str) -> None:
    good: dict[str, object] = {"key": "good", "label": "Good", "kind": "money", "bearer": "state", "amount": "10"}
    path = _write(tmp_path / "bad.json", [good, entry])
    with pytest.raises(CommandError) as exc:
        call_command("load_unit_costs", str(path), partnership=world.partnership.slug)
    assert message in str(exc.value)
    assert not UnitCost.objects.filter(partnership=world.partnership).exists()
