"""What a merge of two person records does beyond the cases app (cases.extensions person-merge
listeners): the victim's advocacy records follow her identity, a merge that would leave her
with two of something she may have once per case is refused whole, and one identity for a
perpetrator raises the re-offending that two records hid."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from advocacy import services as advocacy_services
from advocacy.models import AdvocateAssignment, ContactLogEntry
from cases import services as case_services
from cases.models import CaseParty, PartyRole, Person
from followups.models import ReoffendingCandidate
from tests.advocacy_factories import contact_input, victim_id
from tests.case_factories import make_case
from tests.factories import World
from tests.followups_factories import accepted_case

pytestmark = pytest.mark.django_db


def _perpetrator(case_id: int) -> Person:
    return CaseParty.objects.get(case_id=case_id, role=PartyRole.PERPETRATOR, is_primary=True).person


def test_the_victims_advocacy_records_follow_the_surviving_record(world: World) -> None:
    first = make_case(world.triage_officer, crime_reference="CH/1/26")
    second = make_case(world.triage_officer, victim_name=("Hanna", "Mills"), crime_reference="CH/2/26")
    survivor, duplicate = Person.objects.get(pk=victim_id(first)), Person.objects.get(pk=victim_id(second))
    advocacy_services.advocate_assign(actor=world.advocate, case=first, advocate=world.advocate)
    advocacy_services.advocate_assign(actor=world.advocate, case=second, advocate=world.advocate)
    contact = advocacy_services.contact_record(actor=world.advocate, case=second, data=contact_input())

    case_services.person_merge(
        actor=world.triage_officer, survivor=survivor, merged=duplicate, reason="Same woman, name misspelt"
    )

    # Her advocate and contact on the second case now name the surviving record, which is
    # the one the second case's victim part names, so the advocacy pages still find them.
    assert CaseParty.objects.get(case=second, role=PartyRole.VICTIM).person_id == survivor.pk
    assert set(AdvocateAssignment.objects.values_list("case_id", "person_id")) == {
        (first.pk, survivor.pk),
        (second.pk, survivor.pk),
    }
    assert ContactLogEntry.objects.get(pk=contact.pk).person_id == survivor.pk
    assert not AdvocateAssignment.objects.filter(person=duplicate).exists()
    current = advocacy_services.current_assignment(case_id=second.pk, person_id=survivor.pk)
    assert current is not None and current.advocate_id == world.advocate.pk


def test_two_current_advocates_on_one_case_refuse_the_merge_and_nothing_changes(world: World) -> None:
    case = make_case(world.triage_officer)
    survivor = Person.objects.get(pk=victim_id(case))
    # The same woman entered twice on one case, once as a secondary victim.
    duplicate = Person.objects.create(
        partnership_id=survivor.partnership_id, given_name="Hannah", family_name="Mils", gender="female"
    )
    CaseParty.objects.create(case=case, person=duplicate, role=PartyRole.SECONDARY_VICTIM, is_primary=False)
    for person in (survivor, duplicate):
        advocacy_services.advocate_assign(actor=world.advocate, case=case, advocate=world.advocate, person_id=person.pk)

    with pytest.raises(ValidationError) as refused:
        case_services.person_merge(actor=world.triage_officer, survivor=survivor, merged=duplicate, reason="Same")

    assert refused.value.message_dict["merged"] == [
        f"These records cannot be merged yet: both records have a current advocate on case {case.reference}. "
        "Resolve that on the case first."
    ]
    duplicate.refresh_from_db()
    assert duplicate.merged_into_id is None
    assert CaseParty.objects.filter(case=case, person=duplicate, role=PartyRole.SECONDARY_VICTIM).exists()
    assert AdvocateAssignment.objects.filter(person=duplicate, ended_at__isnull=True).count() == 1


def test_one_identity_raises_the_reoffending_two_records_hid(world: World) -> None:
    today = timezone.localdate()
    earlier = accepted_case(
        world,
        decided_on=today - dt.timedelta(days=200),
        received_on=today - dt.timedelta(days=210),
        worker=world.advocate,
    )
    # A later referral entered the perpetrator as a new person: no link, no candidate.
    later = make_case(world.triage_officer, perpetrator_name=("Daren", "Cole"), crime_reference="CH/9/26")
    assert not ReoffendingCandidate.objects.exists()

    case_services.person_merge(
        actor=world.triage_officer,
        survivor=_perpetrator(earlier.pk),
        merged=_perpetrator(later.pk),
        reason="Same PNC ID",
    )

    candidate = ReoffendingCandidate.objects.get()
    assert (candidate.case_id, candidate.new_case_id, candidate.person_id) == (
        earlier.pk,
        later.pk,
        _perpetrator(earlier.pk).pk,
    )
    # A new victim, so recurrence whatever the gap.
    assert (candidate.kind, candidate.victim) == ("recurrence", "new")
