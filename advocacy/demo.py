"""Demo victim advocacy for the Demo Partnership's cases, built through the services.

The demo advocate (Amy Okafor) supports the victims of the cases that have been
taken on, and leads the advocacy service. Contacts, needs, safety plans and the key
events raised from the demo orders are dated into each case's story; a few key events
are left for her to tell, one of them overdue, and the police have just recorded a
release from custody, so her Notifications page has something new in it.
"""

from __future__ import annotations

import datetime as dt
import random

from django.db import transaction
from django.utils import timezone

from advocacy import guardrails, services
from advocacy.models import (
    AdvocateAssignment,
    ContactLogEntry,
    ContactLogVersion,
    KeyEvent,
    KeyEventKind,
    MeasureKind,
    MeasureStatus,
    NeedLevel,
    NeedsDomain,
    VictimNotice,
)
from agencies.demo import DEMO_SLUG
from agencies.models import Agency, AgencyKind, Partnership, User
from cases.models import Case, CaseStatus

WORKED = (CaseStatus.ACCEPTED, CaseStatus.ACTIVE, CaseStatus.MONITORING, CaseStatus.CLOSED, CaseStatus.REOPENED)
SUMMARIES = {
    "emotional_support": "Talked through how she is sleeping and feeling; she is keeping a diary of contact.",
    "criminal_justice_update": "Explained where the case is and what happens next with the police investigation.",
    "safety_planning": "Went through the safety plan together; agreed to vary the route to work.",
    "court_support": "Explained special measures and arranged a pre-trial visit to the court.",
    "housing": "Discussed a management transfer with the housing association; letter of support to follow.",
    "children": "Talked about the school pick-up arrangements and who to call if he appears.",
}


def _at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))


@transaction.atomic
def load_demo_data() -> int:
    """Create the demo advocacy once. Returns how many records were made (0 when present)."""
    partnership = Partnership.objects.filter(slug=DEMO_SLUG).first()
    if partnership is None or not Case.objects.filter(partnership=partnership).exists():
        return 0
    if AdvocateAssignment.objects.filter(case__partnership=partnership).exists():
        return 0
    staff = {u.email: u for u in User.objects.filter(agency__partnership=partnership).select_related("agency")}
    advocate = staff["advocate@demo.masip.test"]
    police = staff["triage@demo.masip.test"]
    admin = staff["admin@demo.masip.test"]
    advocacy_agency = Agency.objects.get(partnership=partnership, kind=AgencyKind.ADVOCACY)
    police_agency = Agency.objects.get(partnership=partnership, kind=AgencyKind.POLICE)
    rng = random.Random(2032)  # noqa: S311
    today = timezone.localdate()
    made = 0

    services.lead_add(actor=admin, agency=advocacy_agency, user=advocate)
    made += 1
    cases = list(Case.objects.filter(partnership=partnership, status__in=WORKED).order_by("received_on", "pk"))
    for case in cases:
        start = case.decided_on or case.received_on
        assignment = services.advocate_assign(actor=advocate, case=case, advocate=advocate)
        AdvocateAssignment.objects.filter(pk=assignment.pk).update(started_at=_at(start, 10))
        made += 1

        # Contacts: roughly fortnightly from the start of support, the last one setting the next,
        # by the ways the victim agreed (with now and then a reply in the way she used herself).
        safe = guardrails.safe_channels(assignment.person_id) or ["phone"]
        end = case.closed_on or today
        day = start + dt.timedelta(days=1)
        contacts = 0
        while day <= end and contacts < 6:
            topics = rng.sample(list(SUMMARIES), k=rng.choice([1, 2]))
            last = day + dt.timedelta(days=14) > end or contacts == 5
            occurred = min(
                _at(day, rng.choice([10, 11, 13, 14]), rng.choice([0, 15, 30])),
                timezone.now() - dt.timedelta(minutes=30),
            )
            channel, reason = rng.choice(safe), ""
            if rng.random() < 0.1 and "text" not in safe:
                channel, reason = "text", "She texted from a friend's phone and asked for a reply there."
            entry = services.contact_record(
                actor=advocate,
                case=case,
                data=services.ContactInput(
                    occurred_at=occurred,
                    channel=channel,
                    unsafe_method_reason=reason,
                    direction=rng.choice(["to_victim", "to_victim", "from_victim"]),
                    topics=topics,
                    summary=" ".join(SUMMARIES[t] for t in topics),
                    duration_minutes=rng.choice([10, 20, 30, 45, 60]),
                    next_contact_due=(today + dt.timedelta(days=rng.randint(-4, 12)))
                    if last and case.status != CaseStatus.CLOSED
                    else day + dt.timedelta(days=14),
                ),
            )
            ContactLogEntry.objects.filter(pk=entry.pk).update(created_at=occurred, updated_at=occurred)
            ContactLogVersion.objects.filter(entry=entry).update(recorded_at=occurred)
            made += 1
            contacts += 1
            day += dt.timedelta(days=rng.randint(10, 18))

        if case.status != CaseStatus.ACCEPTED:
            assessed = min(start + dt.timedelta(days=3), today)
            services.needs_assess(
                actor=advocate,
                case=case,
                assessed_on=assessed,
                review_on=max(assessed + dt.timedelta(days=42), today - dt.timedelta(days=rng.randint(0, 5))),
                levels={
                    d.value: rng.choice(
                        [NeedLevel.HIGH, NeedLevel.MEDIUM, NeedLevel.MEDIUM, NeedLevel.LOW, NeedLevel.NONE]
                    )
                    for d in NeedsDomain
                },
                domain_notes={NeedsDomain.SAFETY.value: "Fears he will come to her workplace."},
            )
            made += 1
            proposed = min(start + dt.timedelta(days=4), today)
            for kind, owner, in_place in rng.sample(
                [
                    (MeasureKind.ALARM, police_agency, True),
                    (MeasureKind.CCTV, police_agency, False),
                    (MeasureKind.ROUTE_ROUTINE, advocacy_agency, True),
                    (MeasureKind.EVIDENCE_LOG, advocacy_agency, True),
                    (MeasureKind.TECHNOLOGY_SAFETY, advocacy_agency, False),
                    (MeasureKind.WORKPLACE_PLAN, advocacy_agency, False),
                ],
                k=3,
            ):
                services.safety_measure_add(
                    actor=advocate,
                    case=case,
                    data=services.MeasureInput(
                        kind=kind,
                        owner_agency=owner,
                        status=MeasureStatus.IN_PLACE if in_place else MeasureStatus.PROPOSED,
                        proposed_on=proposed,
                        in_place_on=min(proposed + dt.timedelta(days=5), today) if in_place else None,
                        review_on=today + dt.timedelta(days=rng.randint(1, 40)) if case.status != "closed" else None,
                    ),
                )
                made += 1
            if case.status in (CaseStatus.ACTIVE, CaseStatus.MONITORING):
                reviewed = min(proposed + dt.timedelta(days=28), today)
                services.safety_plan_review(
                    actor=advocate,
                    case=case,
                    reviewed_on=reviewed,
                    summary="Reviewed with the victim: alarm tested, route changes working, evidence log kept.",
                    next_review_on=max(reviewed + dt.timedelta(days=28), today + dt.timedelta(days=rng.randint(1, 20))),
                )
                made += 1

        if case.status in (CaseStatus.MONITORING, CaseStatus.CLOSED):
            services.feedback_record(
                actor=advocate,
                case=case,
                data=services.FeedbackInput(
                    collected_on=case.closed_on or today,
                    feels_safer=rng.choice([3, 4, 4, 5, 5]),
                    felt_informed=rng.choice([2, 4, 4, 5, 5]),
                    coping=rng.choice([3, 3, 4, 5]),
                    overall_satisfaction=rng.choice([4, 4, 5, 5]),
                    comments=rng.choice(["", "Having one person to call made all the difference."]),
                ),
            )
            made += 1

    # The key events raised from the demo orders: dated to their orders and told within hours,
    # except the newest two, which wait for the advocate (the older one overdue).
    events = list(
        KeyEvent.objects.filter(case__partnership=partnership).select_related("order", "breach").order_by("occurs_on")
    )
    for event in events:
        moment = _at(min(event.occurs_on, today), 9, 30)
        KeyEvent.objects.filter(pk=event.pk).update(recorded_at=moment)
        VictimNotice.objects.filter(key_event=event).update(tell_by=moment + dt.timedelta(hours=24), created_at=moment)
    untold = {n.pk for n in VictimNotice.objects.filter(key_event__in=events[-2:])}
    for notice in VictimNotice.objects.filter(key_event__in=events).exclude(pk__in=untold).select_related("key_event"):
        if notice.advocate_id is None:
            continue
        services.victim_told(
            actor=advocate,
            notice=notice,
            told_at=min(
                notice.tell_by - dt.timedelta(hours=rng.randint(2, 20)), timezone.now() - dt.timedelta(minutes=5)
            ),
            method=rng.choice(guardrails.safe_channels(notice.person_id) or ["phone"]),
        )
    # The two left untold: one recorded 27 hours ago (overdue), one an hour ago.
    now = timezone.now()
    for event, age in zip(events[-2:], (27, 1), strict=False):
        recorded = now - dt.timedelta(hours=age)
        KeyEvent.objects.filter(pk=event.pk).update(recorded_at=recorded)
        VictimNotice.objects.filter(key_event=event, told_at__isnull=True).update(
            created_at=recorded, tell_by=recorded + dt.timedelta(hours=24)
        )
    active = [c for c in cases if c.status == CaseStatus.ACTIVE]
    if active:
        services.key_event_record(
            actor=police,
            case=active[-1],
            data=services.KeyEventInput(
                kind=KeyEventKind.RELEASE_FROM_CUSTODY,
                occurs_on=today,
                details="Released from HMP Demoford this morning on licence; licence conditions include no "
                "contact with the victim and an exclusion zone.",
            ),
        )
        made += 1
    from cases.services import next_due_changed

    next_due_changed(case_ids=[c.pk for c in cases])
    return made
