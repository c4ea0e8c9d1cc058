"""Exporting a partnership as a data bundle, in exactly the format the import reads.

The rows are read from the real tables with a fixed number of queries per file (no query
per case) and streamed into the CSV files. The same row builders tell the importer what
the partnership already holds, so "the same" means the same thing in both directions.

What is exported:
- people.csv: everyone who is the main victim or the main perpetrator of one of the
  partnership's cases. A person recorded without the partnership's own id gets
  ``MASIP-P`` and their record number, which the import recognises.
- referrals.csv: every referral, its case's decision, tier, stalker type, clinic and
  closure; several crime references in the one column, separated by ``;``.
- risk_assessments.csv: completed SASH, DASH and SRP assessments, each once (an
  assessment corrected by an amendment is exported as amended).
- interventions.csv: every intervention, with the project's finer ``ending``.
- reoffending.csv: the re-offending records, and the re-offending the project detected
  (a new referral naming the perpetrator) that is still awaiting a decision.
- time_entries.csv, cost_accounts.csv, cost_lines.csv: the project's optional cost files,
  only for a partnership with time recorded or a cost account (so the export of one
  without is what it always was). Roles, never the names of staff; a victim's own costs
  (class ``victim_identity``) only for an exporter whose agency may see that class.

``pseudonymise`` leaves out names, dates of birth, PNC IDs, NHS numbers and crime
references, gives each person an age band instead of a date of birth (the band at their
first referral), and replaces every ref with a pseudonym: an HMAC of the ref with a key
of the partnership's own, so the same person has the same pseudonym in every export.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import hmac
import io
import zipfile
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.db import connections, transaction
from django.db.models import Exists, F, FilteredRelation, Min, OuterRef, Q
from django.utils import timezone

from agencies.models import Partnership
from cases.models import Case, CaseParty, CrimeReference, PartyRole, Person
from exchange import format as fmt
from exchange.validation import iter_chunks, person_export_ref
from followups.models import CandidateStatus, ReoffendingCandidate, ReoffendingRecord
from masip.replica import read_alias

Progress = Callable[[str], None]
CHUNK = 5000
FILTER_CHUNK = 10_000
SRP_ITEMS = {
    "srp_violence": "risk_of_violence",
    "srp_persistence": "persistence",
    "srp_recurrence": "recurrence",
    "srp_psychosocial_damage": "psychosocial_damage",
}


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


# --- the rows, as the bundle writes them -------------------------------------------------------------------------


def _main_parties() -> Q:
    return Q(role__in=(PartyRole.VICTIM, PartyRole.PERPETRATOR), is_primary=True)


def people_rows(
    *, partnership_id: int, person_ids: Iterable[int] | None = None, first_referral: bool = False
) -> Iterator[dict[str, Any]]:
    """people.csv rows (text cells), in record order, plus ``_pk`` and, with ``first_referral``,
    ``_first_received``: the date of the person's first referral as main victim or perpetrator."""
    if person_ids is not None and len(ids := sorted(set(person_ids))) > FILTER_CHUNK:
        # A long list of ids is looked up a slice at a time (what is held, for an import).
        for chunk in iter_chunks(ids, FILTER_CHUNK):
            yield from people_rows(partnership_id=partnership_id, person_ids=chunk, first_referral=first_referral)
        return
    qs = Person.objects.filter(partnership_id=partnership_id)
    if person_ids is None:
        main = CaseParty.objects.filter(_main_parties(), case__partnership_id=partnership_id, person_id=OuterRef("pk"))
        qs = qs.filter(Exists(main))
    else:
        qs = qs.filter(pk__in=sorted(set(person_ids)))
    firsts: dict[int, dt.date] = {}
    if first_referral:
        firsts = dict(
            CaseParty.objects.filter(_main_parties(), case__partnership_id=partnership_id)
            .order_by()
            .values("person_id")
            .annotate(first=Min("case__referral__received_on"))
            .values_list("person_id", "first")
        )
    for p in (
        qs.order_by("pk")
        .values("pk", "ref", "gender", "date_of_birth", "age_band", "pnc_id", "nhs_number", "given_name", "family_name")
        .iterator(chunk_size=CHUNK)
    ):
        yield {
            "_pk": p["pk"],
            "_first_received": firsts.get(p["pk"]),
            "person_ref": person_export_ref(p["ref"], p["pk"]),
            "gender": p["gender"],
            "date_of_birth": _text(p["date_of_birth"]),
            "age_band": p["age_band"],
            "pnc_id": p["pnc_id"],
            "nhs_number": p["nhs_number"],
            "given_name": p["given_name"],
            "family_name": p["family_name"],
        }


def _cases_with_parties(partnership_id: int) -> Any:
    return Case.objects.filter(partnership_id=partnership_id).annotate(
        victim=FilteredRelation("parties", condition=Q(parties__role=PartyRole.VICTIM, parties__is_primary=True)),
        perpetrator=FilteredRelation(
            "parties", condition=Q(parties__role=PartyRole.PERPETRATOR, parties__is_primary=True)
        ),
    )


def referral_rows(*, partnership_id: int, case_ids: Iterable[int] | None = None) -> Iterator[dict[str, Any]]:
    """referrals.csv rows, oldest referral first, plus ``_case_id``. One pass over the cases."""
    if case_ids is not None and len(ids := sorted(set(case_ids))) > FILTER_CHUNK:
        # A long list of ids is looked up a slice at a time (what is held, for an import).
        for chunk in iter_chunks(ids, FILTER_CHUNK):
            yield from referral_rows(partnership_id=partnership_id, case_ids=chunk)
        return
    qs = _cases_with_parties(partnership_id)
    references = CrimeReference.objects.filter(referral__partnership_id=partnership_id)
    if case_ids is not None:
        ids = list(case_ids)
        qs = qs.filter(pk__in=ids)
        references = references.filter(referral__case__in=ids)
    crime: dict[int, list[str]] = defaultdict(list)
    for referral_id, reference in references.order_by("reference").values_list("referral_id", "reference"):
        crime[referral_id].append(reference)
    rows = qs.order_by("referral__received_on", "referral__ref").values(
        "pk",
        "referral_id",
        "referral__ref",
        "referral__received_on",
        "referral__referring_agency_kind",
        "referral__offence",
        "referral__referral_reason",
        "referral__relationship",
        "decision",
        "decided_on",
        "tier",
        "stalker_type",
        "heard_at_clinic",
        "closed_on",
        *fmt.FACTOR_COLUMNS,
        victim_id=F("victim__person_id"),
        victim_ref=F("victim__person__ref"),
        perpetrator_id=F("perpetrator__person_id"),
        perpetrator_ref=F("perpetrator__person__ref"),
    )
    for r in rows.iterator(chunk_size=CHUNK):
        yield {
            "_case_id": r["pk"],
            "_victim_id": r["victim_id"],
            "_perpetrator_id": r["perpetrator_id"],
            "referral_ref": r["referral__ref"],
            "received_on": _text(r["referral__received_on"]),
            "referring_agency": r["referral__referring_agency_kind"],
            "crime_reference": fmt.CRIME_REFERENCE_SEPARATOR.join(sorted(set(crime.get(r["referral_id"], [])))),
            "offence": r["referral__offence"],
            "referral_reason": r["referral__referral_reason"],
            "victim_ref": person_export_ref(r["victim_ref"] or "", r["victim_id"]) if r["victim_id"] else "",
            "perpetrator_ref": (
                person_export_ref(r["perpetrator_ref"] or "", r["perpetrator_id"]) if r["perpetrator_id"] else ""
            ),
            "relationship": r["referral__relationship"],
            "decision": r["decision"],
            "decided_on": _text(r["decided_on"]),
            "tier": _text(r["tier"]),
            "stalker_type": r["stalker_type"],
            "heard_at_clinic": _text(r["heard_at_clinic"]),
            "closed_on": _text(r["closed_on"]),
            # Version 2: yes, no, or empty for not known.
            **{c: _yes_no(r[c]) for c in fmt.FACTOR_COLUMNS},
        }


def _yes_no(value: bool | None) -> str:
    return "" if value is None else "yes" if value else "no"


def victim_outcome_rows(*, partnership_id: int, case_ids: Iterable[int] | None = None) -> Iterator[dict[str, Any]]:
    """victim_outcomes.csv rows (version 2): the primary victim's answers, oldest first; of two on one
    day, in the order recorded (the evaluation reads the later as the day's)."""
    from advocacy.models import VictimOutcome

    if case_ids is not None and len(ids := sorted(set(case_ids))) > FILTER_CHUNK:
        for chunk in iter_chunks(ids, FILTER_CHUNK):
            yield from victim_outcome_rows(partnership_id=partnership_id, case_ids=chunk)
        return
    primary = CaseParty.objects.filter(
        case_id=OuterRef("case_id"), person_id=OuterRef("person_id"), role=PartyRole.VICTIM, is_primary=True
    )
    qs = VictimOutcome.objects.filter(case__partnership_id=partnership_id).filter(Exists(primary))
    if case_ids is not None:
        qs = qs.filter(case_id__in=list(case_ids))
    columns = ("case__referral__ref", "recorded_on", "feels_safe", "wellbeing", "incidents_last_month")
    for r in qs.order_by("case__referral__ref", "recorded_on", "pk").values(*columns).iterator(chunk_size=CHUNK):
        yield {
            "referral_ref": r["case__referral__ref"],
            "recorded_on": _text(r["recorded_on"]),
            "feels_safe": _text(r["feels_safe"]),
            "wellbeing": _text(r["wellbeing"]),
            "incidents_last_month": _text(r["incidents_last_month"]),
        }


def risk_rows(*, partnership_id: int, case_ids: Iterable[int] | None = None) -> Iterator[dict[str, Any]]:
    """risk_assessments.csv rows: completed SASH, DASH and SRP assessments not replaced by an amendment.

    Ordered so that, of several with the same instrument on the same day, the case's
    current one comes last: the import makes the last such row current.
    """
    if case_ids is not None and len(ids := sorted(set(case_ids))) > FILTER_CHUNK:
        # A long list of ids is looked up a slice at a time (what is held, for an import).
        for chunk in iter_chunks(ids, FILTER_CHUNK):
            yield from risk_rows(partnership_id=partnership_id, case_ids=chunk)
        return
    from risk.models import Answer, Assessment, Status

    qs = (
        Assessment.objects.filter(
            case__partnership_id=partnership_id, status=Status.COMPLETED, instrument__key__in=fmt.INSTRUMENTS
        )
        .exclude(amendment__status=Status.COMPLETED)
        .order_by("case__referral__ref", "instrument__key", "assessed_on", "is_current", "completed_at", "pk")
    )
    if case_ids is not None:
        qs = qs.filter(case_id__in=list(case_ids))
    rows = list(qs.values("pk", "case__referral__ref", "instrument__key", "assessed_on", "level", "score"))
    srp_ids = [r["pk"] for r in rows if r["instrument__key"] == "srp"]
    answers: dict[int, dict[str, str]] = defaultdict(dict)
    for chunk in iter_chunks(srp_ids, CHUNK):
        for assessment_id, key, value in Answer.objects.filter(
            assessment_id__in=chunk, item__key__in=SRP_ITEMS.values()
        ).values_list("assessment_id", "item__key", "value"):
            answers[assessment_id][key] = value
    for r in rows:
        instrument = r["instrument__key"]
        row = {
            "referral_ref": r["case__referral__ref"],
            "instrument": instrument,
            "assessed_on": _text(r["assessed_on"]),
            "sash_concern": "",
            "dash_yes_count": "",
            **dict.fromkeys(fmt.SRP_COLUMNS, ""),
        }
        if instrument == "sash":
            row["sash_concern"] = r["level"] if r["level"] in fmt.SASH_CONCERNS[:-1] else "not_completed"
        elif instrument == "dash":
            row["dash_yes_count"] = _text(r["score"])
        else:
            for column, item in SRP_ITEMS.items():
                value = answers[r["pk"]].get(item, "")
                row[column] = value if value in fmt.SRP_LEVELS else ""
        yield row


def intervention_rows(*, partnership_id: int, case_ids: Iterable[int] | None = None) -> Iterator[dict[str, Any]]:
    """interventions.csv rows, through the interventions app's own selector for its export."""
    from interventions.selectors import interventions_for_export

    if case_ids is not None and len(ids := sorted(set(case_ids))) > FILTER_CHUNK:
        for chunk in iter_chunks(ids, FILTER_CHUNK):
            yield from intervention_rows(partnership_id=partnership_id, case_ids=chunk)
        return

    qs = interventions_for_export(partnership_id=partnership_id)
    if case_ids is not None:
        qs = qs.filter(case_id__in=list(case_ids))
    for r in qs.values(
        "case__referral__ref",
        "type",
        "started_on",
        "ended_on",
        "status",
        "sessions_planned",
        "sessions_attended",
        "ending",
    ).iterator(chunk_size=CHUNK):
        yield {
            "referral_ref": r["case__referral__ref"],
            "type": r["type"],
            "started_on": _text(r["started_on"]),
            "ended_on": _text(r["ended_on"]),
            "status": r["status"],
            "sessions_planned": _text(r["sessions_planned"]),
            "sessions_attended": _text(r["sessions_attended"]),
            "ending": r["ending"],
        }


def reoffending_rows(*, partnership_id: int, case_ids: Iterable[int] | None = None) -> Iterator[dict[str, Any]]:
    """The re-offending records, and detected re-offending still awaiting a decision."""
    if case_ids is not None and len(ids := sorted(set(case_ids))) > FILTER_CHUNK:
        # A long list of ids is looked up a slice at a time (what is held, for an import).
        for chunk in iter_chunks(ids, FILTER_CHUNK):
            yield from reoffending_rows(partnership_id=partnership_id, case_ids=chunk)
        return
    records = ReoffendingRecord.objects.filter(case__partnership_id=partnership_id)
    detected = ReoffendingCandidate.objects.filter(case__partnership_id=partnership_id, status=CandidateStatus.PENDING)
    if case_ids is not None:
        ids = list(case_ids)
        records, detected = records.filter(case_id__in=ids), detected.filter(case_id__in=ids)
    columns = ("case__referral__ref", "occurred_on", "kind", "victim", "source", "offence")
    rows = [{**r, "crime_reference": r["crime_reference"]} for r in records.values(*columns, "crime_reference")]
    rows += [{**r, "crime_reference": ""} for r in detected.values(*columns)]
    rows.sort(key=lambda r: (r["case__referral__ref"], r["occurred_on"], r["kind"], r["victim"], r["source"]))
    for r in rows:
        yield {
            "referral_ref": r["case__referral__ref"],
            "occurred_on": _text(r["occurred_on"]),
            "kind": r["kind"],
            "victim": r["victim"],
            "source": r["source"],
            "offence": r["offence"],
            "crime_reference": r["crime_reference"],
        }


def time_entry_rows(*, partnership_id: int, case_ids: Iterable[int] | None = None) -> Iterator[dict[str, Any]]:
    """time_entries.csv rows: every entry of the partnership's cases, by role (no names)."""
    from costs.models import TimeEntry

    qs = TimeEntry.objects.filter(case__partnership_id=partnership_id)
    if case_ids is not None:
        qs = qs.filter(case_id__in=list(case_ids))
    columns = ("case__referral__ref", "occurred_on", "activity_kind", "cost_category", "role", "agency__kind")
    for r in (
        qs.order_by(*columns, "minutes", "pk")
        .values(*columns, "minutes", "staff_id", "imported_staff_time")
        .iterator(chunk_size=CHUNK)
    ):
        yield {
            "referral_ref": r["case__referral__ref"],
            "occurred_on": _text(r["occurred_on"]),
            "activity_kind": r["activity_kind"],
            "cost_category": r["cost_category"],
            "role": r["role"],
            "agency_kind": r["agency__kind"] or "",
            "minutes": _text(r["minutes"]),
            "staff": _text(r["staff_id"] is not None or r["imported_staff_time"]),
        }


def cost_account_rows(*, partnership_id: int, case_ids: Iterable[int] | None = None) -> Iterator[dict[str, Any]]:
    """cost_accounts.csv rows: each case's account, with the financial year of its rate card."""
    from costs.models import CostAccount

    qs = CostAccount.objects.filter(case__partnership_id=partnership_id)
    if case_ids is not None:
        qs = qs.filter(case_id__in=list(case_ids))
    for r in qs.order_by("case__referral__ref").values(
        "case__referral__ref", "rate_card__financial_year", "status", "period_months", "infrastructure", "finished_at"
    ):
        finished = r["finished_at"]
        yield {
            "referral_ref": r["case__referral__ref"],
            "financial_year": _text(r["rate_card__financial_year"]),
            "status": r["status"],
            "period_months": _text(r["period_months"]),
            "infrastructure": _text(r["infrastructure"]),
            "finished_on": _text(timezone.localtime(finished).date() if finished else None),
        }


LINE_COLUMNS = ("role", "hours", "hourly_rate", "quantity", "unit_amount", "qaly_loss", "value_of_year", "amount")


def cost_line_rows(
    *, partnership_id: int, case_ids: Iterable[int] | None = None, victim_costs: bool = True
) -> Iterator[dict[str, Any]]:
    """cost_lines.csv rows: the lines of what happened (``part`` happened) and the scenarios'
    costs avoided (``best``, ``worst``), each with the figures copied into it.

    Without ``victim_costs`` only the state's lines are written: a victim's own costs are
    class victim_identity, and a cost to society (not split) or a total would give them
    away by subtraction, as the account's page withholds them.
    """
    from costs.models import Bearer, CostLine, ScenarioItem

    lines = CostLine.objects.filter(account__case__partnership_id=partnership_id)
    items = ScenarioItem.objects.filter(scenario__account__case__partnership_id=partnership_id)
    if case_ids is not None:
        ids = list(case_ids)
        lines, items = lines.filter(account__case_id__in=ids), items.filter(scenario__account__case_id__in=ids)
    if not victim_costs:
        lines, items = lines.filter(bearer=Bearer.STATE), items.filter(bearer=Bearer.STATE)
    common = ("bearer", "kind", "label", "source", "quantity", "unit_amount", "qaly_loss", "value_of_year", "amount")
    found = [
        {**r, "part": "happened", "ref": r.pop("account__case__referral__ref")}
        for r in lines.values("account__case__referral__ref", "pk", "category", "role", "hours", "hourly_rate",
                              "unit_cost__key", *common)
    ]  # fmt: skip
    found += [
        {**r, "part": r.pop("scenario__kind"), "ref": r.pop("scenario__account__case__referral__ref"), "category": "",
         "role": "", "hours": None, "hourly_rate": None}
        for r in items.values("scenario__account__case__referral__ref", "scenario__kind", "pk", "unit_cost__key",
                              *common)
    ]  # fmt: skip
    found.sort(key=lambda r: (r["ref"], fmt.LINE_PARTS.index(r["part"]), r["pk"]))
    for r in found:
        yield {
            "referral_ref": r["ref"],
            "part": r["part"],
            "category": r["category"],
            "bearer": r["bearer"],
            "kind": r["kind"],
            "label": r["label"],
            "unit_cost": r["unit_cost__key"] or "",
            **{column: _text(r[column]) for column in LINE_COLUMNS},
            "source": r["source"],
        }


def has_cost_data(partnership_id: int) -> bool:
    from costs.models import CostAccount, TimeEntry

    return (
        TimeEntry.objects.filter(case__partnership_id=partnership_id).exists()
        or CostAccount.objects.filter(case__partnership_id=partnership_id).exists()
    )


# --- pseudonyms ----------------------------------------------------------------------------------------------------


class Pseudonymiser:
    """Stable pseudonyms: an HMAC-SHA256 of the ref, keyed per partnership.

    The key is derived from ``settings.MASIP_PSEUDONYM_KEY`` when the deployment sets one
    (so pseudonyms survive a change of ``SECRET_KEY``), else from ``SECRET_KEY``, and the
    partnership's id: the same ref gives the same pseudonym in every export of the
    partnership, and different partnerships' exports cannot be joined by pseudonym.
    """

    def __init__(self, partnership: Partnership) -> None:
        base = (getattr(settings, "MASIP_PSEUDONYM_KEY", "") or settings.SECRET_KEY).encode()
        self._key = hmac.new(base, f"masip-bundle-pseudonyms:{partnership.pk}".encode(), hashlib.sha256).digest()
        self._seen: dict[str, str] = {}

    def _make(self, kind: str, ref: str) -> str:
        digest = hmac.new(self._key, f"{kind}\x00{ref}".encode(), hashlib.sha256).hexdigest()[:16].upper()
        pseudonym = f"{kind[0].upper()}-{digest}"
        clash = self._seen.setdefault(pseudonym, f"{kind}:{ref}")
        if clash != f"{kind}:{ref}":
            raise RuntimeError("Two refs gave the same pseudonym; export again with a longer pseudonym")
        return pseudonym

    def person(self, ref: str) -> str:
        return self._make("person", ref) if ref else ""

    def referral(self, ref: str) -> str:
        return self._make("referral", ref) if ref else ""


def age_band_on(date_of_birth: dt.date, on: dt.date) -> str:
    years = relativedelta(on, date_of_birth).years
    for limit, band in ((25, "under_25"), (35, "25_34"), (45, "35_44"), (55, "45_54"), (65, "55_64")):
        if years < limit:
            return band
    return "65_plus"


@contextmanager
def snapshot() -> Iterator[None]:
    """One transaction whose every query sees the same committed data (REPEATABLE READ).

    The files are read with several queries; without one snapshot, a referral recorded
    between two of them could appear in referrals.csv with its people missing from
    people.csv. Inside an enclosing transaction (a test) the enclosing one is used. Inside
    ``use_replica()`` it is a transaction on the replica (masip/replica.py).
    """
    alias = read_alias()
    connection = connections[alias]
    outer = connection.in_atomic_block
    with transaction.atomic(using=alias):
        if not outer:
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        yield


# --- writing ---------------------------------------------------------------------------------------------------------


@dataclass
class ExportSummary:
    rows: dict[str, int] = field(default_factory=dict)
    case_ids: list[int] = field(default_factory=list)
    pseudonymised: bool = False


def columns_for(name: str, *, pseudonymise: bool) -> tuple[str, ...]:
    spec = fmt.SPECS[name]
    return tuple(
        c.name
        for c in spec.columns
        if not (pseudonymise and (c.identifying or (name == fmt.PEOPLE and c.name == "date_of_birth")))
    )


class _Writer:
    def __init__(self, stream: IO[str], columns: tuple[str, ...]) -> None:
        self._csv = csv.writer(stream, lineterminator="\r\n")
        self._columns = columns
        self._csv.writerow(columns)
        self.count = 0

    def write(self, row: dict[str, Any]) -> None:
        self._csv.writerow([fmt.escape_cell(_text(row.get(c, ""))) for c in self._columns])
        self.count += 1


@dataclass(frozen=True)
class Withheld:
    """Cases an export leaves out (restricted cases the exporting admin holds no grant for),
    by referral ref, and the people who appear as a main party in those cases only."""

    referral_refs: frozenset[str] = frozenset()
    person_ids: frozenset[int] = frozenset()
    # In an identifiable export for evaluators: victims without research consent in force. Their
    # names, identifiers and date of birth are left out (an age band instead), their ref is a
    # pseudonym, and their referrals' crime references are left out (they lead back to her).
    unnamed_person_ids: frozenset[int] = frozenset()

    def unnamed(self, person_ids: Iterable[int]) -> Withheld:
        return Withheld(
            referral_refs=self.referral_refs, person_ids=self.person_ids, unnamed_person_ids=frozenset(person_ids)
        )

    @classmethod
    def cases(cls, case_ids: Iterable[int]) -> Withheld:
        ids = set(case_ids)
        if not ids:
            return cls()
        elsewhere = CaseParty.objects.filter(_main_parties()).exclude(case_id__in=ids).values("person_id")
        return cls(
            referral_refs=frozenset(Case.objects.filter(pk__in=ids).values_list("referral__ref", flat=True)),
            person_ids=frozenset(
                CaseParty.objects.filter(_main_parties(), case_id__in=ids)
                .exclude(person_id__in=elsewhere)
                .values_list("person_id", flat=True)
            ),
        )


def _bundle_rows(
    name: str,
    partnership: Partnership,
    pseudonymiser: Pseudonymiser | None,
    summary: ExportSummary,
    withheld: Withheld,
    victim_costs: bool = True,
) -> Iterator[dict[str, Any]]:
    pid = partnership.pk
    unnamed = withheld.unnamed_person_ids
    # The refs of unnamed victims become pseudonyms, the same in people.csv and referrals.csv.
    veil = Pseudonymiser(partnership) if unnamed and pseudonymiser is None else None
    if name == fmt.PEOPLE:
        for row in people_rows(partnership_id=pid, first_referral=pseudonymiser is not None or bool(unnamed)):
            if row["_pk"] in withheld.person_ids:
                continue
            if veil is not None and row["_pk"] in unnamed:
                born = dt.date.fromisoformat(row["date_of_birth"]) if row["date_of_birth"] else None
                if born is not None and row["_first_received"] is not None:
                    row["age_band"] = age_band_on(born, row["_first_received"])
                for column in ("date_of_birth", "pnc_id", "nhs_number", "given_name", "family_name"):
                    row[column] = ""
                row["person_ref"] = veil.person(row["person_ref"])
            if pseudonymiser is not None:
                born = dt.date.fromisoformat(row["date_of_birth"]) if row["date_of_birth"] else None
                if born is not None and row["_first_received"] is not None:
                    row["age_band"] = age_band_on(born, row["_first_received"])
                row["person_ref"] = pseudonymiser.person(row["person_ref"])
            yield row
        return
    if name == fmt.REFERRALS:
        for row in referral_rows(partnership_id=pid):
            if row["referral_ref"] in withheld.referral_refs:
                continue
            summary.case_ids.append(row["_case_id"])
            if veil is not None and row["_victim_id"] in unnamed:
                row["victim_ref"] = veil.person(row["victim_ref"])
                row["crime_reference"] = ""
            if veil is not None and row["_perpetrator_id"] in unnamed:
                # A victim elsewhere named as this case's perpetrator is unnamed here too.
                row["perpetrator_ref"] = veil.person(row["perpetrator_ref"])
                row["crime_reference"] = ""
            if pseudonymiser is not None:
                row["referral_ref"] = pseudonymiser.referral(row["referral_ref"])
                row["victim_ref"] = pseudonymiser.person(row["victim_ref"])
                row["perpetrator_ref"] = pseudonymiser.person(row["perpetrator_ref"])
            yield row
        return
    builders: dict[str, Callable[..., Iterator[dict[str, Any]]]] = {
        fmt.RISK: risk_rows,
        fmt.INTERVENTIONS: intervention_rows,
        fmt.REOFFENDING: reoffending_rows,
        fmt.VICTIM_OUTCOMES: victim_outcome_rows,
        fmt.TIME_ENTRIES: time_entry_rows,
        fmt.COST_ACCOUNTS: cost_account_rows,
    }
    rows = (
        cost_line_rows(partnership_id=pid, victim_costs=victim_costs)
        if name == fmt.COST_LINES
        else builders[name](partnership_id=pid)
    )
    for row in rows:
        if row["referral_ref"] in withheld.referral_refs:
            continue
        if pseudonymiser is not None:
            row["referral_ref"] = pseudonymiser.referral(row["referral_ref"])
        yield row


def write_bundle(
    *,
    partnership: Partnership,
    open_file: Callable[[str], IO[str]],
    pseudonymise: bool = False,
    progress: Progress | None = None,
    withheld: Withheld | None = None,
    victim_costs: bool = True,
) -> ExportSummary:
    """Write the five files and victim_outcomes.csv (bundle version 2) through ``open_file(name)``
    (a text stream the caller closes), and the three cost files when the partnership has cost
    data. ``victim_costs`` False: the exporter's agency may not see victim_identity, so victims'
    own costs and their outcomes are left out."""
    summary = ExportSummary(pseudonymised=pseudonymise)
    pseudonymiser = Pseudonymiser(partnership) if pseudonymise else None
    # The victim's outcomes are victim_identity: left out (not even an empty file) for an exporter
    # whose agency may not see it, as the victims' own costs are.
    names = (
        fmt.FILES + (fmt.V2_FILES if victim_costs else ()) + (fmt.COST_FILES if has_cost_data(partnership.pk) else ())
    )
    for name in names:
        stream = open_file(name)
        try:
            writer = _Writer(stream, columns_for(name, pseudonymise=pseudonymise))
            for row in _bundle_rows(
                name, partnership, pseudonymiser, summary, withheld or Withheld(), victim_costs=victim_costs
            ):
                writer.write(row)
        finally:
            stream.close()
        summary.rows[name] = writer.count
        if progress is not None:
            progress(f"{name}: {writer.count:,} rows")
    return summary


def export_to_path(
    *,
    partnership: Partnership,
    path: Path,
    pseudonymise: bool = False,
    progress: Progress | None = None,
    withheld: Withheld | None = None,
    victim_costs: bool = True,
) -> ExportSummary:
    """A folder, or a ``.zip`` when the path ends in .zip. Nothing already there is overwritten."""
    if path.suffix.lower() == ".zip":
        if path.exists():
            raise FileExistsError(f"{path} already exists")
        with zipfile.ZipFile(path, "x", compression=zipfile.ZIP_DEFLATED) as archive:
            return export_to_zip(
                partnership=partnership,
                archive=archive,
                pseudonymise=pseudonymise,
                progress=progress,
                withheld=withheld,
                victim_costs=victim_costs,
            )
    if path.exists() and (not path.is_dir() or any(path.iterdir())):
        raise FileExistsError(f"{path} exists and is not an empty folder")
    path.mkdir(parents=True, exist_ok=True)
    return write_bundle(
        partnership=partnership,
        open_file=lambda name: (path / name).open("w", encoding="utf-8", newline=""),
        pseudonymise=pseudonymise,
        progress=progress,
        withheld=withheld,
        victim_costs=victim_costs,
    )


def export_to_zip(
    *,
    partnership: Partnership,
    archive: zipfile.ZipFile,
    pseudonymise: bool = False,
    progress: Progress | None = None,
    withheld: Withheld | None = None,
    victim_costs: bool = True,
) -> ExportSummary:
    folder = f"{partnership.slug}{'-pseudonymised' if pseudonymise else ''}"

    def open_file(name: str) -> IO[str]:
        return io.TextIOWrapper(archive.open(f"{folder}/{name}", "w", force_zip64=True), encoding="utf-8", newline="")

    return write_bundle(
        partnership=partnership,
        open_file=open_file,
        pseudonymise=pseudonymise,
        progress=progress,
        withheld=withheld,
        victim_costs=victim_costs,
    )
