"""The partnership data bundle: import all or nothing, every error reported, idempotence, the
round trip, the pseudonymised export, safe cells, sharing, history and the access log."""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from agencies.models import Agency, AgencyKind, Partnership
from audit.models import AccessAction, AccessLog
from cases import selectors
from cases.models import (
    Case,
    CaseEvent,
    CaseGroupObjectPermission,
    CaseParty,
    CaseStatus,
    CrimeReference,
    EventKind,
    Person,
    Referral,
)
from exchange import format as fmt
from exchange.exporter import export_to_path
from exchange.importer import import_bundle
from followups.models import ReoffendingCandidate, ReoffendingRecord
from reporting import evaluation as ev
from tests.exchange_bundle_data import AS_OF, FILES, IDENTIFYING, write_bundle
from tests.factories import World

pytestmark = pytest.mark.django_db


def run_import(source: Any, slug: str = "north", create: str = "North", **kwargs: Any) -> Any:
    return import_bundle(source=source, partnership_slug=slug, create_name=create, **kwargs)


def tables(slug: str) -> dict[str, Any]:
    data = ev.evaluation_tables(partnership=Partnership.objects.get(slug=slug), period=ev.Period(as_of=AS_OF))
    data.pop("partnership")
    return data


def read(folder: Path, name: str) -> list[dict[str, str]]:
    with (folder / name).open(encoding="utf-8", newline="") as stream:
        return list(csv.DictReader(stream))


def counts() -> dict[str, int]:
    return {
        "people": Person.objects.count(),
        "referrals": Referral.objects.count(),
        "cases": Case.objects.count(),
        "reoffending": ReoffendingRecord.objects.count(),
        "partnerships": Partnership.objects.count(),
    }


# --- errors -----------------------------------------------------------------------------------------------------------


def test_errors_in_three_files_are_all_reported_and_nothing_is_written(tmp_path: Path) -> None:
    files = dict(FILES)
    files["people.csv"] = (
        FILES["people.csv"]
        .replace("V2,female,,25_34", "V2,femail,,25_34")
        .replace("P2,male,1994-03-02,,,9434765919", "P2,male,1994-03-02,,,9434765918")
    )
    files["referrals.csv"] = (
        FILES["referrals.csv"]
        .replace("C3,2019-12-20,probation,,s2_harassment,post_sentence,V3,P3,acquaintance,accepted,2019-12-31",
                 "C3,2019-12-20,probation,,s2_harassment,post_sentence,V3,P3,acquaintance,accepted,")
        .replace("C4,2019-12-28,health,,other,other,V4,P4", "C4,2019-12-28,health,,other,other,V44,P4")
        .replace("N4,2020-06-01,self", "N4,2020-13-01,Self")
    )  # fmt: skip
    files["interventions.csv"] = FILES["interventions.csv"].replace(
        "C7,perpetrator_direct_intervention,2019-06-01,2019-07-01,dropped_out,12,3",
        "C7,perpetrator_direct_intervention,2019-06-01,2019-07-01,ongoing,12,13",
    )
    before = counts()
    result = run_import(write_bundle(tmp_path / "bad", files))
    assert [str(e) for e in result.errors] == [
        "people.csv:4: gender: 'femail' is not one of: female, male, other, unknown",
        "people.csv:5: nhs_number: is not a valid 10-digit NHS number",
        "referrals.csv:4: decided_on: is required when the decision is accepted",
        "referrals.csv:5: victim_ref: no person 'V44' in people.csv or already held by the partnership",
        "referrals.csv:13: received_on: '2020-13-01' is not a real date",
        "referrals.csv:13: referring_agency: 'Self' is not one of: police, probation, health, advocacy, helpline, "
        "marac, self, other",
        "interventions.csv:4: ended_on: must be empty while the intervention is ongoing",
        "interventions.csv:4: sessions_attended: is more than the sessions planned (12)",
    ]
    assert counts() == before  # not even the partnership --create would have made


@pytest.mark.parametrize("again", [False, True])
def test_a_child_row_whose_referral_ref_failed_its_check_is_reported_by_its_line(tmp_path: Path, again: bool) -> None:
    # The rows of the child files are kept in staging tables until the write: a ref that is
    # not text (empty, or not storable) must come back as the same failed cell, checked once.
    if again:
        assert run_import(write_bundle(tmp_path / "first")).ok
    files = dict(FILES)
    files["interventions.csv"] = FILES["interventions.csv"].replace(
        "C3,perpetrator_direct_intervention,2020-01-10", ",perpetrator_direct_intervention,2020-01-10"
    )
    files["reoffending.csv"] = FILES["reoffending.csv"].replace("C2,2019-06-01", "C\x012,2019-06-01")
    before = counts()
    result = run_import(write_bundle(tmp_path / "bad", files), create="" if again else "North")
    assert [str(e) for e in result.errors] == [
        "interventions.csv:3: referral_ref: a value is required",
        "reoffending.csv:3: referral_ref: contains a control character (U+0001), which cannot be stored",
    ]
    assert counts() == before


def test_a_duplicate_ref_is_reported_by_its_first_line_within_and_across_staged_batches(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The rows of people.csv and referrals.csv are staged a batch at a time: a ref seen in an
    # earlier batch, or earlier in the same one, is a duplicate, and its row's own rules are not
    # applied (the PNC ID and the decision date below would be errors of a row of its own).
    from exchange import validation

    monkeypatch.setattr(validation, "STAGE_BATCH", 2)
    files = dict(FILES)
    files["people.csv"] = FILES["people.csv"] + "P1,male,,,not-a-pnc,,Darren,Cole\n"
    files["referrals.csv"] = FILES["referrals.csv"] + (
        "C1,2019-01-10,police,,s4a_stalking,arrest,V1,P1,ex_intimate,accepted,2019-01-01,1,rejected,yes,\n"
        "C9,2019-01-10,police,,s4a_stalking,arrest,V1,P2,ex_intimate,accepted,2019-01-15,1,rejected,yes,\n"
        "C9,2019-01-10,police,,s4a_stalking,arrest,V1,P2,ex_intimate,accepted,2019-01-01,1,rejected,yes,\n"
    )
    before = counts()
    result = run_import(write_bundle(tmp_path / "dup", files))
    assert [str(e) for e in result.errors] == [
        "people.csv:27: person_ref: duplicate of line 3",
        "referrals.csv:15: referral_ref: duplicate of line 2",
        "referrals.csv:17: referral_ref: duplicate of line 16",
    ]
    assert counts() == before


def test_the_command_prints_every_error_and_exits_non_zero(tmp_path: Path) -> None:
    files = dict(FILES)
    files["risk_assessments.csv"] = FILES["risk_assessments.csv"].replace(
        "C1,dash,2019-01-12,,15", "C1,dash,2019-01-12,,28"
    )
    files["reoffending.csv"] = FILES["reoffending.csv"] + "C9,2019-07-01,persistence,same,victim,other\n"
    err = io.StringIO()
    with pytest.raises(CommandError) as raised:
        call_command("import_bundle", str(write_bundle(tmp_path / "b", files)), "--partnership", "north",
                     "--create", "North", stderr=err, stdout=io.StringIO())  # fmt: skip
    assert raised.value.returncode == 1
    assert "2 errors: nothing was imported" in str(raised.value)
    assert err.getvalue().splitlines() == [
        "risk_assessments.csv:4: dash_yes_count: must be from 0 to 27",
        "reoffending.csv:11: referral_ref: no referral 'C9' in referrals.csv or already held by the partnership",
    ]
    assert not Partnership.objects.filter(slug="north").exists()


def test_headers_files_and_encodings(tmp_path: Path) -> None:
    files = {
        "referrals.csv": FILES["referrals.csv"].replace("referring_agency,", "referrer,", 1),
        "people.csv": FILES["people.csv"],
        "risk.csv": "referral_ref\n",
        "interventions.csv": "",
    }
    folder = write_bundle(tmp_path / "b", files)
    (folder / "reoffending.csv").write_bytes(b"referral_ref,occurred_on\nC1,2019-04-14\nC2,\xff2019\n")
    result = run_import(folder)
    assert [str(e) for e in result.errors] == [
        "risk.csv:0: -: not a file of the bundle format (its files are: people.csv, referrals.csv, "
        "risk_assessments.csv, interventions.csv, reoffending.csv, victim_outcomes.csv, time_entries.csv, "
        "cost_accounts.csv, cost_lines.csv)",
        f"referrals.csv:1: referrer: not a column of referrals.csv (its columns are: "
        f"{', '.join(fmt.SPECS['referrals.csv'].names)})",
        "referrals.csv:1: referring_agency: the column is missing from the header",
        "interventions.csv:1: -: the file is empty: a header row is required",
        "reoffending.csv:3: occurred_on: is not UTF-8 text (save the file as CSV UTF-8)",
    ]
    assert [str(e) for e in run_import(tmp_path / "nowhere").errors] == [
        f"{tmp_path / 'nowhere'}:0: -: no such folder or file"
    ]


def test_a_bundle_without_referrals_csv(tmp_path: Path) -> None:
    result = run_import(write_bundle(tmp_path / "b", {"people.csv": FILES["people.csv"]}))
    assert [str(e) for e in result.errors] == ["referrals.csv:0: -: the bundle has no referrals.csv, which is required"]


def test_a_partnership_that_does_not_exist_needs_create(tmp_path: Path) -> None:
    result = run_import(write_bundle(tmp_path / "b"), slug="nowhere", create="")
    assert [str(e) for e in result.errors] == [
        "-:0: --partnership: no partnership 'nowhere': give --create \"Name\" to create it"
    ]


# --- a good import ---------------------------------------------------------------------------------------------------


def test_import_creates_the_partnership_cases_shared_with_its_core_agencies(tmp_path: Path) -> None:
    result = run_import(write_bundle(tmp_path / "b"))
    assert result.ok and result.partnership_created
    assert dict(result.created) == {
        "people.csv": 25, "referrals.csv": 13, "risk_assessments.csv": 11, "interventions.csv": 16,
        "reoffending.csv": 9,
    }  # fmt: skip
    partnership = Partnership.objects.get(slug="north")
    agencies = {a.kind: a for a in Agency.objects.filter(partnership=partnership)}
    assert set(agencies) == set(AgencyKind.values)
    core = {kind for kind, agency in agencies.items() if agency.is_core}
    assert core == {"police", "probation", "health", "advocacy"}
    c2 = Case.objects.select_related("referral").get(referral__ref="C2")
    shared_with = set(
        CaseGroupObjectPermission.objects.filter(content_object=c2, permission__codename="view_case").values_list(
            "group__agency__kind", flat=True
        )
    )
    assert shared_with == core
    # As the bundle has it: a closed accepted case, its references and people.
    assert (c2.status, c2.decision, c2.decided_on, c2.tier, c2.closed_on) == (
        CaseStatus.CLOSED, "accepted", dt.date(2019, 3, 1), 2, dt.date(2020, 1, 31),
    )  # fmt: skip
    assert sorted(CrimeReference.objects.filter(referral=c2.referral).values_list("reference", flat=True)) == [
        "CH/200/19", "CH/201/19",
    ]  # fmt: skip
    statuses = dict(Case.objects.filter(partnership=partnership).values_list("referral__ref", "status"))
    assert statuses["C1"] == CaseStatus.ACTIVE
    assert statuses["N1"] == CaseStatus.DECLINED
    assert statuses["N4"] == CaseStatus.AWAITING_TRIAGE
    perpetrator = Person.objects.get(partnership=partnership, ref="P1")
    assert CaseParty.objects.filter(person=perpetrator, role="perpetrator", is_primary=True).count() == 2  # C1, C6
    assert perpetrator.pnc_id == "19/123456A" and perpetrator.name_normalised == "darren cole"
    assert CaseEvent.objects.filter(case=c2, summary__contains="imported from a partnership data bundle").exists()


def test_imported_cases_are_in_the_agencies_caseloads(tmp_path: Path) -> None:
    run_import(write_bundle(tmp_path / "b"))
    partnership = Partnership.objects.get(slug="north")
    from agencies.services import staff_create

    police = Agency.objects.get(partnership=partnership, kind="police")
    cps = Agency.objects.get(partnership=partnership, kind="cps")
    officer = staff_create(email="officer@north.test", first_name="A", last_name="B", agency=police,
                           role="triage_officer")  # fmt: skip
    lawyer = staff_create(email="cps@north.test", first_name="C", last_name="D", agency=cps, role="triage_officer")
    case = Case.objects.get(referral__ref="C1")
    assert selectors.case_get_for_user(user=officer, case_id=case.pk) == case
    from django.http import Http404

    with pytest.raises(Http404):
        selectors.case_get_for_user(user=lawyer, case_id=case.pk)


def test_current_risk_and_assessments(tmp_path: Path) -> None:
    from risk.models import Assessment

    run_import(write_bundle(tmp_path / "b"))
    c1 = Case.objects.get(referral__ref="C1")
    current = {a.instrument.key: a for a in Assessment.objects.filter(case=c1, is_current=True)}
    assert current["sash"].level == "moderate" and current["sash"].assessed_on == dt.date(2019, 3, 1)
    assert (current["dash"].score, current["dash"].level) == (15, "high")  # 14 or more: high
    assert current["srp"].level == "high"  # the highest of violence, persistence and recurrence
    assert c1.current_risk == "high"
    assert Case.objects.get(referral__ref="C7").current_risk == "low"
    # The SRP's review is due six months on, and the case (open) shows it as due.
    assert current["srp"].review_due_on == dt.date(2019, 8, 1)
    assert c1.next_due_on == dt.date(2019, 8, 1)


def test_dry_run_writes_nothing(tmp_path: Path) -> None:
    before = counts()
    result = run_import(write_bundle(tmp_path / "b"), dry_run=True)
    assert result.ok and result.created["referrals.csv"] == 13
    assert counts() == before
    # Nothing was held to compare with, so there was no look at anyone's records.
    assert not AccessLog.objects.filter(purpose__contains="dry run").exists()


def test_a_dry_run_against_held_records_is_in_the_access_log(tmp_path: Path) -> None:
    run_import(write_bundle(tmp_path / "first"))
    files = dict(FILES)
    files["referrals.csv"] += "C9,2020-06-10,police,,s2a_stalking,arrest,V1,P1,ex_intimate,pending,,,,,\n"
    result = run_import(write_bundle(tmp_path / "second", files), dry_run=True)
    assert result.ok and result.created["referrals.csv"] == 1
    rows = AccessLog.objects.filter(action=AccessAction.VIEW, purpose__contains="dry run into north")
    assert {row.record_type for row in rows} == {"cases.case", "cases.person"}
    held_cases = Case.objects.filter(partnership__slug="north").values_list("pk", flat=True)
    assert sorted(map(int, rows.get(record_type="cases.case").record_ids)) == sorted(held_cases)
    # A dry run that finds errors is still a dry run to an auditor, not an attempted import.
    files["referrals.csv"] = files["referrals.csv"].replace("C9,2020-06-10,police", "C9,2020-06-10,hospital")
    assert not run_import(write_bundle(tmp_path / "third", files), dry_run=True).ok
    assert AccessLog.objects.filter(purpose__contains="dry run (with errors) into north").count() == 2
    assert not AccessLog.objects.filter(purpose__contains="refused import").exists()


def test_a_zip_of_the_folder(tmp_path: Path) -> None:
    path = tmp_path / "bundle.zip"
    with zipfile.ZipFile(path, "w") as archive:
        for name, text in FILES.items():
            archive.writestr(f"north-bundle/{name}", text)
        archive.writestr("__MACOSX/north-bundle/._people.csv", "junk")
    result = run_import(path)
    assert result.ok, [str(e) for e in result.errors]
    assert Case.objects.filter(partnership__slug="north").count() == 13


# --- idempotence --------------------------------------------------------------------------------------------------


def test_importing_the_same_bundle_twice_creates_nothing_new(tmp_path: Path) -> None:
    folder = write_bundle(tmp_path / "b")
    run_import(folder)
    from risk.models import Assessment

    before = {**counts(), "assessments": Assessment.objects.count(), "events": CaseEvent.objects.count()}
    again = run_import(folder)
    assert again.ok
    assert sum(again.created.values()) == 0
    assert dict(again.already_held) == {
        "people.csv": 25, "referrals.csv": 13, "risk_assessments.csv": 11, "interventions.csv": 16,
        "reoffending.csv": 9,
    }  # fmt: skip
    assert {**counts(), "assessments": Assessment.objects.count(), "events": CaseEvent.objects.count()} == before


def test_a_later_bundle_adds_only_what_is_new(tmp_path: Path) -> None:
    run_import(write_bundle(tmp_path / "first"))
    files = dict(FILES)
    files["referrals.csv"] += "C9,2020-06-10,police,,s2a_stalking,arrest,V1,P1,ex_intimate,pending,,,,,\n"
    files["reoffending.csv"] += "C7,2020-06-01,recurrence,new,police,s2a_stalking\n"
    result = run_import(write_bundle(tmp_path / "second", files))
    assert result.ok
    assert dict(result.created) == {
        "people.csv": 0, "referrals.csv": 1, "risk_assessments.csv": 0, "interventions.csv": 0, "reoffending.csv": 1,
    }  # fmt: skip
    c9 = Case.objects.get(referral__ref="C9")
    assert set(CaseParty.objects.filter(case=c9).values_list("person__ref", flat=True)) == {"V1", "P1"}
    assert ReoffendingRecord.objects.filter(case__referral__ref="C7").count() == 1
    # C7 was held: its timeline says records were added, not that a referral arrived again.
    c7_events = CaseEvent.objects.filter(case__referral__ref="C7").order_by("pk")
    assert [(e.kind, e.summary) for e in c7_events][-1] == (
        EventKind.IMPORTED,
        "1 record added from a partnership data bundle",
    )
    assert c7_events.filter(kind=EventKind.REFERRED).count() == 1
    assert [e.kind for e in CaseEvent.objects.filter(case=c9)] == [EventKind.REFERRED]
    # The access log names the new case and the held case it added to, in order of id.
    c7 = Case.objects.get(referral__ref="C7")
    entry = AccessLog.objects.filter(action=AccessAction.CREATE, purpose__contains="/second)").get()
    assert entry.record_ids == [str(c7.pk), str(c9.pk)]


def test_a_ref_of_a_person_merged_twice_resolves_to_the_last_survivor(tmp_path: Path) -> None:
    # person_merge refuses to merge a record that is merged already, but not into a record
    # that others were merged into, so chains arise: P1 into a record made in the service
    # (which has no ref), then that record into P3.
    run_import(write_bundle(tmp_path / "first"))
    p1, p3 = Person.objects.get(ref="P1"), Person.objects.get(ref="P3")
    middle = Person.objects.create(partnership_id=p1.partnership_id, given_name="Darren", family_name="Cole")
    Person.objects.filter(pk=p1.pk).update(merged_into=middle)
    Person.objects.filter(pk=middle.pk).update(merged_into=p3)
    files = dict(FILES)
    files["referrals.csv"] += "C9,2020-06-10,police,,s2a_stalking,arrest,V1,P1,ex_intimate,pending,,,,,\n"
    # No people.csv row for P1 (it would be checked against P3's, which differs here because
    # the test merged different people); the new referral still names P1.
    files["people.csv"] = "".join(
        line for line in FILES["people.csv"].splitlines(keepends=True) if not line.startswith("P1,")
    )
    result = run_import(write_bundle(tmp_path / "second", files))
    assert result.ok, result.errors
    c9 = Case.objects.get(referral__ref="C9")
    assert CaseParty.objects.get(case=c9, role="perpetrator").person_id == p3.pk


def test_an_import_never_changes_what_is_held(tmp_path: Path) -> None:
    run_import(write_bundle(tmp_path / "first"))
    files = dict(FILES)
    c1 = "C1,2019-01-10,police,CH/100/19,s4a_stalking,arrest,V1,P1,ex_intimate,accepted,2019-01-15,"
    files["referrals.csv"] = FILES["referrals.csv"].replace(c1 + "1,", c1 + "3,")
    files["people.csv"] = FILES["people.csv"].replace(",Hannah,Mills", ",Hanna,Mills")
    c3 = "C3,perpetrator_direct_intervention,2020-01-10,,ongoing,12,"
    files["interventions.csv"] = FILES["interventions.csv"].replace(c3 + "4", c3 + "6")
    # An empty cell is "not known": it contradicts nothing.
    files["people.csv"] = files["people.csv"].replace("P1,male,1994-01-10,,19/123456A,,Darren,Cole", "P1,,,,,,,")
    result = run_import(write_bundle(tmp_path / "second", files))
    never = "an import adds records and never changes them: correct the record in the service"
    suffix = f"differs from the record already held; {never}"
    assert [str(e) for e in result.errors] == [
        f"people.csv:2: given_name: {suffix}",
        f"referrals.csv:2: tier: {suffix}",
        "interventions.csv:3: -: an intervention of this referral of this type starting on this date is already held "
        f"with other values; {never}",
    ]
    assert Case.objects.get(referral__ref="C1").tier == 1
    # Nothing was written, but the held records were read and compared: that is logged.
    logged = {
        row.record_type: row
        for row in AccessLog.objects.filter(action=AccessAction.VIEW, purpose__contains="refused import into north")
    }
    held_cases = Case.objects.filter(partnership__slug="north").values_list("pk", flat=True)
    held_people = Person.objects.filter(partnership__slug="north").values_list("pk", flat=True)
    assert sorted(map(int, logged["cases.case"].record_ids)) == sorted(held_cases)
    assert sorted(map(int, logged["cases.person"].record_ids)) == sorted(held_people)


# --- export and the round trip ------------------------------------------------------------------------------------


def test_round_trip_import_export_import_gives_identical_tables(tmp_path: Path) -> None:
    run_import(write_bundle(tmp_path / "b"))
    north = Partnership.objects.get(slug="north")
    export_to_path(partnership=north, path=tmp_path / "export")
    result = run_import(tmp_path / "export", slug="south", create="South")
    assert result.ok, [str(e) for e in result.errors]
    assert tables("south") == tables("north")
    # And the second partnership exports exactly the same bundle.
    export_to_path(partnership=Partnership.objects.get(slug="south"), path=tmp_path / "export-2")
    for name in fmt.FILES:
        assert (tmp_path / "export" / name).read_bytes() == (tmp_path / "export-2" / name).read_bytes(), name
    # The export into the partnership it came from adds nothing.
    again = run_import(tmp_path / "export")
    assert again.ok and sum(again.created.values()) == 0


def test_export_writes_the_format(tmp_path: Path) -> None:
    run_import(write_bundle(tmp_path / "b"))
    north = Partnership.objects.get(slug="north")
    summary = export_to_path(partnership=north, path=tmp_path / "export")
    assert summary.rows == {
        "people.csv": 25, "referrals.csv": 13, "risk_assessments.csv": 11, "interventions.csv": 16,
        "reoffending.csv": 9,
        # Bundle version 2's file, always written (a version 1 bundle brings no outcomes).
        "victim_outcomes.csv": 0,
    }  # fmt: skip
    referrals = read(tmp_path / "export", "referrals.csv")
    assert list(referrals[0]) == list(fmt.SPECS["referrals.csv"].names)
    c2 = next(r for r in referrals if r["referral_ref"] == "C2")
    assert c2 == {
        "referral_ref": "C2", "received_on": "2019-02-25", "referring_agency": "police",
        "crime_reference": "CH/200/19;CH/201/19", "offence": "s2a_stalking", "referral_reason": "stalking_charge",
        "victim_ref": "V2", "perpetrator_ref": "P2", "relationship": "ex_intimate", "decision": "accepted",
        "decided_on": "2019-03-01", "tier": "2", "stalker_type": "rejected", "heard_at_clinic": "no",
        "closed_on": "2020-01-31",
        # Version 2's factors: a version 1 bundle does not know them.
        "mental_health_services": "", "probation_involved": "", "mappa": "", "antisocial_lifestyle": "",
    }  # fmt: skip
    assert read(tmp_path / "export", "interventions.csv")[0].keys() >= {"ending"}  # the documented extra column
    with pytest.raises(FileExistsError):
        export_to_path(partnership=north, path=tmp_path / "export")


def test_cells_are_written_safely_and_come_back_as_they_were(tmp_path: Path) -> None:
    run_import(write_bundle(tmp_path / "b"))
    north = Partnership.objects.get(slug="north")
    p8 = Person.objects.get(partnership=north, ref="P8")
    assert (p8.given_name, p8.family_name) == ("=HYPERLINK(1)", "+Smith")
    Person.objects.filter(pk=p8.pk).update(given_name="@SUM(A1)", family_name="'quoted")
    v1 = Person.objects.get(partnership=north, ref="V1")
    Person.objects.filter(pk=v1.pk).update(given_name="-2+3", family_name="\tTabbed")
    export_to_path(partnership=north, path=tmp_path / "export")
    text = (tmp_path / "export" / "people.csv").read_text(encoding="utf-8")
    assert "P8,male,1975-06-15,,,,'@SUM(A1),''quoted" in text
    assert "V1,female,1990-04-02,,,,'-2+3,'\tTabbed" in text
    assert ",=" not in text and ",+" not in text and ",@" not in text and ",-" not in text
    assert fmt.unescape_cell(fmt.escape_cell("'quoted")) == "'quoted"
    assert run_import(tmp_path / "export", slug="south", create="South").ok
    south = Partnership.objects.get(slug="south")
    assert Person.objects.filter(partnership=south, ref="P8").values_list("given_name", "family_name").get() == (
        "@SUM(A1)", "'quoted",
    )  # fmt: skip
    # A leading tab is whitespace to the import, as it is to intake (which never records one).
    assert Person.objects.filter(partnership=south, ref="V1").values_list("given_name", "family_name").get() == (
        "-2+3", "Tabbed",
    )  # fmt: skip


def test_detected_reoffending_is_exported_too(tmp_path: Path) -> None:
    run_import(write_bundle(tmp_path / "b"))
    c7 = Case.objects.get(referral__ref="C7")
    ReoffendingCandidate.objects.create(
        case=c7, new_case=Case.objects.get(referral__ref="N2"),
        person=CaseParty.objects.get(case=c7, role="perpetrator").person,
        occurred_on=dt.date(2019, 6, 1), kind="recurrence", victim="new", source="police", offence="other",
        last_known_behaviour_on=dt.date(2019, 5, 1),
    )  # fmt: skip
    export_to_path(partnership=c7.partnership, path=tmp_path / "export")
    rows = [r for r in read(tmp_path / "export", "reoffending.csv") if r["referral_ref"] == "C7"]
    assert rows == [
        {"referral_ref": "C7", "occurred_on": "2019-06-01", "kind": "recurrence", "victim": "new", "source": "police",
         "offence": "other", "crime_reference": ""},
    ]  # fmt: skip


def test_a_case_recorded_through_intake_is_exported_and_comes_back(tmp_path: Path) -> None:
    from tests.case_factories import make_case

    world = World("Intake Partnership")
    case = make_case(world.triage_officer, perpetrator_pnc="20/765432B", received_on=dt.date(2026, 1, 5))
    export_to_path(partnership=world.partnership, path=tmp_path / "export")
    people = read(tmp_path / "export", "people.csv")
    # Intake records people without the partnership's own id: the export names them by record number.
    perpetrator = CaseParty.objects.get(case=case, role="perpetrator").person
    assert {p["person_ref"] for p in people} >= {f"MASIP-P{perpetrator.pk:06d}"}
    again = run_import(tmp_path / "export", slug=world.partnership.slug, create="")
    assert again.ok, [str(e) for e in again.errors]
    assert sum(again.created.values()) == 0


# --- pseudonymised ----------------------------------------------------------------------------------------------------


def test_pseudonymised_export_has_no_names_or_identifiers_and_stable_pseudonyms(tmp_path: Path) -> None:
    run_import(write_bundle(tmp_path / "b"))
    north = Partnership.objects.get(slug="north")
    export_to_path(partnership=north, path=tmp_path / "p1", pseudonymise=True)
    export_to_path(partnership=north, path=tmp_path / "p2", pseudonymise=True)
    text = "".join((tmp_path / "p1" / name).read_text(encoding="utf-8") for name in fmt.FILES)
    for value in IDENTIFYING:
        assert value not in text, value
    cells = {
        cell
        for name in fmt.FILES
        for row in csv.reader(io.StringIO((tmp_path / "p1" / name).read_text()))
        for cell in row
    }
    assert not cells & {"C1", "C2", "N4", "V1", "P1", "P8"}
    people = read(tmp_path / "p1", "people.csv")
    assert list(people[0]) == ["person_ref", "gender", "age_band"]
    assert "crime_reference" not in read(tmp_path / "p1", "referrals.csv")[0]
    # Stable: the same pseudonyms in every export of the partnership.
    for name in fmt.FILES:
        assert (tmp_path / "p1" / name).read_bytes() == (tmp_path / "p2" / name).read_bytes()
    # The perpetrator of C1 and C6 is one pseudonym in both referrals.
    referrals = read(tmp_path / "p1", "referrals.csv")
    by_received = {r["received_on"]: r for r in referrals}
    assert by_received["2019-01-10"]["perpetrator_ref"] == by_received["2019-06-05"]["perpetrator_ref"]
    assert by_received["2019-01-10"]["referral_ref"].startswith("R-")
    # A date of birth becomes the age band at the person's first referral (P1: 25 on 2019-01-10).
    p1 = by_received["2019-01-10"]["perpetrator_ref"]
    assert next(p for p in people if p["person_ref"] == p1)["age_band"] == "25_34"
    # An evaluator importing it gets the same tables.
    assert run_import(tmp_path / "p1", slug="evaluator", create="Evaluator").ok
    assert tables("evaluator") == tables("north")


def test_pseudonyms_differ_between_partnerships(tmp_path: Path) -> None:
    run_import(write_bundle(tmp_path / "b"))
    run_import(write_bundle(tmp_path / "b2"), slug="south", create="South")
    export_to_path(partnership=Partnership.objects.get(slug="north"), path=tmp_path / "n", pseudonymise=True)
    export_to_path(partnership=Partnership.objects.get(slug="south"), path=tmp_path / "s", pseudonymise=True)
    north = {r["referral_ref"] for r in read(tmp_path / "n", "referrals.csv")}
    south = {r["referral_ref"] for r in read(tmp_path / "s", "referrals.csv")}
    assert len(north) == 13 and not north & south


def test_export_command_and_its_access_log(tmp_path: Path) -> None:
    world = World("Logged Partnership")
    run_import(write_bundle(tmp_path / "b"), slug=world.partnership.slug, create="")
    out = io.StringIO()
    call_command("export_bundle", str(tmp_path / "e.zip"), "--partnership", world.partnership.slug,
                 "--pseudonymise", "--user", world.admin.email, stdout=out)  # fmt: skip
    with zipfile.ZipFile(tmp_path / "e.zip") as archive:
        names = sorted(archive.namelist())
    assert names == sorted(f"{world.partnership.slug}-pseudonymised/{n}" for n in (*fmt.FILES, *fmt.V2_FILES))
    entry = AccessLog.objects.filter(action=AccessAction.EXPORT).get()
    assert entry.user == world.admin and entry.partnership == world.partnership
    assert sorted(entry.record_ids) == sorted(
        str(pk) for pk in Case.objects.filter(partnership=world.partnership).values_list("pk", flat=True)
    )
    assert "pseudonymised partnership data bundle export" in entry.purpose


def test_import_is_in_the_access_log(tmp_path: Path) -> None:
    world = World("Logged Partnership")
    out = io.StringIO()
    call_command("import_bundle", str(write_bundle(tmp_path / "b")), "--partnership", world.partnership.slug,
                 "--user", world.admin.email, stdout=out)  # fmt: skip
    entry = AccessLog.objects.filter(action=AccessAction.CREATE, record_type="cases.case").get()
    assert entry.user == world.admin and entry.partnership == world.partnership
    assert len(entry.record_ids) == 13
    assert "13 referrals.csv" in entry.purpose


# --- history ---------------------------------------------------------------------------------------------------------


def test_every_imported_row_has_its_history_like_the_triggers_write_it(tmp_path: Path) -> None:
    from django.apps import apps
    from pghistory.models import Context

    PersonEvent = apps.get_model("cases", "PersonEvent")
    run_import(write_bundle(tmp_path / "b"))
    north = Partnership.objects.get(slug="north")
    imported = Person.objects.get(partnership=north, ref="P8")
    event = PersonEvent.objects.get(pgh_obj_id=imported.pk)
    context = Context.objects.get(pk=event.pgh_context_id)
    assert context.metadata["operation"] == "import_bundle" and context.metadata["partnership"] == "north"
    # The trigger's own event for a person created the ordinary way has the same fields.
    ordinary = Person.objects.create(partnership=north, ref="X1", given_name="=HYPERLINK(1)", family_name="+Smith",
                                     gender="male", date_of_birth=dt.date(1975, 6, 15))  # fmt: skip
    by_trigger = PersonEvent.objects.get(pgh_obj_id=ordinary.pk)
    skip = {"pgh_id", "pgh_created_at", "pgh_context", "pgh_obj", "id", "ref", "created_at", "updated_at",
            "name_normalised"}  # fmt: skip
    for field in PersonEvent._meta.concrete_fields:
        if field.name not in skip:
            assert getattr(event, field.attname) == getattr(by_trigger, field.attname), field.name
    assert (event.pgh_label, event.ref, event.id) == ("insert", "P8", imported.pk)
    for model, event_name, scope in (
        (Case, "CaseHistory", "partnership"),
        (Referral, "ReferralEvent", "partnership"),
        (ReoffendingRecord, "ReoffendingRecordEvent", "case__partnership"),
    ):
        ids = set(model.objects.filter(**{scope: north}).values_list("pk", flat=True))
        event_model = apps.get_model(model._meta.app_label, event_name)
        events = event_model.objects.filter(pgh_obj_id__in=ids, pgh_label="insert")
        assert set(events.values_list("pgh_obj_id", flat=True)) == ids and len(ids) > 0


def test_the_contract_vocabulary_is_the_models() -> None:
    from interventions.models import InterventionStatus, InterventionType

    for contract, model in ev.MODEL_VOCABULARY.values():
        assert contract == model
    assert set(fmt.INTERVENTION_TYPES) == set(InterventionType.values)
    assert set(fmt.INTERVENTION_STATUSES) == set(InterventionStatus.values)
    assert list(fmt.INTERVENTION_TYPES) == list(ev.INTERVENTION_TYPES)


def test_current_assessment_of_new_and_held_cases(tmp_path: Path) -> None:
    from django.apps import apps

    from risk.models import Assessment

    files = dict(FILES)
    # Two SASHes of C8 on one day: the later line is the current one, as the export writes them.
    files["risk_assessments.csv"] += "C8,sash,2019-10-20,low,,,,,\nC8,sash,2019-10-20,moderate,,,,,\n"
    run_import(write_bundle(tmp_path / "first", files))
    c7, c8 = Case.objects.get(referral__ref="C7"), Case.objects.get(referral__ref="C8")
    assert Assessment.objects.get(case=c8, is_current=True, instrument__key="sash").level == "moderate"
    assert (c7.current_risk, c8.current_risk) == ("low", "moderate")
    first = Assessment.objects.get(case=c7, is_current=True, instrument__key="sash")

    # A later bundle adds a later SASH to C7, a case now held: it becomes the current one.
    files["risk_assessments.csv"] += "C7,sash,2019-11-01,high,,,,,\n"
    result = run_import(write_bundle(tmp_path / "second", files))
    assert result.ok and result.created["risk_assessments.csv"] == 1
    current = Assessment.objects.get(case=c7, is_current=True, instrument__key="sash")
    assert current.level == "high" and current.pk != first.pk
    c7.refresh_from_db()
    assert c7.current_risk == "high"
    # The held assessment's change went through the history triggers.
    event_model = apps.get_model("risk", "AssessmentEvent")
    assert event_model.objects.filter(pgh_obj_id=first.pk, pgh_label="update", is_current=False).exists()
