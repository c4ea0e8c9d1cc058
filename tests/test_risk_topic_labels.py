"""The S-DASH topic labels name what the published questions ask (topic labels, no wording)."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps

from risk.models import Item

pytestmark = pytest.mark.django_db

MIGRATION = importlib.import_module("risk.migrations.0003_sdash_topic_labels")


def labels(key: str) -> set[str]:
    return set(Item.objects.filter(key=key, version__source__startswith="shipped:").values_list("label", flat=True))


def test_the_shipped_sdash_items_name_the_questions_topics() -> None:
    # In the DASH's stalking group and in the S-DASH on its own.
    assert labels("sdash_criminal_history") == {"Previous harassment or stalking of this or other victims"}
    assert labels("sdash_turning_up") == {"Turning up unannounced more than three times a week"}


def test_the_migration_relabels_shipped_items_and_leaves_the_keys() -> None:
    Item.objects.filter(key="sdash_turning_up").update(label="Turning up unannounced")
    MIGRATION.relabel(apps, None)
    assert labels("sdash_turning_up") == {"Turning up unannounced more than three times a week"}
    MIGRATION.backwards(apps, None)
    assert labels("sdash_turning_up") == {"Turning up unannounced"}
