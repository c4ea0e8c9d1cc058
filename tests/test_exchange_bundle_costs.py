"""The partnership data bundle's optional cost files: time entries, cost accounts and their
lines export and import again with the same figures; a bad row writes nothing; a victim's own
costs stay with the agencies that may see them; a bundle without the files is as before."""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from agencies.models import Partnership, RecordClass, User
from audit.models import AccessAction, AccessLog
from cases.models import Case
from cases.permissions import may_see
from costs import selectors, services
from costs.models import CostAccount, CostLine, ScenarioItem, TimeEntry
from exchange import format as fmt
from exchange.exporter import export_to_path
from exchange.importer import import_bundle
from exchange.reader import Bundle
from exchange.services import bundle_export_for_user
from tests.cost_factories import cheshire_case_1, rate_card
from tests.exchange_bundle_data import write_bundle
from tests.factories import World, make_user

pytestmark = pytest.mark.django_db

PERIOD = {"date_from": dt.date(2018, 4, 1), "date_to": dt.date(2019, 3, 31)}


def read(folder: Path, name: str) -> list[dict[str, str]]:
    with (folder / name).open(encoding="utf-8", newline="") as stream:
        return list(csv.DictReader(stream))


def write(folder: Path, name: str, rows: list[dict[str, str]]) -> None:
    with (folder / name).open("w", encoding="utf-8", newline="") as stream:
        writer = csv.DictWriter(stream, fieldnames=list(rows[0]), lineterminator="\r\n")
        writer.writeheader()
        writer.writerows(rows)


def cost_counts(partnership: Partnership) -> dict[str, int]:
    return {
        "cases": Case.objects.filter(partnership=partnership).count(),
        "time": TimeEntry.objects.filter(partnership=partnership).count(),
        "accounts": CostAccount.objects.filter(partnership=partnership).count(),
        "lines": CostLine.objects.filter(account__partnership=partnership).count(),
        "items": ScenarioItem.objects.filter(scenario__account__partnership=partnership).count(),
    }


def programme(partnership: Partnership) -> dict[str, Any]:
    figures = selectors.programme_figures(partnership_id=partnership.pk, **PERIOD)
    # Agencies are the partnership's own (their names differ); the hours and costs by kind must not.
    by_agency = sorted((a.hours, a.cost) for a in figures.by_agency)
    return {
        "staff_cost": figures.staff_cost,
        "infrastructure": figures.infrastructure,
        "total_cost": figures.total_cost,
        "cases_worked": figures.cases_worked,
        "cost_per_case": figures.cost_per_case,
        "outcomes": figures.outcomes,
        "cost_per_outcome": figures.cost_per_outcome,
        "by_agency": by_agency,
        "roles_without_rate": figures.roles_without_rate,
    }


def imported_into(other_world: World, source: Path, **kwargs: Any) -> Any:
    slug = other_world.partnership.slug
    return import_bundle(source=source, partnership_slug=slug, actor=other_world.admin, **kwargs)


@pytest.mark.parametrize("finished", [False, True], ids=["draft", "finished"])
def test_round_trip_reproduces_the_account_and_the_programme_figures(
    world: World, other_world: World, tmp_path: Path, finished: bool
) -> None:
    account = cheshire_case_1(world)
    if finished:
        account = services.cost_account_finish(actor=world.programme_manager, account=account)
    # Rates are the partnership's own data: the receiving partnership has entered the same card.
    rate_card(other_world.programme_manager)
    summary = export_to_path(partnership=world.partnership, path=tmp_path / "export")
    assert set(summary.rows) == set(fmt.ALL_FILES)
    assert summary.rows[fmt.TIME_ENTRIES] == TimeEntry.objects.filter(partnership=world.partnership).count()
    assert summary.rows[fmt.COST_ACCOUNTS] == 1

    result = imported_into(other_world, tmp_path / "export")
    assert result.ok, [str(e) for e in result.errors]
    copy = CostAccount.objects.get(partnership=other_world.partnership)
    assert copy.status == account.status
    # The account: every line, total and ratio as the source partnership has them.
    assert selectors.account_figures(copy) == selectors.account_figures(account)
    view = selectors.cost_account_view_for_user(user=other_world.programme_manager, case_id=copy.case_id)
    assert (view.state, view.victim, view.total) == (Decimal("7182.54"), Decimal("20579.74"), Decimal("27762.28"))
    best, worst = view.scenarios
    assert (best.state_ratio, best.victim_ratio, worst.total_ratio) == (Decimal("2.8"), Decimal("3.5"), Decimal("82.4"))
    # The programme figures of the year.
    assert programme(other_world.partnership) == programme(world.partnership)
    assert programme(world.partnership)["staff_cost"] > 0

    # The receiving partnership exports the same cost files, byte for byte.
    export_to_path(partnership=other_world.partnership, path=tmp_path / "export-2")
    for name in fmt.COST_FILES:
        assert (tmp_path / "export" / name).read_bytes() == (tmp_path / "export-2" / name).read_bytes(), name
    # Importing the same bundle again adds nothing: each row is found as held.
    before = cost_counts(other_world.partnership)
    again = imported_into(other_world, tmp_path / "export")
    assert again.ok, [str(e) for e in again.errors]
    assert sum(again.created.values()) == 0
    assert again.already_held[fmt.TIME_ENTRIES] == summary.rows[fmt.TIME_ENTRIES]
    assert again.already_held[fmt.COST_LINES] == summary.rows[fmt.COST_LINES]
    assert cost_counts(other_world.partnership) == before


def test_export_names_roles_not_staff_and_money_as_text(world: World, tmp_path: Path) -> None:
    cheshire_case_1(world)
    export_to_path(partnership=world.partnership, path=tmp_path / "export")
    text = "".join((tmp_path / "export" / name).read_text(encoding="utf-8") for name in fmt.COST_FILES)
    for person in (world.clinician, world.advocate, world.triage_officer, world.probation_practitioner):
        assert person.last_name not in text and person.email not in text
    entries = read(tmp_path / "export", fmt.TIME_ENTRIES)
    assert list(entries[0]) == list(fmt.SPECS[fmt.TIME_ENTRIES].names)
    clinician = [e for e in entries if e["role"] == "clinician"]
    assert clinician and {(e["agency_kind"], e["staff"]) for e in clinician} == {("health", "yes")}
    nurse = next(e for e in entries if e["role"] == "prison_nurse")
    assert (nurse["agency_kind"], nurse["staff"], nurse["minutes"]) == ("", "no", "60")
    lines = read(tmp_path / "export", fmt.COST_LINES)
    moving = next(r for r in lines if r["unit_cost"] == "moving_house")
    assert (moving["part"], moving["bearer"], moving["amount"]) == ("happened", "victim", "8855.00")
    assert {r["part"] for r in lines} == {"happened", "best", "worst"}


def test_pseudonymised_export_without_victim_identity_leaves_out_the_victims_costs(
    world: World, tmp_path: Path
) -> None:
    account = cheshire_case_1(world)
    summary = export_to_path(
        partnership=world.partnership, path=tmp_path / "export", pseudonymise=True, victim_costs=False
    )
    lines = read(tmp_path / "export", fmt.COST_LINES)
    assert lines and {r["bearer"] for r in lines} == {"state"}
    assert "label" not in lines[0] and "source" not in lines[0]
    ref = Case.objects.get(pk=account.case_id).referral.ref
    assert summary.rows[fmt.COST_LINES] == len(lines)
    for name in fmt.COST_FILES:
        refs = {r["referral_ref"] for r in read(tmp_path / "export", name)}
        assert ref not in refs and all(r.startswith("R-") for r in refs), name
    # With the class, the same pseudonymised export holds them.
    export_to_path(partnership=world.partnership, path=tmp_path / "with", pseudonymise=True)
    assert "victim" in {r["bearer"] for r in read(tmp_path / "with", fmt.COST_LINES)}


def test_the_download_leaves_out_victims_costs_for_an_agency_without_the_class(world: World) -> None:
    cheshire_case_1(world)
    # A health agency's admin: the default agreement does not give health victim_identity.
    health_admin: User = make_user(world.health, "partnership_admin")
    assert not may_see(health_admin, RecordClass.VICTIM_IDENTITY)
    stream, _ = bundle_export_for_user(actor=health_admin, pseudonymise=True)
    with zipfile.ZipFile(stream) as archive:
        member = next(n for n in archive.namelist() if n.endswith(fmt.COST_LINES))
        rows = list(csv.DictReader(io.TextIOWrapper(archive.open(member), encoding="utf-8", newline="")))
    assert rows and {r["bearer"] for r in rows} == {"state"}


def test_a_bad_row_is_reported_by_file_and_line_and_nothing_is_written(
    world: World, other_world: World, tmp_path: Path
) -> None:
    cheshire_case_1(world)
    rate_card(other_world.programme_manager)
    export_to_path(partnership=world.partnership, path=tmp_path / "export")
    entries = read(tmp_path / "export", fmt.TIME_ENTRIES)
    entries[1]["minutes"] = "2000"
    write(tmp_path / "export", fmt.TIME_ENTRIES, entries)
    lines = read(tmp_path / "export", fmt.COST_LINES)
    lines[0]["amount"] = "12.345"
    write(tmp_path / "export", fmt.COST_LINES, lines)
    before = cost_counts(other_world.partnership)
    for dry_run in (True, False):
        result = imported_into(other_world, tmp_path / "export", dry_run=dry_run)
        assert [str(e) for e in result.errors] == [
            "time_entries.csv:3: minutes: must be from 1 to 1440 (one day)",
            "cost_lines.csv:2: amount: '12.345' has more than 2 decimal places",
        ]
        assert cost_counts(other_world.partnership) == before


def test_an_account_needs_the_partnerships_rate_card_and_lines_an_account(
    world: World, other_world: World, tmp_path: Path
) -> None:
    cheshire_case_1(world)
    export_to_path(partnership=world.partnership, path=tmp_path / "export")
    (tmp_path / "export" / fmt.COST_ACCOUNTS).write_text("referral_ref,financial_year,status\r\n", encoding="utf-8")
    result = imported_into(other_world, tmp_path / "export")
    problems = {str(e) for e in result.errors}
    assert any(p.startswith("cost_lines.csv:2: referral_ref: no cost account of") for p in problems), problems
    account_row = read(tmp_path / "export", fmt.COST_LINES)[0]["referral_ref"]
    (tmp_path / "export" / fmt.COST_ACCOUNTS).write_text(
        f"referral_ref,financial_year,status\r\n{account_row},2018,draft\r\n", encoding="utf-8"
    )
    result = imported_into(other_world, tmp_path / "export")
    assert [str(e) for e in result.errors] == [
        "cost_accounts.csv:2: financial_year: the partnership has no rate card for 2018/19: enter its rates first"
    ]
    assert cost_counts(other_world.partnership)["cases"] == 0


def test_the_import_is_access_logged_with_the_cases_it_costed(world: World, other_world: World, tmp_path: Path) -> None:
    account = cheshire_case_1(world)
    rate_card(other_world.programme_manager)
    export_to_path(partnership=world.partnership, path=tmp_path / "export")
    result = imported_into(other_world, tmp_path / "export")
    assert result.ok
    copy = CostAccount.objects.get(partnership=other_world.partnership)
    log = AccessLog.objects.filter(user=other_world.admin, action=AccessAction.CREATE, record_type="cases.case").get()
    assert str(copy.case_id) in log.record_ids
    assert "1 cost_accounts.csv" in log.purpose
    assert str(account.case_id) not in log.record_ids


def test_a_bundle_without_the_cost_files_imports_and_exports_as_before(tmp_path: Path) -> None:
    result = import_bundle(source=write_bundle(tmp_path / "b"), partnership_slug="north", create_name="North")
    assert result.ok, [str(e) for e in result.errors]
    assert not set(result.created) & set(fmt.COST_FILES)
    assert not set(result.already_held) & set(fmt.COST_FILES)
    assert TimeEntry.objects.count() == 0 and CostAccount.objects.count() == 0
    summary = export_to_path(partnership=Partnership.objects.get(slug="north"), path=tmp_path / "export")
    # Without cost data the export is the five files it always was.
    assert sorted(p.name for p in (tmp_path / "export").iterdir()) == sorted(fmt.FILES)
    assert set(summary.rows) == set(fmt.FILES)


def test_the_reader_takes_the_cost_files_and_still_refuses_others(tmp_path: Path) -> None:
    folder = write_bundle(tmp_path / "b")
    for name in (*fmt.COST_FILES, "costs.csv"):
        (folder / name).write_text("referral_ref\r\n", encoding="utf-8")
    bundle = Bundle(folder)
    assert all(bundle.has(name) for name in fmt.COST_FILES)
    assert bundle.unknown_files == ["costs.csv"]
