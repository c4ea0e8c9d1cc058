"""An audit trail an admin can use: the access log searched by case reference or by person
(found by name, or by id), a reason before an export with names, and the history of the
partnership's imports and exports."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import pytest
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.http import Http404
from django.test import Client
from django.urls import reverse

from agencies import services as agency_services
from agencies.models import DEFAULT_SHARING, AgencyKind, RecordClass, Role, User
from audit.models import AccessAction, AccessLog
from audit.services import access_record
from cases.models import CaseParty, PartyRole
from exchange import services
from exchange.importer import import_bundle
from exchange.models import BundleTransfer, TransferKind, TransferOutcome
from tests.case_factories import make_case
from tests.exchange_bundle_data import FILES, write_bundle
from tests.factories import World, make_user


def logged_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def shown(response: object) -> list[tuple[str, list[str]]]:
    page = response.context["page"]  # type: ignore[attr-defined]
    return [(e.record_type, e.record_ids) for e in page.entries if e.record_type != "audit.accesslog"]


# --- (a) the access log by case reference or by person -----------------------------------------------------------


@pytest.mark.django_db
def test_the_access_log_is_searched_by_case_reference_in_any_usual_form(world: World, other_world: World) -> None:
    access_record(user=world.advocate, action=AccessAction.VIEW, record_type="cases.case", record_ids=["37"])
    access_record(user=world.advocate, action=AccessAction.VIEW, record_type="cases.case", record_ids=["370"])
    access_record(user=world.advocate, action=AccessAction.VIEW, record_type="cases.person", record_ids=["37"])
    access_record(user=other_world.advocate, action=AccessAction.VIEW, record_type="cases.case", record_ids=["37"])
    client = logged_in(world.admin)
    url = reverse("agencies:access_log")
    for reference in ("MASIP-000037", "masip 37", "37", "000037"):
        response = client.get(url, {"case": reference})
        assert response.status_code == 200
        # The case's own row only: not case 370, not person 37, not the other partnership's case 37.
        assert shown(response) == [("cases.case", ["37"])], reference
        assert "no-store" in response["Cache-Control"]
    bad = client.get(url, {"case": "MASIP-ABC"})
    assert bad.context["page"] is None
    assert "Enter the case reference like MASIP-000037" in bad.content.decode()
    # The download follows the same filter.
    csv_rows = client.get(reverse("agencies:access_log_export"), {"case": "MASIP-000037"}).content.decode()
    assert len(csv_rows.strip().splitlines()) == 2


@pytest.mark.django_db
def test_the_access_log_is_searched_by_person_id_and_one_question_at_a_time(world: World) -> None:
    access_record(user=world.advocate, action=AccessAction.VIEW, record_type="cases.person", record_ids=["7", "8"])
    access_record(user=world.clinician, action=AccessAction.SEARCH, record_type="cases.person", record_ids=["8"])
    access_record(user=world.advocate, action=AccessAction.VIEW, record_type="cases.case", record_ids=["7"])
    client = logged_in(world.admin)
    url = reverse("agencies:access_log")
    assert sorted(r for _t, r in shown(client.get(url, {"person": "8"}))) == [["7", "8"], ["8"]]
    assert shown(client.get(url, {"person": "7"})) == [("cases.person", ["7", "8"])]
    # Several errors at once: a person id that is not a number, and a case with a record type.
    both = client.get(url, {"person": "seven", "case": "37", "record_type": "cases.case"})
    html = both.content.decode()
    assert both.context["page"] is None
    assert "Enter the person id as a number" in html
    assert "Search by one of case reference, person, or record type and id" in html


@pytest.mark.django_db
def test_an_admin_finds_a_person_by_name_without_the_name_in_any_url(world: World, other_world: World) -> None:
    case = make_case(world.triage_officer)
    victim = CaseParty.objects.get(case=case, role=PartyRole.VICTIM).person
    make_case(other_world.triage_officer, victim_name=("Hannah", "Milton"))
    access_record(user=world.advocate, action=AccessAction.VIEW, record_type="cases.person", record_ids=[victim.pk])
    client = logged_in(world.admin)
    url = reverse("agencies:access_log")
    response = client.post(url, {"person_name": "hannah mills"})
    assert response.status_code == 200
    people = response.context["people"]
    assert [(p.person_id, p.name) for p in people] == [(victim.pk, "Hannah Mills")]  # not the other partnership's
    html = response.content.decode()
    assert f'href="?person={victim.pk}"' in html and "Hannah" not in response.request["PATH_INFO"]
    # The names shown are a search of those people, logged.
    logged = AccessLog.objects.get(user=world.admin, action=AccessAction.SEARCH, record_type="cases.person")
    assert logged.record_ids == [str(victim.pk)]
    # Following the link: who looked at her record (the advocate, and the admin's own search).
    entries = client.get(url, {"person": victim.pk}).context["page"].entries
    assert [(e.user, e.action) for e in entries] == [
        (world.admin, AccessAction.SEARCH),
        (world.advocate, AccessAction.VIEW),
    ]
    # Too short a name: the error, and no search.
    short = client.post(url, {"person_name": "h"})
    assert short.context["people"] is None and "Enter at least two letters" in short.content.decode()


@pytest.mark.django_db
def test_the_name_search_is_refused_outside_its_rule(world: World, other_world: World) -> None:
    make_case(world.triage_officer)
    url = reverse("agencies:access_log")
    # Not a partnership admin: 404, to the search as to the page.
    for role in ("advocate", "programme_manager", "triage_officer"):
        assert logged_in(getattr(world, role)).post(url, {"person_name": "Hannah Mills"}).status_code == 404, role
    # Another partnership's admin finds nobody of this one.
    assert logged_in(other_world.admin).post(url, {"person_name": "Hannah Mills"}).context["people"] == []
    # An admin whose agency the agreement does not give victim identity is not told a victim's name.
    health_admin = make_user(world.health, Role.PARTNERSHIP_ADMIN)
    found = logged_in(health_admin).post(url, {"person_name": "Hannah Mills"}).context["people"]
    assert found == []
    perpetrator = logged_in(health_admin).post(url, {"person_name": "Darren Cole"}).context["people"]
    assert [p.name for p in perpetrator] == ["Darren Cole"]


# --- (b) a reason before an export with names --------------------------------------------------------------------


@pytest.mark.django_db
def test_an_export_with_names_asks_why_and_logs_the_reason(world: World, tmp_path: Path) -> None:
    import_bundle(source=write_bundle(tmp_path / "b"), partnership_slug=world.partnership.slug)
    client = logged_in(world.admin)
    url = reverse("exchange:bundle_export")
    for kind in ("full", "evaluation"):
        refused = client.post(url, {"kind": kind, "reason": "   "})
        assert refused.status_code == 400, kind
        assert "Say why the export with names is needed" in refused.content.decode()
    assert not AccessLog.objects.filter(action=AccessAction.EXPORT).exists()
    assert not BundleTransfer.objects.filter(kind=TransferKind.FULL_EXPORT).exists()
    response = client.post(url, {"kind": "full", "reason": "Moving to the county's new case system"})
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    entry = AccessLog.objects.get(action=AccessAction.EXPORT)
    assert entry.purpose.endswith("Reason: Moving to the county's new case system")
    transfer = BundleTransfer.objects.get(kind=TransferKind.FULL_EXPORT)
    assert transfer.reason == "Moving to the county's new case system" and transfer.user == world.admin
    # The pseudonymised export needs none, from an admin or a programme manager.
    assert client.post(url, {"kind": "pseudonymised"}).status_code == 200
    assert logged_in(world.programme_manager).post(url, {"kind": "pseudonymised"}).status_code == 200
    # The service asks too, whatever calls it.
    with pytest.raises(ValidationError):
        services.bundle_export_for_user(actor=world.admin, pseudonymise=False, reason="")
    with pytest.raises(CommandError, match="--reason"):
        call_command("export_bundle", str(tmp_path / "e.zip"), "--partnership", world.partnership.slug)
    assert not (tmp_path / "e.zip").exists()
    call_command("export_bundle", str(tmp_path / "e.zip"), "--partnership", world.partnership.slug,
                 "--reason", "Archive for the inquiry", stdout=io.StringIO())  # fmt: skip
    assert BundleTransfer.objects.filter(reason="Archive for the inquiry", user=None).exists()


# --- (c) past imports and exports ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_past_imports_and_exports_are_listed_with_who_when_counts_and_outcome(world: World, other_world: World) -> None:
    def job(files: dict[str, str], *, dry_run: bool) -> None:
        job_id = services.bundle_import_start(
            actor=world.admin,
            files=[SimpleUploadedFile(name, text.encode(), content_type="text/csv") for name, text in files.items()],
            dry_run=dry_run,
        )
        assert services.bundle_import_run(job_id=job_id) == services.DONE
        cache.delete(services._state_key(job_id))

    broken = dict(FILES)
    broken["people.csv"] = FILES["people.csv"].replace("\nV2,female", "\nV2,femail")
    job(broken, dry_run=False)
    job(FILES, dry_run=False)
    logged_in(world.programme_manager).post(reverse("exchange:bundle_export"), {"kind": "pseudonymised"})
    BundleTransfer.objects.create(partnership=other_world.partnership, kind="import", outcome="done", source="x.zip")

    url = reverse("exchange:bundle_history")
    response = logged_in(world.admin).get(url)
    assert response.status_code == 200 and "no-store" in response["Cache-Control"]
    transfers = response.context["transfers"]
    assert [(t.kind, t.outcome, t.user) for t in transfers] == [
        (TransferKind.PSEUDONYMISED_EXPORT, TransferOutcome.DONE, world.programme_manager),
        (TransferKind.IMPORT, TransferOutcome.DONE, world.admin),
        (TransferKind.IMPORT, TransferOutcome.REJECTED, world.admin),
    ]
    exported, imported, rejected = transfers
    assert imported.rows["referrals.csv"] == FILES["referrals.csv"].strip().count("\n")
    assert exported.rows["referrals.csv"] == imported.rows["referrals.csv"]
    assert rejected.rows == {} and rejected.error_count == 1
    html = response.content.decode()
    assert "1 error" in html and "Rejected: the bundle has errors" in html and str(world.programme_manager) in html
    assert "x.zip" not in html  # the other partnership's import
    viewed = AccessLog.objects.get(user=world.admin, record_type="exchange.bundletransfer")
    assert sorted(viewed.record_ids) == sorted(str(t.pk) for t in transfers)
    # Programme managers see it too; every other role: 404.
    assert logged_in(world.programme_manager).get(url).status_code == 200
    for role in ("triage_officer", "advocate", "clinician", "probation_practitioner"):
        assert logged_in(getattr(world, role)).get(url).status_code == 404, role
    with pytest.raises(Http404):
        services.bundle_transfers_for_user(user=world.advocate)
    # The bundle page links to it.
    assert f'href="{url}"' in logged_in(world.admin).get(reverse("exchange:bundle")).content.decode()


REASON_NAMING_HER = "Serious case review into the death of Hannah Mills"


def _reason_cell(html: str) -> str:
    return html.split('data-testid="transfer-reason">')[1].split("</span>")[0]


@pytest.mark.django_db
@pytest.mark.parametrize("agreement", ["default", "identity_to_advocacy_only"])
def test_an_export_reason_is_shown_only_to_those_who_may_take_an_identifiable_export(
    world: World, agreement: str
) -> None:
    """A reason is free text and may name people: the history shows it to a partnership admin
    whose agency may see victims' identities; a programme manager (pseudonymised exports only),
    or an admin whose agency the agreement denies identity, reads "Reason recorded"."""
    transfer = BundleTransfer.objects.create(
        partnership=world.partnership,
        user=world.admin,
        kind=TransferKind.FULL_EXPORT,
        outcome=TransferOutcome.DONE,
        reason=REASON_NAMING_HER,
    )
    if agreement != "default":
        matrix = {k: list(v) for k, v in DEFAULT_SHARING.items()}
        matrix[RecordClass.VICTIM_IDENTITY] = [AgencyKind.ADVOCACY]
        agency_services.agreement_update(actor=world.admin, partnership=world.partnership, matrix=matrix)
    url = reverse("exchange:bundle_history")
    readers = {"programme_manager": False, "admin": agreement == "default"}
    for role, sees_reason in readers.items():
        response = logged_in(getattr(world, role)).get(url)
        assert response.status_code == 200, role
        html = response.content.decode()
        if sees_reason:
            assert _reason_cell(html) == f"Reason: {REASON_NAMING_HER}", role
        else:
            assert "Hannah" not in html and "Mills" not in html, role
            assert _reason_cell(html) == "Reason recorded", role
    # Shaped for the page only: the stored reason is untouched.
    transfer.refresh_from_db()
    assert transfer.reason == REASON_NAMING_HER


@pytest.mark.django_db
def test_a_failed_import_and_a_command_import_are_in_the_history(
    world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    job_id = services.bundle_import_start(
        actor=world.admin,
        files=[SimpleUploadedFile("referrals.csv", FILES["referrals.csv"].encode(), content_type="text/csv")],
        dry_run=True,
    )

    def stops(**kwargs: object) -> None:
        raise RuntimeError("a fault")

    with monkeypatch.context() as patch:
        patch.setattr("exchange.importer.import_bundle", stops)
        assert services.bundle_import_run(job_id=job_id) == services.FAILED
    cache.delete(services._state_key(job_id))
    call_command("import_bundle", str(write_bundle(tmp_path / "b")), "--partnership", world.partnership.slug,
                 "--dry-run", stdout=io.StringIO())  # fmt: skip
    kinds = list(BundleTransfer.objects.values_list("kind", "outcome", "source", "user"))
    assert kinds == [
        (TransferKind.CHECK, TransferOutcome.DONE, str(tmp_path / "b"), None),
        (TransferKind.CHECK, TransferOutcome.FAILED, "referrals.csv", world.admin.pk),
    ]
    html = logged_in(world.admin).get(reverse("exchange:bundle_history")).content.decode()
    assert "System (command)" in html and "Stopped with an unexpected error" in html


# --- (d) a POST logs what it does, not a view ------------------------------------------------------------------


def _actions_since(user: User, mark: int) -> list[tuple[str, str]]:
    return list(AccessLog.objects.filter(user=user, id__gt=mark).order_by("id").values_list("action", "record_type"))


def _mark() -> int:
    return AccessLog.objects.order_by("-id").values_list("id", flat=True).first() or 0


@pytest.mark.django_db
def test_a_post_logs_the_write_it_makes_and_no_view(world: World) -> None:
    """The reads that only gate a write scope without logging: each POST below writes its
    ``create`` or ``change`` row and no ``view`` row; the GET of the same form logs the view."""
    import datetime as dt

    from django.utils import timezone

    from advocacy import services as advocacy_services
    from advocacy.models import VictimNotice
    from consent.models import Consent
    from documents.models import Document
    from tests.advocacy_factories import contact_input, victim_id
    from tests.document_factories import pdf

    case = make_case(world.triage_officer)
    victim = CaseParty.objects.get(case=case, role=PartyRole.VICTIM).person_id
    advocate = world.advocate
    client = logged_in(advocate)
    today = dt.date.today()
    day = {"day": today.day, "month": today.month, "year": today.year}
    advocacy_services.advocate_assign(actor=advocate, case=case, advocate=advocate)
    entry = advocacy_services.contact_record(actor=advocate, case=case, data=contact_input())
    when = timezone.localtime() - dt.timedelta(hours=2)
    event = advocacy_services.key_event_record(
        actor=world.triage_officer,
        case=case,
        data=advocacy_services.KeyEventInput(kind="release_from_custody", occurs_on=timezone.localdate()),
    )
    notice = VictimNotice.objects.get(key_event=event)
    contact = {
        **{f"contact-occurred_on_{k}": v for k, v in {"day": when.day, "month": when.month, "year": when.year}.items()},
        "contact-occurred_time": f"{when:%H:%M}",
        "contact-channel": "phone",
        "contact-direction": "to_victim",
        "contact-topics": ["safety_planning"],
        "contact-summary": "Talked through the bail conditions.",
    }
    posts: list[tuple[str, str, dict[str, object], str, str]] = [
        (
            "documents page",
            reverse("documents:upload", args=[case.pk]),
            {"uploads": [pdf()], "kind": "other", **{f"dated_on_{k}": v for k, v in day.items()}},
            "create",
            "documents.document",
        ),
        (
            "documents API",
            reverse("api-documents-case", args=[case.pk]),
            {"files": [pdf()], "kind": "other", "dated_on": today.isoformat()},
            "create",
            "documents.document",
        ),
        (
            "letter page",
            reverse("documents:letter_create", args=[case.pk]),
            {
                "template": "housing_support",
                "person": victim,
                "recipient_name": "Chester Homes Housing Options",
                "recipient_address": "1 Town Hall Square\nChester",
            },
            "create",
            "documents.document",
        ),
        (
            "consent page",
            reverse("consent:consent_add", args=[case.pk]),
            {
                "person": victim,
                "purpose": "contact",
                "given": "yes",
                **{f"given_on_{k}": v for k, v in day.items()},
                "method": "phone",
            },
            "create",
            "consent.consent",
        ),
        (
            "consent API",
            reverse("api-consent-case", args=[case.pk]),
            {
                "person": victim,
                "purpose": "research",
                "given": "true",
                "given_on": today.isoformat(),
                "method": "signed",
            },
            "create",
            "consent.consent",
        ),
        (
            "contact page",
            reverse("advocacy:contact_add", args=[case.pk]),
            contact,
            "create",
            "advocacy.contactlogentry",
        ),
        (
            "contact correction page",
            reverse("advocacy:contact_edit", args=[case.pk, entry.pk]),
            {**contact, "contact-summary": "Talked through the bail conditions again.", "contact-reason": "Typo"},
            "change",
            "advocacy.contactlogentry",
        ),
        (
            "safe-contact preferences page",
            reverse("advocacy:safe_contact_edit", args=[case.pk, victim]),
            {"safe_times": "Weekdays 10:00 to 14:00", "channels": ["phone", "text"], "code_word": "Bluebell"},
            "change",
            "cases.safecontactpreference",
        ),
        (
            "victim told page",
            reverse("advocacy:notice_told", args=[case.pk, notice.pk]),
            {
                **{f"told_on_{k}": v for k, v in {"day": when.day, "month": when.month, "year": when.year}.items()},
                "told_time": f"{when:%H:%M}",
                "method": "phone",
                "note": "Told at the agreed time.",
            },
            "change",
            "advocacy.victimnotice",
        ),
    ]
    # The advocacy forms that ask which victim (needs, outcomes, safety plan) and change a measure.
    from advocacy.models import SafetyMeasure
    from masip.concurrency import version_of

    levels = {f"level_{domain}": "medium" for domain in advocacy_services.NeedsDomain.values}
    dates = {f"{name}_{k}": v for name in ("assessed_on", "recorded_on", "reviewed_on") for k, v in day.items()}
    ahead = today + dt.timedelta(days=30)
    measure = advocacy_services.safety_measure_add(
        actor=advocate,
        case=case,
        data=advocacy_services.MeasureInput(kind="alarm", owner_agency=advocate.agency),
    )
    posts += [
        (
            "needs page",
            reverse("advocacy:needs_add", args=[case.pk]),
            {
                **levels,
                **dates,
                **{
                    f"review_on_{k}": v for k, v in {"day": ahead.day, "month": ahead.month, "year": ahead.year}.items()
                },
            },
            "create",
            "advocacy.needsassessment",
        ),
        (
            "outcomes page",
            reverse("advocacy:outcome_add", args=[case.pk]),
            {**dates, "stage": "intake", "feels_safe": 6, "wellbeing": 5, "incidents_last_month": 0},
            "create",
            "advocacy.victimoutcome",
        ),
        (
            "measure page",
            reverse("advocacy:measure_add", args=[case.pk]),
            {"kind": "cctv", "owner_agency": advocate.agency_id, "status": "proposed"},
            "create",
            "advocacy.safetymeasure",
        ),
        (
            "measure change page",
            reverse("advocacy:measure_edit", args=[case.pk, measure.pk]),
            {"details": "Fitted on Tuesday.", "owner_agency": advocate.agency_id, "version": version_of(measure)},
            "change",
            "advocacy.safetymeasure",
        ),
        (
            "safety plan review page",
            reverse("advocacy:review_add", args=[case.pk]),
            {**dates, "summary": "Reviewed the alarm and the route to work."},
            "create",
            "advocacy.safetyplanreview",
        ),
    ]
    viewed: dict[str, list[tuple[str, str]]] = {}
    try:
        for name, url, body, action, record_type in posts:
            mark = _mark()
            response = client.post(url, body)
            assert response.status_code in (201, 302), (name, response.status_code, response.content[-3000:])
            logged = _actions_since(advocate, mark)
            assert (action, record_type) in logged, (name, logged)
            views = [row for row in logged if row[0] == AccessAction.VIEW]
            if views:
                viewed[name] = views
        assert viewed == {}
    finally:
        # The database rolls back after the test; the files it stored go with it.
        for document in Document.objects.all():
            document.file.delete(save=False)
    assert Document.objects.filter(case=case).count() == 3 and Consent.objects.filter(case=case).count() == 2
    assert SafetyMeasure.objects.get(pk=measure.pk).details == "Fitted on Tuesday."
    entry.refresh_from_db()
    assert entry.summary == "Talked through the bail conditions again."
    # The forms' GETs still log what they show.
    for url in (
        reverse("documents:upload", args=[case.pk]),
        reverse("consent:consent_add", args=[case.pk]),
        reverse("advocacy:contact_edit", args=[case.pk, entry.pk]),
        reverse("advocacy:safe_contact_edit", args=[case.pk, victim]),
        reverse("advocacy:notice_told", args=[case.pk, notice.pk]),
    ):
        mark = _mark()
        assert client.get(url).status_code == 200
        assert [row for row in _actions_since(advocate, mark) if row[0] == AccessAction.VIEW], url
    assert victim_id(case) == victim


@pytest.mark.django_db
def test_the_advocate_and_advocacy_settings_pages_log_their_writes_and_no_view(world: World) -> None:
    """Making and ending an advocate's assignment, and changing the advocacy settings and
    leads, each write their own row and no ``view``; a refused POST that shows the advocate
    page again logs that view once, as its GET does."""
    from advocacy.models import AdvocacyLead, AdvocateAssignment

    case = make_case(world.triage_officer)
    advocate = world.advocate
    client = logged_in(advocate)
    page = reverse("advocacy:assignment", args=[case.pk])

    def posted(user: User, url: str, body: dict[str, object], status: int = 302) -> list[tuple[str, str]]:
        mark = _mark()
        response = Client.post(client_of[user], url, body)
        assert response.status_code == status, (url, body, response.status_code)
        return _actions_since(user, mark)

    client_of = {advocate: client, world.admin: logged_in(world.admin)}
    assert posted(advocate, page, {"action": "assign", "assign-advocate": advocate.pk}) == [
        (AccessAction.CREATE, "advocacy.advocateassignment")
    ]
    assert AdvocateAssignment.objects.filter(case=case, advocate=advocate, ended_at__isnull=True).exists()
    # Refused (no reason given): the page is shown again, and that view is logged once.
    assert posted(advocate, page, {"action": "end", "end-note": ""}, status=200) == [
        (AccessAction.VIEW, "advocacy.advocateassignment")
    ]
    assert posted(advocate, page, {"action": "end", "end-note": "She moved out of the area"}) == [
        (AccessAction.CHANGE, "advocacy.advocateassignment")
    ]
    assert not AdvocateAssignment.objects.filter(case=case, ended_at__isnull=True).exists()
    mark = _mark()
    assert client.get(page).status_code == 200
    assert _actions_since(advocate, mark) == [(AccessAction.VIEW, "advocacy.advocateassignment")]

    admin, settings_page = world.admin, reverse("advocacy:settings")
    body: dict[str, object] = {
        "action": "settings",
        "settings-tell_victim_within_hours": "36",
        "settings-review_reminder_days": "5",
    }
    logged = posted(admin, settings_page, body)
    assert (AccessAction.CHANGE, "advocacy.advocacysettings") in logged, logged
    assert [row for row in logged if row[0] == AccessAction.VIEW] == []
    logged = posted(admin, settings_page, {"action": "add_lead", "lead-user": advocate.pk})
    assert (AccessAction.CREATE, "advocacy.advocacylead") in logged, logged
    assert [row for row in logged if row[0] == AccessAction.VIEW] == []
    lead = AdvocacyLead.objects.get(user=advocate)
    logged = posted(admin, settings_page, {"action": "remove_lead", "lead": lead.pk})
    assert (AccessAction.CHANGE, "advocacy.advocacylead") in logged, logged
    assert [row for row in logged if row[0] == AccessAction.VIEW] == []
    assert not AdvocacyLead.objects.filter(pk=lead.pk).exists()


# --- record types of the follow-up models, before and after they moved app ------------------------------------


@pytest.mark.django_db
def test_follow_up_rows_are_logged_as_followups_and_older_cases_rows_are_named_and_found(world: World) -> None:
    import datetime as dt

    from followups import services as followup_services
    from tests.followups_factories import accepted_case

    case = accepted_case(world, decided_on=dt.date.today() - dt.timedelta(days=60))
    record = followup_services.reoffending_record_add(
        actor=world.triage_officer,
        case=case,
        data=followup_services.OccurrenceInput(
            occurred_on=dt.date.today() - dt.timedelta(days=5),
            kind="persistence",
            victim="same",
            source="police",
            offence="s2a_stalking",
        ),
    )
    written = AccessLog.objects.filter(user=world.triage_officer, record_ids=[str(record.pk)])
    assert list(written.values_list("record_type", flat=True)) == ["followups.reoffendingrecord"]
    # A row written before the models left the cases app keeps its old type (the log is append-only).
    access_record(
        user=world.advocate, action=AccessAction.VIEW, record_type="cases.reoffendingrecord", record_ids=["9"]
    )
    access_record(user=world.advocate, action=AccessAction.VIEW, record_type="cases.followupreview", record_ids=["8"])
    client = logged_in(world.admin)
    url = reverse("agencies:access_log")
    found = client.get(url, {"record_type": "followups.reoffendingrecord"})
    assert sorted(r for _t, r in shown(found)) == [[str(record.pk)], ["9"]]
    html = client.get(url, {"record_type": "followups.followupreview"}).content.decode()
    # Both named in words, by the model's own name; the bare legacy type is not shown.
    assert "Follow up review" in html and "cases.followupreview" not in html
    assert "Reoffending record" in found.content.decode()
    assert "cases.reoffendingrecord" not in found.content.decode()


@pytest.mark.django_db
def test_a_refused_post_logs_the_view_of_the_form_it_shows_again_once(world: World) -> None:
    """A form refused and shown again names the people the GET logged: the POST writes that
    view once (the rows the GET of the same form writes for them) and no create or change."""
    from advocacy import services as advocacy_services
    from advocacy.models import VictimNotice
    from tests.advocacy_factories import contact_input

    case = make_case(world.triage_officer)
    victim = CaseParty.objects.get(case=case, role=PartyRole.VICTIM).person_id
    advocate = world.advocate
    client = logged_in(advocate)
    advocacy_services.advocate_assign(actor=advocate, case=case, advocate=advocate)
    entry = advocacy_services.contact_record(actor=advocate, case=case, data=contact_input())
    event = advocacy_services.key_event_record(
        actor=world.triage_officer,
        case=case,
        data=advocacy_services.KeyEventInput(kind="release_from_custody", occurs_on=dt.date.today()),
    )
    notice = VictimNotice.objects.get(key_event=event)
    people = (AccessAction.VIEW.value, "cases.person", None)
    preferences = (AccessAction.VIEW.value, "cases.safecontactpreference", [str(victim)])
    # Each form, a POST it refuses (a required answer left out), and the view rows expected;
    # None for ids: whatever the GET of the same form logged for the people it names.
    refused: list[tuple[str, str, dict[str, object], list[tuple[str, str, list[str] | None]]]] = [
        # The consent form names the case's victims (its GET logs the answers it read with them).
        (
            "consent page",
            reverse("consent:consent_add", args=[case.pk]),
            {"person": victim},
            [(AccessAction.VIEW.value, "cases.person", [str(victim)])],
        ),
        ("upload page", reverse("documents:upload", args=[case.pk]), {"kind": "other"}, [people]),
        (
            "letter page",
            reverse("documents:letter_create", args=[case.pk]),
            {"template": "housing_support", "person": victim},
            [people],
        ),
        ("contact page", reverse("advocacy:contact_add", args=[case.pk]), {"contact-channel": "phone"}, [preferences]),
        (
            "contact correction page",
            reverse("advocacy:contact_edit", args=[case.pk, entry.pk]),
            {"contact-channel": "phone"},
            [preferences],
        ),
        (
            "safe-contact page",
            reverse("advocacy:safe_contact_edit", args=[case.pk, victim]),
            {"channels": ["pigeon"]},
            [preferences],
        ),
        (
            "victim told page",
            reverse("advocacy:notice_told", args=[case.pk, notice.pk]),
            {"method": "text"},
            [(AccessAction.VIEW.value, "advocacy.victimnotice", [str(notice.pk)]), preferences],
        ),
    ]
    measure = advocacy_services.safety_measure_add(
        actor=advocate, case=case, data=advocacy_services.MeasureInput(kind="alarm", owner_agency=advocate.agency)
    )
    refused += [
        (f"{name} page", reverse(f"advocacy:{route}", args=[case.pk]), {field: ""}, [people])
        for name, route, field in (
            ("needs", "needs_add", "level_children"),
            ("outcomes", "outcome_add", "stage"),
            ("measure", "measure_add", "kind"),
            ("review", "review_add", "summary"),
        )
    ]
    refused.append(
        (
            "measure change page",
            reverse("advocacy:measure_edit", args=[case.pk, measure.pk]),
            {"status": "nonsense"},
            [(AccessAction.VIEW.value, "advocacy.safetymeasure", [str(measure.pk)])],
        )
    )
    found: dict[str, object] = {}
    expected: dict[str, object] = {}
    for name, url, body, rows in refused:
        mark = _mark()
        assert client.get(url).status_code == 200, name
        got = list(
            AccessLog.objects.filter(user=advocate, id__gt=mark, action=AccessAction.VIEW, record_type="cases.person")
            .order_by("id")
            .values_list("record_ids", flat=True)
        )
        mark = _mark()
        response = client.post(url, body)
        assert response.status_code == 200 and b"govuk-error-summary" in response.content, (name, response.status_code)
        found[name] = list(
            AccessLog.objects.filter(user=advocate, id__gt=mark)
            .order_by("id")
            .values_list("action", "record_type", "record_ids")
        )
        expected[name] = [(a, t, ids if ids is not None else got[-1]) for a, t, ids in rows]
        if any(ids is None for _, _, ids in rows):
            # The people named include the victim (the GET's row is not empty).
            assert str(victim) in got[-1], (name, got)
    assert found == expected


@pytest.mark.django_db
def test_the_triage_and_interventions_api_writes_log_no_view(world: World) -> None:
    """The triage and interventions API writes scope through reads that do not log, and a
    decision's answer (the agenda item) is shaped without a view row: the service has just
    logged its change of the case."""
    from rest_framework.test import APIClient

    from tests.triage_factories import make_meeting, on_agenda, waiting_case

    meeting = make_meeting(world.triage_officer)
    case = waiting_case(world)
    item = on_agenda(world, meeting, case)
    base = f"/api/v1/meetings/{meeting.pk}/agenda/{item.pk}/"
    writes: list[tuple[str, User, str, dict[str, object], str, str]] = [
        (
            "meeting action",
            world.triage_officer,
            f"{base}actions/",
            {
                "owner": world.triage_officer.pk,
                "description": "Ask the landlord about the locks",
                "due_on": (dt.date.today() + dt.timedelta(days=7)).isoformat(),
            },
            "create",
            "triage.action",
        ),
        ("meeting decision", world.triage_officer, f"{base}decision/", {"outcome": "deferred"}, "change", "cases.case"),
        (
            "intervention",
            world.advocate,
            f"/api/v1/cases/{case.pk}/interventions/",
            {"type": "victim_safeguarding", "details": "Referred to the safeguarding hub."},
            "create",
            "interventions.intervention",
        ),
    ]
    viewed: dict[str, list[tuple[str, str]]] = {}
    for name, user, url, body, action, record_type in writes:
        client = APIClient()
        client.force_authenticate(user)
        mark = _mark()
        response = client.post(url, body, format="json")
        assert response.status_code in (200, 201), (name, response.status_code, response.content[-2000:])
        logged = _actions_since(user, mark)
        assert (action, record_type) in logged, (name, logged)
        views = [row for row in logged if row[0] == AccessAction.VIEW]
        if views:
            viewed[name] = views
    assert viewed == {}


@pytest.mark.django_db
def test_the_agenda_api_writes_log_their_write_and_no_view(world: World) -> None:
    """Adding a case to the agenda, changing its hearing and reordering the agenda each leave
    exactly their own ``create`` or ``change`` row of the agenda item, and no ``view`` row, though
    each answers with the item (or the agenda) it changed."""
    from rest_framework.test import APIClient

    from tests.triage_factories import make_meeting, on_agenda, waiting_case
    from triage.models import AgendaItem

    officer = world.triage_officer
    meeting = make_meeting(officer)
    first = on_agenda(world, meeting, waiting_case(world), hearing="brief")
    added = waiting_case(world)
    client = APIClient()
    client.force_authenticate(officer)
    base = f"/api/v1/meetings/{meeting.pk}/agenda/"

    mark = _mark()
    response = client.post(base, {"case": added.pk, "hearing": "brief"}, format="json")
    assert response.status_code == 201, response.content
    item = AgendaItem.objects.get(meeting=meeting, case=added)
    rows = AccessLog.objects.filter(user=officer, id__gt=mark)
    assert list(rows.values_list("action", "record_type", "record_ids")) == [
        (AccessAction.CREATE, "triage.agendaitem", [str(item.pk)])
    ]

    mark = _mark()
    response = client.patch(f"{base}{item.pk}/", {"hearing": "full"}, format="json")
    assert response.status_code == 200, response.content
    assert AgendaItem.objects.get(pk=item.pk).hearing == "full"
    rows = AccessLog.objects.filter(user=officer, id__gt=mark)
    assert list(rows.values_list("action", "record_type", "record_ids")) == [
        (AccessAction.CHANGE, "triage.agendaitem", [str(item.pk)])
    ]

    mark = _mark()
    response = client.put(f"{base}order/", {"items": [item.pk, first.pk]}, format="json")
    assert response.status_code == 200, response.content
    assert list(AgendaItem.objects.filter(meeting=meeting).order_by("position").values_list("pk", flat=True)) == [
        item.pk,
        first.pk,
    ]
    rows = AccessLog.objects.filter(user=officer, id__gt=mark)
    assert list(rows.values_list("action", "record_type", "record_ids")) == [
        (AccessAction.CHANGE, "triage.agendaitem", [str(item.pk), str(first.pk)])
    ]
