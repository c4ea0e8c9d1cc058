"""Demo monitoring for the demo partnership's cases (seed_demo).

Idempotent: the scheduler opens the periods and reviews the accepted demo cases have
reached; the first time, two of the oldest reviews are completed (one with re-offending,
one without), so the timeline shows every kind of outcome.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from agencies.demo import DEMO_SLUG
from agencies.models import Partnership, Role, User
from followups import services
from followups.models import FollowUpReview, ReviewStatus


def load_demo_data() -> int:
    partnership = Partnership.objects.filter(slug=DEMO_SLUG).first()
    if partnership is None:
        return 0
    today = timezone.localdate()
    created = services.followups_schedule(today=today).reviews_created
    if FollowUpReview.objects.filter(case__partnership=partnership, status=ReviewStatus.COMPLETED).exists():
        return created
    officer = User.objects.filter(agency__partnership=partnership, role=Role.TRIAGE_OFFICER, is_active=True).first()
    if officer is None:
        return created
    oldest = list(
        FollowUpReview.objects.filter(case__partnership=partnership, status=ReviewStatus.OPEN)
        .select_related("case", "period")
        .order_by("due_on", "id")[:2]
    )
    if oldest:
        first = oldest[0]
        services.followup_review_complete(
            actor=officer,
            review=first,
            data=services.ReviewInput(
                reoffended=True,
                occurrences=[
                    services.OccurrenceInput(
                        occurred_on=max(first.window_starts_on, first.due_on - dt.timedelta(days=20)),
                        kind="persistence",
                        victim="same",
                        source="victim",
                        offence="breach_restraining_order",
                        crime_reference="CH/40211/26",
                    )
                ],
                notes="Victim reported messages from a new number; police confirmed the sender.",
            ),
        )
        created += 1
    if len(oldest) > 1:
        services.followup_review_complete(
            actor=officer,
            review=oldest[1],
            data=services.ReviewInput(reoffended=False, sources_checked=["police", "probation", "victim"]),
        )
        created += 1
    return created
