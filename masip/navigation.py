"""The sections of the service a user can reach, for the header and the home page.

Only sections that exist are listed; each feature adds its own entry here with
the predicate that decides who sees it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.urls import reverse

from agencies.permissions import is_partnership_admin


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    url: str
    description: str


def sections_for(user: Any) -> list[Section]:
    sections: list[Section] = []
    if is_partnership_admin(user):
        sections += [
            Section(
                "staff",
                "Staff",
                reverse("agencies:staff_list"),
                "Invite staff, change their agency or role, and deactivate accounts.",
            ),
            Section(
                "agreement",
                "Information sharing",
                reverse("agencies:agreement"),
                "Which agencies may see which classes of record in this partnership.",
            ),
            Section(
                "access_log",
                "Access log",
                reverse("audit:access_log"),
                "Who looked at, changed or exported personal data, and when.",
            ),
        ]
    sections.append(
        Section(
            "security",
            "Account security",
            reverse("mfa_index"),
            "Set up or change two-factor authentication and recovery codes.",
        )
    )
    return sections
