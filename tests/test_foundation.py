"""The foundation: sign-in security, the append-only access log, health, staff scoping."""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

import pytest
from django.conf import settings
from django.db import connection, transaction
from django.db.utils import DatabaseError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from agencies.models import Role, User
from audit.models import AccessAction, AccessLog
from audit.services import access_record
from tests.factories import PASSWORD, World

pytestmark = pytest.mark.django_db


def _login(client: Client, email: str, password: str = PASSWORD) -> Any:
    return client.post(reverse("account_login"), {"login": email, "password": password})


# --- MFA -----------------------------------------------------------------------------


def test_mfa_required_when_on_sends_staff_to_set_up_totp(world: World, settings: Any) -> None:
    settings.MASIP_REQUIRE_MFA = True
    client = Client()
    _login(client, world.advocate.email)
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_activate_totp")
    api = client.get("/api/v1/staff/")
    assert api.status_code == 403


def test_mfa_not_required_when_off(world: World, settings: Any) -> None:
    settings.MASIP_REQUIRE_MFA = False
    client = Client()
    _login(client, world.advocate.email)
    assert client.get(reverse("home")).status_code == 200


def test_user_with_totp_must_give_a_code_at_sign_in(world: World, settings: Any) -> None:
    from allauth.mfa import app_settings as mfa_settings
    from allauth.mfa.totp.internal.auth import (
        TOTP,
        format_hotp_value,
        generate_totp_secret,
        hotp_value,
        yield_hotp_counters_from_time,
    )

    settings.MASIP_REQUIRE_MFA = True
    secret = generate_totp_secret()
    TOTP.activate(world.advocate, secret)
    client = Client()
    response = _login(client, world.advocate.email)
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_authenticate")
    # Not signed in until the code is given.
    assert client.get(reverse("home")).status_code == 302
    wrong = client.post(reverse("mfa_authenticate"), {"code": "000000"})
    assert wrong.status_code == 200
    # A code is good for its 30-second period only (no tolerance): one made in the last moments
    # of a period reached the server in the next and was refused. Make it at a period's start.
    period = mfa_settings.TOTP_PERIOD
    into_period = time.time() % period
    if into_period > period - 3:
        time.sleep(period - into_period + 0.1)
    counter = list(yield_hotp_counters_from_time())[-1]
    code = format_hotp_value(hotp_value(secret, counter))
    right = client.post(reverse("mfa_authenticate"), {"code": code})
    assert right.status_code == 302
    home = client.get(reverse("home"))
    assert home.status_code == 200
    assert world.advocate.agency.name in home.content.decode()  # type: ignore[union-attr]


# --- lockout and idle timeout ---------------------------------------------------------


def test_lockout_after_five_failed_sign_ins(world: World) -> None:
    from django.core.cache import cache

    cache.clear()
    client = Client()
    for _ in range(5):
        response = _login(client, world.triage_officer.email, "wrong-password-entered")
        assert response.status_code == 200
    locked = _login(client, world.triage_officer.email, PASSWORD)
    assert locked.status_code == 200, "the right password must be refused while locked out"
    assert "Too many failed" in locked.content.decode()
    assert client.get(reverse("home")).status_code == 302
    # Another account is not locked by this one's failures.
    other = Client()
    assert _login(other, world.advocate.email).status_code == 302
    cache.clear()


def test_idle_timeout_signs_out_after_thirty_minutes(world: World) -> None:
    client = Client()
    _login(client, world.advocate.email)
    assert client.get(reverse("home")).status_code == 200
    session = client.session
    session["masip_last_seen"] = time.time() - settings.MASIP_IDLE_TIMEOUT_SECONDS + 60
    session.save()
    assert client.get(reverse("home")).status_code == 200, "29 minutes idle is still signed in"
    session = client.session
    session["masip_last_seen"] = time.time() - settings.MASIP_IDLE_TIMEOUT_SECONDS - 1
    session.save()
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
    assert "_auth_user_id" not in client.session
    assert client.get(reverse("home")).status_code == 302


def test_an_active_users_requests_save_the_session_at_most_once_a_minute(world: World) -> None:
    import datetime as dt

    from django.contrib.sessions.models import Session
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    client = Client()
    _login(client, world.advocate.email)
    assert client.get(reverse("home")).status_code == 200

    def session_writes() -> list[str]:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("home")).status_code == 200
        return [q["sql"] for q in queries.captured_queries if q["sql"].startswith('UPDATE "django_session"')]

    assert session_writes() == [], "a request seconds after the last one writes no session row"
    session = client.session
    session["masip_last_seen"] = time.time() - settings.MASIP_ACTIVITY_RECORD_SECONDS - 1
    session.save()
    stored = Session.objects.get(session_key=client.session.session_key)
    stored.expire_date = timezone.now() + dt.timedelta(minutes=1)
    stored.save()
    assert len(session_writes()) == 1, "a minute on, the request records the activity"
    stored = Session.objects.get(session_key=client.session.session_key)
    # The server-side expiry moved on with it: the idle timeout still holds on the server.
    assert stored.get_decoded()["masip_last_seen"] > time.time() - 5
    assert stored.expire_date.timestamp() > time.time() + settings.MASIP_IDLE_TIMEOUT_SECONDS - 5


def test_sign_up_is_closed(db: None) -> None:
    response = Client().post(
        reverse("account_signup"),
        {"email": "new@example.org", "password1": "a-long-password-1", "password2": "a-long-password-1"},
    )
    assert not User.objects.filter(email="new@example.org").exists()
    assert response.status_code == 200
    assert "Sign Up Closed" in response.content.decode() or "closed" in response.content.decode().lower()


def test_passwords_are_hashed_with_argon2_outside_tests() -> None:
    from masip.settings import base

    assert base.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"


# --- the access log ---------------------------------------------------------------------


def test_access_log_refuses_update_and_delete_issued_at_the_database(world: World) -> None:
    entry = access_record(user=world.advocate, action=AccessAction.VIEW, record_type="cases.case", record_ids=[1])
    for statement in (
        "UPDATE audit_accesslog SET purpose = 'tampered' WHERE id = %s",
        "DELETE FROM audit_accesslog WHERE id = %s",
    ):
        with pytest.raises(DatabaseError, match="Cannot"), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(statement, [entry.pk])
    entry.refresh_from_db()
    assert entry.purpose == ""
    assert AccessLog.objects.filter(pk=entry.pk).exists()


def test_access_log_records_who_what_and_agency(world: World) -> None:
    entry = access_record(
        user=world.clinician, action=AccessAction.EXPORT, record_type="cases.person", record_ids=[7, 8], purpose="court"
    )
    entry.refresh_from_db()
    assert (entry.user, entry.agency, entry.partnership) == (world.clinician, world.health, world.partnership)
    assert entry.record_ids == ["7", "8"]
    assert entry.at is not None


def test_access_log_page_searches_own_partnership_only(world: World, other_world: World) -> None:
    access_record(user=world.advocate, action=AccessAction.VIEW, record_type="cases.case", record_ids=["41"])
    access_record(user=other_world.advocate, action=AccessAction.VIEW, record_type="cases.case", record_ids=["41"])
    client = Client()
    client.force_login(world.admin)
    response = client.get(reverse("agencies:access_log"), {"record_id": "41"})
    assert response.status_code == 200
    entries = response.context["page"].entries
    assert [e.user for e in entries] == [world.advocate]
    by_user = client.get(reverse("agencies:access_log"), {"user": world.advocate.pk})
    assert [e.user for e in by_user.context["page"].entries] == [world.advocate]
    # A user of the other partnership is not even a valid choice.
    foreign = client.get(reverse("agencies:access_log"), {"user": other_world.advocate.pk})
    assert "user" in foreign.context["form"].errors
    # Not an admin: 404.
    client.force_login(world.advocate)
    assert client.get(reverse("agencies:access_log")).status_code == 404


def test_access_log_names_record_types_in_words_and_links_to_the_record(world: World) -> None:
    access_record(user=world.advocate, action=AccessAction.VIEW, record_type="cases.case", record_ids=["41"])
    access_record(
        user=world.advocate, action=AccessAction.CHANGE, record_type="cases.safecontactpreference", record_ids=["9"]
    )
    client = Client()
    client.force_login(world.admin)
    html = client.get(reverse("agencies:access_log")).content.decode()
    table = html[html.index('data-testid="access-log"') :]
    assert "Safe contact preference" in table and "cases.safecontactpreference" not in table
    assert f'href="{reverse("cases:case_detail", kwargs={"case_id": 41})}"' in table
    # A record type without a page of its own is named, not linked.
    assert '>41<span class="govuk-visually-hidden">' in table
    assert '>9<span class="govuk-visually-hidden">' not in table and "9" in table


def test_access_log_export_is_the_filtered_log_formula_safe_and_itself_logged(world: World, other_world: World) -> None:
    import csv
    import io

    wanted = access_record(
        user=world.advocate, action=AccessAction.VIEW, record_type="cases.case", record_ids=["41"], purpose="=1+1"
    )
    access_record(user=world.advocate, action=AccessAction.VIEW, record_type="cases.case", record_ids=["42"])
    access_record(user=other_world.advocate, action=AccessAction.VIEW, record_type="cases.case", record_ids=["41"])
    client = Client()
    client.force_login(world.admin)
    response = client.get(reverse("agencies:access_log_export"), {"record_id": "41"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv") and "no-store" in response["Cache-Control"]
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0][0] == "When" and len(rows) == 2
    assert rows[1][5] == "Case" and rows[1][6] == "41" and rows[1][7] == "'=1+1"
    logged = AccessLog.objects.filter(user=world.admin, action=AccessAction.EXPORT, record_type="audit.accesslog").get()
    assert logged.record_ids == [str(wanted.pk)]
    # A filter that does not parse gets the page and its errors, not a file of everything.
    bad = client.get(reverse("agencies:access_log_export"), {"date_from": "not a date"})
    assert bad.status_code == 200 and bad["Content-Type"].startswith("text/html")
    # Not an admin, or an admin of another partnership's rows: nothing.
    client.force_login(world.advocate)
    assert client.get(reverse("agencies:access_log_export")).status_code == 404
    client.force_login(other_world.admin)
    other = client.get(reverse("agencies:access_log_export"), {"record_id": "42"})
    assert len(list(csv.reader(io.StringIO(other.content.decode())))) == 1


# Session, user, agency (3); the page's rows with their user and agency, no COUNT (1); the
# access-log row for this look (1); the partnership's name (1); the form's staff choices (1);
# the header's unread count (1).
ACCESS_LOG_QUERIES = 3 + 1 + 1 + 1 + 1 + 1


def test_access_log_pages_by_keyset_without_counting(world: World, django_assert_num_queries: Any) -> None:
    for n in range(230):
        access_record(user=world.advocate, action=AccessAction.VIEW, record_type="cases.case", record_ids=[str(n)])
    client = Client()
    client.force_login(world.admin)
    url = reverse("agencies:access_log")
    seen: list[int] = []
    before = ""
    sizes = []
    while True:
        response = client.get(url, {"record_type": "cases.case", **({"before": before} if before else {})})
        page = response.context["page"]
        sizes.append(len(page.entries))
        seen += [e.pk for e in page.entries]
        assert page.is_first == (not before)
        if not page.older:
            break
        before = page.older
        assert f"before={before}" in response.content.decode()
    assert sizes == [100, 100, 30]
    ids = list(AccessLog.objects.filter(record_type="cases.case").order_by("-at", "-id").values_list("pk", flat=True))
    assert seen == ids  # every entry once, newest first
    # A cursor the service did not write is the first page, not an error.
    assert client.get(url, {"before": "not-a-cursor"}).context["page"].is_first
    with django_assert_num_queries(ACCESS_LOG_QUERIES) as queries:
        client.get(url, {"before": before})
    # No count of the log (the header's unread count is of the user's notifications).
    assert not any("COUNT(" in q["sql"] and "audit_accesslog" in q["sql"] for q in queries.captured_queries)
    # Each look at the log is itself logged, with the rows it showed; the filter above kept
    # these rows out of the pages being walked.
    looks = AccessLog.objects.filter(user=world.admin, record_type="audit.accesslog").order_by("pk")
    assert [len(look.record_ids) for look in looks] == [100, 100, 30, 100, 30]
    assert looks[0].record_ids == [str(pk) for pk in ids[:100]]


def test_a_search_by_record_pages_its_own_partnerships_rows_naming_it_within_the_dates(
    world: World, other_world: World
) -> None:
    # The record's rows are found apart from the page's query (agencies.selectors._rows_naming):
    # the page still shows only the admin's partnership, within the dates, newest first, paged.
    naming = []
    for n in range(130):
        entry = access_record(
            user=world.advocate, action=AccessAction.VIEW, record_type="cases.case", record_ids=["41", str(1000 + n)]
        )
        naming.append(entry.pk)
        access_record(user=world.advocate, action=AccessAction.VIEW, record_type="cases.case", record_ids=["42"])
    access_record(user=other_world.advocate, action=AccessAction.VIEW, record_type="cases.case", record_ids=["41"])
    client = Client()
    client.force_login(world.admin)
    url = reverse("agencies:access_log")
    today = timezone.localdate()
    since = {"date_from": today.isoformat()}
    first = client.get(url, {"record_id": "41", **since}).context["page"]
    rest = client.get(url, {"record_id": "41", "before": first.older, **since}).context["page"]
    assert [e.pk for e in first.entries + rest.entries] == naming[::-1]
    assert not rest.older
    # Dates that hold none of them: nothing; a record nobody looked at: nothing.
    yesterday = (today - dt.timedelta(days=1)).isoformat()
    assert client.get(url, {"record_id": "41", "date_to": yesterday}).context["page"].entries == []
    # Not a small number: the page's own looks at the log are logged naming the log rows they
    # showed, and a log row's id depends on how many tests this process ran before this one.
    assert client.get(url, {"record_id": "987654321"}).context["page"].entries == []


def test_history_captures_bulk_updates(world: World) -> None:
    from agencies.models import UserEvent  # type: ignore[attr-defined]

    before = UserEvent.objects.filter(pgh_obj_id=world.advocate.pk).count()
    User.objects.filter(pk=world.advocate.pk).update(job_title="Senior advocate")
    events = UserEvent.objects.filter(pgh_obj_id=world.advocate.pk).order_by("pgh_id")
    assert events.count() == before + 1
    assert events.last().job_title == "Senior advocate"


# --- partnership admins and staff -------------------------------------------------------


def test_partnership_admin_cannot_see_another_partnerships_users(world: World, other_world: World) -> None:
    client = Client()
    client.force_login(world.admin)
    assert client.get(reverse("agencies:staff_edit", args=[world.advocate.pk])).status_code == 200
    assert client.get(reverse("agencies:staff_edit", args=[other_world.advocate.pk])).status_code == 404
    assert client.get(f"/api/v1/staff/{other_world.advocate.pk}/").status_code == 404
    listed = client.get(reverse("agencies:staff_list"))
    emails = {u.email for u in listed.context["page"]}
    assert world.advocate.email in emails
    assert other_world.advocate.email not in emails
    api_emails = {u["email"] for u in client.get("/api/v1/staff/").json()}
    assert other_world.advocate.email not in api_emails
    # Changing the other partnership's user is refused the same way.
    post = client.post(reverse("agencies:staff_edit", args=[other_world.advocate.pk]), {"first_name": "X"})
    assert post.status_code == 404


@pytest.mark.parametrize("role", [r for r in Role if r != Role.PARTNERSHIP_ADMIN])
def test_staff_pages_are_404_for_everyone_but_partnership_admins(world: World, role: Role) -> None:
    user = {
        Role.TRIAGE_OFFICER: world.triage_officer,
        Role.ADVOCATE: world.advocate,
        Role.CLINICIAN: world.clinician,
        Role.PROBATION_PRACTITIONER: world.probation_practitioner,
        Role.PROGRAMME_MANAGER: world.programme_manager,
    }[role]
    client = Client()
    client.force_login(user)
    for url in (
        reverse("agencies:staff_list"),
        reverse("agencies:staff_invite"),
        reverse("agencies:staff_edit", args=[world.advocate.pk]),
        reverse("agencies:agreement"),
        "/api/v1/staff/",
    ):
        assert client.get(url).status_code == 404, url


def test_invite_sends_a_set_password_email_and_bad_input_saves_nothing(
    world: World, mailoutbox: Any, django_capture_on_commit_callbacks: Any
) -> None:
    client = Client()
    client.force_login(world.admin)
    bad = client.post(
        reverse("agencies:staff_invite"),
        {"email": "not-an-email", "first_name": "", "agency": world.advocacy.pk, "role": Role.ADVOCATE},
    )
    assert bad.status_code == 200
    assert set(bad.context["form"].errors) == {"email", "first_name", "last_name"}
    assert "There is a problem" in bad.content.decode()
    with_other_agency = client.post(
        reverse("agencies:staff_invite"),
        {"email": "ok@example.org", "first_name": "A", "last_name": "B", "agency": 999999, "role": Role.ADVOCATE},
    )
    assert "agency" in with_other_agency.context["form"].errors
    assert not User.objects.filter(email="ok@example.org").exists()
    with django_capture_on_commit_callbacks(execute=True):
        good = client.post(
            reverse("agencies:staff_invite"),
            {
                "email": "New.Advocate@Example.org",
                "first_name": "Nia",
                "last_name": "Jones",
                "agency": world.advocacy.pk,
                "role": Role.ADVOCATE,
            },
        )
    assert good.status_code == 302
    invited = User.objects.get(email="new.advocate@example.org")
    assert not invited.has_usable_password()
    assert invited.groups.filter(pk=world.advocacy.group_id).exists()
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == ["new.advocate@example.org"]
    assert "/accounts/password/reset/key/" in mailoutbox[0].body


def test_agreement_defaults_and_admin_changes_only_own_partnership(world: World, other_world: World) -> None:
    from agencies.selectors import sharing_matrix

    matrix = sharing_matrix(partnership_id=world.partnership.pk)
    assert matrix["clinical"] == {"health"}
    assert matrix["victim_location"] == {"police", "advocacy"}
    assert matrix["safety_plan"] == {"police", "advocacy"}
    client = Client()
    client.force_login(world.admin)
    data: dict[str, object] = {f"class_{rc}": sorted(kinds) for rc, kinds in matrix.items()}
    data["class_clinical"] = ["health", "probation"]
    data["reference"] = "ISA-2026-01"
    assert client.post(reverse("agencies:agreement"), data).status_code == 302
    assert sharing_matrix(partnership_id=world.partnership.pk)["clinical"] == {"health", "probation"}
    assert sharing_matrix(partnership_id=other_world.partnership.pk)["clinical"] == {"health"}


# --- health ---------------------------------------------------------------------------------


def test_healthz_is_503_when_redis_is_unreachable(db: None, settings: Any) -> None:
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    started = time.monotonic()
    response = Client().get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["checks"]["redis"]["ok"] is False
    assert body["checks"]["database"]["ok"] is True
    assert body["checks"]["celery"]["ok"] is False
    assert time.monotonic() - started < 5


@pytest.mark.django_db(transaction=True)
def test_healthz_is_200_with_database_redis_and_a_real_worker(celery_worker_process: Any) -> None:
    response = Client().get("/healthz")
    assert response.status_code == 200, response.content
    checks = response.json()["checks"]
    assert all(checks[name]["ok"] for name in ("database", "redis", "celery"))


def test_home_says_who_you_are_and_links_only_existing_sections(world: World) -> None:
    client = Client()
    client.force_login(world.advocate)
    body = client.get(reverse("home")).content.decode()
    assert world.partnership.name in body
    assert world.advocacy.name in body
    assert "Victim advocate" in body
    assert reverse("agencies:staff_list") not in body
    client.force_login(world.admin)
    body = client.get(reverse("home")).content.decode()
    for url in (reverse("agencies:staff_list"), reverse("agencies:agreement"), reverse("agencies:access_log")):
        assert url in body


def test_signed_out_api_call_is_401_json_and_page_redirects(db: None) -> None:
    client = Client()
    api = client.get("/api/v1/staff/")
    assert api.status_code == 401
    assert api.json()["detail"]
    page = client.get(reverse("home"))
    assert page.status_code == 302
    assert page["Location"].startswith(reverse("account_login"))
