"""In a real browser: a partnership admin uploads a bundle, sees every problem of a bad one on the
page, then imports a good one (a real Celery worker runs the job); a programme manager sees the
evaluation tables with their charts, under the CSP, and the same tables without JavaScript."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path
from typing import Any

import pytest
from django.contrib.contenttypes.models import ContentType

from cases.models import Case
from cases.permissions import view_case_permission_id
from exchange.importer import import_bundle
from risk.services import instruments_ensure_shipped
from tests.conftest import sign_in
from tests.exchange_bundle_data import FILES, write_bundle
from tests.factories import PASSWORD, World

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


def _fresh() -> None:
    # A transactional test starts from a database emptied and refilled by the tests before it.
    view_case_permission_id.cache_clear()
    ContentType.objects.clear_cache()
    instruments_ensure_shipped()


@pytest.mark.worker
def test_an_admin_uploads_a_bad_bundle_then_a_good_one(page: Any, celery_worker_process: Any, tmp_path: Path) -> None:
    _fresh()
    world = World("Browser Partnership")
    bad = dict(FILES)
    bad["referrals.csv"] = FILES["referrals.csv"].replace("C4,2019-12-28,health", "C4,2019-12-28,hospital")
    bad["interventions.csv"] = FILES["interventions.csv"].replace("completed,12,12", "completed,12,13")
    bad_zip = tmp_path / "bad.zip"
    with zipfile.ZipFile(bad_zip, "w") as archive:
        for name, text in bad.items():
            archive.writestr(f"bundle/{name}", text)
    good = write_bundle(tmp_path / "good")

    sign_in(page, world.admin.email, PASSWORD)
    page.wait_for_url(re.compile(r".*/$"))
    page.get_by_role("link", name="Data bundle").first.click()
    page.get_by_label("Bundle", exact=True).set_input_files(str(bad_zip))
    page.get_by_role("button", name="Upload and import").click()
    page.get_by_test_id("job-errors").wait_for(timeout=90_000)  # htmx follows the job to its end
    summary = page.get_by_test_id("job-errors-summary")
    assert "Nothing was imported: the bundle has 2 problems" in summary.inner_text()
    rows = page.get_by_test_id("job-errors").locator("tbody tr").all_inner_texts()
    assert [re.sub(r"\s+", " ", r).strip() for r in rows] == [
        "referrals.csv 5 referring_agency 'hospital' is not one of: police, probation, health, advocacy, helpline, "
        "marac, self, other",
        "interventions.csv 2 sessions_attended is more than the sessions planned (12)",
    ]
    summary.get_by_role("link", name="interventions.csv: 1 problem").click()
    assert page.url.endswith("#error-2")
    assert not Case.objects.filter(partnership=world.partnership).exists()

    page.get_by_role("link", name="Upload a corrected bundle").click()
    page.get_by_label("Bundle", exact=True).set_input_files(sorted(str(p) for p in good.iterdir()))
    page.get_by_role("button", name="Upload and import").click()
    page.get_by_test_id("job-summary").wait_for(timeout=120_000)
    assert page.get_by_role("heading", level=1).inner_text() == "Bundle imported"
    assert Case.objects.filter(partnership=world.partnership).count() == 13


def test_a_programme_manager_sees_the_charts_and_the_tables(page: Any, browser: Any, live_server: Any,
                                                             tmp_path: Path) -> None:  # fmt: skip
    _fresh()
    world = World("Charts Partnership")
    assert import_bundle(source=write_bundle(tmp_path / "b"), partnership_slug=world.partnership.slug).ok
    problems: list[str] = []
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))

    sign_in(page, world.programme_manager.email, PASSWORD)
    page.wait_for_url(re.compile(r".*/$"))
    page.get_by_role("link", name="Evaluation").first.click()
    page.get_by_label("Day").first.fill("30")
    page.get_by_label("Month").first.fill("6")
    page.get_by_label("Year").first.fill("2020")
    page.get_by_role("button", name="Show the tables").click()
    page.wait_for_url(re.compile(r".*as_of_day=30.*"))
    for key in ("referrals-by-month", "decision-funnel", "reoffending-by-threshold", "intervention-by-reoffending",
                "tier-by-gender", "sash-by-gender"):  # fmt: skip
        chart = page.get_by_test_id(f"chart-{key}")
        chart.wait_for(state="visible")
        box = chart.locator("canvas").bounding_box()
        assert box is not None and box["height"] > 100, key
    assert problems == []  # no script refused by the CSP, no error
    threshold = page.get_by_test_id("table-reoffending-by-threshold").inner_text()
    assert "57.1%" in threshold and "37.5%" in threshold

    # Without JavaScript: no charts, the same tables.
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    plain = context.new_page()
    sign_in(plain, world.programme_manager.email, PASSWORD)
    plain.goto("/reporting/evaluation/?as_of_day=30&as_of_month=6&as_of_year=2020")
    assert not plain.get_by_test_id("chart-decision-funnel").is_visible()
    assert "0.741" in plain.get_by_test_id("table-intervention-by-reoffending").inner_text()
    context.close()
