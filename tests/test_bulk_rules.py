"""Each rule the bundle import applies in bulk has one home in the app that owns it, and its
set-based form gives the same answer as the single-record form on the same data:

- risk: a case's current assessment per instrument and its current risk
  (``risk.services.assessments_refresh_current`` for held cases and
  ``assessments_current_at_insert`` for new ones, against ``_recompute_current`` and
  ``_refresh_case_risk``, what completing an assessment runs);
- cases: the agencies a new case is shared with (intake's ``referral_create`` against
  ``cases.services.cases_share_by_default``);
- cases: names and identifiers as stored and searched (``cases.identifiers``), the same
  from a page and from a bundle;
- interventions: the open statuses (a bundle's second open direct intervention is refused
  for the same statuses the database refuses).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.db import IntegrityError, transaction

from agencies.models import AgencyKind
from cases import identifiers
from cases import services as case_services
from cases.models import Case, CaseGroupObjectPermission, CaseStatus, Person, status_for_decision
from exchange import validation
from exchange.importer import import_bundle
from followups import services as followup_services
from followups.models import ReoffendingRecord
from interventions.models import DIRECT, OPEN_STATUSES, InterventionStatus
from risk import services as risk_services
from risk.models import Assessment
from tests.case_factories import make_case
from tests.exchange_bundle_data import FILES, write_bundle
from tests.factories import World
from tests.risk_factories import complete_dash, complete_srp, dash_answers, shipped_instruments

pytestmark = pytest.mark.django_db
__all__ = ["shipped_instruments"]

TODAY = dt.date.today()
# The files a one-referral bundle keeps whole (the others: header only).
FILES_KEPT = ("people.csv", "referrals.csv")


def _state(cases: list[Case]) -> tuple[dict[int, bool], dict[int, str]]:
    ids = [c.pk for c in cases]
    current = dict(Assessment.objects.filter(case_id__in=ids).values_list("pk", "is_current"))
    risk = dict(Case.objects.filter(pk__in=ids).values_list("pk", "current_risk"))
    return current, risk


def _scramble(cases: list[Case], wrong: dict[int, int]) -> None:
    """Every case's current flags and risk wrong: nothing current, then ``wrong`` (case id ->
    an assessment that is not its winner) marked current, and a risk no assessment gives."""
    ids = [c.pk for c in cases]
    Assessment.objects.filter(case_id__in=ids).update(is_current=False)
    Assessment.objects.filter(pk__in=wrong.values()).update(is_current=True)
    Case.objects.filter(pk__in=ids).update(current_risk="low")


def _single_record(cases: list[Case]) -> None:
    for case in cases:
        for instrument_id in set(Assessment.objects.filter(case=case).values_list("instrument_id", flat=True)):
            risk_services._recompute_current(case.pk, instrument_id)
        risk_services._refresh_case_risk(case.pk)


def test_the_bulk_current_risk_refresh_agrees_with_the_single_record_rule(
    world: World, shipped_instruments: None
) -> None:
    officer, clinician = world.triage_officer, world.clinician
    # Two DASHes on different days: the later one is current, whatever order they were completed in.
    by_date = make_case(officer)
    later = complete_dash(officer, by_date, score=15, assessed_on=TODAY - dt.timedelta(days=2))
    earlier = complete_dash(officer, by_date, score=3, assessed_on=TODAY - dt.timedelta(days=20))
    # Two on one day: the later completed. Plus an SRP: the case's risk is the higher overall.
    same_day = make_case(officer, crime_reference="CH/2/26")
    first = complete_dash(officer, same_day, score=3, assessed_on=TODAY - dt.timedelta(days=5))
    second = complete_dash(officer, same_day, score=11, assessed_on=TODAY - dt.timedelta(days=5))
    srp = complete_srp(clinician, same_day, violence="low", persistence="high", recurrence="low")
    # An assessment replaced by a completed amendment is not current; its amendment is.
    amended = make_case(officer, crime_reference="CH/3/26")
    original = complete_dash(world.advocate, amended, score=15)
    amendment = risk_services.assessment_amend(actor=world.advocate, assessment=original, reason="Wrong answers")
    risk_services.assessment_save(actor=world.advocate, assessment=amendment, answers=dash_answers([]))
    amendment = risk_services.assessment_complete(actor=world.advocate, assessment=amendment)
    # A draft is never current; a case with no completed assessment has no risk.
    drafted = make_case(officer, crime_reference="CH/4/26")
    draft = risk_services.assessment_start(actor=officer, case=drafted, instrument_key="dash")
    cases = [by_date, same_day, amended, drafted]

    # What completing them left (the single-record rule, as the pages run it).
    completed_current, completed_risk = _state(cases)
    assert {pk for pk, current in completed_current.items() if current} == {later.pk, second.pk, srp.pk, amendment.pk}
    assert completed_risk == {by_date.pk: "high", same_day.pk: "high", amended.pk: "low", drafted.pk: ""}
    assert not completed_current[draft.pk] and not completed_current[earlier.pk] and not completed_current[first.pk]

    wrong = {by_date.pk: earlier.pk, same_day.pk: first.pk, amended.pk: original.pk}
    _scramble(cases, wrong)
    risk_services.assessments_refresh_current(case_ids=[c.pk for c in cases])
    assert _state(cases) == (completed_current, completed_risk)

    _scramble(cases, wrong)
    _single_record(cases)
    assert _state(cases) == (completed_current, completed_risk)

    # The form for assessments not yet written (new cases: no amendments, in completion order).
    fresh = [
        risk_services.NewAssessment(case, instrument, on, overall)
        for case, instrument, on, overall in Assessment.objects.filter(
            case__in=[by_date, same_day], status="completed", assessed_on__isnull=False
        )
        .order_by("completed_at", "pk")
        .values_list("case_id", "instrument_id", "assessed_on", "overall")
        if on is not None
    ]
    ids = list(
        Assessment.objects.filter(case__in=[by_date, same_day], status="completed", assessed_on__isnull=False)
        .order_by("completed_at", "pk")
        .values_list("pk", flat=True)
    )
    positions, risk = risk_services.assessments_current_at_insert(fresh)
    assert {ids[p] for p in positions} == {later.pk, second.pk, srp.pk}
    assert risk == {by_date.pk: completed_risk[by_date.pk], same_day.pk: completed_risk[same_day.pk]}


def test_the_bulk_refresh_writes_only_what_changes(world: World, shipped_instruments: None) -> None:
    """An assessment that stays current is not rewritten (its history gains no event)."""
    case = make_case(world.triage_officer)
    dash = complete_dash(world.triage_officer, case, score=15)
    events = Assessment.pgh_event_model.objects.filter(pgh_obj_id=dash.pk).count()  # type: ignore[attr-defined]
    risk_services.assessments_refresh_current(case_ids=[case.pk])
    assert Assessment.pgh_event_model.objects.filter(pgh_obj_id=dash.pk).count() == events  # type: ignore[attr-defined]


def _shares(case_ids: list[int]) -> dict[int, set[int]]:
    found: dict[int, set[int]] = {case_id: set() for case_id in case_ids}
    for case_id, group_id in CaseGroupObjectPermission.objects.filter(content_object_id__in=case_ids).values_list(
        "content_object_id", "group_id"
    ):
        found[case_id].add(group_id)
    return found


def test_bulk_default_sharing_shares_as_intake_does(world: World) -> None:
    # A non-core agency records the case: intake shares it with that agency and the core ones.
    recorder = world.triage_officer
    assert recorder.agency is not None
    recorder.agency.is_core = False
    recorder.agency.save(update_fields=["is_core"])
    by_intake = make_case(recorder)
    intake_shares = _shares([by_intake.pk])[by_intake.pk]
    core = {a.group_id for a in world.partnership.agencies.filter(is_core=True)}
    assert intake_shares == core | {recorder.agency.group_id} and recorder.agency.group_id not in core

    # The same rule in bulk, for a case that has no shares: the same agencies.
    other = make_case(recorder, crime_reference="CH/9/26")
    CaseGroupObjectPermission.objects.filter(content_object_id=other.pk).delete()
    written = case_services.cases_share_by_default(
        case_ids=[other.pk], partnership_id=world.partnership.pk, recording_agency=recorder.agency
    )
    assert written == len(intake_shares)
    assert _shares([other.pk])[other.pk] == intake_shares
    # Sharing again adds nothing (a share already held is left as it is).
    assert (
        case_services.cases_share_by_default(
            case_ids=[by_intake.pk, other.pk], partnership_id=world.partnership.pk, recording_agency=recorder.agency
        )
        == 0
    )
    assert _shares([by_intake.pk, other.pk]) == {by_intake.pk: intake_shares, other.pk: intake_shares}
    # Without a recording agency (an import run as the system): the core agencies only.
    assert case_services.default_share_group_ids(partnership_id=world.partnership.pk, recording_agency=None) == sorted(
        core
    )


@pytest.mark.parametrize(
    ("typed", "stored"),
    [("19/123456a", "19/123456A"), (" 19/ 123456A ", "19/123456A"), ("943 476 5919", "9434765919")],
)
def test_identifiers_are_stored_the_same_from_a_page_and_from_a_bundle(world: World, typed: str, stored: str) -> None:
    field = "nhs_number" if "/" not in typed else "pnc_id"
    data = case_services.PersonInput(family_name="Cole")
    setattr(data, field, typed)
    person = case_services._person_create(partnership_id=world.partnership.pk, data=data)
    assert getattr(Person.objects.get(pk=person.pk), field) == stored
    errors = validation.ErrorList()
    parsed = validation.Parsed()
    validation._people_rule(parsed, errors)(
        2,
        {"person_ref": "P1", "gender": "male", "date_of_birth": None, "age_band": "", "given_name": "",
         "family_name": "Cole", "pnc_id": "", "nhs_number": "", field: typed},
    )  # fmt: skip
    assert not errors and getattr(parsed.people["P1"], field) == stored


def test_a_crime_reference_is_stored_as_the_search_normalises_it(world: World) -> None:
    case = make_case(world.triage_officer, crime_reference=" ch/ 12345/26 ")
    assert list(case.referral.crime_references.values_list("reference", flat=True)) == ["CH/12345/26"]
    assert validation.crime_references(" ch/ 12345/26 ;CH/9/26") == ("CH/12345/26", "CH/9/26")
    assert identifiers.normalise_crime_reference(" ch/ 12345/26 ") == identifiers.normalise_identifier("CH/12345/26")


@pytest.mark.parametrize(
    ("given", "family", "normalised"),
    [("Zoë", "O'Brien", "zoe o brien"), ("  Hannah ", "MILLS-Jones", "hannah mills jones"), ("", "", "")],
)
def test_names_normalise_one_way(given: str, family: str, normalised: str) -> None:
    assert identifiers.normalise_name(given, family) == normalised


@pytest.mark.parametrize(("number", "valid"), [("9434765919", True), ("9434765918", False), ("943476591", False)])
def test_the_nhs_number_check_digit(number: str, valid: bool) -> None:
    assert identifiers.valid_nhs_number(number) is valid


@pytest.mark.parametrize("status", list(InterventionStatus))
def test_the_bundle_refuses_a_second_open_direct_intervention_exactly_where_the_database_does(
    world: World, status: InterventionStatus
) -> None:
    from interventions.models import Intervention

    case = make_case(world.triage_officer)
    health = world.partnership.agencies.get(kind=AgencyKind.HEALTH)

    def intervention(status: str) -> Intervention:
        ended = None if status in OPEN_STATUSES else TODAY
        return Intervention(case=case, type=DIRECT, agency=health, status=status, started_on=TODAY, ended_on=ended,
                            recorded_by=world.triage_officer)  # fmt: skip

    intervention(InterventionStatus.ONGOING).save()
    try:
        with transaction.atomic():
            intervention(status).save()
        database_refuses = False
    except IntegrityError:
        database_refuses = True
    row = validation.ChildRow(3, "R1", {"type": DIRECT, "status": str(status)}, ("referral_ref", "type", "status"))
    plan = validation.Plan(children={"interventions.csv": [row]})
    held = validation.Held()
    held.open_direct["R1"] = 1
    errors = validation.ErrorList()
    validation._check_open_direct(plan, held, errors)
    assert bool(errors) is database_refuses
    assert database_refuses is (status in OPEN_STATUSES)


@pytest.mark.parametrize(
    ("decision", "closed", "status"),
    [
        ("pending", False, CaseStatus.AWAITING_TRIAGE),
        ("pending", True, CaseStatus.CLOSED),
        ("accepted", False, CaseStatus.ACTIVE),
        ("accepted", True, CaseStatus.CLOSED),
        ("not_stalking", False, CaseStatus.DECLINED),
        ("not_applicable", True, CaseStatus.DECLINED),
        ("no_added_value", False, CaseStatus.DECLINED),
    ],
)
def test_a_recorded_decision_and_closing_give_the_cases_status(
    tmp_path: Path, decision: str, closed: bool, status: str
) -> None:
    # The rule's one home is cases; an imported referral stands at the status it gives.
    assert status_for_decision(decision, closed=closed) == status
    files = dict(FILES)
    files["referrals.csv"] = (
        "referral_ref,received_on,referring_agency,victim_ref,perpetrator_ref,decision,decided_on,closed_on\n"
        f"R1,2019-01-10,police,V1,P1,{decision},{'' if decision == 'pending' else '2019-01-15'},"
        f"{'2019-03-01' if closed else ''}\n"
    )
    files.update({name: FILES[name].splitlines()[0] + "\n" for name in FILES if name not in FILES_KEPT})
    result = import_bundle(source=write_bundle(tmp_path / "b", files), partnership_slug="north", create_name="North")
    assert result.ok, result.errors
    assert Case.objects.get(referral__ref="R1").status == status


def test_a_reoffending_crime_reference_is_stored_the_same_from_a_page_and_from_a_bundle(
    world: World, tmp_path: Path
) -> None:
    files = dict(FILES)
    files["reoffending.csv"] = (
        "referral_ref,occurred_on,kind,victim,source,offence,crime_reference\n"
        "C1,2019-04-14,persistence,same,victim,s4a_stalking, ch/ 7/19 \n"
    )
    folder = write_bundle(tmp_path / "b", files)
    assert import_bundle(source=folder, partnership_slug=world.partnership.slug).ok
    case = Case.objects.get(referral__ref="C1", partnership=world.partnership)
    followup_services.reoffending_record_add(
        actor=world.triage_officer,
        case=case,
        data=followup_services.OccurrenceInput(
            occurred_on=dt.date(2019, 5, 1), kind="persistence", victim="same", source="police",
            offence="s2a_stalking", crime_reference=" ch/ 7/19 ",
        ),
    )  # fmt: skip
    stored = list(
        ReoffendingRecord.objects.filter(case=case).order_by("occurred_on").values_list("crime_reference", flat=True)
    )
    assert stored == ["CH/7/19", "CH/7/19"]
    # The bundle's own spelling is the held record: a re-import adds nothing and finds no difference.
    again = import_bundle(source=folder, partnership_slug=world.partnership.slug)
    assert again.ok, again.errors
    assert again.created["reoffending.csv"] == 0 and again.already_held["reoffending.csv"] == 1
