"""The URLs of the URL configuration, with their parameters filled from the walk's world."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.urls import URLPattern, URLResolver, get_resolver

PARAM = re.compile(r"<(?:(?P<converter>[^>:]+):)?(?P<name>[^>]+)>")
# Sign-in and sign-out (allauth) show no case data, and the Django admin has its own
# tests (its sign-in goes through allauth); every other route of the project is walked.
SKIPPED_PREFIXES = ("accounts/", "admin/")


@dataclass(frozen=True)
class Route:
    pattern: str
    names: tuple[str, ...]

    @property
    def is_api(self) -> bool:
        return self.pattern.startswith("api/")

    def url(self, values: dict[str, object]) -> str:
        return "/" + PARAM.sub(lambda m: str(values[m.group("name")]), self.pattern)

    def sample_url(self) -> str:
        """The route with a value of the right shape in each parameter, to find its view."""
        shapes = {"int": "1", "uuid": "00000000-0000-0000-0000-000000000001"}
        return "/" + PARAM.sub(lambda m: shapes.get(m.group("converter") or "str", "x"), self.pattern)


def _patterns(entries: list[Any], prefix: str = "") -> Iterator[str]:
    for entry in entries:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            yield from _patterns(entry.url_patterns, route)
        elif isinstance(entry, URLPattern):
            yield route


def project_routes() -> list[Route]:
    found = set()
    for pattern in _patterns(get_resolver().url_patterns):
        if pattern.startswith(SKIPPED_PREFIXES) or pattern.startswith("^"):
            continue
        found.add(Route(pattern, tuple(m.group("name") for m in PARAM.finditer(pattern))))
    return sorted(found, key=lambda r: r.pattern)


def bindings(route: Route, params: dict[str, list[dict[str, object]]]) -> list[dict[str, object]]:
    """Every distinct filling of the route's parameters that the world offers.

    A filling comes from one record's values (a contact with its case's id), so a URL
    never pairs a record with a case it does not belong to.
    """
    if not route.names:
        return [{}]
    wanted = set(route.names)
    seen: dict[tuple[tuple[str, str], ...], dict[str, object]] = {}
    for group in params.values():
        for values in group:
            if wanted <= values.keys():
                chosen = {name: values[name] for name in route.names}
                seen.setdefault(tuple(sorted((k, str(v)) for k, v in chosen.items())), chosen)
    return list(seen.values())
