"""Finding a person by name for the access log's search, without agencies importing cases.

People live in cases, a floor above agencies (pyproject's import contract), so the access
log page cannot query them itself. cases registers its finder here when the app loads
(cases.apps), as the apps register their navigation sections with masip.navigation.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from agencies.models import User


@dataclass(frozen=True)
class PersonFound:
    person_id: int
    name: str
    date_of_birth: str  # "" when not held or not shown


PersonFinder = Callable[[User, str], list[PersonFound]]
_finders: list[PersonFinder] = []


def register_person_finder(finder: PersonFinder) -> None:
    if finder not in _finders:
        _finders.append(finder)


def people_named(*, actor: User, name: str) -> list[PersonFound]:
    """People of the admin's partnership whose name is like ``name`` (the finder scopes and logs)."""
    found: list[PersonFound] = []
    for finder in _finders:
        found.extend(finder(actor, name))
    return found
