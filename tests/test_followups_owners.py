"""Who a follow-up job puts a case before (``case_owners``), and what an earlier case knows of the
perpetrator's behaviour when a new referral names him (``last_known_behaviour``): both asked for
many cases at once, with a fixed number of queries."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cases import services as case_services
from cases.models import Breach, Case, CaseGroupObjectPermission, CaseParty, Order, PartyRole
from followups import services
from followups.models import ReoffendingCandidate, ReoffendingRecord
from tests.case_factories import make_case
from tests.factories import World, make_user
from tests.followups_factories import accepted_case

pytestmark = pytest.mark.django_db


def queries(call: Any) -> tuple[Any, int]:
    with CaptureQueriesContext(connection) as ctx:
        result = call()
    return result, len(ctx.captured_queries)


def test_owners_are_the_worker_who_may_see_the_case_else_its_triage_officers(world: World) -> None:
    from agencies.models import Role

    decided = dt.date.today() - dt.timedelta(days=30)
    assigned = accepted_case(world, decided_on=decided, worker=world.advocate, crime_reference="CH/1/26")
    plain = accepted_case(world, decided_on=decided, crime_reference="CH/2/26")
    restricted = accepted_case(world, decided_on=decided, crime_reference="CH/3/26")
    Case.objects.filter(pk=restricted.pk).update(is_restricted=True)
    # The worker's agency no longer sees this one: it goes to the triage officers instead.
    moved = accepted_case(world, decided_on=decided, worker=world.advocate, crime_reference="CH/4/26")
    CaseGroupObjectPermission.objects.filter(content_object=moved, group=world.advocacy.group).delete()
    second_officer = make_user(world.police, Role.TRIAGE_OFFICER)
    # An officer of another partnership, or of an agency the case is not shared with, never owns it.
    World("Elsewhere")
    CaseGroupObjectPermission.objects.filter(content_object=plain, group=world.probation.group).delete()
    probation_officer = make_user(world.probation, Role.TRIAGE_OFFICER)
    owners = services.case_owners([assigned.pk, plain.pk, restricted.pk, moved.pk])
    officers = sorted([world.triage_officer.pk, second_officer.pk])
    assert [u.pk for u in owners[assigned.pk]] == [world.advocate.pk]
    assert sorted(u.pk for u in owners[plain.pk]) == officers
    assert owners[restricted.pk] == []
    # Still shared with probation: its triage officer is one of them.
    assert sorted(u.pk for u in owners[moved.pk]) == sorted([*officers, probation_officer.pk])


def test_owners_take_the_same_queries_for_one_case_or_many(world: World) -> None:
    decided = dt.date.today() - dt.timedelta(days=30)
    cases = [accepted_case(world, decided_on=decided, crime_reference=f"CH/{n}/26") for n in range(1, 5)]
    _, one = queries(lambda: services.case_owners([cases[0].pk]))
    found, many = queries(lambda: services.case_owners([c.pk for c in cases]))
    assert one == many
    assert all(found[c.pk] for c in cases)


def test_last_known_behaviour_is_the_latest_of_incident_breach_and_record_in_two_queries(world: World) -> None:
    received = dt.date(2025, 1, 1)
    only_received = accepted_case(world, decided_on=dt.date(2025, 1, 11), received_on=received, crime_reference="A/1")
    breached = accepted_case(world, decided_on=dt.date(2025, 1, 11), received_on=received, crime_reference="A/2")
    recorded = accepted_case(world, decided_on=dt.date(2025, 1, 11), received_on=received, crime_reference="A/3")
    order = Order.objects.create(
        case=breached, kind="restraining_order", made_on=dt.date(2025, 2, 1), recorded_by=world.triage_officer
    )
    breach_on = dt.date(2025, 4, 2)
    for on in (dt.date(2025, 3, 1), breach_on):
        Breach.objects.create(order=order, occurred_on=on, recorded_by=world.triage_officer)
    record_on = dt.date(2025, 6, 3)
    for on in (dt.date(2025, 5, 1), record_on):
        ReoffendingRecord.objects.create(
            case=recorded, occurred_on=on, kind="persistence", victim="same", source="police", offence="other"
        )
    cases = list(Case.objects.filter(pk__in=[only_received.pk, breached.pk, recorded.pk]).select_related("referral"))
    known, count = queries(lambda: services.last_known_behaviour(cases))
    assert count == 2
    assert known == {only_received.pk: received, breached.pk: breach_on, recorded.pk: record_on}


def test_a_new_referral_reads_what_its_earlier_cases_knew_with_two_queries_however_many(world: World) -> None:
    from tests.followups_factories import referral_naming_perpetrator

    def reads_of_earlier_behaviour(earlier_count: int) -> int:
        first = accepted_case(world, decided_on=dt.date(2025, 1, 11), received_on=dt.date(2025, 1, 1))
        person = CaseParty.objects.get(case=first, role=PartyRole.PERPETRATOR).person_id
        for n in range(earlier_count - 1):
            make_case(
                world.triage_officer,
                link_perpetrator_id=person,
                received_on=dt.date(2025, 2, 1) + dt.timedelta(days=n),
                crime_reference=f"B/{earlier_count}/{n}",
            )
            later = Case.objects.order_by("-pk").first()
            assert later is not None
            case_services.case_transition(actor=world.triage_officer, case=later, to_status="awaiting_triage")
            case_services.case_transition(
                actor=world.triage_officer, case=later, to_status="accepted", on=dt.date(2025, 2, 20)
            )
        with CaptureQueriesContext(connection) as ctx:
            new = referral_naming_perpetrator(first, actor=world.triage_officer)
        assert ReoffendingCandidate.objects.filter(new_case=new).count() == earlier_count
        return sum(
            1
            for q in ctx.captured_queries
            if "MAX(" in q["sql"] and ('"cases_breach"' in q["sql"] or '"followups_reoffendingrecord"' in q["sql"])
        )

    # Breaches and re-offending records read once each, for one earlier case or four.
    assert reads_of_earlier_behaviour(1) == 2
    assert reads_of_earlier_behaviour(4) == 2
