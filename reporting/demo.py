"""Demo data for the returns: the Home Office return, training sessions, last quarter's return.

Idempotent: run again, it creates nothing new. Builds on the demo partnership's agencies
and programme manager (agencies/demo.py).
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from agencies.demo import DEMO_SLUG
from agencies.models import Agency, AgencyKind, Partnership, Role, User
from reporting.models import GeneratedReturn, ReturnDefinition, TrainingAudience, TrainingEvent
from reporting.returns import services
from reporting.returns.measures import Quarter

# (days ago, audience, topic, attendees, delivering agency kind)
TRAINING = [
    (12, TrainingAudience.POLICE, "Recognising stalking: the FOUR behaviours", 24, AgencyKind.POLICE),
    (40, TrainingAudience.HEALTH, "Stalking and mental health: referral routes", 15, AgencyKind.HEALTH),
    (75, TrainingAudience.VICTIM_SERVICES, "Safety planning with victims of stalking", 11, AgencyKind.ADVOCACY),
    (101, TrainingAudience.MULTI_AGENCY, "The stalking clinic: what to bring", 32, AgencyKind.PROBATION),
    (150, TrainingAudience.CPS_COURTS, "Stalking Protection Orders in practice", 3, AgencyKind.POLICE),
    (190, TrainingAudience.HOUSING, "Stalking and housing moves", 9, AgencyKind.ADVOCACY),
]


@transaction.atomic
def load_demo_data() -> int:
    partnership = Partnership.objects.filter(slug=DEMO_SLUG).first()
    if partnership is None:
        return 0
    manager = User.objects.filter(agency__partnership=partnership, role=Role.PROGRAMME_MANAGER).first()
    if manager is None:
        return 0
    created = 0
    had_definition = ReturnDefinition.objects.filter(partnership=partnership).exists()
    definition = services.definition_ensure_default(partnership=partnership, actor=manager)
    created += 0 if had_definition else 1
    if not TrainingEvent.objects.filter(partnership=partnership).exists():
        today = timezone.localdate()
        agencies = {a.kind: a for a in Agency.objects.filter(partnership=partnership)}
        for days, audience, topic, attendees, kind in TRAINING:
            agency = agencies.get(kind)
            if agency is None:
                continue
            services.training_event_record(
                actor=manager,
                data=services.TrainingInput(
                    delivered_on=today - dt.timedelta(days=days),
                    audience=audience,
                    topic=topic,
                    attendees=attendees,
                    delivering_agency_id=agency.pk,
                ),
            )
            created += 1
    if not GeneratedReturn.objects.filter(partnership=partnership).exists():
        quarter = Quarter.containing(timezone.localdate()).previous()
        version = services.latest_version(definition)
        generated = GeneratedReturn.objects.create(
            partnership=partnership,
            version=version,
            year=quarter.year,
            quarter=quarter.number,
            period_start=quarter.start,
            period_end=quarter.end,
            suppress_small_numbers=True,
            indicators_total=version.indicators.count(),
            requested_by=manager,
        )
        # Generated here rather than by the worker, so the demo has a return to download at once.
        transaction.on_commit(lambda: services.return_generate(return_id=generated.pk))
        created += 1
    return created
