"""The permission matrix, as one table.

Each role × each record class × where the case sits (shared with the user's own
agency / only with another agency of the partnership / in another partnership)
→ what the user gets. The expected table is written out here by hand from the
default information-sharing agreement, not computed from the code under test.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.http import Http404

from agencies.models import RecordClass, Role, User
from agencies.services import agreement_update
from cases import selectors, services
from cases.models import Case
from tests.case_factories import EXCLUSION_ZONE, VICTIM_ADDRESS, VICTIM_CODE_WORD, make_case
from tests.factories import World

pytestmark = pytest.mark.django_db

ROLES = [
    Role.TRIAGE_OFFICER,  # police
    Role.ADVOCATE,  # advocacy
    Role.CLINICIAN,  # health
    Role.PROBATION_PRACTITIONER,  # probation
    Role.PROGRAMME_MANAGER,  # police
    Role.PARTNERSHIP_ADMIN,  # police
]
CLASSES = list(RecordClass)
SCOPES = ["own_agency", "other_agency", "other_partnership"]

# What each role's agency sees under the default agreement, for a case shared with it.
SEES: dict[Role, set[RecordClass]] = {
    Role.TRIAGE_OFFICER: {
        RecordClass.VICTIM_IDENTITY,
        RecordClass.VICTIM_LOCATION,
        RecordClass.SAFETY_PLAN,
        RecordClass.CRIMINAL_HISTORY,
    },
    Role.PROGRAMME_MANAGER: {
        RecordClass.VICTIM_IDENTITY,
        RecordClass.VICTIM_LOCATION,
        RecordClass.SAFETY_PLAN,
        RecordClass.CRIMINAL_HISTORY,
    },
    Role.PARTNERSHIP_ADMIN: {
        RecordClass.VICTIM_IDENTITY,
        RecordClass.VICTIM_LOCATION,
        RecordClass.SAFETY_PLAN,
        RecordClass.CRIMINAL_HISTORY,
    },
    Role.ADVOCATE: {RecordClass.VICTIM_IDENTITY, RecordClass.VICTIM_LOCATION, RecordClass.SAFETY_PLAN},
    Role.PROBATION_PRACTITIONER: {RecordClass.VICTIM_IDENTITY, RecordClass.CRIMINAL_HISTORY},
    Role.CLINICIAN: {RecordClass.CLINICAL, RecordClass.CRIMINAL_HISTORY},
}

MATRIX = [
    (
        role,
        record_class,
        scope,
        ("visible" if record_class in SEES[role] else "withheld") if scope == "own_agency" else "404",
    )
    for role in ROLES
    for record_class in CLASSES
    for scope in SCOPES
]


def _user(world: World, role: Role) -> User:
    return {
        Role.TRIAGE_OFFICER: world.triage_officer,
        Role.ADVOCATE: world.advocate,
        Role.CLINICIAN: world.clinician,
        Role.PROBATION_PRACTITIONER: world.probation_practitioner,
        Role.PROGRAMME_MANAGER: world.programme_manager,
        Role.PARTNERSHIP_ADMIN: world.admin,
    }[role]


def _case_with_every_class(world: World) -> Case:
    case = make_case(world.triage_officer)
    services.order_record(
        actor=world.triage_officer,
        case=case,
        kind="restraining_order",
        made_on=case.received_on,
        conditions="No contact, direct or indirect.",
        exclusion_zones=EXCLUSION_ZONE,
    )
    services.note_add(
        actor=world.clinician, case=case, text="CLINICAL-FORMULATION-TEXT", record_class=RecordClass.CLINICAL
    )
    services.note_add(actor=world.advocate, case=case, text="SAFETY-PLAN-TEXT", record_class=RecordClass.SAFETY_PLAN)
    return case


def _observe(detail: selectors.CaseDetail, record_class: RecordClass) -> bool:
    """Whether the class's content reached this user, looking at the shaped detail."""
    notes = " ".join(n.text for n in detail.notes)
    if record_class == RecordClass.VICTIM_IDENTITY:
        return detail.victim is not None and detail.victim.name is not None and detail.victim.date_of_birth is not None
    if record_class == RecordClass.VICTIM_LOCATION:
        seen = [
            any(VICTIM_ADDRESS in a for a in detail.victim.addresses) if detail.victim else False,
            bool(
                detail.victim
                and detail.victim.safe_contact
                and detail.victim.safe_contact["code_word"] == VICTIM_CODE_WORD
            ),
            any(o.exclusion_zones == EXCLUSION_ZONE for o in detail.orders),
        ]
        assert len(set(seen)) == 1, f"victim location partly shown: {seen}"
        return seen[0]
    if record_class == RecordClass.SAFETY_PLAN:
        return "SAFETY-PLAN-TEXT" in notes
    if record_class == RecordClass.CLINICAL:
        return "CLINICAL-FORMULATION-TEXT" in notes
    if record_class == RecordClass.CRIMINAL_HISTORY:
        return detail.perpetrator is not None and detail.perpetrator.criminal_history is not None
    raise AssertionError(record_class)


@pytest.mark.parametrize(("role", "record_class", "scope", "expected"), MATRIX, ids=lambda v: str(v))
def test_permission_matrix(
    world: World, other_world: World, role: Role, record_class: RecordClass, scope: str, expected: str
) -> None:
    if scope == "other_partnership":
        case = _case_with_every_class(other_world)
        user = _user(world, role)
    else:
        case = _case_with_every_class(world)
        user = _user(world, role)
        if scope == "other_agency":
            # Shared only with an agency that is not the user's.
            remaining = world.advocacy if user.agency != world.advocacy else world.police
            # The police admin removes the others, and the police share last.
            for agency in (world.probation, world.health, world.advocacy, world.police):
                if agency != remaining:
                    services.case_share_remove(actor=world.admin, case=case, agency=agency, reason="test")
    if expected == "404":
        with pytest.raises(Http404):
            selectors.case_detail_for_user(user=user, case_id=case.pk)
        page = selectors.case_list_for_user(user=user, filters=selectors.CaseloadFilters())
        assert case.pk not in [row.case.pk for row in page.rows]
        return
    detail = selectors.case_detail_for_user(user=user, case_id=case.pk)
    assert _observe(detail, record_class) is (expected == "visible")


def test_matrix_covers_every_role_class_and_scope() -> None:
    assert len(MATRIX) == len(ROLES) * len(CLASSES) * len(SCOPES) == 90


def test_an_edited_agreement_changes_what_an_agency_sees(world: World) -> None:
    case = _case_with_every_class(world)
    before = selectors.case_detail_for_user(user=world.probation_practitioner, case_id=case.pk)
    assert not _observe(before, RecordClass.VICTIM_LOCATION)
    agreement_update(
        actor=world.admin,
        partnership=world.partnership,
        matrix={
            RecordClass.VICTIM_LOCATION: ["police", "advocacy", "probation"],
            RecordClass.VICTIM_IDENTITY: ["police", "probation", "advocacy"],
        },
    )
    fresh = User.objects.get(pk=world.probation_practitioner.pk)
    after = selectors.case_detail_for_user(user=fresh, case_id=case.pk)
    assert _observe(after, RecordClass.VICTIM_LOCATION)


def test_restricted_case_ignores_agency_shares_but_not_user_grants(world: World) -> None:
    case = make_case(world.triage_officer)
    Case.objects.filter(pk=case.pk).update(is_restricted=True)
    for user in (world.advocate, world.triage_officer):
        with pytest.raises(Http404):
            selectors.case_get_for_user(user=user, case_id=case.pk)
    from guardian.shortcuts import assign_perm

    assign_perm("cases.view_case", world.advocate, case)
    assert selectors.case_get_for_user(user=world.advocate, case_id=case.pk).pk == case.pk
    assert case.pk in [
        r.case.pk for r in selectors.case_list_for_user(user=world.advocate, filters=selectors.CaseloadFilters()).rows
    ]
    with pytest.raises(Http404):
        selectors.case_get_for_user(user=world.triage_officer, case_id=case.pk)


def test_break_glass_opens_one_case_for_a_while_logs_it_and_tells_the_admin(
    world: World, other_world: World, mailoutbox: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from audit.models import AccessLog

    case = make_case(world.triage_officer)
    services.case_share_remove(
        actor=world.triage_officer, case=case, agency=world.health, reason="perpetrator not in treatment"
    )
    with pytest.raises(Http404):
        selectors.case_get_for_user(user=world.clinician, case_id=case.pk)
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        services.break_glass_open(actor=world.clinician, case_id=case.pk, reason="")
    with pytest.raises(Http404):
        services.break_glass_open(actor=other_world.clinician, case_id=case.pk, reason="I want to look at this case")
    with django_capture_on_commit_callbacks(execute=True):
        services.break_glass_open(
            actor=world.clinician, case_id=case.pk, reason="Urgent risk information needed for assessment today"
        )
    assert selectors.case_get_for_user(user=world.clinician, case_id=case.pk).pk == case.pk
    entry = AccessLog.objects.get(user=world.clinician, break_glass=True)
    assert entry.record_ids == [str(case.pk)] and "Urgent risk" in entry.purpose
    assert [m.to for m in mailoutbox] == [[world.admin.email]]
    # The grant expires.
    import datetime as dt

    from django.utils import timezone

    from cases.models import BreakGlassAccess

    BreakGlassAccess.objects.update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    with pytest.raises(Http404):
        selectors.case_get_for_user(user=world.clinician, case_id=case.pk)


def test_the_set_based_check_agrees_with_the_single_case_check(
    world: World, other_world: World, django_assert_max_num_queries: Any
) -> None:
    """``viewable_pairs`` (the reminder jobs) and ``can_view_case`` (every page) are one rule."""
    import datetime as dt

    from django.utils import timezone
    from guardian.shortcuts import assign_perm

    from cases import permissions
    from cases.models import BreakGlassAccess

    shared = make_case(world.triage_officer)
    unshared = make_case(world.triage_officer, crime_reference="CH/2/26")
    services.case_share_remove(
        actor=world.triage_officer, case=unshared, agency=world.health, reason="not in treatment"
    )
    restricted = make_case(world.triage_officer, crime_reference="CH/3/26")
    Case.objects.filter(pk=restricted.pk).update(is_restricted=True)
    restricted.refresh_from_db()
    assign_perm("cases.view_case", world.advocate, restricted)
    BreakGlassAccess.objects.create(
        user=world.clinician, case=unshared, reason="urgent", expires_at=timezone.now() + dt.timedelta(hours=1)
    )
    BreakGlassAccess.objects.create(
        user=world.probation_practitioner, case=restricted, reason="expired", expires_at=timezone.now()
    )
    elsewhere = make_case(other_world.triage_officer)
    users = [_user(w, role) for w in (world, other_world) for role in ROLES]
    cases = [shared, unshared, restricted, elsewhere]
    pairs = [(user, case) for user in users for case in cases]
    expected = {(u.pk, c.pk) for u, c in pairs if permissions.can_view_case(u, c)}
    with django_assert_max_num_queries(3):
        found = permissions.viewable_pairs(pairs)
    assert found == expected
    # The cases above exercise every branch of the rule: exception, share, break-glass, none.
    assert (world.advocate.pk, restricted.pk) in found and (world.triage_officer.pk, restricted.pk) not in found
    assert (world.clinician.pk, unshared.pk) in found and (world.clinician.pk, shared.pk) in found
    assert (world.probation_practitioner.pk, restricted.pk) not in found
    assert not {(u.pk, elsewhere.pk) for u in (world.advocate, world.admin)} & found
