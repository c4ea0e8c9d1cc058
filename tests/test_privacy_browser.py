"""In a real browser: a partnership admin adds a retention schedule, finds the night's batch and
approves it; a real worker carries it out. A probation practitioner cannot open the batch."""

from __future__ import annotations

import datetime as dt
import re
import time
from typing import Any

import pytest
from django.contrib.contenttypes.models import ContentType

from cases.permissions import view_case_permission_id
from privacy import services
from privacy.models import BatchStatus, RetentionBatch
from tests.conftest import sign_in
from tests.factories import PASSWORD, World
from tests.privacy_factories import close_long_ago, marked_case

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser, pytest.mark.worker]


def test_an_admin_approves_a_retention_batch_and_it_is_carried_out(page: Any, celery_worker_process: Any) -> None:
    view_case_permission_id.cache_clear()
    ContentType.objects.clear_cache()
    world = World("Retention Browser Partnership")
    case = marked_case(world, "qzbrowsermark")
    close_long_ago(case)

    sign_in(page, world.admin.email, PASSWORD)
    page.wait_for_url(re.compile(r".*/$"))
    page.goto("/privacy/retention/")
    page.get_by_label("Kind of record").select_option(label="Case")
    page.get_by_label("Case closed").check()
    page.get_by_label("Period in months").fill("72")
    page.get_by_label("Erase").check()
    page.get_by_role("button", name="Add schedule").click()
    page.wait_for_url(re.compile(r".*/privacy/retention/$"))
    assert "Case closed" in page.get_by_test_id("schedules").inner_text()

    # The night passes: the beat's job lists what has fallen due.
    services.retention_list_due(today=dt.date.today())
    page.get_by_role("link", name="Batches").click()
    page.get_by_role("link", name=dt.date.today().strftime("%-d %B %Y")).click()
    assert page.get_by_test_id("batch-status").inner_text() == "Awaiting approval"
    batch_url = page.url
    page.get_by_role("button", name="Approve batch").click()
    batch = RetentionBatch.objects.get()
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and RetentionBatch.objects.get(pk=batch.pk).status != BatchStatus.DONE:
        time.sleep(0.5)
    page.reload()
    assert page.get_by_test_id("batch-status").inner_text() == "Done"
    assert page.get_by_test_id("batch-progress").inner_text() == "1 of 1 chunks done"
    page.get_by_role("button", name="Sign out").click()

    sign_in(page, world.probation_practitioner.email, PASSWORD)
    page.wait_for_url(re.compile(r".*/$"))
    assert page.request.get(batch_url).status == 404
