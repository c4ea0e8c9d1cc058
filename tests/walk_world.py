"""The world the access walks run in: one partnership whose cases carry a marker string in
every protected field of every record class, the hard cases of the access model, and at
least one record behind every URL parameter of the URL configuration.

Everything is built through the services, as the staff of the partnership would. Which
user may see which case is written out here by hand (``VISIBLE``), from how the world is
built, not computed by the code under test.

The cases, by letter:

- ``a``: the full case. Shared with every agency; every record class, and one record of each
  app (advocacy, risk, triage, interventions, monitoring, orders) behind the URL parameters.
- ``b``: a case whose perpetrator is Wren, who is herself the victim of case ``w``.
- ``w``: Wren's own case as victim, shared only with police and advocacy, so probation and
  health may see ``b`` (where she is the perpetrator) but not ``w``.
- ``r``: a restricted case, opened to the advocate alone by a personal grant.
- ``g``: a case shared only with police and advocacy that the clinician opened by break-glass.
- ``o``: a case of the other partnership.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import uuid
from dataclasses import dataclass, field

from django.utils import timezone
from guardian.shortcuts import assign_perm

from advocacy import services as advocacy_services
from advocacy.models import (
    AdvocacyLead,
    ContactLogEntry,
    MeasureKind,
    MeasureStatus,
    NeedsDomain,
    SafetyMeasure,
    VictimNotice,
)
from agencies.models import Agency, RecordClass, Role, User
from cases import services
from cases.models import Case, CaseParty, Order, PartyRole
from followups.models import FollowUpReview, ReoffendingCandidate
from interventions import services as intervention_services
from interventions.models import Appointment, Intervention, InterventionReferral, SessionConcern, TherapyPlan
from interventions.tests import helpers as intervention_helpers
from notifications.models import Notification
from reporting.data_quality import CHECKS
from reporting.models import GeneratedReturn, ReturnDefinition, TrainingEvent
from reporting.returns import services as returns_services
from reporting.returns.measures import Quarter
from risk.models import Assessment, InstrumentVersion
from tests.cost_factories import catalogue_shipped
from tests.factories import World, make_user
from tests.risk_factories import complete_dash, complete_srp
from tests.triage_factories import make_meeting
from triage import services as triage_services
from triage.models import Action, AgendaItem, Attendance, Meeting

# The walking roles, by the attribute of ``World`` that holds each, and the other
# partnership's triage officer, who must see nothing of this partnership.
ROLES = (
    "triage_officer",
    "advocate",
    "clinician",
    "probation_practitioner",
    "programme_manager",
    "admin",
    "outsider",
)

# Which walking roles may open each case, from how the world is built (not from the code).
_NORTH = {"triage_officer", "advocate", "clinician", "probation_practitioner", "programme_manager", "admin"}
VISIBLE: dict[str, set[str]] = {
    "a": _NORTH,
    "b": _NORTH,
    "w": {"triage_officer", "advocate", "programme_manager", "admin"},
    "r": {"advocate"},
    "g": {"triage_officer", "advocate", "programme_manager", "admin", "clinician"},
    "o": {"outsider"},
}
TAG_WORDS = {"a": "alder", "b": "birch", "w": "wren", "r": "rowan", "g": "gorse", "o": "osier"}
# Victims' dates of birth: years nothing else in the world uses, so a date is a marker.
VICTIM_BIRTHDAYS = {
    "a": dt.date(1961, 2, 17),
    "b": dt.date(1962, 3, 19),
    "w": dt.date(1963, 4, 21),
    "r": dt.date(1964, 5, 23),
    "g": dt.date(1965, 6, 25),
    "o": dt.date(1966, 7, 27),
}


def nhs_number(seed: int) -> str:
    """A valid NHS number (modulus 11 check digit) from a nine-digit seed."""
    digits = [int(d) for d in f"{seed:09d}"]
    check = 11 - sum(d * (10 - i) for i, d in enumerate(digits)) % 11
    if check == 11:
        check = 0
    if check == 10:
        return nhs_number(seed + 1)
    return "".join(map(str, digits)) + str(check)


@dataclass(frozen=True)
class Marker:
    text: str
    record_class: str | None  # None: personal data of no protected class (a perpetrator's name)
    case: str  # the letter of the case whose scope governs it


@dataclass
class WalkWorld:
    north: World
    south: World
    users: dict[str, User]
    cases: dict[str, Case]
    people: dict[str, int]  # "a-victim", "a-perpetrator", "wren", ...
    markers: list[Marker] = field(default_factory=list)
    params: dict[str, list[dict[str, object]]] = field(default_factory=dict)


def _mark(world: WalkWorld, text: str, record_class: str | None, case: str) -> str:
    world.markers.append(Marker(text, record_class, case))
    return text


def _victim_input(world: WalkWorld, tag: str) -> services.PersonInput:
    word = TAG_WORDS[tag]
    identity, location = RecordClass.VICTIM_IDENTITY, RecordClass.VICTIM_LOCATION
    # Wren's identity is not marked: she is also a perpetrator, whose name probation needs.
    name_class = None if tag == "w" else identity
    birthday = VICTIM_BIRTHDAYS[tag]
    if name_class:
        for shown in (f"{birthday:%-d %B %Y}", birthday.isoformat(), f"{birthday:%d/%m/%Y}"):
            _mark(world, shown, identity, tag)
    phone = f"07700 9{list(TAG_WORDS).index(tag)}4321"
    _mark(world, phone.replace(" ", ""), location, tag)
    nhs = nhs_number(400000000 + 1000 * list(TAG_WORDS).index(tag) + 7)
    if name_class:
        _mark(world, nhs, identity, tag)
        _mark(world, f"{nhs[:3]} {nhs[3:6]} {nhs[6:]}", identity, tag)
    return services.PersonInput(
        given_name=_mark(world, f"Vigiven{word}", name_class, tag) if name_class else f"Wren{word}",
        family_name=_mark(world, f"Vifamily{word}", name_class, tag) if name_class else "Hollis",
        date_of_birth=birthday,
        gender="female",
        nhs_number=nhs,
        addresses=[
            services.AddressInput(
                line_1=_mark(world, f"11 Addrline{word} Close", location, tag), town="Chester", postcode="CH1 4QT"
            )
        ],
        contacts=[
            services.ContactInput(kind="mobile", value=_mark(world, phone, location, tag)),
            services.ContactInput(kind="email", value=_mark(world, f"vimail{word}@example.net", location, tag)),
        ],
        safe_contact=services.SafeContactInput(
            safe_times="Weekdays 10:00 to 14:00",
            channels=["phone"],
            no_voicemail=True,
            code_word=_mark(world, f"codeword{word}", location, tag),
            notes=_mark(world, f"safenotes{word}", location, tag),
        ),
    )


def _intake(
    world: WalkWorld, actor: User, tag: str, *, perpetrator_id: int | None = None, received_days_ago: int = 120
) -> Case:
    word = TAG_WORDS[tag]
    perpetrator = services.PartyInput(
        role=PartyRole.PERPETRATOR,
        person=None
        if perpetrator_id
        else services.PersonInput(
            given_name=_mark(world, f"Pegiven{word}", None, tag),
            family_name=_mark(world, f"Pefamily{word}", None, tag),
            date_of_birth=dt.date(1985, 3, 2),
            gender="male",
        ),
        link_person_id=perpetrator_id,
        criminal_history=_mark(world, f"crimhistory{word}", RecordClass.CRIMINAL_HISTORY, tag),
    )
    today = timezone.localdate()
    case = services.referral_create(
        actor=actor,
        data=services.ReferralInput(
            received_on=today - dt.timedelta(days=received_days_ago),
            referring_agency_kind="police",
            offence="s4a_stalking",
            referral_reason="arrest",
            relationship="ex_intimate",
            crime_references=[f"CH/{list(TAG_WORDS).index(tag) + 100}/26"],
            summary="Repeated unwanted contact after the end of the relationship.",
        ),
        parties=[services.PartyInput(role=PartyRole.VICTIM, person=_victim_input(world, tag)), perpetrator],
    )
    world.people[f"{tag}-victim"] = CaseParty.objects.get(case=case, role=PartyRole.VICTIM).person_id
    world.people[f"{tag}-perpetrator"] = CaseParty.objects.get(case=case, role=PartyRole.PERPETRATOR).person_id
    return case


def _case_records(world: WalkWorld, w: World, case: Case, tag: str) -> Order:
    """Notes of each class and an order with an exclusion zone, on any case."""
    word = TAG_WORDS[tag]
    police = w.triage_officer
    order = services.order_record(
        actor=police,
        case=case,
        kind="restraining_order",
        made_on=case.received_on,
        conditions="No contact, direct or indirect.",
        exclusion_zones=_mark(world, f"exclusionzone{word}", RecordClass.VICTIM_LOCATION, tag),
    )
    services.note_add(
        actor=w.clinician,
        case=case,
        text=_mark(world, f"clinicalnote{word}", RecordClass.CLINICAL, tag),
        record_class=RecordClass.CLINICAL,
    )
    services.note_add(
        actor=w.advocate,
        case=case,
        text=_mark(world, f"safetyplannote{word}", RecordClass.SAFETY_PLAN, tag),
        record_class=RecordClass.SAFETY_PLAN,
    )
    return order


def _remove_shares(w: World, case: Case, *agencies: Agency) -> None:
    for agency in agencies:
        services.case_share_remove(actor=w.admin, case=case, agency=agency, reason="Not needed for this agency")


def _advocacy(world: WalkWorld, w: World, case: Case) -> None:
    today = timezone.localdate()
    advocacy_services.advocate_assign(actor=w.advocate, case=case, advocate=w.advocate)
    advocacy_services.contact_record(
        actor=w.advocate,
        case=case,
        data=advocacy_services.ContactInput(
            occurred_at=timezone.now() - dt.timedelta(hours=1),
            channel="phone",
            direction="to_victim",
            topics=["emotional_support"],
            summary="Spoke at the agreed time.",
            duration_minutes=20,
            next_contact_due=today + dt.timedelta(days=7),
        ),
    )
    advocacy_services.needs_assess(
        actor=w.advocate,
        case=case,
        assessed_on=today,
        review_on=today + dt.timedelta(days=30),
        levels=dict.fromkeys(NeedsDomain.values, "medium"),
        domain_notes={"housing": "Wants to move."},
    )
    advocacy_services.safety_measure_add(
        actor=w.advocate,
        case=case,
        data=advocacy_services.MeasureInput(
            kind=MeasureKind.ALARM,
            owner_agency=w.police,
            details=_mark(world, "safetymeasurealder", RecordClass.SAFETY_PLAN, "a"),
            status=MeasureStatus.PROPOSED,
            review_on=today + dt.timedelta(days=10),
        ),
    )
    advocacy_services.safety_plan_review(
        actor=w.advocate,
        case=case,
        reviewed_on=today,
        summary=_mark(world, "safetyreviewalder", RecordClass.SAFETY_PLAN, "a"),
        next_review_on=today + dt.timedelta(days=28),
    )
    advocacy_services.key_event_record(
        actor=w.triage_officer,
        case=case,
        data=advocacy_services.KeyEventInput(kind="release_from_custody", occurs_on=today, details="Released."),
    )
    lead = make_user(w.advocacy, Role.ADVOCATE, first_name="Lena", last_name="Lead")
    advocacy_services.lead_add(actor=w.admin, agency=w.advocacy, user=lead)


def _interventions(world: WalkWorld, w: World, case: Case) -> Intervention:
    intervention = intervention_helpers.accepted(w, case)
    intervention_helpers.plan(w, intervention)
    first = intervention_helpers.book(w, intervention, 1, intervention_helpers.days_ago(40))
    intervention_helpers.attend(
        w,
        first,
        clinical_notes=_mark(world, "sessionclinicalalder", RecordClass.CLINICAL, "a"),
        concerns_raised=True,
        concern_description="Said he had driven past her workplace twice this week.",
    )
    intervention_helpers.book(w, intervention, 2, intervention_helpers.days_ago(-5))
    intervention_services.clinical_note_add(
        actor=w.clinician,
        intervention=intervention_helpers.fresh(intervention),
        text=_mark(world, "interventionclinicalalder", RecordClass.CLINICAL, "a"),
    )
    return intervention


def _triage(w: World, case: Case) -> Meeting:
    meeting = make_meeting(w.triage_officer)
    triage_services.attendance_add(
        actor=w.triage_officer, meeting=meeting, agency_id=w.probation.pk, person_id=w.probation_practitioner.pk
    )
    item = triage_services.agenda_add(actor=w.triage_officer, meeting=meeting, case_id=case.pk, hearing="")
    item.meeting = meeting
    triage_services.decision_record(
        actor=w.triage_officer, item=item, data=triage_services.DecisionInput(outcome="accepted", tier=2)
    )
    triage_services.action_create(
        actor=w.triage_officer,
        item=item,
        data=triage_services.ActionInput(
            owner_id=w.probation_practitioner.pk,
            description="Refer to the clinic.",
            due_on=timezone.localdate() + dt.timedelta(days=14),
        ),
    )
    return meeting


def build(north: World, south: World) -> WalkWorld:
    world = WalkWorld(
        north=north,
        south=south,
        users={role: getattr(north, role) for role in ROLES if role != "outsider"} | {"outsider": south.triage_officer},
        cases={},
        people={},
    )
    police = north.triage_officer
    a = _intake(world, police, "a")
    world.cases["a"] = a
    order = _case_records(world, north, a, "a")
    services.breach_record(actor=police, order=order, occurred_on=timezone.localdate(), description="Came to the door.")

    w_case = _intake(world, police, "w")
    _case_records(world, north, w_case, "w")
    _remove_shares(north, w_case, north.probation, north.health)
    world.cases["w"] = w_case
    world.people["wren"] = world.people["w-victim"]
    b = _intake(world, police, "b", perpetrator_id=world.people["wren"])
    _case_records(world, north, b, "b")
    world.cases["b"] = b

    r = _intake(world, police, "r")
    _case_records(world, north, r, "r")
    Case.objects.filter(pk=r.pk).update(is_restricted=True)
    assign_perm("cases.view_case", north.advocate, r)
    world.cases["r"] = r

    g = _intake(world, police, "g")
    _case_records(world, north, g, "g")
    _remove_shares(north, g, north.probation, north.health)
    services.break_glass_open(actor=north.clinician, case_id=g.pk, reason="Urgent risk information for today's clinic")
    world.cases["g"] = g

    o = _intake(world, south.triage_officer, "o")
    _case_records(world, south, o, "o")
    world.cases["o"] = o

    # Case a through its life: triage, advocacy, treatment, risk, monitoring.
    a = services.case_transition(actor=police, case=a, to_status="awaiting_triage")
    meeting = _triage(north, a)
    a = Case.objects.get(pk=a.pk)
    _advocacy(world, north, a)
    intervention = _interventions(world, north, a)
    complete_dash(police, a, score=12)
    srp = complete_srp(north.clinician, a)
    if a.status != "active":
        a = services.case_transition(actor=police, case=Case.objects.get(pk=a.pk), to_status="active")
    from followups import services as followup_services

    followup_services.followups_schedule(today=timezone.localdate() + dt.timedelta(days=400))
    from tests.followups_factories import referral_naming_perpetrator

    referral_naming_perpetrator(Case.objects.get(pk=a.pk), actor=police)
    world.cases["a"] = Case.objects.get(pk=a.pk)

    definition = returns_services.definition_ensure_default(
        partnership=north.partnership, actor=north.programme_manager
    )
    returns_services.training_event_record(
        actor=north.programme_manager,
        data=returns_services.TrainingInput(
            delivered_on=timezone.localdate(),
            audience="police",
            topic="Recognising stalking",
            attendees=12,
            delivering_agency_id=north.police.pk,
        ),
    )
    today = timezone.localdate()
    returns_services.return_request(
        actor=north.programme_manager,
        definition=definition,
        quarter=Quarter(today.year - 1, 1),
        suppress_small_numbers=True,
    )
    world.cases = {tag: Case.objects.get(pk=case.pk) for tag, case in world.cases.items()}
    _fill_params(world, meeting=meeting, intervention=intervention, srp=srp, definition=definition)
    return world


def _fill_params(
    world: WalkWorld, *, meeting: Meeting, intervention: Intervention, srp: Assessment, definition: ReturnDefinition
) -> None:
    """The values each URL parameter takes: for a case's own records, case a's, with the
    case's id beside them so that the URL names a record of that case."""
    north = world.north
    a = world.cases["a"]
    case_only: list[dict[str, object]] = [{"case_id": case.pk} for case in world.cases.values()]
    victim_of = {tag: world.people[f"{tag}-victim"] for tag in world.cases}
    people: list[dict[str, object]] = [{"person_id": pk} for pk in sorted(set(world.people.values()))]
    # Wren on the case where she is the perpetrator and on her own.
    case_people: list[dict[str, object]] = [
        {"case_id": world.cases[t].pk, "person_id": victim_of[t]} for t in world.cases
    ]
    case_people.append({"case_id": world.cases["b"].pk, "person_id": world.people["wren"]})
    order = Order.objects.filter(case=a).first()
    contact = ContactLogEntry.objects.filter(case=a).first()
    measure = SafetyMeasure.objects.filter(plan__case=a).first()
    notice = VictimNotice.objects.filter(key_event__case=a).first()
    item = AgendaItem.objects.filter(meeting=meeting).first()
    attendance = Attendance.objects.filter(meeting=meeting).first()
    action = Action.objects.filter(item__meeting=meeting).first()
    referral = InterventionReferral.objects.filter(case=a).order_by("-pk").first()
    plan = TherapyPlan.objects.filter(intervention=intervention).first()
    appointment = Appointment.objects.filter(session__intervention=intervention).first()
    concern = SessionConcern.objects.filter(appointment__session__intervention=intervention).first()
    review = FollowUpReview.objects.filter(period__case=a).first()
    candidate = ReoffendingCandidate.objects.filter(case=a).first()
    notification = Notification.objects.filter(recipient__agency__partnership=north.partnership).first()
    lead = AdvocacyLead.objects.filter(agency__partnership=north.partnership).first()
    training = TrainingEvent.objects.filter(partnership=north.partnership).first()
    generated = GeneratedReturn.objects.filter(partnership=north.partnership).first()
    version = InstrumentVersion.objects.filter(pk=srp.version_id).first()
    found = {
        "order": order,
        "contact": contact,
        "measure": measure,
        "notice": notice,
        "item": item,
        "attendance": attendance,
        "action": action,
        "referral": referral,
        "plan": plan,
        "appointment": appointment,
        "concern": concern,
        "review": review,
        "candidate": candidate,
        "notification": notification,
        "lead": lead,
        "training": training,
        "version": version,
    }
    missing = [name for name, value in found.items() if value is None]
    assert not missing, f"the walk's world lacks {missing}"
    assert order and contact and measure and notice and item and attendance and action and referral and plan
    assert appointment and concern and review and candidate and notification and lead and training and version
    ids = {
        "case_id": a.pk,
        "intervention_id": intervention.pk,
        "meeting_id": meeting.pk,
        "definition_id": definition.pk,
    }
    p = world.params
    p["case_id"] = case_only
    p["person_id"] = people
    p["case_id+person_id"] = case_people
    p["order_id"] = [{**ids, "order_id": order.pk}]
    p["contact_id"] = [{**ids, "contact_id": contact.pk}]
    p["measure_id"] = [{**ids, "measure_id": measure.pk}]
    p["notice_id"] = [{**ids, "notice_id": notice.pk}]
    p["item_id"] = [{**ids, "item_id": item.pk}]
    p["attendance_id"] = [{**ids, "attendance_id": attendance.pk}]
    p["action_id"] = [{**ids, "action_id": action.pk}]
    p["referral_id"] = [{**ids, "referral_id": referral.pk}]
    p["plan_id"] = [{**ids, "plan_id": plan.pk}]
    p["appointment_id"] = [{**ids, "appointment_id": appointment.pk}]
    p["number"] = [{**ids, "number": 1}]
    p["concern_id"] = [{"concern_id": concern.pk}]
    p["review_id"] = [{**ids, "review_id": review.pk}]
    p["candidate_id"] = [{**ids, "candidate_id": candidate.pk}]
    p["notification_id"] = [{"notification_id": notification.pk}]
    p["lead_id"] = [{"lead_id": lead.pk}]
    p["event_id"] = [{"event_id": training.pk}]
    p["version_id"] = [{"version_id": version.pk}]
    p["user_id"] = [{"user_id": north.probation_practitioner.pk}, {"user_id": world.south.advocate.pk}]
    p["assessment_id"] = [{**ids, "assessment_id": srp.pk}]
    p["instrument_key"] = [{**ids, "instrument_key": "dash"}, {**ids, "instrument_key": "srp"}]
    p["page"] = [{**ids, "assessment_id": srp.pk, "page": "formulation"}]
    p["target"] = [{**ids, "target": "monitoring"}]
    p["role"] = [{"role": "victim"}, {"role": "perpetrator"}]
    p["slug"] = [{"slug": north.partnership.slug}, {"slug": world.south.partnership.slug}]
    p["meeting_id"] = [{"meeting_id": meeting.pk}]
    p["definition_id"] = [{"definition_id": definition.pk}]
    p["key"] = [{"definition_id": definition.pk, "key": definition_first_key(definition)}]
    p["data_quality_key"] = [{"key": check.key} for check in CHECKS[:2]]
    p["today_key"] = [{"key": "untold"}, {"key": "risk_reviews"}]
    p["file_format"] = [{"file_format": "csv"}, {"file_format": "xlsx"}]
    assert generated is not None
    p["return_id"] = [{"return_id": generated.pk, "file_format": fmt} for fmt in ("csv", "xlsx")]
    p["job_id"] = [{"job_id": uuid.uuid4()}]
    _fill_cost_params(world, contact=contact)
    _fill_document_params(world)


def _fill_document_params(world: WalkWorld) -> None:
    """Case a's documents: a housing letter with the victim's address, an evidence log about her
    whose title is a victim-location marker, and a court order every agency on the case reads."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from documents import services as document_services
    from tests.document_factories import pdf_bytes

    north, a, p = world.north, world.cases["a"], world.params
    victim = world.people["a-victim"]

    def upload(title: str, kind: str, record_class: str, person_id: int | None) -> int:
        data = SimpleUploadedFile("walk.pdf", pdf_bytes())
        [document] = document_services.document_upload(
            actor=north.advocate,
            case_id=a.pk,
            uploads=[document_services.Upload(file=data, name="walk.pdf", size=data.size or 0)],
            title=title,
            kind=kind,
            dated_on=timezone.localdate(),
            record_class=record_class,
            person_id=person_id,
        )
        return document.pk

    letter = document_services.letter_create(
        actor=north.advocate,
        case_id=a.pk,
        template="housing_support",
        person_id=victim,
        recipient_name="Housing Options",
        recipient_address="1 Town Hall Square",
    )
    log = upload(
        _mark(world, "Evidence log of the walk near Quillmere Road", RecordClass.VICTIM_LOCATION, "a"),
        "evidence_log",
        RecordClass.VICTIM_LOCATION,
        victim,
    )
    order = upload("Interim stalking protection order", "court_order", "", None)
    p["document_id"] = [{"document_id": letter.pk}, {"document_id": log}, {"document_id": order}]
    _fill_consent_params(world)
    _fill_privacy_params(world)


def _fill_privacy_params(world: WalkWorld) -> None:
    """A retention schedule, a batch, a legal hold on case a, and subject access requests
    from case a's victim and perpetrator (the perpetrator's approved where the admin may)."""
    from django.core.exceptions import ValidationError

    from privacy import services as privacy_services
    from privacy.models import RetentionBatch

    north, a = world.north, world.cases["a"]
    admin = north.admin
    schedule = privacy_services.schedule_create(
        actor=admin, record_kind="case", trigger="case_closed", period_months=72, action="review"
    )
    batch = RetentionBatch.objects.create(partnership=north.partnership, listed_on=timezone.localdate())
    hold = privacy_services.legal_hold_set(actor=admin, case_reference=a.reference, reason="Civil claim")
    requests: list[dict[str, object]] = []
    for tag in ("a-victim", "a-perpetrator"):
        sar = privacy_services.sar_open(
            actor=admin, person_id=world.people[tag], received_on=timezone.localdate(), identity_checked=True
        )
        requests.append({"sar_id": sar.pk})
        # Where part of it is kept from the admin's agency, it stays open.
        with contextlib.suppress(ValidationError):
            privacy_services.sar_approve(actor=admin, sar_id=sar.pk)
    world.params["schedule_id"] = [{"schedule_id": schedule.pk}]
    world.params["batch_id"] = [{"batch_id": batch.pk}]
    world.params["hold_id"] = [{"hold_id": hold.pk}]
    world.params["sar_id"] = requests


def _fill_consent_params(world: WalkWorld) -> None:
    """Case a's victim's answers: research consent given, contact refused, with a marker in the note."""
    from consent import services as consent_services

    north, a = world.north, world.cases["a"]
    victim = world.people["a-victim"]
    research = consent_services.consent_record(
        actor=north.advocate,
        case_id=a.pk,
        person_id=victim,
        purpose="research",
        given=True,
        given_on=timezone.localdate(),
        method="signed",
        note=_mark(world, "Signed at the Quillmere drop-in", RecordClass.VICTIM_IDENTITY, "a"),
    )
    consent_services.consent_record(
        actor=north.advocate,
        case_id=a.pk,
        person_id=victim,
        purpose="contact",
        given=False,
        given_on=timezone.localdate(),
        method="phone",
    )
    world.params["consent_id"] = [{"case_id": a.pk, "consent_id": research.pk}]


def _fill_cost_params(world: WalkWorld, *, contact: ContactLogEntry) -> None:
    """A rate card, case a's cost account with a line and a scenario item, and time on a contact."""
    from decimal import Decimal

    from costs import activities as cost_activities
    from costs import services as cost_services
    from costs.models import UnitCost

    north, a, p = world.north, world.cases["a"], world.params
    manager = north.programme_manager
    card = cost_services.rate_card_save(
        actor=manager,
        financial_year=cost_services.financial_year_of(a.received_on),
        price_year=a.received_on.year,
        source="Partnership budget",
        operating_costs=Decimal("18000.00"),
        referrals_in_year=120,
    )
    account = cost_services.cost_account_open(actor=manager, case=a, rate_card=card)
    line = cost_services.cost_line_add(
        actor=manager,
        account=account,
        category="safeguarding",
        bearer="victim",
        label="Window locks",
        amount=Decimal("120.00"),
    )
    catalogue_shipped()  # a transactional test run before this one flushed the migration's rows
    unit = UnitCost.objects.filter(partnership__isnull=True).order_by("pk").first()
    assert unit is not None, "the shipped unit-cost catalogue is not loaded"
    item = cost_services.scenario_item_add(
        actor=manager, account=account, scenario_kind="best", unit_cost_id=unit.pk, quantity=Decimal("1")
    )
    activity = cost_activities.activity_resolve(source="advocacy.contact", activity_id=contact.pk)
    assert activity is not None
    entry = cost_services.time_entry_record(actor=north.advocate, activity=activity, kind=activity.kinds[0], minutes=30)
    p["line_id"] = [{"case_id": a.pk, "line_id": line.pk}]
    p["item_id+case_id"] = [{"case_id": a.pk, "item_id": item.pk}]
    p["rate_card_id"] = [{"rate_card_id": card.pk}]
    p["source+activity_id"] = [{"source": "advocacy.contact", "activity_id": contact.pk}]
    p["entry_id"] = [{"entry_id": entry.pk}]


def definition_first_key(definition: ReturnDefinition) -> str:
    from reporting.models import Indicator

    indicator = Indicator.objects.filter(version__definition=definition).order_by("pk").first()
    assert indicator is not None
    return indicator.key
