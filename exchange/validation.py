"""Validating a bundle: every cell, every row's own rules, references between files, and what
the partnership already holds. Nothing here writes to the service's tables: the child
files' rows wait for the write in temporary tables of the import's transaction (StagedRows).

Every problem found is kept (the import prints them all, as ``file:line: column: problem``);
a bad cell does not stop the row, a bad row does not stop the file, a bad file does not stop
the bundle. Only a header without its required columns makes the rows of that file
unreadable, and then its rows are not checked (their errors would all be the same one).

Matching what is held (the refs are the natural keys):
- people and referrals by their ref. A ref already held is not imported again; a value
  in the bundle that contradicts the held record is an error (an import adds records, it
  never changes them: corrections are made in the service, where they have a history
  and a reason). An empty cell is "not known" and contradicts nothing.
- rows of risk_assessments.csv, interventions.csv and reoffending.csv have no ref: a row
  identical to one held for the same referral is the same record, and only rows not
  held are added. A row that shares its key (referral and instrument and date;
  referral and type and start; referral and date) with a held record but differs from
  it is an error, for the same reason.
"""

from __future__ import annotations

import datetime as dt
import itertools
import pickle
import re
import tempfile
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import IO, Any

from django.db import connection

from cases.identifiers import normalise_crime_reference, normalise_identifier, valid_nhs_number, valid_pnc_id
from cases.models import Case, Referral
from exchange import format as fmt
from exchange.reader import Bundle, CsvProblem
from interventions.models import DIRECT, OPEN_STATUSES
from interventions.rules import STATUS_FOR_ENDING


class _Invalid:
    """A cell that failed its own check: rules that depend on it are not applied."""

    def __repr__(self) -> str:
        return "INVALID"

    def __bool__(self) -> bool:
        return False

    def __reduce__(self) -> str:
        # The one instance, when a staged row is read back: rules test it by identity.
        return "INVALID"


INVALID: Any = _Invalid()

DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}")
INT_RE = re.compile(r"\d{1,5}")
DECIMAL_RE = re.compile(r"(\d{1,12})(?:\.(\d+))?")
MINUTES_PER_DAY = 24 * 60
MAX_SMALLINT = 32767
PERSON_PK_REF = re.compile(r"MASIP-P(\d{6,})")


# --- errors -----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BundleError:
    file: str
    line: int
    column: str
    problem: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.column}: {self.problem}"


class ErrorList:
    def __init__(self) -> None:
        self.items: list[BundleError] = []

    def add(self, file: str, line: int, column: str, problem: str) -> None:
        self.items.append(BundleError(file, line, column, problem))

    def __bool__(self) -> bool:
        return bool(self.items)

    def __len__(self) -> int:
        return len(self.items)

    def ordered(self) -> list[BundleError]:
        """By file in the bundle's order, then line; within a line, in the order found."""
        rank = {name: i for i, name in enumerate(fmt.ALL_FILES)}
        indexed = sorted(enumerate(self.items), key=lambda p: (rank.get(p[1].file, -1), p[1].line, p[0]))
        return [e for _, e in indexed]


# --- parsed rows --------------------------------------------------------------------------------------------------


@dataclass(slots=True)
class PersonRow:
    line: int
    ref: str
    gender: Any
    date_of_birth: Any
    age_band: Any
    pnc_id: Any
    nhs_number: Any
    given_name: Any
    family_name: Any


@dataclass(slots=True)
class ReferralRow:
    line: int
    ref: str
    received_on: Any
    referring_agency: Any
    crime_references: Any
    offence: Any
    referral_reason: Any
    victim_ref: Any
    perpetrator_ref: Any
    relationship: Any
    decision: Any
    decided_on: Any
    tier: Any
    stalker_type: Any
    heard_at_clinic: Any
    closed_on: Any
    # Version 2 (fmt.FACTOR_COLUMNS): True, False, or None when not known or not in the file.
    mental_health_services: Any = None
    probation_involved: Any = None
    mappa: Any = None
    antisocial_lifestyle: Any = None


class RowValues(Mapping[str, Any]):
    """One row's typed values, read like the dict they were parsed into, kept as a tuple.

    A batch of a file's rows is in memory at a time (StagedRows); a dict per row was most
    of that memory. The column positions are one dict shared by every row of a file.
    """

    __slots__ = ("_items", "_positions")

    def __init__(self, positions: dict[str, int], items: tuple[Any, ...]) -> None:
        self._positions = positions
        self._items = items

    @classmethod
    def of(cls, values: Mapping[str, Any]) -> RowValues:
        """A row's values with positions of their own (one-off rows; a file shares one)."""
        return cls({name: place for place, name in enumerate(values)}, tuple(values.values()))

    def __getitem__(self, column: str) -> Any:
        return self._items[self._positions[column]]

    def __iter__(self) -> Iterator[str]:
        return iter(self._positions)

    def __len__(self) -> int:
        return len(self._positions)


@dataclass(slots=True)
class ChildRow:
    """A row of risk_assessments.csv, interventions.csv or reoffending.csv: its typed values and
    its canonical cells (the export's text of each column present in the file's header)."""

    line: int
    referral_ref: str
    values: Mapping[str, Any]
    # The columns in the file's header (one tuple shared by every row of the file).
    present: tuple[str, ...]
    # The case of the referral, once it is written (StagedRows.resolve_cases), for the write;
    # 0 before.
    case_id: int = 0

    @property
    def signature(self) -> tuple[str, ...]:
        """Worked out when compared with what is held, not kept for every row: it was about a
        tenth of a large bundle's validation memory."""
        return tuple(canonical(self.values[c]) for c in self.present)


# Rows staged and read back this many at a time: the most of a file that is in memory at once.
STAGE_BATCH = 5000
_staging_tables = itertools.count(1)


def _stage(table: str, created: bool, definition: str, index: str, columns: str, rows: list[tuple[Any, ...]]) -> None:
    """Copy ``rows`` into the temporary table ``table`` (``definition`` its columns, ``index``
    the columns of its one index), making it first unless ``created``: it lives as long as
    the import's transaction (``ON COMMIT DROP``)."""
    with connection.cursor() as cursor:
        if not created:
            cursor.execute(f"CREATE TEMP TABLE {table} ({definition}) ON COMMIT DROP")
            cursor.execute(f"CREATE INDEX ON {table} ({index})")
    if rows:
        copy_rows(table, columns, rows)


def copy_rows(table: str, columns: str, rows: Iterable[tuple[Any, ...]]) -> None:
    """``COPY`` ``rows`` (a generator is read as it goes) into ``columns`` of one of this
    import's own temporary tables."""
    with connection.cursor() as cursor, cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


class StagedRows:
    """The child rows of one file (or the plan's share of them), kept in a temporary table of
    the import's transaction (``ON COMMIT DROP``) instead of a list.

    Appended rows go in with one ``COPY`` per batch; iterating reads them back in the order
    they were appended, one batch at a time, as ``ChildRow`` objects that live only as long
    as their batch is used. A row's typed values are stored pickled: they come back exactly
    as they were parsed (dates, amounts, ``INVALID``), and they are this transaction's own
    bytes, written and read by this process only.
    """

    def __init__(self, positions: dict[str, int], present: Callable[[], tuple[str, ...]]) -> None:
        if not connection.in_atomic_block:
            raise RuntimeError("staged rows live in a transaction: read the bundle inside the import's")
        self.positions = positions
        self._present = present
        self.table = f"exchange_staged_rows_{next(_staging_tables)}"
        self._pending: list[tuple[int, int, str, bytes]] = []
        self._count = 0
        self._created = False
        self._partnership_id: int | None = None

    @classmethod
    def like(cls, other: StagedRows) -> StagedRows:
        return cls(other.positions, other._present)

    def __len__(self) -> int:
        return self._count

    def __bool__(self) -> bool:
        return self._count > 0

    def append(self, row: ChildRow) -> None:
        values = row.values._items if isinstance(row.values, RowValues) else tuple(row.values.values())
        self._count += 1
        # A ref that failed its cell check (INVALID) is kept in the values, and indexed as "".
        ref = row.referral_ref if isinstance(row.referral_ref, str) else ""
        self._pending.append((self._count, row.line, ref, pickle.dumps(values, pickle.HIGHEST_PROTOCOL)))
        if len(self._pending) >= STAGE_BATCH:
            self._flush()

    def _flush(self) -> None:
        definition = "seq integer PRIMARY KEY, line integer NOT NULL, referral_ref text NOT NULL, cells bytea NOT NULL"
        _stage(
            self.table, self._created, definition, "referral_ref, seq", "seq, line, referral_ref, cells", self._pending
        )
        self._created = True
        self._pending = []

    def resolve_cases(self, partnership_id: int) -> None:
        """From now on each row read back carries its referral's case id (``ChildRow.case_id``),
        joined in the database with the partnership's referrals: the write needs no dictionary
        of every ref's case."""
        self._partnership_id = partnership_id

    def _read(self, where: str, params: list[Any], *, by_referral: bool = False) -> Iterator[ChildRow]:
        if not self._count:
            return
        self._flush()
        present = self._present()
        ref_at = self.positions["referral_ref"]
        # Keyset pages: on the order appended, or on (referral, order appended).
        key, after = ("(s.referral_ref, s.seq)", ["", 0]) if by_referral else ("s.seq", [0])
        joins, join_params = "", []
        if self._partnership_id is not None:
            joins = (
                f" LEFT JOIN {Referral._meta.db_table} r ON r.partnership_id = %s AND r.ref = s.referral_ref"
                f" LEFT JOIN {Case._meta.db_table} c ON c.referral_id = r.id"
            )
            join_params = [self._partnership_id]
        case_column = "c.id" if joins else "NULL"
        while True:
            with connection.cursor() as cursor:
                # The table's name is this class's own, ``where`` a constant; values are parameters.
                columns = f"s.seq, s.line, s.referral_ref, s.cells, {case_column}"
                place = "(%s, %s)" if by_referral else "%s"
                sql = (
                    f"SELECT {columns} FROM {self.table} s{joins} "  # noqa: S608
                    f"WHERE {key} > {place}{where} ORDER BY {key} LIMIT %s"
                )
                cursor.execute(sql, [*join_params, *after, *params, STAGE_BATCH])
                batch = cursor.fetchall()
            if not batch:
                return
            after = [batch[-1][2], batch[-1][0]] if by_referral else [batch[-1][0]]
            for _, line, _ref, cells, case_id in batch:
                values = pickle.loads(cells)  # noqa: S301 (bytes this process pickled, in its own temporary table)
                yield ChildRow(line, values[ref_at], RowValues(self.positions, values), present, case_id or 0)

    def __iter__(self) -> Iterator[ChildRow]:
        return self._read("", [])

    def copy_refs_into(self, table: str) -> None:
        """The referral refs of the rows (those that are refs) into ``table``'s one column, by the database."""
        if not self._count:
            return
        self._flush()
        with connection.cursor() as cursor:
            # Both tables are this import's own.
            cursor.execute(f"INSERT INTO {table} SELECT referral_ref FROM {self.table} WHERE referral_ref <> ''")  # noqa: S608

    def of_referrals(self, refs: list[str]) -> Iterator[ChildRow]:
        """The rows naming these referrals, in the order they were appended."""
        return self._read(" AND s.referral_ref = ANY(%s)", [refs])


class StagedRecords:
    """The rows of people.csv or referrals.csv (or the plan's share of them) by their ref, kept in
    a temporary table of the import's transaction (``ON COMMIT DROP``) instead of a dict.

    Rows arrive from the reader a batch at a time (``receive``) and wait, with their cells
    checked, until the batch is full: the row rule (``check``) then runs over the batch in
    line order, after one query has told which of its refs are already staged and on which
    line, so that a duplicate is "duplicate of line N" and stops its row's rule exactly as
    when every row was in a dict. Rows the rule keeps (``add``) go in with one ``COPY`` per
    batch, their fields pickled (they come back exactly as parsed); iterating reads them back
    in line order a batch at a time. Refs are unique here, as they are per partnership.
    """

    def __init__(self, kind: type[PersonRow] | type[ReferralRow], ref_column: str) -> None:
        if not connection.in_atomic_block:
            raise RuntimeError("staged rows live in a transaction: read the bundle inside the import's")
        self.kind = kind
        self.ref_column = ref_column
        self.table = f"exchange_staged_records_{next(_staging_tables)}"
        self.check: Callable[[int, dict[str, Any]], None] | None = None
        self._waiting: list[tuple[int, dict[str, Any]]] = []
        # The first line of each ref of the batch being checked: those staged before it and its own.
        self._lines: dict[str, int] = {}
        self._pending: list[tuple[int, str, bytes]] = []
        self._count = 0
        self._created = False

    def __len__(self) -> int:
        self.settle()
        return self._count

    def __bool__(self) -> bool:
        return len(self) > 0

    def receive(self, line: int, values: dict[str, Any]) -> None:
        """A row read with its cells checked: its rule runs with the rest of its batch."""
        self._waiting.append((line, values))
        if len(self._waiting) >= STAGE_BATCH:
            self.settle()

    def settle(self) -> None:
        """Run the row rule over the rows waiting, in line order."""
        waiting, self._waiting = self._waiting, []
        if not waiting or self.check is None:
            return
        refs = list({v[self.ref_column] for _, v in waiting if v[self.ref_column]})
        self._lines = self.first_lines(refs)
        for line, values in waiting:
            self.check(line, values)
        self._lines = {}

    def first_line(self, ref: str) -> int | None:
        """The line of the row staged with this ref, as far as the batch being checked asked."""
        return self._lines.get(ref)

    def add(self, row: PersonRow | ReferralRow) -> None:
        self._count += 1
        if self.check is not None:
            # Only while its rule checks a batch (``settle``): the plan's rows are never checked, and
            # kept here for every row they were some 100 bytes a ref to the end of the import.
            self._lines[row.ref] = row.line
        fields = tuple(getattr(row, name) for name in self.kind.__slots__)
        self._pending.append((row.line, row.ref, pickle.dumps(fields, pickle.HIGHEST_PROTOCOL)))
        if len(self._pending) >= STAGE_BATCH:
            self._flush()

    def _flush(self) -> None:
        definition = "line integer PRIMARY KEY, ref text NOT NULL, cells bytea NOT NULL"
        _stage(self.table, self._created, definition, "ref", "line, ref, cells", list(self._pending))
        self._created = True
        self._pending = []

    def first_lines(self, refs: list[str]) -> dict[str, int]:
        """The line of each of these refs that is staged."""
        self._flush()
        if not refs:
            return {}
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT ref, line FROM {self.table} WHERE ref = ANY(%s)", [refs])  # noqa: S608
            return dict(cursor.fetchall())

    def refs_among(self, refs: Iterable[str]) -> set[str]:
        """Which of these refs are staged (a batch's worth at a time)."""
        self.settle()
        return set(self.first_lines(list(refs))) if self._count else set()

    def __getitem__(self, ref: str) -> PersonRow | ReferralRow:
        self.settle()
        self._flush()
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT cells FROM {self.table} WHERE ref = %s", [ref])  # noqa: S608
            found = cursor.fetchone()
        if found is None:
            raise KeyError(ref)
        return self.kind(*pickle.loads(found[0]))  # noqa: S301 (bytes this process pickled, in its own temporary table)

    def _in_line_order(self, columns: str) -> Iterator[tuple[Any, ...]]:
        """The staged rows' ``columns`` (``line`` first) in line order, one batch in memory at a time."""
        self.settle()
        if not self._count:
            return
        self._flush()
        for batch in _keyset_pages(self.table, "line", columns, STAGE_BATCH):
            yield from batch

    def refs(self) -> Iterator[str]:
        """The rows' refs in line order, without reading their cells."""
        return (ref for _, ref in self._in_line_order("line, ref"))

    def lines(self) -> Iterator[int]:
        """The rows' lines in order, without reading their cells: to name a row the database refuses."""
        return (line for (line,) in self._in_line_order("line"))

    def __iter__(self) -> Iterator[Any]:
        """The rows in line order, one batch in memory at a time."""
        for _, cells in self._in_line_order("line, cells"):
            yield self.kind(*pickle.loads(cells))  # noqa: S301 (as above)


def referral_batches(rows: Iterable[ChildRow]) -> Iterator[list[ChildRow]]:
    """The rows in batches of whole referrals (about ``STAGE_BATCH`` rows; more when one
    referral alone has more), each referral's rows in the order appended: for the rules that
    are per case."""
    if isinstance(rows, StagedRows):
        ordered: Iterable[ChildRow] = rows._read("", [], by_referral=True)
    else:
        ordered = sorted(rows, key=lambda row: row.referral_ref)
    batch: list[ChildRow] = []
    for row in ordered:
        if len(batch) >= STAGE_BATCH and row.referral_ref != batch[-1].referral_ref:
            yield batch
            batch = []
        batch.append(row)
    if batch:
        yield batch


def rows_of_referrals(rows: Iterable[ChildRow], refs: list[str]) -> Iterator[ChildRow]:
    if isinstance(rows, StagedRows):
        return rows.of_referrals(refs)
    wanted = set(refs)
    return (row for row in rows if row.referral_ref in wanted)


def _plan_rows(rows: Iterable[ChildRow]) -> list[ChildRow] | StagedRows:
    return StagedRows.like(rows) if isinstance(rows, StagedRows) else []


@dataclass
class FileHeader:
    present: tuple[str, ...]


@dataclass
class Parsed:
    # Staged in temporary tables of the import's transaction, by ref.
    people: StagedRecords = field(default_factory=lambda: StagedRecords(PersonRow, "person_ref"))
    referrals: StagedRecords = field(default_factory=lambda: StagedRecords(ReferralRow, "referral_ref"))
    # Staged in temporary tables while an import reads the bundle (lists where a test builds one).
    children: dict[str, Any] = field(default_factory=dict)
    headers: dict[str, FileHeader] = field(default_factory=dict)
    # Files whose rows could be read (a file missing required columns cannot).
    readable: set[str] = field(default_factory=set)


# --- cells -----------------------------------------------------------------------------------------------------------


def _shown(value: str) -> str:
    return value if len(value) <= 40 else f"{value[:37]}..."


# C0 control characters other than tab and line breaks, and DEL. PostgreSQL cannot store NUL
# in text at all, and none of the others belongs in a name, a date or a code.
CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# What the reader keeps of a byte that is not UTF-8 (surrogateescape: U+DC80 to U+DCFF).
NOT_UTF8_RE = re.compile(r"[\udc80-\udcff]")


def text_problem(raw: str) -> str | None:
    """A cell's text that cannot be stored as it is: bytes that are not UTF-8, or control characters."""
    if NOT_UTF8_RE.search(raw):
        return "is not UTF-8 text (save the file as CSV UTF-8)"
    control = CONTROL_RE.search(raw)
    if control:
        return f"contains a control character (U+{ord(control.group()):04X}), which cannot be stored"
    return None


def parse_cell(column: fmt.Column, raw: str, today: dt.date) -> tuple[Any, str | None]:
    """The cell's value (None or "" when empty), or INVALID and the problem."""
    problem = text_problem(raw)
    if problem is not None:
        return INVALID, problem
    if raw == "":
        if column.required:
            return INVALID, "a value is required"
        return (None if column.kind in (fmt.DATE, fmt.INT, fmt.DECIMAL) else ""), None
    if column.kind == fmt.ENUM:
        if raw in column.choices:
            # The format's own string, not the cell's: a bundle repeats a handful of values
            # hundreds of thousands of times, and every row keeps its values until the write.
            return column.choices[column.choices.index(raw)], None
        return INVALID, f"'{_shown(raw)}' is not one of: {', '.join(column.choices)}"
    if column.kind == fmt.DATE:
        if not DATE_RE.fullmatch(raw):
            return INVALID, f"'{_shown(raw)}' is not a date in the form YYYY-MM-DD"
        try:
            value = dt.date.fromisoformat(raw)
        except ValueError:
            return INVALID, f"'{raw}' is not a real date"
        if value > today:
            return INVALID, f"{raw} is in the future"
        return value, None
    if column.kind == fmt.INT:
        if not INT_RE.fullmatch(raw) or int(raw) > MAX_SMALLINT:
            return INVALID, f"'{_shown(raw)}' is not a whole number from 0 to {MAX_SMALLINT}"
        return int(raw), None
    if column.kind == fmt.DECIMAL:
        match = DECIMAL_RE.fullmatch(raw)
        if not match:
            return INVALID, f"'{_shown(raw)}' is not a number like 1234.50 (digits, a point, no £ or commas)"
        if match.group(2) and len(match.group(2)) > column.places:
            return INVALID, f"'{_shown(raw)}' has more than {column.places} decimal places"
        # To the column's places, as the export writes it: "8855" and "8855.00" are one amount.
        return Decimal(raw).quantize(Decimal(1).scaleb(-column.places)), None
    if column.max_length and len(raw) > column.max_length:
        return INVALID, f"is longer than {column.max_length} characters"
    return raw, None


def canonical(value: Any) -> str:
    """A value as the export writes it: what rows are compared by."""
    if type(value) is str:
        return value  # most cells (refs and enumerations): first, as a re-import asks for millions
    if value is None or value is INVALID:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dt.date):
        # Not cached: a cache of dates seen, filled and evicted batch after batch, scattered
        # its entries over the allocator's arenas and kept them from being freed (peak memory
        # grew with the bundle while what was live did not).
        return value.isoformat()
    if isinstance(value, tuple | list):
        return fmt.CRIME_REFERENCE_SEPARATOR.join(value)
    return str(value)


def crime_references(raw: str) -> tuple[str, ...]:
    """Several references in one cell, separated by ';': each as intake stores it, each once, sorted."""
    parts = (normalise_crime_reference(p) for p in raw.split(fmt.CRIME_REFERENCE_SEPARATOR))
    return tuple(sorted({p for p in parts if p}))


# --- reading the files --------------------------------------------------------------------------------------------


def _read(
    bundle: Bundle,
    name: str,
    errors: ErrorList,
    parsed: Parsed,
    today: dt.date,
    on_row: Callable[[int, dict[str, Any]], None],
) -> None:
    spec = fmt.SPECS[name]
    rows = bundle.rows(name)
    try:
        try:
            header_row = next(rows)
        except StopIteration:
            errors.add(name, 1, "-", "the file is empty: a header row is required")
            return
        header = [fmt.unescape_cell(h.strip()) for h in header_row.cells]
        index: dict[str, int] = {}
        usable = True
        for place, heading in enumerate(header):
            if heading == "":
                errors.add(name, 1, f"column {place + 1}", "the header cell is empty")
            elif (problem := text_problem(heading)) is not None:
                errors.add(name, 1, f"column {place + 1}", f"the header cell {problem}")
                usable = False
            elif heading not in spec.names:
                errors.add(name, 1, heading, f"not a column of {name} (its columns are: {', '.join(spec.names)})")
            elif heading in index:
                errors.add(name, 1, heading, "appears twice in the header")
                usable = False
            else:
                index[heading] = place
        for required in spec.columns:
            if required.in_header and required.name not in index:
                errors.add(name, 1, required.name, "the column is missing from the header")
                usable = False
        parsed.headers[name] = FileHeader(tuple(c for c in spec.names if c in index))
        if not usable:
            return
        parsed.readable.add(name)
        width = len(header)
        positions = [(column, index.get(column.name)) for column in spec.columns]
        for row in rows:
            cells = row.cells
            if not any(c.strip() for c in cells):
                continue  # a blank line
            if len(cells) != width:
                errors.add(name, row.line, "-", f"the row has {len(cells)} cells; the header has {width}")
                continue
            values: dict[str, Any] = {}
            for column, position in positions:
                raw = fmt.unescape_cell(cells[position].strip()).strip() if position is not None else ""
                value, problem = parse_cell(column, raw, today)
                if problem is not None:
                    errors.add(name, row.line, column.name, problem)
                values[column.name] = value
            on_row(row.line, values)
    except CsvProblem as exc:
        errors.add(name, exc.line, "-", exc.problem)
        # The rest of the file is unknown: references to its rows are not checked, or one
        # damaged byte would be reported again at every row naming something after it.
        parsed.readable.discard(name)
        parsed.headers.setdefault(name, FileHeader(()))


def read_bundle(bundle: Bundle, *, today: dt.date, errors: ErrorList) -> Parsed:
    """Every file's cells and each row's own rules. References are checked by ``check_references``."""
    parsed = Parsed()
    for unknown in bundle.unknown_files:
        errors.add(unknown, 0, "-", f"not a file of the bundle format (its files are: {', '.join(fmt.ALL_FILES)})")
    if not bundle.has(fmt.REFERRALS):
        errors.add(fmt.REFERRALS, 0, "-", "the bundle has no referrals.csv, which is required")
    # The rows of people.csv and referrals.csv are checked by their rule a batch at a time, as
    # the staging table answers which refs are duplicates (StagedRecords.settle).
    if bundle.has(fmt.PEOPLE):
        parsed.people.check = _people_rule(parsed, errors)
        _read(bundle, fmt.PEOPLE, errors, parsed, today, parsed.people.receive)
        parsed.people.settle()
    if bundle.has(fmt.REFERRALS):
        parsed.referrals.check = _referral_rule(parsed, errors)
        _read(bundle, fmt.REFERRALS, errors, parsed, today, parsed.referrals.receive)
        parsed.referrals.settle()
    for name, rule in (
        (fmt.RISK, _risk_rule),
        (fmt.INTERVENTIONS, _intervention_rule),
        (fmt.REOFFENDING, _reoffending_rule),
    ):
        parsed.children[name] = []
        if bundle.has(name):
            parsed.children[name] = _staged(parsed, name)
            _read(bundle, name, errors, parsed, today, _child_rule(parsed, errors, name, rule))
    # The optional files (version 2's victim outcomes, the costs): only when the bundle has
    # them, so a bundle without them is read, planned and imported exactly as before.
    for name, rule in (
        (fmt.VICTIM_OUTCOMES, _victim_outcome_rule),
        (fmt.TIME_ENTRIES, _time_entry_rule),
        (fmt.COST_ACCOUNTS, _cost_account_rule),
        (fmt.COST_LINES, _cost_line_rule),
    ):
        if bundle.has(name):
            parsed.children[name] = _staged(parsed, name)
            _read(bundle, name, errors, parsed, today, _child_rule(parsed, errors, name, rule))
    return parsed


def _staged(parsed: Parsed, name: str) -> StagedRows:
    positions = {column.name: place for place, column in enumerate(fmt.SPECS[name].columns)}
    return StagedRows(positions, lambda: parsed.headers[name].present)


def _duplicate(errors: ErrorList, name: str, line: int, column: str, first: int) -> None:
    errors.add(name, line, column, f"duplicate of line {first}")


def _people_rule(parsed: Parsed, errors: ErrorList) -> Callable[[int, dict[str, Any]], None]:
    name = fmt.PEOPLE

    def rule(line: int, v: dict[str, Any]) -> None:
        ref = v["person_ref"]
        if ref and (first := parsed.people.first_line(ref)) is not None:
            _duplicate(errors, name, line, "person_ref", first)
            return
        pnc = normalise_identifier(v["pnc_id"]) if v["pnc_id"] else v["pnc_id"]
        if pnc and not valid_pnc_id(pnc):
            errors.add(name, line, "pnc_id", "is not a PNC ID in the form YY/NNNNNNNA, like 19/123456A")
            pnc = INVALID
        nhs = normalise_identifier(v["nhs_number"]) if v["nhs_number"] else v["nhs_number"]
        if nhs and not valid_nhs_number(nhs):
            errors.add(name, line, "nhs_number", "is not a valid 10-digit NHS number")
            nhs = INVALID
        if ref:
            born, band, given, family = v["date_of_birth"], v["age_band"], v["given_name"], v["family_name"]
            parsed.people.add(PersonRow(line, ref, v["gender"], born, band, pnc, nhs, given, family))

    return rule


def _referral_rule(parsed: Parsed, errors: ErrorList) -> Callable[[int, dict[str, Any]], None]:
    name = fmt.REFERRALS

    def rule(line: int, v: dict[str, Any]) -> None:
        ref = v["referral_ref"]
        if ref and (first := parsed.referrals.first_line(ref)) is not None:
            _duplicate(errors, name, line, "referral_ref", first)
            return
        received, decision, decided, closed = v["received_on"], v["decision"], v["decided_on"], v["closed_on"]
        if decision == "pending" and decided is not None:
            errors.add(name, line, "decided_on", "must be empty while the decision is pending")
        elif decision and decision != "pending" and decided is None:
            errors.add(name, line, "decided_on", f"is required when the decision is {decision}")
        if received and decided and decided < received:
            errors.add(name, line, "decided_on", f"is before the referral was received ({received.isoformat()})")
        if received and closed and closed < received:
            errors.add(name, line, "closed_on", f"is before the referral was received ({received.isoformat()})")
        elif decided and closed and closed < decided:
            errors.add(name, line, "closed_on", f"is before the decision ({decided.isoformat()})")
        victim, perpetrator = v["victim_ref"], v["perpetrator_ref"]
        if victim and victim == perpetrator:
            errors.add(name, line, "perpetrator_ref", "is the same person as the victim")
        crime = v["crime_reference"]
        refs = crime_references(crime) if crime else ()
        if any(len(r) > 40 for r in refs):
            errors.add(name, line, "crime_reference", "a crime reference has at most 40 characters")
        if ref:
            parsed.referrals.add(
                ReferralRow(
                    line,
                    ref,
                    received,
                    v["referring_agency"],
                    refs,
                    v["offence"],
                    v["referral_reason"],
                    victim,
                    perpetrator,
                    v["relationship"],
                    decision,
                    decided,
                    int(v["tier"]) if v["tier"] else None,
                    v["stalker_type"],
                    None if v["heard_at_clinic"] == "" else (v["heard_at_clinic"] == "yes"),
                    closed,
                    *(_yes_no(v.get(c, "")) for c in fmt.FACTOR_COLUMNS),
                )
            )

    return rule


def _yes_no(value: Any) -> bool | None:
    return None if not value else value == "yes"


def _victim_outcome_rule(line: int, v: dict[str, Any], errors: ErrorList) -> None:
    low, high = fmt.OUTCOME_SCALE
    for column in ("feels_safe", "wellbeing"):
        value = v[column]
        if isinstance(value, int) and not low <= value <= high:
            errors.add(fmt.VICTIM_OUTCOMES, line, column, f"must be a whole number from {low} to {high}")
    incidents = v["incidents_last_month"]
    if isinstance(incidents, int) and incidents < 0:
        errors.add(fmt.VICTIM_OUTCOMES, line, "incidents_last_month", "cannot be negative")


def _risk_rule(line: int, v: dict[str, Any], errors: ErrorList) -> None:
    name, instrument = fmt.RISK, v["instrument"]
    if not instrument:
        return
    own = {"sash": ("sash_concern",), "dash": ("dash_yes_count",), "srp": fmt.SRP_COLUMNS}[instrument]
    for column in ("sash_concern", "dash_yes_count", *fmt.SRP_COLUMNS):
        if column not in own and v[column] not in ("", None, INVALID):
            errors.add(name, line, column, f"is only for {column.split('_')[0]} assessments; this one is {instrument}")
    count = v["dash_yes_count"]
    if instrument == "dash" and isinstance(count, int) and count > fmt.DASH_MAX_YES:
        errors.add(name, line, "dash_yes_count", f"must be from 0 to {fmt.DASH_MAX_YES}")


def _intervention_rule(line: int, v: dict[str, Any], errors: ErrorList) -> None:
    name = fmt.INTERVENTIONS
    started, ended, status, ending = v["started_on"], v["ended_on"], v["status"], v["ending"]
    if started and ended and ended < started:
        errors.add(name, line, "ended_on", f"is before the intervention started ({started.isoformat()})")
    if status in OPEN_STATUSES and ended is not None:
        errors.add(name, line, "ended_on", f"must be empty while the intervention is {status}")
    planned, attended = v["sessions_planned"], v["sessions_attended"]
    if isinstance(planned, int) and isinstance(attended, int) and attended > planned:
        errors.add(name, line, "sessions_attended", f"is more than the sessions planned ({planned})")
    if ending and status and STATUS_FOR_ENDING[ending] != status:
        errors.add(name, line, "ending", f"{ending} goes with the status {STATUS_FOR_ENDING[ending]}, not {status}")


def _reoffending_rule(_line: int, v: dict[str, Any], _errors: ErrorList) -> None:
    # Kept as the service keeps one (cases.identifiers), so that a re-import compares like with like.
    reference = v.get("crime_reference")
    if isinstance(reference, str) and reference:
        v["crime_reference"] = normalise_crime_reference(reference)


def _time_entry_rule(line: int, v: dict[str, Any], errors: ErrorList) -> None:
    name = fmt.TIME_ENTRIES
    minutes = v["minutes"]
    if isinstance(minutes, int) and not 1 <= minutes <= MINUTES_PER_DAY:
        errors.add(name, line, "minutes", f"must be from 1 to {MINUTES_PER_DAY} (one day)")
    if v["staff"] == "yes" and v["agency_kind"] == "":
        errors.add(name, line, "agency_kind", "is required for the time of a member of staff (their agency)")


def _cost_account_rule(line: int, v: dict[str, Any], errors: ErrorList) -> None:
    name = fmt.COST_ACCOUNTS
    year = v["financial_year"]
    if isinstance(year, int) and not 2000 <= year <= 2100:
        errors.add(name, line, "financial_year", "is the year a financial year starts in, like 2019 for 2019/20")
    months = v["period_months"]
    if isinstance(months, int) and not 1 <= months <= 120:
        errors.add(name, line, "period_months", "must be from 1 to 120")
    if v["status"] == "finished":
        for column in ("infrastructure", "finished_on"):
            if v[column] is None:
                errors.add(name, line, column, "is required for a finished account")
    elif v["status"] == "draft" and v["finished_on"] not in (None, INVALID):
        errors.add(name, line, "finished_on", "must be empty for a draft account")


def _cost_line_rule(line: int, v: dict[str, Any], errors: ErrorList) -> None:
    name = fmt.COST_LINES
    part, kind = v["part"], v["kind"]
    if part == "happened" and v["category"] == "":
        errors.add(name, line, "category", "is required for a line of what happened")
    if part in ("best", "worst"):
        if v["category"]:
            errors.add(name, line, "category", "must be empty for a cost avoided in a scenario")
        if kind == "staff_time":
            errors.add(name, line, "kind", "a scenario's costs avoided come from the catalogue, not staff time")
        if v["quantity"] is None:
            errors.add(name, line, "quantity", "is required for a cost avoided in a scenario")
    if kind == "staff_time":
        for column in ("role", "hours", "hourly_rate"):
            if v[column] in ("", None):
                errors.add(name, line, column, "is required for a line of staff time")
    if kind == "qaly":
        for column in ("qaly_loss", "value_of_year"):
            if v[column] is None:
                errors.add(name, line, column, "is required for a line costed in quality-adjusted life years")


def _child_rule(
    parsed: Parsed, errors: ErrorList, name: str, rule: Callable[[int, dict[str, Any], ErrorList], None] | None
) -> Callable[[int, dict[str, Any]], None]:
    rows = parsed.children[name]
    # Every row of a file has the file's columns in the same order (validation's ``_read``).
    positions = rows.positions

    def on_row(line: int, v: dict[str, Any]) -> None:
        if rule is not None:
            rule(line, v, errors)
        present = parsed.headers[name].present
        rows.append(ChildRow(line, v["referral_ref"], RowValues(positions, tuple(v.values())), present))

    return on_row


# --- what the partnership holds -----------------------------------------------------------------------------------


CHILD_KEYS: dict[str, tuple[str, ...]] = {
    fmt.RISK: ("referral_ref", "instrument", "assessed_on"),
    fmt.INTERVENTIONS: ("referral_ref", "type", "started_on"),
    fmt.REOFFENDING: ("referral_ref", "occurred_on"),
    fmt.VICTIM_OUTCOMES: ("referral_ref", "recorded_on"),
    # The cost files' natural keys (docs/partnership-bundle.md, "Optional files: costs").
    fmt.TIME_ENTRIES: ("referral_ref", "occurred_on", "activity_kind", "cost_category", "role", "minutes"),
    fmt.COST_ACCOUNTS: ("referral_ref",),
    # An account's lines are one whole: those held for a referral are matched row for row.
    fmt.COST_LINES: ("referral_ref",),
}
KEY_WORDS: dict[str, str] = {
    fmt.RISK: "an assessment of this referral with this instrument on this date",
    fmt.INTERVENTIONS: "an intervention of this referral of this type starting on this date",
    fmt.REOFFENDING: "re-offending on this referral on this date",
    fmt.VICTIM_OUTCOMES: "the victim's outcomes on this referral on this date",
    fmt.TIME_ENTRIES: "time of this role on this referral, date, activity and category with these minutes",
    fmt.COST_ACCOUNTS: "a cost account of this referral",
    fmt.COST_LINES: "the cost account of this referral",
}
NOT_CHANGED = "an import adds records and never changes them: correct the record in the service"


# What is held, as the export writes it, for a file of the bundle and the ids of the records
# named (person ids for people.csv, case ids for every other file): the importer's exporter.
HeldRows = Callable[[str, list[int]], Iterable[dict[str, str]]]
# Refs of held records are compared this many at a time: only one batch of their export
# rows exists at once, whatever the bundle's size.
COMPARE_BATCH = 5000


def _nothing_held(_name: str, _ids: list[int]) -> Iterable[dict[str, str]]:
    return ()


class HeldIds:
    """The ids of held records by the bundle's refs (person_ref -> Person id, referral_ref ->
    Case id), kept in a temporary table of the import's transaction (``ON COMMIT DROP``) and
    asked a batch of refs at a time (``of``): a dictionary of every ref the bundle names was
    what a re-import's memory grew with (some 400 bytes a referral: the refs, the ids and the
    table). Answers what was held when it was made: the import's own new rows are not in it.
    Without a table (a test's ``Held()``) it answers from ``memory``."""

    def __init__(self, table: str | None = None, memory: dict[str, int] | None = None) -> None:
        self.table = table
        self.memory = dict(memory or {})

    def of(self, refs: Iterable[str]) -> dict[str, int]:
        """The held id of each of these refs that names a held record."""
        wanted = list({ref for ref in refs if ref and isinstance(ref, str)})
        if self.table is None:
            return {ref: self.memory[ref] for ref in wanted if ref in self.memory}
        found: dict[str, int] = {}
        with connection.cursor() as cursor:
            for chunk in iter_chunks(wanted, COMPARE_BATCH):
                cursor.execute(f"SELECT ref, id FROM {self.table} WHERE ref = ANY(%s)", [chunk])  # noqa: S608
                found.update(cursor.fetchall())
        return found

    def spool(self) -> IO[bytes]:
        """Every id held, once each, one a line, in a temporary file (``COPY … TO STDOUT``):
        for the access log of an import that writes nothing, written after its transaction,
        and with it this table, is rolled back. On disk, not in the process: a re-check of a
        bundle of 680,000 held referrals names some two million records, 70 MB as a list of
        ints and twice that again as the log's strings."""
        spool = tempfile.TemporaryFile()  # noqa: SIM115 (the caller reads it, then closes it)
        if self.table is None:
            spool.write("".join(f"{pk}\n" for pk in sorted(set(self.memory.values()))).encode())
        else:
            with (
                connection.cursor() as cursor,
                cursor.cursor.copy(f"COPY (SELECT DISTINCT id FROM {self.table}) TO STDOUT") as copy,  # noqa: S608
            ):
                for block in copy:
                    spool.write(block)
        spool.seek(0)
        return spool


@dataclass
class Held:
    """What the partnership holds, as far as the bundle refers to it: the ids of the records
    the bundle's refs name, asked a batch of refs at a time. Their export rows are read while
    the bundle is compared with them, one batch of refs at a time (``rows_of``), never all at once."""

    person_ids: HeldIds = field(default_factory=HeldIds)  # bundle person_ref -> Person id
    case_ids: HeldIds = field(default_factory=HeldIds)  # referral_ref -> Case id
    rows_of: HeldRows = _nothing_held
    open_direct: Counter[str] = field(default_factory=Counter)  # referral_ref -> open direct interventions
    account_status: dict[str, str] = field(default_factory=dict)  # referral_ref -> its held cost account's status


@dataclass
class Plan:
    """What an import of the bundle adds: the rows not yet held."""

    # Staged, as Parsed's.
    people: StagedRecords = field(default_factory=lambda: StagedRecords(PersonRow, "person_ref"))
    referrals: StagedRecords = field(default_factory=lambda: StagedRecords(ReferralRow, "referral_ref"))
    children: dict[str, Any] = field(default_factory=dict)  # file -> its rows to add (as Parsed's)
    already_held: Counter[str] = field(default_factory=Counter)  # file -> rows already held


def _differs(errors: ErrorList, name: str, line: int, column: str) -> None:
    errors.add(name, line, column, f"differs from the record already held; {NOT_CHANGED}")


def check_references(parsed: Parsed, held: Held, errors: ErrorList) -> Plan:
    """References between the files and to what is held; contradictions with held records; the plan."""
    plan = Plan()
    for chunk in iter_chunks(parsed.people, COMPARE_BATCH):
        person_ids = held.person_ids.of(person.ref for person in chunk)
        ids = [person_ids[person.ref] for person in chunk if person.ref in person_ids]
        exported: dict[Any, dict[str, str]] = {row["_pk"]: row for row in held.rows_of(fmt.PEOPLE, ids)} if ids else {}
        for person in chunk:
            if person.ref in person_ids:
                plan.already_held[fmt.PEOPLE] += 1
                _compare_person(person, exported.get(person_ids[person.ref], {}), parsed, errors)
            else:
                plan.people.add(person)
        # Let the batch's export rows go before the next batch's are read, not after.
        del exported
    people_readable = fmt.PEOPLE in parsed.readable or fmt.PEOPLE not in parsed.headers
    for chunk in iter_chunks(parsed.referrals, COMPARE_BATCH):
        case_ids = held.case_ids.of(referral.ref for referral in chunk)
        ids = [case_ids[referral.ref] for referral in chunk if referral.ref in case_ids]
        held_referrals = {row["referral_ref"]: row for row in held.rows_of(fmt.REFERRALS, ids)} if ids else {}
        # The people the batch names, and those the held referrals name: which are held, and
        # which of those not held people.csv has.
        named = {r for referral in chunk for r in (referral.victim_ref, referral.perpetrator_ref) if r}
        person_ids = held.person_ids.of(
            named | {row[c] for row in held_referrals.values() for c in ("victim_ref", "perpetrator_ref")}
        )
        in_bundle = parsed.people.refs_among(r for r in named if r not in person_ids)
        for referral in chunk:
            ref = referral.ref
            for column in ("victim_ref", "perpetrator_ref"):
                value = getattr(referral, column)
                if value and value not in in_bundle and value not in person_ids and people_readable:
                    errors.add(
                        fmt.REFERRALS,
                        referral.line,
                        column,
                        f"no person '{_shown(value)}' in people.csv or already held by the partnership",
                    )
            if ref in case_ids:
                plan.already_held[fmt.REFERRALS] += 1
                row = held_referrals.get(ref, {})
                if row:
                    _compare_parties(referral, row, person_ids)
                _compare_referral(referral, row, parsed, errors)
            else:
                plan.referrals.add(referral)
        del held_referrals
    referrals_readable = fmt.REFERRALS in parsed.readable
    for name, rows in parsed.children.items():
        plan.children[name] = _plan_rows(rows)
        for chunk in iter_chunks(rows, STAGE_BATCH):
            # Which of the referrals the batch names that are not held referrals.csv has.
            case_ids = held.case_ids.of(r.referral_ref for r in chunk)
            known = parsed.referrals.refs_among(
                {r.referral_ref for r in chunk if r.referral_ref and r.referral_ref not in case_ids}
            )
            for row in chunk:
                if (
                    row.referral_ref
                    and row.referral_ref not in known
                    and row.referral_ref not in case_ids
                    and referrals_readable
                ):
                    errors.add(
                        name,
                        row.line,
                        "referral_ref",
                        f"no referral '{_shown(row.referral_ref)}' in referrals.csv or already held by the partnership",
                    )
        _plan_children(name, rows, parsed, held, errors, plan)
    _check_open_direct(plan, held, errors)
    _check_cost_lines(parsed, plan, held, errors)
    return plan


def _compare_parties(referral: ReferralRow, row: dict[str, str], person_ids: dict[str, int]) -> None:
    """Held referrals name their people by the export's ref; the bundle may name the same person
    by a ref that now resolves to them (a merged record). Compare people, not spellings.
    ``person_ids``: the held ids of the refs of the referral and of the held row."""
    for column in ("victim_ref", "perpetrator_ref"):
        named = getattr(referral, column)
        held_pk = person_ids[row[column]] if row[column] in person_ids else person_pk_from_ref(row[column])
        if named and person_ids.get(named) is not None and person_ids.get(named) == held_pk:
            row[column] = named


def _check_cost_lines(parsed: Parsed, plan: Plan, held: Held, errors: ErrorList) -> None:
    """A line belongs to an account of the bundle or one held; a finished account takes no more lines."""
    if fmt.COST_LINES not in parsed.children:
        return
    in_bundle = {r.referral_ref for r in parsed.children.get(fmt.COST_ACCOUNTS, [])}
    readable = fmt.COST_ACCOUNTS in parsed.readable or fmt.COST_ACCOUNTS not in parsed.headers
    for row in plan.children.get(fmt.COST_LINES, []):
        ref = row.referral_ref
        if ref not in in_bundle and ref not in held.account_status and readable:
            errors.add(
                fmt.COST_LINES,
                row.line,
                "referral_ref",
                f"no cost account of '{_shown(ref)}' in cost_accounts.csv or already held by the partnership",
            )
        elif held.account_status.get(ref) == "finished":
            errors.add(
                fmt.COST_LINES,
                row.line,
                "-",
                f"the held cost account is finished and takes no more lines; {NOT_CHANGED}",
            )


def _compare_person(person: PersonRow, held: dict[str, str], parsed: Parsed, errors: ErrorList) -> None:
    present = parsed.headers[fmt.PEOPLE].present
    has_birth_date = bool(person.date_of_birth) or bool(held.get("date_of_birth"))
    for column in present:
        if column == "person_ref" or (column == "age_band" and has_birth_date):
            continue
        value = canonical(getattr(person, column))
        if value and value != held.get(column, ""):
            _differs(errors, fmt.PEOPLE, person.line, column)


def _compare_referral(referral: ReferralRow, held: dict[str, str], parsed: Parsed, errors: ErrorList) -> None:
    present = parsed.headers[fmt.REFERRALS].present
    for column in present:
        if column == "referral_ref":
            continue
        attribute = "crime_references" if column == "crime_reference" else column
        value = canonical(getattr(referral, attribute))
        if value and value != held.get(column, ""):
            _differs(errors, fmt.REFERRALS, referral.line, column)


def _plan_children(name: str, rows: list[ChildRow], parsed: Parsed, held: Held, errors: ErrorList, plan: Plan) -> None:
    if not rows:
        return
    present = parsed.headers[name].present
    key_columns = CHILD_KEYS[name]
    key_positions = [present.index(c) for c in key_columns]
    # The rows of referrals not held are added. Those of referrals held (every key starts with
    # the referral) are compared with what is held one batch of referrals at a time, in the
    # order the file first names them.
    for chunk in iter_chunks(rows, STAGE_BATCH):
        case_ids = held.case_ids.of(row.referral_ref for row in chunk)
        for row in chunk:
            if row.referral_ref not in case_ids:
                plan.children[name].append(row)
    for refs in _held_refs_in_order(rows, held):
        case_ids = held.case_ids.of(refs)
        held_by_key: dict[tuple[str, ...], Counter[tuple[str, ...]]] = defaultdict(Counter)
        open_direct: Counter[str] = Counter()
        for h in held.rows_of(name, [case_ids[ref] for ref in refs]):
            held_by_key[tuple(h.get(c, "") for c in key_columns)][tuple(h.get(c, "") for c in present)] += 1
            if name == fmt.INTERVENTIONS and h["type"] == DIRECT and h["status"] in OPEN_STATUSES:
                open_direct[h["referral_ref"]] += 1
        # Each row's signature once: it is worked out cell by cell, and every row of a re-import is compared.
        by_referral: dict[str, list[ChildRow]] = defaultdict(list)
        for row in rows_of_referrals(rows, refs):
            by_referral[row.referral_ref].append(row)
        grouped: dict[tuple[str, ...], list[tuple[ChildRow, tuple[str, ...]]]] = defaultdict(list)
        for ref in refs:
            for row in by_referral[ref]:
                signature = row.signature
                grouped[tuple(signature[i] for i in key_positions)].append((row, signature))
        for key, bundle_rows in grouped.items():
            held_here = held_by_key.get(key, Counter())
            in_bundle = Counter(signature for _, signature in bundle_rows)
            if set(held_here) - set(in_bundle):
                problem = f"{KEY_WORDS[name]} is already held with other values; {NOT_CHANGED}"
                for row, _ in bundle_rows:
                    errors.add(name, row.line, "-", problem)
                continue
            skip = Counter(held_here)
            for row, signature in bundle_rows:
                if skip[signature] > 0:
                    skip[signature] -= 1
                    plan.already_held[name] += 1
                else:
                    plan.children[name].append(row)
                    # Only the held referrals that gain rows are asked about (_check_open_direct):
                    # every held referral's count was kept to the end of a re-import.
                    if row.referral_ref in open_direct:
                        held.open_direct[row.referral_ref] = open_direct[row.referral_ref]


def _held_refs_in_order(rows: Iterable[ChildRow], held: Held) -> Iterator[list[str]]:
    """The held referrals the rows name, each once, in the order the rows first name them, a
    batch at a time: by a join of the staging table with the held ids where the rows are staged."""
    table = held.case_ids.table
    if not isinstance(rows, StagedRows) or table is None:
        of_held: dict[str, None] = {}
        for chunk in iter_chunks(rows, STAGE_BATCH):
            case_ids = held.case_ids.of(row.referral_ref for row in chunk)
            for row in chunk:
                if row.referral_ref in case_ids:
                    of_held.setdefault(row.referral_ref)
        yield from iter_chunks(of_held, COMPARE_BATCH)
        return
    rows._flush()
    # The order is worked out once, into a table of its own with an index on it, and read in
    # keyset pages: grouping the whole staging table again for every page was quadratic in the
    # bundle's size.
    order = f"exchange_held_order_{next(_staging_tables)}"
    with connection.cursor() as cursor:
        # The tables are this import's own.
        cursor.execute(
            f"CREATE TEMP TABLE {order} ON COMMIT DROP AS SELECT min(s.seq) AS first, s.referral_ref "  # noqa: S608
            f"FROM {rows.table} s JOIN {table} h ON h.ref = s.referral_ref GROUP BY s.referral_ref"
        )
        cursor.execute(f"CREATE INDEX ON {order} (first)")
        cursor.execute(f"ANALYZE {order}")
    for batch in _keyset_pages(order, "first", "first, referral_ref", COMPARE_BATCH):
        yield [ref for _, ref in batch]


def _keyset_pages(table: str, key: str, columns: str, size: int) -> Iterator[list[tuple[Any, ...]]]:
    """``columns`` (``key`` first) of one of this import's own tables, ``size`` rows at a time in
    ``key`` order: keyset pages, so only one page is ever in memory."""
    after = 0
    while True:
        with connection.cursor() as cursor:
            # The table and columns are this module's own; values are parameters.
            cursor.execute(
                f"SELECT {columns} FROM {table} WHERE {key} > %s ORDER BY {key} LIMIT %s",  # noqa: S608
                [after, size],
            )
            batch = cursor.fetchall()
        if not batch:
            return
        after = batch[-1][0]
        yield batch


def _check_open_direct(plan: Plan, held: Held, errors: ErrorList) -> None:
    """A case has at most one direct intervention planned or ongoing (interventions' own rule)."""
    seen = Counter(held.open_direct)
    for row in plan.children.get(fmt.INTERVENTIONS, []):
        if row.values["type"] == DIRECT and row.values["status"] in OPEN_STATUSES:
            seen[row.referral_ref] += 1
            if seen[row.referral_ref] > 1:
                errors.add(
                    fmt.INTERVENTIONS,
                    row.line,
                    "status",
                    "the referral already has a direct intervention planned or ongoing: a case has one at a time",
                )


def person_pk_from_ref(ref: str) -> int | None:
    """The id in a ref the export made up for a person recorded without one (``MASIP-P000123``)."""
    match = PERSON_PK_REF.fullmatch(ref)
    return int(match.group(1)) if match else None


def person_export_ref(ref: str, pk: int) -> str:
    return ref or f"MASIP-P{pk:06d}"


def iter_chunks(values: Iterable[Any], size: int) -> Iterable[list[Any]]:
    chunk: list[Any] = []
    for value in values:
        chunk.append(value)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk
