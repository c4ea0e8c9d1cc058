"""Every write about risk: instruments, assessments and their lifecycle, incidents, MARAC referrals.

Lifecycle of an assessment: a draft is saved as it is filled in (the pages autosave
with htmx); completing it works out the result, locks it and makes it the case's
current assessment with that instrument; a correction is an amendment, a new
revision with a reason, which replaces it as current when completed. Each write keeps
``Case.current_risk`` (the caseload's filter) and ``Case.next_due_on`` (through the
due-date source registered in apps.py) in step.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dateutil.relativedelta import relativedelta
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.utils import timezone

from agencies.models import Partnership, User
from audit.models import AccessAction
from audit.services import access_record
from cases import permissions as case_permissions
from cases.models import Case, StalkerType
from cases.services import next_due_changed, next_due_scope
from risk import loader, permissions, scoring, selectors
from risk.models import (
    OVERALL_RANK,
    YES_NO_UNKNOWN_CHOICES,
    Answer,
    Assessment,
    Incident,
    IncidentSource,
    InstrumentVersion,
    Item,
    MaracReferral,
    Response,
    RiskSettings,
    Scoring,
    Status,
)

SASH_KEY = selectors.SASH_KEY
STALKER_TYPE_ITEM = "stalker_type"
# The SRP's secondary stalker type (from the version with two violence judgements on).
STALKER_TYPE_SECONDARY_ITEM = "stalker_type_secondary"
MAX_TEXT = 20_000
YES_NO_VALUES = {value for value, _ in YES_NO_UNKNOWN_CHOICES}


def _lock_case(case: Case) -> Case:
    """Risk writes on one case take its row lock: completions and incidents do not interleave."""
    return Case.objects.select_for_update().get(pk=case.pk)


def _log(actor: User, action: AccessAction, record_type: str, ids: list[int], purpose: str = "") -> None:
    access_record(user=actor, action=action, record_type=record_type, record_ids=ids, purpose=purpose)


# --- instruments -------------------------------------------------------------------------------------------------


def _models() -> loader.ModelSet:
    from risk.models import Instrument, InstrumentVersion, Item, ItemGroup

    return loader.ModelSet(Instrument=Instrument, InstrumentVersion=InstrumentVersion, ItemGroup=ItemGroup, Item=Item)


@transaction.atomic
def instrument_version_load(
    *,
    data: Mapping[str, Any],
    partnership: Partnership | None = None,
    actor: User | None = None,
    source: str = "",
    make_current: bool = True,
) -> InstrumentVersion:
    """Load one instrument version from a definition (docs/risk-instruments.md).

    With a partnership, the version (and any licensed wording in it) is that
    partnership's alone; without, it is offered to every partnership and may carry
    topic labels only. A loaded version is never changed afterwards.
    """
    try:
        definition = loader.parse_definition(data)
        version = loader.write_definition(
            definition,
            models=_models(),
            partnership_id=partnership.pk if partnership is not None else None,
            loaded_by_id=actor.pk if actor is not None else None,
            source=source,
            make_current=make_current,
        )
    except loader.DefinitionError as exc:
        raise ValidationError({"definition": str(exc)}) from exc
    assert isinstance(version, InstrumentVersion)
    return version


def instrument_version_load_file(
    *, path: str | Path, partnership: Partnership | None = None, actor: User | None = None, make_current: bool = True
) -> InstrumentVersion:
    """``python manage.py load_instrument FILE``: a JSON or YAML definition file."""
    try:
        data = loader.read_file(path)
    except loader.DefinitionError as exc:
        raise ValidationError({"definition": str(exc)}) from exc
    return instrument_version_load(
        data=data, partnership=partnership, actor=actor, source=Path(path).name, make_current=make_current
    )


@transaction.atomic
def instruments_ensure_shipped() -> int:
    """Load any shipped instrument that is missing (the data migration normally has). Returns how many."""
    models = _models()
    loaded = 0
    for name in loader.SHIPPED_FILES:
        definition = loader.parse_definition(loader.read_file(loader.SHIPPED_DIR / name))
        if not InstrumentVersion.objects.filter(
            instrument__key=definition.instrument_key, partnership__isnull=True, version=definition.version
        ).exists():
            loader.write_definition(
                definition, models=models, partnership_id=None, source=f"shipped: risk/instruments/{name}"
            )
            loaded += 1
    return loaded


def _version_for_new(instrument_key: str, partnership_id: int) -> InstrumentVersion:
    version = selectors.current_version_for(instrument_key=instrument_key, partnership_id=partnership_id)
    if version is None and instruments_ensure_shipped():
        version = selectors.current_version_for(instrument_key=instrument_key, partnership_id=partnership_id)
    if version is None:
        raise ValidationError({"instrument": f"There is no instrument {instrument_key!r}"})
    return version


# --- settings ----------------------------------------------------------------------------------------------------


SETTINGS_LIMITS: dict[str, tuple[int, int, str]] = {
    "dash_medium_from": (1, 26, "the lowest score of the medium band"),
    "dash_high_from": (2, 27, "the lowest score of the high band"),
    "marac_score_from": (1, 27, "the MARAC threshold"),
    "escalation_incidents": (2, 20, "the number of incidents"),
    "escalation_months": (1, 36, "the escalation period"),
    "repeat_months": (1, 36, "the repeat period"),
}


@transaction.atomic
def risk_settings_update(*, actor: User, values: Mapping[str, int]) -> RiskSettings:
    """Change the partnership's thresholds. Completed assessments keep the ones they were scored with."""
    if not permissions.can_change_settings(actor):
        raise PermissionDenied("Only a partnership admin changes the risk thresholds")
    assert actor.agency is not None
    errors: dict[str, str] = {}
    for name, (low, high, noun) in SETTINGS_LIMITS.items():
        value = values.get(name)
        if not isinstance(value, int) or isinstance(value, bool):
            errors[name] = f"Enter {noun} as a whole number"
        elif not low <= value <= high:
            errors[name] = f"Enter {noun} between {low} and {high}"
    if not errors and values["dash_high_from"] <= values["dash_medium_from"]:
        errors["dash_high_from"] = "The high band must start above the medium band"
    if errors:
        raise ValidationError(errors)
    settings, _ = RiskSettings.objects.select_for_update().get_or_create(partnership_id=actor.agency.partnership_id)
    for name in SETTINGS_LIMITS:
        setattr(settings, name, values[name])
    settings.updated_by = actor
    settings.save()
    return settings


# --- assessments --------------------------------------------------------------------------------------------------


@transaction.atomic
def assessment_start(*, actor: User, case: Case, instrument_key: str) -> Assessment:
    """Start a draft with the version the partnership uses now."""
    case_permissions.require_case(actor, case)
    if not permissions.can_assess(actor, instrument_key):
        raise PermissionDenied("Your role or agency cannot carry out this assessment")
    assert actor.agency is not None
    version = _version_for_new(instrument_key, case.partnership_id)
    _lock_case(case)
    if Assessment.objects.filter(case=case, instrument=version.instrument, status=Status.DRAFT).exists():
        raise ValidationError(
            {"instrument": f"A draft {version.instrument.short_name} is already in progress: continue or delete it"}
        )
    assessment = Assessment.objects.create(
        case=case,
        instrument=version.instrument,
        version=version,
        assessed_on=timezone.localdate(),
        created_by=actor,
        agency=actor.agency,
    )
    _log(actor, AccessAction.CREATE, "risk.assessment", [assessment.pk])
    return assessment


def _check_value(item: Item, value: str, bands: list[scoring.Band]) -> str | None:
    """An error message, or None when the value is one the item takes."""
    if item.response == Response.YES_NO_UNKNOWN and value not in YES_NO_VALUES:
        return f"Select yes, no or not known for {item.label.lower()}"
    if item.response == Response.LEVEL and value == scoring.NOT_RATED:
        return None if item.allows_not_rated else f"{item.label} must be rated: select a level"
    if item.response == Response.LEVEL and value not in {b.key for b in bands}:
        return f"Select a level for {item.label.lower()}"
    if item.response == Response.CHOICE and value not in {str(v) for v, _ in item.options}:
        return f"Select an answer for {item.label.lower()}"
    if item.response == Response.TEXT and len(value) > MAX_TEXT:
        return f"{item.label} must be {MAX_TEXT:,} characters or fewer"
    return None


def required_message(item: Item) -> str:
    if item.response == Response.TEXT:
        return f"Enter the {item.label[0].lower()}{item.label[1:]}"
    if item.response == Response.YES_NO_UNKNOWN:
        return f"Select yes, no or not known for {item.label[0].lower()}{item.label[1:]}"
    return f"Select an answer for {item.label[0].lower()}{item.label[1:]}"


def _editable_draft(actor: User, assessment: Assessment) -> Assessment:
    case_permissions.require_case(actor, assessment.case)
    locked = (
        Assessment.objects.select_for_update(of=("self",))
        .select_related("version", "version__instrument", "instrument")
        .get(pk=assessment.pk)
    )
    if locked.status != Status.DRAFT:
        raise ValidationError({"status": "A completed assessment is locked: amend it to change it"})
    locked.case = assessment.case
    if not permissions.can_edit_draft(actor, locked):
        raise PermissionDenied("Only the agency that started this draft can change it")
    return locked


_UNSET: Any = object()


@transaction.atomic
def assessment_save(
    *,
    actor: User,
    assessment: Assessment,
    answers: Mapping[str, str] | None = None,
    assessed_on: dt.date | None = _UNSET,
    notes: str | None = None,
    judgement_level: str | None = None,
    judgement_reason: str | None = None,
) -> Assessment:
    """Save part or all of a draft. An empty answer clears it. Nothing is checked for completeness here."""
    locked = _editable_draft(actor, assessment)
    settings = selectors.risk_settings_for(partnership_id=locked.case.partnership_id)
    bands = selectors.bands_for(locked.version, settings)
    items = {i.key: i for i in selectors.version_items(locked.version)}
    errors: dict[str, str] = {}
    cleaned: dict[str, str] = {}
    for key, raw in (answers or {}).items():
        item = items.get(key)
        if item is None:
            errors[key] = "This is not an item of the instrument version this assessment uses"
            continue
        value = (raw or "").strip()
        if item.record_class and not case_permissions.may_see(actor, item.record_class):
            errors[key] = "Your agency may not write a record of this class"
            continue
        if value:
            problem = _check_value(item, value, bands)
            if problem:
                errors[key] = problem
                continue
        cleaned[key] = value
    if assessed_on is not _UNSET:
        if assessed_on is None:
            errors["assessed_on"] = "Enter the date of the assessment"
        elif assessed_on > timezone.localdate():
            errors["assessed_on"] = "The date of the assessment cannot be in the future"
    if judgement_level is not None and judgement_level:
        if not locked.version.allows_judgement:
            errors["judgement_level"] = "This instrument's level is already a judgement"
        elif judgement_level not in {b.key for b in bands}:
            errors["judgement_level"] = "Select a level of this instrument"
    if notes is not None and len(notes) > MAX_TEXT:
        errors["notes"] = f"Notes must be {MAX_TEXT:,} characters or fewer"
    if errors:
        raise ValidationError(errors)
    for key, value in cleaned.items():
        if value:
            Answer.objects.update_or_create(assessment=locked, item=items[key], defaults={"value": value})
        else:
            Answer.objects.filter(assessment=locked, item=items[key]).delete()
    if assessed_on is not _UNSET:
        locked.assessed_on = assessed_on
    if notes is not None:
        locked.notes = notes.strip()
    if judgement_reason is not None:
        locked.judgement_reason = judgement_reason.strip()
    if judgement_level is not None:
        if judgement_level and locked.version.scoring == Scoring.YES_COUNT:
            # Refused here as on completion: judgement may raise the scored band, never lower it.
            current = selectors.draft_answers(locked)
            score = scoring.yes_count(selectors.item_rules(items.values()), current)
            band = scoring.band_for(score, bands)
            try:
                scoring.resolve_level(bands, band.key if band else bands[0].key, judgement_level)
            except scoring.LevelError as exc:
                raise ValidationError({"judgement_level": str(exc)}) from exc
        locked.judgement_level = judgement_level
    locked.save()
    return locked


def _results(
    assessment: Assessment,
    items: list[Item],
    answers: dict[str, str],
    settings: RiskSettings,
    *,
    incidents: list[dt.date],
    referrals: list[dt.date],
) -> None:
    """Work out and set the result fields of ``assessment`` (not saved)."""
    version = assessment.version
    bands = selectors.bands_for(version, settings)
    rules = selectors.item_rules(items)
    opened = scoring.open_keys(rules, answers)
    assessment.subscores = {}
    if version.scoring == Scoring.YES_COUNT:
        score = scoring.yes_count(rules, answers)
        subscore_groups = {i.group.key for i in items if i.group.subscore}
        assessment.score = score
        assessment.subscores = {
            key: count
            for key, count in scoring.group_yes_counts(rules, answers, subscore_groups).items()
            if any(i.group.key == key and i.key in opened for i in items)
        }
        found = scoring.band_for(score, bands)
        assessment.band = found.key if found else ""
    elif version.scoring == Scoring.DIRECT_LEVEL:
        assessment.score = None
        assessment.band = next((answers.get(i.key, "") for i in items if i.response == Response.LEVEL), "")
    else:
        assessment.score = None
        assessment.band = scoring.highest_level(
            bands, [answers.get(i.key, "") for i in items if i.scored and i.key in opened]
        )
    if assessment.judgement_level and not version.allows_judgement:
        raise ValidationError({"judgement_level": "This instrument's level is already a judgement"})
    try:
        assessment.level = (
            scoring.resolve_level(bands, assessment.band, assessment.judgement_level) if assessment.band else ""
        )
    except scoring.LevelError as exc:
        raise ValidationError({"judgement_level": str(exc)}) from exc
    if assessment.level != assessment.band and not assessment.judgement_reason.strip():
        raise ValidationError({"judgement_reason": "Give the reason for raising the level"})
    if assessment.level == assessment.band:
        # Judgement that does not raise the level is no judgement on the record.
        assessment.judgement_level = assessment.judgement_reason = ""
    assessment.overall = scoring.overall_for(bands, assessment.level)
    thresholds = selectors.thresholds_of(settings)
    assessment.scored_with = {
        "bands": [b.as_data() for b in bands],
        "marac_score_from": thresholds.marac_score_from,
        "escalation_incidents": thresholds.escalation_incidents,
        "escalation_months": thresholds.escalation_months,
        "repeat_months": thresholds.repeat_months,
    }
    if version.marac:
        assert assessment.assessed_on is not None
        criteria = scoring.evaluate_marac(
            on=assessment.assessed_on,
            thresholds=thresholds,
            score=assessment.score,
            top_band=bands[-1] if bands else None,
            scored_band=assessment.band,
            judgement_level=assessment.judgement_level,
            judgement_reason=assessment.judgement_reason,
            incident_dates=incidents,
            referral_dates=referrals,
        )
        assessment.marac_criteria = [c.as_data() for c in criteria]
        assessment.marac_met = any(c.met for c in criteria)
    else:
        assessment.marac_criteria, assessment.marac_met = [], False


def _first_revision(assessment: Assessment) -> Assessment:
    first = assessment
    while first.amends_id:
        first = Assessment.objects.only("id", "amends_id", "completed_at").get(pk=first.amends_id)
    return first


def _incident_review_due(occurred_on: dt.date, recorded_on: dt.date, assessed_on: dt.date) -> dt.date:
    """A new incident makes the DASH due again: on the day of the incident, or when it is
    recorded if it happened before the assessment and was not known then."""
    return occurred_on if occurred_on > assessed_on else recorded_on


def _review_due(assessment: Assessment) -> dt.date | None:
    version = assessment.version
    assert assessment.assessed_on is not None
    dues: list[dt.date] = []
    if version.review_after_months:
        dues.append(assessment.assessed_on + relativedelta(months=version.review_after_months))
    if version.review_on_incident:
        first = _first_revision(assessment)
        since = first.completed_at or timezone.now()
        for incident in Incident.objects.filter(case_id=assessment.case_id, created_at__gt=since):
            dues.append(
                _incident_review_due(
                    incident.occurred_on, timezone.localdate(incident.created_at), assessment.assessed_on
                )
            )
    return min(dues) if dues else None


def _recompute_current(case_id: int, instrument_id: int) -> Assessment | None:
    """The case's current assessment with an instrument: the latest completed one not replaced by an amendment."""
    winner = (
        Assessment.objects.filter(case_id=case_id, instrument_id=instrument_id, status=Status.COMPLETED)
        .exclude(amendment__status=Status.COMPLETED)
        .order_by("-assessed_on", "-completed_at", "-id")
        .first()
    )
    stale = Assessment.objects.filter(case_id=case_id, instrument_id=instrument_id, is_current=True)
    if winner is not None:
        stale = stale.exclude(pk=winner.pk)
    stale.update(is_current=False)
    if winner is not None and not winner.is_current:
        Assessment.objects.filter(pk=winner.pk).update(is_current=True)
        winner.is_current = True
    return winner


def _refresh_case_risk(case_id: int) -> str:
    """Case.current_risk: the highest overall level among the case's current assessments."""
    levels = (
        Assessment.objects.filter(case_id=case_id, is_current=True)
        .exclude(overall="")
        .values_list("overall", flat=True)
    )
    overall = max(levels, key=lambda level: OVERALL_RANK.get(level, 0), default="")
    Case.objects.filter(pk=case_id).exclude(current_risk=overall).update(current_risk=overall)
    return overall


@dataclass(frozen=True)
class NewAssessment:
    """A completed assessment about to be written for a case that has no other (a bundle import)."""

    case: Hashable
    instrument: Hashable
    assessed_on: dt.date
    overall: str


def assessments_current_at_insert(assessments: Sequence[NewAssessment]) -> tuple[set[int], dict[Hashable, str]]:
    """``_recompute_current`` and ``_refresh_case_risk`` for assessments not yet written, so
    that they are written with their flags set instead of updated straight after (an update
    of every row just written cost a 100,000-referral import 25 s and left the table twice
    its size until vacuumed). For new cases only: completed, no amendments, listed in the
    order they are completed. Answers the positions of the current ones (per case and
    instrument the latest by date; of one day, the later completed) and each case's
    current risk (the highest overall level of those)."""
    latest: dict[tuple[Hashable, Hashable], int] = {}
    for position, assessment in enumerate(assessments):
        key = (assessment.case, assessment.instrument)
        if key not in latest or assessment.assessed_on >= assessments[latest[key]].assessed_on:
            latest[key] = position
    risk: dict[Hashable, str] = {}
    for position in latest.values():
        assessment = assessments[position]
        if OVERALL_RANK.get(assessment.overall, 0) > OVERALL_RANK.get(risk.get(assessment.case, ""), 0):
            risk[assessment.case] = assessment.overall
    return set(latest.values()), risk


# The bulk forms below work on this many cases a statement: a bundle import refreshes 100,000.
BULK_CHUNK = 5000


def _overall_rank_sql(column: str) -> str:
    """OVERALL_RANK as a SQL expression: the order ``_refresh_case_risk`` ranks levels by."""
    whens = " ".join(f"WHEN '{level}' THEN {rank}" for level, rank in OVERALL_RANK.items())
    return f"CASE {column} {whens} ELSE 0 END"


@transaction.atomic
def assessments_refresh_current(*, case_ids: Sequence[int]) -> None:
    """The set-based form of ``_recompute_current`` and ``_refresh_case_risk`` for many cases
    at once (a bundle import): each case's current assessment with each instrument (the
    latest completed one not replaced by a completed amendment; of one day, the later
    completed) and ``Case.current_risk`` (the highest overall level of those).

    Only rows whose value changes are written, as the single-record form does, so the
    history of an assessment that stays current gains nothing. A test holds the two forms
    to the same answers on the same data.
    """
    table = connection.ops.quote_name(Assessment._meta.db_table)
    case_table = connection.ops.quote_name(Case._meta.db_table)
    completed = Status.COMPLETED.value
    # The winners, as _recompute_current orders them. Positional parameters: pgtrigger.ignore
    # (the import) puts its own in front of every statement.
    winners = f"""
        SELECT DISTINCT ON (x.case_id, x.instrument_id) x.id
        FROM {table} x
        WHERE x.case_id = ANY(%s) AND x.status = '{completed}'
          AND NOT EXISTS (SELECT 1 FROM {table} y WHERE y.amends_id = x.id AND y.status = '{completed}')
        ORDER BY x.case_id, x.instrument_id, x.assessed_on DESC, x.completed_at DESC, x.id DESC
    """  # noqa: S608 (names from model metadata, values from the Status enum)
    rank = _overall_rank_sql("a.overall")
    with connection.cursor() as cursor:
        for start in range(0, len(case_ids), BULK_CHUNK):
            chunk = list(case_ids[start : start + BULK_CHUNK])
            # Two statements, losers first: at most one current assessment per case and
            # instrument is a unique index, checked row by row.
            cursor.execute(
                f"UPDATE {table} SET is_current = false "  # noqa: S608
                f"WHERE case_id = ANY(%s) AND is_current AND id NOT IN ({winners})",
                [chunk, chunk],
            )
            cursor.execute(
                f"UPDATE {table} SET is_current = true WHERE NOT is_current AND id IN ({winners})",  # noqa: S608
                [chunk],
            )
            cursor.execute(
                f"""
                UPDATE {case_table} c SET current_risk = r.overall
                FROM (
                    SELECT c2.id, COALESCE((
                        SELECT a.overall FROM {table} a
                        WHERE a.case_id = c2.id AND a.is_current AND a.overall <> ''
                        ORDER BY {rank} DESC LIMIT 1
                    ), '') AS overall
                    FROM {case_table} c2 WHERE c2.id = ANY(%s)
                ) r
                WHERE c.id = r.id AND c.current_risk <> r.overall
                """,  # noqa: S608
                [chunk],
            )


def _after_completion(assessment: Assessment) -> None:
    current = _recompute_current(assessment.case_id, assessment.instrument_id)
    assessment.is_current = current is not None and current.pk == assessment.pk
    if current is not None and current.instrument.key == selectors.SRP_KEY:
        typology = dict(
            Answer.objects.filter(
                assessment=current, item__key__in=(STALKER_TYPE_ITEM, STALKER_TYPE_SECONDARY_ITEM)
            ).values_list("item__key", "value")
        )
        stalker_type = typology.get(STALKER_TYPE_ITEM, "")
        if stalker_type in StalkerType.values:
            secondary = typology.get(STALKER_TYPE_SECONDARY_ITEM, "")
            changes: dict[str, str] = {"stalker_type": stalker_type}
            if secondary in StalkerType.values:
                changes["stalker_type_secondary"] = secondary
            else:
                # No secondary in this SRP (unanswered, or an earlier version without the item): the
                # case keeps the one a meeting recorded, unless it is now the primary type.
                kept = Case.objects.values_list("stalker_type_secondary", flat=True).get(pk=current.case_id)
                if kept == stalker_type:
                    changes["stalker_type_secondary"] = ""
            Case.objects.filter(pk=current.case_id).exclude(**changes).update(**changes)
    _refresh_case_risk(assessment.case_id)
    next_due_changed(case_ids=[assessment.case_id])


def version_scores_domains(version: InstrumentVersion) -> bool:
    """A structured judgement: its level is the highest of its rated domains."""
    return version.scoring == Scoring.HIGHEST_LEVEL


def _complete(
    actor: User, assessment: Assessment, answers: dict[str, str], items: list[Item], *, direct: bool
) -> Assessment:
    settings = selectors.risk_settings_for(partnership_id=assessment.case.partnership_id)
    rules = selectors.item_rules(items)
    by_key = {i.key: i for i in items}
    errors: dict[str, str] = {}
    if assessment.assessed_on is None:
        errors["assessed_on"] = "Enter the date of the assessment"
    elif assessment.assessed_on > timezone.localdate():
        errors["assessed_on"] = "The date of the assessment cannot be in the future"
    missing = scoring.missing_required(rules, answers)
    if direct:
        # Recorded directly at a meeting: the level is what is required, not the item set.
        missing = [key for key in missing if by_key[key].response == Response.LEVEL]
    for key in missing:
        errors[key] = required_message(by_key[key])
    opened = scoring.open_keys(rules, answers)
    closed = [by_key[k] for k in answers if k in by_key and k not in opened]
    if closed:
        # Answers to questions that closed again (the stalking item changed to no) are not part of the record.
        Answer.objects.filter(assessment=assessment, item__in=closed).delete()
        answers = {k: v for k, v in answers.items() if k in opened}
    primary, secondary = answers.get(STALKER_TYPE_ITEM, ""), answers.get(STALKER_TYPE_SECONDARY_ITEM, "")
    if secondary and not primary:
        errors[STALKER_TYPE_ITEM] = "Choose the primary stalker type before a secondary one"
    elif secondary and secondary == primary:
        errors[STALKER_TYPE_SECONDARY_ITEM] = "The secondary stalker type must differ from the primary type"
    unrated = [i for i in items if i.allows_not_rated and i.key in opened and not answers.get(i.key)]
    judged = [i for i in items if i.scored and i.key in opened]
    if (
        version_scores_domains(assessment.version)
        and judged
        and not any(answers.get(i.key) not in ("", None, scoring.NOT_RATED) for i in judged)
        and judged[0].key not in errors
    ):
        # Unrated domains are allowed, but an SRP with no judgement at all has no level to give.
        errors[judged[0].key] = "Rate at least one of the risk judgements: they cannot all be not rated"
    if errors:
        raise ValidationError(errors)
    if unrated:
        # A domain left unanswered is recorded as not rated, so the record says so (never low).
        Answer.objects.bulk_create([Answer(assessment=assessment, item=i, value=scoring.NOT_RATED) for i in unrated])
        answers = {**answers, **{i.key: scoring.NOT_RATED for i in unrated}}
    _results(
        assessment,
        items,
        answers,
        settings,
        incidents=list(Incident.objects.filter(case_id=assessment.case_id).values_list("occurred_on", flat=True)),
        referrals=list(MaracReferral.objects.filter(case_id=assessment.case_id).values_list("referred_on", flat=True)),
    )
    assessment.status = Status.COMPLETED
    assessment.completed_by = actor
    assessment.completed_at = timezone.now()
    assessment.review_due_on = _review_due(assessment)
    assessment.save()
    _after_completion(assessment)
    _log(actor, AccessAction.CHANGE, "risk.assessment", [assessment.pk])
    return assessment


@transaction.atomic
@next_due_scope()
def assessment_complete(*, actor: User, assessment: Assessment) -> Assessment:
    """Check every open question is answered, work out the result, lock the assessment."""
    case_permissions.require_case(actor, assessment.case)
    _lock_case(assessment.case)
    locked = _editable_draft(actor, assessment)
    return _complete(
        actor, locked, selectors.draft_answers(locked), selectors.version_items(locked.version), direct=False
    )


@transaction.atomic
def assessment_amend(*, actor: User, assessment: Assessment, reason: str) -> Assessment:
    """Start an amendment: a new revision (same instrument version, same answers) to correct and complete."""
    case_permissions.require_case(actor, assessment.case)
    if not permissions.can_assess(actor, assessment.instrument.key):
        raise PermissionDenied("Your role or agency cannot carry out this assessment")
    assert actor.agency is not None
    _lock_case(assessment.case)
    original = Assessment.objects.select_for_update(of=("self",)).select_related("instrument").get(pk=assessment.pk)
    if original.status != Status.COMPLETED or not original.is_current:
        raise ValidationError({"reason": "Only the current completed assessment can be amended"})
    if not reason.strip():
        raise ValidationError({"reason": "Give the reason for the amendment"})
    if Assessment.objects.filter(amends=original).exists():
        raise ValidationError({"reason": "This assessment already has an amendment"})
    if Assessment.objects.filter(
        case_id=original.case_id, instrument=original.instrument, status=Status.DRAFT
    ).exists():
        raise ValidationError(
            {"reason": f"A draft {original.instrument.short_name} is already in progress: complete or delete it first"}
        )
    amendment = Assessment.objects.create(
        case_id=original.case_id,
        instrument=original.instrument,
        version_id=original.version_id,
        revision=original.revision + 1,
        amends=original,
        amendment_reason=reason.strip(),
        assessed_on=original.assessed_on,
        judgement_level=original.judgement_level,
        judgement_reason=original.judgement_reason,
        notes=original.notes,
        created_by=actor,
        agency=actor.agency,
    )
    Answer.objects.bulk_create(
        [
            Answer(assessment=amendment, item_id=a.item_id, value=a.value)
            for a in Answer.objects.filter(assessment=original)
        ]
    )
    _log(actor, AccessAction.CREATE, "risk.assessment", [amendment.pk])
    return amendment


@transaction.atomic
def assessment_discard(*, actor: User, assessment: Assessment) -> None:
    """Delete a draft (history keeps what it held)."""
    locked = _editable_draft(actor, assessment)
    pk = locked.pk
    Answer.objects.filter(assessment=locked).delete()
    locked.delete()
    _log(actor, AccessAction.CHANGE, "risk.assessment", [pk])


@transaction.atomic
@next_due_scope()
def sash_record(
    *, actor: User, case: Case, level: str, assessed_on: dt.date | None = None, note: str = ""
) -> Assessment:
    """Record a SASH level of concern directly (the triage meeting's way).

    ``level`` is low, moderate, moderate_high or high. Uses the partnership's current
    SASH version; a licensed item set's items are not required when the level is
    recorded this way. Returns the completed assessment, now the case's current SASH.
    """
    case_permissions.require_case(actor, case)
    if not permissions.can_assess(actor, SASH_KEY):
        raise PermissionDenied("Your role cannot record a SASH level of concern")
    assert actor.agency is not None
    version = _version_for_new(SASH_KEY, case.partnership_id)
    items = selectors.version_items(version)
    level_item = next((i for i in items if i.response == Response.LEVEL), None)
    if level_item is None:  # the loader refuses such a version; a clear message if one exists anyway
        raise ValidationError({"level": "The SASH version in use has no level of concern"})
    bands = scoring.bands_from_data(version.bands)
    if level not in {b.key for b in bands}:
        raise ValidationError({"level": "Choose low, moderate, moderate/high or high"})
    if len(note) > MAX_TEXT:
        raise ValidationError({"note": f"The note must be {MAX_TEXT:,} characters or fewer"})
    _lock_case(case)
    # Created complete: a SASH draft already open on the case is someone else's work
    # and stays as it is.
    assessment = Assessment.objects.create(
        case=case,
        instrument=version.instrument,
        version=version,
        status=Status.COMPLETED,
        assessed_on=assessed_on or timezone.localdate(),
        notes=note.strip(),
        created_by=actor,
        agency=actor.agency,
        completed_by=actor,
        completed_at=timezone.now(),
    )
    Answer.objects.create(assessment=assessment, item=level_item, value=level)
    return _complete(actor, assessment, {level_item.key: level}, items, direct=True)


# --- incidents and MARAC referrals -------------------------------------------------------------------------------


@transaction.atomic
@next_due_scope()
def incident_record(*, actor: User, case: Case, occurred_on: dt.date, description: str, source: str) -> Incident:
    """Record an incident. It counts towards MARAC escalation and repeat, and makes the DASH due again."""
    case_permissions.require_case(actor, case)
    if not permissions.can_record_incident(actor):
        raise PermissionDenied("Your role cannot record incidents")
    assert actor.agency is not None
    errors: dict[str, str] = {}
    today = timezone.localdate()
    if occurred_on > today:
        errors["occurred_on"] = "The date of the incident cannot be in the future"
    if not description.strip():
        errors["description"] = "Describe the incident"
    elif len(description) > 2000:
        errors["description"] = "The description must be 2,000 characters or fewer"
    if source not in IncidentSource.values:
        errors["source"] = "Select where the report of the incident came from"
    if errors:
        raise ValidationError(errors)
    _lock_case(case)
    incident = _incident_create(
        actor=actor, case=case, occurred_on=occurred_on, description=description.strip(), source=source
    )
    _log(actor, AccessAction.CREATE, "risk.incident", [incident.pk])
    return incident


def _incident_create(*, actor: User, case: Case, occurred_on: dt.date, description: str, source: str) -> Incident:
    """The incident, the DASH reviews it brings forward and the case's next-due date."""
    assert actor.agency is not None
    today = timezone.localdate()
    incident = Incident.objects.create(
        case=case,
        occurred_on=occurred_on,
        description=description,
        source=source,
        recorded_by=actor,
        agency=actor.agency,
    )
    for assessment in Assessment.objects.filter(
        case=case, is_current=True, version__review_on_incident=True
    ).select_related("version"):
        assert assessment.assessed_on is not None
        due = _incident_review_due(occurred_on, today, assessment.assessed_on)
        if assessment.review_due_on is None or due < assessment.review_due_on:
            Assessment.objects.filter(pk=assessment.pk).update(review_due_on=due)
    next_due_changed(case_ids=[case.pk])
    return incident


# Where a breach's report came from, by the recording agency's kind.
_SOURCE_FOR_AGENCY_KIND = {
    "police": IncidentSource.POLICE,
    "probation": IncidentSource.PROBATION,
    "health": IncidentSource.HEALTH,
    "advocacy": IncidentSource.ADVOCACY,
}


def on_order_event(event: Any) -> None:
    """cases.extensions order listener: a breach of an order is an incident of the behaviour.

    It counts towards MARAC escalation and makes the DASH due again, as an incident typed in
    by hand does. Runs inside the breach service's transaction, which has already checked
    the recorder's access and role. The description names the order and the crime reference
    only: the breach's own text stays on the order, where its record class governs who reads it.
    """
    if event.kind != "order_breached" or event.breach is None:
        return
    order, breach, actor = event.order, event.breach, event.actor
    _lock_case(order.case)
    description = f"Breach of the {order.get_kind_display().lower()}"
    if breach.crime_reference:
        description += f" (crime reference {breach.crime_reference})"
    incident = _incident_create(
        actor=actor,
        case=order.case,
        occurred_on=breach.occurred_on,
        description=description,
        source=_SOURCE_FOR_AGENCY_KIND.get(actor.agency.kind, IncidentSource.OTHER),
    )
    _log(actor, AccessAction.CREATE, "risk.incident", [incident.pk], "from a breach of an order")


@transaction.atomic
def marac_referral_record(
    *,
    actor: User,
    case: Case,
    referred_on: dt.date,
    notes: str = "",
    assessment: Assessment | None = None,
) -> MaracReferral:
    """Record that the case was referred to MARAC (the date later incidents are measured from)."""
    case_permissions.require_case(actor, case)
    if not permissions.can_record_marac_referral(actor):
        raise PermissionDenied("Your role cannot record MARAC referrals")
    assert actor.agency is not None
    errors: dict[str, str] = {}
    if referred_on > timezone.localdate():
        errors["referred_on"] = "The date of the referral cannot be in the future"
    if assessment is not None and (assessment.case_id != case.pk or assessment.status != Status.COMPLETED):
        errors["assessment"] = "Choose a completed assessment of this case"
    if len(notes) > MAX_TEXT:
        errors["notes"] = f"Notes must be {MAX_TEXT:,} characters or fewer"
    if errors:
        raise ValidationError(errors)
    referral = MaracReferral.objects.create(
        case=case,
        referred_on=referred_on,
        assessment=assessment,
        notes=notes.strip(),
        recorded_by=actor,
        agency=actor.agency,
    )
    _log(actor, AccessAction.CREATE, "risk.marac_referral", [referral.pk])
    return referral
