"""The demo partnership: one agency of each core kind and one member of staff per role."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction

from agencies import services
from agencies.models import Agency, AgencyKind, Partnership, Role

DEMO_PASSWORD = "demo-password-2026"  # noqa: S105 (the demo logins' published password)
DEMO_SLUG = "demo"


@dataclass(frozen=True)
class DemoUser:
    email: str
    first_name: str
    last_name: str
    agency: str
    role: Role


DEMO_AGENCIES: dict[str, AgencyKind] = {
    "Demo Constabulary": AgencyKind.POLICE,
    "Demo Probation Service": AgencyKind.PROBATION,
    "Demo NHS Stalking Clinic": AgencyKind.HEALTH,
    "Demo Victim Advocacy Service": AgencyKind.ADVOCACY,
}

DEMO_USERS = [
    DemoUser("triage@demo.masip.test", "Tara", "Singh", "Demo Constabulary", Role.TRIAGE_OFFICER),
    DemoUser("advocate@demo.masip.test", "Amy", "Okafor", "Demo Victim Advocacy Service", Role.ADVOCATE),
    DemoUser("clinician@demo.masip.test", "Colin", "Hughes", "Demo NHS Stalking Clinic", Role.CLINICIAN),
    DemoUser("probation@demo.masip.test", "Priya", "Shah", "Demo Probation Service", Role.PROBATION_PRACTITIONER),
    DemoUser("manager@demo.masip.test", "Megan", "Lloyd", "Demo Constabulary", Role.PROGRAMME_MANAGER),
    DemoUser("admin@demo.masip.test", "Adam", "Price", "Demo Constabulary", Role.PARTNERSHIP_ADMIN),
]


@transaction.atomic
def load_demo() -> bool:
    """Create the demo partnership once. Returns False when it already existed."""
    if Partnership.objects.filter(slug=DEMO_SLUG).exists():
        return False
    partnership = services.partnership_create(name="Demo Partnership", slug=DEMO_SLUG)
    agencies: dict[str, Agency] = {
        name: services.agency_create(partnership=partnership, name=name, kind=kind)
        for name, kind in DEMO_AGENCIES.items()
    }
    for demo in DEMO_USERS:
        services.staff_create(
            email=demo.email,
            first_name=demo.first_name,
            last_name=demo.last_name,
            agency=agencies[demo.agency],
            role=demo.role,
            password=DEMO_PASSWORD,
        )
    return True
