"""Shared fixtures, registered once for every test directory by the root conftest.py:
named users in two partnerships, a real Celery worker, a real browser."""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings

from tests.agreements import AGREEMENTS, set_agreement
from tests.factories import World
from tests.workers import Worker

CHROMIUM = os.environ.get("MASIP_CHROMIUM", "/usr/bin/chromium")


@pytest.fixture
def world(db: None) -> World:
    return World("North Partnership")


@pytest.fixture(params=list(AGREEMENTS))
def agreement(request: Any, world: World) -> str:
    """Run the test under each agreement of tests/agreements.py (the default first), on ``world``."""
    rules = AGREEMENTS[request.param]
    if rules is not None:
        set_agreement(world.partnership, rules)
    return str(request.param)


@pytest.fixture
def other_world(db: None) -> World:
    return World("South Partnership")


@pytest.fixture(scope="session")
def celery_worker_process(django_db_setup: None, django_db_blocker: Any) -> Iterator[Worker]:
    """A real Celery worker in its own process, on the test database and real Redis.

    It listens on a queue of its own so that no other worker on the same Redis
    (a developer's `make run`) can take the suite's tasks.
    """
    queue = f"masip-test-{uuid.uuid4().hex[:8]}"
    worker = Worker([queue], env={"MASIP_CELERY_QUEUE": queue}, heartbeat=True)
    settings.CELERY_TASK_DEFAULT_QUEUE = queue
    from masip.celery import app

    app.conf.task_default_queue = queue
    yield worker
    worker.stop()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Debian's Chromium, headless, driven by Playwright (no browser download)."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: install Debian's chromium package")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the tests still
    # call the ORM synchronously between steps, which is safe here.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    user_data = tempfile.mkdtemp(prefix="masip-chromium-")
    with sync_playwright() as pw:
        instance = pw.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield instance
        instance.close()
    shutil.rmtree(user_data, ignore_errors=True)


@pytest.fixture
def page(browser: Any, live_server: Any) -> Iterator[Any]:
    context = browser.new_context(base_url=live_server.url)
    pg = context.new_page()
    pg.set_default_timeout(15_000)
    yield pg
    context.close()


def sign_in(page: Any, email: str, password: str) -> None:
    page.goto("/accounts/login/")
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
