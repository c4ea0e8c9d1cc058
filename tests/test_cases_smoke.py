from __future__ import annotations

import pytest

from cases import selectors
from tests.case_factories import VICTIM_ADDRESS, make_case
from tests.factories import World

pytestmark = pytest.mark.django_db


def test_intake_shares_and_redacts(world: World, other_world: World) -> None:
    case = make_case(world.triage_officer)
    page = selectors.case_list_for_user(user=world.advocate, filters=selectors.CaseloadFilters())
    assert [r.case.pk for r in page.rows] == [case.pk]
    detail = selectors.case_detail_for_user(user=world.probation_practitioner, case_id=case.pk)
    assert detail.victim is not None and detail.victim.addresses == []
    detail = selectors.case_detail_for_user(user=world.advocate, case_id=case.pk)
    assert VICTIM_ADDRESS in detail.victim.addresses[0]  # type: ignore[union-attr]
    assert selectors.case_list_for_user(user=other_world.advocate, filters=selectors.CaseloadFilters()).rows == []
