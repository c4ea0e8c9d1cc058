"""The sections of the service a user can reach, for the header and the home page.

Only sections that exist are listed. Each app registers its own in its
``AppConfig.ready()`` with ``register_section``, with the predicate that decides
who sees it; the order number places it in the header.

The header groups the sections by what people do (``GROUPS``): the service navigation
shows the groups, and a page inside a group shows that group's sections under it. An
admin has some twenty sections; one flat row of them wrapped to four lines on a laptop.
Which group a section sits under is decided here, in one table, so that the header reads
as one list whichever app registered the section; account security is in the user menu.
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


@dataclass(frozen=True)
class NavSection:
    title: str
    url: str
    # "page" on the section's own page, "true" on a page inside it (a case under Caseload).
    aria_current: str


@dataclass(frozen=True)
class NavGroup:
    key: str
    title: str
    url: str
    active: bool
    sections: list[NavSection]


# (key, title) in the order the header shows them.
GROUPS: tuple[tuple[str, str], ...] = (
    ("casework", "Casework"),
    ("meetings", "Meetings"),
    ("reporting", "Reporting"),
    ("administration", "Administration"),
)

# Section key -> group key. A section in no group is in the user menu (ACCOUNT_SECTIONS)
# or missing here, which tests/test_navigation.py refuses.
SECTION_GROUPS: dict[str, str] = {
    "caseload": "casework",
    "referral": "casework",
    "notifications": "casework",
    "interventions": "casework",
    "meetings": "meetings",
    "my_actions": "meetings",
    "agency_actions": "meetings",
    "watch_list": "meetings",
    "programme_dashboard": "reporting",
    "quarterly_returns": "reporting",
    "data_quality": "reporting",
    "training_events": "reporting",
    "evaluation": "reporting",
    "costs": "reporting",
    "staff": "administration",
    "agreement": "administration",
    "partnership_settings": "administration",
    "access_log": "administration",
    "risk_instruments": "administration",
    "risk_settings": "administration",
    "advocacy_settings": "administration",
    "followup_settings": "administration",
    "data_bundle": "administration",
    "retention": "administration",
    "subject_access": "administration",
}
ACCOUNT_SECTIONS = frozenset({"security"})


# A case's tabs live in the apps that own them (/risk/cases/<id>/, /advocacy/cases/<id>/)
# and a person's page under /people/: all of them are inside the caseload.
_INSIDE_CASELOAD = ("/cases/", "/people/")


def _current_key(sections: list[Section], path: str) -> str | None:
    # The section whose address is the longest start of the page's: /cases/new/ is
    # "Record a referral", /cases/<id>/ falls back to "Caseload" at /cases/.
    best: Section | None = None
    for section in sections:
        if path.startswith(section.url) and (best is None or len(section.url) > len(best.url)):
            best = section
    if best is None and any(marker in path for marker in _INSIDE_CASELOAD):
        return "caseload"
    return best.key if best is not None else None


def group_sections(all_sections: list[Section], path: str) -> list[NavGroup]:
    """The header's groups of a user's sections (``sections_for``), the page's group active."""
    sections = [s for s in all_sections if s.key not in ACCOUNT_SECTIONS]
    current = _current_key(sections, path)
    groups = []
    for key, title in GROUPS:
        members = [s for s in sections if SECTION_GROUPS.get(s.key) == key]
        if not members:
            continue
        groups.append(
            NavGroup(
                key=key,
                title=title,
                url=members[0].url,
                active=any(s.key == current for s in members),
                sections=[
                    NavSection(s.title, s.url, ("page" if path == s.url else "true") if s.key == current else "")
                    for s in members
                ],
            )
        )
    return groups


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
        key="partnership_settings",
        title="Partnership settings",
        url_name="agencies:partnership_settings",
        order=83,
        description="Whether the partnership gives cases a tier of need and risk.",
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
