"""Bundle imports under bad bytes, damaged zips, database refusals, signals and a second delivery.

Each is a clear ``file:line`` error (or, for a signal, a rolled-back transaction and a
cancelled statement), never a traceback; and nothing is written.
"""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import threading
import time
import zipfile
from pathlib import Path
from typing import Any

import psycopg
import pytest
from django.conf import settings
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection

from agencies.models import Partnership
from cases.models import Case, Person, Referral
from exchange import importer, services
from exchange.importer import IMPORT_CONNECTION_CHECK, IMPORT_STATEMENT_TIMEOUT, import_bundle
from tests.exchange_bundle_data import FILES, write_bundle
from tests.factories import World
from tests.workers import ROOT, database_url_for


def run_import(source: Any, **kwargs: Any) -> Any:
    return import_bundle(source=source, partnership_slug="north", create_name="North", **kwargs)


def written() -> tuple[int, int, int]:
    return Person.objects.count(), Referral.objects.count(), Case.objects.count()


def zipped(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


# --- bytes that cannot be stored -------------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("dry_run", [True, False])
def test_a_nul_byte_in_a_name_is_a_cell_error_in_the_dry_run_and_the_import(tmp_path: Path, dry_run: bool) -> None:
    files = dict(FILES)
    files["people.csv"] = FILES["people.csv"].replace(
        "V2,female,,25_34,,,Amira,Shah", "V2,female,,25_34,,,Am\0ira,Shah"
    )
    before = written()
    result = run_import(write_bundle(tmp_path / "b", files), dry_run=dry_run)
    assert [str(e) for e in result.errors] == [
        "people.csv:4: given_name: contains a control character (U+0000), which cannot be stored"
    ]
    assert written() == before


@pytest.mark.django_db
def test_other_control_characters_are_cell_errors(tmp_path: Path) -> None:
    files = dict(FILES)
    files["people.csv"] = (
        FILES["people.csv"].replace("Tom,Price", "T\x1bom,Price").replace("Ruth,Allen", "Ruth,Al\x7fen")
    )
    result = run_import(write_bundle(tmp_path / "b", files), dry_run=True)
    assert [str(e) for e in result.errors] == [
        "people.csv:6: given_name: contains a control character (U+001B), which cannot be stored",
        "people.csv:13: family_name: contains a control character (U+007F), which cannot be stored",
    ]


@pytest.mark.django_db
def test_one_bad_byte_is_one_error_not_one_for_every_row_after_it(tmp_path: Path) -> None:
    folder = write_bundle(tmp_path / "b")
    people = FILES["people.csv"].encode().replace(b"Hannah,Mills", b"Hannah,Mi\xffls")
    (folder / "people.csv").write_bytes(people)
    result = run_import(folder, dry_run=True)
    assert [str(e) for e in result.errors] == [
        "people.csv:2: family_name: is not UTF-8 text (save the file as CSV UTF-8)"
    ]


# --- a damaged zip ---------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_zip_with_corrupt_deflate_data_names_the_file_and_line(tmp_path: Path) -> None:
    # Enough rows that the damage is well inside people.csv's compressed data.
    people = FILES["people.csv"] + "".join(f"X{i},female,,,,,Given{i},Family{i}\n" for i in range(3000))
    files = {name: text.encode() for name, text in FILES.items()}
    files["people.csv"] = people.encode()
    data = bytearray(zipped(files))
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as archive:
        info = archive.getinfo("people.csv")
    # The member's data start after its 30-byte local header, its name and its extra field.
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    middle = start + info.compress_size // 2
    data[middle : middle + 64] = bytes(64)
    before = written()
    result = run_import(io.BytesIO(bytes(data)), label="upload.zip")
    # One error: not the garbage rows the damaged data inflates to, and no referral for naming a
    # person the damaged file may hold.
    assert len(result.errors) == 1
    damaged = result.errors[0]
    assert damaged.file == "people.csv" and 1 < damaged.line < people.count("\n")
    assert str(damaged) == (
        f"people.csv:{damaged.line}: -: the zip's copy of this file is damaged (found at about this line); "
        "make the zip again"
    )
    assert written() == before


# --- the database refuses a row --------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_database_error_while_writing_is_a_file_and_line_error(tmp_path: Path) -> None:
    # A rule the validation does not know about, as a database constraint added by hand would be.
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE cases_referral ADD CONSTRAINT no_n3 CHECK (ref <> 'N3')")
    before = written()
    result = run_import(write_bundle(tmp_path / "b"))
    # The refused row itself: N3 is the eleventh referral, line 12 after the header.
    assert [(e.file, e.line, e.column) for e in result.errors] == [("referrals.csv", 12, "-")]
    problem = result.errors[0].problem
    assert problem.startswith('could not be saved (new row for relation "cases_referral" violates check constraint')
    assert "one of lines" not in problem
    assert written() == before


# --- the import's connection -----------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_import_runs_with_a_statement_timeout_and_a_connection_check(tmp_path: Path) -> None:
    seen: list[tuple[str, str]] = []

    def progress(message: str) -> None:
        if message.startswith("Checking"):
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT current_setting('statement_timeout'), current_setting('client_connection_check_interval')"
                )
                seen.append(cursor.fetchone())

    assert run_import(write_bundle(tmp_path / "b"), progress=progress).ok
    assert seen == [(IMPORT_STATEMENT_TIMEOUT, IMPORT_CONNECTION_CHECK)]


@pytest.mark.django_db
def test_a_statement_that_times_out_while_writing_is_reported_as_itself(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Someone else's ANALYZE of the cases table, in a transaction left open: the import's own
    # ANALYZE waits for it, past a statement timeout made short for the test.
    monkeypatch.setattr(importer, "IMPORT_STATEMENT_TIMEOUT", "1s")
    with psycopg.connect(database_url_for(settings.DATABASES["default"])) as other:
        other.execute("ANALYZE cases_case")
        result = run_import(write_bundle(tmp_path / "b"))
        other.rollback()
    # Not "current transaction is aborted", from what ran on the way out after the timeout.
    assert [str(e) for e in result.errors] == [
        f"{tmp_path / 'b'}:0: -: could not be saved (a step took longer than 1s and was stopped)"
    ]
    assert written() == (0, 0, 0)


@pytest.mark.django_db(transaction=True)
def test_an_import_into_another_partnership_waits_for_the_one_writing_instead_of_timing_out(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each import ANALYZEs the tables it wrote, inside its transaction: a second import's
    ANALYZE waited for the first's to end, then timed out. One import writes at a time."""
    monkeypatch.setattr(importer, "IMPORT_STATEMENT_TIMEOUT", "1s")
    bundle = write_bundle(tmp_path / "b")
    first_analysed, second_waiting, release = threading.Event(), threading.Event(), threading.Event()
    said: dict[str, list[str]] = {"north": [], "south": []}
    results: dict[str, Any] = {}

    def run(slug: str) -> None:
        def progress(message: str) -> None:
            said[slug].append(message)
            if slug == "north" and message == "Access log":
                # The first import has analysed what it wrote, and holds on, uncommitted.
                first_analysed.set()
                release.wait(timeout=60)
            if slug == "south" and message.startswith("Waiting"):
                second_waiting.set()

        try:
            results[slug] = import_bundle(
                source=bundle, partnership_slug=slug, create_name=slug.title(), progress=progress
            )
        finally:
            connection.close()

    first = threading.Thread(target=run, args=["north"])
    first.start()
    assert first_analysed.wait(timeout=60)
    second = threading.Thread(target=run, args=["south"])
    second.start()
    try:
        # Well past the statement timeout: the second import waits, and has not failed.
        second_waiting.wait(timeout=10)
        time.sleep(2)
        assert second.is_alive(), [str(e) for e in results["south"].errors]
    finally:
        release.set()
    first.join(timeout=60)
    second.join(timeout=60)
    assert results["north"].ok and results["south"].ok, [str(e) for r in results.values() for e in r.errors]
    assert "Waiting for another import to finish" in said["south"]
    assert "Waiting for another import to finish" not in said["north"]
    assert (
        Case.objects.filter(partnership__slug="south").count()
        == Case.objects.filter(partnership__slug="north").count()
        == 13
    )


@pytest.mark.django_db
def test_an_import_leaves_fresh_statistics_on_the_tables_it_wrote(tmp_path: Path) -> None:
    def estimate(table: str) -> float:
        with connection.cursor() as cursor:
            cursor.execute("SELECT reltuples FROM pg_class WHERE oid = %s::regclass", [table])
            return float(cursor.fetchone()[0])

    assert run_import(write_bundle(tmp_path / "b")).ok
    # ANALYZE inside the import's transaction counts its own rows: the planner's estimates are the
    # tables as the import left them (without it, whatever autovacuum saw before: nothing here).
    assert estimate("cases_person") == Person.objects.count() == 25
    assert estimate("cases_case") == Case.objects.count() == 13


@pytest.mark.django_db
def test_the_child_rows_are_read_back_on_statistics_that_count_the_new_referrals(tmp_path: Path) -> None:
    # The child rows are read back joined with the partnership's referrals, written moments
    # before. Planned on statistics from before the import, a new partnership has none: the
    # planner expected one row and looped over every referral for each child row (6 to 10 s a
    # batch at 30,000 referrals in a database of 35 partnerships).
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE cases_referral, cases_case")  # statistics of the tables without the bundle
    seen: list[tuple[float, float, int, int]] = []

    def progress(message: str) -> None:
        if message.strip().startswith("case parties") and not seen:
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT (SELECT reltuples FROM pg_class WHERE oid = 'cases_referral'::regclass), "
                    "(SELECT reltuples FROM pg_class WHERE oid = 'cases_case'::regclass)"
                )
                referrals, cases = cursor.fetchone()
            seen.append((referrals, cases, Referral.objects.count(), Case.objects.count()))

    assert run_import(write_bundle(tmp_path / "b"), progress=progress).ok
    assert seen == [(13, 13, 13, 13)]


SIGTERM_SCRIPT = """
import os, sys
import django
django.setup()
from django.db import connection
from exchange.importer import import_bundle

def progress(message):
    if message.startswith("Checking"):
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_sleep(60) /* bundle-sigterm-test */")

import_bundle(source=sys.argv[1], partnership_slug="north", create_name="North", progress=progress)
"""


def _sleeping_backends() -> list[tuple[int, str]]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid, state FROM pg_stat_activity WHERE query LIKE %s AND pid <> pg_backend_pid()",
            ["%bundle-sigterm-test */"],
        )
        return list(cursor.fetchall())


@pytest.mark.django_db(transaction=True)
def test_sigterm_during_an_import_cancels_its_statement_and_ends_its_transaction(tmp_path: Path) -> None:
    env = dict(os.environ)
    env["DJANGO_SETTINGS_MODULE"] = "masip.settings.test"
    env["DATABASE_URL"] = database_url_for(settings.DATABASES["default"])
    child = subprocess.Popen(
        [sys.executable, "-c", SIGTERM_SCRIPT, str(write_bundle(tmp_path / "b"))],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        while not any(state == "active" for _, state in _sleeping_backends()):
            assert child.poll() is None, child.stdout.read() if child.stdout else ""
            assert time.monotonic() < deadline, "the import never reached its slow step"
            time.sleep(0.2)
        os.kill(child.pid, signal.SIGTERM)
        stopped = time.monotonic()
        child.wait(timeout=20)
        # The statement was cancelled at the server and the transaction ended: no backend is
        # left sleeping (the 60-second sleep would still be running) or idle in the transaction.
        while _sleeping_backends() and time.monotonic() - stopped < 5:
            time.sleep(0.1)
        assert _sleeping_backends() == []
        assert child.returncode == 128 + signal.SIGTERM
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    # The partnership the child made before its slow step was rolled back with the rest.
    assert not Partnership.objects.filter(slug="north").exists()


# --- a second delivery of a running job ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_job_another_worker_is_running_is_left_to_it(world: World) -> None:
    bundle = SimpleUploadedFile("bundle.zip", zipped({n: t.encode() for n, t in FILES.items()}), "application/zip")
    job_id = services.bundle_import_start(actor=world.admin, files=[bundle], dry_run=True)
    key = f"masip-bundle-job:{job_id}"
    # The other worker: its own connection, holding the job's lock.
    with psycopg.connect(database_url_for(settings.DATABASES["default"]), autocommit=True) as other:
        other.execute("SELECT pg_advisory_lock(hashtext(%s))", [key])
        assert services.bundle_import_run(job_id=job_id) == services.BUSY
        assert services.bundle_import_job_for_user(user=world.admin, job_id=job_id).state == services.QUEUED
        other.execute("SELECT pg_advisory_unlock(hashtext(%s))", [key])
    assert services.bundle_import_run(job_id=job_id) == services.DONE
    assert services.bundle_import_job_for_user(user=world.admin, job_id=job_id).succeeded
    cache.delete(f"reporting:bundle-import:{job_id}")


@pytest.mark.django_db
def test_an_upload_while_another_import_writes_waits_outside_its_task_and_a_check_does_not_wait(
    world: World,
) -> None:
    def upload(dry_run: bool) -> str:
        bundle = SimpleUploadedFile("bundle.zip", zipped({n: t.encode() for n, t in FILES.items()}), "application/zip")
        return services.bundle_import_start(actor=world.admin, files=[bundle], dry_run=dry_run)

    job_id, check_id = upload(dry_run=False), upload(dry_run=True)
    cases = Case.objects.filter(partnership=world.partnership)
    # Another import, writing: its own connection, inside its transaction.
    with psycopg.connect(database_url_for(settings.DATABASES["default"])) as other:
        other.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [importer.IMPORT_WRITER_LOCK])
        # The job does not wait in its task (whose time limit would run): the task looks again later.
        assert services.bundle_import_run(job_id=job_id) == services.BUSY
        job = services.bundle_import_job_for_user(user=world.admin, job_id=job_id)
        assert job.progress == "Waiting for another import to finish" and not job.succeeded
        assert cases.count() == 0
        # A check writes nothing and analyses nothing: it runs meanwhile.
        assert services.bundle_import_run(job_id=check_id) == services.DONE
        assert services.bundle_import_job_for_user(user=world.admin, job_id=check_id).succeeded
        other.rollback()
    assert services.bundle_import_run(job_id=job_id) == services.DONE
    assert services.bundle_import_job_for_user(user=world.admin, job_id=job_id).succeeded
    assert cases.count() == 13
    for done in (job_id, check_id):
        cache.delete(f"reporting:bundle-import:{done}")
