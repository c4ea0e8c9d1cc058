"""Every write about partnerships, agencies, staff and the sharing agreement."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from django.conf import settings
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.text import slugify

from agencies.models import (
    DEFAULT_SHARING,
    Agency,
    AgencyKind,
    InformationSharingAgreement,
    Partnership,
    RecordClass,
    Role,
    SharingRule,
    User,
)
from agencies.permissions import can_manage_user, is_partnership_admin
from audit.models import AccessAction
from audit.services import access_record


@transaction.atomic
def partnership_create(*, name: str, slug: str = "") -> Partnership:
    """A partnership with its sharing agreement seeded from the defaults."""
    partnership = Partnership.objects.create(name=name, slug=slug or slugify(name))
    agreement = InformationSharingAgreement.objects.create(partnership=partnership)
    SharingRule.objects.bulk_create(
        SharingRule(agreement=agreement, agency_kind=kind, record_class=record_class)
        for record_class, kinds in DEFAULT_SHARING.items()
        for kind in kinds
    )
    return partnership


@transaction.atomic
def agency_create(*, partnership: Partnership, name: str, kind: AgencyKind | str, is_core: bool = True) -> Agency:
    if kind not in AgencyKind.values:
        raise ValidationError({"kind": f"Unknown agency kind {kind!r}"})
    # The group name is internal; the id keeps it unique across partnerships.
    group = Group.objects.create(name=f"agency:{partnership.slug}:{slugify(name)}")
    return Agency.objects.create(partnership=partnership, name=name, kind=kind, is_core=is_core, group=group)


def _check_agency_role(*, actor: User | None, agency: Agency, role: str) -> None:
    if role not in Role.values:
        raise ValidationError({"role": "Choose a role"})
    if actor is not None and (actor.agency is None or agency.partnership_id != actor.agency.partnership_id):
        # An agency of another partnership: as if it did not exist.
        raise ValidationError({"agency": "Choose an agency of your partnership"})


@transaction.atomic
def staff_create(
    *,
    email: str,
    first_name: str,
    last_name: str,
    agency: Agency,
    role: Role | str,
    password: str | None = None,
    job_title: str = "",
    actor: User | None = None,
) -> User:
    """Create a member of staff (``actor`` None: a system or set-up action)."""
    _check_agency_role(actor=actor, agency=agency, role=str(role))
    email = email.strip().lower()
    if User.objects.filter(email__iexact=email).exists():
        raise ValidationError({"email": "A member of staff with this e-mail address already exists"})
    user = User.objects.create_user(
        email=email,
        password=password,
        first_name=first_name.strip(),
        last_name=last_name.strip(),
        agency=agency,
        role=str(role),
        job_title=job_title.strip(),
    )
    user.groups.add(agency.group)
    if actor is not None:
        access_record(user=actor, action=AccessAction.CREATE, record_type="agencies.user", record_ids=[user.pk])
    return user


@transaction.atomic
def staff_invite(
    *,
    actor: User,
    request: HttpRequest | None,
    email: str,
    first_name: str,
    last_name: str,
    agency: Agency,
    role: Role | str,
    job_title: str = "",
) -> User:
    """A partnership admin invites a member of staff: no password; an e-mail to set one."""
    if not is_partnership_admin(actor):
        raise PermissionDenied
    user = staff_create(
        actor=actor,
        email=email,
        first_name=first_name,
        last_name=last_name,
        agency=agency,
        role=role,
        job_title=job_title,
    )
    transaction.on_commit(lambda: _send_invitation(request=request, user=user))
    return user


def _send_invitation(*, request: HttpRequest | None, user: User) -> None:
    """A single-use link to set a password (allauth's reset key), sent as an invitation."""
    from allauth.account.forms import default_token_generator
    from allauth.account.utils import user_pk_to_url_str

    path = reverse(
        "account_reset_password_from_key",
        kwargs={"uidb36": user_pk_to_url_str(user), "key": default_token_generator.make_token(user)},
    )
    link = request.build_absolute_uri(path) if request is not None else f"{settings.MASIP_BASE_URL}{path}"
    assert user.agency is not None
    body = render_to_string(
        "agencies/email/invitation.txt",
        {"user": user, "link": link, "partnership": user.agency.partnership, "agency": user.agency},
    )
    send_mail("You have been invited to MASIP case management", body, None, [user.email])


@transaction.atomic
def staff_update(
    *,
    actor: User,
    user: User,
    first_name: str,
    last_name: str,
    agency: Agency,
    role: Role | str,
    is_active: bool,
    job_title: str = "",
) -> User:
    if not can_manage_user(actor, user):
        raise PermissionDenied
    _check_agency_role(actor=actor, agency=agency, role=str(role))
    if user.pk == actor.pk and (not is_active or role != Role.PARTNERSHIP_ADMIN):
        raise ValidationError({"role": "You cannot remove your own admin role or deactivate yourself"})
    locked = User.objects.select_for_update().get(pk=user.pk)
    old_group = locked.agency.group if locked.agency else None
    locked.first_name = first_name.strip()
    locked.last_name = last_name.strip()
    locked.agency = agency
    locked.role = str(role)
    locked.is_active = is_active
    locked.job_title = job_title.strip()
    locked.save()
    if old_group is not None and old_group != agency.group:
        locked.groups.remove(old_group)
    locked.groups.add(agency.group)
    access_record(user=actor, action=AccessAction.CHANGE, record_type="agencies.user", record_ids=[user.pk])
    return locked


@transaction.atomic
def agreement_update(
    *,
    actor: User,
    partnership: Partnership,
    matrix: Mapping[str, Iterable[str]],
    reference: str = "",
    review_on: object = None,
) -> InformationSharingAgreement:
    """Replace the agreement's rules with ``matrix`` (record class -> agency kinds)."""
    if not is_partnership_admin(actor) or actor.agency is None or actor.agency.partnership_id != partnership.pk:
        raise PermissionDenied
    unknown_classes = set(matrix) - set(RecordClass.values)
    if unknown_classes:
        raise ValidationError({"matrix": f"Unknown record classes: {sorted(unknown_classes)}"})
    agreement = InformationSharingAgreement.objects.select_for_update().get(partnership=partnership)
    wanted = set()
    for record_class, kinds in matrix.items():
        for kind in kinds:
            if kind not in AgencyKind.values:
                raise ValidationError({"matrix": f"Unknown agency kind {kind!r}"})
            wanted.add((kind, record_class))
    existing = set(agreement.rules.values_list("agency_kind", "record_class"))
    for kind, record_class in existing - wanted:
        agreement.rules.filter(agency_kind=kind, record_class=record_class).delete()
    SharingRule.objects.bulk_create(
        SharingRule(agreement=agreement, agency_kind=kind, record_class=record_class)
        for kind, record_class in sorted(wanted - existing)
    )
    agreement.reference = reference.strip()
    agreement.review_on = review_on  # type: ignore[assignment]
    agreement.updated_by = actor
    agreement.save()
    return agreement


@transaction.atomic
def partnership_settings_update(*, actor: User, partnership: Partnership, uses_tiers: bool) -> Partnership:
    """The partnership's own settings: whether it gives cases a tier. Partnership admin only."""
    if not is_partnership_admin(actor) or actor.agency is None or actor.agency.partnership_id != partnership.pk:
        raise PermissionDenied
    locked = Partnership.objects.select_for_update().get(pk=partnership.pk)
    if locked.uses_tiers != uses_tiers:
        locked.uses_tiers = uses_tiers
        locked.save(update_fields=["uses_tiers"])
    return locked
