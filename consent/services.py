"""Recording a victim's consent and its withdrawal. Keyword-only, typed, atomic."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404

from agencies.models import User
from audit.models import AccessAction
from audit.services import access_record
from cases.models import CaseParty
from cases.permissions import VICTIM_ROLES, people_classes
from cases.selectors import case_get_for_user
from consent import permissions, selectors
from consent.models import Consent, Method, Purpose


@transaction.atomic
def consent_record(
    *,
    actor: User,
    case_id: int,
    person_id: int,
    purpose: str,
    given: bool,
    given_on: dt.date,
    method: str,
    note: str = "",
) -> Consent:
    case = case_get_for_user(user=actor, case_id=case_id)
    if not permissions.can_record_consent(actor, case):
        raise Http404
    errors: dict[str, str] = {}
    is_victim = CaseParty.objects.filter(case=case, person_id=person_id, role__in=VICTIM_ROLES).exists()
    if not is_victim or person_id not in people_classes(actor, [person_id]).identity:
        errors["person"] = "Choose a victim in this case"
    if purpose not in Purpose.values:
        errors["purpose"] = "Choose what the consent is for"
    if method not in Method.values:
        errors["method"] = "Choose how she gave her answer"
    if given_on > dt.date.today():
        errors["given_on"] = "The date must be today or in the past"
    if errors:
        raise ValidationError(errors)
    assert actor.agency is not None
    record = Consent.objects.create(
        person_id=person_id,
        case=case,
        purpose=purpose,
        given=given,
        given_on=given_on,
        method=method,
        note=note.strip(),
        recorded_by=actor,
        agency=actor.agency,
    )
    access_record(user=actor, action=AccessAction.CREATE, record_type="consent.consent", record_ids=[record.pk])
    return record


@transaction.atomic
def consent_withdraw(*, actor: User, consent_id: int, withdrawn_on: dt.date, method: str) -> Consent:
    record = selectors.consent_for_change(user=actor, consent_id=consent_id)
    # Locked: two withdrawals of one consent write one date.
    record = Consent.objects.select_for_update().get(pk=record.pk)
    errors: dict[str, str] = {}
    if not record.in_force:
        errors["withdrawn_on"] = "This consent is not in force"
    if method not in Method.values:
        errors["method"] = "Choose how she withdrew it"
    if withdrawn_on > dt.date.today():
        errors["withdrawn_on"] = "The date must be today or in the past"
    elif withdrawn_on < record.given_on:
        errors["withdrawn_on"] = "Consent cannot be withdrawn before it was given"
    if errors:
        raise ValidationError(errors)
    Consent.objects.filter(pk=record.pk).update(withdrawn_on=withdrawn_on, withdrawal_method=method, withdrawn_by=actor)
    access_record(user=actor, action=AccessAction.CHANGE, record_type="consent.consent", record_ids=[record.pk])
    record.refresh_from_db()
    return record


def on_person_merged(survivor: object, merged: object, actor: object) -> None:
    """Her consents are the survivor's now (inside the merge's transaction)."""
    Consent.objects.filter(person_id=merged.pk).update(person_id=survivor.pk)  # type: ignore[attr-defined]
