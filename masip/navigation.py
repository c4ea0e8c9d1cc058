"""The sections of the service a user can reach, for the header and the home page.

Only sections that exist are listed. Each app registers its own in its
``AppConfig.ready()`` with ``register_section``, with the predicate that decides
who sees it; the order number places it in the header.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.urls import reverse


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    url: str
    description: str


@dataclass(frozen=True)
class _Registered:
    key: str
    title: str
    url_name: str
    description: str
    order: int
    applies: Callable[[Any], bool]


_registry: dict[str, _Registered] = {}


def register_section(
    *, key: str, title: str, url_name: str, description: str, order: int, applies: Callable[[Any], bool]
) -> None:
    _registry[key] = _Registered(key, title, url_name, description, order, applies)


def sections_for(user: Any) -> list[Section]:
    return [
        Section(r.key, r.title, reverse(r.url_name), r.description)
        for r in sorted(_registry.values(), key=lambda r: r.order)
        if r.applies(user)
    ]


def _register_core_sections() -> None:
    from agencies.permissions import is_partnership_admin
    from cases import permissions as case_permissions

    register_section(
        key="caseload",
        title="Caseload",
        url_name="cases:caseload",
        order=10,
        description="The cases shared with your agency: filter, search and open a case.",
        applies=case_permissions.is_staff_member,
    )
    register_section(
        key="referral",
        title="Record a referral",
        url_name="cases:referral_new",
        order=20,
        description="Record a new referral, its victim and perpetrator, and check for existing records.",
        applies=case_permissions.can_create_referral,
    )
    register_section(
        key="staff",
        title="Staff",
        url_name="agencies:staff_list",
        order=80,
        description="Invite staff, change their agency or role, and deactivate accounts.",
        applies=is_partnership_admin,
    )
    register_section(
        key="agreement",
        title="Information sharing",
        url_name="agencies:agreement",
        order=81,
        description="Which agencies may see which classes of record in this partnership.",
        applies=is_partnership_admin,
    )
    register_section(
        key="access_log",
        title="Access log",
        url_name="agencies:access_log",
        order=82,
        description="Who looked at, changed or exported personal data, and when.",
        applies=is_partnership_admin,
    )
    register_section(
        key="security",
        title="Account security",
        url_name="mfa_index",
        order=99,
        description="Set up or change two-factor authentication and recovery codes.",
        applies=lambda user: bool(getattr(user, "is_authenticated", False)),
    )
