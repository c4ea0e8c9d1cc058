"""The admin site edits a definition the same way the page does: by making the next version."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from agencies.models import User
from reporting.models import DefinitionVersion
from reporting.returns import services
from tests.factories import World

pytestmark = pytest.mark.django_db


def _post_data(version: DefinitionVersion, *, rows: list[dict[str, Any]], note: str) -> dict[str, Any]:
    data: dict[str, Any] = {
        "definition": version.definition_id,
        "note": note,
        "indicators-TOTAL_FORMS": len(rows),
        "indicators-INITIAL_FORMS": 0,
        "indicators-MIN_NUM_FORMS": 0,
        "indicators-MAX_NUM_FORMS": 1000,
    }
    for i, row in enumerate(rows):
        for name, value in row.items():
            data[f"indicators-{i}-{name}"] = json.dumps(value) if name == "filters" else value
    return data


def _rows(version: DefinitionVersion) -> list[dict[str, Any]]:
    return [
        {
            "position": i.position,
            "key": i.key,
            "label": i.label,
            "section": i.section,
            "measure": i.measure,
            "date_basis": i.date_basis,
            "period": i.period,
            "filters": i.filters,
            "breakdown": i.breakdown,
        }
        for i in version.indicators.order_by("position")
    ]


@pytest.fixture
def admin_client(db: None) -> Client:
    client = Client()
    client.force_login(User.objects.create_superuser(email="root@example.org", password="x" * 20))
    return client


def test_the_admin_makes_the_next_version(world: World, admin_client: Client) -> None:
    definition = services.definition_ensure_default(partnership=world.partnership)
    first = services.latest_version(definition)
    add_url = reverse("admin:reporting_definitionversion_add")
    page = admin_client.get(f"{add_url}?definition={definition.pk}")
    assert page.status_code == 200
    # Pre-filled with the current version's 24 indicators, and three blank rows to add more.
    assert page.context["inline_admin_formsets"][0].formset.total_form_count() == 24 + 3
    rows = _rows(first)
    rows = [r for r in rows if r["key"] != "training_attendees"]
    rows[0]["label"] = "Referrals received this quarter, by referring agency"
    rows.append(
        {
            "position": 99,
            "key": "open_cases",
            "label": "Open cases at the end of the quarter",
            "section": "Triage",
            "measure": "cases",
            "date_basis": "open_at_end",
            "period": "quarter",
            "filters": {},
            "breakdown": "tier",
        }
    )
    response = admin_client.post(add_url, _post_data(first, rows=rows, note="Funder's new template"))
    assert response.status_code == 302, response.content.decode()[:2000]
    second = services.latest_version(definition)
    assert (second.number, second.note) == (2, "Funder's new template")
    keys = list(second.indicators.order_by("position").values_list("key", flat=True))
    assert "training_attendees" not in keys and keys[-1] == "open_cases" and len(keys) == 24
    assert second.indicators.get(key="referrals_received").label.endswith("this quarter, by referring agency")
    assert first.indicators.count() == 24  # the first version is as it was
    # A version is never changed in the admin.
    assert (
        admin_client.post(reverse("admin:reporting_definitionversion_change", args=[first.pk]), {}).status_code == 403
    )


def test_the_admin_refuses_what_the_vocabulary_does_not_define(world: World, admin_client: Client) -> None:
    definition = services.definition_ensure_default(partnership=world.partnership)
    first = services.latest_version(definition)
    rows = _rows(first)
    rows[0]["breakdown"] = "gender"  # a referral has no one gender
    response = admin_client.post(
        reverse("admin:reporting_definitionversion_add"), _post_data(first, rows=rows, note="bad")
    )
    assert response.status_code == 200
    assert "cannot be broken down by" in response.content.decode()
    assert definition.versions.count() == 1
