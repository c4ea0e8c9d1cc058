"""Accepted cases and their monitoring, built through the services."""

from __future__ import annotations

import datetime as dt
from typing import Any

from cases import services
from cases.models import Case, CaseParty, PartyRole
from tests.case_factories import make_case
from tests.factories import World


def accepted_case(world: World, *, decided_on: dt.date, worker: Any = None, **kwargs: Any) -> Case:
    """A case accepted on ``decided_on`` (which opens its monitoring), optionally with a worker."""
    kwargs.setdefault("received_on", decided_on - dt.timedelta(days=10))
    case = make_case(world.triage_officer, **kwargs)
    services.case_transition(actor=world.triage_officer, case=case, to_status="awaiting_triage")
    services.case_transition(actor=world.triage_officer, case=case, to_status="accepted", on=decided_on)
    if worker is not None:
        services.case_assign_worker(actor=world.triage_officer, case=case, worker=worker)
    return Case.objects.get(pk=case.pk)


def in_monitoring(world: World, case: Case) -> Case:
    services.case_transition(actor=world.triage_officer, case=case, to_status="active")
    services.case_transition(actor=world.triage_officer, case=case, to_status="monitoring")
    return Case.objects.get(pk=case.pk)


def referral_naming_perpetrator(earlier: Case, *, actor: Any, same_victim: bool = False, **referral: Any) -> Case:
    """A new referral, recorded today by ``actor``'s agency, that links the earlier case's
    perpetrator (so detection raises a candidate on ``earlier``): the same victim, or a new one."""
    parties = {p.role: p.person_id for p in CaseParty.objects.filter(case=earlier)}
    victim = (
        services.PartyInput(role=PartyRole.VICTIM, link_person_id=parties[PartyRole.VICTIM])
        if same_victim
        else services.PartyInput(
            role=PartyRole.VICTIM, person=services.PersonInput(given_name="Ola", family_name="Brand")
        )
    )
    fields: dict[str, Any] = {
        "received_on": dt.date.today(),
        "referring_agency_kind": actor.agency.kind,
        "offence": "s2a_stalking",
        "referral_reason": "arrest",
        "relationship": "stranger",
        **referral,
    }
    return services.referral_create(
        actor=actor,
        data=services.ReferralInput(**fields),
        parties=[
            victim,
            services.PartyInput(role=PartyRole.PERPETRATOR, link_person_id=parties[PartyRole.PERPETRATOR]),
        ],
    )
