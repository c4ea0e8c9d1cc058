"""A return's figures as people see them: small-number suppression, the XLSX and the CSV.

Figures are stored as computed; suppression is applied here, on the way out, so the
same stored return gives the same file every time.

Every text cell is safe to open in a spreadsheet: a value starting with ``=``, ``+``,
``-``, ``@``, a tab or a carriage return is prefixed with a single quote (the OWASP
advice on CSV injection), and the XLSX writes text with ``write_string`` and numbers
with ``write_number``, never ``write``, which would turn ``=...`` into a formula.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from typing import Any

import xlsxwriter

from masip.spreadsheet import formula_safe

SUPPRESSED = "<5"
SUPPRESS_BELOW = 5


# --- suppression -----------------------------------------------------------------------------------------------


@dataclass
class Cell:
    label: str
    count: int
    shown: int | str


@dataclass
class IndicatorView:
    key: str
    label: str
    section: str
    description: str
    breakdown_label: str
    total: Cell
    rows: list[Cell] = field(default_factory=list)


@dataclass
class SectionView:
    title: str
    indicators: list[IndicatorView]


def _small(count: int) -> bool:
    # A zero discloses no one: only 1 to 4 are hidden (the Home Office and ONS practice).
    return 0 < count < SUPPRESS_BELOW


def suppress_cells(total: int, rows: list[int]) -> tuple[bool, list[bool]]:
    """Which of an indicator's cells are hidden: (total hidden, each row hidden).

    Primary: every count from 1 to 4. Secondary: when the total is shown and exactly one
    row is hidden, the smallest other non-zero row is hidden too, so the hidden one
    cannot be worked out by subtracting the others from the total.
    """
    total_hidden = _small(total)
    hidden = [_small(n) for n in rows]
    if not total_hidden and sum(hidden) == 1:
        candidates = [(n, i) for i, n in enumerate(rows) if not hidden[i] and n > 0]
        if candidates:
            hidden[min(candidates)[1]] = True
    return total_hidden, hidden


def describe_counting(item: dict[str, Any]) -> str:
    parts = [f"{item['measure_label']} ({item['unit']}): {item['date_basis_label'].lower()}"]
    if item.get("period") == "year_to_date":
        parts.append("financial year to date")
    if item.get("filters_label"):
        parts.append(item["filters_label"])
    return "; ".join(parts)


def present(results: dict[str, Any], *, suppress: bool) -> list[SectionView]:
    sections = []
    for section in results.get("sections", []):
        views = []
        for item in section["indicators"]:
            counts = [int(r["count"]) for r in item["rows"]]
            total_hidden, hidden = (
                suppress_cells(int(item["total"]), counts) if suppress else (False, [False] * len(counts))
            )
            views.append(
                IndicatorView(
                    key=item["key"],
                    label=item["label"],
                    section=item["section"],
                    description=describe_counting(item),
                    breakdown_label=item.get("breakdown_label", ""),
                    total=Cell("Total", int(item["total"]), SUPPRESSED if total_hidden else int(item["total"])),
                    rows=[
                        Cell(r["label"], int(r["count"]), SUPPRESSED if h else int(r["count"]))
                        for r, h in zip(item["rows"], hidden, strict=True)
                    ],
                )
            )
        sections.append(SectionView(section["title"], views))
    return sections


# --- files -------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Cover:
    partnership: str
    quarter: str
    period: str
    definition: str
    version: int
    generated_at: str
    generated_by: str
    suppressed: bool


def _sheet_name(title: str, taken: set[str]) -> str:
    # Excel: at most 31 characters, none of []:*?/\ , unique regardless of case.
    base = re.sub(r"[\[\]:*?/\\]", " ", title).strip().strip("'")[:31] or "Section"
    name, n = base, 2
    while name.lower() in taken:
        suffix = f" ({n})"
        name, n = base[: 31 - len(suffix)] + suffix, n + 1
    taken.add(name.lower())
    return name


def render_xlsx(cover: Cover, sections: list[SectionView]) -> bytes:
    output = io.BytesIO()
    book = xlsxwriter.Workbook(output, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False})
    title = book.add_format({"bold": True, "font_size": 14})
    bold = book.add_format({"bold": True})
    header = book.add_format({"bold": True, "bottom": 1, "bg_color": "#F3F2F1"})
    wrap = book.add_format({"text_wrap": True, "valign": "top", "font_color": "#505A5F"})
    number = book.add_format({"num_format": "#,##0"})
    bold_number = book.add_format({"num_format": "#,##0", "bold": True})
    right = book.add_format({"align": "right"})
    bold_right = book.add_format({"align": "right", "bold": True})

    sheet = book.add_worksheet("Cover")
    sheet.set_column(0, 0, 28)
    sheet.set_column(1, 1, 60)
    sheet.write_string(0, 0, formula_safe(f"{cover.definition}"), title)
    rows = [
        ("Partnership", cover.partnership),
        ("Quarter", cover.quarter),
        ("Period", cover.period),
        ("Definition", cover.definition),
        ("Definition version", cover.version),
        ("Generated at", cover.generated_at),
        ("Generated by", cover.generated_by),
        ("Small numbers", f"Counts of 1 to 4 shown as {SUPPRESSED}" if cover.suppressed else "Not suppressed"),
    ]
    for index, (label, value) in enumerate(rows, start=2):
        sheet.write_string(index, 0, label, bold)
        if isinstance(value, int):
            sheet.write_number(index, 1, value)
        else:
            sheet.write_string(index, 1, formula_safe(value))
    sheet.write_string(len(rows) + 3, 0, "Sections", bold)
    taken = {"cover"}
    names = [_sheet_name(s.title, taken) for s in sections]
    link = book.add_format({"font_color": "#1D70B8", "underline": 1})
    for offset, name in enumerate(names):
        # A link to the section's sheet: a workbook of a dozen tabs is read from its cover.
        quoted = name.replace("'", "''")
        sheet.write_url(len(rows) + 4 + offset, 0, f"internal:'{quoted}'!A1", link, string=formula_safe(name))

    for section, name in zip(sections, names, strict=True):
        ws = book.add_worksheet(name)
        ws.set_column(0, 0, 16)
        ws.set_column(1, 1, 60)
        ws.set_column(2, 2, 14)
        ws.set_column(3, 3, 14)
        ws.set_column(4, 4, 70)
        ws.write_string(0, 0, formula_safe(section.title), title)
        for col, text in enumerate(("Key", "Indicator and breakdown", "Figure", "Small number", "What is counted")):
            ws.write_string(2, col, text, header)
        row = 3
        for indicator in section.indicators:
            ws.write_string(row, 0, formula_safe(indicator.key), bold)
            ws.write_string(row, 1, formula_safe(indicator.label), bold)
            _write_figure(ws, row, 2, indicator.total.shown, bold_number, bold_right)
            ws.write_string(row, 4, formula_safe(indicator.description), wrap)
            row += 1
            for cell in indicator.rows:
                ws.write_string(row, 1, formula_safe(f"    {indicator.breakdown_label}: {cell.label}"))
                _write_figure(ws, row, 2, cell.shown, number, right)
                row += 1
            row += 1
        ws.freeze_panes(3, 0)
    book.close()
    return output.getvalue()


def _write_figure(ws: Any, row: int, col: int, shown: int | str, number_format: Any, text_format: Any) -> None:
    """The figure as a number; a suppressed one leaves the number cell empty and says "<5" in
    the next column, so that the figures' column holds numbers only (a sum over it works)."""
    if isinstance(shown, int):
        ws.write_number(row, col, shown, number_format)
    else:
        ws.write_blank(row, col, None, number_format)
        ws.write_string(row, col + 1, formula_safe(shown), text_format)


CSV_HEADER = (
    "partnership",
    "quarter",
    "definition",
    "definition_version",
    "section",
    "indicator_key",
    "indicator",
    "breakdown",
    "category",
    "value",
)


def render_csv(cover: Cover, sections: list[SectionView]) -> bytes:
    """One row per figure: each indicator's total (category "Total"), then its breakdown."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    common = [
        formula_safe(cover.partnership),
        formula_safe(cover.quarter),
        formula_safe(cover.definition),
        str(cover.version),
    ]
    for section in sections:
        for indicator in section.indicators:
            base = [*common, formula_safe(section.title), formula_safe(indicator.key), formula_safe(indicator.label)]
            writer.writerow([*base, "", "Total", formula_safe(indicator.total.shown)])
            for cell in indicator.rows:
                writer.writerow(
                    [*base, formula_safe(indicator.breakdown_label), formula_safe(cell.label), formula_safe(cell.shown)]
                )
    # A byte-order mark so Excel opens the UTF-8 file with its accents and dashes intact.
    return ("\ufeff" + out.getvalue()).encode("utf-8")
