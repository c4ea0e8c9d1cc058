"""Reads of the returns, scoped to the person asking: their own partnership, programme roles only.

Outside that the answer is 404 (``Http404``), whether the record exists or not.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone

from agencies.models import User
from reporting.models import DefinitionVersion, GeneratedReturn, Indicator, ReturnDefinition, TrainingEvent
from reporting.returns import measures, permissions, services
from reporting.returns.measures import Quarter

RECENT_RETURNS = 20


def partnership_id_for(user: Any) -> int:
    if not permissions.can_see_programme_data(user):
        raise Http404
    return int(user.agency.partnership_id)


def definitions_for_user(*, user: User) -> list[ReturnDefinition]:
    partnership_id = partnership_id_for(user)
    return list(ReturnDefinition.objects.filter(partnership_id=partnership_id).order_by("name"))


def definition_get_for_user(*, user: User, definition_id: int) -> ReturnDefinition:
    partnership_id = partnership_id_for(user)
    definition = ReturnDefinition.objects.filter(pk=definition_id, partnership_id=partnership_id).first()
    if definition is None:
        raise Http404
    return definition


@dataclass
class DefinitionView:
    definition: ReturnDefinition
    version: DefinitionVersion
    indicators: list[dict[str, Any]]
    versions: list[DefinitionVersion]

    @property
    def is_latest(self) -> bool:
        return bool(self.versions) and self.versions[0].pk == self.version.pk


def definition_view_for_user(*, user: User, definition_id: int, number: int | None = None) -> DefinitionView:
    """A definition at one version (the latest by default), its indicators described in words."""
    definition = definition_get_for_user(user=user, definition_id=definition_id)
    versions = list(definition.versions.select_related("created_by").order_by("-number"))
    if number is None:
        version = versions[0]
    else:
        version = next((v for v in versions if v.number == number), None)  # type: ignore[assignment]
        if version is None:
            raise Http404
    indicators = [
        {**services.describe(services.spec_of(i)), "position": i.position}
        for i in version.indicators.order_by("position")
    ]
    return DefinitionView(definition=definition, version=version, indicators=indicators, versions=versions)


def indicator_get_for_user(*, user: User, definition_id: int, key: str) -> tuple[ReturnDefinition, Indicator]:
    """An indicator of the definition's latest version."""
    definition = definition_get_for_user(user=user, definition_id=definition_id)
    indicator = services.latest_version(definition).indicators.filter(key=key).first()
    if indicator is None:
        raise Http404
    return definition, indicator


def returns_for_user(*, user: User, limit: int = RECENT_RETURNS) -> list[GeneratedReturn]:
    partnership_id = partnership_id_for(user)
    return list(
        GeneratedReturn.objects.filter(partnership_id=partnership_id)
        .select_related("version__definition", "requested_by")
        .defer("results")
        .order_by("-requested_at", "-id")[:limit]
    )


def return_get_for_user(*, user: User, return_id: int, with_results: bool = True) -> GeneratedReturn:
    partnership_id = partnership_id_for(user)
    qs = GeneratedReturn.objects.filter(pk=return_id, partnership_id=partnership_id).select_related(
        "version__definition", "requested_by", "partnership"
    )
    if not with_results:
        qs = qs.defer("results")
    found = qs.first()
    if found is None:
        raise Http404
    # While the worker runs, its progress is in the cache (the figures are read in one snapshot).
    found.indicators_done = services.progress_of(found)
    return found


def preview_for_user(*, user: User, definition_id: int, quarter: Quarter) -> dict[str, Any]:
    """The definition's current version computed now for ``quarter``: nothing is stored."""
    definition = definition_get_for_user(user=user, definition_id=definition_id)
    version = services.latest_version(definition)
    partnership = definition.partnership
    indicators = list(version.indicators.order_by("position"))
    with measures.snapshot():
        computed = [
            services.compute_indicator(services.spec_of(i), partnership_id=partnership.pk, quarter=quarter)
            for i in indicators
        ]
    return services.results_document(partnership=partnership, version=version, quarter=quarter, indicators=computed)


def training_events_for_user(*, user: User, limit: int = 200) -> QuerySet[TrainingEvent]:
    partnership_id = partnership_id_for(user)
    return (
        TrainingEvent.objects.filter(partnership_id=partnership_id)
        .select_related("delivering_agency")
        .order_by("-delivered_on", "-id")[:limit]
    )


def training_event_get_for_user(*, user: User, event_id: int) -> TrainingEvent:
    partnership_id = partnership_id_for(user)
    event = TrainingEvent.objects.filter(pk=event_id, partnership_id=partnership_id).first()
    if event is None:
        raise Http404
    return event


def quarter_choices(*, today: Any = None) -> list[tuple[str, str]]:
    from reporting.returns.measures import recent_quarters

    return [(q.key, q.long_label) for q in recent_quarters(today or timezone.localdate())]
