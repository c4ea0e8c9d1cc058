"""The platform's own safeguards: the Django admin (allauth sign-in, logged reads, no history
pages, off in production), no caching of answers, the schema for staff only, the break-glass
e-mail, and the demo data kept out of production."""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

import pytest
from django.contrib import admin
from django.core.cache import cache
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from agencies.models import Role, User
from audit.models import AccessAction, AccessLog
from cases import services
from tests.case_factories import make_case
from tests.factories import PASSWORD, World, make_user

pytestmark = pytest.mark.django_db

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
GOOD_SECRET = "k3y-" + "a1B2c3D4e5F6g7H8i9J0" * 3


def _production(code: str, **env: str) -> subprocess.CompletedProcess[str]:
    """Run ``code`` in ``manage.py shell`` under the production settings, in a clean process."""
    dropped = {"DJANGO_SETTINGS_MODULE", "SECRET_KEY", "DJANGO_ALLOW_ASYNC_UNSAFE", "MASIP_ADMIN_ENABLED"}
    base = {k: v for k, v in os.environ.items() if k not in dropped}
    base.update(
        DJANGO_SETTINGS_MODULE="masip.settings.production",
        SECRET_KEY=GOOD_SECRET,
        ALLOWED_HOSTS="masip.example.org",
        **env,
    )
    return subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", code],
        cwd=ROOT,
        env=base,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _totp(user: User) -> str:
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    secret = generate_totp_secret()
    TOTP.activate(user, secret)
    return secret


def _code(secret: str) -> str:
    from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value, yield_hotp_counters_from_time

    return format_hotp_value(hotp_value(secret, list(yield_hotp_counters_from_time())[-1]))


@pytest.fixture
def staff_admin(world: World) -> User:
    """A partnership admin who may also use the Django admin (is_staff)."""
    user = make_user(world.police, Role.PARTNERSHIP_ADMIN)
    User.objects.filter(pk=user.pk).update(is_staff=True, is_superuser=True)
    user.refresh_from_db()
    return user


# --- the admin: sign-in -------------------------------------------------------------------


def test_the_admin_login_page_sends_to_allauth_and_takes_no_password(staff_admin: User) -> None:
    _totp(staff_admin)
    client = Client()
    page = client.get("/admin/login/", {"next": "/admin/agencies/user/"})
    assert page.status_code == 302
    assert page["Location"] == f"{reverse('account_login')}?next=%2Fadmin%2Fagencies%2Fuser%2F"
    # The password alone, posted to the admin's old form, signs no one in.
    posted = client.post("/admin/login/", {"username": staff_admin.email, "password": PASSWORD})
    assert posted.status_code == 302
    assert "_auth_user_id" not in client.session
    assert client.get("/admin/").status_code == 302
    assert client.get("/api/v1/cases/").status_code == 401


def test_admin_sign_in_needs_the_second_factor(staff_admin: User, settings: Any) -> None:
    settings.MASIP_REQUIRE_MFA = True
    secret = _totp(staff_admin)
    client = Client()
    signed = client.post(reverse("account_login") + "?next=/admin/", {"login": staff_admin.email, "password": PASSWORD})
    assert signed["Location"] == reverse("mfa_authenticate")
    assert client.get("/admin/").status_code == 302
    done = client.post(reverse("mfa_authenticate"), {"code": _code(secret)})
    assert done.status_code == 302
    assert client.get("/admin/").status_code == 200


def test_a_session_that_skipped_the_second_factor_does_not_reach_the_admin(staff_admin: User) -> None:
    _totp(staff_admin)
    client = Client()
    client.force_login(staff_admin)  # signed in, but no MFA step in this session
    index = client.get("/admin/")
    assert index.status_code == 302
    assert client.get("/admin/agencies/user/").status_code == 302
    sent = client.get(index["Location"])
    assert sent.status_code == 302
    assert sent["Location"].startswith(reverse("mfa_reauthenticate"))


def test_a_signed_in_user_who_is_not_admin_staff_gets_404_from_the_admin_login(world: World) -> None:
    client = Client()
    client.force_login(world.advocate)
    assert client.get("/admin/login/").status_code == 404
    assert client.get(client.get("/admin/")["Location"]).status_code == 404


def test_wrong_passwords_at_the_admin_sign_in_are_throttled(world: World, staff_admin: User) -> None:
    cache.clear()
    client = Client()
    login_url = client.get("/admin/login/")["Location"]
    attempts = []
    for n in range(25):
        # Spread over several accounts, as a password sprayer would.
        email = [staff_admin.email, world.advocate.email, world.clinician.email, world.triage_officer.email][n % 4]
        attempts.append(client.post(login_url, {"login": email, "password": f"wrong-password-{n}"}))
    assert all(r.status_code in (200, 429) for r in attempts)
    assert any("Too many failed" in r.content.decode() or r.status_code == 429 for r in attempts)
    locked = client.post(login_url, {"login": staff_admin.email, "password": PASSWORD})
    assert locked.status_code != 302, "the right password must be refused while throttled"
    assert "_auth_user_id" not in client.session
    cache.clear()


# --- the admin: what it shows and logs ----------------------------------------------------------


def test_the_history_and_access_log_admins_are_gone(staff_admin: User) -> None:
    import pghistory.models

    client = Client()
    client.force_login(staff_admin)
    assert client.get("/admin/").status_code == 200
    assert client.get("/admin/pghistory/events/").status_code == 404
    assert client.get("/admin/audit/accesslog/").status_code == 404
    for model in admin.site._registry:
        assert not issubclass(model, pghistory.models.Event | pghistory.models.Events | AccessLog), model


def test_the_admin_does_not_show_an_authenticators_secret(world: World, staff_admin: User) -> None:
    from allauth.mfa.models import Authenticator

    secret = _totp(world.advocate)
    client = Client()
    client.force_login(staff_admin)
    authenticator = Authenticator.objects.get(user=world.advocate)
    page = client.get(f"/admin/mfa/authenticator/{authenticator.pk}/change/")
    assert page.status_code == 200
    assert secret not in page.content.decode()


def test_admin_reads_of_personal_data_are_logged(world: World, staff_admin: User) -> None:
    client = Client()
    client.force_login(staff_admin)
    listed = client.get("/admin/agencies/user/")
    assert listed.status_code == 200
    assert world.advocate.email in listed.content.decode()
    row = AccessLog.objects.get(user=staff_admin, record_type="agencies.user")
    assert row.action == AccessAction.VIEW
    assert str(world.advocate.pk) in row.record_ids and str(world.clinician.pk) in row.record_ids
    change = client.get(f"/admin/agencies/user/{world.clinician.pk}/change/")
    assert change.status_code == 200
    assert AccessLog.objects.filter(
        user=staff_admin, record_type="agencies.user", record_ids=[str(world.clinician.pk)]
    ).exists()


def test_the_admin_is_off_in_production_unless_turned_on() -> None:
    probe = (
        "from django.urls import resolve, Resolver404\n"
        "try:\n    resolve('/admin/')\n    print('RESULT on')\n"
        "except Resolver404:\n    print('RESULT off')\n"
    )
    default = _production(probe)
    assert [line for line in default.stdout.splitlines() if line.startswith("RESULT")] == ["RESULT off"], (
        default.stdout + default.stderr
    )
    on = _production(probe, MASIP_ADMIN_ENABLED="true")
    assert [line for line in on.stdout.splitlines() if line.startswith("RESULT")] == ["RESULT on"], (
        on.stdout + on.stderr
    )
    bad = _production(probe, MASIP_ADMIN_ENABLED="perhaps")
    assert bad.returncode == 2
    assert "MASIP_ADMIN_ENABLED" in bad.stderr.strip().splitlines()[-1]


# --- caching and the schema ---------------------------------------------------------------------


def test_pages_and_api_answers_are_not_stored(world: World) -> None:
    case = make_case(world.triage_officer)
    client = Client()
    client.force_login(world.triage_officer)
    for url in (reverse("home"), reverse("cases:caseload"), f"/cases/{case.pk}/", "/api/v1/cases/"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert "no-store" in response.get("Cache-Control", ""), url
    # Signed out, the API's 401 is not stored either.
    assert "no-store" in Client().get("/api/v1/cases/").get("Cache-Control", "")


def test_static_files_keep_their_own_caching() -> None:
    from django.http import HttpResponse
    from django.test import RequestFactory

    from masip.middleware import NoStoreMiddleware

    def static_file(request: Any) -> HttpResponse:
        response = HttpResponse(b"body{}")
        response["Cache-Control"] = "max-age=315360000, public, immutable"
        return response

    answered = NoStoreMiddleware(static_file)(RequestFactory().get("/static/vendor/masip.css"))
    assert answered["Cache-Control"] == "max-age=315360000, public, immutable"


def test_the_api_schema_is_for_signed_in_staff_only(world: World) -> None:
    assert Client().get("/api/v1/schema/").status_code == 401
    client = Client()
    client.force_login(world.advocate)
    schema = client.get("/api/v1/schema/")
    assert schema.status_code == 200
    assert b"/api/v1/cases/" in schema.content


# --- the break-glass e-mail -------------------------------------------------------------------


def test_the_break_glass_email_omits_the_reason_and_is_logged_as_a_disclosure(
    world: World, mailoutbox: Any, django_capture_on_commit_callbacks: Any
) -> None:
    case = make_case(world.triage_officer)
    services.case_share_remove(actor=world.triage_officer, case=case, agency=world.health, reason="not in treatment")
    reason = "Her new address at 9 Rowan Street is needed for the risk assessment"
    with django_capture_on_commit_callbacks(execute=True):
        services.break_glass_open(actor=world.clinician, case_id=case.pk, reason=reason)
    [mail] = mailoutbox
    assert "Rowan Street" not in mail.body and "Rowan Street" not in mail.subject
    assert world.clinician.get_full_name() in mail.body and "break-glass" in mail.body
    assert f"/access-log/?record_id={case.pk}" in mail.body
    disclosure = AccessLog.objects.get(action=AccessAction.DISCLOSE, record_type="cases.case")
    assert disclosure.record_ids == [str(case.pk)]
    assert disclosure.user == world.clinician
    assert str(world.admin.pk) in disclosure.purpose
    assert "Rowan Street" not in disclosure.purpose


# --- demo data ---------------------------------------------------------------------------------


def test_seed_demo_refuses_without_the_demo_setting_unless_forced(settings: Any) -> None:
    settings.MASIP_DEMO_DATA_ALLOWED = False
    with pytest.raises(CommandError, match="--force-in-production"):
        call_command("seed_demo")
    assert not User.objects.exists()


def test_production_settings_do_not_allow_demo_data() -> None:
    result = _production("from django.conf import settings; print('RESULT', settings.MASIP_DEMO_DATA_ALLOWED)")
    assert [line for line in result.stdout.splitlines() if line.startswith("RESULT")] == ["RESULT False"], (
        result.stdout + result.stderr
    )
