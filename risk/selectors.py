"""Every read about risk that a person sees: the app's gateway.

Each read function (``*_for_user``) scopes, shapes and logs in one place, and the page
and the API call the same one. An assessment is reached through its case
(cases.selectors.case_get_for_user: 404 outside the user's scope). Answers to items of
a record class the user's agency may not see (the SRP's clinical formulation and notes)
are removed in the query and named in ``withheld``; templates and serializers render
only what they are given. The identity bar's names come from
cases.selectors.case_identity_for_user (per person). Each read writes one access-log row
for what it returns; ``*_for_change`` functions only scope a record for a write (the
service logs the change) and ``assessment_after_change`` shapes a write's answer.

The bulk readers at the end (``current_sash_levels``, ``current_dash_results``,
``current_assessments_for_cases``) are for other apps that have already scoped the
case ids they pass (the triage agenda, the quarterly return); they are limited to one
partnership and return results, never answers.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.db.models import CharField, Count, Min, Prefetch, Q, QuerySet, Value
from django.http import Http404
from django.utils import timezone

from agencies.models import User
from agencies.selectors import record_classes_for_user
from audit.models import AccessAction
from audit.services import access_record
from cases import permissions as case_permissions
from cases.models import FINISHED_STATUSES, Case
from cases.selectors import CaseIdentity, case_get_for_user, case_identity_for_user, cases_viewable_by
from risk import permissions, scoring
from risk.models import (
    OVERALL_RANK,
    YES_NO_UNKNOWN_CHOICES,
    Answer,
    Assessment,
    Incident,
    Instrument,
    InstrumentVersion,
    Item,
    ItemGroup,
    MaracReferral,
    Response,
    RiskSettings,
    Status,
)

if TYPE_CHECKING:
    from risk import flow

DASH_KEY = "dash"
S_DASH_KEY = "s_dash"
SASH_KEY = "sash"
SRP_KEY = "srp"
SDASH_GROUP = "sdash"
NOT_COMPLETED = "not_completed"
WITHHELD = "Withheld under the information-sharing agreement"
YES_NO_LABELS = dict(YES_NO_UNKNOWN_CHOICES)


# --- settings and versions -------------------------------------------------------------------------------------


def risk_settings_for(*, partnership_id: int) -> RiskSettings:
    """The partnership's thresholds, or the defaults (unsaved) when it has not changed them."""
    found = RiskSettings.objects.filter(partnership_id=partnership_id).first()
    return found if found is not None else RiskSettings(partnership_id=partnership_id)


def thresholds_of(settings: RiskSettings) -> scoring.Thresholds:
    return scoring.Thresholds(
        marac_score_from=settings.marac_score_from,
        escalation_incidents=settings.escalation_incidents,
        escalation_months=settings.escalation_months,
        repeat_months=settings.repeat_months,
    )


def bands_for(version: InstrumentVersion, settings: RiskSettings | None = None) -> list[scoring.Band]:
    """The version's bands, with the partnership's own DASH thresholds where it set them."""
    bands = scoring.bands_from_data(version.bands)
    if settings is not None and version.instrument.key == DASH_KEY and version.scoring == "yes_count":
        bands = scoring.with_thresholds(bands, {"medium": settings.dash_medium_from, "high": settings.dash_high_from})
    return bands


def assessment_bands(assessment: Assessment) -> list[scoring.Band]:
    """The bands a completed assessment was scored with (they may have changed since)."""
    recorded = (assessment.scored_with or {}).get("bands")
    return scoring.bands_from_data(recorded) if recorded else scoring.bands_from_data(assessment.version.bands)


def versions_available(*, partnership_id: int) -> QuerySet[InstrumentVersion]:
    return InstrumentVersion.objects.filter(Q(partnership__isnull=True) | Q(partnership_id=partnership_id))


def current_version_for(*, instrument_key: str, partnership_id: int) -> InstrumentVersion | None:
    """The version new assessments use: the partnership's own current one, else the shipped one."""
    candidates = (
        versions_available(partnership_id=partnership_id)
        .filter(instrument__key=instrument_key, is_current=True)
        .select_related("instrument")
    )
    own = [v for v in candidates if v.partnership_id == partnership_id]
    if own:
        return own[0]
    return next(iter(candidates), None)


def version_items(version: InstrumentVersion) -> list[Item]:
    return list(
        Item.objects.filter(version=version).select_related("group", "condition_item").order_by("group__order", "order")
    )


def item_rules(items: Iterable[Item]) -> list[scoring.ItemRule]:
    return [
        scoring.ItemRule(
            key=i.key,
            group=i.group.key,
            response=i.response,
            scored=i.scored,
            required=i.required,
            condition_key=i.condition_item.key if i.condition_item_id and i.condition_item else "",
            condition_answer=i.condition_answer,
        )
        for i in items
    ]


def display_value(item: Item, value: str, bands: Sequence[scoring.Band]) -> str:
    if not value:
        return ""
    if item.response == Response.YES_NO_UNKNOWN:
        return YES_NO_LABELS.get(value, value)
    if item.response == Response.LEVEL:
        return scoring.band_label(bands, value)
    if item.response == Response.CHOICE:
        return {str(v): str(label) for v, label in item.options}.get(value, value)
    return value


# --- instruments ----------------------------------------------------------------------------------------------


@dataclass
class InstrumentRow:
    instrument: Instrument
    current: InstrumentVersion | None
    versions: list[InstrumentVersion]


def instruments_for_user(*, user: User) -> list[InstrumentRow]:
    """The instruments the user's partnership can use, each with its versions (newest first)."""
    if not case_permissions.is_staff_member(user):
        raise Http404
    assert user.agency is not None
    partnership_id = user.agency.partnership_id
    versions = list(
        versions_available(partnership_id=partnership_id).select_related("instrument").order_by("-loaded_at", "-id")
    )
    rows: dict[int, InstrumentRow] = {}
    for version in versions:
        row = rows.setdefault(version.instrument_id, InstrumentRow(version.instrument, None, []))
        row.versions.append(version)
    for row in rows.values():
        row.current = next((v for v in row.versions if v.is_current and v.partnership_id == partnership_id), None)
        row.current = row.current or next((v for v in row.versions if v.is_current), None)
    return sorted(rows.values(), key=lambda r: (r.instrument.order, r.instrument.key))


@dataclass
class VersionDetail:
    version: InstrumentVersion
    groups: list[tuple[ItemGroup, list[Item]]]
    is_current_for_user: bool
    assessments_made: int


def instrument_version_for_user(*, user: User, version_id: int) -> VersionDetail:
    """A version the user's partnership can see (shipped, or its own); otherwise 404."""
    if not case_permissions.is_staff_member(user):
        raise Http404
    assert user.agency is not None
    version = (
        versions_available(partnership_id=user.agency.partnership_id)
        .select_related("instrument", "partnership")
        .filter(pk=version_id)
        .first()
    )
    if version is None:
        raise Http404
    items = version_items(version)
    groups: dict[int, tuple[ItemGroup, list[Item]]] = {}
    for item in items:
        groups.setdefault(item.group_id, (item.group, []))[1].append(item)
    current = current_version_for(instrument_key=version.instrument.key, partnership_id=user.agency.partnership_id)
    return VersionDetail(
        version=version,
        groups=list(groups.values()),
        is_current_for_user=current is not None and current.pk == version.pk,
        # Only this partnership's assessments: the count is a fact about its own cases.
        assessments_made=Assessment.objects.filter(
            version=version, case__partnership_id=user.agency.partnership_id
        ).count(),
    )


# --- one assessment ---------------------------------------------------------------------------------------------


@dataclass
class AnswerView:
    item: Item
    value: str
    display: str

    @property
    def key(self) -> str:
        return self.item.key


@dataclass
class GroupView:
    group: ItemGroup
    answers: list[AnswerView]


@dataclass
class ResultView:
    score: int | None
    band: str
    band_label: str
    judgement_level: str
    judgement_label: str
    level: str
    level_label: str
    overall: str
    subscores: list[tuple[str, int, int]]  # (group title, yes answers, items asked)


@dataclass
class AssessmentView:
    assessment: Assessment
    groups: list[GroupView]
    withheld: list[str]
    bands: list[scoring.Band]
    result: ResultView
    marac: list[scoring.MaracCriterion]
    revisions: list[Assessment]
    can_edit: bool
    can_amend: bool
    missing: list[Item] = field(default_factory=list)

    @property
    def marac_met(self) -> list[scoring.MaracCriterion]:
        return [c for c in self.marac if c.met]


def _visible_answers_q(classes: frozenset[str]) -> Q:
    return Q(item__record_class="") | Q(item__record_class__in=classes)


def _log(user: User, record_type: str, ids: list[int]) -> None:
    access_record(user=user, action=AccessAction.VIEW, record_type=record_type, record_ids=ids)


def assessment_for_change(*, user: User, case_id: int, assessment_id: int) -> Assessment:
    """An assessment of a case the user can see, or 404: the scope of a write or of a read
    below (it shows nothing itself, so logs nothing)."""
    case = case_get_for_user(user=user, case_id=case_id)
    assessment = (
        Assessment.objects.select_related(
            "instrument", "version", "version__instrument", "created_by", "agency", "completed_by", "amends"
        )
        .filter(case=case, pk=assessment_id)
        .first()
    )
    if assessment is None:
        raise Http404
    assessment.case = case
    return assessment


def _result_view(
    assessment: Assessment, bands: Sequence[scoring.Band], items: Sequence[Item], answers: dict[str, str]
) -> ResultView:
    subscores: list[tuple[str, int, int]] = []
    if assessment.subscores or assessment.is_draft:
        rules = item_rules(items)
        opened = scoring.open_keys(rules, answers)
        titles: dict[str, str] = {}
        asked: dict[str, int] = {}
        for item in items:
            if item.group.subscore:
                titles[item.group.key] = item.group.title
                if item.key in opened:
                    asked[item.group.key] = asked.get(item.group.key, 0) + 1
        if assessment.is_draft:
            counts = scoring.group_yes_counts(rules, answers, titles)
        else:
            counts = {k: int(v) for k, v in assessment.subscores.items()}
        subscores = [(titles[k], counts.get(k, 0), asked.get(k, 0)) for k in titles if asked.get(k)]
    return ResultView(
        score=assessment.score,
        band=assessment.band,
        band_label=scoring.band_label(bands, assessment.band) if assessment.band else "",
        judgement_level=assessment.judgement_level,
        judgement_label=scoring.band_label(bands, assessment.judgement_level) if assessment.judgement_level else "",
        level=assessment.level,
        level_label=scoring.band_label(bands, assessment.level) if assessment.level else "",
        overall=assessment.overall,
        subscores=subscores,
    )


def draft_result(
    assessment: Assessment, items: Sequence[Item], answers: dict[str, str], settings: RiskSettings
) -> ResultView:
    """What the draft would come to if completed now (the result page shows it before judgement)."""
    bands = bands_for(assessment.version, settings)
    rules = item_rules(items)
    score: int | None = None
    band = ""
    if assessment.version.scoring == "yes_count":
        score = scoring.yes_count(rules, answers)
        found = scoring.band_for(score, bands)
        band = found.key if found else ""
        level = band
    elif assessment.version.scoring == "direct_level":
        level = next((answers.get(i.key, "") for i in items if i.response == Response.LEVEL), "")
        band = level
    else:
        opened = scoring.open_keys(rules, answers)
        level = scoring.highest_level(bands, [answers.get(i.key, "") for i in items if i.scored and i.key in opened])
        band = level
    if assessment.judgement_level and band:
        try:
            level = scoring.resolve_level(bands, band, assessment.judgement_level)
        except scoring.LevelError:
            level = band
    preview = Assessment(
        version=assessment.version,
        status=Status.DRAFT,
        score=score,
        band=band,
        judgement_level=assessment.judgement_level,
        level=level,
        overall=scoring.overall_for(bands, level),
        subscores={},
    )
    return _result_view(preview, bands, items, answers)


def assessment_view_for_user(
    *, user: User, assessment: Assessment, settings: RiskSettings | None = None
) -> AssessmentView:
    """The assessment as ``user`` may see it: withheld answers removed, results and revisions.

    ``assessment`` comes from assessment_for_change (scoped). Logs the assessment shown.
    """
    view = _assessment_view(user, assessment, settings)
    _log(user, "risk.assessment", [assessment.pk])
    return view


def assessment_after_change(*, user: User, assessment: Assessment) -> AssessmentView:
    """The answer to a write on ``assessment``: its service has just logged that record."""
    fresh = assessment_for_change(user=user, case_id=assessment.case_id, assessment_id=assessment.pk)
    return _assessment_view(user, fresh, None)


def _assessment_view(user: User, assessment: Assessment, settings: RiskSettings | None) -> AssessmentView:
    classes = record_classes_for_user(user=user)
    items = version_items(assessment.version)
    visible_items = [i for i in items if not i.record_class or i.record_class in classes]
    withheld = [i.label for i in items if i.record_class and i.record_class not in classes]
    rows = Answer.objects.filter(assessment=assessment).filter(_visible_answers_q(classes)).select_related("item")
    answers = {a.item.key: a.value for a in rows}
    rules = item_rules(items)
    opened = scoring.open_keys(rules, answers)
    if assessment.is_draft:
        settings = settings or risk_settings_for(partnership_id=assessment.case.partnership_id)
        bands = bands_for(assessment.version, settings)
        result = draft_result(assessment, items, answers, settings)
    else:
        bands = assessment_bands(assessment)
        result = _result_view(assessment, bands, items, answers)
    groups: list[GroupView] = []
    for item in visible_items:
        if item.key not in opened:
            continue
        value = answers.get(item.key, "")
        if not groups or groups[-1].group.pk != item.group_id:
            groups.append(GroupView(item.group, []))
        groups[-1].answers.append(AnswerView(item, value, display_value(item, value, bands)))
    missing_keys = set(scoring.missing_required(rules, answers)) if assessment.is_draft else set()
    return AssessmentView(
        assessment=assessment,
        groups=groups,
        withheld=withheld,
        bands=bands,
        result=result,
        marac=[scoring.MaracCriterion.from_data(c) for c in assessment.marac_criteria],
        revisions=_revisions(assessment),
        can_edit=permissions.can_edit_draft(user, assessment),
        can_amend=permissions.can_amend(user, assessment) and not has_amendment(assessment),
        missing=[i for i in visible_items if i.key in missing_keys],
    )


def has_amendment(assessment: Assessment) -> bool:
    try:
        return assessment.amendment is not None
    except Assessment.DoesNotExist:
        return False


def _revisions(assessment: Assessment) -> list[Assessment]:
    """Every revision of this assessment, oldest first: the chain of amendments it belongs to."""
    chain = [assessment]
    earlier = assessment
    while earlier.amends_id:
        earlier = Assessment.objects.select_related("created_by", "completed_by").get(pk=earlier.amends_id)
        chain.insert(0, earlier)
    later = assessment
    while True:
        following = Assessment.objects.select_related("created_by", "completed_by").filter(amends_id=later.pk).first()
        if following is None:
            break
        chain.append(following)
        later = following
    return chain if len(chain) > 1 else []


def draft_for(*, case: Case, instrument_id: int) -> Assessment | None:
    """The draft in progress with an instrument on a case (there is at most one)."""
    return (
        Assessment.objects.filter(case=case, instrument_id=instrument_id, status=Status.DRAFT)
        .select_related("created_by", "agency", "instrument")
        .first()
    )


def draft_answers(assessment: Assessment) -> dict[str, str]:
    """Every answer of a draft, for the form pages (only its own agency edits it, see permissions)."""
    return dict(Answer.objects.filter(assessment=assessment).values_list("item__key", "value"))


# --- one case's risk -----------------------------------------------------------------------------------------------


@dataclass
class DomainLevel:
    label: str
    level: str
    level_label: str
    overall: str


@dataclass
class InstrumentSummary:
    instrument: Instrument
    current: Assessment | None
    draft: Assessment | None
    level_label: str = ""
    overall: str = ""
    detail: str = ""
    domains: list[DomainLevel] = field(default_factory=list)
    can_start: bool = False
    # The version in use asks questions beyond the level itself (a licensed SASH item set).
    has_form: bool = True


@dataclass
class HistoryPoint:
    on: dt.date
    assessment_id: int
    instrument: str
    series: str
    level: str
    level_label: str
    overall: str
    score: int | None


@dataclass
class CaseRisk:
    case: Case
    identity: CaseIdentity
    overall: str
    summaries: list[InstrumentSummary]
    marac: list[scoring.MaracCriterion]
    marac_assessment: Assessment | None
    history: list[HistoryPoint]
    assessments: list[Assessment]
    incidents: list[Incident]
    referrals: list[MaracReferral]
    settings: RiskSettings
    review_due_on: dt.date | None
    withheld: list[str]
    can_record_incident: bool
    can_record_marac_referral: bool

    @property
    def marac_met(self) -> list[scoring.MaracCriterion]:
        return [c for c in self.marac if c.met]

    @property
    def chart_data(self) -> dict[str, Any]:
        """The history as Chart.js datasets: one line per instrument or domain."""
        series: dict[str, list[dict[str, Any]]] = {}
        for point in sorted(self.history, key=lambda p: (p.on, p.assessment_id)):
            if not point.overall:
                continue
            series.setdefault(point.series, []).append(
                {
                    "x": point.on.isoformat(),
                    "y": OVERALL_RANK[point.overall],
                    "label": point.level_label,
                    "score": point.score,
                }
            )
        return {"series": [{"label": name, "points": points} for name, points in series.items()]}


def _current_and_drafts(case: Case) -> list[Assessment]:
    return list(
        Assessment.objects.filter(case=case)
        .filter(Q(is_current=True) | Q(status=Status.DRAFT))
        .select_related("instrument", "version", "created_by", "agency")
    )


def _domain_answers(assessment_ids: Sequence[int], classes: frozenset[str]) -> dict[int, list[Answer]]:
    found: dict[int, list[Answer]] = {}
    if not assessment_ids:
        return found
    for answer in (
        Answer.objects.filter(assessment_id__in=assessment_ids, item__domain=True)
        .filter(_visible_answers_q(classes))
        .select_related("item")
        .order_by("item__group__order", "item__order")
    ):
        found.setdefault(answer.assessment_id, []).append(answer)
    return found


def _summary(
    row: InstrumentRow,
    current: Assessment | None,
    draft: Assessment | None,
    domains: list[Answer],
    user: User,
    dash: Assessment | None,
) -> InstrumentSummary:
    instrument = row.instrument
    summary = InstrumentSummary(
        instrument=instrument,
        current=current,
        draft=draft,
        can_start=permissions.can_assess(user, instrument.key),
        has_form=_asks_more_than_the_level(row.current),
    )
    if current is not None:
        bands = assessment_bands(current)
        summary.level_label = scoring.band_label(bands, current.level) if current.level else ""
        summary.overall = current.overall
        if current.score is not None:
            summary.detail = f"Score {current.score}"
            if current.judgement_level and current.judgement_level != current.band:
                summary.detail += (
                    f" ({scoring.band_label(bands, current.band).lower()}), raised by professional judgement"
                )
        summary.domains = [
            DomainLevel(a.item.label, a.value, scoring.band_label(bands, a.value), scoring.overall_for(bands, a.value))
            for a in domains
        ]
    elif instrument.key == S_DASH_KEY and dash is not None and SDASH_GROUP in (dash.subscores or {}):
        summary.detail = (
            f"{dash.subscores[SDASH_GROUP]} yes answers, asked with the DASH of {dash.assessed_on:%-d %B %Y}"
        )
    return summary


def _asks_more_than_the_level(version: InstrumentVersion | None) -> bool:
    """A level recorded directly needs no form; a licensed SASH item set does."""
    if version is None or version.scoring != "direct_level":
        return True
    return int(getattr(version, "item_count", 0)) > 1


def _history(completed: Sequence[Assessment], domain_answers: dict[int, list[Answer]]) -> list[HistoryPoint]:
    points: list[HistoryPoint] = []
    for assessment in completed:
        if assessment.assessed_on is None:
            continue
        bands = assessment_bands(assessment)
        answers = domain_answers.get(assessment.pk, [])
        if answers:
            for answer in answers:
                points.append(
                    HistoryPoint(
                        on=assessment.assessed_on,
                        assessment_id=assessment.pk,
                        instrument=assessment.instrument.short_name,
                        series=f"{assessment.instrument.short_name}: {answer.item.label.lower()}",
                        level=answer.value,
                        level_label=scoring.band_label(bands, answer.value),
                        overall=scoring.overall_for(bands, answer.value),
                        score=None,
                    )
                )
        elif assessment.level or assessment.score is not None:
            points.append(
                HistoryPoint(
                    on=assessment.assessed_on,
                    assessment_id=assessment.pk,
                    instrument=assessment.instrument.short_name,
                    series=assessment.instrument.short_name,
                    level=assessment.level,
                    level_label=scoring.band_label(bands, assessment.level) if assessment.level else "",
                    overall=assessment.overall,
                    score=assessment.score,
                )
            )
    return points


def case_risk_for_user(*, user: User, case_id: int) -> CaseRisk:
    """The case's risk section: current level per instrument and domain, MARAC, history, records."""
    case = case_get_for_user(user=user, case_id=case_id)
    classes = record_classes_for_user(user=user)
    settings = risk_settings_for(partnership_id=case.partnership_id)
    assessments = list(
        Assessment.objects.filter(case=case)
        .select_related("instrument", "version", "created_by", "agency", "completed_by")
        .prefetch_related(Prefetch("amendment", queryset=Assessment.objects.only("id", "status", "amends_id")))
        .order_by("-assessed_on", "-id")
    )
    completed = [a for a in assessments if not a.is_draft]
    amended = {a.amends_id for a in completed if a.amends_id}
    history_rows = [a for a in completed if a.pk not in amended]
    domain_answers = _domain_answers([a.pk for a in history_rows], classes)
    current = {a.instrument_id: a for a in completed if a.is_current}
    drafts = {a.instrument_id: a for a in assessments if a.is_draft}
    rows = _instrument_rows(case.partnership_id)
    dash = next((a for a in current.values() if a.instrument.key == DASH_KEY), None)
    summaries = [
        _summary(
            row,
            current.get(row.instrument.pk),
            drafts.get(row.instrument.pk),
            domain_answers.get(current[row.instrument.pk].pk, []) if row.instrument.pk in current else [],
            user,
            dash,
        )
        for row in rows
    ]
    incidents = list(Incident.objects.filter(case=case).select_related("recorded_by", "agency"))
    referrals = list(MaracReferral.objects.filter(case=case).select_related("recorded_by", "agency"))
    today = timezone.localdate()
    top = None
    if dash is not None:
        bands = assessment_bands(dash)
        top = bands[-1] if bands else None
    marac = scoring.evaluate_marac(
        on=today,
        thresholds=thresholds_of(settings),
        score=dash.score if dash is not None else None,
        top_band=top,
        scored_band=dash.band if dash is not None else "",
        judgement_level=dash.judgement_level if dash is not None else "",
        judgement_reason=dash.judgement_reason if dash is not None else "",
        incident_dates=[i.occurred_on for i in incidents],
        referral_dates=[r.referred_on for r in referrals],
    )
    dues = [a.review_due_on for a in current.values() if a.review_due_on]
    withheld = (
        sorted(
            set(
                Item.objects.filter(version_id__in={a.version_id for a in assessments})
                .exclude(record_class="")
                .exclude(record_class__in=classes)
                .values_list("label", flat=True)
            )
        )
        if assessments
        else []
    )
    _log(user, "risk.case", [case.pk])
    return CaseRisk(
        case=case,
        identity=case_identity_for_user(user=user, case=case),
        overall=case.current_risk,
        summaries=summaries,
        marac=marac,
        marac_assessment=dash,
        history=_history(history_rows, domain_answers),
        assessments=assessments,
        incidents=incidents,
        referrals=referrals,
        settings=settings,
        review_due_on=min(dues) if dues else None,
        withheld=withheld,
        can_record_incident=permissions.can_record_incident(user),
        can_record_marac_referral=permissions.can_record_marac_referral(user),
    )


def assessments_for_user(*, user: User, case_id: int) -> list[Assessment]:
    """The case's assessments, newest first (drafts included): summaries, no answers."""
    case = case_get_for_user(user=user, case_id=case_id)
    assessments = list(
        Assessment.objects.filter(case=case)
        .select_related("instrument", "version", "created_by", "agency", "completed_by")
        .order_by("-assessed_on", "-id")
    )
    _log(user, "risk.assessment", [a.pk for a in assessments])
    return assessments


def incidents_for_user(*, user: User, case_id: int) -> list[Incident]:
    case = case_get_for_user(user=user, case_id=case_id)
    incidents = list(Incident.objects.filter(case=case).select_related("recorded_by", "agency"))
    _log(user, "risk.incident", [i.pk for i in incidents])
    return incidents


def marac_referrals_for_user(*, user: User, case_id: int) -> list[MaracReferral]:
    case = case_get_for_user(user=user, case_id=case_id)
    referrals = list(MaracReferral.objects.filter(case=case).select_related("recorded_by", "agency"))
    _log(user, "risk.marac_referral", [r.pk for r in referrals])
    return referrals


# --- starting an assessment, and a draft being filled in ------------------------------------------------------


@dataclass
class StartPage:
    case: Case
    identity: CaseIdentity
    version: InstrumentVersion
    draft: Assessment | None
    can_continue: bool


def assessment_start_for_user(*, user: User, case_id: int, instrument_key: str) -> StartPage:
    """The page that starts an assessment: the identity bar names the case's people, and a
    draft in progress names who started it, so the page is logged as a view of the case's risk."""
    case = case_get_for_user(user=user, case_id=case_id)
    version = current_version_for(instrument_key=instrument_key, partnership_id=case.partnership_id)
    if version is None or not permissions.can_assess(user, instrument_key):
        raise Http404
    draft = draft_for(case=case, instrument_id=version.instrument_id)
    page = StartPage(
        case=case,
        identity=case_identity_for_user(user=user, case=case),
        version=version,
        draft=draft,
        can_continue=draft is not None and permissions.can_edit_draft(user, draft),
    )
    _log(user, "risk.case", [case.pk])
    return page


class DraftWork:
    """A draft being filled in: its items, answers and pages, for the user who may edit it."""

    def __init__(self, user: User, assessment: Assessment) -> None:
        self.actor = user
        self.assessment = assessment
        self.settings = risk_settings_for(partnership_id=assessment.case.partnership_id)
        self.bands = bands_for(assessment.version, self.settings)
        self.items = version_items(assessment.version)
        self.refresh()

    def refresh(self) -> None:
        from risk import flow  # flow builds on this module's item rules

        self.answers = draft_answers(self.assessment)
        self.pages = flow.pages_for(self.assessment.version, self.items, self.answers)

    def page(self, key: str) -> flow.Page:
        from risk import flow

        index = flow.find(self.pages, key)
        if index is None:
            raise Http404
        return self.pages[index]


def draft_for_change(*, user: User, case_id: int, assessment_id: int) -> DraftWork:
    """A draft to save answers to (or a completed assessment, which the pages send on):
    404 outside the case's scope or for a draft of another agency. Logs nothing."""
    assessment = assessment_for_change(user=user, case_id=case_id, assessment_id=assessment_id)
    if assessment.is_draft and not permissions.can_edit_draft(user, assessment):
        raise Http404
    return DraftWork(user, assessment)


def draft_for_user(*, user: User, case_id: int, assessment_id: int) -> DraftWork:
    """A question page of a draft, shown with its answers: logged as a view of the assessment."""
    work = draft_for_change(user=user, case_id=case_id, assessment_id=assessment_id)
    if work.assessment.is_draft:
        _log(user, "risk.assessment", [work.assessment.pk])
    return work


def _instrument_rows(partnership_id: int) -> list[InstrumentRow]:
    versions = list(
        versions_available(partnership_id=partnership_id)
        .filter(is_current=True)
        .select_related("instrument")
        .annotate(item_count=Count("items"))
    )
    rows: dict[int, InstrumentRow] = {}
    for version in versions:
        row = rows.setdefault(version.instrument_id, InstrumentRow(version.instrument, None, []))
        if row.current is None or version.partnership_id == partnership_id:
            row.current = version
        row.versions.append(version)
    return sorted(rows.values(), key=lambda r: (r.instrument.order, r.instrument.key))


def risk_card_for_user(user: Any, case: Case) -> dict[str, Any] | None:
    """The risk card on the case overview: current level per instrument and the MARAC flag.

    Two queries when the case has no risk records, three when it has: the case page
    carries every app's card, so this one stays cheap.
    """
    if not case_permissions.is_staff_member(user):
        return None
    current = list(Assessment.objects.filter(case=case, is_current=True).select_related("instrument", "version"))
    dated = (
        Incident.objects.filter(case=case)
        .order_by()
        .values_list("occurred_on", Value("incident", output_field=CharField()))
        .union(
            MaracReferral.objects.filter(case=case)
            .order_by()
            .values_list("referred_on", Value("referral", output_field=CharField())),
            all=True,
        )
    )
    incidents: list[dt.date] = []
    referrals: list[dt.date] = []
    for day, kind in dated:
        (incidents if kind == "incident" else referrals).append(day)
    rows = []
    for assessment in sorted(current, key=lambda a: (a.instrument.order, a.instrument.key)):
        bands = assessment_bands(assessment)
        rows.append(
            {
                "instrument": assessment.instrument.short_name,
                "level": assessment.level,
                "level_label": scoring.band_label(bands, assessment.level) if assessment.level else "",
                "overall": assessment.overall,
                "score": assessment.score,
                "assessed_on": assessment.assessed_on,
                "review_due_on": assessment.review_due_on,
            }
        )
    dash = next((a for a in current if a.instrument.key == DASH_KEY), None)
    marac_met: list[scoring.MaracCriterion] = []
    if dash is not None or incidents:
        settings = risk_settings_for(partnership_id=case.partnership_id)
        top = None
        if dash is not None:
            bands = assessment_bands(dash)
            top = bands[-1] if bands else None
        marac_met = [
            c
            for c in scoring.evaluate_marac(
                on=timezone.localdate(),
                thresholds=thresholds_of(settings),
                score=dash.score if dash is not None else None,
                top_band=top,
                scored_band=dash.band if dash is not None else "",
                judgement_level=dash.judgement_level if dash is not None else "",
                judgement_reason=dash.judgement_reason if dash is not None else "",
                incident_dates=incidents,
                referral_dates=referrals,
            )
            if c.met
        ]
    return {
        "case": case,
        "overall": case.current_risk,
        "rows": rows,
        "marac_met": marac_met,
        "last_referral": max(referrals) if referrals else None,
        "incident_count": len(incidents),
    }


# --- due dates -------------------------------------------------------------------------------------------------


def review_due_dates(case_ids: Sequence[int]) -> dict[int, dt.date]:
    """The case's earliest risk review due (SRP re-assessment, DASH after a new incident).

    Registered with cases.extensions as a due-date source; a closed or declined case
    has no review due.
    """
    rows = (
        Assessment.objects.filter(case_id__in=list(case_ids), is_current=True, review_due_on__isnull=False)
        .exclude(case__status__in=FINISHED_STATUSES)
        .values("case_id")
        .annotate(due=Min("review_due_on"))
    )
    return {row["case_id"]: row["due"] for row in rows}


# --- for other apps: results by case, scoped to one partnership ------------------------------------------------


@dataclass
class WholeAssessment:
    """A completed assessment, with the record classes of the answers it holds."""

    assessment: Assessment
    record_classes: frozenset[str]

    @property
    def case_id(self) -> int:
        return self.assessment.case_id


@dataclass
class AssessmentsRead:
    shown: list[WholeAssessment]
    kept: list[WholeAssessment]


def completed_assessments_of_cases(*, user: User, case_ids: Iterable[int]) -> AssessmentsRead:
    """The completed assessments of some cases, each given whole: on cases the user may open,
    and only where the agreement gives their agency every record class the assessment's
    answers carry (an SRP's clinical formulation and notes are ``clinical``). The pages show
    such an assessment with those answers removed (``_visible_answers_q``); a reader who takes
    it whole (a disclosure) may not, and it comes back in ``kept``. Logs nothing: for a
    caller that logs its own disclosure once."""
    assessments = list(
        Assessment.objects.filter(
            case_id__in=cases_viewable_by(user=user).filter(pk__in=set(case_ids)).values("pk"),
            status=Status.COMPLETED,
        )
        .select_related("instrument")
        .order_by("assessed_on", "id")
    )
    classes: dict[int, set[str]] = {}
    for assessment_id, record_class in (
        Answer.objects.filter(assessment_id__in=[a.pk for a in assessments])
        .exclude(item__record_class="")
        .exclude(value="")
        .values_list("assessment_id", "item__record_class")
        .distinct()
    ):
        classes.setdefault(assessment_id, set()).add(record_class)
    readable = record_classes_for_user(user=user)
    whole = [WholeAssessment(a, frozenset(classes.get(a.pk, ()))) for a in assessments]
    return AssessmentsRead(
        shown=[w for w in whole if w.record_classes <= readable],
        kept=[w for w in whole if not w.record_classes <= readable],
    )


def current_assessments_for_cases(
    *, partnership_id: int, case_ids: Sequence[int], instrument_key: str
) -> dict[int, Assessment]:
    """The current completed assessment with one instrument, per case (absent: none)."""
    return {
        a.case_id: a
        for a in Assessment.objects.filter(
            case_id__in=list(case_ids),
            case__partnership_id=partnership_id,
            instrument__key=instrument_key,
            is_current=True,
        ).select_related("instrument", "version")
    }


def current_sash_levels(*, partnership_id: int, case_ids: Sequence[int]) -> dict[int, str]:
    """Each case's current SASH level of concern: low, moderate, moderate_high, high or not_completed."""
    found = current_assessments_for_cases(partnership_id=partnership_id, case_ids=case_ids, instrument_key=SASH_KEY)
    return {
        case_id: (found[case_id].level if case_id in found else NOT_COMPLETED) or NOT_COMPLETED for case_id in case_ids
    }


@dataclass(frozen=True)
class DashResult:
    assessment_id: int
    assessed_on: dt.date | None
    score: int | None
    band: str
    level: str
    raised_by_judgement: bool
    marac_met: bool
    marac_reasons: tuple[str, ...]
    sdash_yes: int | None


def current_dash_results(*, partnership_id: int, case_ids: Sequence[int]) -> dict[int, DashResult]:
    """Each case's current DASH: score, band, level after judgement, MARAC criteria met at the time."""
    found = current_assessments_for_cases(partnership_id=partnership_id, case_ids=case_ids, instrument_key=DASH_KEY)
    return {
        case_id: DashResult(
            assessment_id=a.pk,
            assessed_on=a.assessed_on,
            score=a.score,
            band=a.band,
            level=a.level,
            raised_by_judgement=bool(a.judgement_level and a.judgement_level != a.band),
            marac_met=a.marac_met,
            marac_reasons=tuple(f"{c['label']}: {c['reason']}" for c in a.marac_criteria if c.get("met")),
            sdash_yes=(a.subscores or {}).get(SDASH_GROUP),
        )
        for case_id, a in found.items()
    }
