"""Importing a bundle: validate everything, then write everything, in one transaction.

1. Read and check every file (exchange.validation); look up what the partnership
   already holds for the refs the bundle names; check references and contradictions.
   Every problem is collected. Any problem: nothing is written, and every problem is
   reported as ``file:line: column: problem``.
2. Write what is not yet held with ``COPY`` in batches (exchange.copy; people, referrals, crime
   references, cases, their main parties, the agencies' shares, timeline entries, risk
   assessments, interventions, re-offending). A new case's current assessment per
   instrument and current risk are worked out before its rows are written; a held case
   that gained assessments is brought up to date with set-based statements; then the
   next due date of every case that gained something.

The whole run is one transaction under an advisory lock per partnership: two imports into
the same partnership wait for each other, and a failure anywhere leaves nothing behind.
Every row written has its history: the rows the import creates get their ``insert``
events written set-based (exchange.history: some fifty times faster than the row
triggers at this volume); rows held before the import change through the triggers.

Imported cases are shared as intake shares a case: with the partnership's core agencies
(and the importing member of staff's agency), as django-guardian direct-FK group object
permissions ``cases.view_case``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import itertools
import re
import signal
import threading
from array import array
from collections import Counter, defaultdict
from collections.abc import Callable, Container, Iterable, Iterator, Sequence, Sized
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import IO, Any

from dateutil.relativedelta import relativedelta
from django.db import DatabaseError, InterfaceError, OperationalError, connection, transaction
from django.db.models import Model, Q
from django.db.models.expressions import RawSQL
from django.utils import timezone
from psycopg.errors import QueryCanceled

from agencies.models import Agency, AgencyKind, Partnership, User
from audit.models import AccessAction
from audit.services import access_record
from cases import permissions as case_permissions
from cases.identifiers import normalise_crime_reference, normalise_name
from cases.models import (
    Case,
    CaseEvent,
    CaseGroupObjectPermission,
    CaseParty,
    CrimeReference,
    EventKind,
    PartyRole,
    Person,
    Referral,
    ReferringAgency,
    status_for_decision,
)
from cases.services import cases_share_by_default, default_share_group_ids, next_due_changed, next_due_scope
from exchange import exporter
from exchange import format as fmt
from exchange.copy import CopyRefused, copy_objects
from exchange.history import BulkHistory
from exchange.reader import Bundle, BundleUnreadable
from exchange.validation import (
    BundleError,
    ChildRow,
    ErrorList,
    Held,
    HeldIds,
    Parsed,
    PersonRow,
    Plan,
    StagedRows,
    check_references,
    copy_rows,
    iter_chunks,
    person_pk_from_ref,
    read_bundle,
    referral_batches,
    rows_of_referrals,
)
from followups.models import ReoffendingRecord
from risk.services import NewAssessment, assessments_current_at_insert, assessments_refresh_current

Progress = Callable[[str], None]
BATCH = 5000
SYSTEM_EMAIL = "data-bundle-import@masip.invalid"
# The agencies --create makes: one of each kind; the four that work every case are core.
CORE_KINDS = (AgencyKind.POLICE, AgencyKind.PROBATION, AgencyKind.HEALTH, AgencyKind.ADVOCACY)
# Which of the partnership's agencies holds an imported record, in order of preference.
ASSESSING_KINDS: dict[str, tuple[str, ...]] = {
    "sash": (AgencyKind.POLICE, AgencyKind.PROBATION),
    "dash": (AgencyKind.POLICE, AgencyKind.ADVOCACY),
    "srp": (AgencyKind.HEALTH, AgencyKind.PROBATION),
}
SRP_ITEMS = exporter.SRP_ITEMS


class _Refused(Exception):
    """Raised inside the transaction to roll it back (errors found, or a dry run)."""


@dataclass
class ImportResult:
    partnership_slug: str
    dry_run: bool
    errors: list[BundleError] = field(default_factory=list)
    created: Counter[str] = field(default_factory=Counter)
    already_held: Counter[str] = field(default_factory=Counter)
    partnership_created: bool = False
    # The held records the bundle was checked against, by record type: an import that writes
    # nothing still told the importer which of their values differ from the upload. Their
    # ids, one a line, in temporary files (HeldIds.spool) until the access log names them.
    compared: dict[str, IO[bytes]] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors

    def summary_lines(self) -> list[str]:
        verb = "would be added" if self.dry_run else "added"
        lines = []
        for name in fmt.ALL_FILES:
            if self.created[name] or self.already_held[name]:
                lines.append(f"{name}: {self.created[name]:,} {verb}, {self.already_held[name]:,} already held")
        if self.partnership_created:
            lines.insert(0, f"Partnership {self.partnership_slug} {'would be' if self.dry_run else 'was'} created")
        return lines


def system_actor() -> User:
    """The account imports run as when no member of staff is named: no agency, cannot sign in."""
    found = User.objects.filter(email=SYSTEM_EMAIL).first()
    if found is not None:
        return found
    return User.objects.create_user(
        email=SYSTEM_EMAIL, password=None, first_name="Data bundle", last_name="import", is_active=False
    )


# --- the entry point ----------------------------------------------------------------------------------------------


def import_bundle(
    *,
    source: str | Path | IO[bytes],
    partnership_slug: str,
    create_name: str = "",
    dry_run: bool = False,
    actor: User | None = None,
    label: str = "",
    progress: Progress | None = None,
    today: dt.date | None = None,
    wait_for_writer: bool = True,
) -> ImportResult:
    """Import the bundle at ``source`` (a folder, a .zip path, or a .zip's bytes) into the partnership.

    ``actor`` is the member of staff importing (the upload page); None for the command,
    which records the import as the system's. Returns what was (or, for a dry run, would
    be) added, or every error found, in which case nothing was written.

    Only one import writes at a time (``_one_writer``): while another is writing, this one
    waits, or with ``wait_for_writer`` False raises ``WriterBusy`` having done nothing (the
    upload's job, which looks again later instead of spending its time limit waiting).
    """
    say = progress or (lambda _message: None)
    result = ImportResult(partnership_slug=partnership_slug, dry_run=dry_run)
    try:
        bundle = Bundle(source, label=label)
    except BundleUnreadable as exc:
        result.errors.append(BundleError(exc.file, 0, "-", exc.problem))
        return result
    try:
        with _cancelled_on_sigterm(), transaction.atomic():
            _lock(partnership_slug)
            if not dry_run:
                _one_writer(say, wait=wait_for_writer)
            _limit_statements()
            partnership = _partnership(partnership_slug, create_name, result)
            if partnership is None:
                raise _Refused
            # No pghistory.context here: its trigger upserts the one context row once per row
            # written, and hundreds of thousands of updates of one row in one transaction
            # slow every later one down. The history rows are still written; the access log
            # records the import, who ran it and every case it made.
            _run(bundle, partnership, actor, result, say, today or timezone.localdate())
            if dry_run:
                raise _Refused
            say("Committing")
        say("Committed")
    except _Refused:
        pass
    except WriteFailed as exc:
        result.errors = [exc.error]
    except DatabaseError as exc:
        # Outside the batched inserts (derived fields, history): no one row to point at.
        if _connection_lost(exc):
            raise
        result.errors = [BundleError(bundle.label, 0, "-", f"could not be saved ({_database_problem(exc)})")]
    finally:
        bundle.close()
    if result.errors:
        result.created.clear()
    if result.errors or dry_run:
        _log_comparison(result, actor)
    return result


def _log_comparison(result: ImportResult, actor: User | None) -> None:
    """The access log's record of a dry run or a refused import, written after the rollback.

    Nothing was written, but the held records the bundle names were read and compared with
    the upload: a look at personal data like any other.
    """
    outcome = {
        (True, False): "dry run",
        (True, True): "dry run (with errors)",
        (False, True): "refused import",
    }[(result.dry_run, bool(result.errors))]
    purpose = f"partnership data bundle {outcome} into {result.partnership_slug}: compared with the records held"
    for record_type, spool in result.compared.items():
        with spool:
            if spool.seek(0, io.SEEK_END):
                spool.seek(0)
                _access_record_of_ids(
                    spool=spool, user=actor, action=AccessAction.VIEW, record_type=record_type, purpose=purpose
                )
    result.compared.clear()


# The temporary table the ids an access log row names are gathered in, and what the row's
# ``record_ids`` are made of in its insert: each id once, in order, as text.
LOGGED_IDS = "exchange_logged_ids"
LOGGED_IDS_ARRAY = (
    f"SELECT coalesce(array_agg(id::text ORDER BY id), '{{}}') FROM (SELECT DISTINCT id FROM {LOGGED_IDS}) logged"  # noqa: S608
)


def _access_record_of_ids(*, rows: Iterable[tuple[int]] = (), spool: IO[bytes] | None = None, **entry: Any) -> None:
    """One access log row naming every id of ``rows`` (or of ``spool``, one a line), once each
    and in order. The ids go into a temporary table with ``COPY`` and the insert aggregates
    them (``record_ids`` is an expression): an import names every case it made, and a list
    of them as strings, built in the process, grew by some 80 bytes a case."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"CREATE TEMP TABLE {LOGGED_IDS} (id bigint) ON COMMIT DROP")
        if spool is not None:
            with cursor.cursor.copy(f"COPY {LOGGED_IDS} (id) FROM STDIN") as copy:
                while block := spool.read(1 << 16):
                    copy.write(block)
        else:
            copy_rows(LOGGED_IDS, "id", rows)
        access_record(record_ids=RawSQL(LOGGED_IDS_ARRAY, ()), **entry)  # noqa: S611 (constant SQL)
        # Dropped now, not at commit: a caller's transaction may log twice.
        cursor.execute(f"DROP TABLE {LOGGED_IDS}")


# The longest one statement of an import may take. Imports of 100,000 referrals take
# minutes in all, each statement seconds; a statement past this is a bad plan or a stuck
# lock, and holding the transaction open longer only holds back every other writer.
IMPORT_STATEMENT_TIMEOUT = "5min"
# How often a backend running a long statement checks that the worker is still connected:
# a worker killed mid-import has its transaction rolled back within seconds, not minutes.
IMPORT_CONNECTION_CHECK = "5s"


def _limit_statements() -> None:
    # SET LOCAL: for this transaction only; a pooled connection goes back unchanged.
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT set_config('statement_timeout', %s, true), "
            "set_config('client_connection_check_interval', %s, true)",
            [IMPORT_STATEMENT_TIMEOUT, IMPORT_CONNECTION_CHECK],
        )


class ImportInterrupted(SystemExit):
    """SIGTERM arrived during an import. A SystemExit, so that psycopg cancels the running
    statement at the server before the exception goes on (it does so for SystemExit and
    KeyboardInterrupt) and the transaction is rolled back; the process then exits as it
    was asked to, and the job, not acknowledged, is delivered again."""


@contextlib.contextmanager
def _cancelled_on_sigterm() -> Iterator[None]:
    if threading.current_thread() is not threading.main_thread():
        yield  # signal handlers can only be set in the main thread (a test's live server)
        return

    def stop(signum: int, _frame: FrameType | None) -> None:
        raise ImportInterrupted(128 + signum)

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _analyze(models: Iterable[type[Model]]) -> None:
    """Fresh statistics for the tables the import wrote, before it commits: otherwise the next
    import's lookups are planned for the tables as they were (a re-import straight after an
    import ran a nested loop for over ten minutes). ANALYZE inside the transaction counts its
    own uncommitted rows."""
    tables = sorted({model._meta.db_table for model in models})
    with connection.cursor() as cursor:
        # Only those this transaction wrote rows to: a bundle without cost files leaves the cost
        # tables (and their history) as they were, and an ANALYZE samples a table whatever its size.
        cursor.execute(
            "SELECT relname FROM pg_stat_xact_user_tables "
            "WHERE relname = ANY(%s) AND n_tup_ins + n_tup_upd + n_tup_del > 0",
            [tables],
        )
        written = sorted(row[0] for row in cursor.fetchall())
        for table in written:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(table)}")


def _lock(slug: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [f"masip-bundle:{slug}"])


class WriterBusy(Exception):
    """Another import is writing, and this one was asked not to wait (``wait_for_writer``)."""


def _one_writer(say: Progress, *, wait: bool) -> None:
    """One import that writes at a time in the whole service, whatever the partnership: each
    ANALYZEs the tables it wrote inside its transaction, which takes a lock on each table that
    another ANALYZE waits for until that transaction ends. Without this, an import into one
    partnership sat behind another partnership's, up to the statement timeout, and then failed.
    Taken before the statement timeout is set, so the wait is not limited by it; a dry run
    writes nothing and analyses nothing, and does not wait."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_xact_lock(hashtext(%s))", [IMPORT_WRITER_LOCK])
        if (cursor.fetchone() or (False,))[0]:
            return
        if not wait:
            raise WriterBusy
        say(WAITING_FOR_WRITER)
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [IMPORT_WRITER_LOCK])


IMPORT_WRITER_LOCK = "masip-bundle-writer"
# What an import waiting for another to finish writing says (the upload's job page shows it).
WAITING_FOR_WRITER = "Waiting for another import to finish"


def _partnership(slug: str, create_name: str, result: ImportResult) -> Partnership | None:
    from agencies.services import agency_create, partnership_create

    found = Partnership.objects.filter(slug=slug).first()
    if found is not None:
        return found
    if not create_name.strip():
        result.errors.append(
            BundleError("-", 0, "--partnership", f"no partnership '{slug}': give --create \"Name\" to create it")
        )
        return None
    if not re.fullmatch(r"[-a-z0-9_]{1,80}", slug):
        result.errors.append(
            BundleError("-", 0, "--partnership", "a new partnership's slug is lower-case letters, digits, - and _")
        )
        return None
    if Partnership.objects.filter(name=create_name.strip()).exists():
        result.errors.append(BundleError("-", 0, "--create", "another partnership already has this name"))
        return None
    partnership = partnership_create(name=create_name.strip(), slug=slug)
    for kind in AgencyKind:
        agency_create(partnership=partnership, name=kind.label, kind=kind, is_core=kind in CORE_KINDS)
    result.partnership_created = True
    return partnership


def _run(
    bundle: Bundle,
    partnership: Partnership,
    actor: User | None,
    result: ImportResult,
    say: Progress,
    today: dt.date,
) -> None:
    errors = ErrorList()
    say(f"Reading {bundle.label}")
    parsed = read_bundle(bundle, today=today, errors=errors)
    say("Checking against what the partnership holds")
    held = load_held(parsed, partnership)
    plan = check_references(parsed, held, errors)
    context = WriteContext.build(partnership, actor, plan, errors)
    costs = CostContext.build(partnership, plan, errors)
    result.already_held = plan.already_held
    if errors:
        result.errors = errors.ordered()
        _note_compared(result, held)
        raise _Refused
    result.created = Counter(
        {
            fmt.PEOPLE: len(plan.people),
            fmt.REFERRALS: len(plan.referrals),
            **{name: len(rows) for name, rows in plan.children.items()},
        }
    )
    if result.dry_run:
        _note_compared(result, held)
        return
    try:
        # A savepoint: should the write fail, what was compared can still be read for the log.
        with transaction.atomic():
            _write(plan, held, context, costs, result, say, label=bundle.label)
    except (WriteFailed, DatabaseError) as exc:
        if not _connection_lost(exc):
            _note_compared(result, held)
        raise


def _note_compared(result: ImportResult, held: Held) -> None:
    """The held records the bundle was compared with, for the access log of an import that
    writes nothing (``_log_comparison``): read only then, as the log lists every one of them."""
    result.compared = {"cases.case": held.case_ids.spool(), "cases.person": held.person_ids.spool()}


# --- what is held ----------------------------------------------------------------------------------------------------


def load_held(parsed: Parsed, partnership: Partnership) -> Held:
    """The partnership's records the bundle's refs name, as the export would write them.

    The held ids by ref go into two temporary tables of the import's transaction, made by
    joins of the refs the bundle names with the partnership's people and referrals, and are
    asked a batch of refs at a time (``HeldIds.of``): no dictionary of every ref."""
    pid = partnership.pk
    number = next(_held_tables)
    named_people, named_referrals = f"exchange_named_people_{number}", f"exchange_named_referrals_{number}"
    people_table, cases_table = f"exchange_held_people_{number}", f"exchange_held_cases_{number}"
    _named_refs(parsed, named_people, named_referrals)
    person, referral, case = (connection.ops.quote_name(m._meta.db_table) for m in (Person, Referral, Case))
    with connection.cursor() as cursor:
        # The tables' names are this module's own; values are parameters.
        for table in (people_table, cases_table):
            cursor.execute(f"CREATE TEMP TABLE {table} (ref text PRIMARY KEY, id bigint NOT NULL) ON COMMIT DROP")
        cursor.execute(
            f"INSERT INTO {people_table} (ref, id) SELECT p.ref, p.id FROM {named_people} n "  # noqa: S608
            f"JOIN {person} p ON p.partnership_id = %s AND p.ref = n.ref AND p.ref <> '' WHERE n.ref <> '' "
            "ON CONFLICT DO NOTHING",
            [pid],
        )
        # A person recorded without a ref is named by the export's made-up ref (MASIP-P000123).
        after = ""
        while True:
            cursor.execute(
                f"SELECT n.ref FROM {named_people} n WHERE n.ref LIKE 'MASIP-P%%' AND n.ref > %s "  # noqa: S608
                f"AND NOT EXISTS (SELECT 1 FROM {people_table} h WHERE h.ref = n.ref) ORDER BY n.ref LIMIT %s",
                [after, BATCH],
            )
            refs = [ref for (ref,) in cursor.fetchall()]
            if not refs:
                break
            after = refs[-1]
            by_pk = {pk: ref for ref in refs if (pk := person_pk_from_ref(ref))}
            found = Person.objects.filter(partnership_id=pid, ref="", pk__in=list(by_pk)).values_list("pk", flat=True)
            copy_rows(people_table, "ref, id", [(by_pk[pk], pk) for pk in found])
        # A person merged into another is that other person now (their parts moved with them);
        # a merge may be into a record that was itself merged later (A into B, then B into C),
        # so a chain is followed to its end, a link a statement.
        while True:
            cursor.execute(
                f"UPDATE {people_table} h SET id = p.merged_into_id FROM {person} p "  # noqa: S608
                "WHERE p.id = h.id AND p.partnership_id = %s AND p.merged_into_id IS NOT NULL",
                [pid],
            )
            if not cursor.rowcount:
                break
        cursor.execute(
            f"INSERT INTO {cases_table} (ref, id) SELECT r.ref, c.id FROM {named_referrals} n "  # noqa: S608
            f"JOIN {referral} r ON r.partnership_id = %s AND r.ref = n.ref JOIN {case} c ON c.referral_id = r.id "
            "ON CONFLICT DO NOTHING",
            [pid],
        )
        for table in (people_table, cases_table):
            cursor.execute(f"ANALYZE {table}")
    held = Held(person_ids=HeldIds(people_table), case_ids=HeldIds(cases_table))
    # Read by the comparison a batch of refs at a time (exchange.validation.check_references).
    builders: dict[str, Callable[..., Iterator[dict[str, str]]]] = {
        fmt.RISK: exporter.risk_rows,
        fmt.INTERVENTIONS: exporter.intervention_rows,
        fmt.REOFFENDING: exporter.reoffending_rows,
        fmt.VICTIM_OUTCOMES: exporter.victim_outcome_rows,
        fmt.TIME_ENTRIES: exporter.time_entry_rows,
        fmt.COST_ACCOUNTS: exporter.cost_account_rows,
        fmt.COST_LINES: exporter.cost_line_rows,
    }

    def rows_of(name: str, ids: list[int]) -> Iterator[dict[str, str]]:
        if name == fmt.PEOPLE:
            return exporter.people_rows(partnership_id=pid, person_ids=ids)
        if name == fmt.REFERRALS:
            return exporter.referral_rows(partnership_id=pid, case_ids=ids)
        return builders[name](partnership_id=pid, case_ids=ids)

    held.rows_of = rows_of
    costed: set[int] = set()
    for name in (fmt.COST_ACCOUNTS, fmt.COST_LINES):
        for chunk in iter_chunks(parsed.children.get(name, []), BATCH):
            costed.update(held.case_ids.of(r.referral_ref for r in chunk).values())
    if costed:
        for row in exporter.cost_account_rows(partnership_id=pid, case_ids=costed):
            held.account_status[row["referral_ref"]] = row["status"]
    return held


_held_tables = itertools.count(1)


def _named_refs(parsed: Parsed, people_table: str, referrals_table: str) -> None:
    """Every person ref and referral ref the bundle names, into two temporary tables (a ref
    may be there more than once): the people of people.csv and those referrals.csv names, the
    referrals of referrals.csv and those the child files name. Read a batch at a time."""
    with connection.cursor() as cursor:
        for table in (people_table, referrals_table):
            cursor.execute(f"CREATE TEMP TABLE {table} (ref text NOT NULL) ON COMMIT DROP")
    for chunk in iter_chunks(parsed.people.refs(), BATCH):
        copy_rows(people_table, "ref", ((ref,) for ref in chunk))
    for chunk in iter_chunks(parsed.referrals, BATCH):
        copy_rows(referrals_table, "ref", ((referral.ref,) for referral in chunk))
        copy_rows(
            people_table,
            "ref",
            ((r,) for referral in chunk for r in (referral.victim_ref, referral.perpetrator_ref) if r),
        )
    for rows in parsed.children.values():
        if isinstance(rows, StagedRows):
            rows.copy_refs_into(referrals_table)
        else:
            for chunk in iter_chunks(rows, BATCH):
                copy_rows(referrals_table, "ref", ((r.referral_ref,) for r in chunk if r.referral_ref))
    with connection.cursor() as cursor:
        for table in (people_table, referrals_table):
            cursor.execute(f"CREATE INDEX ON {table} (ref)")
            cursor.execute(f"ANALYZE {table}")


# --- writing ---------------------------------------------------------------------------------------------------------


@dataclass
class WriteContext:
    """What the writes need that depends on the partnership: its agencies, instrument versions and the actor."""

    partnership: Partnership
    actor: User
    staff: User | None
    share_groups: list[int]
    agency_for_type: dict[str, Agency]
    agency_for_instrument: dict[str, Agency]
    versions: dict[str, Any]
    bands: dict[str, list[Any]]
    level_item: dict[str, Any]
    srp_items: dict[str, Any]
    # The SRP version's domains that may be left not rated: a blank column (or a domain the
    # bundle has no column for, imminent serious violence) is stored as not rated.
    srp_not_rated: list[Any] = field(default_factory=list)

    @classmethod
    def build(cls, partnership: Partnership, actor: User | None, plan: Plan, errors: ErrorList) -> WriteContext:
        from interventions.permissions import DELIVERING_KINDS

        agencies = list(Agency.objects.filter(partnership=partnership).order_by("pk"))
        by_kind: dict[str, list[Agency]] = defaultdict(list)
        for agency in agencies:
            by_kind[agency.kind].append(agency)

        def first_of(kinds: Iterable[str]) -> Agency | None:
            for kind in kinds:
                if by_kind.get(kind):
                    return by_kind[kind][0]
            return None

        staff = actor if actor is not None and case_permissions.is_staff_member(actor) else None
        # Shared as intake shares a case (cases.services.default_share_group_ids).
        shares = default_share_group_ids(
            partnership_id=partnership.pk, recording_agency=staff.agency if staff is not None else None
        )
        if plan.referrals and not shares:
            errors.add("-", 0, "--partnership", "the partnership has no core agency to share the imported cases with")
        context = cls(
            partnership=partnership,
            actor=actor or system_actor(),
            staff=staff,
            share_groups=shares,
            agency_for_type={},
            agency_for_instrument={},
            versions={},
            bands={},
            level_item={},
            srp_items={},
        )
        preference = (AgencyKind.HEALTH, AgencyKind.ADVOCACY, AgencyKind.POLICE, AgencyKind.PROBATION)
        for row in plan.children.get(fmt.INTERVENTIONS, []):
            kind = row.values["type"]
            if kind in context.agency_for_type:
                continue
            deliverer = first_of(k for k in preference if k in DELIVERING_KINDS.get(kind, ())) or first_of(preference)
            if deliverer is None:
                errors.add(fmt.INTERVENTIONS, row.line, "type", "the partnership has no agency to deliver it")
                continue
            context.agency_for_type[kind] = deliverer
        for row in plan.children.get(fmt.RISK, []):
            instrument = row.values["instrument"]
            if instrument not in context.versions:
                context._instrument(
                    instrument, row, errors, first_of(ASSESSING_KINDS[instrument]) or first_of(preference)
                )
            context._check_levels(row, errors)
        return context

    def _instrument(self, key: str, row: ChildRow, errors: ErrorList, agency: Agency | None) -> None:
        from risk import selectors
        from risk.models import Response
        from risk.services import instruments_ensure_shipped

        version = selectors.current_version_for(instrument_key=key, partnership_id=self.partnership.pk)
        if version is None and instruments_ensure_shipped():
            version = selectors.current_version_for(instrument_key=key, partnership_id=self.partnership.pk)
        self.versions[key] = version
        if version is None:
            errors.add(fmt.RISK, row.line, "instrument", f"the service has no {key.upper()} instrument")
            return
        if agency is None:
            errors.add(fmt.RISK, row.line, "instrument", "the partnership has no agency to hold the assessment")
            return
        self.agency_for_instrument[key] = agency
        settings = selectors.risk_settings_for(partnership_id=self.partnership.pk)
        self.bands[key] = selectors.bands_for(version, settings)
        items = selectors.version_items(version)
        if key == "sash":
            level = next((i for i in items if i.response == Response.LEVEL), None)
            if level is None:
                errors.add(fmt.RISK, row.line, "sash_concern", "the partnership's SASH version has no level of concern")
            self.level_item[key] = level
        elif key == "srp":
            by_key = {i.key: i for i in items}
            for column, item_key in SRP_ITEMS.items():
                if item_key not in by_key:
                    errors.add(fmt.RISK, row.line, column, f"the partnership's SRP version has no item {item_key}")
                self.srp_items[column] = by_key.get(item_key)
            self.srp_not_rated = [i for i in items if i.allows_not_rated]

    def _check_levels(self, row: ChildRow, errors: ErrorList) -> None:
        key = row.values["instrument"]
        bands = {b.key for b in self.bands.get(key, [])}
        if not bands:
            return
        columns = ("sash_concern",) if key == "sash" else fmt.SRP_COLUMNS if key == "srp" else ()
        for column in columns:
            value = row.values[column]
            if value and value != "not_completed" and value not in bands:
                errors.add(fmt.RISK, row.line, column, f"'{value}' is not a level of the partnership's {key.upper()}")


class WriteFailed(Exception):
    """The database refused a row while writing: reported as ``file:line`` like any other error."""

    def __init__(self, file: str, first_line: int, last_line: int, problem: str) -> None:
        super().__init__(f"{file}:{first_line}: {problem}")
        self.error = BundleError(
            file,
            first_line,
            "-",
            f"could not be saved ({problem})"
            + (f"; the row is one of lines {first_line} to {last_line}" if last_line > first_line else ""),
        )


def _connection_lost(exc: BaseException) -> bool:
    """The database went away (the job is retried), as opposed to refusing what was sent."""
    return isinstance(exc, OperationalError | InterfaceError) and not isinstance(exc.__cause__, QueryCanceled)


def _database_problem(exc: BaseException) -> str:
    # The first line only: PostgreSQL's DETAIL line repeats the row's values.
    cause = exc.__cause__ or exc
    if isinstance(cause, QueryCanceled):
        return f"a step took longer than {IMPORT_STATEMENT_TIMEOUT} and was stopped"
    first = (str(cause).strip().splitlines() or [type(cause).__name__])[0]
    return first[:200]


def _bulk(
    model: type[Model],
    objects: Iterable[Model],
    say: Progress,
    label: str,
    history: BulkHistory | None = None,
    *,
    file: str,
    lines: Iterable[int] = (),
    total: int | None = None,
    answer_ids: bool = False,
) -> array[int]:
    """Insert in batches with ``COPY``; answers the new rows' ids, in order. ``objects`` may be
    a generator: then only one batch of model instances exists at a time (a 100,000-referral
    import built every table's instances up front, and peaked at 1.3 GB). ``total`` is how
    many it yields, for the progress lines. ``lines`` (one per object, where each comes from
    one row of ``file``) lets a row the database refuses be reported by its line, not as a
    traceback. ``lines`` may be a generator too: it is read a batch at a time, alongside the
    objects. The new rows' ids are answered only when ``answer_ids`` (the history keeps its
    own account of them).

    Each batch's ids are taken from the table's own sequence first, then the rows go in with
    one ``COPY`` (exchange.copy): the same rows, defaults and triggers as ``bulk_create``,
    without building and parsing an ``INSERT`` of 5,000 rows of parameters."""
    count = total if total is not None else len(objects) if isinstance(objects, Sized) else 0
    # Eight bytes an id, not a list of int objects (some 40 bytes each): a 100,000-referral
    # import keeps its new referrals' and cases' ids to the end of the write.
    ids = array("q")
    done = 0
    line_chunks = iter(iter_chunks(lines, BATCH))
    for chunk in iter_chunks(objects, BATCH):
        span: Sequence[int] = next(line_chunks, [])
        try:
            # A savepoint, so that a refused row leaves the transaction usable for what unwinds
            # it (pgtrigger's ignore resets its setting on the way out).
            with transaction.atomic():
                copy_objects(model, chunk)
        except CopyRefused as exc:
            if span and exc.row is not None and 0 <= exc.row < len(span):
                raise WriteFailed(file, span[exc.row], span[exc.row], exc.problem) from exc
            raise WriteFailed(file, min(span, default=0), max(span, default=0), exc.problem) from exc
        except DatabaseError as exc:
            if _connection_lost(exc):
                raise
            raise WriteFailed(file, min(span, default=0), max(span, default=0), _database_problem(exc)) from exc
        done += len(chunk)
        if answer_ids:
            ids.extend(obj.pk for obj in chunk)
        if history is not None:
            history.add_ids(model, (obj.pk for obj in chunk))
        if count > BATCH:
            say(f"  {label}: {done:,} of {count:,}")
    say(f"{label}: {done:,} written")
    return ids


def _history_models() -> list[type[Model]]:
    from advocacy.models import VictimOutcome
    from costs.models import CostAccount, CostLine, ScenarioItem, TimeEntry
    from interventions.models import Intervention
    from risk.models import Answer, Assessment

    return [
        Person,
        Referral,
        Case,
        Assessment,
        Answer,
        Intervention,
        ReoffendingRecord,
        VictimOutcome,
        TimeEntry,
        CostAccount,
        CostLine,
        ScenarioItem,
    ]


def _write(
    plan: Plan, held: Held, ctx: WriteContext, costs: CostContext, result: ImportResult, say: Progress, *, label: str
) -> None:
    """Every new row, then the derived fields; history written set-based (exchange.history)."""
    partnership = ctx.partnership
    history = BulkHistory(_history_models())
    # A savepoint inside: a statement that fails (the statement timeout, say) is rolled back
    # before pgtrigger resets its setting on the way out, so the import reports that
    # statement's own error, not "current transaction is aborted" from the reset.
    with history.triggers_skipped(), transaction.atomic():
        written = _write_new_rows(plan, held, ctx, say, history)
        written.added_to_held.update(_write_costs(plan, held, ctx, costs, say, history))
        # The new cases' due dates (their current assessments and risk were set as they were
        # written): their rows are new, so their history is written below, as committed.
        # Those that gained assessments or interventions, asked of the database a batch at a
        # time (a new case's are all this import's), and recomputed a batch at a time.
        said = False
        for chunk in iter_chunks(written.new_case_ids, BATCH):
            touched = _cases_with_assessments_or_interventions(chunk)
            if touched:
                if not said:
                    say("Due dates of the new cases")
                    said = True
                # One set-based recompute a batch, while the history triggers are still off.
                with next_due_scope():
                    next_due_changed(case_ids=touched)
    say("History of the new records")
    events = history.write(
        metadata={
            "operation": "import_bundle",
            "bundle": label,
            "partnership": partnership.slug,
            "user": ctx.staff.pk if ctx.staff is not None else None,
        }
    )
    say(f"history: {events:,} events written")
    # Cases held before the import: their changes go through the history triggers as usual.
    if written.held_touched:
        say("Current assessments, risk and due dates of cases already held")
        assessments_refresh_current(case_ids=sorted(written.held_risk))
        with next_due_scope():
            next_due_changed(case_ids=sorted(written.held_touched))
    say("Statistics of the tables written")
    _analyze(
        [*_history_models(), *history.event_models(), CrimeReference, CaseParty, CaseGroupObjectPermission, CaseEvent]
    )
    say("Access log")
    parts = ", ".join(f"{result.created[name]:,} {name}" for name in fmt.ALL_FILES if result.created[name])
    _access_record_of_ids(
        rows=((pk,) for pk in itertools.chain(written.new_case_ids, written.added_to_held)),
        user=ctx.staff,
        action=AccessAction.CREATE,
        record_type="cases.case",
        purpose=f"partnership data bundle import into {partnership.slug} ({label}): {parts or 'nothing new'}",
    )


@dataclass
class Written:
    new_case_ids: array[int]
    added_to_held: Counter[int]  # case held before the import -> how many records it gained
    held_risk: set[int]  # the cases held before the import that gained assessments
    held_touched: set[int]  # ... that gained assessments or interventions


def _person_ids(partnership_id: int, refs: set[str], held: Held) -> dict[str, int]:
    """The ids of the people these refs name: held before the import, or written by it."""
    found = held.person_ids.of(refs)
    rest = [ref for ref in refs if ref and ref not in found]
    if rest:
        found.update(Person.objects.filter(partnership_id=partnership_id, ref__in=rest).values_list("ref", "pk"))
    return found


def _cases_with_assessments_or_interventions(case_ids: Sequence[int]) -> list[int]:
    from interventions.models import Intervention
    from risk.models import Assessment

    assessed = Assessment.objects.filter(case_id__in=case_ids).values_list("case_id", flat=True)
    intervened = Intervention.objects.filter(case_id__in=case_ids).values_list("case_id", flat=True)
    return sorted(assessed.union(intervened))


def _write_new_rows(plan: Plan, held: Held, ctx: WriteContext, say: Progress, history: BulkHistory) -> Written:
    """Insert everything the plan adds. Answers the new cases' ids, and how many records were
    added to each case already held."""
    partnership = ctx.partnership
    now = timezone.now()
    people = (_person(partnership.pk, row) for row in plan.people)
    _bulk(Person, people, say, "people", history, file=fmt.PEOPLE, lines=plan.people.lines(), total=len(plan.people))

    referrals = (
        Referral(
            partnership_id=partnership.pk,
            ref=row.ref,
            received_on=row.received_on,
            referring_agency_kind=row.referring_agency,
            offence=row.offence,
            referral_reason=row.referral_reason,
            relationship=row.relationship,
            created_by=ctx.staff,
        )
        for row in plan.referrals
    )
    referral_pks = _bulk(Referral, referrals, say, "referrals", history, file=fmt.REFERRALS,
                         lines=plan.referrals.lines(), total=len(plan.referrals), answer_ids=True)  # fmt: skip
    crime = (
        CrimeReference(referral_id=referral_id, reference=reference)
        for row, referral_id in zip(plan.referrals, referral_pks, strict=True)
        for reference in row.crime_references
    )
    _bulk(
        CrimeReference,
        crime,
        say,
        "crime references",
        file=fmt.REFERRALS,
        lines=(row.line for row in plan.referrals for _ in row.crime_references),
        total=sum(len(row.crime_references) for row in plan.referrals),
    )
    risk = plan.children.get(fmt.RISK, [])

    def cases() -> Iterator[Case]:
        # Each new case's current risk, before its row is written: the rule is per case, so it
        # is worked out from the assessments of a batch of whole referrals, the batch's own.
        for chunk in iter_chunks(zip(plan.referrals, referral_pks, strict=True), BATCH):
            refs = [row.ref for row, _ in chunk]
            current_risk = _current_of_new_cases(_risk_results(list(rows_of_referrals(risk, refs)), ctx), set(refs))
            for row, referral_id in chunk:
                yield Case(
                    partnership_id=partnership.pk,
                    referral_id=referral_id,
                    received_on=row.received_on,
                    status=status_for_decision(row.decision, closed=bool(row.closed_on)),
                    decision=row.decision,
                    decided_on=row.decided_on,
                    tier=row.tier,
                    heard_at_clinic=bool(row.heard_at_clinic),
                    stalker_type=row.stalker_type,
                    closed_on=row.closed_on,
                    current_risk=current_risk.get(row.ref, ""),
                    mental_health_services=row.mental_health_services,
                    probation_involved=row.probation_involved,
                    mappa=row.mappa,
                    antisocial_lifestyle=row.antisocial_lifestyle,
                )

    new_case_ids = _bulk(Case, cases(), say, "cases", history, file=fmt.REFERRALS, lines=plan.referrals.lines(),
                         total=len(plan.referrals), answer_ids=True)  # fmt: skip
    # Every referral the child rows name is now written: they are read back with its case id,
    # by a join with the partnership's referrals. Planned on statistics from before this
    # transaction, a new partnership has no referrals at all: in a service holding a few dozen
    # partnerships the planner expects one row, loops over all of them for every child row, and
    # each batch read back took 6 to 10 s at 30,000 referrals (over 250 s an import). ANALYZE
    # inside the transaction counts its own rows.
    _analyze([Referral, Case])
    for rows in plan.children.values():
        if isinstance(rows, StagedRows):
            rows.resolve_cases(partnership.pk)

    def parties() -> Iterator[CaseParty]:
        # The people's ids a batch of referrals at a time: those held, and those just written.
        for chunk in iter_chunks(zip(plan.referrals, new_case_ids, strict=True), BATCH):
            named = {r for row, _ in chunk for r in (row.victim_ref, row.perpetrator_ref)}
            person_ids = _person_ids(partnership.pk, named, held)
            for row, case_id in chunk:
                for role in (PartyRole.VICTIM, PartyRole.PERPETRATOR):
                    yield CaseParty(
                        case_id=case_id, person_id=person_ids[getattr(row, f"{role}_ref")], role=role, is_primary=True
                    )

    _bulk(CaseParty, parties(), say, "case parties", file=fmt.REFERRALS,
          lines=(x for x in plan.referrals.lines() for _ in (1, 2)), total=2 * len(plan.referrals))  # fmt: skip
    shared = sum(
        cases_share_by_default(
            case_ids=chunk,
            partnership_id=partnership.pk,
            recording_agency=ctx.staff.agency if ctx.staff is not None else None,
        )
        for chunk in iter_chunks(new_case_ids, BATCH)
    )
    say(f"shares with agencies: {shared:,} written")

    if risk:
        _write_risk(risk, held, ctx, now, say, history)
    interventions = plan.children.get(fmt.INTERVENTIONS, [])
    if interventions:
        _write_interventions(interventions, ctx, say, history)
    reoffending = plan.children.get(fmt.REOFFENDING, [])
    _bulk(
        ReoffendingRecord,
        (
            ReoffendingRecord(
                case_id=r.case_id,
                occurred_on=r.values["occurred_on"],
                kind=r.values["kind"],
                victim=r.values["victim"],
                source=r.values["source"],
                offence=r.values["offence"],
                crime_reference=normalise_crime_reference(r.values["crime_reference"] or ""),
                recorded_by=ctx.actor,
            )
            for r in reoffending
        ),
        say,
        "re-offending",
        history,
        file=fmt.REOFFENDING,
        lines=(r.line for r in reoffending),
        total=len(reoffending),
    )
    outcomes = plan.children.get(fmt.VICTIM_OUTCOMES, [])
    if outcomes:
        _write_victim_outcomes(outcomes, ctx, say, history)
    # The cases held before the import that gained records: what the import adds to them.
    added_to_held: Counter[int] = Counter()
    held_risk: set[int] = set()
    held_touched: set[int] = set()
    for name, rows in ((fmt.RISK, risk), (fmt.INTERVENTIONS, interventions), (fmt.REOFFENDING, reoffending),
                       (fmt.VICTIM_OUTCOMES, outcomes)):  # fmt: skip
        for chunk in iter_chunks(rows, BATCH):
            case_ids = held.case_ids.of(r.referral_ref for r in chunk)
            for r in chunk:
                if r.referral_ref in case_ids:
                    added_to_held[case_ids[r.referral_ref]] += 1
                    if name == fmt.RISK:
                        held_risk.add(case_ids[r.referral_ref])
                    if name in (fmt.RISK, fmt.INTERVENTIONS):
                        held_touched.add(case_ids[r.referral_ref])
    agency = ctx.staff.agency if ctx.staff is not None else None
    referrer = dict(ReferringAgency.choices)
    referred = (
        CaseEvent(
            case_id=case_id,
            actor=ctx.actor,
            agency=agency,
            kind=EventKind.REFERRED,
            summary=f"Referral {row.ref} received from {referrer[row.referring_agency]}; "
            f"imported from a partnership data bundle"[:300],
        )
        for row, case_id in zip(plan.referrals, new_case_ids, strict=True)
    )
    imported = (
        CaseEvent(
            case_id=case_id,
            actor=ctx.actor,
            agency=agency,
            kind=EventKind.IMPORTED,  # not a new referral: the case was already held
            summary=f"{count} record{'s' if count != 1 else ''} added from a partnership data bundle",
        )
        for case_id, count in sorted(added_to_held.items())
    )
    _bulk(CaseEvent, itertools.chain(referred, imported), say, "timeline entries", file=fmt.REFERRALS,
          total=len(plan.referrals) + len(added_to_held))  # fmt: skip
    return Written(new_case_ids, added_to_held, held_risk, held_touched)


def _write_victim_outcomes(rows: list[ChildRow], ctx: WriteContext, say: Progress, history: BulkHistory) -> None:
    """victim_outcomes.csv (version 2): each row is the answers of the case's primary victim, as
    the export writes them; stage "imported"."""
    from advocacy.models import OutcomeStage, VictimOutcome

    wanted = sorted({r.case_id for r in rows})
    victim_of: dict[int, int] = {}
    for chunk in iter_chunks(wanted, BATCH):
        victim_of.update(
            CaseParty.objects.filter(case_id__in=chunk, role=PartyRole.VICTIM, is_primary=True).values_list(
                "case_id", "person_id"
            )
        )
    _bulk(
        VictimOutcome,
        [
            VictimOutcome(
                case_id=r.case_id,
                person_id=victim_of[r.case_id],
                recorded_on=r.values["recorded_on"],
                stage=OutcomeStage.IMPORTED,
                feels_safe=r.values["feels_safe"],
                wellbeing=r.values["wellbeing"],
                incidents_last_month=r.values["incidents_last_month"],
                recorded_by=ctx.actor,
            )
            for r in rows
        ],
        say,
        "victim outcomes",
        history,
        file=fmt.VICTIM_OUTCOMES,
        lines=[r.line for r in rows],
    )


def _person(partnership_id: int, row: PersonRow) -> Person:
    return Person(
        partnership_id=partnership_id,
        ref=row.ref,
        given_name=row.given_name,
        family_name=row.family_name,
        name_normalised=normalise_name(row.given_name, row.family_name),
        date_of_birth=row.date_of_birth,
        # As intake records it: a band only when there is no date of birth.
        age_band="" if row.date_of_birth else row.age_band,
        gender=row.gender or "unknown",
        pnc_id=row.pnc_id or "",
        nhs_number=row.nhs_number or "",
    )


@dataclass
class RiskResult:
    """One row of risk_assessments.csv, scored as the risk app scores it."""

    row: ChildRow
    instrument: str
    score: int | None
    band: str
    overall: str
    answers: list[tuple[Any, str]]  # (item, value)
    is_current: bool = False


def _risk_results(rows: list[ChildRow], ctx: WriteContext) -> list[RiskResult]:
    from risk import scoring

    results = []
    for r in rows:
        key, v = r.values["instrument"], r.values
        bands = ctx.bands[key]
        score: int | None = None
        answers: list[tuple[Any, str]] = []
        if key == "sash":
            band = v["sash_concern"] if v["sash_concern"] not in ("", "not_completed") else ""
            if band:
                answers.append((ctx.level_item["sash"], band))
        elif key == "dash":
            score = v["dash_yes_count"]
            found = scoring.band_for(score, bands) if score is not None else None
            band = found.key if found else ""
        else:
            judged = {column: v[column] for column in fmt.SRP_COLUMNS if v[column]}
            answers += [(ctx.srp_items[column], value) for column, value in judged.items()]
            given = {ctx.srp_items[column].pk for column in judged}
            answers += [(item, scoring.NOT_RATED) for item in ctx.srp_not_rated if item.pk not in given]
            # The overall level is the highest of the scored domains (violence, persistence, recurrence).
            scored = [c for c in fmt.SRP_COLUMNS if ctx.srp_items[c] is not None and ctx.srp_items[c].scored]
            band = scoring.highest_level(bands, [judged.get(c, "") for c in scored])
        results.append(RiskResult(r, key, score, band, scoring.overall_for(bands, band), answers))
    return results


def _current_of_new_cases(results: list[RiskResult], new_refs: Container[str]) -> dict[str, str]:
    """Mark each new case's current assessments before they are written, by the risk app's rule
    (``risk.services.assessments_current_at_insert``; the lines are in the order they are
    completed), and answer each new case's current risk. Cases held before the import are
    brought up to date after the write by ``risk.services.assessments_refresh_current``."""
    fresh = [result for result in results if result.row.referral_ref in new_refs]
    current, risk = assessments_current_at_insert(
        [NewAssessment(r.row.referral_ref, r.instrument, r.row.values["assessed_on"], r.overall) for r in fresh]
    )
    for position in current:
        fresh[position].is_current = True
    return {str(ref): overall for ref, overall in risk.items()}


def _write_risk(
    rows: Iterable[ChildRow],
    held: Held,
    ctx: WriteContext,
    now: dt.datetime,
    say: Progress,
    history: BulkHistory,
) -> None:
    """The assessments and their answers, a batch of whole referrals at a time: each batch is
    scored and its new cases' current assessments marked (a per-case rule), then written."""
    from risk.models import Answer, Assessment, Status

    # What each instrument's assessments were scored with: one object per instrument, which
    # every row shares (and exchange.copy serialises once), not a new one per row.
    scored_with = {
        key: {"bands": [b.as_data() for b in bands], "source": "partnership data bundle"}
        for key, bands in ctx.bands.items()
    }

    def assessment(result: RiskResult) -> Assessment:
        version = ctx.versions[result.instrument]
        assessed_on = result.row.values["assessed_on"]
        return Assessment(
            case_id=result.row.case_id,
            instrument_id=version.instrument_id,
            version=version,
            status=Status.COMPLETED,
            assessed_on=assessed_on,
            score=result.score,
            band=result.band,
            level=result.band,
            overall=result.overall,
            scored_with=scored_with[result.instrument],
            review_due_on=(
                assessed_on + relativedelta(months=version.review_after_months) if version.review_after_months else None
            ),
            is_current=result.is_current,
            created_by=ctx.actor,
            agency=ctx.agency_for_instrument[result.instrument],
            completed_by=ctx.actor,
            completed_at=now,
        )

    total = len(rows) if isinstance(rows, Sized) else 0
    written = answered = 0
    for batch in referral_batches(rows):
        results = _risk_results(batch, ctx)
        held_refs = held.case_ids.of(result.row.referral_ref for result in results)
        _current_of_new_cases(results, {r.row.referral_ref for r in results if r.row.referral_ref not in held_refs})
        assessment_ids = _bulk(Assessment, [assessment(r) for r in results], _quiet, "risk assessments", history,
                               file=fmt.RISK, lines=[r.row.line for r in results], answer_ids=True)  # fmt: skip
        lines = [result.row.line for result in results for _ in result.answers]
        _bulk(
            Answer,
            [
                Answer(assessment_id=assessment_id, item=item, value=value)
                for result, assessment_id in zip(results, assessment_ids, strict=True)
                for item, value in result.answers
            ],
            _quiet,
            "risk answers",
            history,
            file=fmt.RISK,
            lines=lines,
        )
        written += len(results)
        answered += len(lines)
        if total > BATCH:
            say(f"  risk assessments: {written:,} of {total:,}")
    say(f"risk assessments: {written:,} written")
    say(f"risk answers: {answered:,} written")


def _quiet(_message: str) -> None:
    """The progress of a batch written as part of a larger whole, which says its own."""


def _write_interventions(rows: list[ChildRow], ctx: WriteContext, say: Progress, history: BulkHistory) -> None:
    from interventions.models import Intervention

    _bulk(
        Intervention,
        (
            Intervention(
                case_id=r.case_id,
                type=r.values["type"],
                agency=ctx.agency_for_type[r.values["type"]],
                status=r.values["status"],
                started_on=r.values["started_on"],
                ended_on=r.values["ended_on"],
                ending=r.values.get("ending") or "",
                sessions_planned=r.values["sessions_planned"],
                sessions_attended=r.values["sessions_attended"],
                recorded_by=ctx.actor,
            )
            for r in rows
        ),
        say,
        "interventions",
        history,
        file=fmt.INTERVENTIONS,
        lines=[r.line for r in rows],
        total=len(rows),
    )


# --- the optional cost files ------------------------------------------------------------------------------------------


@dataclass
class CostContext:
    """What the cost rows need from the partnership: an agency of each kind, its rate cards by
    financial year, and the catalogue's entries by key."""

    agency_for_kind: dict[str, int] = field(default_factory=dict)
    rate_cards: dict[int, int] = field(default_factory=dict)
    unit_costs: dict[str, int] = field(default_factory=dict)

    @classmethod
    def build(cls, partnership: Partnership, plan: Plan, errors: ErrorList) -> CostContext:
        from costs.models import RateCard, UnitCost

        context = cls()
        entries = plan.children.get(fmt.TIME_ENTRIES, [])
        accounts = plan.children.get(fmt.COST_ACCOUNTS, [])
        lines = plan.children.get(fmt.COST_LINES, [])
        if not (entries or accounts or lines):
            return context
        # The first agency of each kind (by id), as the other files' records are held.
        for agency_id, kind in Agency.objects.filter(partnership=partnership).order_by("-pk").values_list("pk", "kind"):
            context.agency_for_kind[kind] = agency_id
        for row in entries:
            kind = row.values["agency_kind"]
            if kind and kind not in context.agency_for_kind:
                errors.add(fmt.TIME_ENTRIES, row.line, "agency_kind", f"the partnership has no {kind} agency")
        # Rates are the partnership's own data, entered on its Rates page, not carried by the
        # bundle: an account is costed with the partnership's rate card of its year.
        context.rate_cards = dict(RateCard.objects.filter(partnership=partnership).values_list("financial_year", "pk"))
        for row in accounts:
            year = row.values["financial_year"]
            if isinstance(year, int) and year not in context.rate_cards:
                errors.add(
                    fmt.COST_ACCOUNTS,
                    row.line,
                    "financial_year",
                    f"the partnership has no rate card for {year}/{(year + 1) % 100:02d}: enter its rates first",
                )
        keys = {r.values["unit_cost"] for r in lines if r.values["unit_cost"]}
        if keys:
            # The partnership's own entry of a key replaces the shipped one (docs/costs.md).
            for key, pk, own in (
                UnitCost.objects.filter(key__in=keys)
                .filter(Q(partnership=partnership) | Q(partnership__isnull=True))
                .order_by("partnership_id")
                .values_list("key", "pk", "partnership_id")
            ):
                if own is not None or key not in context.unit_costs:
                    context.unit_costs[key] = pk
        return context


def _finished_at(day: dt.date | None) -> dt.datetime | None:
    # The bundle keeps the day an account was finished; midday, so the local date is that day.
    return timezone.make_aware(dt.datetime.combine(day, dt.time(12))) if day else None


def _write_costs(
    plan: Plan,
    held: Held,
    ctx: WriteContext,
    costs: CostContext,
    say: Progress,
    history: BulkHistory,
) -> Counter[int]:
    """Time entries, cost accounts and their lines and scenario items. Answers how many records
    were added to each case already held (for its timeline)."""
    from costs.models import CostAccount, CostLine, Scenario, ScenarioItem, TimeEntry

    partnership_id = ctx.partnership.pk
    entries = plan.children.get(fmt.TIME_ENTRIES, [])
    _bulk(
        TimeEntry,
        [
            TimeEntry(
                partnership_id=partnership_id,
                case_id=r.case_id,
                activity_kind=r.values["activity_kind"],
                cost_category=r.values["cost_category"],
                occurred_on=r.values["occurred_on"],
                agency_id=costs.agency_for_kind.get(r.values["agency_kind"]),
                role=r.values["role"],
                imported_staff_time=r.values["staff"] == "yes",
                minutes=r.values["minutes"],
                recorded_by=ctx.actor,
            )
            for r in entries
        ],
        say,
        "time entries",
        history,
        file=fmt.TIME_ENTRIES,
        lines=[r.line for r in entries],
    )
    accounts = plan.children.get(fmt.COST_ACCOUNTS, [])
    account_objects = [
        CostAccount(
            case_id=r.case_id,
            partnership_id=partnership_id,
            rate_card_id=costs.rate_cards[r.values["financial_year"]],
            status=r.values["status"],
            period_months=r.values["period_months"] or 6,
            infrastructure=r.values["infrastructure"],
            created_by=ctx.actor,
            finished_by=ctx.actor if r.values["status"] == "finished" else None,
            finished_at=_finished_at(r.values["finished_on"]),
        )
        for r in accounts
    ]
    _bulk(CostAccount, account_objects, say, "cost accounts", history, file=fmt.COST_ACCOUNTS,
          lines=[r.line for r in accounts])  # fmt: skip
    # Every account has its two scenarios, as one opened in the service has.
    scenarios = [Scenario(account_id=a.pk, kind=kind) for a in account_objects for kind in ("best", "worst")]
    _bulk(Scenario, scenarios, say, "scenarios", file=fmt.COST_ACCOUNTS)
    account_of = {r.referral_ref: a.pk for r, a in zip(accounts, account_objects, strict=True)}
    lines = plan.children.get(fmt.COST_LINES, [])
    if lines:
        held_accounts = {r.case_id for r in lines if r.referral_ref not in account_of}
        for ref, pk in CostAccount.objects.filter(case_id__in=held_accounts).values_list("case__referral__ref", "pk"):
            account_of[ref] = pk
        scenario_of = {
            (account_id, kind): pk
            for account_id, kind, pk in Scenario.objects.filter(account_id__in=set(account_of.values())).values_list(
                "account_id", "kind", "pk"
            )
        }
        finished = {r.referral_ref for r in accounts if r.values["status"] == "finished"}
        happened = [r for r in lines if r.values["part"] == "happened"]
        avoided = [r for r in lines if r.values["part"] != "happened"]

        def figures(r: ChildRow) -> dict[str, Any]:
            v = r.values
            return {
                "bearer": v["bearer"],
                "kind": v["kind"],
                # Left out of a pseudonymised export: the unit cost's or category's name instead.
                "label": v["label"] or v["unit_cost"] or v["category"] or v["kind"],
                "unit_cost_id": costs.unit_costs.get(v["unit_cost"]),
                "quantity": v["quantity"],
                "unit_amount": v["unit_amount"],
                "qaly_loss": v["qaly_loss"],
                "value_of_year": v["value_of_year"],
                "amount": v["amount"],
                "source": v["source"],
            }

        _bulk(
            CostLine,
            [
                CostLine(
                    account_id=account_of[r.referral_ref],
                    category=r.values["category"],
                    role=r.values["role"],
                    hours=r.values["hours"],
                    hourly_rate=r.values["hourly_rate"],
                    # A finished account's staff time is the copy made when it was finished.
                    frozen=r.values["kind"] == "staff_time" and r.referral_ref in finished,
                    **figures(r),
                )
                for r in happened
            ],
            say,
            "cost lines",
            history,
            file=fmt.COST_LINES,
            lines=[r.line for r in happened],
        )
        _bulk(
            ScenarioItem,
            [
                ScenarioItem(scenario_id=scenario_of[(account_of[r.referral_ref], r.values["part"])], **figures(r))
                for r in avoided
            ],
            say,
            "scenario items",
            history,
            file=fmt.COST_LINES,
            lines=[r.line for r in avoided],
        )
    added: Counter[int] = Counter()
    for name in fmt.COST_FILES:
        for chunk in iter_chunks(plan.children.get(name, []), BATCH):
            case_ids = held.case_ids.of(r.referral_ref for r in chunk)
            for r in chunk:
                if r.referral_ref in case_ids:
                    added[case_ids[r.referral_ref]] += 1
    return added
