"""Time the default quarterly return for a partnership with 100,000 referrals.

    python manage.py bench_returns [--referrals 100000] [--runs 5] [--rebuild] [--seed 1]

The first run builds the partnership ``bench-returns`` (its agencies, staff and the
default definition through the services; its cases and everything the return counts
by ``INSERT ... SELECT`` over ``generate_series`` inside PostgreSQL, from one plan table
of random decisions); later runs reuse it (``--rebuild`` deletes it and builds again).
It then times the whole default return for the last complete quarter, the way the
worker computes it (every indicator, one aggregate query each, two with a breakdown),
``--runs`` times, and prints each run and each indicator's time.

Like ``seed_scale``, the load runs with ``session_replication_role = replica`` so the
history triggers do not fire: a benchmark dataset, not production data. Everything it
writes belongs to the ``bench-returns`` partnership, and only that is ever deleted.
"""

from __future__ import annotations

import statistics
import time
from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, models, transaction
from django.utils import timezone

from advocacy.models import ContactLogEntry, SafetyPlan
from agencies import services as agency_services
from agencies.models import AgencyKind, Partnership, Role, User
from cases.models import Case, CaseParty, Person, Referral
from followups.models import FollowUpReview, MonitoringPeriod, ReoffendingRecord
from interventions.models import Appointment, Intervention, TherapySession
from reporting.models import TrainingEvent
from reporting.returns import measures, services
from reporting.returns.measures import Quarter
from risk import services as risk_services
from risk.models import Assessment, InstrumentVersion

SLUG = "bench-returns"
NAME = "Benchmark Partnership (returns)"


def _insert_select(
    cursor: Any, model: type[models.Model], values: dict[str, str], from_sql: str, params: list[Any] | None = None
) -> int:
    """``INSERT INTO <model's table> (every column) SELECT ...``: ``values`` gives the SQL of some
    columns; every other column gets its Django default (or NULL), so the model's NOT NULL columns
    without a database default are always filled."""
    columns: list[str] = []
    expressions: list[str] = []
    defaults: list[Any] = []
    for field in model._meta.concrete_fields:
        column = field.column
        if field.primary_key and column not in values:
            continue  # the identity column numbers the rows
        columns.append(f'"{column}"')
        if column in values:
            expressions.append(values.pop(column))
        elif getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            expressions.append("now()")
        elif field.get_internal_type() == "ArrayField":
            expressions.append(f"'{{}}'::{field.db_type(connection)}")
        else:
            default = field.get_default()
            if default is None:
                if not field.null:
                    raise CommandError(f"{model.__name__}.{field.name} needs a value")
                expressions.append("NULL")
            else:
                expressions.append("%s")
                defaults.append(field.get_db_prep_save(default, connection))
    if values:
        raise CommandError(f"{model.__name__} has no column {sorted(values)}")
    sql = f"INSERT INTO {model._meta.db_table} ({', '.join(columns)}) SELECT {', '.join(expressions)} {from_sql}"
    cursor.execute(sql, defaults + (params or []))
    return int(cursor.rowcount)


def _reserve_ids(cursor: Any, model: type[models.Model], count: int) -> int:
    """Reserve ``count`` consecutive ids of the model's identity column; returns the first."""
    table = model._meta.db_table
    cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [table])
    sequence = cursor.fetchone()[0]
    cursor.execute(f"SELECT GREATEST(nextval(%s), (SELECT COALESCE(MAX(id), 0) + 1 FROM {table}))", [sequence])
    first = int(cursor.fetchone()[0])
    cursor.execute("SELECT setval(%s, %s)", [sequence, first + max(count, 1) - 1])
    return first


class Command(BaseCommand):
    help = "Build (or reuse) a partnership with 100,000 referrals and time its default quarterly return."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--referrals", type=int, default=100_000)
        parser.add_argument("--runs", type=int, default=5)
        parser.add_argument("--rebuild", action="store_true", help="Delete the benchmark partnership's data first")
        parser.add_argument("--seed", type=int, default=1)

    def handle(self, *args: Any, **options: Any) -> None:
        partnership = Partnership.objects.filter(slug=SLUG).first()
        referrals = Referral.objects.filter(partnership=partnership).count() if partnership else 0
        if partnership is None or options["rebuild"] or referrals != options["referrals"]:
            started = time.monotonic()
            partnership = self._build(partnership, n=options["referrals"], seed=options["seed"])
            self.stdout.write(f"built {options['referrals']:,} referrals in {time.monotonic() - started:.1f} s")
        else:
            self.stdout.write(f"reusing {SLUG}: {referrals:,} referrals")
        self._report_size(partnership)
        self._time(partnership, runs=options["runs"])

    # --- the timing --------------------------------------------------------------------------------------

    def _time(self, partnership: Partnership, *, runs: int) -> None:
        definition = services.definition_ensure_default(partnership=partnership)
        version = services.latest_version(definition)
        specs = [services.spec_of(i) for i in version.indicators.order_by("position")]
        quarter = Quarter.containing(timezone.localdate()).previous()
        self.stdout.write(f"default return ({len(specs)} indicators) for {quarter.long_label}")
        totals: list[float] = []
        per_indicator: dict[str, list[float]] = {s.key: [] for s in specs}
        for run in range(1, runs + 1):
            began = time.perf_counter()
            computed = []
            with measures.snapshot():  # as the worker and the preview compute them
                for spec in specs:
                    t = time.perf_counter()
                    computed.append(services.compute_indicator(spec, partnership_id=partnership.pk, quarter=quarter))
                    per_indicator[spec.key].append((time.perf_counter() - t) * 1000)
            services.results_document(partnership=partnership, version=version, quarter=quarter, indicators=computed)
            elapsed = time.perf_counter() - began
            totals.append(elapsed)
            self.stdout.write(f"run {run}: {elapsed:.2f} s")
        self.stdout.write(
            f"default return: best {min(totals):.2f} s, median {statistics.median(totals):.2f} s, "
            f"worst {max(totals):.2f} s (target 5 s)"
        )
        self.stdout.write("per indicator, median ms:")
        for spec in specs:
            total = next(c["total"] for c in computed if c["key"] == spec.key)
            self.stdout.write(f"  {spec.key:<36} {statistics.median(per_indicator[spec.key]):8.1f}   total={total}")

    def _report_size(self, partnership: Partnership) -> None:
        counts = {
            "referrals": Referral.objects.filter(partnership=partnership).count(),
            "people": Person.objects.filter(partnership=partnership).count(),
            "risk assessments": Assessment.objects.filter(case__partnership=partnership).count(),
            "contacts": ContactLogEntry.objects.filter(case__partnership=partnership).count(),
            "safety plans": SafetyPlan.objects.filter(case__partnership=partnership).count(),
            "interventions": Intervention.objects.filter(case__partnership=partnership).count(),
            "appointments": Appointment.objects.filter(session__intervention__case__partnership=partnership).count(),
            "follow-up reviews": FollowUpReview.objects.filter(case__partnership=partnership).count(),
            "re-offending records": ReoffendingRecord.objects.filter(case__partnership=partnership).count(),
            "training events": TrainingEvent.objects.filter(partnership=partnership).count(),
        }
        self.stdout.write("dataset: " + ", ".join(f"{v:,} {k}" for k, v in counts.items()))

    # --- the dataset -----------------------------------------------------------------------------------------

    def _setup(self) -> tuple[Partnership, dict[str, Any], User]:
        partnership = agency_services.partnership_create(name=NAME, slug=SLUG)
        agencies: dict[str, Any] = {
            str(kind): agency_services.agency_create(partnership=partnership, name=f"Benchmark {label}", kind=kind)
            for kind, label in (
                (AgencyKind.POLICE, "Police"),
                (AgencyKind.PROBATION, "Probation"),
                (AgencyKind.HEALTH, "Stalking Clinic"),
                (AgencyKind.ADVOCACY, "Advocacy Service"),
            )
        }
        staff = agency_services.staff_create(
            email="manager@bench-returns.bench.masip.test",
            first_name="Bench",
            last_name="Manager",
            agency=agencies[AgencyKind.POLICE],
            role=Role.PROGRAMME_MANAGER,
            password=None,
        )
        return partnership, agencies, staff

    def _delete(self, cursor: Any, partnership_id: int) -> None:
        p = [partnership_id]
        of_cases = "case_id IN (SELECT id FROM cases_case WHERE partnership_id = %s)"
        statements = [
            f"DELETE FROM followups_reoffendingrecord WHERE {of_cases}",
            f"DELETE FROM followups_followupreview WHERE {of_cases}",
            f"DELETE FROM followups_monitoringperiod WHERE {of_cases}",
            "DELETE FROM interventions_appointment WHERE session_id IN (SELECT s.id "
            "FROM interventions_therapysession s "
            "JOIN interventions_intervention i ON i.id = s.intervention_id JOIN cases_case c ON c.id = i.case_id "
            "WHERE c.partnership_id = %s)",
            "DELETE FROM interventions_therapysession WHERE intervention_id IN (SELECT i.id FROM "
            "interventions_intervention i JOIN cases_case c ON c.id = i.case_id WHERE c.partnership_id = %s)",
            f"DELETE FROM interventions_intervention WHERE {of_cases}",
            f"DELETE FROM advocacy_safetyplan WHERE {of_cases}",
            f"DELETE FROM advocacy_contactlogentry WHERE {of_cases}",
            f"DELETE FROM risk_assessment WHERE {of_cases}",
            f"DELETE FROM cases_caseparty WHERE {of_cases}",
            "DELETE FROM cases_case WHERE partnership_id = %s",
            "DELETE FROM cases_referral WHERE partnership_id = %s",
            "DELETE FROM cases_person WHERE partnership_id = %s",
            "DELETE FROM reporting_trainingevent WHERE partnership_id = %s",
        ]
        for sql in statements:
            cursor.execute(sql, p)

    def _build(self, existing: Partnership | None, *, n: int, seed: int) -> Partnership:
        risk_services.instruments_ensure_shipped()
        sash = InstrumentVersion.objects.get(instrument__key="sash", partnership__isnull=True, is_current=True)
        dash = InstrumentVersion.objects.get(instrument__key="dash", partnership__isnull=True, is_current=True)
        with transaction.atomic(), connection.cursor() as cursor:
            if existing is None:
                partnership, agencies, staff = self._setup()
            else:
                partnership = existing
                agencies = {a.kind: a for a in partnership.agencies.all()}
                staff = User.objects.get(email="manager@bench-returns.bench.masip.test")
            cursor.execute("SET LOCAL session_replication_role = replica")
            if existing is not None:
                self._delete(cursor, partnership.pk)
            self._load(cursor, partnership, agencies, staff, sash=sash, dash=dash, n=n, seed=seed)
        services.definition_ensure_default(partnership=partnership)
        with connection.cursor() as cursor:
            for model in (
                Referral,
                Case,
                Person,
                CaseParty,
                Assessment,
                ContactLogEntry,
                SafetyPlan,
                Intervention,
                TherapySession,
                Appointment,
                MonitoringPeriod,
                FollowUpReview,
                ReoffendingRecord,
                TrainingEvent,
            ):
                cursor.execute(f"VACUUM (ANALYZE) {model._meta.db_table}")
        return partnership

    def _load(
        self,
        cursor: Any,
        partnership: Partnership,
        agencies: dict[str, Any],
        staff: User,
        *,
        sash: InstrumentVersion,
        dash: InstrumentVersion,
        n: int,
        seed: int,
    ) -> None:
        today = f"'{date.today().isoformat()}'::date"
        police, health = agencies[AgencyKind.POLICE], agencies[AgencyKind.HEALTH]
        cursor.execute("SELECT setseed(%s)", [((seed * 7919) % 1999 - 999) / 1000.0])
        # One row per referral: every random decision about it, made once.
        cursor.execute(
            f"""
            CREATE TEMP TABLE bench_plan ON COMMIT DROP AS
            WITH r AS (
                SELECT n, random() AS r1, random() AS r2, random() AS r3, random() AS r4, random() AS r5,
                       random() AS r6, random() AS r7, random() AS r8, random() AS r9, random() AS r10,
                       random() AS r11, random() AS r12, random() AS r13, random() AS r14, random() AS r15
                FROM generate_series(1, {int(n)}) AS n
            ), d AS (
                SELECT r.*, ({today} - floor(power(r1, 1.2) * 1095)::int) AS received_on FROM r
            )
            SELECT d.*,
                CASE WHEN r2 < 0.70 THEN 'police' WHEN r2 < 0.78 THEN 'probation' WHEN r2 < 0.83 THEN 'health'
                     WHEN r2 < 0.88 THEN 'advocacy' WHEN r2 < 0.91 THEN 'helpline' WHEN r2 < 0.94 THEN 'marac'
                     WHEN r2 < 0.97 THEN 'self' ELSE 'other' END AS referrer,
                CASE WHEN received_on > {today} - 10 AND r3 < 0.6 THEN 'pending'
                     WHEN r3 < 0.35 THEN 'accepted' WHEN r3 < 0.75 THEN 'not_stalking'
                     WHEN r3 < 0.85 THEN 'not_applicable' WHEN r3 < 0.98 THEN 'no_added_value' ELSE 'pending' END
                     AS decision,
                LEAST({today}, received_on + floor(r4 * 21)::int) AS decided_on,
                CASE WHEN r5 < 0.1 THEN NULL ELSE 1 + mod(floor(r5 * 40)::int, 4) END AS tier,
                r6 < 0.2 AS clinic,
                CASE WHEN r7 < 0.85 THEN (ARRAY['low','moderate','moderate_high','high'])[1 + floor(r8 * 4)::int]
                     END AS sash_level,
                CASE WHEN r9 < 0.6 THEN floor(r10 * 24)::int END AS dash_score,
                (ARRAY['female','female','female','male','other','unknown'])[1 + floor(r11 * 6)::int] AS victim_gender,
                (ARRAY['male','male','male','female','unknown'])[1 + floor(r12 * 5)::int] AS perpetrator_gender,
                (ARRAY['asian','black','mixed','white','white','white','other',''])[1 + floor(r13 * 8)::int]
                    AS ethnicity,
                r14 < 0.4 AS direct, r15 AS r_end
            FROM d
            """
        )
        cursor.execute("ALTER TABLE bench_plan ADD PRIMARY KEY (n)")
        cursor.execute("SELECT count(*) FILTER (WHERE decision = 'accepted') FROM bench_plan")
        accepted = int(cursor.fetchone()[0])
        ids = {
            m: _reserve_ids(cursor, m, c) for m, c in ((Referral, n), (Case, n), (Person, 2 * n), (CaseParty, 2 * n))
        }
        case_id = f"({ids[Case]} - 1 + n)"
        p = partnership.pk
        closed = f"(decision = 'accepted' AND decided_on < {today} - 365)"
        _insert_select(
            cursor,
            Referral,
            {
                "id": f"{ids[Referral]} - 1 + n",
                "partnership_id": str(p),
                "ref": "'BR-' || n",
                "received_on": "received_on",
                "referring_agency_kind": "referrer",
                "offence": "'s2a_stalking'",
                "referral_reason": "'arrest'",
                "relationship": "'ex_intimate'",
            },
            "FROM bench_plan",
        )
        _insert_select(
            cursor,
            Case,
            {
                "id": case_id,
                "partnership_id": str(p),
                "referral_id": f"{ids[Referral]} - 1 + n",
                "received_on": "received_on",
                "status": f"CASE WHEN decision = 'pending' THEN 'awaiting_triage' WHEN decision <> 'accepted' THEN "
                f"'declined' WHEN {closed} THEN 'closed' WHEN decided_on < {today} - 180 THEN 'monitoring' "
                "ELSE 'active' END",
                "decision": "decision",
                "decided_on": "CASE WHEN decision = 'pending' THEN NULL ELSE decided_on END",
                "tier": "CASE WHEN decision = 'accepted' THEN tier END",
                "heard_at_clinic": "decision = 'accepted' AND clinic",
                "closed_on": f"CASE WHEN {closed} THEN decided_on + 300 END",
                "discharge_reason": f"CASE WHEN {closed} THEN 'risk_managed' ELSE '' END",
                "current_risk": "CASE WHEN sash_level IS NULL THEN '' WHEN sash_level = 'moderate_high' THEN 'high' "
                "ELSE sash_level END",
            },
            "FROM bench_plan",
        )
        # Two people per referral: the victim (ids odd offsets) and the perpetrator.
        for offset, role, gender in ((0, "victim", "victim_gender"), (1, "perpetrator", "perpetrator_gender")):
            _insert_select(
                cursor,
                Person,
                {
                    "id": f"{ids[Person]} + 2 * (n - 1) + {offset}",
                    "partnership_id": str(p),
                    "ref": f"'BP-{role[0]}-' || n",
                    "given_name": f"'{role.title()}'",
                    "family_name": "'Bench ' || n",
                    "name_normalised": f"'{role} bench ' || n",
                    "gender": gender,
                    "date_of_birth": "CASE WHEN r14 < 0.8 THEN received_on - (6570 + floor(r15 * 15000)::int) END",
                    "age_band": "CASE WHEN r14 >= 0.8 AND r13 < 0.5 THEN '35_44' ELSE '' END",
                    "ethnicity": "ethnicity",
                },
                "FROM bench_plan",
            )
            _insert_select(
                cursor,
                CaseParty,
                {
                    "id": f"{ids[CaseParty]} + 2 * (n - 1) + {offset}",
                    "case_id": case_id,
                    "person_id": f"{ids[Person]} + 2 * (n - 1) + {offset}",
                    "role": f"'{role}'",
                    "is_primary": "true",
                },
                "FROM bench_plan",
            )
        # Risk: the SASH level recorded at the meeting, the DASH scored, for most decided cases.
        common = {
            "case_id": case_id,
            "status": "'completed'",
            "revision": "1",
            "is_current": "true",
            "created_by_id": str(staff.pk),
            "agency_id": str(police.pk),
            "completed_by_id": str(staff.pk),
            "completed_at": "now()",
            "assessed_on": "decided_on - mod(n, 5)",
        }
        _insert_select(
            cursor,
            Assessment,
            {
                **common,
                "instrument_id": str(sash.instrument_id),
                "version_id": str(sash.pk),
                "band": "sash_level",
                "level": "sash_level",
                "overall": "CASE WHEN sash_level = 'moderate_high' THEN 'high' ELSE sash_level END",
            },
            "FROM bench_plan WHERE decision <> 'pending' AND sash_level IS NOT NULL",
        )
        dash_level = "CASE WHEN dash_score >= 14 THEN 'high' WHEN dash_score >= 10 THEN 'medium' ELSE 'standard' END"
        _insert_select(
            cursor,
            Assessment,
            {
                **common,
                "instrument_id": str(dash.instrument_id),
                "version_id": str(dash.pk),
                "score": "dash_score",
                "band": dash_level,
                "level": dash_level,
                "overall": "CASE WHEN dash_score >= 14 THEN 'high' WHEN dash_score >= 10 THEN 'moderate' "
                "ELSE 'low' END",
            },
            "FROM bench_plan WHERE decision <> 'pending' AND dash_score IS NOT NULL",
        )
        victim = f"({ids[Person]} + 2 * (n - 1))"
        accepted_from = "FROM bench_plan WHERE decision = 'accepted'"
        # Advocacy: a contact every fortnight for up to six months; a safety plan for most victims.
        _insert_select(
            cursor,
            ContactLogEntry,
            {
                "case_id": case_id,
                "person_id": victim,
                "occurred_at": "(decided_on + 14 * k)::timestamp + interval '10 hours'",
                "channel": "(ARRAY['phone','text','email','in_person'])[1 + mod(n + k, 4)]",
                "direction": "'to_victim'",
                "staff_member_id": str(staff.pk),
                "topics": "ARRAY['emotional_support']::varchar(30)[]",
                "summary": "'Fortnightly contact.'",
                "created_by_id": str(staff.pk),
            },
            f"FROM bench_plan, generate_series(0, mod(n, 13)) AS k WHERE decision = 'accepted' "
            f"AND decided_on + 14 * k <= {today}",
        )
        _insert_select(
            cursor,
            SafetyPlan,
            {
                "case_id": case_id,
                "person_id": victim,
                "created_by_id": str(staff.pk),
                "created_at": "(decided_on + 7)::timestamp + interval '11 hours'",
            },
            f"{accepted_from} AND r11 < 0.7 AND decided_on + 7 <= {today}",
        )
        # Direct interventions for two in five accepted perpetrators, with weekly sessions.
        started = "decided_on + 30"
        ended = "decided_on + 30 + 60 + floor(r_end * 120)::int"
        outcome = (
            f"CASE WHEN {ended} > {today} THEN 'ongoing' WHEN r_end < 0.6 THEN 'completed' "
            "WHEN r_end < 0.9 THEN 'dropped_out' ELSE 'cancelled' END"
        )
        first_intervention = _reserve_ids(cursor, Intervention, accepted)
        cursor.execute(
            f"CREATE TEMP TABLE bench_interventions ON COMMIT DROP AS SELECT {first_intervention} - 1 + "
            f"row_number() OVER (ORDER BY n) AS id, n, {started} AS started_on, {outcome} AS outcome, "
            f"{ended} AS ended_on FROM bench_plan WHERE decision = 'accepted' AND direct AND {started} <= {today}"
        )
        _insert_select(
            cursor,
            Intervention,
            {
                "id": "bi.id",
                "case_id": case_id,
                "type": "'perpetrator_direct_intervention'",
                "agency_id": str(health.pk),
                "status": "bi.outcome",
                "started_on": "bi.started_on",
                "ended_on": "CASE WHEN bi.outcome = 'ongoing' THEN NULL ELSE bi.ended_on END",
                "ending": "CASE WHEN bi.outcome = 'ongoing' THEN '' ELSE bi.outcome END",
                "sessions_planned": "12",
            },
            "FROM bench_interventions bi JOIN bench_plan USING (n)",
        )
        first_session = _reserve_ids(cursor, TherapySession, accepted * 12)
        cursor.execute(
            f"CREATE TEMP TABLE bench_sessions ON COMMIT DROP AS SELECT {first_session} - 1 + row_number() "
            "OVER (ORDER BY bi.id, k) AS id, bi.id AS intervention_id, k, bi.started_on + 7 * (k - 1) AS held_on, "
            "bi.n FROM bench_interventions bi, generate_series(1, 12) AS k "
            f"WHERE bi.started_on + 7 * (k - 1) <= LEAST({today} - 1, bi.ended_on)"
        )
        _insert_select(
            cursor,
            TherapySession,
            {"id": "id", "intervention_id": "intervention_id", "number": "k"},
            "FROM bench_sessions",
        )
        attended = "mod(n + k, 7) <> 0"
        _insert_select(
            cursor,
            Appointment,
            {
                "session_id": "id",
                "starts_at": "held_on::timestamp + interval '14 hours'",
                "method": "'in_person'",
                "booked_by_id": str(staff.pk),
                "feedback_at": "held_on::timestamp + interval '16 hours'",
                "feedback_by_id": str(staff.pk),
                "attendance": f"CASE WHEN {attended} THEN 'attended' ELSE 'did_not_attend' END",
                "happened": attended,
                "not_happened_reason": f"CASE WHEN {attended} THEN '' ELSE 'unacceptable' END",
            },
            "FROM bench_sessions",
        )
        # Monitoring from acceptance, with the 3, 6, 9 and 12-month reviews that have come due.
        first_period = _reserve_ids(cursor, MonitoringPeriod, accepted)
        cursor.execute(
            f"CREATE TEMP TABLE bench_periods ON COMMIT DROP AS SELECT {first_period} - 1 + row_number() "
            "OVER (ORDER BY n) AS id, n, decided_on FROM bench_plan WHERE decision = 'accepted'"
        )
        _insert_select(
            cursor,
            MonitoringPeriod,
            {
                "id": "bp.id",
                "case_id": case_id,
                "basis": "'acceptance'",
                "starts_on": "bp.decided_on",
            },
            "FROM bench_periods bp JOIN bench_plan USING (n)",
        )
        due = "(bp.decided_on + make_interval(months => m))::date"
        first_review = _reserve_ids(cursor, FollowUpReview, accepted * 4)
        cursor.execute(
            f"CREATE TEMP TABLE bench_reviews ON COMMIT DROP AS SELECT {first_review} - 1 + row_number() "
            f"OVER (ORDER BY bp.id, m) AS id, bp.id AS period_id, bp.n, m, {due} AS due_on, "
            f"mod(bp.n + m, 9) = 0 AS reoffended, ({due} < {today} - 14 OR mod(bp.n, 3) = 0) AS completed "
            f"FROM bench_periods bp, unnest(ARRAY[3, 6, 9, 12]) AS m WHERE {due} <= {today}"
        )
        _insert_select(
            cursor,
            FollowUpReview,
            {
                "id": "br.id",
                "case_id": case_id,
                "period_id": "br.period_id",
                "checkpoint_months": "br.m",
                "window_starts_on": "br.due_on - 90",
                "due_on": "br.due_on",
                "status": "CASE WHEN br.completed THEN 'completed' ELSE 'open' END",
                "reoffended": "CASE WHEN br.completed THEN br.reoffended END",
                "sources_checked": "CASE WHEN br.completed AND NOT br.reoffended THEN ARRAY['police']::varchar(20)[] "
                "ELSE '{}'::varchar(20)[] END",
                "completed_at": "CASE WHEN br.completed THEN LEAST(br.due_on + 5, "
                f"{today})::timestamp + interval '9 hours' END",
                "completed_by_id": f"CASE WHEN br.completed THEN {staff.pk} END",
            },
            "FROM bench_reviews br JOIN bench_plan USING (n)",
        )
        _insert_select(
            cursor,
            ReoffendingRecord,
            {
                "case_id": case_id,
                "occurred_on": "br.due_on - 30",
                "kind": "CASE WHEN mod(br.n, 2) = 0 THEN 'persistence' ELSE 'recurrence' END",
                "victim": "'same'",
                "source": "'police'",
                "offence": "'s2a_stalking'",
                "review_id": "br.id",
                "recorded_by_id": str(staff.pk),
                "created_at": f"LEAST(br.due_on + 5, {today})::timestamp + interval '9 hours'",
            },
            "FROM bench_reviews br JOIN bench_plan USING (n) WHERE br.completed AND br.reoffended",
        )
        # Training: about two sessions a week across the partnership's agencies.
        agency_ids = ", ".join(str(a.pk) for a in agencies.values())
        _insert_select(
            cursor,
            TrainingEvent,
            {
                "partnership_id": str(p),
                "delivered_on": f"{today} - 3 * k",
                "audience": "(ARRAY['police','probation','health','social_care','victim_services','housing'])"
                "[1 + mod(k, 6)]",
                "topic": "'Recognising stalking'",
                "attendees": "5 + mod(k * 7, 30)",
                "delivering_agency_id": f"(ARRAY[{agency_ids}])[1 + mod(k, {len(agencies)})]",
                "recorded_by_id": str(staff.pk),
            },
            "FROM generate_series(0, 365) AS k",
        )
