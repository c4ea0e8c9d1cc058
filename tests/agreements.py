"""Sharing agreements beyond the default, for the tests that check a rule holds under more than
one agreement (the ``agreement`` fixture, tests/fixtures.py, runs a test under each)."""

from __future__ import annotations

from agencies.models import AgencyKind, Partnership, RecordClass, SharingRule, User


def set_agreement(partnership: Partnership, rules: dict[str, set[str]]) -> None:
    """Replace the partnership's agreement with ``rules`` (agency kind -> record classes)."""
    agreement = partnership.sharing_agreement
    SharingRule.objects.filter(agreement=agreement).delete()
    SharingRule.objects.bulk_create(
        SharingRule(agreement=agreement, agency_kind=kind, record_class=cls)
        for kind, classes in rules.items()
        for cls in classes
    )
    for user in User.objects.filter(agency__partnership=partnership):
        user.__dict__.pop("_masip_record_classes", None)


ALL_CLASSES = {str(c) for c in RecordClass}
# Agreements beyond the default: everything to everyone but location to police only; and
# location to probation and health too (so a leak cannot hide behind the agreement).
AGREEMENTS: dict[str, dict[str, set[str]] | None] = {
    "default": None,
    "location-to-police-only": {
        AgencyKind.POLICE: ALL_CLASSES,
        AgencyKind.PROBATION: ALL_CLASSES - {RecordClass.VICTIM_LOCATION},
        AgencyKind.HEALTH: ALL_CLASSES - {RecordClass.VICTIM_LOCATION},
        AgencyKind.ADVOCACY: ALL_CLASSES,
    },
    "location-to-everyone": {
        kind: set(ALL_CLASSES)
        for kind in (AgencyKind.POLICE, AgencyKind.PROBATION, AgencyKind.HEALTH, AgencyKind.ADVOCACY)
    },
}
