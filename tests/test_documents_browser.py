"""In a real browser: an advocate drops two files on a case's upload form and downloads one back;
a probation practitioner on the same case neither sees nor downloads the victim's address evidence."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import pytest
from django.contrib.contenttypes.models import ContentType

from cases.models import CaseParty, PartyRole
from cases.permissions import view_case_permission_id
from documents.models import Document
from tests.case_factories import make_case
from tests.conftest import sign_in
from tests.document_factories import pdf_bytes, png_bytes
from tests.factories import PASSWORD, World

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


def _sign_out(page: Any) -> None:
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(re.compile(r".*/accounts/login/.*|.*/$"))


def test_an_advocate_uploads_and_downloads_and_probation_is_refused(page: Any, tmp_path: Path) -> None:
    view_case_permission_id.cache_clear()
    ContentType.objects.clear_cache()
    world = World("Documents Browser Partnership")
    case = make_case(world.triage_officer)
    victim = CaseParty.objects.get(case=case, role=PartyRole.VICTIM).person
    evidence = tmp_path / "door camera.png"
    evidence.write_bytes(png_bytes())
    log = tmp_path / "call log.pdf"
    log.write_bytes(pdf_bytes("Calls since March"))
    today = dt.date.today()

    sign_in(page, world.advocate.email, PASSWORD)
    page.wait_for_url(re.compile(r".*/$"))
    page.goto(f"/cases/{case.pk}/")
    page.get_by_role("link", name="Documents").first.click()
    page.get_by_role("link", name="Upload documents").click()
    page.locator("input[type=file]").set_input_files([str(evidence), str(log)])
    page.get_by_label("Title").fill("Evidence at her address")
    page.get_by_label("Kind of document").select_option(label="Evidence log")
    page.locator("input[name=dated_on_day]").fill(str(today.day))
    page.locator("input[name=dated_on_month]").fill(str(today.month))
    page.locator("input[name=dated_on_year]").fill(str(today.year))
    page.get_by_label("About").select_option(value=str(victim.pk))
    page.get_by_label("Who may read it").select_option(value="victim_location")
    page.get_by_role("button", name="Upload").click()
    page.wait_for_url(re.compile(rf".*/documents/cases/{case.pk}/$"))
    table = page.get_by_test_id("documents")
    assert "Evidence at her address – door camera" in table.inner_text()
    assert "Evidence at her address – call log" in table.inner_text()
    assert Document.objects.filter(case=case).count() == 2
    stored = Document.objects.get(case=case, filename="call log.pdf")

    with page.expect_download() as caught:
        page.get_by_role("link", name=re.compile("Evidence at her address – call log")).click()
    download = caught.value
    assert download.suggested_filename == "call log.pdf"
    assert Path(download.path()).read_bytes() == pdf_bytes("Calls since March")
    _sign_out(page)

    sign_in(page, world.probation_practitioner.email, PASSWORD)
    page.wait_for_url(re.compile(r".*/$"))
    page.goto(f"/documents/cases/{case.pk}/")
    assert "There are no documents on this case that you may see." in page.locator("main").inner_text()
    refused = page.request.get(f"/documents/{stored.pk}/download/")
    assert refused.status == 404
    assert refused.headers.get("content-disposition") is None
    for document in Document.objects.filter(case=case):
        document.file.delete(save=False)
