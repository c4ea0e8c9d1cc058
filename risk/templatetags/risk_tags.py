"""Template helpers for the risk pages."""

from __future__ import annotations

from django import template

from risk import scoring
from risk.models import Assessment
from risk.selectors import assessment_bands

register = template.Library()


@register.filter
def level_label(assessment: Assessment) -> str:
    """The assessment's level as its own instrument names it ("Moderate/high", "Medium")."""
    if not assessment.level:
        return ""
    return scoring.band_label(assessment_bands(assessment), assessment.level)
