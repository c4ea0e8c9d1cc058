"""Every write of the returns: definitions and their versions, generated returns, training events.

A definition is changed only by making a new version (``definition_revise``): the
previous versions, and every return generated from them, stay as they were. Each
edit names the version it was made on (``based_on``), so two programme managers
editing at once cannot overwrite each other's change unseen.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import time
from collections.abc import Sequence
from typing import Any

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.text import slugify

from agencies.models import Agency, Partnership, User
from agencies.selectors import partnership_uses_tiers
from masip.replica import use_replica
from reporting.models import (
    DefinitionVersion,
    GeneratedReturn,
    Indicator,
    Period,
    ReturnDefinition,
    ReturnStatus,
    TrainingAudience,
    TrainingEvent,
)
from reporting.returns import measures, permissions
from reporting.returns.measures import IndicatorSpec, Quarter

MAX_INDICATORS = 200


def _require_programme(actor: User) -> int:
    if not permissions.can_see_programme_data(actor):
        raise Http404
    assert actor.agency is not None
    return actor.agency.partnership_id


def spec_of(indicator: Indicator) -> IndicatorSpec:
    return IndicatorSpec(
        key=indicator.key,
        label=indicator.label,
        section=indicator.section,
        measure=indicator.measure,
        date_basis=indicator.date_basis,
        period=indicator.period,
        filters={k: list(v) for k, v in (indicator.filters or {}).items()},
        breakdown=indicator.breakdown,
    )


def latest_version(definition: ReturnDefinition) -> DefinitionVersion:
    version = definition.versions.order_by("-number").first()
    if version is None:  # a definition is always made with its first version
        raise ValidationError({"definition": "This definition has no version"})
    return version


def clean_specs(specs: Sequence[IndicatorSpec]) -> list[IndicatorSpec]:
    if not specs:
        raise ValidationError({"indicators": "A return needs at least one indicator"})
    if len(specs) > MAX_INDICATORS:
        raise ValidationError({"indicators": f"A return can have at most {MAX_INDICATORS} indicators"})
    cleaned: list[IndicatorSpec] = []
    keys: set[str] = set()
    for number, spec in enumerate(specs, start=1):
        spec = dataclasses.replace(
            spec,
            key=(spec.key or "").strip(),
            label=(spec.label or "").strip(),
            section=(spec.section or "").strip(),
            filters={k: list(dict.fromkeys(v)) for k, v in (spec.filters or {}).items() if v},
        )
        errors: dict[str, str] = {}
        if not spec.label:
            errors["label"] = "Enter the indicator's label"
        elif len(spec.label) > 200:
            errors["label"] = "The label must be 200 characters or fewer"
        if not spec.section:
            errors["section"] = "Enter the section the indicator goes in"
        elif len(spec.section) > 100:
            errors["section"] = "The section must be 100 characters or fewer"
        if not spec.key:
            errors["key"] = "Enter a key"
        elif spec.key != slugify(spec.key).replace("-", "_") or len(spec.key) > 60:
            errors["key"] = "The key must be lower-case letters, numbers and underscores, 60 at most"
        elif spec.key in keys:
            errors["key"] = f"Another indicator already has the key “{spec.key}”"
        errors.update(measures.validate_spec(spec))
        if errors:
            if len(specs) > 1 and number:
                errors = {k: f"Indicator {number} ({spec.label or spec.key}): {v}" for k, v in errors.items()}
            raise ValidationError(errors)
        keys.add(spec.key)
        cleaned.append(spec)
    return cleaned


def _write_version(
    *, definition: ReturnDefinition, specs: list[IndicatorSpec], note: str, actor: User | None, number: int
) -> DefinitionVersion:
    version = DefinitionVersion.objects.create(definition=definition, number=number, note=note[:300], created_by=actor)
    Indicator.objects.bulk_create(
        [
            Indicator(
                version=version,
                position=position,
                key=spec.key,
                label=spec.label,
                section=spec.section,
                measure=spec.measure,
                date_basis=spec.date_basis,
                period=spec.period,
                filters=spec.filters,
                breakdown=spec.breakdown,
            )
            for position, spec in enumerate(specs, start=1)
        ]
    )
    return version


@transaction.atomic
def definition_create(
    *,
    partnership: Partnership,
    name: str,
    indicators: Sequence[IndicatorSpec],
    actor: User | None = None,
    description: str = "",
) -> ReturnDefinition:
    name = name.strip()
    if not name:
        raise ValidationError({"name": "Enter the return's name"})
    if ReturnDefinition.objects.filter(partnership=partnership, name=name).exists():
        raise ValidationError({"name": "The partnership already has a return with this name"})
    specs = clean_specs(indicators)
    definition = ReturnDefinition.objects.create(
        partnership=partnership, name=name, description=description, created_by=actor
    )
    _write_version(definition=definition, specs=specs, note="First version", actor=actor, number=1)
    return definition


@transaction.atomic
def definition_ensure_default(*, partnership: Partnership, actor: User | None = None) -> ReturnDefinition:
    """The partnership's Home Office return, made from the default indicators the first time it is asked for."""
    # Serialise two first visits: the partnership row is the lock.
    Partnership.objects.select_for_update().filter(pk=partnership.pk).first()
    existing = ReturnDefinition.objects.filter(partnership=partnership, name=measures.DEFAULT_DEFINITION_NAME).first()
    if existing is not None:
        return existing
    return definition_create(
        partnership=partnership,
        name=measures.DEFAULT_DEFINITION_NAME,
        indicators=measures.DEFAULT_INDICATORS,
        actor=actor,
        description="The figures the Home Office asks funded stalking partnerships for each quarter.",
    )


@transaction.atomic
def definition_revise(
    *,
    actor: User | None,
    definition: ReturnDefinition,
    indicators: Sequence[IndicatorSpec],
    note: str,
    based_on: int | None = None,
    via_admin: bool = False,
) -> DefinitionVersion:
    """Make the next version of ``definition`` with exactly ``indicators``, in that order.

    A member of staff must be allowed to edit their own partnership's definitions; the
    admin site (``via_admin``) has its own permissions, and a command passes no actor.
    """
    if actor is not None and not via_admin:
        partnership_id = _require_programme(actor)
        if definition.partnership_id != partnership_id or not permissions.can_edit_definitions(actor):
            raise Http404
    locked = ReturnDefinition.objects.select_for_update().get(pk=definition.pk)
    current = latest_version(locked)
    if based_on is not None and based_on != current.number:
        raise ValidationError(
            {
                "based_on": f"Someone saved version {current.number} of this return since you opened it: "
                "look at it again and make your change there"
            }
        )
    specs = clean_specs(indicators)
    if specs == [spec_of(i) for i in current.indicators.order_by("position")]:
        raise ValidationError({"indicators": "Nothing changed"})
    note = note.strip()
    if len(note) > 300:
        raise ValidationError({"note": "The note must be 300 characters or fewer"})
    return _write_version(definition=locked, specs=specs, note=note, actor=actor, number=current.number + 1)


def _current_specs(definition: ReturnDefinition) -> tuple[DefinitionVersion, list[IndicatorSpec]]:
    current = latest_version(definition)
    return current, [spec_of(i) for i in current.indicators.order_by("position")]


def _index_of(specs: list[IndicatorSpec], key: str) -> int:
    for index, spec in enumerate(specs):
        if spec.key == key:
            return index
    raise Http404


def _unique_key(specs: list[IndicatorSpec], label: str) -> str:
    base = slugify(label).replace("-", "_")[:50] or "indicator"
    key, n = base, 2
    taken = {s.key for s in specs}
    while key in taken:
        key, n = f"{base}_{n}", n + 1
    return key


@transaction.atomic
def indicator_add(
    *, actor: User, definition: ReturnDefinition, spec: IndicatorSpec, based_on: int, position: int | None = None
) -> DefinitionVersion:
    """Add an indicator (at the end of its section, or at ``position``): a new version."""
    _, specs = _current_specs(definition)
    if not spec.key.strip():
        spec = dataclasses.replace(spec, key=_unique_key(specs, spec.label))
    if position is None:
        in_section = [i for i, s in enumerate(specs) if s.section == spec.section.strip()]
        position = (in_section[-1] + 1) if in_section else len(specs)
    specs.insert(max(0, min(position, len(specs))), spec)
    return definition_revise(
        actor=actor, definition=definition, indicators=specs, based_on=based_on, note=f"Added “{spec.label.strip()}”"
    )


@transaction.atomic
def indicator_change(
    *, actor: User, definition: ReturnDefinition, key: str, spec: IndicatorSpec, based_on: int
) -> DefinitionVersion:
    _, specs = _current_specs(definition)
    index = _index_of(specs, key)
    specs[index] = dataclasses.replace(spec, key=spec.key.strip() or key)
    return definition_revise(
        actor=actor, definition=definition, indicators=specs, based_on=based_on, note=f"Changed “{spec.label.strip()}”"
    )


@transaction.atomic
def indicator_remove(*, actor: User, definition: ReturnDefinition, key: str, based_on: int) -> DefinitionVersion:
    _, specs = _current_specs(definition)
    removed = specs.pop(_index_of(specs, key))
    return definition_revise(
        actor=actor, definition=definition, indicators=specs, based_on=based_on, note=f"Removed “{removed.label}”"
    )


@transaction.atomic
def indicator_move(
    *, actor: User, definition: ReturnDefinition, key: str, direction: str, based_on: int
) -> DefinitionVersion:
    """Move an indicator one place up or down the return."""
    if direction not in ("up", "down"):
        raise ValidationError({"direction": "Move up or down"})
    _, specs = _current_specs(definition)
    index = _index_of(specs, key)
    target = index - 1 if direction == "up" else index + 1
    if not 0 <= target < len(specs):
        raise ValidationError(
            {"direction": f"“{specs[index].label}” is already {'first' if direction == 'up' else 'last'}"}
        )
    specs[index], specs[target] = specs[target], specs[index]
    return definition_revise(
        actor=actor,
        definition=definition,
        indicators=specs,
        based_on=based_on,
        note=f"Moved “{specs[target].label}” {direction}",
    )


# --- generating a return --------------------------------------------------------------------------------------


def _filters_label(spec: IndicatorSpec) -> str:
    parts = []
    for key, values in spec.filters.items():
        f = measures.FILTERS[key]
        labels = dict(f.choices)
        parts.append(f"{f.label}: {', '.join(labels.get(v, v) for v in values)}")
    return "; ".join(parts)


def describe(spec: IndicatorSpec) -> dict[str, Any]:
    """What an indicator counts, in words, for the preview, the files and the definition page."""
    measure = measures.MEASURES[spec.measure]
    basis = measure.basis(spec.date_basis)
    return {
        "key": spec.key,
        "label": spec.label,
        "section": spec.section,
        "measure": spec.measure,
        "measure_label": measure.label,
        "unit": measure.unit,
        "date_basis": spec.date_basis,
        "date_basis_label": basis.label,
        "period": spec.period,
        "period_label": Period(spec.period).label,
        "filters": spec.filters,
        "filters_label": _filters_label(spec),
        "breakdown": spec.breakdown,
        "breakdown_label": measures.DIMENSIONS[spec.breakdown].label if spec.breakdown else "",
    }


TIER = "tier"
# The row a tier breakdown shows where the partnership does not use tiers.
NO_TIERS_LABEL = "—"


def compute_indicator(spec: IndicatorSpec, *, partnership_id: int, quarter: Quarter) -> dict[str, Any]:
    figure = measures.compute(spec, partnership_id=partnership_id, quarter=quarter)
    start, end = quarter.range_for(spec.period)
    rows = [{"value": r.value, "label": r.label, "count": r.count} for r in figure.rows]
    if spec.breakdown == TIER and not partnership_uses_tiers(partnership_id=partnership_id):
        # A partnership without tiers has no tier to break down by: one row, "—", with every case.
        rows = [{"value": measures.NONE, "label": NO_TIERS_LABEL, "count": figure.total}]
    return {
        **describe(spec),
        "period_start": start.isoformat(),
        "period_end": end.isoformat(),
        "total": figure.total,
        "rows": rows,
    }


def results_document(
    *, partnership: Partnership, version: DefinitionVersion, quarter: Quarter, indicators: list[dict[str, Any]]
) -> dict[str, Any]:
    # One sheet per section, in the order each section first appears in the definition.
    by_title: dict[str, dict[str, Any]] = {}
    for item in indicators:
        by_title.setdefault(item["section"], {"title": item["section"], "indicators": []})["indicators"].append(item)
    sections = list(by_title.values())
    return {
        "partnership": partnership.name,
        "partnership_slug": partnership.slug,
        "quarter": quarter.key,
        "quarter_label": quarter.label,
        "period_start": quarter.start.isoformat(),
        "period_end": quarter.end.isoformat(),
        "definition": version.definition.name,
        "definition_id": version.definition_id,
        "version": version.number,
        "sections": sections,
    }


@transaction.atomic
def return_request(
    *, actor: User, definition: ReturnDefinition, quarter: Quarter, suppress_small_numbers: bool
) -> GeneratedReturn:
    """Queue a return for ``quarter`` from the definition's current version; a worker generates it."""
    partnership_id = _require_programme(actor)
    if definition.partnership_id != partnership_id:
        raise Http404
    if quarter.start > timezone.localdate():
        raise ValidationError({"quarter": "That quarter has not started yet"})
    version = latest_version(definition)
    generated = GeneratedReturn.objects.create(
        partnership_id=partnership_id,
        version=version,
        year=quarter.year,
        quarter=quarter.number,
        period_start=quarter.start,
        period_end=quarter.end,
        suppress_small_numbers=suppress_small_numbers,
        indicators_total=version.indicators.count(),
        requested_by=actor,
    )
    from reporting.returns.tasks import generate_return

    transaction.on_commit(lambda: generate_return.delay(generated.pk))
    return generated


def return_generate(*, return_id: int) -> str:
    """Compute every indicator of a queued return, recording progress; idempotent.

    A return already done is left alone. A redelivered task (a worker lost mid-way)
    starts the figures again from the beginning: they are all read from the database as
    it is now, and the result is written in one conditional UPDATE.
    """
    claimed = GeneratedReturn.objects.filter(
        pk=return_id, status__in=[ReturnStatus.QUEUED, ReturnStatus.RUNNING]
    ).update(status=ReturnStatus.RUNNING, started_at=timezone.now(), indicators_done=0, error="")
    if not claimed:
        return "not_pending"
    generated = GeneratedReturn.objects.select_related("version__definition", "partnership").get(pk=return_id)
    quarter = Quarter(generated.year, generated.quarter)
    began = time.monotonic()
    computed: list[dict[str, Any]] = []
    try:
        indicators = list(generated.version.indicators.order_by("position"))
        # All figures from one snapshot: progress cannot be written to the row from inside it (no one
        # would see it before the end), so it goes to the cache, where the page reads it. The snapshot
        # is the replica's when there is one (masip/replica.py); the return's own rows, the primary's.
        with use_replica(), measures.snapshot():
            for done, indicator in enumerate(indicators, start=1):
                computed.append(
                    compute_indicator(spec_of(indicator), partnership_id=generated.partnership_id, quarter=quarter)
                )
                cache.set(progress_key(return_id), done, timeout=PROGRESS_TIMEOUT)
        document = results_document(
            partnership=generated.partnership, version=generated.version, quarter=quarter, indicators=computed
        )
    except Exception as exc:  # recorded for the page; the task logs the traceback
        GeneratedReturn.objects.filter(pk=return_id, status=ReturnStatus.RUNNING).update(
            status=ReturnStatus.FAILED, error=f"{type(exc).__name__}", finished_at=timezone.now()
        )
        raise
    GeneratedReturn.objects.filter(pk=return_id, status=ReturnStatus.RUNNING).update(
        status=ReturnStatus.DONE,
        results=document,
        indicators_done=len(computed),
        finished_at=timezone.now(),
        duration_ms=int((time.monotonic() - began) * 1000),
    )
    cache.delete(progress_key(return_id))
    return "done"


PROGRESS_TIMEOUT = 3600


def progress_key(return_id: int) -> str:
    return f"reporting:return-progress:{return_id}"


def progress_of(generated: GeneratedReturn) -> int:
    """Indicators done so far: the worker's count in the cache while it runs, the row's otherwise."""
    if generated.status == ReturnStatus.RUNNING:
        return int(cache.get(progress_key(generated.pk), generated.indicators_done) or 0)
    return generated.indicators_done


# --- training events ------------------------------------------------------------------------------------------


@dataclasses.dataclass
class TrainingInput:
    delivered_on: dt.date | None
    audience: str
    topic: str
    attendees: int | None
    delivering_agency_id: int | None


def _clean_training(actor: User, data: TrainingInput) -> Agency:
    partnership_id = _require_programme(actor)
    errors: dict[str, str] = {}
    if data.delivered_on is None:
        errors["delivered_on"] = "Enter the date the training was delivered"
    elif data.delivered_on > timezone.localdate():
        errors["delivered_on"] = "The date cannot be in the future"
    if data.audience not in TrainingAudience.values:
        errors["audience"] = "Choose who the training was for"
    if not data.topic.strip():
        errors["topic"] = "Enter the topic"
    elif len(data.topic.strip()) > 200:
        errors["topic"] = "The topic must be 200 characters or fewer"
    if data.attendees is None:
        errors["attendees"] = "Enter how many people attended"
    elif not 1 <= data.attendees <= 10000:
        errors["attendees"] = "Attendees must be between 1 and 10,000"
    agency = (
        Agency.objects.filter(pk=data.delivering_agency_id, partnership_id=partnership_id).first()
        if data.delivering_agency_id is not None
        else None
    )
    if agency is None:
        errors["delivering_agency"] = "Choose the agency that delivered it"
    if errors:
        raise ValidationError(errors)
    assert agency is not None
    return agency


@transaction.atomic
def training_event_record(*, actor: User, data: TrainingInput) -> TrainingEvent:
    agency = _clean_training(actor, data)
    assert data.delivered_on is not None and data.attendees is not None
    return TrainingEvent.objects.create(
        partnership_id=agency.partnership_id,
        delivered_on=data.delivered_on,
        audience=data.audience,
        topic=data.topic.strip(),
        attendees=data.attendees,
        delivering_agency=agency,
        recorded_by=actor,
    )


@transaction.atomic
def training_event_update(*, actor: User, event: TrainingEvent, data: TrainingInput) -> TrainingEvent:
    agency = _clean_training(actor, data)
    locked = TrainingEvent.objects.select_for_update().get(pk=event.pk)
    if locked.partnership_id != agency.partnership_id:
        raise Http404
    assert data.delivered_on is not None and data.attendees is not None
    locked.delivered_on = data.delivered_on
    locked.audience = data.audience
    locked.topic = data.topic.strip()
    locked.attendees = data.attendees
    locked.delivering_agency = agency
    locked.save()
    return locked


@transaction.atomic
def training_event_delete(*, actor: User, event: TrainingEvent) -> None:
    partnership_id = _require_programme(actor)
    if event.partnership_id != partnership_id:
        raise Http404
    event.delete()
