"""Bad configuration stops the process at start with one line naming the variable."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
GOOD_SECRET = "k3y-" + "a1B2c3D4e5F6g7H8i9J0" * 3


def _manage(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    # A clean process: nothing the suite set for itself (the browser tests' async flag) leaks in.
    dropped = {"DJANGO_SETTINGS_MODULE", "SECRET_KEY", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    base = {k: v for k, v in os.environ.items() if k not in dropped}
    base.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=base, capture_output=True, text=True, timeout=120
    )


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({"DATABASE_URL": "mysql://root@localhost/masip"}, "DATABASE_URL"),
        ({"DATABASE_URL": "postgresql://127.0.0.1:notaport/masip"}, "DATABASE_URL"),
        ({"DATABASE_URL": "postgresql://127.0.0.1:5432/"}, "DATABASE_URL"),
        ({"REDIS_URL": "http://127.0.0.1:6379/0"}, "REDIS_URL"),
        ({"MASIP_REQUIRE_MFA": "maybe"}, "MASIP_REQUIRE_MFA"),
        ({"DEBUG": "sometimes"}, "DEBUG"),
    ],
)
def test_bad_value_fails_at_start_with_one_line(env: dict[str, str], variable: str) -> None:
    result = _manage("check", DJANGO_SETTINGS_MODULE="masip.settings.test", **env)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert variable in lines[0]


def test_production_without_secret_key_fails_with_one_line() -> None:
    result = _manage("check", DJANGO_SETTINGS_MODULE="masip.settings.production", ALLOWED_HOSTS="masip.example.org")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "Configuration error: SECRET_KEY is required in production but not set"
    ]


def test_production_settings_pass_the_deployment_checklist() -> None:
    result = _manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DJANGO_SETTINGS_MODULE="masip.settings.production",
        SECRET_KEY=GOOD_SECRET,
        ALLOWED_HOSTS="masip.example.org",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_production_requires_mfa_by_default() -> None:
    result = _manage(
        "shell",
        "-c",
        "from django.conf import settings; print('RESULT', settings.MASIP_REQUIRE_MFA, settings.SESSION_COOKIE_AGE)",
        DJANGO_SETTINGS_MODULE="masip.settings.production",
        SECRET_KEY=GOOD_SECRET,
        ALLOWED_HOSTS="masip.example.org",
    )
    result_line = [line for line in result.stdout.splitlines() if line.startswith("RESULT")]
    assert result_line == ["RESULT True 1800"], result.stdout + result.stderr
