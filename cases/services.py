"""Every write about people, referrals and cases. One transaction per call."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.contrib.auth.models import Permission
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import connection, transaction
from django.http import Http404
from django.utils import timezone
from guardian.shortcuts import assign_perm, remove_perm

from agencies.models import Agency, RecordClass, Role, User
from agencies.selectors import partnership_uses_tiers
from audit.models import AccessAction
from audit.services import access_record
from cases import links, permissions
from cases.extensions import (
    OrderEvent,
    TransitionEvent,
    assignment_listeners,
    closure_blocks,
    order_listeners,
    person_merge_listeners,
    referral_listeners,
    transition_listeners,
)
from cases.identifiers import (
    normalise_crime_reference,
    normalise_identifier,
    normalise_name,
    valid_nhs_number,
    valid_pnc_id,
)
from cases.models import (
    DECLINE_REASONS,
    Address,
    Breach,
    BreakGlassAccess,
    Case,
    CaseEvent,
    CaseGroupObjectPermission,
    CaseNote,
    CaseParty,
    CaseStatus,
    ContactChannel,
    ContactDetail,
    CrimeReference,
    CriminalJusticeOutcome,
    Decision,
    DischargeReason,
    EventKind,
    Order,
    PartyRole,
    Person,
    PersonAlias,
    PersonMerge,
    Referral,
    ReferringAgency,
    SafeContactPreference,
    StalkerType,
)
from masip.concurrency import check_version

BREAK_GLASS_HOURS = 4


# --- the next date something is due on a case: one hook ------------------------------------------------------
#
# ``Case.next_due_on`` is derived: the earliest date any registered due source
# (cases.extensions.register_due_source) gives the case. A service that changes something
# due (a contact, a review, a session, a follow-up, a plan, an action) does not recompute it
# itself: it says which cases changed (``next_due_changed``), and the outermost
# ``next_due_scope`` around the work recomputes each of them once, set-based, as its last
# step and inside the same transaction, so the stored date is never wrong after a commit.


class _NextDuePending:
    """The state of one database connection: how deep the scopes go and the cases marked."""

    def __init__(self) -> None:
        self.depth = 0
        self.case_ids: set[int] = set()


# Recomputed this many cases at a time: each due source takes the ids in one IN list.
NEXT_DUE_BATCH = 5000


def _pending(using: str | None) -> _NextDuePending:
    connection = transaction.get_connection(using)
    state = connection.__dict__.get("_masip_next_due")
    if state is None:
        state = connection.__dict__["_masip_next_due"] = _NextDuePending()
    return state


@contextmanager
def next_due_scope(using: str | None = None) -> Iterator[None]:
    """Around a service (``@next_due_scope()``) or a bulk step (``with next_due_scope():``):
    the cases marked inside are recomputed once each when the outermost scope ends, inside
    its transaction. An inner scope (a service calling another, a listener) only collects.
    On an exception nothing is recomputed: the transaction's changes are rolled back too."""
    state = _pending(using)
    with transaction.atomic(using=using, savepoint=False):
        state.depth += 1
        try:
            yield
            if state.depth == 1:
                while state.case_ids:
                    ids = sorted(state.case_ids)
                    state.case_ids.clear()
                    for start in range(0, len(ids), NEXT_DUE_BATCH):
                        _next_due_recompute(ids[start : start + NEXT_DUE_BATCH])
        finally:
            state.depth -= 1
            if state.depth == 0:
                state.case_ids.clear()


def next_due_changed(*, case_ids: Iterable[int], using: str | None = None) -> None:
    """Something due on these cases was added, done, moved or ended. Inside a
    ``next_due_scope`` the cases are recomputed when it ends; outside one, at once (still in
    the caller's transaction), so a caller without a scope is never left with a stale date."""
    state = _pending(using)
    if state.depth:
        state.case_ids.update(case_ids)
        return
    with next_due_scope(using):
        next_due_changed(case_ids=case_ids, using=using)


def _next_due_recompute(case_ids: Sequence[int]) -> None:
    """Set ``Case.next_due_on`` of these cases to the earliest date of every registered due
    source (None when none has one); a set-based update that writes only what changes."""
    from cases.extensions import due_sources

    ids = list(dict.fromkeys(case_ids))
    if not ids:
        return
    earliest: dict[int, dt.date] = {}
    for source in due_sources():
        for case_id, due in source(ids).items():
            if case_id not in earliest or due < earliest[case_id]:
                earliest[case_id] = due
    # One statement for every case, writing only the rows whose date changes (bulk_update wrote
    # every row through a CASE of a thousand branches a batch: seconds per 10,000 cases).
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {Case._meta.db_table} AS c SET next_due_on = v.due "  # noqa: S608 (name from metadata)
            "FROM unnest(%s::bigint[], %s::date[]) AS v(id, due) "
            "WHERE c.id = v.id AND c.next_due_on IS DISTINCT FROM v.due",
            [ids, [earliest.get(case_id) for case_id in ids]],
        )


def _event(case: Case, *, actor: User | None, kind: EventKind, summary: str, **extra: Any) -> CaseEvent:
    return CaseEvent.objects.create(
        case=case, actor=actor, agency=actor.agency if actor is not None else None, kind=kind, summary=summary, **extra
    )


@transaction.atomic
def case_event_record(*, actor: User, case: Case, summary: str) -> CaseEvent:
    """A line on the case's timeline for what the meetings keep about it (the watch list),
    which belongs to the triage app: the timeline stays the one record of what happened."""
    permissions.require_case(actor, case)
    return _event(case, actor=actor, kind=EventKind.MEETING, summary=summary[:300])


# --- people --------------------------------------------------------------------------------------


@dataclass
class AddressInput:
    line_1: str
    line_2: str = ""
    town: str = ""
    postcode: str = ""


@dataclass
class ContactInput:
    kind: str
    value: str
    note: str = ""


@dataclass
class SafeContactInput:
    safe_times: str = ""
    channels: list[str] = field(default_factory=list)
    no_voicemail: bool = False
    code_word: str = ""
    notes: str = ""


@dataclass
class PersonInput:
    given_name: str = ""
    family_name: str = ""
    date_of_birth: dt.date | None = None
    age_band: str = ""
    gender: str = "unknown"
    ethnicity: str = ""
    disability: str = ""
    sexual_orientation: str = ""
    pnc_id: str = ""
    nhs_number: str = ""
    aliases: list[tuple[str, str]] = field(default_factory=list)
    addresses: list[AddressInput] = field(default_factory=list)
    contacts: list[ContactInput] = field(default_factory=list)
    safe_contact: SafeContactInput | None = None


# A full UK postcode, in the form Royal Mail publishes (outward code, space optional, inward
# code); BFPO and overseas addresses go in the address lines, not here.
_UK_POSTCODE = re.compile(r"[A-Z]{1,2}[0-9][A-Z0-9]? ?[0-9][A-Z]{2}")
_PHONE_PUNCTUATION = re.compile(r"[\s().-]")


def valid_uk_postcode(value: str) -> bool:
    return bool(_UK_POSTCODE.fullmatch(value.strip().upper()))


def valid_uk_phone(value: str) -> bool:
    """A UK number, landline or mobile: 0 and 9 or 10 more digits, or the same after +44."""
    digits = _PHONE_PUNCTUATION.sub("", value.strip())
    if digits.startswith("+44"):
        digits = "0" + digits.removeprefix("+44").removeprefix("0")
    return bool(re.fullmatch(r"0\d{9,10}", digits))


def contact_detail_errors(data: PersonInput, prefix: str) -> dict[str, str]:
    """Postcodes and phone numbers: the referral form and the API refuse the same ones."""
    errors: dict[str, str] = {}
    for address in data.addresses:
        if address.postcode.strip() and not valid_uk_postcode(address.postcode):
            errors[f"{prefix}postcode"] = "Enter a real postcode, like CH1 4QT"
    for contact in data.contacts:
        value = contact.value.strip()
        if contact.kind in {"phone", "mobile"} and value and not valid_uk_phone(value):
            errors[f"{prefix}phone"] = "Enter a UK phone number, like 01632 960 001 or 07700 900 982"
    return errors


def person_errors(data: PersonInput, prefix: str = "") -> dict[str, str]:
    """Everything the service refuses in one person's details, keyed ``{prefix}field``.

    Public so that a form can say all of it on the first submit; the writers below check
    the same again, so nothing reaches the database unchecked.
    """
    return _validate_person(data, prefix)


def _validate_person(data: PersonInput, prefix: str) -> dict[str, str]:
    errors: dict[str, str] = contact_detail_errors(data, prefix)
    if not (data.given_name.strip() or data.family_name.strip() or data.pnc_id or data.nhs_number):
        errors[f"{prefix}family_name"] = "Enter a name or an identifier"
    if data.date_of_birth and data.date_of_birth > timezone.localdate():
        errors[f"{prefix}date_of_birth"] = "Date of birth must be in the past"
    nhs = normalise_identifier(data.nhs_number)
    if nhs and not valid_nhs_number(nhs):
        errors[f"{prefix}nhs_number"] = "Enter a valid 10-digit NHS number"
    pnc = normalise_identifier(data.pnc_id)
    if pnc and not valid_pnc_id(pnc):
        errors[f"{prefix}pnc_id"] = "Enter a PNC ID in the format YY/NNNNNNNA, like 19/123456A"
    return errors


def _write_person_details(person: Person, data: PersonInput) -> None:
    for given, family in data.aliases:
        if given.strip() or family.strip():
            PersonAlias.objects.create(
                person=person,
                given_name=given.strip(),
                family_name=family.strip(),
                name_normalised=normalise_name(given, family),
            )
    for address in data.addresses:
        if address.line_1.strip():
            Address.objects.create(
                person=person,
                line_1=address.line_1.strip(),
                line_2=address.line_2.strip(),
                town=address.town.strip(),
                postcode=address.postcode.strip().upper(),
            )
    for contact in data.contacts:
        if contact.value.strip():
            ContactDetail.objects.create(
                person=person, kind=contact.kind, value=contact.value.strip(), note=contact.note
            )
    if data.safe_contact is not None:
        _write_safe_contact(person.pk, data.safe_contact)


# --- safe-contact preferences: one validation, one write, for intake, the person API and advocacy ---


def validate_safe_contact(data: SafeContactInput, prefix: str = "") -> dict[str, str]:
    errors: dict[str, str] = {}
    if any(c not in ContactChannel.values for c in data.channels):
        errors[f"{prefix}channels"] = "Choose ways of contact from the list"
    if len(data.safe_times) > 200:
        errors[f"{prefix}safe_times"] = "Safe times must be 200 characters or fewer"
    if len(data.code_word) > 100:
        errors[f"{prefix}code_word"] = "The code word must be 100 characters or fewer"
    if len(data.notes) > 2000:
        errors[f"{prefix}notes"] = "Notes must be 2,000 characters or fewer"
    return errors


def _write_safe_contact(person_id: int, data: SafeContactInput) -> SafeContactPreference:
    preference, _ = SafeContactPreference.objects.update_or_create(
        person_id=person_id,
        defaults={
            "safe_times": data.safe_times.strip(),
            "channels": list(dict.fromkeys(data.channels)),
            "no_voicemail": data.no_voicemail,
            "code_word": data.code_word.strip(),
            "notes": data.notes.strip(),
        },
    )
    return preference


def require_location_writable(actor: User, person_id: int) -> None:
    """Writing a person's addresses, phones, e-mails or safe-contact details needs her location.

    The same per-person predicate as reading them (a victim's location belongs to her,
    whatever her role in the case on screen): 404, so a refusal confirms nothing.
    """
    if not permissions.may_see_person_location(actor, person_id):
        raise Http404


@transaction.atomic
def safe_contact_set(*, actor: User, person_id: int, data: SafeContactInput) -> SafeContactPreference:
    """Record how and when a person may safely be contacted, and her code word.

    The only writer of SafeContactPreference after intake: the person API and the advocacy
    pages both call it. The caller has scoped the person (a case or person the actor may see).
    """
    require_location_writable(actor, person_id)
    errors = validate_safe_contact(data)
    if errors:
        raise ValidationError(errors)
    preference = _write_safe_contact(person_id, data)
    access_record(
        user=actor, action=AccessAction.CHANGE, record_type="cases.safecontactpreference", record_ids=[preference.pk]
    )
    return preference


def _person_create(*, partnership_id: int, data: PersonInput, ref: str = "") -> Person:
    person = Person.objects.create(
        partnership_id=partnership_id,
        ref=ref,
        given_name=data.given_name.strip(),
        family_name=data.family_name.strip(),
        name_normalised=normalise_name(data.given_name, data.family_name),
        date_of_birth=data.date_of_birth,
        age_band="" if data.date_of_birth else data.age_band,
        gender=data.gender or "unknown",
        ethnicity=data.ethnicity,
        disability=data.disability,
        sexual_orientation=data.sexual_orientation,
        pnc_id=normalise_identifier(data.pnc_id),
        nhs_number=normalise_identifier(data.nhs_number),
    )
    _write_person_details(person, data)
    return person


# The identity fields a person edit may change (the rest of PersonInput is intake only).
PERSON_FIELDS = (
    "given_name",
    "family_name",
    "date_of_birth",
    "age_band",
    "gender",
    "ethnicity",
    "disability",
    "sexual_orientation",
    "pnc_id",
    "nhs_number",
)


@transaction.atomic
def person_update(
    *, actor: User, person: Person, changes: Mapping[str, Any], expected_version: str | None = None
) -> Person:
    """Change some of a person's identity fields; the others keep their value.

    The change is merged into the row as it is under the lock, not into the copy the
    caller read, so two people correcting different fields at once both keep theirs.
    ``expected_version`` (``masip.concurrency``) is the version the editor saw: if the
    row has moved on since, nothing is written and ``EditConflict`` says so.
    """
    from cases.selectors import person_get_for_user, person_version

    detail = person_get_for_user(user=actor, person_id=person.pk)  # 404 outside scope
    if not detail.summary.identity_visible:
        # An agency that may not see who a victim is must not be able to rewrite it either.
        raise PermissionDenied("Your agency may not see this person's identity, so it cannot change it")
    unknown = set(changes) - set(PERSON_FIELDS)
    if unknown:
        raise ValidationError(dict.fromkeys(sorted(unknown), "This field cannot be changed here"))
    locked = Person.objects.select_for_update().get(pk=person.pk)
    check_version(person_version(locked), expected_version)
    merged = {name: getattr(locked, name) for name in PERSON_FIELDS}
    merged.update(changes)
    data = PersonInput(**merged)
    errors = _validate_person(data, "")
    if errors:
        raise ValidationError(errors)
    locked.given_name = data.given_name.strip()
    locked.family_name = data.family_name.strip()
    locked.name_normalised = normalise_name(data.given_name, data.family_name)
    locked.date_of_birth = data.date_of_birth
    locked.age_band = "" if data.date_of_birth else data.age_band
    locked.gender = data.gender or "unknown"
    locked.ethnicity = data.ethnicity
    locked.disability = data.disability
    locked.sexual_orientation = data.sexual_orientation
    locked.pnc_id = normalise_identifier(data.pnc_id)
    locked.nhs_number = normalise_identifier(data.nhs_number)
    locked.save()
    access_record(user=actor, action=AccessAction.CHANGE, record_type="cases.person", record_ids=[person.pk])
    return locked


@transaction.atomic
def person_merge(*, actor: User, survivor: Person, merged: Person, reason: str) -> PersonMerge:
    """Fold ``merged`` into ``survivor``. The merged record stays, pointing at the survivor."""
    from cases.selectors import person_get_for_user

    if not permissions.can_merge_people(actor):
        raise Http404
    person_get_for_user(user=actor, person_id=survivor.pk)
    person_get_for_user(user=actor, person_id=merged.pk)
    if not {survivor.pk, merged.pk} <= permissions.people_classes(actor, [survivor.pk, merged.pk]).identity:
        # Deciding that two records are one person needs both identities in view.
        raise Http404
    if not reason.strip():
        raise ValidationError({"reason": "Say why these are the same person"})
    if survivor.pk == merged.pk:
        raise ValidationError({"merged": "Choose two different records"})
    first, second = sorted([survivor.pk, merged.pk])
    locked = {p.pk: p for p in Person.objects.select_for_update().filter(pk__in=[first, second]).order_by("pk")}
    keep, fold = locked[survivor.pk], locked[merged.pk]
    if keep.merged_into_id or fold.merged_into_id:
        raise ValidationError({"merged": "One of these records has already been merged"})
    # Case parts move to the survivor, unless it already has that part in that case.
    for part in CaseParty.objects.filter(person=fold):
        if CaseParty.objects.filter(case_id=part.case_id, person=keep, role=part.role).exists():
            part.delete()
        else:
            part.person = keep
            part.save(update_fields=["person"])
    Address.objects.filter(person=fold).update(person=keep)
    ContactDetail.objects.filter(person=fold).update(person=keep)
    PersonAlias.objects.filter(person=fold).update(person=keep)
    if fold.name_normalised and fold.name_normalised != keep.name_normalised:
        PersonAlias.objects.create(
            person=keep, given_name=fold.given_name, family_name=fold.family_name, name_normalised=fold.name_normalised
        )
    if not hasattr(keep, "safe_contact") and hasattr(fold, "safe_contact"):
        SafeContactPreference.objects.filter(person=fold).update(person=keep)
    # Fill the survivor's gaps from the other record; never overwrite what it has.
    for name in ("date_of_birth", "age_band", "ethnicity", "disability", "sexual_orientation", "pnc_id", "nhs_number"):
        if not getattr(keep, name) and getattr(fold, name):
            setattr(keep, name, getattr(fold, name))
    if keep.gender == "unknown" and fold.gender != "unknown":
        keep.gender = fold.gender
    keep.save()
    fold.merged_into = keep
    fold.save(update_fields=["merged_into", "updated_at"])
    # Other apps move their rows that name the merged record (advocacy) and look again at
    # what one identity now reveals (re-offending across the survivor's cases).
    for listener in person_merge_listeners():
        listener(keep, fold, actor)
    record = PersonMerge.objects.create(
        partnership_id=keep.partnership_id, survivor=keep, merged=fold, reason=reason.strip(), merged_by=actor
    )
    for case_id in CaseParty.objects.filter(person=keep).values_list("case_id", flat=True).distinct():
        CaseEvent.objects.create(
            case_id=case_id,
            actor=actor,
            agency=actor.agency,
            kind=EventKind.PERSON_MERGED,
            summary="Two person records were found to be the same person and merged",
        )
    access_record(
        user=actor,
        action=AccessAction.CHANGE,
        record_type="cases.person",
        record_ids=[keep.pk, fold.pk],
        purpose=f"merge: {reason.strip()}",
    )
    return record


# --- referral intake -----------------------------------------------------------------------------


@dataclass
class PartyInput:
    role: str
    is_primary: bool = True
    # Link an existing record: a person the actor may already see, or a match candidate
    # the server offered to this actor (a signed, single-use token from cases.links).
    link_person_id: int | None = None
    link_token: str = ""
    person: PersonInput | None = None
    criminal_history: str = ""


@dataclass
class ReferralInput:
    received_on: dt.date
    referring_agency_kind: str
    offence: str
    referral_reason: str
    relationship: str
    crime_references: list[str] = field(default_factory=list)
    behaviour_started_on: dt.date | None = None
    last_incident_on: dt.date | None = None
    summary: str = ""
    ref: str = ""


def referral_date_errors(
    *, received_on: dt.date | None, behaviour_started_on: dt.date | None, last_incident_on: dt.date | None
) -> dict[str, str]:
    """The referral's dates, each checked where it parsed: public so that the referral form
    says these with everything else on the first submit."""
    errors: dict[str, str] = {}
    today = timezone.localdate()
    if received_on and received_on > today:
        errors["received_on"] = "The date received cannot be in the future"
    if behaviour_started_on and last_incident_on and behaviour_started_on > last_incident_on:
        errors["last_incident_on"] = "The last incident must be on or after the date the behaviour started"
    if last_incident_on and last_incident_on > today:
        errors["last_incident_on"] = "The last incident cannot be in the future"
    return errors


def _validate_referral(data: ReferralInput, parties: Sequence[PartyInput]) -> dict[str, str]:
    errors = referral_date_errors(
        received_on=data.received_on,
        behaviour_started_on=data.behaviour_started_on,
        last_incident_on=data.last_incident_on,
    )
    if data.referring_agency_kind not in ReferringAgency.values:
        errors["referring_agency_kind"] = "Choose who referred the case"
    for ref in data.crime_references:
        if len(ref.strip()) > 40:
            errors["crime_references"] = "A crime reference has at most 40 characters"
    for role in (PartyRole.VICTIM, PartyRole.PERPETRATOR):
        primaries = [p for p in parties if p.role == role and p.is_primary]
        if len(primaries) != 1:
            errors[f"{role}_family_name"] = f"Enter the {PartyRole(role).label.lower()}"
    # The database refuses these (one primary per role, one part per person and role);
    # say so here rather than fail on the constraint.
    for party_role in PartyRole:
        if sum(1 for p in parties if p.role == party_role and p.is_primary) > 1:
            errors["people"] = f"Only one {party_role.label.lower()} can be the main one"
    for index, party in enumerate(parties):
        if party.link_person_id is not None and party.link_token:
            errors[f"party_{index}"] = "Link a person by their id or by a match offer, not both"
        elif party.link_person_id is None and not party.link_token:
            if party.person is None:
                errors[f"party_{index}"] = "Link an existing person or enter a new one"
            else:
                prefix = f"{party.role}_" if party.is_primary else f"party_{index}_"
                errors.update(_validate_person(party.person, prefix))
    return errors


@transaction.atomic
def referral_create(*, actor: User, data: ReferralInput, parties: Sequence[PartyInput]) -> Case:
    """Record a referral: its people (linked or new), the case, and who it is shared with."""
    if not permissions.can_create_referral(actor):
        raise Http404
    assert actor.agency is not None
    partnership_id = actor.agency.partnership_id
    errors = _validate_referral(data, parties)
    if errors:
        raise ValidationError(errors)
    linked = _resolve_links(actor, parties)
    referral = Referral.objects.create(
        partnership_id=partnership_id,
        ref=data.ref or _next_referral_ref(partnership_id),
        received_on=data.received_on,
        referring_agency_kind=data.referring_agency_kind,
        referring_agency=actor.agency if actor.agency.kind == data.referring_agency_kind else None,
        offence=data.offence,
        referral_reason=data.referral_reason,
        relationship=data.relationship,
        behaviour_started_on=data.behaviour_started_on,
        last_incident_on=data.last_incident_on,
        summary=data.summary.strip(),
        created_by=actor,
    )
    for reference in dict.fromkeys(normalise_crime_reference(r) for r in data.crime_references if r.strip()):
        CrimeReference.objects.create(referral=referral, reference=reference)
    case = Case.objects.create(
        partnership_id=partnership_id, referral=referral, received_on=data.received_on, status=CaseStatus.REFERRED
    )
    for index, party in enumerate(parties):
        if index in linked:
            person = linked[index]
            if party.person is not None:
                _write_person_details(person, party.person)
        else:
            person = _person_create(partnership_id=partnership_id, data=party.person)  # type: ignore[arg-type]
        CaseParty.objects.create(
            case=case,
            person=person,
            role=party.role,
            is_primary=party.is_primary,
            criminal_history=party.criminal_history.strip(),
        )
    cases_share_by_default(case_ids=[case.pk], partnership_id=partnership_id, recording_agency=actor.agency)
    _event(
        case,
        actor=actor,
        kind=EventKind.REFERRED,
        summary=f"Referral {referral.ref} received from {referral.get_referring_agency_kind_display()}",
    )
    access_record(user=actor, action=AccessAction.CREATE, record_type="cases.case", record_ids=[case.pk])
    for listener in referral_listeners():
        listener(case, actor)
    return case


def _has_location(data: PersonInput | None) -> bool:
    return data is not None and bool(
        any(a.line_1.strip() for a in data.addresses)
        or any(c.value.strip() for c in data.contacts)
        or data.safe_contact is not None
    )


def _resolve_links(actor: User, parties: Sequence[PartyInput]) -> dict[int, Person]:
    """The existing records intake links, by party index; refuses any the actor may not link.

    A person id from the client links only a person the actor may already see (through a
    case they hold) and whose identity the agreement shows them; anyone else needs the
    signed, single-use offer the match search gave this actor. Adding addresses, phones,
    e-mails or safe-contact details to a linked record needs her location (the per-person
    rule), so a link can neither show nor overwrite a victim's location.
    """
    from cases.selectors import person_get_for_user

    assert actor.agency is not None
    wanted: dict[int, int] = {}
    errors: dict[str, str] = {}
    for index, party in enumerate(parties):
        if party.link_token:
            person_id = links.link_token_take(party.link_token, user=actor)
            if person_id is None:
                errors["people"] = "That match is no longer on offer: check for existing records again"
                continue
            wanted[index] = person_id
        elif party.link_person_id is not None:
            try:
                person_get_for_user(user=actor, person_id=party.link_person_id)
            except Http404:
                errors["people"] = "Link a person from your cases or from the match search"
                continue
            wanted[index] = party.link_person_id
    if len({(wanted[i], parties[i].role) for i in wanted}) != len(wanted):
        errors["people"] = "The same person is linked twice in the same role"
    people = Person.objects.filter(
        pk__in=set(wanted.values()), partnership_id=actor.agency.partnership_id, merged_into__isnull=True
    ).in_bulk()
    classes = permissions.people_classes(actor, people)
    for index, person_id in wanted.items():
        if person_id not in people:
            errors["people"] = "A linked person no longer exists in this partnership; search again"
        elif parties[index].link_person_id is not None and person_id not in classes.identity:
            errors["people"] = "Link a person from your cases or from the match search"
        elif _has_location(parties[index].person) and person_id not in classes.location:
            errors["people"] = (
                "You cannot add contact details to this person's record: leave them out, "
                "and ask an agency that holds them to update it"
            )
    if errors:
        raise ValidationError(errors)
    return {index: people[person_id] for index, person_id in wanted.items()}


def _next_referral_ref(partnership_id: int) -> str:
    count = Referral.objects.filter(partnership_id=partnership_id).count() + 1
    candidate = f"R{timezone.localdate():%Y}-{count:05d}"
    while Referral.objects.filter(partnership_id=partnership_id, ref=candidate).exists():
        count += 1
        candidate = f"R{timezone.localdate():%Y}-{count:05d}"
    return candidate


# --- lifecycle --------------------------------------------------------------------------------------


@transaction.atomic
@next_due_scope()
def case_transition(
    *,
    actor: User,
    case: Case,
    to_status: str,
    reason: str = "",
    decision: str = "",
    discharge_reason: str = "",
    on: dt.date | None = None,
    override_reason: str = "",
) -> Case:
    """Move a case along the one transition table, or refuse with a clear message.

    Closing asks the registered closure guards (cases.extensions): what one of them
    objects to stops the closure unless ``override_reason`` says why to close anyway.
    """
    permissions.require_case(actor, case)
    locked = Case.objects.select_for_update().get(pk=case.pk)
    transition = permissions.TRANSITION_TABLE.get((locked.status, to_status))
    if transition is None:
        target = CaseStatus(to_status).label.lower() if to_status in CaseStatus.values else repr(to_status)
        raise ValidationError(
            {"to_status": f"A case that is {locked.get_status_display().lower()} cannot become {target}"}
        )
    if actor.role not in transition.roles:
        raise ValidationError(
            {"to_status": f"Your role ({actor.get_role_display()}) cannot {transition.label.lower()} a case"}
        )
    errors: dict[str, str] = {}
    if transition.needs_decline_reason and decision not in DECLINE_REASONS:
        errors["decision"] = "Choose why the case is declined"
    if transition.needs_discharge_reason and discharge_reason not in DischargeReason.values:
        errors["discharge_reason"] = "Choose the discharge reason"
    if transition.needs_reason and not reason.strip():
        errors["reason"] = "Give the reason"
    blocks = closure_blocks(locked) if transition.target == CaseStatus.CLOSED else []
    if blocks and not override_reason.strip():
        errors["override_reason"] = " ".join([*blocks, "Give a reason to close the case anyway."])
    if errors:
        raise ValidationError(errors)
    override = override_reason.strip() if blocks else ""
    day = on or timezone.localdate()
    source = locked.status
    locked.status = transition.target
    if transition.target == CaseStatus.ACCEPTED:
        locked.decision, locked.decided_on = Decision.ACCEPTED, day
    elif transition.target == CaseStatus.DECLINED:
        locked.decision, locked.decided_on, locked.decision_reason = decision, day, reason.strip()
    elif transition.target == CaseStatus.CLOSED:
        locked.closed_on, locked.discharge_reason = day, discharge_reason
    elif transition.target == CaseStatus.REOPENED:
        locked.closed_on, locked.discharge_reason = None, ""
    locked.save()
    detail = reason.strip()
    if decision:
        detail = f"{Decision(decision).label}. {detail}".strip()
    if discharge_reason:
        detail = f"{DischargeReason(discharge_reason).label}. {detail}".strip()
    if override:
        detail = f"{detail} Closed despite: {' '.join(blocks)} Reason: {override}".strip()
    _event(
        locked,
        actor=actor,
        kind=EventKind.TRANSITION,
        summary=f"{CaseStatus(source).label} → {CaseStatus(transition.target).label}",
        detail=detail,
        from_status=source,
        to_status=transition.target,
    )
    for listener in transition_listeners():
        listener(
            TransitionEvent(case=locked, actor=actor, source=source, target=transition.target, override_reason=override)
        )
    return locked


MEETING_OUTCOME_ROLES = permissions.MEETING_OUTCOME_ROLES


def stalker_types_errors(primary: str, secondary: str) -> dict[str, str]:
    """A secondary stalker type needs a primary one and must be a different type."""
    if secondary and not primary:
        return {"stalker_type": "Choose the primary stalker type before a secondary one"}
    if secondary and secondary == primary:
        return {"stalker_type_secondary": "The secondary stalker type must differ from the primary type"}
    return {}


@transaction.atomic
def case_record_triage_outcome(
    *,
    actor: User,
    case: Case,
    tier: int | None = None,
    heard_at_clinic: bool | None = None,
    stalker_type: str | None = None,
    stalker_type_secondary: str | None = None,
    refer_to_clinic: bool = False,
    meeting: str = "",
) -> Case:
    """Record a meeting's outcome on the case: tier (1-4), heard at clinic, stalker type
    (primary, and an optional secondary that differs from it).

    ``None`` leaves a field as it is; ``refer_to_clinic`` and ``meeting`` (for example
    "Triage meeting of 3 June 2026") only go on the timeline entry, which names every
    change. Nothing changed: no entry.
    """
    permissions.require_case(actor, case)
    if actor.role not in MEETING_OUTCOME_ROLES:
        raise ValidationError({"tier": f"Your role ({actor.get_role_display()}) cannot record a meeting's outcome"})
    errors: dict[str, str] = {}
    if tier is not None and not 1 <= tier <= 4:
        errors["tier"] = "Choose a tier from 1 to 4"
    elif tier is not None and not partnership_uses_tiers(partnership_id=case.partnership_id):
        errors["tier"] = "This partnership does not use tiers: leave the tier out"
    if stalker_type is not None and stalker_type not in ("", *StalkerType.values):
        errors["stalker_type"] = "Choose a stalker type from the list"
    if stalker_type_secondary is not None and stalker_type_secondary not in ("", *StalkerType.values):
        errors["stalker_type_secondary"] = "Choose a secondary stalker type from the list"
    if errors:
        raise ValidationError(errors)
    locked = Case.objects.select_for_update().get(pk=case.pk)
    errors = stalker_types_errors(
        stalker_type if stalker_type is not None else locked.stalker_type,
        stalker_type_secondary if stalker_type_secondary is not None else locked.stalker_type_secondary,
    )
    if errors:
        raise ValidationError(errors)
    changes: list[str] = []
    fields: list[str] = []
    if tier is not None and tier != locked.tier:
        changes.append(f"Tier {tier}" + (f" (was tier {locked.tier})" if locked.tier else ""))
        locked.tier = tier
        fields.append("tier")
    if heard_at_clinic is not None and heard_at_clinic != locked.heard_at_clinic:
        changes.append("Heard at the stalking clinic" if heard_at_clinic else "Not heard at the stalking clinic")
        locked.heard_at_clinic = heard_at_clinic
        fields.append("heard_at_clinic")
    if stalker_type is not None and stalker_type != locked.stalker_type:
        label = StalkerType(stalker_type).label.lower() if stalker_type else ""
        changes.append(f"Stalker type: {label}" if label else "Stalker type cleared")
        locked.stalker_type = stalker_type
        fields.append("stalker_type")
    if stalker_type_secondary is not None and stalker_type_secondary != locked.stalker_type_secondary:
        label = StalkerType(stalker_type_secondary).label.lower() if stalker_type_secondary else ""
        changes.append(f"Secondary stalker type: {label}" if label else "Secondary stalker type cleared")
        locked.stalker_type_secondary = stalker_type_secondary
        fields.append("stalker_type_secondary")
    if refer_to_clinic:
        changes.append("Referred to the stalking clinic")
    if not changes:
        return locked
    if fields:
        locked.save(update_fields=[*fields, "updated_at"])
    _event(
        locked,
        actor=actor,
        kind=EventKind.MEETING,
        summary=(f"{meeting}: {'; '.join(changes)}" if meeting else "; ".join(changes))[:300],
    )
    return locked


# The factors the evaluation tests against re-offending, and their words on the timeline.
EVALUATION_FACTORS: dict[str, str] = {
    "mental_health_services": "known to mental-health services",
    "probation_involved": "probation involved",
    "mappa": "managed under MAPPA",
    "antisocial_lifestyle": "antisocial lifestyle",
}
# The perpetrator's way of life is criminal history: only those who may see that class set it.
CRIMINAL_HISTORY_FACTORS = frozenset({"antisocial_lifestyle"})


@transaction.atomic
def case_record_evaluation_factors(
    *, actor: User, case: Case, factors: dict[str, bool | None], expected_version: str | None = None
) -> Case:
    """Record what is known of the perpetrator for the evaluation: mental-health services,
    probation, MAPPA, antisocial lifestyle. Each is yes (True), no (False) or not known (None);
    a factor left out of ``factors`` stays as it is. Triage roles and clinicians record them,
    as they record a meeting's outcome; the antisocial lifestyle only under the criminal
    history class. One timeline entry names the changes. ``expected_version``: the case as the
    editor saw it (``EditConflict`` if it changed since, docs/concurrent-edits.md)."""
    from cases.selectors import case_version

    permissions.require_case(actor, case)
    errors: dict[str, str] = {}
    if not permissions.can_record_evaluation_factors(actor):
        errors["factors"] = f"Your role ({actor.get_role_display()}) cannot record these"
    unknown = set(factors) - set(EVALUATION_FACTORS)
    if unknown:
        errors["factors"] = "Unknown factor: " + ", ".join(sorted(unknown))
    for name in CRIMINAL_HISTORY_FACTORS & set(factors):
        if not permissions.may_see(actor, RecordClass.CRIMINAL_HISTORY):
            errors[name] = "The sharing agreement does not give your agency criminal history"
    for name, value in factors.items():
        if value is not None and not isinstance(value, bool):
            errors[name] = "Answer yes, no or not known"
    if errors:
        raise ValidationError(errors)
    locked = Case.objects.select_for_update().get(pk=case.pk)
    check_version(case_version(locked), expected_version)
    changes = []
    for name, value in factors.items():
        if getattr(locked, name) != value:
            setattr(locked, name, value)
            answer = "not known" if value is None else "yes" if value else "no"
            changes.append((name, f"{EVALUATION_FACTORS[name].capitalize()}: {answer}"))
    if not changes:
        return locked
    locked.save(update_fields=[name for name, _ in changes] + ["updated_at"])
    # The antisocial-lifestyle answer is criminal history: its entry carries that class.
    history = [text for name, text in changes if name in CRIMINAL_HISTORY_FACTORS]
    others = [text for name, text in changes if name not in CRIMINAL_HISTORY_FACTORS]
    if others:
        _event(locked, actor=actor, kind=EventKind.MEETING, summary="; ".join(others)[:300])
    if history:
        _event(
            locked,
            actor=actor,
            kind=EventKind.MEETING,
            summary="; ".join(history)[:300],
            record_class=RecordClass.CRIMINAL_HISTORY,
        )
    return locked


@transaction.atomic
def case_assign_worker(*, actor: User, case: Case, worker: User | None, expected_version: str | None = None) -> Case:
    """Assign the case (or unassign it). ``expected_version``: the case as the assigner saw it.

    Two people reassigning at once would otherwise both be told they succeeded, and the
    case would end up with whoever saved last; with the version, the second is told the
    case changed (``EditConflict``) and sees the first one's choice.
    """
    from cases.selectors import case_version

    permissions.require_case(actor, case)
    if worker is not None and not permissions.can_view_case(worker, case):
        raise ValidationError({"worker": "That member of staff cannot see this case"})
    locked = Case.objects.select_for_update().get(pk=case.pk)
    check_version(case_version(locked), expected_version)
    locked.assigned_worker = worker
    locked.save(update_fields=["assigned_worker", "updated_at"])
    _event(
        locked,
        actor=actor,
        kind=EventKind.ASSIGNED,
        summary=f"Assigned to {worker.get_full_name() or worker.email}" if worker else "Worker unassigned",
    )
    for listener in assignment_listeners():
        listener(locked, worker, actor)
    return locked


# --- sharing, exceptions and break-glass -------------------------------------------------------------


def _require_own_access(actor: User, case: Case) -> None:
    """Sharing and grants need the case in the actor's own right, not through break-glass."""
    if not permissions.can_view_case(actor, case, break_glass=False):
        raise Http404


def default_share_group_ids(*, partnership_id: int, recording_agency: Agency | None) -> list[int]:
    """The agencies (their groups) a new case is shared with: the partnership's core agencies
    and the agency that recorded it. Intake and the bundle import both share by this rule."""
    groups = set(Agency.objects.filter(partnership_id=partnership_id, is_core=True).values_list("group_id", flat=True))
    if recording_agency is not None:
        groups.add(recording_agency.group_id)
    return sorted(groups)


@transaction.atomic
def cases_share_by_default(*, case_ids: Sequence[int], partnership_id: int, recording_agency: Agency | None) -> int:
    """Share new cases as intake shares a case (``default_share_group_ids``), set-based: one
    row per case and agency in guardian's direct-FK table, what ``assign_perm`` writes one
    at a time, by one ``INSERT ... SELECT`` over the ids (a bundle import shares 100,000
    cases with four agencies; built as objects, that took 14 s). A share already held is
    left as it is. Returns how many shares were added."""
    groups = default_share_group_ids(partnership_id=partnership_id, recording_agency=recording_agency)
    if not case_ids or not groups:
        return 0
    # Looked up, not taken from permissions.view_case_permission_id's per-process cache: a
    # long-lived worker must not hold on to an id (a test database's flush renumbers them).
    view_case = Permission.objects.only("id").get(content_type__app_label="cases", codename=permissions.VIEW_CASE)
    table = connection.ops.quote_name(CaseGroupObjectPermission._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (group_id, permission_id, content_object_id) "  # noqa: S608 (name from metadata)
            "SELECT g, %s, c FROM unnest(%s::bigint[]) AS c CROSS JOIN unnest(%s::int[]) AS g "
            "ORDER BY c, g ON CONFLICT DO NOTHING",
            [view_case.pk, list(case_ids), groups],
        )
        return cursor.rowcount


@transaction.atomic
def case_share_add(*, actor: User, case: Case, agency: Agency, reason: str) -> None:
    permissions.require_case(actor, case)
    _require_own_access(actor, case)
    if not permissions.can_change_sharing(actor):
        raise ValidationError({"agency": "Your role cannot change who a case is shared with"})
    if agency.partnership_id != case.partnership_id:
        raise ValidationError({"agency": "Choose an agency of this partnership"})
    if not reason.strip():
        raise ValidationError({"reason": "Give the reason for sharing"})
    assign_perm(f"cases.{permissions.VIEW_CASE}", agency.group, case)
    _event(case, actor=actor, kind=EventKind.SHARED, summary=f"Shared with {agency.name}", detail=reason.strip())


@transaction.atomic
def case_share_remove(*, actor: User, case: Case, agency: Agency, reason: str) -> None:
    permissions.require_case(actor, case)
    _require_own_access(actor, case)
    if not permissions.can_change_sharing(actor):
        raise ValidationError({"agency": "Your role cannot change who a case is shared with"})
    if not reason.strip():
        raise ValidationError({"reason": "Give the reason for withdrawing sharing"})
    from cases.selectors import case_shared_agencies

    shared = case_shared_agencies(case=case)
    if agency not in shared:
        raise ValidationError({"agency": "The case is not shared with that agency"})
    if len(shared) == 1:
        raise ValidationError({"agency": "A case must stay shared with at least one agency"})
    remove_perm(f"cases.{permissions.VIEW_CASE}", agency.group, case)
    _event(
        case,
        actor=actor,
        kind=EventKind.UNSHARED,
        summary=f"No longer shared with {agency.name}",
        detail=reason.strip(),
    )


@transaction.atomic
def case_grant_user(*, actor: User, case: Case, user: User, reason: str) -> None:
    """An exception for one person (a clinician on one case, a restricted case)."""
    permissions.require_case(actor, case)
    _require_own_access(actor, case)
    if not permissions.can_change_sharing(actor):
        raise ValidationError({"user": "Your role cannot grant access to a case"})
    if user.agency is None or user.agency.partnership_id != case.partnership_id:
        raise ValidationError({"user": "Choose a member of staff of this partnership"})
    assign_perm(f"cases.{permissions.VIEW_CASE}", user, case)
    _event(
        case,
        actor=actor,
        kind=EventKind.SHARED,
        summary=f"Access granted to {user.get_full_name() or user.email}",
        detail=reason.strip(),
    )


@transaction.atomic
def break_glass_open(*, actor: User, case_id: int, reason: str) -> BreakGlassAccess:
    """Open a case outside the agency's scope: reason required, logged, admins told."""
    if not permissions.is_staff_member(actor):
        raise Http404
    assert actor.agency is not None
    case = Case.objects.filter(pk=case_id, partnership_id=actor.agency.partnership_id).first()
    if case is None or case.is_restricted:
        # Only a personal grant opens a restricted case; the answer is the same as for no case.
        raise Http404
    if len(reason.strip()) < 10:
        raise ValidationError({"reason": "Explain in a sentence why you need to open this case"})
    grant = BreakGlassAccess.objects.create(
        case=case,
        user=actor,
        reason=reason.strip(),
        expires_at=timezone.now() + dt.timedelta(hours=BREAK_GLASS_HOURS),
    )
    access_record(
        user=actor,
        action=AccessAction.VIEW,
        record_type="cases.case",
        record_ids=[case.pk],
        purpose=reason.strip(),
        break_glass=True,
    )
    _event(
        case,
        actor=actor,
        kind=EventKind.BREAK_GLASS,
        summary=f"Opened with break-glass by {actor.get_full_name() or actor.email} ({actor.agency.name})",
        detail=reason.strip(),
    )
    admins = list(
        User.objects.filter(
            agency__partnership_id=case.partnership_id, role=Role.PARTNERSHIP_ADMIN, is_active=True
        ).values_list("pk", "email")
    )
    if admins:
        # The typed reason stays out of the e-mail: it may name the victim or say where she is,
        # and e-mail leaves the service. The admins read it in the access log, which logs them.
        body = (
            f"{actor.get_full_name() or actor.email} of {actor.agency.name} opened case {case.reference} "
            f"with break-glass, outside their agency's normal access, at {timezone.localtime():%d %B %Y %H:%M}.\n\n"
            f"Review it and the reason given in the access log: "
            f"{settings.MASIP_BASE_URL}/access-log/?record_id={case.pk}\n"
        )
        # The e-mail discloses who opened which case to its recipients: logged as a disclosure.
        access_record(
            user=actor,
            action=AccessAction.DISCLOSE,
            record_type="cases.case",
            record_ids=[case.pk],
            purpose="break-glass notice e-mailed to the partnership admins (staff ids "
            + ", ".join(str(pk) for pk, _ in admins)
            + ")",
        )
        emails = [email for _, email in admins]
        transaction.on_commit(lambda: send_mail(f"Break-glass access to case {case.reference}", body, None, emails))
    return grant


# --- notes, orders, breaches, outcomes --------------------------------------------------------------


@transaction.atomic
def note_add(*, actor: User, case: Case, text: str, record_class: str = "") -> CaseNote:
    permissions.require_case(actor, case)
    if not permissions.can_add_note(actor):
        raise ValidationError({"text": "Your role cannot add case notes"})
    if not text.strip():
        raise ValidationError({"text": "Enter the note"})
    if record_class and not permissions.may_see(actor, record_class):
        raise ValidationError({"record_class": "You cannot write a record of a class your agency may not see"})
    assert actor.agency is not None
    note = CaseNote.objects.create(
        case=case, author=actor, agency=actor.agency, text=text.strip(), record_class=record_class
    )
    _event(
        case, actor=actor, kind=EventKind.NOTE, summary=f"Note added by {actor.agency.name}", record_class=record_class
    )
    return note


def _tell_order_listeners(event: OrderEvent) -> None:
    """The apps registered with cases.extensions.register_order_listener, in this transaction."""
    for listener in order_listeners():
        listener(event)


@transaction.atomic
@next_due_scope()
def order_record(
    *,
    actor: User,
    case: Case,
    kind: str,
    made_on: dt.date,
    expires_on: dt.date | None = None,
    served_on: dt.date | None = None,
    issued_by: str = "",
    conditions: str = "",
    exclusion_zones: str = "",
) -> Order:
    permissions.require_case(actor, case)
    if not permissions.can_record_orders(actor):
        raise ValidationError({"kind": "Orders are recorded by police or probation"})
    errors = {}
    if expires_on and expires_on < made_on:
        errors["expires_on"] = "The expiry date must be on or after the date the order was made"
    if kind == "spo_full" and expires_on and expires_on < made_on + relativedelta(years=2) - dt.timedelta(days=1):
        errors["expires_on"] = "A full Stalking Protection Order lasts at least two years"
    if exclusion_zones and not permissions.case_victims_location_visible(actor, case.pk):
        errors["exclusion_zones"] = "Your agency may not record victim locations"
    if errors:
        raise ValidationError(errors)
    order = Order.objects.create(
        case=case,
        kind=kind,
        made_on=made_on,
        expires_on=expires_on,
        served_on=served_on,
        issued_by=issued_by,
        conditions=conditions.strip(),
        exclusion_zones=exclusion_zones.strip(),
        recorded_by=actor,
    )
    _event(case, actor=actor, kind=EventKind.ORDER, summary=f"{order.get_kind_display()} made {made_on:%d %b %Y}")
    _tell_order_listeners(OrderEvent(kind="order_made", order=order, actor=actor))
    return order


@transaction.atomic
@next_due_scope()
def breach_record(
    *,
    actor: User,
    order: Order,
    occurred_on: dt.date,
    description: str = "",
    crime_reference: str = "",
    reported_on: dt.date | None = None,
) -> Breach:
    permissions.require_case(actor, order.case)
    if not permissions.can_record_orders(actor):
        raise ValidationError({"occurred_on": "Breaches are recorded by police or probation"})
    if occurred_on > timezone.localdate():
        raise ValidationError({"occurred_on": "The breach date cannot be in the future"})
    if occurred_on < order.made_on:
        raise ValidationError({"occurred_on": "A breach cannot happen before the order was made"})
    breach = Breach.objects.create(
        order=order,
        occurred_on=occurred_on,
        reported_on=reported_on,
        description=description.strip(),
        crime_reference=crime_reference.strip().upper(),
        recorded_by=actor,
    )
    _event(
        order.case,
        actor=actor,
        kind=EventKind.BREACH,
        summary=f"Breach of {order.get_kind_display().lower()} on {occurred_on:%d %b %Y}",
    )
    _tell_order_listeners(OrderEvent(kind="order_breached", order=order, actor=actor, breach=breach))
    return breach


@transaction.atomic
def outcome_record(
    *,
    actor: User,
    case: Case,
    kind: str,
    decided_on: dt.date,
    offence: str = "",
    court_result: str = "",
    sentence: str = "",
    notes: str = "",
) -> CriminalJusticeOutcome:
    permissions.require_case(actor, case)
    if not permissions.can_record_orders(actor):
        raise ValidationError({"kind": "Outcomes are recorded by police, probation or CPS"})
    if kind == "court_result" and not court_result:
        raise ValidationError({"court_result": "Choose the court result"})
    if decided_on > timezone.localdate():
        raise ValidationError({"decided_on": "The date cannot be in the future"})
    outcome = CriminalJusticeOutcome.objects.create(
        case=case,
        kind=kind,
        decided_on=decided_on,
        offence=offence,
        court_result=court_result,
        sentence=sentence.strip(),
        notes=notes.strip(),
        recorded_by=actor,
    )
    _event(case, actor=actor, kind=EventKind.OUTCOME, summary=f"{outcome.get_kind_display()} ({decided_on:%d %b %Y})")
    return outcome


def case_set_next_due(*, case_id: int, next_due_on: dt.date | None) -> None:
    """Set the due date directly (imports of legacy data, which carry no source record)."""
    Case.objects.filter(pk=case_id).update(next_due_on=next_due_on)
