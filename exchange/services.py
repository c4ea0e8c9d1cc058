"""The data bundle from the pages: an upload imported by a Celery job, and the export's download.

An upload may be large (100,000 referrals take minutes to import), so the page does not
import it in the request: the bundle is put in Redis (the one store every web server and
worker shares, besides PostgreSQL), a job is queued, and the page follows the job. The
job's state (queued, running with its last progress line, done with what was added or
every error) lives in Redis beside it for a day; the bundle's bytes are deleted as soon
as the job has read them, and expire after a few hours if no worker ever does.

Who: partnership admins import and export; programme managers may also download the
pseudonymised export (an evaluator's dataset). Everyone else: 404.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import logging
import tempfile
import uuid
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import PurePath
from typing import IO, Any

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import DatabaseError, InterfaceError, OperationalError, connection, transaction
from django.http import Http404
from django.utils import timezone

from agencies.models import Partnership, RecordClass, User
from agencies.permissions import can_see_programme_data, is_partnership_admin
from audit.models import AccessAction
from audit.services import access_record
from cases.models import CaseParty
from cases.permissions import VICTIM_ROLES, may_see
from cases.selectors import restricted_case_ids_withheld_from
from consent.selectors import research_consent_in_force
from exchange import format as fmt
from exchange.exporter import ExportSummary, Withheld, export_to_zip, snapshot
from exchange.forms import REASON_REQUIRED
from exchange.models import BundleTransfer, TransferKind, TransferOutcome
from masip.replica import use_replica

logger = logging.getLogger(__name__)

MAX_UPLOAD_BYTES = 100 * 1024**2
DATA_TTL = 6 * 3600
STATE_TTL = 24 * 3600
ERRORS_KEPT = 1000
QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"


# The keys keep the prefix they had when the bundle was part of reporting: a job queued or
# running while the service is upgraded is still found, and its page still follows it.
def _state_key(job_id: str) -> str:
    return f"reporting:bundle-import:{job_id}"


def _data_key(job_id: str) -> str:
    return f"reporting:bundle-import:{job_id}:data"


@dataclass(frozen=True)
class ImportJob:
    id: str
    state: str
    dry_run: bool
    filename: str
    progress: str
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    created: dict[str, int]
    already_held: dict[str, int]
    errors: list[dict[str, Any]]
    error_count: int
    error_files: dict[str, int]
    failure: str

    @property
    def finished(self) -> bool:
        return self.state in (DONE, FAILED)

    @property
    def succeeded(self) -> bool:
        return self.state == DONE and self.error_count == 0

    @property
    def took_seconds(self) -> int | None:
        """How long the worker spent on it, for the page (a 100,000-referral bundle: minutes)."""
        if self.started_at is None or self.finished_at is None:
            return None
        return round((self.finished_at - self.started_at).total_seconds())


def _when(value: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(value) if value else None


def _job(job_id: str, state: dict[str, Any]) -> ImportJob:
    return ImportJob(
        id=job_id,
        state=state["state"],
        dry_run=state["dry_run"],
        filename=state["filename"],
        progress=state.get("progress", ""),
        started_at=_when(state.get("started_at")),
        finished_at=_when(state.get("finished_at")),
        created=state.get("created", {}),
        already_held=state.get("already_held", {}),
        errors=state.get("errors", []),
        error_count=state.get("error_count", 0),
        error_files=state.get("error_files", {}),
        failure=state.get("failure", ""),
    )


def _bundle_bytes(files: Sequence[UploadedFile]) -> tuple[bytes, str]:
    """One .zip as it is, or several CSV files put into a zip: the importer reads either."""
    if not files:
        raise ValidationError({"bundle": "Choose the bundle: a .zip file, or its CSV files"})
    if sum(f.size or 0 for f in files) > MAX_UPLOAD_BYTES:
        raise ValidationError({"bundle": "The bundle must be smaller than 100 MB"})
    names = [PurePath(f.name or "").name for f in files]
    if len(files) == 1 and names[0].lower().endswith(".zip"):
        return files[0].read(), names[0]
    unknown = [n for n in names if n not in fmt.ALL_FILES]
    if unknown:
        expected = ", ".join(fmt.ALL_FILES)
        raise ValidationError(
            {"bundle": f"Choose one .zip file, or CSV files named {expected} (not {', '.join(unknown)})"}
        )
    if len(set(names)) != len(names):
        raise ValidationError({"bundle": "The same file was chosen twice"})
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, upload in zip(names, files, strict=True):
            archive.writestr(name, upload.read())
    return buffer.getvalue(), ", ".join(names)


def bundle_import_start(*, actor: User, files: Sequence[UploadedFile], dry_run: bool) -> str:
    """Keep the upload and queue its import; answers the job's id (for the job's page)."""
    if not may_handle_identities(actor):
        raise Http404
    assert actor.agency is not None
    data, filename = _bundle_bytes(files)
    job_id = str(uuid.uuid4())
    cache.set(_data_key(job_id), data, DATA_TTL)
    cache.set(
        _state_key(job_id),
        {
            "partnership_id": actor.agency.partnership_id,
            "user_id": actor.pk,
            "state": QUEUED,
            "dry_run": dry_run,
            "filename": filename,
            "progress": "Waiting to start",
        },
        STATE_TTL,
    )
    from exchange.tasks import import_bundle_job

    transaction.on_commit(lambda: import_bundle_job.delay(job_id))
    return job_id


def bundle_import_job_for_user(*, user: User, job_id: str) -> ImportJob:
    """A job of the user's own partnership, for its admins; otherwise (or expired) 404."""
    if not may_handle_identities(user):
        raise Http404
    assert user.agency is not None
    state = cache.get(_state_key(job_id))
    if state is None or state["partnership_id"] != user.agency.partnership_id:
        raise Http404
    return _job(job_id, state)


def _update(job_id: str, **changes: Any) -> dict[str, Any] | None:
    state = cache.get(_state_key(job_id))
    if state is None:
        return None
    state.update(changes)
    cache.set(_state_key(job_id), state, STATE_TTL)
    return state


BUSY = "busy"


@contextlib.contextmanager
def _job_lock(job_id: str) -> Iterator[bool]:
    """True while this process holds the job's lock; False if another worker is running the job.

    A PostgreSQL session lock, so it goes with its holder: a worker that dies mid-import
    loses its connection, and the lock with it, and the next delivery runs the job. (An
    import may run longer than the broker's visibility timeout, masip.jobs, and is then
    delivered a second time while the first run is still going.)
    """
    key = f"masip-bundle-job:{job_id}"
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(hashtext(%s))", [key])
        held = bool(cursor.fetchone()[0])
    try:
        yield held
    finally:
        if held:
            with contextlib.suppress(DatabaseError), connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(hashtext(%s))", [key])


def bundle_import_run(*, job_id: str) -> str:
    """The job's work (exchange.tasks): run the import as the admin who uploaded it.

    Safe to run twice: a finished job is left as it is, a job another worker is running
    answers ``busy`` (the task checks again later), and a job whose worker died part way
    had its transaction rolled back, so running it again imports it once.
    """
    with _job_lock(job_id) as held:
        if not held:
            return BUSY
        return _import_run(job_id)


def _import_run(job_id: str) -> str:
    from exchange.importer import WAITING_FOR_WRITER, WriterBusy, import_bundle

    state = cache.get(_state_key(job_id))
    if state is None or state["state"] in (DONE, FAILED):
        return state["state"] if state else "expired"
    data = cache.get(_data_key(job_id))
    actor = User.objects.filter(pk=state["user_id"], is_active=True).select_related("agency__partnership").first()
    if data is None or actor is None or not may_handle_identities(actor) or actor.agency is None:
        _update(job_id, state=FAILED, failure="The upload expired before it could be imported; upload it again")
        return FAILED
    assert actor.agency is not None
    partnership = actor.agency.partnership
    _update(job_id, state=RUNNING, started_at=timezone.now().isoformat(), progress="Reading the bundle")

    def progress(message: str) -> None:
        _update(job_id, progress=message.strip())

    try:
        result = import_bundle(
            source=io.BytesIO(data),
            partnership_slug=partnership.slug,
            dry_run=state["dry_run"],
            actor=actor,
            label=state["filename"],
            progress=progress,
            # Not waiting in the task, whose time limit would run while another import writes:
            # the task looks again later (exchange.tasks), as for a job another worker runs.
            wait_for_writer=False,
        )
    except WriterBusy:
        _update(job_id, progress=WAITING_FOR_WRITER)
        return BUSY
    except (OperationalError, InterfaceError):
        raise  # the database went away: the task is retried, and the import (rolled back) runs again
    except Exception:
        # Ids only in the log: the bundle is personal data.
        logger.exception("bundle import job %s stopped with an unexpected error", job_id)
        _update(
            job_id,
            state=FAILED,
            finished_at=timezone.now().isoformat(),
            failure="The import stopped with an unexpected error, and nothing was imported. "
            "Upload the bundle again; if it stops again, the service's support team can see why in its log.",
        )
        bundle_import_log(
            actor=actor,
            partnership_id=partnership.pk,
            dry_run=state["dry_run"],
            source=state["filename"],
            outcome=TransferOutcome.FAILED,
        )
        cache.delete(_data_key(job_id))
        return FAILED
    error_files: dict[str, int] = {}
    for error in result.errors:
        error_files[error.file] = error_files.get(error.file, 0) + 1
    _update(
        job_id,
        state=DONE,
        finished_at=timezone.now().isoformat(),
        progress="",
        created=dict(result.created),
        already_held=dict(result.already_held),
        errors=[
            {"file": e.file, "line": e.line, "column": e.column, "problem": e.problem, "text": str(e)}
            for e in result.errors[:ERRORS_KEPT]
        ],
        error_count=len(result.errors),
        error_files=error_files,
    )
    bundle_import_log(
        actor=actor,
        partnership_id=partnership.pk,
        dry_run=state["dry_run"],
        source=state["filename"],
        outcome=TransferOutcome.REJECTED if result.errors else TransferOutcome.DONE,
        created=dict(result.created),
        already_held=dict(result.already_held),
        error_count=len(result.errors),
    )
    cache.delete(_data_key(job_id))
    return DONE


# --- the export -------------------------------------------------------------------------------------------------------


def may_handle_identities(user: Any) -> bool:
    """Import, and the full export: a partnership admin whose agency the sharing agreement lets
    see victims' identities. A full bundle carries victims' names, dates of birth and
    identifiers, and an import says which uploaded values differ from those held."""
    return is_partnership_admin(user) and may_see(user, RecordClass.VICTIM_IDENTITY)


def may_export(user: Any, *, pseudonymise: bool) -> bool:
    # The role check first: it needs no query, and it settles the header's link for every
    # manager and admin without reading the sharing agreement on each page.
    return (pseudonymise and can_see_programme_data(user)) or may_handle_identities(user)


def export_reason_check(*, pseudonymise: bool, reason: str) -> str:
    """The reason for an identifiable export, trimmed; a ValidationError on ``reason`` when none is given.

    Names, dates of birth and identifiers leave the service in such an export, so whoever
    takes one says why, and the access log keeps it. The pseudonymised export needs none.
    """
    reason = " ".join(reason.split())
    if not pseudonymise and not reason:
        raise ValidationError({"reason": REASON_REQUIRED})
    return reason


@transaction.atomic
def bundle_export_log(
    *,
    actor: User | None,
    partnership: Partnership,
    summary: ExportSummary,
    target: str = "",
    reason: str = "",
    for_evaluation: bool = False,
) -> None:
    """The record of an export: the access log's row (every case it holds, whether it was
    pseudonymised, the reason given) and the row of the partnership's transfer history."""
    kind = "pseudonymised partnership data bundle" if summary.pseudonymised else "partnership data bundle"
    written = fmt.FILES + tuple(name for name in (*fmt.V2_FILES, *fmt.COST_FILES) if name in summary.rows)
    rows = ", ".join(f"{summary.rows.get(name, 0):,} {name}" for name in written)
    access_record(
        user=actor,
        action=AccessAction.EXPORT,
        record_type="cases.case",
        record_ids=summary.case_ids,
        purpose=f"{kind} export of {partnership.slug}{f' to {target}' if target else ''}: {rows}"
        + (f". Reason: {reason}" if reason else ""),
    )
    BundleTransfer.objects.create(
        partnership=partnership,
        user=actor,
        kind=TransferKind.PSEUDONYMISED_EXPORT
        if summary.pseudonymised
        else TransferKind.EVALUATION_EXPORT
        if for_evaluation
        else TransferKind.FULL_EXPORT,
        outcome=TransferOutcome.DONE,
        source=target[:255],
        rows={name: summary.rows.get(name, 0) for name in written},
        reason=reason,
    )


@transaction.atomic
def bundle_import_log(
    *,
    actor: User | None,
    partnership_id: int,
    dry_run: bool,
    source: str,
    outcome: TransferOutcome,
    created: dict[str, int] | None = None,
    already_held: dict[str, int] | None = None,
    error_count: int = 0,
) -> BundleTransfer:
    """The transfer history's row of a finished import (or check): the counts, not the content."""
    return BundleTransfer.objects.create(
        partnership_id=partnership_id,
        user=actor,
        kind=TransferKind.CHECK if dry_run else TransferKind.IMPORT,
        outcome=outcome,
        source=source[:255],
        rows={name: count for name, count in (created or {}).items() if count},
        already_held={name: count for name, count in (already_held or {}).items() if count},
        error_count=error_count,
    )


HISTORY_LIMIT = 200


def bundle_transfers_for_user(*, user: User, limit: int = HISTORY_LIMIT) -> list[BundleTransfer]:
    """The partnership's past imports and exports, newest first: for those who may export (404 else).

    Logged as a look at those rows: a reason typed for an export may name a person. So the
    reason is shown only to those who may take an identifiable export themselves
    (``may_handle_identities``); for anyone else (a programme manager who may take only the
    pseudonymised bundle) it is taken off the rows returned and ``reason_withheld`` is set:
    the page says a reason was recorded, not what it was.
    """
    if not may_export(user, pseudonymise=True):
        raise Http404
    assert user.agency is not None
    transfers = list(
        BundleTransfer.objects.filter(partnership_id=user.agency.partnership_id).select_related("user__agency")[:limit]
    )
    reasons_shown = may_handle_identities(user)
    for transfer in transfers:
        # Shaped here, never in the template; these rows are for display and never saved.
        transfer.reason_withheld = bool(transfer.reason) and not reasons_shown  # type: ignore[attr-defined]
        if transfer.reason_withheld:  # type: ignore[attr-defined]
            transfer.reason = ""
    if transfers:
        access_record(
            user=user,
            action=AccessAction.VIEW,
            record_type="exchange.bundletransfer",
            record_ids=[t.pk for t in transfers],
            purpose="bundle history",
        )
    return transfers


def _victims_without_research_consent(partnership_id: int) -> set[int]:
    victims = set(
        CaseParty.objects.filter(case__partnership_id=partnership_id, role__in=VICTIM_ROLES).values_list(
            "person_id", flat=True
        )
    )
    return victims - research_consent_in_force(victims)


def bundle_export_for_user(
    *, actor: User, pseudonymise: bool, for_evaluation: bool = False, reason: str = ""
) -> tuple[IO[bytes], str]:
    """The user's partnership as a .zip (a temporary file, read from the start) and its file name.

    ``reason``: why an export with names is taken (required unless ``pseudonymise``); logged.

    ``for_evaluation``: an identifiable export for evaluators, in which a victim is named only
    with her research consent in force (consent app); the others are left unnamed, as in the
    pseudonymised export. The pseudonymised export stays under its own basis.
    """
    if not may_export(actor, pseudonymise=pseudonymise):
        raise Http404
    reason = export_reason_check(pseudonymise=pseudonymise, reason=reason)
    assert actor.agency is not None
    partnership = actor.agency.partnership
    withheld = Withheld.cases(restricted_case_ids_withheld_from(actor))
    if for_evaluation and not pseudonymise:
        withheld = withheld.unnamed(_victims_without_research_consent(partnership.pk))
    # A victim's own costs are victim_identity: left out for an agency that may not see it.
    victim_costs = may_see(actor, RecordClass.VICTIM_IDENTITY)
    stream: IO[bytes] = tempfile.SpooledTemporaryFile(max_size=32 * 1024**2)  # noqa: SIM115 (returned open)
    # What is withheld and who may see what were read above, on the primary: a restriction or a
    # consent withdrawn a moment ago holds even while the replica is behind. The rows themselves
    # are read from the replica when there is one (masip/replica.py); the export's log row and
    # history, written below, go to the primary.
    with use_replica(), snapshot(), zipfile.ZipFile(stream, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        summary = export_to_zip(
            partnership=partnership,
            archive=archive,
            pseudonymise=pseudonymise,
            withheld=withheld,
            victim_costs=victim_costs,
        )
        bundle_export_log(
            actor=actor,
            partnership=partnership,
            summary=summary,
            target="download",
            reason=reason,
            for_evaluation=for_evaluation and not pseudonymise,
        )
    stream.seek(0)
    suffix = "-pseudonymised" if pseudonymise else "-evaluation" if for_evaluation else ""
    return stream, f"{partnership.slug}-bundle{suffix}-{timezone.localdate():%Y-%m-%d}.zip"
