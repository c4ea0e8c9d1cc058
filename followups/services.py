"""Every write about monitoring, follow-up reviews and re-offending. One transaction per call.

The scheduler is set-based: one ``INSERT ... SELECT ... ON CONFLICT DO NOTHING`` per batch of
case ids makes the reviews of every checkpoint reached, against the unique constraint
(case, period, checkpoint), so a batch run twice, or re-run after a worker died in the
middle of it, creates each review exactly once. A batch is one transaction: killed half
way, it leaves nothing behind.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import pgtrigger
from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import F, Max, Min, Q, Value
from django.db.models.functions import Greatest
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from agencies.models import Agency, AgencyKind, Role, User
from audit.models import AccessAction
from audit.services import access_record
from cases import permissions as case_permissions
from cases.extensions import TransitionEvent
from cases.identifiers import normalise_crime_reference
from cases.models import (
    Breach,
    Case,
    CaseEvent,
    CaseGroupObjectPermission,
    CaseParty,
    CaseStatus,
    Decision,
    EventKind,
    Offence,
    PartyRole,
    ReferringAgency,
)
from cases.services import next_due_changed, next_due_scope
from followups import permissions
from followups.models import (
    DEFAULT_CHECKPOINTS,
    MAX_CHECKPOINT_MONTHS,
    CandidateStatus,
    FollowUpReview,
    FollowUpSettings,
    MonitoringBasis,
    MonitoringPeriod,
    ReoffendingCandidate,
    ReoffendingKind,
    ReoffendingRecord,
    ReoffendingSource,
    ReoffendingVictim,
    ReviewStatus,
)
from interventions.models import DIRECT, ENDINGS_AFTER_START, STATUSES_AFTER_START, Intervention

logger = logging.getLogger(__name__)

# Reviews are due on the checkpoint date; owners are reminded that day and weekly after,
# and the programme managers are told once a review is overdue by more than this.
REMINDER_EVERY_DAYS = 7
ESCALATE_AFTER_DAYS = 14
# Persistence: the same victim, and less than this since the last known behaviour.
PERSISTENCE_MONTHS = 6
# Statuses in which a case is monitored (periods open, reviews scheduled).
MONITORED_STATUSES = (CaseStatus.ACCEPTED, CaseStatus.ACTIVE, CaseStatus.MONITORING, CaseStatus.REOPENED)
# The pghistory trigger that records a change of a case (cases.Case is tracked as CaseHistory).
CASE_HISTORY_UPDATE_TRIGGER = "cases.Case:update_update"

SOURCE_FOR_REFERRER: dict[str, str] = {
    ReferringAgency.POLICE: ReoffendingSource.POLICE,
    ReferringAgency.PROBATION: ReoffendingSource.PROBATION,
    ReferringAgency.HEALTH: ReoffendingSource.HEALTH,
    # The victim's own account, directly or through her advocate or the helpline.
    ReferringAgency.SELF: ReoffendingSource.VICTIM,
    ReferringAgency.ADVOCACY: ReoffendingSource.VICTIM,
    ReferringAgency.HELPLINE: ReoffendingSource.VICTIM,
    ReferringAgency.MARAC: ReoffendingSource.OTHER,
    ReferringAgency.OTHER: ReoffendingSource.OTHER,
}


def _today() -> dt.date:
    return timezone.localdate()


def _schedule_batch_size() -> int:
    return int(getattr(settings, "FOLLOWUPS_SCHEDULE_BATCH_SIZE", 20_000))


def _reminder_batch_size() -> int:
    return int(getattr(settings, "FOLLOWUPS_REMINDER_BATCH_SIZE", 500))


def _test_pause_seconds() -> float:
    """A deliberate slow step inside each batch's transaction, set only by the kill test's worker."""
    return float(getattr(settings, "FOLLOWUPS_TEST_BATCH_PAUSE_SECONDS", 0) or 0)


def _event(case: Case, *, actor: User | None, summary: str, detail: str = "") -> CaseEvent:
    return CaseEvent.objects.create(
        case=case,
        actor=actor,
        agency=actor.agency if actor is not None else None,
        kind=EventKind.FOLLOW_UP,
        summary=summary[:300],
        detail=detail,
    )


def monitoring_url(case_id: int) -> str:
    return reverse("followups:case_monitoring", args=[case_id])


# --- the partnership's settings ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class PartnershipFollowUps:
    checkpoints: tuple[int, ...]
    review_agency_id: int | None


def followup_settings_for(*, partnership_id: int) -> PartnershipFollowUps:
    found = FollowUpSettings.objects.filter(partnership_id=partnership_id).first()
    if found is None:
        return PartnershipFollowUps(DEFAULT_CHECKPOINTS, None)
    return PartnershipFollowUps(tuple(found.checkpoints), found.review_agency_id)


def unassigned_review_agency_id(partnership_id: int) -> int | None:
    """Who reviews a case without a worker: the settings' review agency, else the
    partnership's police. The scheduler's SQL (its ``cfg`` step) applies the same rule set-wise;
    the tests hold both to it."""
    return followup_settings_for(partnership_id=partnership_id).review_agency_id or (
        Agency.objects.filter(partnership_id=partnership_id, kind=AgencyKind.POLICE)
        .order_by("pk")
        .values_list("pk", flat=True)
        .first()
    )


@transaction.atomic
def followup_settings_update(
    *, actor: User, checkpoints: Sequence[int], review_agency: Agency | None = None
) -> FollowUpSettings:
    """Change the partnership's checkpoints (months, ascending) and the agency reviewing unassigned cases.

    Reviews already made stay; the new checkpoints apply from the next run of the scheduler.
    """
    if not permissions.can_manage_settings(actor):
        raise Http404
    assert actor.agency is not None
    partnership_id = actor.agency.partnership_id
    months = sorted({int(m) for m in checkpoints})
    errors: dict[str, str] = {}
    if not months:
        errors["checkpoints"] = "Enter at least one checkpoint"
    elif len(months) > 12:
        errors["checkpoints"] = "Enter at most 12 checkpoints"
    elif months[0] < 1 or months[-1] > MAX_CHECKPOINT_MONTHS:
        errors["checkpoints"] = f"Each checkpoint is a whole number of months from 1 to {MAX_CHECKPOINT_MONTHS}"
    if review_agency is not None and review_agency.partnership_id != partnership_id:
        errors["review_agency"] = "Choose an agency of this partnership"
    if errors:
        raise ValidationError(errors)
    found, _ = FollowUpSettings.objects.select_for_update().get_or_create(partnership_id=partnership_id)
    found.checkpoints = months
    found.review_agency = review_agency
    found.updated_by = actor
    found.save()
    return found


# --- monitoring periods -------------------------------------------------------------------------------------------


@transaction.atomic
def monitoring_period_open_for_acceptance(*, case: Case) -> MonitoringPeriod | None:
    """Monitoring from the partnership's acceptance (the decision date). Idempotent."""
    if case.decision != Decision.ACCEPTED or case.decided_on is None or case.status not in MONITORED_STATUSES:
        return None
    period, _ = MonitoringPeriod.objects.get_or_create(
        case=case, basis=MonitoringBasis.ACCEPTANCE, starts_on=case.decided_on
    )
    return period


@transaction.atomic
def monitoring_period_open_for_intervention_end(
    *, intervention: Intervention, actor: User | None = None
) -> MonitoringPeriod | None:
    """Monitoring from the end of a direct health intervention that had started. Idempotent.

    Called through the interventions app's intervention-end listeners (interventions.extensions)
    by its ending service; the daily scheduler also opens any it missed (imports, a lost hook).
    """
    if intervention.type != DIRECT or intervention.ended_on is None:
        return None
    ending = intervention.ending
    if ending not in ENDINGS_AFTER_START and not (not ending and intervention.status in STATUSES_AFTER_START):
        return None
    case = Case.objects.get(pk=intervention.case_id)
    if case.status not in MONITORED_STATUSES:
        return None
    period, created = MonitoringPeriod.objects.get_or_create(
        intervention_id=intervention.pk,
        defaults={"case": case, "basis": MonitoringBasis.INTERVENTION_END, "starts_on": intervention.ended_on},
    )
    if created:
        _event(
            case,
            actor=actor,
            summary=f"Re-offending monitoring started from the end of the direct intervention "
            f"({intervention.ended_on:%-d %B %Y})",
        )
    return period


def _end_periods_and_withdraw_reviews(*, case: Case, actor: User, on: dt.date, override_reason: str) -> None:
    """A closed case is no longer monitored: its periods end and its open reviews are withdrawn."""
    # A period due to start after the closure date (an intervention ending later) never ran.
    MonitoringPeriod.objects.filter(case=case, ended_on__isnull=True).update(
        ended_on=Greatest(F("starts_on"), Value(on)), end_reason="Case closed"
    )
    # The access log names the reviews themselves, so their ids are read before the update.
    withdrawn = list(FollowUpReview.objects.filter(case=case, status=ReviewStatus.OPEN).values_list("pk", flat=True))
    if withdrawn:
        FollowUpReview.objects.filter(pk__in=withdrawn).update(
            status=ReviewStatus.WITHDRAWN,
            withdrawn_reason=override_reason or "Case closed before the review was due",
        )
        access_record(
            user=actor,
            action=AccessAction.CHANGE,
            record_type="followups.followupreview",
            record_ids=withdrawn,
            purpose="case closed: open follow-up reviews withdrawn",
        )
    next_due_changed(case_ids=[case.pk])


def on_case_transition(event: TransitionEvent) -> None:
    """cases.extensions transition listener: acceptance opens monitoring, closure ends it."""
    if event.target == CaseStatus.ACCEPTED:
        monitoring_period_open_for_acceptance(case=event.case)
    elif event.target == CaseStatus.CLOSED:
        _end_periods_and_withdraw_reviews(
            case=event.case,
            actor=event.actor,
            on=event.case.closed_on or _today(),
            override_reason=event.override_reason,
        )


def on_intervention_ended(intervention: Intervention, actor: User | None) -> None:
    """interventions.extensions intervention-end listener."""
    monitoring_period_open_for_intervention_end(intervention=intervention, actor=actor)


# --- the closure guard and the due-date source ------------------------------------------------------------------


def closure_block(case: Any) -> str | None:
    """cases.extensions closure guard: a case does not close while a due review is open."""
    due = list(
        FollowUpReview.objects.filter(case_id=case.pk, status=ReviewStatus.OPEN, due_on__lte=_today())
        .order_by("due_on")
        .values_list("checkpoint_months", "due_on")
    )
    if not due:
        return None
    if len(due) == 1:
        months, due_on = due[0]
        return f"The {months}-month follow-up review (due {due_on:%-d %B %Y}) is still open."
    return f"{len(due)} follow-up reviews are due and still open."


def due_dates(case_ids: Sequence[int]) -> dict[int, dt.date]:
    """cases.extensions due source: each case's earliest open follow-up review."""
    return dict(
        FollowUpReview.objects.filter(case_id__in=list(case_ids), status=ReviewStatus.OPEN)
        .values("case_id")
        .annotate(first=Min("due_on"))
        .values_list("case_id", "first")
    )


# --- the scheduler: set-based, in batches of case ids ------------------------------------------------------------


def _tables() -> dict[str, str]:
    return {
        "case": Case._meta.db_table,
        "period": MonitoringPeriod._meta.db_table,
        "review": FollowUpReview._meta.db_table,
        "settings": FollowUpSettings._meta.db_table,
        "agency": Agency._meta.db_table,
        "partnership": Agency._meta.get_field("partnership").related_model._meta.db_table,
        "user": User._meta.db_table,
        "intervention": Intervention._meta.db_table,
    }


_MONITORED_SQL = "(" + ", ".join(f"'{s.value}'" for s in MONITORED_STATUSES) + ")"


def _open_periods_sql(t: dict[str, str]) -> list[str]:
    statements = [
        f"""
        INSERT INTO {t["period"]} (case_id, basis, starts_on, intervention_id, ended_on, end_reason, created_at)
        SELECT c.id, 'acceptance', c.decided_on, NULL, NULL, '', now()
        FROM {t["case"]} c
        WHERE c.id BETWEEN %(first)s AND %(last)s
          AND c.decision = 'accepted' AND c.decided_on IS NOT NULL AND c.decided_on <= %(today)s
          AND c.status IN {_MONITORED_SQL}
          AND NOT EXISTS (
              SELECT 1 FROM {t["period"]} p
              WHERE p.case_id = c.id AND p.basis = 'acceptance' AND p.starts_on = c.decided_on
          )
        ORDER BY c.id
        ON CONFLICT DO NOTHING
        """  # noqa: S608 (table names from model metadata, fixed keys; values are parameters)
    ]
    endings = ", ".join(f"'{e}'" for e in ENDINGS_AFTER_START)
    statuses = ", ".join(f"'{s}'" for s in STATUSES_AFTER_START)
    statements.append(
        f"""
        INSERT INTO {t["period"]} (case_id, basis, starts_on, intervention_id, ended_on, end_reason, created_at)
        SELECT i.case_id, 'intervention_end', i.ended_on, i.id, NULL, '', now()
        FROM {t["intervention"]} i JOIN {t["case"]} c ON c.id = i.case_id
        WHERE i.case_id BETWEEN %(first)s AND %(last)s
          AND i.type = '{DIRECT}' AND i.ended_on IS NOT NULL AND i.ended_on <= %(today)s
          AND (i.ending IN ({endings}) OR (i.ending = '' AND i.status IN ({statuses})))
          AND c.status IN {_MONITORED_SQL}
          AND NOT EXISTS (SELECT 1 FROM {t["period"]} p WHERE p.intervention_id = i.id)
        ORDER BY i.id
        ON CONFLICT DO NOTHING
        """  # noqa: S608 (table names from model metadata, fixed keys; values are parameters)
    )
    return statements


def _schedule_reviews_sql(t: dict[str, str]) -> str:
    """One statement: the reviews of every checkpoint reached in the batch, and the cases' next-due date.

    The next-due date only moves earlier here (reviews are added, none closed), so
    ``LEAST(old, earliest new)`` is exactly what the due-date hook (``next_due_scope``) would compute,
    without a round trip per case.
    """
    defaults = "ARRAY[" + ",".join(str(m) for m in DEFAULT_CHECKPOINTS) + "]::smallint[]"
    return f"""
    WITH cfg AS (
        SELECT pt.id AS partnership_id,
               COALESCE(fs.checkpoints, {defaults}) AS checkpoints,
               COALESCE(fs.review_agency_id, (
                   SELECT min(a.id) FROM {t["agency"]} a WHERE a.partnership_id = pt.id AND a.kind = 'police'
               )) AS agency_id
        FROM {t["partnership"]} pt LEFT JOIN {t["settings"]} fs ON fs.partnership_id = pt.id
    ), due AS (
        SELECT p.case_id, p.id AS period_id, m.months,
               (p.starts_on + make_interval(months => m.months::int))::date AS due_on,
               (p.starts_on + make_interval(months => COALESCE(cfg.checkpoints[m.ord - 1], 0)::int))::date
                   AS window_starts_on,
               CASE WHEN w.is_active THEN w.id END AS worker_id,
               COALESCE(CASE WHEN w.is_active THEN w.agency_id END, cfg.agency_id) AS agency_id
        FROM {t["period"]} p
        JOIN {t["case"]} c ON c.id = p.case_id
        JOIN cfg ON cfg.partnership_id = c.partnership_id
        LEFT JOIN {t["user"]} w ON w.id = c.assigned_worker_id
        CROSS JOIN LATERAL unnest(cfg.checkpoints) WITH ORDINALITY AS m(months, ord)
        WHERE p.case_id BETWEEN %(first)s AND %(last)s
          AND p.ended_on IS NULL
          AND c.status IN {_MONITORED_SQL}
          AND (p.starts_on + make_interval(months => m.months::int))::date <= %(today)s
    ), ins AS (
        INSERT INTO {t["review"]} (case_id, period_id, checkpoint_months, window_starts_on, due_on,
            assigned_agency_id, assigned_worker_id, status, reoffended, sources_checked, notes,
            withdrawn_reason, created_at)
        SELECT due.case_id, due.period_id, due.months, due.window_starts_on, due.due_on,
               due.agency_id, due.worker_id, 'open', NULL, '{{}}', '', '', now()
        FROM due
        WHERE NOT EXISTS (
            SELECT 1 FROM {t["review"]} r
            WHERE r.case_id = due.case_id AND r.period_id = due.period_id AND r.checkpoint_months = due.months
              -- The batch's range, stated again: the planner then reads only this range of the
              -- unique index instead of sorting the whole table for a merge.
              AND r.case_id BETWEEN %(first)s AND %(last)s
        )
        ORDER BY due.case_id, due.period_id, due.months
        ON CONFLICT (case_id, period_id, checkpoint_months) DO NOTHING
        RETURNING case_id, due_on
    ), bumped AS (
        UPDATE {t["case"]} c SET next_due_on = d.due_on
        FROM (SELECT case_id, min(due_on) AS due_on FROM ins GROUP BY case_id) d
        WHERE c.id = d.case_id AND (c.next_due_on IS NULL OR c.next_due_on > d.due_on)
        RETURNING c.id
    )
    SELECT (SELECT count(*) FROM ins), (SELECT count(*) FROM bumped)
    """  # noqa: S608 (table names from model metadata, fixed keys; values are parameters)


@cache
def _case_history_trigger() -> str:
    """The PostgreSQL name of the trigger pgtrigger's ignore list must name (set_config is
    called directly: the batch's SQL has named parameters, which pgtrigger.ignore cannot join)."""
    found = [trigger.get_pgid(model) for model, trigger in pgtrigger.registered(CASE_HISTORY_UPDATE_TRIGGER)]
    if len(found) != 1:
        raise LookupError(f"{CASE_HISTORY_UPDATE_TRIGGER} is not a registered trigger")
    return found[0]


@dataclass(frozen=True)
class BatchResult:
    periods_opened: int
    reviews_created: int
    cases_due_changed: int


@transaction.atomic
def monitoring_periods_open_batch(*, first_case_id: int, last_case_id: int, today: dt.date) -> int:
    """Open the monitoring periods missing for the cases with ids in the range: accepted cases
    from their decision date, and ended direct interventions from their end. Idempotent."""
    params: dict[str, Any] = {"first": first_case_id, "last": last_case_id, "today": today}
    opened = 0
    with connection.cursor() as cursor:
        for sql in _open_periods_sql(_tables()):
            cursor.execute(sql, params)
            opened += max(cursor.rowcount, 0)
    return opened


@transaction.atomic
def followups_schedule_batch(*, first_case_id: int, last_case_id: int, today: dt.date) -> BatchResult:
    """Open missing monitoring periods and create the reviews of every checkpoint reached, for
    the cases with ids in [first_case_id, last_case_id]. One transaction; idempotent."""
    t = _tables()
    params: dict[str, Any] = {"first": first_case_id, "last": last_case_id, "today": today}
    opened = monitoring_periods_open_batch(first_case_id=first_case_id, last_case_id=last_case_id, today=today)
    with connection.cursor() as cursor:
        # The statement's row estimates are large; compiling it costs more than running it.
        cursor.execute("SET LOCAL jit = off")
        # Case.next_due_on is derived (the earliest open due date across the registered
        # sources, recomputable at any time by the hook, next_due_changed): moving it here
        # writes no CaseHistory row. A history trigger per case made a million-case first
        # run several times slower; the reviews themselves keep their history.
        cursor.execute("SELECT set_config('pgtrigger.ignore', %s, true)", ["{" + _case_history_trigger() + "}"])
        cursor.execute(_schedule_reviews_sql(t), params)
        created, changed = cursor.fetchone()
        cursor.execute("SELECT set_config('pgtrigger.ignore', '{}', true)")
        pause = _test_pause_seconds()
        if pause:
            # The kill test's slow step: the batch's rows are written but not committed. The
            # check interval makes PostgreSQL notice a killed worker and roll back promptly.
            cursor.execute("SET LOCAL client_connection_check_interval = '200ms'")
            cursor.execute("SELECT pg_sleep(%s) /* followups-test-slow-step */", [pause])
    logger.info(
        "follow-up batch %s-%s: %s periods opened, %s reviews created", first_case_id, last_case_id, opened, created
    )
    return BatchResult(periods_opened=opened, reviews_created=int(created), cases_due_changed=int(changed))


def followups_schedule_ranges(*, batch_size: int | None = None) -> list[tuple[int, int]]:
    """The case-id ranges the scheduler works through, ``batch_size`` ids each."""
    size = batch_size or _schedule_batch_size()
    bounds = Case.objects.aggregate(first=Min("id"), last=Max("id"))
    if bounds["first"] is None:
        return []
    first, last = int(bounds["first"]), int(bounds["last"])
    return [(lo, min(lo + size - 1, last)) for lo in range(first, last + 1, size)]


def followups_schedule(*, today: dt.date | None = None, batch_size: int | None = None) -> BatchResult:
    """Every batch in this process, one transaction each (the benchmark, a management shell).
    The Celery job queues the same batches as tasks of their own."""
    day = today or _today()
    opened = created = changed = 0
    for first, last in followups_schedule_ranges(batch_size=batch_size):
        result = followups_schedule_batch(first_case_id=first, last_case_id=last, today=day)
        opened += result.periods_opened
        created += result.reviews_created
        changed += result.cases_due_changed
    return BatchResult(periods_opened=opened, reviews_created=created, cases_due_changed=changed)


# --- who owns a case, who manages the programme ---------------------------------------------------------------


def case_owners(case_ids: Iterable[int]) -> dict[int, list[User]]:
    """For each case: its assigned worker (active, still able to see it), else the active
    triage officers of the agencies the case is shared with."""
    ids = list(dict.fromkeys(case_ids))
    owners: dict[int, list[User]] = {i: [] for i in ids}
    if not ids:
        return owners
    cases = {c.pk: c for c in Case.objects.filter(pk__in=ids).select_related("assigned_worker__agency")}
    workers = [(c.assigned_worker, c) for c in cases.values() if c.assigned_worker and c.assigned_worker.is_active]
    may_view = case_permissions.viewable_pairs(workers)
    unassigned: list[int] = []
    for case_id, case in cases.items():
        worker = case.assigned_worker
        if worker is not None and (worker.pk, case_id) in may_view:
            owners[case_id] = [worker]
        else:
            unassigned.append(case_id)
    if unassigned:
        # The triage officers of the agencies each case is shared with are the candidates; which
        # of them may see it is ``viewable_pairs``, the one case rule asked for every pair at once.
        perm_id = case_permissions.view_case_permission_id()
        groups_by_case: dict[int, set[int]] = defaultdict(set)
        for case_id, group_id in CaseGroupObjectPermission.objects.filter(
            content_object_id__in=unassigned, permission_id=perm_id
        ).values_list("content_object_id", "group_id"):
            groups_by_case[case_id].add(group_id)
        all_groups = set().union(*groups_by_case.values()) if groups_by_case else set()
        officers = list(
            User.objects.filter(role=Role.TRIAGE_OFFICER, is_active=True, agency__group_id__in=all_groups)
            .select_related("agency")
            .order_by("pk")
        )
        pairs = [
            (officer, cases[case_id])
            for case_id in unassigned
            for officer in officers
            if officer.agency is not None and officer.agency.group_id in groups_by_case.get(case_id, set())
        ]
        allowed = case_permissions.viewable_pairs(pairs)
        for officer, case in pairs:
            if (officer.pk, case.pk) in allowed:
                owners[case.pk].append(officer)
    return owners


def programme_managers(partnership_id: int) -> list[User]:
    return list(
        User.objects.filter(
            agency__partnership_id=partnership_id, role=Role.PROGRAMME_MANAGER, is_active=True
        ).order_by("pk")
    )


# --- reminders and escalation -------------------------------------------------------------------------------------


def reminder_cycle_date(*, due_on: dt.date, today: dt.date) -> dt.date | None:
    """The reminder this review is owed by ``today``: the due date, then every seven days."""
    if due_on > today:
        return None
    return due_on + dt.timedelta(days=((today - due_on).days // REMINDER_EVERY_DAYS) * REMINDER_EVERY_DAYS)


@dataclass(frozen=True)
class ReminderResult:
    reminders: int
    escalations: int


def _notify(user: User, subject: str, body: str, link: str, key: str) -> bool:
    from notifications.services import notify

    return notify(user, subject, body, link, key=key) is not None


@transaction.atomic
def followup_reminders_send_batch(*, first_review_id: int, last_review_id: int, today: dt.date) -> ReminderResult:
    """Remind owners of the open reviews due by ``today`` with ids in the range, and escalate
    those overdue by more than 14 days. One transaction; the notifications' keys make a re-run
    send nothing twice. Subjects and bodies name the case by reference only."""
    reviews = list(
        FollowUpReview.objects.filter(
            pk__gte=first_review_id, pk__lte=last_review_id, status=ReviewStatus.OPEN, due_on__lte=today
        )
        .select_related("case")
        .order_by("pk")
    )
    if not reviews:
        return ReminderResult(0, 0)
    owners = case_owners(r.case_id for r in reviews)
    managers: dict[int, list[User]] = {}
    reminders = escalations = 0
    escalated_ids: list[int] = []
    for review in reviews:
        case = review.case
        link = monitoring_url(case.pk)
        overdue_days = (today - review.due_on).days
        cycle = reminder_cycle_date(due_on=review.due_on, today=today)
        assert cycle is not None
        if overdue_days == 0:
            subject = f"Follow-up review due today on case {case.reference}"
        else:
            subject = f"Follow-up review overdue on case {case.reference}"
        body = (
            f"The {review.checkpoint_months}-month re-offending follow-up review of case {case.reference} "
            f"was due on {review.due_on:%-d %B %Y}. Record whether there was any re-offending in the window."
        )
        for owner in owners.get(case.pk, []):
            if _notify(owner, subject, body, link, key=f"followup-reminder:{review.pk}:{cycle.isoformat()}"):
                reminders += 1
        if overdue_days > ESCALATE_AFTER_DAYS:
            if case.partnership_id not in managers:
                managers[case.partnership_id] = programme_managers(case.partnership_id)
            body_pm = (
                f"The {review.checkpoint_months}-month re-offending follow-up review of case {case.reference} "
                f"was due on {review.due_on:%-d %B %Y} and is {overdue_days} days overdue."
            )
            for manager in managers[case.partnership_id]:
                if _notify(
                    manager,
                    f"Follow-up review {overdue_days} days overdue on case {case.reference}",
                    body_pm,
                    link,
                    key=f"followup-escalation:{review.pk}",
                ):
                    escalations += 1
            if review.escalated_at is None:
                escalated_ids.append(review.pk)
    if escalated_ids:
        FollowUpReview.objects.filter(pk__in=escalated_ids, escalated_at__isnull=True).update(
            escalated_at=timezone.now()
        )
    pause = _test_pause_seconds()
    if pause:
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL client_connection_check_interval = '200ms'")
            cursor.execute("SELECT pg_sleep(%s) /* followups-test-slow-step */", [pause])
    return ReminderResult(reminders, escalations)


def followup_reminder_ranges(*, today: dt.date, batch_size: int | None = None) -> list[tuple[int, int]]:
    """Id ranges of ``batch_size`` open reviews due by ``today`` each (the partial index serves it)."""
    size = batch_size or _reminder_batch_size()
    t = _tables()
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            SELECT id, last FROM (
                SELECT id, row_number() OVER (ORDER BY id) AS n, max(id) OVER () AS last
                FROM {t["review"]} WHERE status = 'open' AND due_on <= %(today)s
            ) s WHERE (n - 1) %% %(size)s = 0 ORDER BY id
            """,  # noqa: S608 (table names from model metadata, fixed keys; values are parameters)
            {"today": today, "size": size},
        )
        rows = cursor.fetchall()
    if not rows:
        return []
    starts = [int(r[0]) for r in rows]
    last = int(rows[0][1])
    return [(start, (starts[k + 1] - 1) if k + 1 < len(starts) else last) for k, start in enumerate(starts)]


def followup_reminders_send(*, today: dt.date | None = None, batch_size: int | None = None) -> ReminderResult:
    day = today or _today()
    reminders = escalations = 0
    for first, last in followup_reminder_ranges(today=day, batch_size=batch_size):
        result = followup_reminders_send_batch(first_review_id=first, last_review_id=last, today=day)
        reminders += result.reminders
        escalations += result.escalations
    return ReminderResult(reminders, escalations)


# --- completing a review ------------------------------------------------------------------------------------------


@dataclass
class OccurrenceInput:
    occurred_on: dt.date | None
    kind: str
    victim: str
    source: str
    offence: str
    crime_reference: str = ""


@dataclass
class ReviewInput:
    reoffended: bool | None
    occurrences: list[OccurrenceInput] = field(default_factory=list)
    sources_checked: list[str] = field(default_factory=list)
    notes: str = ""


def _validate_occurrence(
    data: OccurrenceInput, *, prefix: str, earliest: dt.date | None, today: dt.date
) -> dict[str, str]:
    errors: dict[str, str] = {}
    if data.occurred_on is None:
        errors[f"{prefix}occurred_on"] = "Enter the date of the behaviour"
    elif data.occurred_on > today:
        errors[f"{prefix}occurred_on"] = "The date cannot be in the future"
    elif earliest is not None and data.occurred_on < earliest:
        errors[f"{prefix}occurred_on"] = f"The date must be on or after the start of monitoring ({earliest:%-d %B %Y})"
    if data.kind not in ReoffendingKind.values:
        errors[f"{prefix}kind"] = "Choose persistence or recurrence"
    if data.victim not in ReoffendingVictim.values:
        errors[f"{prefix}victim"] = "Choose the same victim or a new victim"
    if data.source not in ReoffendingSource.values:
        errors[f"{prefix}source"] = "Choose where the information came from"
    if data.offence not in Offence.values:
        errors[f"{prefix}offence"] = "Choose the offence"
    if len(data.crime_reference.strip()) > 40:
        errors[f"{prefix}crime_reference"] = "A crime reference has at most 40 characters"
    return errors


def _record(case: Case, data: OccurrenceInput, *, actor: User | None, **links: Any) -> ReoffendingRecord:
    assert data.occurred_on is not None
    return ReoffendingRecord.objects.create(
        case=case,
        occurred_on=data.occurred_on,
        kind=data.kind,
        victim=data.victim,
        source=data.source,
        offence=data.offence,
        crime_reference=normalise_crime_reference(data.crime_reference),
        recorded_by=actor,
        **links,
    )


@transaction.atomic
@next_due_scope()
def followup_review_complete(*, actor: User, review: FollowUpReview, data: ReviewInput) -> FollowUpReview:
    """Answer a review: the occurrences of re-offending in the window, or the sources checked."""
    case_permissions.require_case(actor, review.case)
    if not permissions.can_complete_review(actor):
        raise ValidationError({"reoffended": "Your role cannot complete follow-up reviews"})
    locked = FollowUpReview.objects.select_for_update().select_related("period", "case").get(pk=review.pk)
    if locked.status != ReviewStatus.OPEN:
        raise ValidationError({"reoffended": "This review has already been completed or withdrawn"})
    today = _today()
    errors: dict[str, str] = {}
    if data.reoffended is None:
        errors["reoffended"] = "Say whether there was any re-offending"
    elif data.reoffended:
        if not data.occurrences:
            errors["occurrences"] = "Record at least one occurrence of re-offending"
        for index, occurrence in enumerate(data.occurrences):
            errors.update(
                _validate_occurrence(
                    occurrence, prefix=f"occurrence_{index}_", earliest=locked.period.starts_on, today=today
                )
            )
    else:
        sources = list(dict.fromkeys(data.sources_checked))
        if not sources:
            errors["sources_checked"] = "Choose the sources you checked"
        elif any(s not in ReoffendingSource.values for s in sources):
            errors["sources_checked"] = "Choose sources from the list"
    if errors:
        raise ValidationError(errors)
    if data.reoffended:
        for occurrence in data.occurrences:
            _record(locked.case, occurrence, actor=actor, review=locked)
        locked.sources_checked = []
    else:
        locked.sources_checked = list(dict.fromkeys(data.sources_checked))
    locked.reoffended = bool(data.reoffended)
    locked.notes = data.notes.strip()
    locked.status = ReviewStatus.COMPLETED
    locked.completed_at = timezone.now()
    locked.completed_by = actor
    locked.save()
    outcome = (
        f"re-offending recorded ({len(data.occurrences)} occurrence{'s' if len(data.occurrences) != 1 else ''})"
        if data.reoffended
        else "no re-offending found"
    )
    _event(locked.case, actor=actor, summary=f"{locked.checkpoint_months}-month follow-up review: {outcome}")
    access_record(
        user=actor, action=AccessAction.CHANGE, record_type="followups.followupreview", record_ids=[locked.pk]
    )
    next_due_changed(case_ids=[locked.case_id])
    return locked


@transaction.atomic
def reoffending_record_add(*, actor: User, case: Case, data: OccurrenceInput) -> ReoffendingRecord:
    """Record re-offending learnt of between reviews (a new crime report, probation's news)."""
    case_permissions.require_case(actor, case)
    if not permissions.can_record_reoffending(actor):
        raise ValidationError({"occurred_on": "Your role cannot record re-offending"})
    earliest = MonitoringPeriod.objects.filter(case=case).aggregate(first=Min("starts_on"))["first"] or case.decided_on
    errors = _validate_occurrence(data, prefix="", earliest=earliest, today=_today())
    if errors:
        raise ValidationError(errors)
    record = _record(case, data, actor=actor)
    _event(
        case,
        actor=actor,
        summary=f"Re-offending recorded: {record.get_kind_display().split(' (')[0].lower()} "
        f"on {record.occurred_on:%-d %B %Y}",
    )
    access_record(
        user=actor, action=AccessAction.CREATE, record_type="followups.reoffendingrecord", record_ids=[record.pk]
    )
    return record


# --- automatic detection -----------------------------------------------------------------------------------------


def classify(*, new_behaviour_on: dt.date, last_known_on: dt.date) -> str:
    """The programme's definition (seeds/004; ../shared/specs/evaluation-tables.md): the break
    decides. Recurrence when the behaviour follows a break of six months or more since the
    perpetrator's previous known stalking behaviour, otherwise persistence. Whether the victim
    is the same or new is recorded apart (``victim``): behaviour towards a new victim a month
    on is persistence, towards a new victim."""
    if new_behaviour_on < last_known_on + relativedelta(months=PERSISTENCE_MONTHS):
        return ReoffendingKind.PERSISTENCE
    return ReoffendingKind.RECURRENCE


def last_known_behaviour(cases: Sequence[Case]) -> dict[int, dt.date]:
    """The latest date each earlier case knows of the perpetrator's behaviour: its referral's last
    incident (or, without one, the date received), a breach of its orders, re-offending recorded.

    Two grouped queries whatever the number of cases (the cases come with their referral)."""
    ids = [c.pk for c in cases]
    breaches = dict(
        Breach.objects.filter(order__case_id__in=ids)
        .values("order__case_id")
        .annotate(last=Max("occurred_on"))
        .values_list("order__case_id", "last")
    )
    records = dict(
        ReoffendingRecord.objects.filter(case_id__in=ids)
        .values("case_id")
        .annotate(last=Max("occurred_on"))
        .values_list("case_id", "last")
    )
    known: dict[int, dt.date] = {}
    for case in cases:
        referral = case.referral
        dates = [referral.last_incident_on or referral.received_on, breaches.get(case.pk), records.get(case.pk)]
        known[case.pk] = max(d for d in dates if d is not None)
    return known


@transaction.atomic
def reoffending_detect(*, new_case: Case, actor: User | None = None) -> list[ReoffendingCandidate]:
    """Raise a candidate on every earlier accepted case of the same perpetrator (same Person).

    Called by cases.services.referral_create through a referral listener, in its transaction.
    Each candidate is put before the earlier case's owner (assigned worker, else its triage
    officers) by a notification naming the case only.
    """
    referral = new_case.referral
    parties = list(CaseParty.objects.filter(case=new_case).values_list("person_id", "role"))
    perpetrators = {p for p, role in parties if role == PartyRole.PERPETRATOR}
    if not perpetrators:
        return []
    new_victims = {p for p, role in parties if role in (PartyRole.VICTIM, PartyRole.SECONDARY_VICTIM)}
    earlier_ids = list(
        CaseParty.objects.filter(person_id__in=perpetrators, role=PartyRole.PERPETRATOR)
        .exclude(case=new_case)
        .filter(
            case__partnership_id=new_case.partnership_id,
            case__decision=Decision.ACCEPTED,
        )
        # Strictly earlier, by (received on, id): of two cases received the same day (one
        # incident referred by two agencies), only the later-recorded one points at the other.
        .filter(
            Q(case__received_on__lt=new_case.received_on)
            | Q(case__received_on=new_case.received_on, case_id__lt=new_case.pk)
        )
        .values_list("case_id", "person_id")
    )
    if not earlier_ids:
        return []
    victims_by_case: dict[int, set[int]] = defaultdict(set)
    for case_id, person_id in CaseParty.objects.filter(
        case_id__in=[c for c, _ in earlier_ids], role__in=(PartyRole.VICTIM, PartyRole.SECONDARY_VICTIM)
    ).values_list("case_id", "person_id"):
        victims_by_case[case_id].add(person_id)
    new_start = referral.behaviour_started_on or referral.last_incident_on or referral.received_on
    source = SOURCE_FOR_REFERRER.get(referral.referring_agency_kind, ReoffendingSource.OTHER)
    raised: list[ReoffendingCandidate] = []
    earlier_cases = {
        c.pk: c for c in Case.objects.filter(pk__in=[c for c, _ in earlier_ids]).select_related("referral")
    }
    known = last_known_behaviour(list(earlier_cases.values()))
    for case_id, person_id in dict(earlier_ids).items():
        earlier = earlier_cases[case_id]
        last_known = known[case_id]
        same_victim = bool(new_victims & victims_by_case.get(case_id, set()))
        # The behaviour of the new referral that comes after what the earlier case knew.
        occurred_on = new_start if new_start > last_known else (referral.last_incident_on or referral.received_on)
        candidate, created = ReoffendingCandidate.objects.get_or_create(
            case=earlier,
            new_case=new_case,
            defaults={
                "person_id": person_id,
                "occurred_on": occurred_on,
                "kind": classify(new_behaviour_on=new_start, last_known_on=last_known),
                "victim": ReoffendingVictim.SAME if same_victim else ReoffendingVictim.NEW,
                "source": source,
                "offence": referral.offence,
                "last_known_behaviour_on": last_known,
            },
        )
        if not created:
            continue
        raised.append(candidate)
        _event(
            earlier,
            actor=None,
            # Not the new case's reference: everyone who sees this case reads its timeline, and
            # the new case may be restricted or not shared with them (the monitoring page
            # shows the reference to those who may see it).
            summary=f"Possible re-offending: a new referral received {new_case.received_on:%-d %B %Y} names this "
            f"case's perpetrator; {candidate.get_kind_display().split(' (')[0].lower()}, "
            f"{candidate.get_victim_display().lower()}",
        )
    if raised:
        _reoffending_alert(raised, earlier_cases)
    return raised


def reoffending_alert_key(case_id: int, occurred_on: dt.date) -> str:
    """One alert per earlier case and event (the new behaviour's date) for each recipient.

    One incident is often referred by several agencies (police, probation, a health service),
    each referral a new case and a candidate of its own; the owner hears of it once, and the
    alert says how many referrals name it. Not the candidate: that made one alert each.
    """
    return f"reoffending:{case_id}:{occurred_on.isoformat()}"


def _reoffending_alert(raised: list[ReoffendingCandidate], earlier_cases: dict[int, Case]) -> None:
    """Alert each earlier case's owners of its new candidates, one alert per case and event:
    a later candidate of the same event rewrites the alert (unread again), not a second one."""
    from notifications.services import notify

    owners = case_owners(c.case_id for c in raised)
    events = {(c.case_id, c.occurred_on) for c in raised}
    referrals: dict[tuple[int, dt.date], int] = defaultdict(int)
    for case_id, occurred_on in ReoffendingCandidate.objects.filter(
        case_id__in={case_id for case_id, _ in events}
    ).values_list("case_id", "occurred_on"):
        referrals[(case_id, occurred_on)] += 1
    for candidate in raised:
        if (candidate.case_id, candidate.occurred_on) not in events:
            continue  # this event's alert is already written by an earlier candidate of this run
        events.discard((candidate.case_id, candidate.occurred_on))
        reference = earlier_cases[candidate.case_id].reference
        count = referrals[(candidate.case_id, candidate.occurred_on)]
        named_by = "A new referral names" if count <= 1 else f"{count} new referrals name"
        for owner in owners.get(candidate.case_id, []):
            notify(
                owner,
                f"Possible re-offending on case {reference}",
                f"{named_by} the perpetrator of case {reference}, for behaviour on "
                f"{candidate.occurred_on:%-d %B %Y}. Confirm or reject it as "
                f"{candidate.get_kind_display().split(' (')[0].lower()}.",
                monitoring_url(candidate.case_id),
                key=reoffending_alert_key(candidate.case_id, candidate.occurred_on),
                refresh=True,
            )


def on_person_merged(survivor: Any, merged: Any, actor: Any) -> None:
    """cases.extensions person-merge listener: one identity can reveal re-offending that two
    records hid. Each of the survivor's cases as perpetrator is looked at as if it were the
    new referral, oldest first; candidates already raised are not raised again."""
    cases = (
        Case.objects.filter(
            parties__person=survivor, parties__role=PartyRole.PERPETRATOR, partnership_id=survivor.partnership_id
        )
        .select_related("referral")
        .distinct()
        .order_by("received_on", "id")
    )
    for case in cases:
        reoffending_detect(new_case=case, actor=actor)


def on_worker_assigned(case: Case, worker: User | None, actor: User) -> None:
    """cases.extensions assignment listener: the case's open reviews follow its worker.

    Reminders already go to the case's current worker; this keeps the reviews' "assigned
    to", the "my reviews" filter and the API saying the same. Without a worker the reviews
    go back to the agency that reviews unassigned cases, as when they were scheduled.
    """
    agency_id = worker.agency_id if worker is not None else unassigned_review_agency_id(case.partnership_id)
    FollowUpReview.objects.filter(case=case, status=ReviewStatus.OPEN).update(
        assigned_worker=worker, assigned_agency_id=agency_id
    )


def on_referral_created(case: Case, actor: User) -> None:
    """cases.extensions referral listener."""
    reoffending_detect(new_case=case, actor=actor)


def _require_decider(actor: User, candidate: ReoffendingCandidate) -> ReoffendingCandidate:
    case_permissions.require_case(actor, candidate.case)
    if not permissions.can_decide_candidate(actor, candidate.case):
        raise ValidationError({"decision": "Only the case's assigned worker or a triage officer can decide this"})
    locked = ReoffendingCandidate.objects.select_for_update().select_related("case").get(pk=candidate.pk)
    if locked.status != CandidateStatus.PENDING:
        raise ValidationError({"decision": "This possible re-offending has already been decided"})
    return locked


@transaction.atomic
def reoffending_candidate_confirm(
    *, actor: User, candidate: ReoffendingCandidate, data: OccurrenceInput | None = None
) -> ReoffendingRecord:
    """Confirm: a re-offending record with the candidate's values, or the owner's corrections."""
    locked = _require_decider(actor, candidate)
    values = data or OccurrenceInput(
        occurred_on=locked.occurred_on,
        kind=locked.kind,
        victim=locked.victim,
        source=locked.source,
        offence=locked.offence,
    )
    errors = _validate_occurrence(values, prefix="", earliest=None, today=_today())
    if errors:
        raise ValidationError(errors)
    record = _record(locked.case, values, actor=actor, candidate=locked)
    locked.status = CandidateStatus.CONFIRMED
    locked.decided_by = actor
    locked.decided_at = timezone.now()
    locked.save(update_fields=["status", "decided_by", "decided_at"])
    _event(
        locked.case,
        actor=actor,
        summary=f"Possible re-offending confirmed: {record.get_kind_display().split(' (')[0].lower()} "
        f"on {record.occurred_on:%-d %B %Y}",
    )
    access_record(
        user=actor, action=AccessAction.CREATE, record_type="followups.reoffendingrecord", record_ids=[record.pk]
    )
    return record


@transaction.atomic
def reoffending_candidate_reject(*, actor: User, candidate: ReoffendingCandidate, reason: str) -> ReoffendingCandidate:
    locked = _require_decider(actor, candidate)
    if not reason.strip():
        raise ValidationError({"reason": "Say why this is not re-offending"})
    locked.status = CandidateStatus.REJECTED
    locked.decided_by = actor
    locked.decided_at = timezone.now()
    locked.decision_reason = reason.strip()
    locked.save(update_fields=["status", "decided_by", "decided_at", "decision_reason"])
    _event(locked.case, actor=actor, summary="Possible re-offending rejected", detail=reason.strip())
    access_record(
        user=actor, action=AccessAction.CHANGE, record_type="followups.reoffendingcandidate", record_ids=[locked.pk]
    )
    return locked
