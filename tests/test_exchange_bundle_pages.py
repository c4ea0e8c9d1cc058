"""The data bundle page: upload and import (partnership admins), the import job's page with every
error, and the export's download (admins; pseudonymised also programme managers)."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Any

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import Http404
from django.test import Client
from django.urls import reverse

from agencies.models import Role, User
from audit.models import AccessAction, AccessLog
from cases.models import Case
from cases.permissions import view_case_permission_id
from exchange import format as fmt
from exchange import services
from exchange.importer import import_bundle
from tests.exchange_bundle_data import FILES, IDENTIFYING, write_bundle
from tests.factories import World, make_user
from tests.workers import wait_for


def logged_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def zipped(files: dict[str, str], folder: str = "bundle") -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in files.items():
            archive.writestr(f"{folder}/{name}", text)
    return buffer.getvalue()


def upload(name: str, content: bytes | str, kind: str = "text/csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content.encode() if isinstance(content, str) else content, content_type=kind)


# --- who may use the page ---------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_admins_import_and_export_programme_managers_export_pseudonymised_only(world: World) -> None:
    url = reverse("exchange:bundle")
    admin = logged_in(world.admin).get(url)
    assert admin.status_code == 200
    html = admin.content.decode()
    assert 'data-testid="bundle-upload"' in html and 'enctype="multipart/form-data"' in html
    assert 'value="full"' in html and 'value="pseudonymised"' in html
    manager = logged_in(world.programme_manager).get(url)
    assert manager.status_code == 200
    html = manager.content.decode()
    assert 'data-testid="bundle-upload"' not in html and 'value="full"' not in html
    for role in ("triage_officer", "advocate", "clinician", "probation_practitioner"):
        assert logged_in(getattr(world, role)).get(url).status_code == 404, role
    # A programme manager cannot import, even by posting the form.
    bundle = upload("bundle.zip", zipped(FILES), "application/zip")
    assert (
        logged_in(world.programme_manager).post(reverse("exchange:bundle_import"), {"bundle": bundle}).status_code
        == 404
    )


@pytest.mark.django_db
def test_the_old_reporting_addresses_redirect_to_the_bundle_pages_keeping_the_method(world: World) -> None:
    client = logged_in(world.admin)
    job = "00000000-0000-4000-8000-000000000000"
    for old, new in (
        ("/reporting/bundle/", reverse("exchange:bundle")),
        ("/reporting/bundle/import/", reverse("exchange:bundle_import")),
        (f"/reporting/bundle/import/{job}/", reverse("exchange:bundle_import_job", args=[job])),
        ("/reporting/bundle/export/", reverse("exchange:bundle_export")),
    ):
        response = client.get(old)
        assert (response.status_code, response["Location"]) == (308, new), old
    # A form posted to the old address is posted again, as a POST, to the new one.
    response = client.post("/reporting/bundle/export/", {"kind": "pseudonymised"}, follow=True)
    assert response.redirect_chain == [(reverse("exchange:bundle_export"), 308)]
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    # Anything else under the old prefix is not a page.
    assert client.get("/reporting/bundle/elsewhere/").status_code == 404


@pytest.mark.django_db
def test_the_upload_form_says_what_is_wrong_with_the_files(world: World) -> None:
    client = logged_in(world.admin)
    url = reverse("exchange:bundle_import")
    response = client.post(url, {})
    assert response.status_code == 400
    assert "Choose the bundle: a .zip file, or its CSV files" in response.content.decode()
    response = client.post(url, {"bundle": [upload("referrals.csv", "x"), upload("notes.txt", "x")]})
    assert response.status_code == 400
    assert "Choose one .zip file, or CSV files named people.csv" in response.content.decode()
    assert "(not notes.txt)" in response.content.decode()


@pytest.mark.django_db
def test_a_job_is_seen_only_by_admins_of_its_partnership(world: World, other_world: World) -> None:
    job_id = services.bundle_import_start(actor=world.admin, files=[upload("referrals.csv", FILES["referrals.csv"])],
                                          dry_run=True)  # fmt: skip
    url = reverse("exchange:bundle_import_job", args=[job_id])
    assert logged_in(world.admin).get(url).status_code == 200
    assert logged_in(other_world.admin).get(url).status_code == 404
    assert logged_in(world.programme_manager).get(url).status_code == 404
    unknown = reverse("exchange:bundle_import_job", args=["00000000-0000-4000-8000-000000000000"])
    assert logged_in(world.admin).get(unknown).status_code == 404
    cache.delete(services._state_key(job_id))
    cache.delete(services._data_key(job_id))


@pytest.mark.django_db
def test_the_job_page_lists_every_error_and_runs_once(world: World) -> None:
    """The job's work, called as the task calls it (the worker test below runs the real task)."""
    files = dict(FILES)
    files["people.csv"] = FILES["people.csv"].replace("\nV2,female", "\nV2,femail")
    files["interventions.csv"] = FILES["interventions.csv"].replace("completed,12,12", "completed,12,13")
    job_id = services.bundle_import_start(
        actor=world.admin,
        files=[upload(name, text) for name, text in files.items()],
        dry_run=False,
    )
    assert services.bundle_import_run(job_id=job_id) == services.DONE
    assert services.bundle_import_run(job_id=job_id) == services.DONE  # a finished job is not run again
    response = logged_in(world.admin).get(reverse("exchange:bundle_import_job", args=[job_id]))
    html = response.content.decode()
    assert "Nothing was imported: the bundle has 2 problems" in html
    assert "people.csv: 1 problem" in html and "interventions.csv: 1 problem" in html
    assert "&#x27;femail&#x27; is not one of: female, male, other, unknown" in html
    assert "is more than the sessions planned (12)" in html
    assert 'hx-trigger="every 2s"' not in html  # finished: the page stops asking
    assert not Case.objects.filter(partnership=world.partnership).exists()
    assert cache.get(services._data_key(job_id)) is None  # the upload is not kept
    assert 'data-testid="job-times"' in html  # the run recorded when it started and finished
    # When it ran, in the partnership's time, and how long it took.
    services._update(job_id, started_at="2026-03-02T10:00:00+00:00", finished_at="2026-03-02T10:02:05+00:00")
    html = logged_in(world.admin).get(reverse("exchange:bundle_import_job", args=[job_id])).content.decode()
    assert 'Run on <time datetime="2026-03-02T10:02:05+0000">2 March 2026 at 10:02</time>, in about 2 minutes.' in html
    services._update(job_id, started_at="2026-07-02T10:00:00+00:00", finished_at="2026-07-02T10:00:01+00:00")
    html = logged_in(world.admin).get(reverse("exchange:bundle_import_job", args=[job_id])).content.decode()
    assert "2 July 2026 at 11:00</time>, in 1 second." in html  # British Summer Time
    services._update(job_id, started_at="2026-07-02T10:00:00+00:00", finished_at="2026-07-02T10:00:00.400000+00:00")
    html = logged_in(world.admin).get(reverse("exchange:bundle_import_job", args=[job_id])).content.decode()
    assert '<time datetime="2026-07-02T11:00:00+0100">2 July 2026 at 11:00</time>, in under a second.' in html


@pytest.mark.django_db
def test_a_job_that_stops_unexpectedly_says_so(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    job_id = services.bundle_import_start(actor=world.admin, files=[upload("referrals.csv", FILES["referrals.csv"])],
                                          dry_run=False)  # fmt: skip

    def stops(**kwargs: Any) -> None:
        raise RuntimeError("a fault")

    monkeypatch.setattr("exchange.importer.import_bundle", stops)
    assert services.bundle_import_run(job_id=job_id) == services.FAILED
    html = logged_in(world.admin).get(reverse("exchange:bundle_import_job", args=[job_id])).content.decode()
    assert "The bundle was not imported" in html and "stopped with an unexpected error" in html
    assert cache.get(services._data_key(job_id)) is None


@pytest.mark.django_db
def test_a_running_job_page_follows_its_progress(world: World) -> None:
    job_id = services.bundle_import_start(actor=world.admin, files=[upload("referrals.csv", "referral_ref\n")],
                                          dry_run=True)  # fmt: skip
    services._update(job_id, state=services.RUNNING, progress="  people: 5,000 of 184,959")
    client = logged_in(world.admin)
    url = reverse("exchange:bundle_import_job", args=[job_id])
    html = client.get(url).content.decode()
    assert 'hx-get="' in html and 'hx-trigger="every 2s"' in html and "people: 5,000 of 184,959." in html
    assert 'href="' + url + '"' in html  # without JavaScript: a link to look again
    fragment = client.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert fragment.lstrip().startswith('<div id="bundle-job"') and "<html" not in fragment


# --- the export's download --------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_admin_downloads_the_full_export_and_it_is_logged(world: World, tmp_path: Path) -> None:
    import_bundle(source=write_bundle(tmp_path / "b"), partnership_slug=world.partnership.slug)
    response = logged_in(world.admin).post(
        reverse("exchange:bundle_export"), {"kind": "full", "reason": "moving to a new service"}
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip" and "no-store" in response["Cache-Control"]
    assert f'filename="{world.partnership.slug}-bundle-' in response["Content-Disposition"]
    with zipfile.ZipFile(io.BytesIO(response.getvalue())) as archive:
        names = sorted(archive.namelist())
        people = archive.read(f"{world.partnership.slug}/people.csv").decode()
    # The admin's agency (police) may see victim identity: the victims' outcomes are in it.
    assert names == sorted(f"{world.partnership.slug}/{n}" for n in (*fmt.FILES, *fmt.V2_FILES))
    assert "Hannah,Mills" in people
    entry = AccessLog.objects.get(action=AccessAction.EXPORT)
    assert entry.user == world.admin and len(entry.record_ids) == 13
    assert "partnership data bundle export" in entry.purpose and "download" in entry.purpose


@pytest.mark.django_db
def test_programme_manager_downloads_only_the_pseudonymised_export(world: World, tmp_path: Path) -> None:
    import_bundle(source=write_bundle(tmp_path / "b"), partnership_slug=world.partnership.slug)
    client = logged_in(world.programme_manager)
    assert client.post(reverse("exchange:bundle_export"), {"kind": "full", "reason": "moving"}).status_code == 400
    response = client.post(reverse("exchange:bundle_export"), {"kind": "pseudonymised"})
    assert response.status_code == 200
    with zipfile.ZipFile(io.BytesIO(response.getvalue())) as archive:
        text = "".join(archive.read(n).decode() for n in archive.namelist())
    for value in IDENTIFYING:
        assert value not in text
    assert AccessLog.objects.get(action=AccessAction.EXPORT).user == world.programme_manager
    assert (
        logged_in(world.clinician).post(reverse("exchange:bundle_export"), {"kind": "pseudonymised"}).status_code == 404
    )


@pytest.mark.django_db
def test_an_admin_whose_agency_may_not_see_victims_identities_gets_only_the_pseudonymised_export(
    world: World, tmp_path: Path
) -> None:
    # The default agreement does not let health agencies see victim_identity: their admin
    # may neither import (which compares uploaded values with the people held) nor export in full.
    import_bundle(source=write_bundle(tmp_path / "b"), partnership_slug=world.partnership.slug)
    health_admin = make_user(world.health, Role.PARTNERSHIP_ADMIN)
    client = logged_in(health_admin)
    assert "Hannah" not in client.get(reverse("exchange:bundle")).content.decode()
    assert client.post(reverse("exchange:bundle_export"), {"kind": "full", "reason": "moving"}).status_code == 400
    with pytest.raises(Http404):
        services.bundle_export_for_user(actor=health_admin, pseudonymise=False)
    upload_files = {"bundle": upload("referrals.csv", FILES["referrals.csv"])}
    assert client.post(reverse("exchange:bundle_import"), upload_files).status_code == 404
    with pytest.raises(Http404):
        services.bundle_import_start(
            actor=health_admin, files=[upload("referrals.csv", "referral_ref\n")], dry_run=True
        )
    response = client.post(reverse("exchange:bundle_export"), {"kind": "pseudonymised"})
    assert response.status_code == 200
    with zipfile.ZipFile(io.BytesIO(response.getvalue())) as archive:
        text = "".join(archive.read(n).decode() for n in archive.namelist())
    assert "Hannah" not in text and "Mills" not in text


@pytest.mark.django_db
def test_the_section_is_in_the_navigation(world: World) -> None:
    from masip.navigation import sections_for

    assert "data_bundle" in {s.key for s in sections_for(world.admin)}
    assert "data_bundle" in {s.key for s in sections_for(world.programme_manager)}
    assert "data_bundle" not in {s.key for s in sections_for(world.advocate)}


# --- the real job on a real worker -------------------------------------------------------------------------------


@pytest.fixture
def _fresh_permission_id() -> None:
    """A transactional test's flush recreates the permission rows: forget the cached id."""
    view_case_permission_id.cache_clear()


@pytest.mark.django_db(transaction=True)
@pytest.mark.worker
@pytest.mark.usefixtures("_fresh_permission_id")
def test_an_upload_is_imported_by_the_worker(celery_worker_process: Any) -> None:
    world = World("Worker Partnership")
    client = logged_in(world.admin)
    bad = dict(FILES)
    bad["referrals.csv"] = FILES["referrals.csv"].replace("C4,2019-12-28,health", "C4,2019-12-28,hospital")
    response = client.post(
        reverse("exchange:bundle_import"), {"bundle": upload("bad.zip", zipped(bad), "application/zip")}
    )
    assert response.status_code == 302
    job_url = response["Location"]
    wait_for(lambda: "problem" in client.get(job_url).content.decode(), timeout=90, what="the bad bundle's job")
    html = client.get(job_url).content.decode()
    assert "the bundle has 1 problem" in html
    assert "&#x27;hospital&#x27; is not one of: police, probation" in html
    assert not Case.objects.filter(partnership=world.partnership).exists()

    response = client.post(
        reverse("exchange:bundle_import"),
        {"bundle": [upload(name, text) for name, text in FILES.items()]},
    )
    job_url = response["Location"]
    wait_for(lambda: "Bundle imported" in client.get(job_url).content.decode(), timeout=120, what="the import")
    html = client.get(job_url).content.decode()
    assert 'data-testid="job-summary"' in html
    assert Case.objects.filter(partnership=world.partnership).count() == 13
    entry = AccessLog.objects.get(action=AccessAction.CREATE, record_type="cases.case")
    assert entry.user == world.admin and len(entry.record_ids) == 13
