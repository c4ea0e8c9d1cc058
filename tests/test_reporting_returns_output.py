"""What leaves the service: small-number suppression, spreadsheet- and CSV-safe cells, the XLSX layout."""

from __future__ import annotations

import csv
import io
from typing import Any

import openpyxl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from masip.spreadsheet import FORMULA_TRIGGERS, formula_safe
from reporting.returns import xlsx

COVER = xlsx.Cover(
    partnership="North Partnership",
    quarter="2025/26 Q3",
    period="1 October 2025 to 31 December 2025",
    definition="Home Office quarterly return",
    version=3,
    generated_at="5 January 2026 09:30",
    generated_by="Megan Lloyd, North Police",
    suppressed=True,
)


def _results(
    label: str = "Referrals received", rows: list[tuple[str, int]] | None = None, total: int = 12
) -> dict[str, Any]:
    rows = rows if rows is not None else [("Police", 7), ("Probation", 3), ("Health", 0), ("Self-referral", 2)]
    return {
        "sections": [
            {
                "title": "Referrals",
                "indicators": [
                    {
                        "key": "referrals_received",
                        "label": label,
                        "section": "Referrals",
                        "measure_label": "Referrals",
                        "unit": "referrals",
                        "date_basis_label": "Received in the period",
                        "period": "quarter",
                        "filters_label": "",
                        "breakdown_label": "Referring agency",
                        "total": total,
                        "rows": [{"value": v.lower(), "label": v, "count": n} for v, n in rows],
                    }
                ],
            }
        ]
    }


# --- suppression ---------------------------------------------------------------------------------------


def test_counts_of_one_to_four_are_hidden_and_zero_is_not() -> None:
    # Total 12 shown. Probation 3 and Self 2 are small: hidden. Health 0 is shown (a zero names no one).
    # Two rows hidden already, so no secondary suppression is needed: 12 - 7 = 5 = 3 + 2 is not separable.
    sections = xlsx.present(_results(), suppress=True)
    indicator = sections[0].indicators[0]
    assert indicator.total.shown == 12
    assert [c.shown for c in indicator.rows] == [7, "<5", 0, "<5"]


def test_one_hidden_row_hides_the_next_smallest_too() -> None:
    # Police 9, Probation 6, Self 2: total 17. Hiding only Self (2) would let 17 - 9 - 6 = 2 give it away,
    # so the smallest other non-zero row (Probation, 6) is hidden too.
    sections = xlsx.present(_results(rows=[("Police", 9), ("Probation", 6), ("Self", 2)], total=17), suppress=True)
    assert [c.shown for c in sections[0].indicators[0].rows] == [9, "<5", "<5"]


def test_a_small_total_is_hidden() -> None:
    sections = xlsx.present(_results(rows=[("Police", 3), ("Probation", 1)], total=4), suppress=True)
    indicator = sections[0].indicators[0]
    assert indicator.total.shown == "<5"
    assert [c.shown for c in indicator.rows] == ["<5", "<5"]


def test_without_suppression_every_count_is_shown() -> None:
    sections = xlsx.present(_results(), suppress=False)
    assert [c.shown for c in sections[0].indicators[0].rows] == [7, 3, 0, 2]


@given(st.integers(min_value=0, max_value=200), st.lists(st.integers(min_value=0, max_value=60), max_size=8))
def test_no_shown_figure_is_small_and_no_single_small_cell_can_be_worked_out(total: int, rows: list[int]) -> None:
    total_hidden, hidden = xlsx.suppress_cells(total, rows)
    shown = [n for n, h in zip(rows, hidden, strict=True) if not h] + ([] if total_hidden else [total])
    assert all(n == 0 or n >= 5 for n in shown)
    # A hidden non-zero cell is never alone among the rows, when the total is shown and there is another to hide.
    small = [i for i, n in enumerate(rows) if 0 < n < 5]
    nonzero = [i for i, n in enumerate(rows) if n > 0]
    if small and not total_hidden and len(nonzero) > 1:
        assert sum(hidden) >= 2


# --- injection-safe cells ---------------------------------------------------------------------------------

NASTY = ['=HYPERLINK("http://evil.example","x")', "+1+1", "-2+3", "@SUM(A1)", "\tTab", "\rReturn"]


@pytest.mark.parametrize("value", NASTY)
def test_formula_safe_prefixes_formula_triggers(value: str) -> None:
    assert formula_safe(value) == "'" + value


def test_formula_safe_leaves_ordinary_text() -> None:
    assert formula_safe("Referrals received") == "Referrals received"
    assert formula_safe(12) == "12"


@pytest.mark.parametrize("value", NASTY)
def test_csv_cells_are_injection_safe(value: str) -> None:
    body = xlsx.render_csv(COVER, xlsx.present(_results(label=value), suppress=False)).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(body, newline="")))
    assert rows[0] == list(xlsx.CSV_HEADER)
    labels = {r[6] for r in rows[1:]}
    assert labels == {"'" + value}
    for row in rows:
        for cell in row:
            assert not cell.startswith(FORMULA_TRIGGERS)


@pytest.mark.parametrize("value", NASTY)
def test_xlsx_cells_are_strings_never_formulas(value: str) -> None:
    body = xlsx.render_xlsx(COVER, xlsx.present(_results(label=value), suppress=False))
    book = openpyxl.load_workbook(io.BytesIO(body))
    sheet = book["Referrals"]
    cell = sheet["B4"]
    # OOXML stores a carriage return as the escape _x000D_, which openpyxl hands back as it is.
    assert cell.value.replace("_x000D_", "\r") == "'" + value
    assert cell.data_type == "s"
    for ws in book.worksheets:
        for row in ws.iter_rows():
            for c in row:
                assert c.data_type != "f"


def test_the_csv_has_one_row_per_figure_with_suppression() -> None:
    body = xlsx.render_csv(COVER, xlsx.present(_results(), suppress=True)).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(body, newline="")))
    assert rows[1] == [
        "North Partnership",
        "2025/26 Q3",
        "Home Office quarterly return",
        "3",
        "Referrals",
        "referrals_received",
        "Referrals received",
        "",
        "Total",
        "12",
    ]
    assert [(r[8], r[9]) for r in rows[2:]] == [
        ("Police", "7"),
        ("Probation", "<5"),
        ("Health", "0"),
        ("Self-referral", "<5"),
    ]


def test_the_xlsx_cover_and_section_sheets() -> None:
    body = xlsx.render_xlsx(COVER, xlsx.present(_results(), suppress=True))
    book = openpyxl.load_workbook(io.BytesIO(body))
    assert book.sheetnames == ["Cover", "Referrals"]
    cover = {r[0]: r[1] for r in book["Cover"].iter_rows(min_row=3, max_row=10, values_only=True)}
    assert cover == {
        "Partnership": "North Partnership",
        "Quarter": "2025/26 Q3",
        "Period": "1 October 2025 to 31 December 2025",
        "Definition": "Home Office quarterly return",
        "Definition version": 3,
        "Generated at": "5 January 2026 09:30",
        "Generated by": "Megan Lloyd, North Police",
        "Small numbers": "Counts of 1 to 4 shown as <5",
    }
    # The cover links to each section's sheet.
    section_link = book["Cover"].cell(13, 1)
    assert section_link.value == "Referrals" and section_link.hyperlink.location == "'Referrals'!A1"
    sheet = book["Referrals"]
    assert [c.value for c in sheet[4]][:3] == ["referrals_received", "Referrals received", 12]
    assert sheet["C4"].data_type == "n"
    # A suppressed figure leaves the number column empty and is flagged beside it: the
    # figures' column holds numbers only.
    assert [(sheet.cell(r, 2).value.strip(), sheet.cell(r, 3).value, sheet.cell(r, 4).value) for r in range(5, 9)] == [
        ("Referring agency: Police", 7, None),
        ("Referring agency: Probation", None, "<5"),
        ("Referring agency: Health", 0, None),
        ("Referring agency: Self-referral", None, "<5"),
    ]
    assert all(sheet.cell(r, 3).value is None or sheet.cell(r, 3).data_type == "n" for r in range(4, 9))


def test_sheet_names_are_valid_and_unique() -> None:
    taken: set[str] = {"cover"}
    names = [xlsx._sheet_name(t, taken) for t in ("Risk: at triage / now", "Risk: at triage / now", "x" * 40, "Cover")]
    assert names == ["Risk  at triage   now", "Risk  at triage   now (2)", "x" * 31, "Cover (2)"]


def test_the_documented_vocabulary_is_the_code_s() -> None:
    from pathlib import Path

    from reporting.returns.measures import vocabulary_markdown

    doc = (Path(__file__).resolve().parent.parent / "docs" / "quarterly-returns.md").read_text()
    assert vocabulary_markdown() in doc
