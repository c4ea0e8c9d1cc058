"""Reads of the returns, the dashboard and the data-quality report, scoped to the person
asking: their own partnership, programme roles only.

Outside that the answer is 404 (``Http404``), whether the record exists or not. The reads a
page or an endpoint shows (at the end of this module) write the access-log row themselves,
so the pages and the API log alike and no view writes the log.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone

from agencies.models import User
from audit.models import AccessAction
from audit.services import access_record
from masip.replica import use_replica
from reporting.dashboard import BarCases, Dashboard, ReportPeriod, cases_behind_bar, dashboard_for_partnership
from reporting.data_quality import CheckCases, StageResult, cases_for_check, report_for_partnership
from reporting.models import (
    DefinitionVersion,
    GeneratedReturn,
    Indicator,
    ReturnDefinition,
    ReturnStatus,
    TrainingEvent,
)
from reporting.returns import measures, permissions, services, xlsx
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
    # Who may see it and what it counts were read above, on the primary; the figures, from the replica.
    with use_replica(), measures.snapshot():
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


# --- reads a page and the API show, logged here ------------------------------------------------------------


def return_detail_for_user(*, user: User, return_id: int) -> GeneratedReturn:
    """A generated return with its figures: its page and ``GET /api/v1/reporting/returns/{id}/``."""
    generated = return_get_for_user(user=user, return_id=return_id)
    access_record(
        user=user, action=AccessAction.VIEW, record_type="reporting.generated_return", record_ids=[generated.pk]
    )
    return generated


def return_preview_for_user(*, user: User, definition_id: int, quarter: Quarter) -> dict[str, Any]:
    """The preview page: ``preview_for_user``'s figures, logged as a look at the definition's figures."""
    results = preview_for_user(user=user, definition_id=definition_id, quarter=quarter)
    access_record(
        user=user,
        action=AccessAction.VIEW,
        record_type="reporting.return_preview",
        record_ids=[definition_id],
        purpose=f"preview of {quarter.label}, version {results['version']}",
    )
    return results


@dataclass(frozen=True)
class ReturnFile:
    body: bytes | str
    content_type: str
    filename: str


XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _cover(generated: GeneratedReturn) -> xlsx.Cover:
    quarter = Quarter(generated.year, generated.quarter)
    by = generated.requested_by
    finished = timezone.localtime(generated.finished_at) if generated.finished_at else None
    return xlsx.Cover(
        partnership=generated.partnership.name,
        quarter=quarter.label,
        period=f"{quarter.start:%-d %B %Y} to {quarter.end:%-d %B %Y}",
        definition=generated.version.definition.name,
        version=generated.version.number,
        generated_at=f"{finished:%-d %B %Y %H:%M}" if finished else "",
        generated_by=f"{by.get_full_name() or by.email}{', ' + by.agency.name if by.agency else ''}",
        suppressed=generated.suppress_small_numbers,
    )


def download_filename(generated: GeneratedReturn, extension: str) -> str:
    return (
        f"{generated.partnership.slug}-return-{generated.year}-{(generated.year + 1) % 100:02d}-q{generated.quarter}"
        f"-v{generated.version.number}-{generated.pk}.{extension}"
    )


def return_export_for_user(*, user: User, return_id: int, file_format: str) -> ReturnFile:
    """The XLSX or CSV of a generated return, logged as an export. The page and the API both ask this."""
    generated = return_get_for_user(user=user, return_id=return_id)
    if generated.status != ReturnStatus.DONE or file_format not in ("xlsx", "csv"):
        raise Http404
    sections = xlsx.present(generated.results, suppress=generated.suppress_small_numbers)
    cover = _cover(generated)
    if file_format == "xlsx":
        body: bytes | str = xlsx.render_xlsx(cover, sections)
        content_type = XLSX_TYPE
    else:
        body, content_type = xlsx.render_csv(cover, sections), "text/csv; charset=utf-8"
    access_record(
        user=user,
        action=AccessAction.EXPORT,
        record_type="reporting.generated_return",
        record_ids=[generated.pk],
        purpose=f"{file_format.upper()} of the {cover.quarter} return (definition version {cover.version})",
    )
    return ReturnFile(body=body, content_type=content_type, filename=download_filename(generated, file_format))


def dashboard_for_user(*, user: User, today: dt.date | None = None, period: ReportPeriod | None = None) -> Dashboard:
    """The programme dashboard of the user's partnership (aggregates only), logged."""
    partnership_id = partnership_id_for(user)
    with use_replica():
        board = dashboard_for_partnership(partnership_id=partnership_id, today=today, period=period)
    access_record(user=user, action=AccessAction.VIEW, record_type="reporting.dashboard")
    return board


def _bar_date(query: Mapping[str, str], name: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(query.get(name, ""))
    except ValueError:
        return None


def dashboard_cases_for_user(*, user: User, query: Mapping[str, str]) -> BarCases:
    """The cases behind one dashboard bar that the user may open, logged against each.

    The bar comes from the query string (chart, series, and a value or from/to dates); a bar
    that is not one of the dashboard's is 404, as is anyone outside the programme roles."""
    partnership_id_for(user)
    found = cases_behind_bar(
        user=user,
        chart=query.get("chart", ""),
        series=query.get("series", ""),
        params={"value": query.get("value", ""), "start": _bar_date(query, "from"), "end": _bar_date(query, "to")},
    )
    access_record(
        user=user,
        action=AccessAction.VIEW,
        record_type="cases.case",
        record_ids=[c.pk for c in found.cases],
        purpose=f"dashboard {found.chart} {found.series}",
    )
    return found


def data_quality_for_user(*, user: User) -> list[StageResult]:
    """The data-quality report of the user's partnership (counts only), logged."""
    partnership_id = partnership_id_for(user)
    with use_replica():
        stages = report_for_partnership(partnership_id=partnership_id)
    access_record(user=user, action=AccessAction.VIEW, record_type="reporting.data_quality")
    return stages


def data_quality_cases_for_user(*, user: User, key: str) -> CheckCases:
    """The cases one data-quality check finds that the user may open, logged against each."""
    partnership_id_for(user)
    found = cases_for_check(user=user, key=key)
    access_record(
        user=user,
        action=AccessAction.VIEW,
        record_type="cases.case",
        record_ids=[c.pk for c in found.cases],
        purpose=f"data-quality check {key}",
    )
    return found
