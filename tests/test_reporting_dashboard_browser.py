"""In a real browser: the dashboard's axis labels fit at 1280 px and at 375 px, a bar opens the
list of the cases it counts, and the dashboard and that list pass axe and do not scroll sideways."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.contrib.contenttypes.models import ContentType

from cases.permissions import view_case_permission_id
from risk.services import instruments_ensure_shipped
from tests.conftest import ROOT, sign_in
from tests.factories import PASSWORD, World
from tests.reporting_returns_data import build
from tests.test_browser_layout import AXE_RUN, AXE_TAGS, SIDEWAYS, WIDTHS

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]

# 2025 as a custom period: the hand-built partnership's year (tests/reporting_returns_data.py).
YEAR_2025 = (
    "/reporting/dashboard/?period=custom&start_day=1&start_month=1&start_year=2025"
    "&end_day=31&end_month=12&end_year=2025"
)

# Each chart's category axis as drawn (months along the bottom, or statuses, tiers and risk
# levels down the side): the gaps between neighbouring labels (negative where two overlap),
# the largest rotation, how many labels are shown of how many, and the value axis's title.
# Widths and heights are measured with the font each label is drawn in.
AXIS_LABELS = """
() => Array.from(document.querySelectorAll('canvas[data-chart]')).map((canvas) => {
  const chart = Chart.getChart(canvas)
  const down = chart.options.indexAxis === 'y'
  const scale = down ? chart.scales.y : chart.scales.x
  const values = down ? chart.scales.x : chart.scales.y
  const ctx = chart.ctx
  const items = scale.getLabelItems().map((item) => {
    const font = item.font || item.options.font
    ctx.font = font.string
    const lines = Array.isArray(item.label) ? item.label : [item.label]
    const size = down ? lines.length * font.lineHeight : Math.max(...lines.map((l) => ctx.measureText(String(l)).width))
    return { at: item.options.translation[down ? 1 : 0], size, rotation: item.options.rotation }
  }).sort((a, b) => a.at - b.at)
  const gaps = items.slice(1).map((item, i) => (item.at - item.size / 2) - (items[i].at + items[i].size / 2))
  return {
    key: canvas.dataset.chart,
    down,
    shown: items.length,
    labels: chart.data.labels.length,
    minGap: gaps.length ? Math.min(...gaps) : null,
    rotation: Math.max(0, ...items.map((i) => Math.abs(i.rotation))),
    unit: values.options.title.text,
  }
})
"""

# The middle of one bar, in page coordinates.
BAR_CENTRE = """
([key, series, index]) => {
  const canvas = document.querySelector(`canvas[data-chart="${key}"]`)
  const chart = Chart.getChart(canvas)
  const bar = chart.getDatasetMeta(series).data[index]
  const box = canvas.getBoundingClientRect()
  return { x: box.left + bar.x, y: box.top + (bar.y + bar.base) / 2 }
}
"""


def _fresh() -> None:
    view_case_permission_id.cache_clear()
    ContentType.objects.clear_cache()
    instruments_ensure_shipped()


def _problems(page: Any, where: str) -> list[str]:
    found = []
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        sideways = page.evaluate(SIDEWAYS)
        if sideways > 0:
            found.append(f"{where} at {width}px scrolls sideways by {sideways}px")
        found += [f"{where} at {width}px: {v}" for v in page.evaluate(AXE_RUN, AXE_TAGS)]
    return found


def test_axis_labels_fit_and_a_bar_opens_its_cases(page: Any) -> None:
    _fresh()
    data = build(World("Dashboard North"), World("Dashboard South"))
    page.context.add_init_script(script=(ROOT / "node_modules" / "axe-core" / "axe.min.js").read_text())
    sign_in(page, data.world.programme_manager.email, PASSWORD)
    page.wait_for_url(re.compile(r".*/$"))
    page.goto(YEAR_2025)
    page.wait_for_selector("canvas[data-chart='referrals_decisions']", state="visible")

    problems = _problems(page, "dashboard")
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        page.evaluate(SIDEWAYS)  # lets the charts redraw at the new width
        for axis in page.evaluate(AXIS_LABELS):
            where = f"{axis['key']} at {width}px"
            assert axis["shown"] >= 2, where
            if axis["down"]:  # a category is never left without its label
                assert axis["shown"] == axis["labels"], where
            assert axis["rotation"] == 0, f"{where}: labels slanted"
            assert axis["minGap"] is None or axis["minGap"] >= 0, f"{where}: labels overlap by {-axis['minGap']:.0f}px"
            assert axis["unit"] in {"Cases", "Contacts", "Sessions", "Reviews"}, where
    assert not problems, "\n".join(problems)

    # October 2025's "Accepted" bar: C4, C9 and C1 were accepted that month.
    page.set_viewport_size({"width": 1280, "height": 900})
    page.locator("canvas[data-chart='referrals_decisions']").scroll_into_view_if_needed()
    october = 9  # January is 0
    point = page.evaluate(BAR_CENTRE, ["referrals_decisions", 1, october])
    page.mouse.click(point["x"], point["y"])
    page.wait_for_url(re.compile(r".*/reporting/dashboard/cases/\?.*series=accepted.*"))
    rows = page.locator("[data-testid=bar-cases] tbody tr")
    listed = sorted(rows.nth(i).locator("td").first.inner_text() for i in range(rows.count()))
    expected = sorted(data.cases[name].reference for name in ("C1", "C4", "C9"))
    assert listed == expected
    assert "3 cases counted in the partnership; 3 of them are on cases shared" in page.inner_text("main")
    problems = _problems(page, "cases behind a bar")
    assert not problems, "\n".join(problems)
