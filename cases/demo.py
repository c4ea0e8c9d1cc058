"""Demo cases for the Demo Partnership, built through the services.

Every name, address, phone number (Ofcom's drama range) and reference here is
fictional; the postcode area "DM" does not exist. Dates are relative to today so
the caseload always has something new, something due and something overdue.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from agencies.demo import DEMO_SLUG
from agencies.models import Agency, AgencyKind, Partnership, RecordClass, User
from cases import services
from cases.models import Case, CaseEvent, CaseNote, CaseStatus, PartyRole

# (given, family, gender)
VICTIMS = [
    ("Hannah", "Mercer", "female"),
    ("Sophie", "Adeyemi", "female"),
    ("Rachel", "Boateng", "female"),
    ("Chloe", "Pritchard", "female"),
    ("Aisha", "Rahman", "female"),
    ("Laura", "Kowalski", "female"),
    ("Megan", "Thornbury", "female"),
    ("Jade", "Ellison", "female"),
    ("Nadia", "Farouk", "female"),
    ("Emma", "Whitlock", "female"),
    ("Gemma", "Ashworth", "female"),
    ("Priti", "Chauhan", "female"),
    ("Zoe", "Maddox", "female"),
    ("Katie", "Osei", "female"),
    ("Lucy", "Fairbairn", "female"),
    ("Natalie", "Dunmore", "female"),
    ("Holly", "Brennan", "female"),
    ("Amira", "Haddad", "female"),
    ("Claire", "Hollins", "female"),
    ("Beth", "Carrow", "female"),
    ("Yasmin", "Iqbal", "female"),
    ("Siobhan", "Keane", "female"),
    ("Joanne", "Revell", "female"),
    ("Olivia", "Stanton", "female"),
    ("Daniel", "Frome", "male"),
    ("Tom", "Hartigan", "male"),
    ("Marcus", "Ebanks", "male"),
    ("Ruth", "Lindqvist", "female"),
    ("Helen", "Garside", "female"),
    ("Fiona", "Macrae", "female"),
    ("Sam", "Ridley", "other"),
    ("Alice", "Penrose", "female"),
    ("Grace", "Ogunbiyi", "female"),
    ("Ellie", "Sandford", "female"),
    ("Kirsty", "Vane", "female"),
    ("Abigail", "Tunstall", "female"),
]
PERPETRATORS = [
    ("Darren", "Kell", "male"),
    ("Craig", "Mottram", "male"),
    ("Jason", "Pilling", "male"),
    ("Ryan", "Colquhoun", "male"),
    ("Stuart", "Brereton", "male"),
    ("Wayne", "Lofthouse", "male"),
    ("Kieran", "Doyle", "male"),
    ("Adam", "Sefton", "male"),
    ("Paul", "Greaves", "male"),
    ("Michael", "Ainsworth", "male"),
    ("Neil", "Ratcliffe", "male"),
    ("Shaun", "Hepworth", "male"),
    ("Ben", "Okonjo", "male"),
    ("Lewis", "Fenwick", "male"),
    ("Imran", "Qureshi", "male"),
    ("Carl", "Wardle", "male"),
    ("Joanne", "Birtles", "female"),
    ("Mark", "Stenson", "male"),
    ("Luke", "Tindall", "male"),
    ("Sean", "Gorman", "male"),
    ("Tracy", "Holroyd", "female"),
    ("Anthony", "Clegg", "male"),
    ("Dean", "Royle", "male"),
    ("Martin", "Eckersley", "male"),
    ("Karl", "Vickers", "male"),
    ("Gavin", "Lomax", "male"),
    ("Phil", "Duckworth", "male"),
    ("Simon", "Tennant", "male"),
    ("Oliver", "Brabant", "male"),
]
# Two people who come back: linked to the same Person, so re-offending can be seen.
REPEAT_PERPETRATORS = {
    "whitfield": ("Gary", "Whitfield", "male", "14/338201K", dt.date(1979, 11, 23)),
    "harrop": ("Lee", "Harrop", "male", "17/902114C", dt.date(1991, 4, 8)),
}
STREETS = [
    "Alder Way",
    "Kingfisher Road",
    "Millbrook Lane",
    "Chapel Row",
    "Orchard Close",
    "Station Terrace",
    "Beacon Drive",
    "Rowan Court",
    "Wharf Street",
    "Hazel Grove",
    "Meadow Rise",
    "Larch Avenue",
]
SUMMARIES = {
    "ex_intimate": [
        "Repeated calls and messages since the relationship ended; has waited outside the victim's workplace.",
        "Turned up at the victim's home at night several times; sent flowers and letters after being told to stop.",
        "Created new social media accounts to contact the victim after being blocked; threatened to share images.",
    ],
    "acquaintance": [
        "Former neighbour leaving notes on the victim's car and following her to the gym.",
        "Met through a hobby group; messages escalated from friendly to threatening over three months.",
    ],
    "stranger": [
        "Unknown man seen repeatedly near the victim's route to work; approached her twice at the bus stop.",
        "Victim followed home from a shop on three occasions; suspect identified from CCTV.",
    ],
    "workplace": [
        "Former colleague contacting the victim after his dismissal; has phoned her office more than 40 times.",
    ],
    "online_only": [
        "Sustained contact across several platforms, including fake profiles, after the victim declined to meet.",
    ],
    "professional": [
        "Client of the victim's practice sending letters to her home address and attending without appointments.",
    ],
    "family": [
        "Victim's brother-in-law monitoring her movements and contacting her new partner.",
    ],
}
RELATIONSHIP_MIX = (
    ["ex_intimate"] * 6
    + ["acquaintance"] * 2
    + ["stranger"] * 2
    + [
        "workplace",
        "online_only",
        "professional",
        "family",
    ]
)
OFFENCE_MIX = (
    ["s4a_stalking"] * 3
    + ["s2a_stalking"] * 3
    + [
        "s2_harassment",
        "s4_harassment",
        "breach_restraining_order",
        "malicious_communications",
    ]
)
REFERRER_MIX = ["police"] * 6 + ["probation", "probation", "advocacy", "health", "helpline", "marac", "self"]
# The status each demo case ends in, oldest cases first.
STATUS_PLAN = (
    [CaseStatus.CLOSED] * 4
    + [CaseStatus.REOPENED]
    + [CaseStatus.MONITORING] * 6
    + [CaseStatus.DECLINED] * 4
    + [CaseStatus.ACTIVE] * 10
    + [CaseStatus.ACCEPTED] * 3
    + [CaseStatus.AWAITING_TRIAGE] * 5
    + [CaseStatus.REFERRED] * 3
)
# Which demo cases (by position) are a repeat perpetrator's, in order of their referrals.
REPEATS = {2: "whitfield", 13: "whitfield", 29: "whitfield", 6: "harrop", 24: "harrop"}


@dataclass
class DemoStaff:
    triage: User
    advocate: User
    clinician: User
    probation: User

    @classmethod
    def of(cls, partnership: Partnership) -> DemoStaff:
        by_email = {u.email: u for u in User.objects.filter(agency__partnership=partnership).select_related("agency")}
        return cls(
            triage=by_email["triage@demo.masip.test"],
            advocate=by_email["advocate@demo.masip.test"],
            clinician=by_email["clinician@demo.masip.test"],
            probation=by_email["probation@demo.masip.test"],
        )

    def referrer(self, kind: str) -> User:
        return {"probation": self.probation, "advocacy": self.advocate, "health": self.clinician}.get(kind, self.triage)


def _victim(rng: random.Random, index: int) -> services.PersonInput:
    given, family, gender = VICTIMS[index % len(VICTIMS)]
    age = rng.randint(19, 63)
    known_dob = rng.random() < 0.8
    return services.PersonInput(
        given_name=given,
        family_name=family,
        date_of_birth=dt.date(timezone.localdate().year - age, rng.randint(1, 12), rng.randint(1, 28))
        if known_dob
        else None,
        age_band="" if known_dob else rng.choice(["25_34", "35_44"]),
        gender=gender,
        ethnicity=rng.choice(["white", "white", "white", "asian", "black", "mixed", "prefer_not_to_say", ""]),
        disability=rng.choice(["no", "no", "yes", "prefer_not_to_say", ""]),
        sexual_orientation=rng.choice(
            ["heterosexual", "heterosexual", "gay_lesbian", "bisexual", "prefer_not_to_say", ""]
        ),
        addresses=[
            services.AddressInput(
                line_1=f"{rng.randint(2, 140)} {rng.choice(STREETS)}",
                town="Demoford",
                postcode=f"DM{rng.randint(1, 9)} {rng.randint(1, 9)}{rng.choice('ABDEFGHJLNPQRSTUWXYZ')}"
                f"{rng.choice('ABDEFGHJLNPQRSTUWXYZ')}",
            )
        ],
        contacts=[services.ContactInput(kind="mobile", value=f"07700 900{rng.randint(100, 999)}")],
        safe_contact=services.SafeContactInput(
            safe_times=rng.choice(["Weekdays 10:00 to 14:00", "Evenings after 19:00", "Any time on her mobile"]),
            channels=rng.choice([["phone"], ["text", "phone"], ["email"], ["in_person", "phone"]]),
            no_voicemail=rng.random() < 0.5,
            code_word=rng.choice(["", "", "heron", "lantern", "marigold", "juniper"]),
        ),
    )


def _perpetrator(rng: random.Random, index: int) -> services.PersonInput:
    given, family, gender = PERPETRATORS[index % len(PERPETRATORS)]
    has_record = rng.random() < 0.6
    return services.PersonInput(
        given_name=given,
        family_name=family,
        date_of_birth=dt.date(timezone.localdate().year - rng.randint(21, 58), rng.randint(1, 12), rng.randint(1, 28)),
        gender=gender,
        ethnicity=rng.choice(["white", "white", "white", "asian", "black", "mixed", ""]),
        pnc_id=f"{rng.randint(5, 24):02d}/{rng.randint(100000, 999999)}{rng.choice('ABCDEFHJKLM')}"
        if has_record
        else "",
    )


def _move(staff: DemoStaff, case: Case, target: str, on: dt.date, rng: random.Random) -> Case:
    actor = staff.triage
    extra: dict[str, str] = {}
    if target == CaseStatus.ACTIVE:
        actor = rng.choice([staff.advocate, staff.clinician, staff.probation])
    elif target == CaseStatus.MONITORING:
        actor = rng.choice([staff.triage, staff.probation])
    elif target == CaseStatus.DECLINED:
        extra = rng.choice(
            [
                {
                    "decision": "not_stalking",
                    "reason": "A single incident: the behaviour does not meet the threshold for stalking.",
                },
                {"decision": "no_added_value", "reason": "Already managed through MARAC and the local IDVA service."},
                {
                    "decision": "not_applicable",
                    "reason": "Perpetrator lives outside the partnership area; referred on.",
                },
            ]
        )
    elif target == CaseStatus.CLOSED:
        extra = {"discharge_reason": rng.choice(["risk_managed", "monitoring_complete", "intervention_complete"])}
    elif target == CaseStatus.REOPENED:
        extra = {"reason": "New report from the victim of contact through a third party."}
    return services.case_transition(actor=actor, case=case, to_status=target, on=on, **extra)


PATHS: dict[str, list[str]] = {
    CaseStatus.REFERRED: [],
    CaseStatus.AWAITING_TRIAGE: [CaseStatus.AWAITING_TRIAGE],
    CaseStatus.ACCEPTED: [CaseStatus.AWAITING_TRIAGE, CaseStatus.ACCEPTED],
    CaseStatus.DECLINED: [CaseStatus.AWAITING_TRIAGE, CaseStatus.DECLINED],
    CaseStatus.ACTIVE: [CaseStatus.AWAITING_TRIAGE, CaseStatus.ACCEPTED, CaseStatus.ACTIVE],
    CaseStatus.MONITORING: [CaseStatus.AWAITING_TRIAGE, CaseStatus.ACCEPTED, CaseStatus.ACTIVE, CaseStatus.MONITORING],
    CaseStatus.CLOSED: [
        CaseStatus.AWAITING_TRIAGE,
        CaseStatus.ACCEPTED,
        CaseStatus.ACTIVE,
        CaseStatus.MONITORING,
        CaseStatus.CLOSED,
    ],
    CaseStatus.REOPENED: [
        CaseStatus.AWAITING_TRIAGE,
        CaseStatus.ACCEPTED,
        CaseStatus.ACTIVE,
        CaseStatus.MONITORING,
        CaseStatus.CLOSED,
        CaseStatus.REOPENED,
    ],
}


class Backdate:
    """Dates what the services just wrote on a case to when it happens in the story.

    The services stamp timeline lines and notes with the moment of writing; a demo
    written in one second would otherwise show a year of casework at one minute.
    """

    def __init__(self, case: Case) -> None:
        self.case_id = case.pk
        self.last_event = 0
        self.last_note = 0

    def to(self, day: dt.date) -> None:
        if day >= timezone.localdate():
            return
        start = timezone.make_aware(dt.datetime.combine(day, dt.time(9, 10)))
        for model, attr, field in ((CaseEvent, "last_event", "at"), (CaseNote, "last_note", "created_at")):
            ids = list(
                model.objects.filter(case_id=self.case_id, pk__gt=getattr(self, attr))
                .order_by("pk")
                .values_list("pk", flat=True)
            )
            for n, pk in enumerate(ids):
                model.objects.filter(pk=pk).update(**{field: start + dt.timedelta(minutes=23 * n)})
            setattr(self, attr, max(ids, default=getattr(self, attr)))


def _casework(
    staff: DemoStaff, case: Case, status: str, dates: dict[str, dt.date], stamp: Backdate, rng: random.Random
) -> None:
    """Orders, breaches, outcomes, notes and due dates, as a case at this stage would have."""
    today = timezone.localdate()
    received = case.received_on
    started = dates.get(CaseStatus.ACTIVE, today)
    worked = status in (CaseStatus.ACTIVE, CaseStatus.MONITORING, CaseStatus.CLOSED, CaseStatus.REOPENED)
    if status not in (CaseStatus.REFERRED, CaseStatus.AWAITING_TRIAGE, CaseStatus.DECLINED):
        # Tier, risk, clinic and typology are the triage and risk features' to keep; until
        # those services exist the demo sets what the meeting would have recorded.
        Case.objects.filter(pk=case.pk).update(
            tier=rng.choice([1, 2, 2, 3, 3, 4]),
            current_risk=rng.choice(["high", "high", "moderate", "moderate", "low"]),
            heard_at_clinic=rng.random() < 0.5,
            stalker_type=rng.choice(["rejected", "rejected", "intimacy_seeker", "resentful", "incompetent_suitor", ""]),
        )
        services.case_assign_worker(
            actor=staff.triage, case=case, worker=rng.choice([staff.advocate, staff.clinician, staff.probation])
        )
        stamp.to(dates.get(CaseStatus.ACCEPTED, today))
    if worked and rng.random() < 0.6:
        made = min(received + dt.timedelta(days=rng.randint(10, 40)), today)
        kind = rng.choice(["restraining_order", "spo_interim", "spo_full", "bail_conditions"])
        order = services.order_record(
            actor=staff.triage,
            case=case,
            kind=kind,
            made_on=made,
            served_on=min(made + dt.timedelta(days=2), today),
            expires_on=made + dt.timedelta(days=731 if kind in ("spo_full", "restraining_order") else 90),
            issued_by=rng.choice(["Demoford Magistrates' Court", "Demoford Crown Court", "Demo Constabulary"]),
            conditions="Not to contact the victim directly or indirectly, including through social media.",
            exclusion_zones=f"{rng.choice(STREETS)}, Demoford, and the victim's workplace on {rng.choice(STREETS)}",
        )
        stamp.to(made)
        if rng.random() < 0.45 and made + dt.timedelta(days=7) < today:
            occurred = min(made + dt.timedelta(days=rng.randint(7, 60)), today)
            services.breach_record(
                actor=staff.triage,
                order=order,
                occurred_on=occurred,
                reported_on=occurred,
                description="Sent a message to the victim through a friend's account.",
                crime_reference=f"DM/{rng.randint(10000, 99999)}/{today:%y}",
            )
            stamp.to(occurred)
    if worked and rng.random() < 0.5:
        kind = rng.choice(["charge", "court_result", "caution", "nfa_evidential"])
        decided = min(received + dt.timedelta(days=rng.randint(20, 90)), today)
        services.outcome_record(
            actor=staff.triage,
            case=case,
            kind=kind,
            decided_on=decided,
            offence=rng.choice(["s2a_stalking", "s4a_stalking"]),
            court_result="convicted" if kind == "court_result" else "",
            sentence="12-month community order with a rehabilitation activity requirement"
            if kind == "court_result"
            else "",
        )
        stamp.to(decided)
    note_day = started
    if worked:
        services.note_add(
            actor=staff.advocate,
            case=case,
            text=rng.choice(
                [
                    "Spoke to the victim by phone at the agreed time. She is keeping a diary of contact and has "
                    "changed her route to work.",
                    "Victim reports no contact this week. Reviewed the safety plan with her; doorbell camera fitted.",
                    "Victim anxious about the court date. Explained special measures and arranged a pre-trial visit.",
                ]
            ),
        )
        note_day = min(note_day + dt.timedelta(days=rng.randint(2, 9)), today)
        stamp.to(note_day)
        if rng.random() < 0.5:
            services.note_add(
                actor=staff.advocate,
                case=case,
                text="Safety plan reviewed: alarm tested, workplace security told, agreed code word for calls.",
                record_class=RecordClass.SAFETY_PLAN,
            )
            note_day = min(note_day + dt.timedelta(days=rng.randint(2, 9)), today)
            stamp.to(note_day)
        if rng.random() < 0.6:
            services.note_add(
                actor=staff.clinician,
                case=case,
                text="Initial formulation session attended. Engaged but minimises the impact of the behaviour; "
                "rejected-type motivation. Weekly sessions agreed.",
                record_class=RecordClass.CLINICAL,
            )
            note_day = min(note_day + dt.timedelta(days=rng.randint(2, 9)), today)
            stamp.to(note_day)
        if rng.random() < 0.5:
            services.note_add(
                actor=staff.probation,
                case=case,
                text="Licence conditions discussed at supervision; reminded of the non-contact requirement.",
            )
            note_day = min(note_day + dt.timedelta(days=rng.randint(2, 9)), today)
            stamp.to(note_day)
    if status in (CaseStatus.ACCEPTED, CaseStatus.ACTIVE, CaseStatus.MONITORING, CaseStatus.REOPENED):
        services.case_set_next_due(case_id=case.pk, next_due_on=today + dt.timedelta(days=rng.randint(-10, 30)))


@transaction.atomic
def load_demo_cases() -> int:
    """Create the demo cases once. Returns how many were made (0 when they already exist)."""
    partnership = Partnership.objects.filter(slug=DEMO_SLUG).first()
    if partnership is None or Case.objects.filter(partnership=partnership).exists():
        return 0
    staff = DemoStaff.of(partnership)
    health = Agency.objects.get(partnership=partnership, kind=AgencyKind.HEALTH)
    # Seeded, so that every machine gets the same demo.
    rng = random.Random(2026)  # noqa: S311
    today = timezone.localdate()
    repeat_people: dict[str, int] = {}
    made = 0
    count = len(STATUS_PLAN)
    for index, status in enumerate(STATUS_PLAN):
        # Oldest first: roughly a year ago down to yesterday.
        received = today - dt.timedelta(days=int(400 * (count - index) / count) + rng.randint(0, 6))
        relationship = rng.choice(RELATIONSHIP_MIX)
        referrer_kind = rng.choice(REFERRER_MIX)
        actor = staff.referrer(referrer_kind)
        repeat = REPEATS.get(index)
        perpetrator: services.PartyInput
        if repeat and repeat in repeat_people:
            perpetrator = services.PartyInput(role=PartyRole.PERPETRATOR, link_person_id=repeat_people[repeat])
        elif repeat:
            given, family, gender, pnc, dob = REPEAT_PERPETRATORS[repeat]
            perpetrator = services.PartyInput(
                role=PartyRole.PERPETRATOR,
                person=services.PersonInput(
                    given_name=given, family_name=family, gender=gender, pnc_id=pnc, date_of_birth=dob
                ),
            )
        else:
            perpetrator = services.PartyInput(role=PartyRole.PERPETRATOR, person=_perpetrator(rng, index))
        perpetrator.criminal_history = rng.choice(
            [
                "",
                "Harassment (2019), breach of a non-molestation order (2021).",
                "No previous convictions.",
                "Criminal damage (2017); police intelligence of controlling behaviour in a previous relationship.",
            ]
        )
        last_incident = received - dt.timedelta(days=rng.randint(0, 10))
        case = services.referral_create(
            actor=actor,
            data=services.ReferralInput(
                received_on=received,
                referring_agency_kind=referrer_kind,
                offence=rng.choice(OFFENCE_MIX),
                referral_reason={
                    "probation": "post_sentence",
                    "self": "victim_request",
                    "advocacy": "victim_request",
                }.get(referrer_kind, rng.choice(["stalking_charge", "arrest", "arrest", "other"])),
                relationship=relationship,
                crime_references=[f"DM/{rng.randint(10000, 99999)}/{received:%y}"]
                + ([f"DM/{rng.randint(10000, 99999)}/{received:%y}"] if rng.random() < 0.25 else []),
                behaviour_started_on=last_incident - dt.timedelta(days=rng.randint(30, 300)),
                last_incident_on=last_incident,
                summary=rng.choice(SUMMARIES[relationship]),
            ),
            parties=[services.PartyInput(role=PartyRole.VICTIM, person=_victim(rng, index)), perpetrator],
        )
        if repeat and repeat not in repeat_people:
            repeat_people[repeat] = case.parties.get(role=PartyRole.PERPETRATOR).person_id
        stamp = Backdate(case)
        stamp.to(received)
        day = received
        dates: dict[str, dt.date] = {}
        for target in PATHS[status]:
            day = min(day + dt.timedelta(days=rng.randint(2, 25)), today)
            case = _move(staff, case, target, day, rng)
            dates[target] = day
            stamp.to(day)
        _casework(staff, case, status, dates, stamp, rng)
        made += 1
    # Two victim-only cases that the clinic does not need: a clinician reaches them only
    # through break-glass, which shows that path in the demo.
    for case in Case.objects.filter(partnership=partnership, status=CaseStatus.ACTIVE).order_by("pk")[:2]:
        services.case_share_remove(
            actor=staff.triage,
            case=case,
            agency=health,
            reason="Victim-only support: no perpetrator treatment planned.",
        )
    return made


# The name every app's demo module offers to seed_demo.
def load_demo_data() -> int:
    return load_demo_cases()
