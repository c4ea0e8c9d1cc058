"""Risk services: lifecycle, scoring with the partnership's thresholds, the never-lower rule, MARAC
from incident records, review dates on the caseload, versions, the loader and the bulk readers."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
import yaml
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import CommandError, call_command
from django.http import Http404

from cases import selectors as case_selectors
from cases import services as case_services
from cases.models import Case
from risk import selectors, services
from risk.models import Answer, Assessment, Incident, InstrumentVersion, Item, RiskSettings, Status
from tests.case_factories import make_case
from tests.factories import World
from tests.risk_factories import DASH_SCORED, SDASH, complete_dash, complete_srp, dash_answers, shipped_instruments

pytestmark = pytest.mark.django_db
__all__ = ["shipped_instruments"]

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "docs" / "risk-instrument-sample-sash.json"
TODAY = dt.date.today()


@pytest.fixture(autouse=True)
def _instruments(shipped_instruments: None) -> None:
    return None


def refreshed(case: Case) -> Case:
    return Case.objects.get(pk=case.pk)


# --- scoring and bands on completion -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("score", "band", "overall"),
    [(9, "standard", "low"), (10, "medium", "moderate"), (13, "medium", "moderate"), (14, "high", "high")],
)
def test_completing_a_dash_scores_and_bands_it(world: World, score: int, band: str, overall: str) -> None:
    case = make_case(world.triage_officer)
    dash = complete_dash(world.triage_officer, case, score=score, sdash_yes=4)
    assert (dash.status, dash.score, dash.band, dash.level, dash.overall) == (
        Status.COMPLETED,
        score,
        band,
        band,
        overall,
    )
    assert dash.subscores == {"sdash": 4}
    assert dash.is_current and dash.completed_by == world.triage_officer
    assert refreshed(case).current_risk == overall


def test_the_partnerships_own_thresholds_band_and_refer(world: World) -> None:
    RiskSettings.objects.create(
        partnership=world.partnership, dash_medium_from=10, dash_high_from=17, marac_score_from=17
    )
    case = make_case(world.triage_officer)
    dash = complete_dash(world.triage_officer, case, score=16)
    assert (dash.band, dash.marac_met) == ("medium", False)
    assert dash.scored_with["bands"][2] == {"key": "high", "label": "High", "overall": "high", "min": 17}
    assert dash.scored_with["marac_score_from"] == 17


def test_changing_thresholds_later_leaves_completed_assessments_as_scored(world: World) -> None:
    case = make_case(world.triage_officer)
    dash = complete_dash(world.triage_officer, case, score=15)
    services.risk_settings_update(
        actor=world.admin,
        values={
            "dash_medium_from": 10,
            "dash_high_from": 17,
            "marac_score_from": 17,
            "escalation_incidents": 3,
            "escalation_months": 12,
            "repeat_months": 12,
        },
    )
    dash.refresh_from_db()
    assert (dash.band, dash.marac_met) == ("high", True)
    view = selectors.assessment_view_for_user(user=world.triage_officer, assessment=dash)
    assert view.result.band_label == "High"


def test_only_a_partnership_admin_changes_thresholds_and_bands_stay_ordered(world: World) -> None:
    values = {
        "dash_medium_from": 12,
        "dash_high_from": 11,
        "marac_score_from": 14,
        "escalation_incidents": 3,
        "escalation_months": 12,
        "repeat_months": 12,
    }
    with pytest.raises(PermissionDenied):
        services.risk_settings_update(actor=world.triage_officer, values=values)
    with pytest.raises(ValidationError) as exc:
        services.risk_settings_update(actor=world.admin, values=values)
    assert exc.value.message_dict == {"dash_high_from": ["The high band must start above the medium band"]}


# --- professional judgement ------------------------------------------------------------------------------------


def test_professional_judgement_raises_the_level_with_a_reason(world: World) -> None:
    case = make_case(world.triage_officer)
    dash = complete_dash(world.triage_officer, case, score=8, judgement="high", reason="Recent threat with a knife")
    assert (dash.band, dash.level, dash.overall) == ("standard", "high", "high")
    criteria = {c["key"]: c for c in dash.marac_criteria}
    assert criteria["professional_judgement"]["met"] and not criteria["visible_high_risk"]["met"]
    assert dash.marac_met


def test_the_service_refuses_a_judgement_lower_than_the_score(world: World) -> None:
    case = make_case(world.triage_officer)
    draft = services.assessment_start(actor=world.triage_officer, case=case, instrument_key="dash")
    services.assessment_save(
        actor=world.triage_officer, assessment=draft, answers=dash_answers(DASH_SCORED[:15], sdash_yes=0)
    )
    with pytest.raises(ValidationError) as exc:
        services.assessment_save(
            actor=world.triage_officer, assessment=draft, judgement_level="medium", judgement_reason="She is coping"
        )
    assert exc.value.message_dict == {
        "judgement_level": ["Professional judgement can raise the level, never lower it: the score gives high"]
    }
    # And on completion, when the answers changed after the judgement was recorded.
    services.assessment_save(actor=world.triage_officer, assessment=draft, answers=dash_answers(DASH_SCORED[:5]))
    services.assessment_save(
        actor=world.triage_officer, assessment=draft, judgement_level="medium", judgement_reason="Worried"
    )
    services.assessment_save(actor=world.triage_officer, assessment=draft, answers=dash_answers(DASH_SCORED[:20]))
    with pytest.raises(ValidationError) as exc:
        services.assessment_complete(actor=world.triage_officer, assessment=draft)
    assert "never lower" in exc.value.message_dict["judgement_level"][0]
    assert Assessment.objects.get(pk=draft.pk).status == Status.DRAFT


def test_raising_without_a_reason_is_refused(world: World) -> None:
    case = make_case(world.triage_officer)
    with pytest.raises(ValidationError) as exc:
        complete_dash(world.triage_officer, case, score=3, judgement="medium", reason="")
    assert exc.value.message_dict == {"judgement_reason": ["Give the reason for raising the level"]}


# --- lifecycle --------------------------------------------------------------------------------------------------


def test_completion_needs_every_open_question_and_forgets_closed_ones(world: World) -> None:
    case = make_case(world.triage_officer)
    draft = services.assessment_start(actor=world.triage_officer, case=case, instrument_key="dash")
    answers = dash_answers(["stalking"], sdash_yes=2)
    del answers["weapons"], answers[SDASH[3]]
    services.assessment_save(actor=world.triage_officer, assessment=draft, answers=answers)
    with pytest.raises(ValidationError) as exc:
        services.assessment_complete(actor=world.triage_officer, assessment=draft)
    assert exc.value.message_dict == {
        "weapons": ["Select yes, no or not known for weapons or objects used to hurt"],
        SDASH[3]: ["Select yes, no or not known for turning up unannounced more than three times a week"],
    }
    # Stalking changes to no: the S-DASH closes, its answers are not part of the record.
    services.assessment_save(actor=world.triage_officer, assessment=draft, answers={"weapons": "no", "stalking": "no"})
    done = services.assessment_complete(actor=world.triage_officer, assessment=draft)
    assert done.score == 0 and done.subscores == {}
    assert not Answer.objects.filter(assessment=done, item__key__in=SDASH).exists()


def test_a_completed_assessment_is_locked(world: World) -> None:
    case = make_case(world.triage_officer)
    dash = complete_dash(world.triage_officer, case, score=5)
    with pytest.raises(ValidationError) as exc:
        services.assessment_save(actor=world.triage_officer, assessment=dash, answers={"weapons": "yes"})
    assert exc.value.message_dict == {"status": ["A completed assessment is locked: amend it to change it"]}
    with pytest.raises(ValidationError):
        services.assessment_complete(actor=world.triage_officer, assessment=dash)


def test_one_draft_per_instrument_and_only_its_agency_edits_it(world: World) -> None:
    case = make_case(world.triage_officer)
    draft = services.assessment_start(actor=world.triage_officer, case=case, instrument_key="dash")
    with pytest.raises(ValidationError) as exc:
        services.assessment_start(actor=world.advocate, case=case, instrument_key="dash")
    assert "already in progress" in exc.value.message_dict["instrument"][0]
    with pytest.raises(PermissionDenied):
        services.assessment_save(actor=world.advocate, assessment=draft, answers={"weapons": "yes"})
    services.assessment_discard(actor=world.triage_officer, assessment=draft)
    assert not Assessment.objects.filter(pk=draft.pk).exists()


def test_an_amendment_is_a_new_revision_with_a_reason(world: World) -> None:
    case = make_case(world.triage_officer)
    original = complete_dash(world.triage_officer, case, score=12)
    with pytest.raises(ValidationError):
        services.assessment_amend(actor=world.advocate, assessment=original, reason="  ")
    amendment = services.assessment_amend(
        actor=world.advocate, assessment=original, reason="Weapons answer was recorded against the wrong question"
    )
    assert (amendment.status, amendment.revision, amendment.amends_id) == (Status.DRAFT, 2, original.pk)
    assert amendment.version_id == original.version_id
    assert Answer.objects.filter(assessment=amendment).count() == Answer.objects.filter(assessment=original).count()
    # Until it is completed, the original stays current.
    assert Assessment.objects.get(pk=original.pk).is_current
    services.assessment_save(
        actor=world.advocate, assessment=amendment, answers={"threats_to_kill": "yes", "strangulation": "yes"}
    )
    done = services.assessment_complete(actor=world.advocate, assessment=amendment)
    original.refresh_from_db()
    assert (done.score, done.band, done.is_current) == (14, "high", True)
    assert (original.score, original.band, original.is_current, original.status) == (12, "medium", False, "completed")
    assert refreshed(case).current_risk == "high"
    with pytest.raises(ValidationError):
        services.assessment_amend(actor=world.advocate, assessment=original, reason="Again")


def test_a_role_without_casework_cannot_assess(world: World) -> None:
    case = make_case(world.triage_officer)
    with pytest.raises(PermissionDenied):
        services.assessment_start(actor=world.programme_manager, case=case, instrument_key="dash")


def test_outside_the_case_scope_is_404(world: World, other_world: World) -> None:
    case = make_case(world.triage_officer)
    with pytest.raises(Http404):
        services.assessment_start(actor=other_world.triage_officer, case=case, instrument_key="dash")
    with pytest.raises(Http404):
        services.sash_record(actor=other_world.triage_officer, case=case, level="high")
    with pytest.raises(Http404):
        services.incident_record(
            actor=other_world.triage_officer, case=case, occurred_on=TODAY, description="x", source="police"
        )


# --- SASH, SRP and the case's overall risk ------------------------------------------------------------------------


def test_sash_record_sets_the_level_and_the_case_risk(world: World) -> None:
    case = make_case(world.triage_officer)
    sash = services.sash_record(
        actor=world.triage_officer, case=case, level="moderate_high", assessed_on=TODAY, note="Triage meeting"
    )
    assert (sash.status, sash.level, sash.overall, sash.notes, sash.is_current) == (
        Status.COMPLETED,
        "moderate_high",
        "high",
        "Triage meeting",
        True,
    )
    assert refreshed(case).current_risk == "high"
    second = services.sash_record(actor=world.triage_officer, case=case, level="low")
    sash.refresh_from_db()
    assert second.is_current and not sash.is_current
    assert refreshed(case).current_risk == "low"
    with pytest.raises(ValidationError) as exc:
        services.sash_record(actor=world.triage_officer, case=case, level="severe")
    assert exc.value.message_dict == {"level": ["Choose low, moderate, moderate/high or high"]}


def test_sash_record_leaves_a_draft_sash_alone(world: World) -> None:
    case = make_case(world.triage_officer)
    draft = services.assessment_start(actor=world.advocate, case=case, instrument_key="sash")
    services.sash_record(actor=world.triage_officer, case=case, level="high")
    assert Assessment.objects.get(pk=draft.pk).status == Status.DRAFT


def test_current_risk_is_the_highest_current_level(world: World) -> None:
    case = make_case(world.triage_officer)
    services.sash_record(actor=world.triage_officer, case=case, level="low")
    complete_dash(world.triage_officer, case, score=11)
    assert refreshed(case).current_risk == "moderate"
    complete_srp(world.clinician, case, violence="low", persistence="high", recurrence="low")
    assert refreshed(case).current_risk == "high"


def test_the_caseload_filter_finds_the_case_by_its_current_risk(world: World) -> None:
    high = make_case(world.triage_officer, crime_reference="CH/1/26")
    low = make_case(world.triage_officer, crime_reference="CH/2/26")
    complete_dash(world.triage_officer, high, score=16)
    services.sash_record(actor=world.triage_officer, case=low, level="low")
    page = case_selectors.case_list_for_user(
        user=world.advocate, filters=case_selectors.CaseloadFilters(risks=["high"])
    )
    assert [row.case.pk for row in page.rows] == [high.pk]


def test_an_srp_is_due_again_six_months_after_the_assessment_and_sets_the_stalker_type(world: World) -> None:
    case = make_case(world.triage_officer)
    # 31 August plus six months is the last day of February.
    srp = complete_srp(world.clinician, case, stalker_type="resentful", assessed_on=dt.date(2026, 8, 31))
    assert srp.review_due_on == dt.date(2027, 2, 28)
    assert (srp.level, srp.overall) == ("high", "high")
    case = refreshed(case)
    assert case.next_due_on == srp.review_due_on
    assert case.stalker_type == "resentful"


def test_the_srp_needs_an_agency_that_may_see_clinical_records(world: World) -> None:
    case = make_case(world.triage_officer)
    with pytest.raises(PermissionDenied):
        services.assessment_start(actor=world.probation_practitioner, case=case, instrument_key="srp")


# --- incidents, DASH review and MARAC ---------------------------------------------------------------------------


def test_a_new_incident_makes_the_dash_due_and_shows_on_the_caseload(world: World) -> None:
    case = make_case(world.triage_officer)
    complete_dash(world.triage_officer, case, score=6, assessed_on=TODAY - dt.timedelta(days=20))
    assert refreshed(case).next_due_on is None
    services.incident_record(
        actor=world.advocate,
        case=case,
        occurred_on=TODAY - dt.timedelta(days=2),
        description="Waited outside her work",
        source="victim",
    )
    dash = Assessment.objects.get(case=case, is_current=True, instrument__key="dash")
    assert dash.review_due_on == TODAY - dt.timedelta(days=2)
    assert refreshed(case).next_due_on == TODAY - dt.timedelta(days=2)
    # An incident from before the DASH, reported only now: due from today.
    other = make_case(world.triage_officer, crime_reference="CH/3/26")
    complete_dash(world.triage_officer, other, score=6, assessed_on=TODAY - dt.timedelta(days=5))
    services.incident_record(
        actor=world.advocate, case=other, occurred_on=TODAY - dt.timedelta(days=30), description="x", source="police"
    )
    assert refreshed(other).next_due_on == TODAY
    # A new DASH answers the review.
    complete_dash(world.triage_officer, case, score=6)
    assert refreshed(case).next_due_on is None


def test_a_breach_of_an_order_is_an_incident(world: World) -> None:
    case = make_case(world.triage_officer)
    complete_dash(world.triage_officer, case, score=6, assessed_on=TODAY - dt.timedelta(days=20))
    order = case_services.order_record(
        actor=world.triage_officer, case=case, kind="restraining_order", made_on=TODAY - dt.timedelta(days=60)
    )
    assert not Incident.objects.filter(case=case).exists()  # an order alone is not an incident
    case_services.breach_record(
        actor=world.triage_officer,
        order=order,
        occurred_on=TODAY - dt.timedelta(days=3),
        description="Seen at the end of her road",
        crime_reference="CH/77/26",
    )
    incident = Incident.objects.get(case=case)
    assert (incident.occurred_on, incident.source, incident.recorded_by) == (
        TODAY - dt.timedelta(days=3),
        "police",
        world.triage_officer,
    )
    assert incident.description == "Breach of the restraining order (crime reference CH/77/26)"
    # As with an incident recorded by hand, the DASH falls due from the breach.
    assert refreshed(case).next_due_on == TODAY - dt.timedelta(days=3)


def test_marac_escalation_and_repeat_come_from_the_case_records(world: World) -> None:
    case = make_case(world.triage_officer)
    for days in (300, 120, 10):
        services.incident_record(
            actor=world.triage_officer,
            case=case,
            occurred_on=TODAY - dt.timedelta(days=days),
            description="Contact in breach of bail",
            source="police",
        )
    services.marac_referral_record(actor=world.triage_officer, case=case, referred_on=TODAY - dt.timedelta(days=200))
    dash = complete_dash(world.triage_officer, case, score=4)
    criteria = {c["key"]: c for c in dash.marac_criteria}
    assert criteria["potential_escalation"]["met"] and criteria["repeat"]["met"]
    assert not criteria["visible_high_risk"]["met"] and dash.marac_met
    assert criteria["potential_escalation"]["reason"].startswith("3 incidents in the 12 months to")
    risk = selectors.case_risk_for_user(user=world.advocate, case_id=case.pk)
    assert {c.key for c in risk.marac_met} == {"potential_escalation", "repeat"}


def test_incident_validation(world: World) -> None:
    case = make_case(world.triage_officer)
    with pytest.raises(ValidationError) as exc:
        services.incident_record(
            actor=world.triage_officer,
            case=case,
            occurred_on=TODAY + dt.timedelta(days=1),
            description=" ",
            source="rumour",
        )
    assert set(exc.value.message_dict) == {"occurred_on", "description", "source"}
    with pytest.raises(PermissionDenied):
        services.incident_record(
            actor=world.programme_manager, case=case, occurred_on=TODAY, description="x", source="police"
        )
    assert not Incident.objects.exists()


# --- versions and the loader --------------------------------------------------------------------------------------


def test_a_new_version_never_changes_an_assessment_made_with_the_old_one(world: World) -> None:
    case = make_case(world.triage_officer)
    old = complete_dash(world.triage_officer, case, score=14)
    old_version = old.version
    data = json.loads((ROOT / "risk" / "instruments" / "dash.json").read_text())
    data["version"]["version"] = "Local version with a reworded topic"
    data["version"]["groups"][0]["items"][0]["label"] = "Injury at the latest incident"
    data["version"]["groups"][0]["items"].pop()  # one item fewer
    data["version"]["bands"][2]["min"] = 12
    new = services.instrument_version_load(data=data, partnership=world.partnership)
    assert new.is_current and InstrumentVersion.objects.get(pk=old_version.pk).is_current
    old.refresh_from_db()
    assert (old.version_id, old.score, old.band) == (old_version.pk, 14, "high")
    view = selectors.assessment_view_for_user(user=world.triage_officer, assessment=old)
    first = view.groups[0].answers[0]
    assert (first.item.label, len(view.groups[0].answers)) == ("Current injury", 5)
    # New assessments in this partnership use the new version; others keep the shipped one.
    again = services.assessment_start(actor=world.triage_officer, case=case, instrument_key="dash")
    assert again.version_id == new.pk


def test_load_instrument_command_loads_the_sample_for_one_partnership(world: World, other_world: World) -> None:
    call_command("load_instrument", str(SAMPLE), "--partnership", world.partnership.slug)
    version = InstrumentVersion.objects.get(partnership=world.partnership, instrument__key="sash")
    assert version.is_current and version.items.count() == 18
    ex_items = Item.objects.filter(version=version, group__key="ex_partner_items")
    assert ex_items.count() == 3
    assert all(i.condition_item is not None and i.condition_item.key == "ex_partner" for i in ex_items)
    assert Item.objects.get(version=version, key="item_01").wording.startswith("[Placeholder")
    # The other partnership still uses the shipped level-only version.
    shipped = selectors.current_version_for(instrument_key="sash", partnership_id=other_world.partnership.pk)
    assert shipped is not None and shipped.items.count() == 1
    # sash_record still records a level directly with the licensed item set in use.
    case = make_case(world.triage_officer)
    assert services.sash_record(actor=world.triage_officer, case=case, level="moderate").version_id == version.pk
    with pytest.raises(CommandError, match="already loaded"):
        call_command("load_instrument", str(SAMPLE), "--partnership", world.partnership.slug)


def test_licensed_wording_is_never_loaded_for_every_partnership() -> None:
    with pytest.raises(CommandError, match="Licensed wording is loaded for one partnership"):
        call_command("load_instrument", str(SAMPLE))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d["version"].update(scoring="sum"), "'scoring' must be one of"),
        (lambda d: d["version"]["groups"][1].update(key="about"), "the form's own pages"),
        (
            lambda d: d["version"]["groups"][3].update(opens_when={"item": "level_of_concern", "answer": "yes"}),
            "opens_when must name an item of an earlier group",
        ),
        (lambda d: d["version"]["bands"].pop(), None),
    ],
)
def test_the_loader_refuses_bad_definitions(world: World, change: object, message: str | None) -> None:
    data = json.loads(SAMPLE.read_text())
    change(data)  # type: ignore[operator]
    if message is None:
        services.instrument_version_load(data=data, partnership=world.partnership)
        return
    with pytest.raises(ValidationError) as exc:
        services.instrument_version_load(data=data, partnership=world.partnership)
    assert message in exc.value.message_dict["definition"][0]


# --- for other apps ------------------------------------------------------------------------------------------------


def test_current_sash_and_dash_by_case_for_other_apps(world: World, other_world: World) -> None:
    with_sash = make_case(world.triage_officer, crime_reference="CH/4/26")
    without = make_case(world.triage_officer, crime_reference="CH/5/26")
    services.sash_record(actor=world.triage_officer, case=with_sash, level="moderate_high")
    complete_dash(world.triage_officer, with_sash, score=15, sdash_yes=6)
    levels = selectors.current_sash_levels(partnership_id=world.partnership.pk, case_ids=[with_sash.pk, without.pk])
    assert levels == {with_sash.pk: "moderate_high", without.pk: "not_completed"}
    results = selectors.current_dash_results(partnership_id=world.partnership.pk, case_ids=[with_sash.pk, without.pk])
    assert list(results) == [with_sash.pk]
    dash = results[with_sash.pk]
    assert (dash.score, dash.band, dash.level, dash.marac_met, dash.sdash_yes) == (15, "high", "high", True, 6)
    assert dash.marac_reasons[0] == "Visible high risk: DASH score 15: at or above the MARAC threshold of 14"
    # Another partnership's id gets nothing.
    assert selectors.current_sash_levels(partnership_id=other_world.partnership.pk, case_ids=[with_sash.pk]) == {
        with_sash.pk: "not_completed"
    }


def test_a_yaml_definition_loads_like_json(world: World, tmp_path: Path) -> None:
    data = json.loads(SAMPLE.read_text())
    data["version"]["version"] = "Licensed item set (YAML)"
    path = tmp_path / "sash.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    call_command("load_instrument", str(path), "--partnership", world.partnership.slug, "--not-current")
    version = InstrumentVersion.objects.get(partnership=world.partnership, version="Licensed item set (YAML)")
    assert not version.is_current and version.source == "sash.yaml" and version.items.count() == 18
    broken = tmp_path / "broken.yml"
    broken.write_text("format: [unclosed", encoding="utf-8")
    with pytest.raises(CommandError, match=r"broken\.yml is not valid YAML"):
        call_command("load_instrument", str(broken))


def test_demo_risk_records_load_once_and_agree_with_the_caseload(db: None) -> None:
    from agencies.demo import load_demo
    from cases.demo import load_demo_cases
    from risk.demo import load_demo_data

    load_demo()
    load_demo_cases()
    made = load_demo_data()
    assert made >= 30
    assert load_demo_data() == 0
    assert Assessment.objects.filter(instrument__key="dash", status=Status.COMPLETED).exists()
    assert Assessment.objects.filter(instrument__key="srp", status=Status.COMPLETED).exists()
    for case in Case.objects.filter(partnership__slug="demo"):
        levels = set(Assessment.objects.filter(case=case, is_current=True).values_list("overall", flat=True))
        expected = next((level for level in ("high", "moderate", "low") if level in levels), "")
        assert case.current_risk == expected, case.pk
