"""A new needs assessment starts from the last one, and the needs page shows each domain's change."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from advocacy import services
from advocacy.models import NeedsDomain
from tests.case_factories import make_case
from tests.factories import World

pytestmark = pytest.mark.django_db


def test_a_review_starts_from_the_last_assessment_and_shows_the_change(world: World) -> None:
    case = make_case(world.triage_officer)
    today = timezone.localdate()
    first = dict.fromkeys(NeedsDomain.values, "low")
    services.needs_assess(
        actor=world.advocate,
        case=case,
        assessed_on=today - dt.timedelta(days=30),
        review_on=today,
        levels={**first, "housing": "high"},
    )
    client = Client()
    client.force_login(world.advocate)
    form = client.get(reverse("advocacy:needs_add", args=[case.pk])).content.decode()
    assert re.search(r'name="level_housing" value="high" id="[^"]+" checked', form)
    assert re.search(r'name="level_safety" value="low" id="[^"]+" checked', form)
    assert f"Last time ({today - dt.timedelta(days=30):%-d %B %Y}): High" in form
    services.needs_assess(
        actor=world.advocate,
        case=case,
        assessed_on=today,
        review_on=today + dt.timedelta(days=30),
        levels={**first, "housing": "medium", "safety": "high"},
    )
    page = client.get(reverse("advocacy:needs", args=[case.pk])).content.decode()
    assert "down from high" in page and "up from low" in page
    assert page.count('data-testid="need-change"') == 2


def test_overdue_reviews_are_flagged_on_the_case(world: World) -> None:
    case = make_case(world.triage_officer)
    services.advocate_assign(actor=world.advocate, case=case, advocate=world.advocate)
    today = timezone.localdate()
    client = Client()
    client.force_login(world.advocate)
    page = client.get(reverse("cases:case_detail", args=[case.pk])).content.decode()
    assert 'data-testid="reviews-overdue"' not in page
    services.needs_assess(
        actor=world.advocate,
        case=case,
        assessed_on=today - dt.timedelta(days=40),
        review_on=today - dt.timedelta(days=2),
        levels=dict.fromkeys(NeedsDomain.values, "low"),
    )
    page = client.get(reverse("cases:case_detail", args=[case.pk])).content.decode()
    flagged = page.split('data-testid="reviews-overdue"')[1].split("</div>")[0]
    assert "Needs assessment" in flagged and "Safety plan" not in flagged
    # A newer assessment with its review ahead clears the flag.
    services.needs_assess(
        actor=world.advocate,
        case=case,
        assessed_on=today,
        review_on=today + dt.timedelta(days=30),
        levels=dict.fromkeys(NeedsDomain.values, "low"),
    )
    page = client.get(reverse("cases:case_detail", args=[case.pk])).content.decode()
    assert 'data-testid="reviews-overdue"' not in page
