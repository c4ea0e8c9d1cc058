"""Factories that build through the services, so test data obeys the same rules."""

from __future__ import annotations

import itertools
from typing import Any

from agencies import services
from agencies.models import Agency, AgencyKind, Partnership, Role, User

PASSWORD = "correct-horse-battery-staple"
_seq = itertools.count(1)


def make_partnership(name: str | None = None) -> Partnership:
    n = next(_seq)
    return services.partnership_create(name=name or f"Partnership {n}", slug=f"partnership-{n}")


def make_agency(partnership: Partnership, kind: AgencyKind | str, name: str | None = None) -> Agency:
    return services.agency_create(
        partnership=partnership, name=name or f"{AgencyKind(kind).label} {next(_seq)}", kind=kind
    )


def make_user(agency: Agency, role: Role | str, **extra: Any) -> User:
    n = next(_seq)
    return services.staff_create(
        email=extra.pop("email", f"staff{n}@example.org"),
        first_name=extra.pop("first_name", "Staff"),
        last_name=extra.pop("last_name", f"Member {n}"),
        agency=agency,
        role=role,
        password=extra.pop("password", PASSWORD),
        **extra,
    )


class World:
    """A partnership with one agency of each core kind and a named user per role."""

    def __init__(self, name: str | None = None) -> None:
        self.partnership = make_partnership(name)
        self.police = make_agency(self.partnership, AgencyKind.POLICE)
        self.probation = make_agency(self.partnership, AgencyKind.PROBATION)
        self.health = make_agency(self.partnership, AgencyKind.HEALTH)
        self.advocacy = make_agency(self.partnership, AgencyKind.ADVOCACY)
        self.triage_officer = make_user(self.police, Role.TRIAGE_OFFICER)
        self.advocate = make_user(self.advocacy, Role.ADVOCATE)
        self.clinician = make_user(self.health, Role.CLINICIAN)
        self.probation_practitioner = make_user(self.probation, Role.PROBATION_PRACTITIONER)
        self.programme_manager = make_user(self.police, Role.PROGRAMME_MANAGER)
        self.admin = make_user(self.police, Role.PARTNERSHIP_ADMIN)
