"""The SRP as practice records it (seeds/004's case studies and SRP summaries): a domain may be
left not rated, which is stored as such and never counted as low; violence is two judgements,
general and imminent serious; the single violence rating of earlier assessments reads as
general violence."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from agencies.models import User
from cases.models import Case, Decision
from reporting.evaluation import Period, risk_change
from risk import selectors, services
from risk.models import Answer, Assessment, InstrumentVersion, Item, Status
from tests.case_factories import make_case
from tests.factories import World
from tests.risk_factories import complete_srp, shipped_instruments

pytestmark = pytest.mark.django_db
__all__ = ["shipped_instruments"]

TODAY = dt.date.today()
IMMINENT = "imminent_serious_violence"


@pytest.fixture(autouse=True)
def _instruments(shipped_instruments: None) -> None:
    return None


def answers_of(assessment: Assessment) -> dict[str, str]:
    return dict(Answer.objects.filter(assessment=assessment).values_list("item__key", "value"))


def current_risk(case: Case) -> str:
    return Case.objects.values_list("current_risk", flat=True).get(pk=case.pk)


def srp_version(label_part: str) -> InstrumentVersion:
    return InstrumentVersion.objects.get(instrument__key="srp", partnership__isnull=True, version__contains=label_part)


def test_the_current_srp_asks_violence_as_two_judgements_each_of_which_may_be_left_not_rated(world: World) -> None:
    case = make_case(world.triage_officer)
    draft = services.assessment_start(actor=world.clinician, case=case, instrument_key="srp")
    judged = {
        i.key: (i.label, i.scored, i.allows_not_rated)
        for i in Item.objects.filter(version=draft.version, response="level")
    }
    assert judged == {
        "risk_of_violence": ("Risk of general violence", True, True),
        IMMINENT: ("Risk of imminent serious violence", True, True),
        "persistence": ("Risk of persistence", True, True),
        "recurrence": ("Risk of recurrence", True, True),
        "psychosocial_damage": ("Risk of psychosocial damage to the stalker", False, True),
    }


def test_an_unrated_domain_is_stored_as_not_rated_and_never_counted_as_low(world: World) -> None:
    case = make_case(world.triage_officer)
    # Recurrence explicitly not rated; imminent serious violence left unanswered.
    srp = complete_srp(world.clinician, case, violence="low", persistence="low", recurrence="not_rated")
    stored = answers_of(srp)
    assert (stored["recurrence"], stored[IMMINENT]) == ("not_rated", "not_rated")
    assert (srp.level, srp.overall, current_risk(case)) == ("low", "low", "low")

    # The risk section says "Not rated" and the history draws no point for it.
    risk = selectors.case_risk_for_user(user=world.clinician, case_id=case.pk)
    srp_summary = next(s for s in risk.summaries if s.instrument.key == "srp")
    shown = {d.label: d.level_label for d in srp_summary.domains}
    assert shown["Risk of recurrence"] == "Not rated" and shown["Risk of imminent serious violence"] == "Not rated"
    series = {s["label"] for s in risk.chart_data["series"]}
    assert "SRP: risk of recurrence" not in series and "SRP: risk of persistence" in series

    page = client_for(world.clinician).get(reverse("risk:case_risk", args=[case.pk])).content.decode()
    assert "Not rated" in page


def test_an_unrated_judgement_does_not_lower_the_level_the_rated_ones_give(world: World) -> None:
    case = make_case(world.triage_officer)
    srp = complete_srp(
        world.clinician, case, violence="not_rated", persistence="moderate", recurrence="not_rated", damage="not_rated"
    )
    assert (srp.level, current_risk(case)) == ("moderate", "moderate")


def test_imminent_serious_violence_alone_can_make_the_case_high_risk(world: World) -> None:
    case = make_case(world.triage_officer)
    srp = complete_srp(
        world.clinician, case, violence="low", persistence="low", recurrence="low", more={IMMINENT: "high"}
    )
    assert (srp.level, srp.overall, current_risk(case)) == ("high", "high", "high")


def test_an_srp_with_every_judgement_not_rated_is_refused_and_nothing_is_completed(world: World) -> None:
    case = make_case(world.triage_officer)
    with pytest.raises(ValidationError) as refused:
        complete_srp(world.clinician, case, violence="not_rated", persistence="", recurrence="not_rated")
    assert "risk_of_violence" in refused.value.message_dict
    assert not Assessment.objects.filter(case=case, status=Status.COMPLETED).exists()
    assert current_risk(case) == ""


def test_a_version_whose_domains_must_be_rated_refuses_not_rated(world: World) -> None:
    case = make_case(world.triage_officer)
    old = srp_version("topic labels")
    draft = services.assessment_start(actor=world.clinician, case=case, instrument_key="srp")
    Assessment.objects.filter(pk=draft.pk).update(version=old)
    draft.refresh_from_db()
    with pytest.raises(ValidationError) as refused:
        services.assessment_save(actor=world.clinician, assessment=draft, answers={"recurrence": "not_rated"})
    assert "recurrence" in refused.value.message_dict


# --- the earlier single violence rating -------------------------------------------------------------------------


def srp_with_the_earlier_version(world: World, case: Case, **kwargs: Any) -> Assessment:
    """An SRP made before violence was split: the version loaded first, with one violence rating."""
    old, new = srp_version("topic labels"), srp_version("two violence")
    InstrumentVersion.objects.filter(pk=new.pk).update(is_current=False)
    InstrumentVersion.objects.filter(pk=old.pk).update(is_current=True)
    try:
        return complete_srp(world.clinician, case, **kwargs)
    finally:
        InstrumentVersion.objects.filter(pk=old.pk).update(is_current=False)
        InstrumentVersion.objects.filter(pk=new.pk).update(is_current=True)


def test_the_earlier_single_violence_rating_reads_as_general_violence(world: World) -> None:
    case = make_case(world.triage_officer)
    Case.objects.filter(pk=case.pk).update(decision=Decision.ACCEPTED, decided_on=TODAY - dt.timedelta(days=200))
    first = srp_with_the_earlier_version(
        world,
        case,
        violence="moderate",
        persistence="high",
        recurrence="low",
        assessed_on=TODAY - dt.timedelta(days=90),
    )
    assert first.version.version == "Structured judgement, topic labels"
    assert IMMINENT not in answers_of(first)
    # The later SRP rates general violence high and leaves recurrence unrated.
    complete_srp(world.clinician, case, violence="high", persistence="high", recurrence="not_rated", assessed_on=TODAY)
    table = risk_change(partnership_id=world.partnership.pk, period=Period(as_of=TODAY))
    # moderate -> high: the old single rating is the first general-violence rating.
    assert table["srp_violence"] == {"cases": 1, "lower": 0, "same": 0, "higher": 1, "mean_change": None}
    assert table["srp_persistence"] == {"cases": 1, "lower": 0, "same": 1, "higher": 0, "mean_change": None}
    # Recurrence was rated once (low) and then not rated: no second rating, no change counted.
    assert table["srp_recurrence"] == {"cases": 0, "lower": 0, "same": 0, "higher": 0, "mean_change": None}


# --- pages and API -----------------------------------------------------------------------------------------------


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_judgements_page_offers_not_rated_and_stores_it(world: World) -> None:
    case = make_case(world.triage_officer)
    draft = services.assessment_start(actor=world.clinician, case=case, instrument_key="srp")
    url = reverse("risk:assessment_page", args=[case.pk, draft.pk, "judgements"])
    client = client_for(world.clinician)
    html = client.get(url).content.decode()
    assert html.count('value="not_rated"') == 5 and "Risk of imminent serious violence" in html
    response = client.post(
        url,
        {
            "risk_of_violence": "moderate",
            IMMINENT: "not_rated",
            "persistence": "high",
            "recurrence": "not_rated",
            "psychosocial_damage": "low",
            "action": "continue",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    stored = answers_of(draft)
    assert (stored[IMMINENT], stored["recurrence"], stored["persistence"]) == ("not_rated", "not_rated", "high")


def test_the_api_takes_not_rated_and_null_and_shows_not_rated(world: World) -> None:
    case = make_case(world.triage_officer)
    api = APIClient()
    api.force_authenticate(world.clinician)
    created = api.post(f"/api/v1/cases/{case.pk}/risk/assessments/", {"instrument": "srp"}, format="json")
    assert created.status_code == 201, created.content
    url = f"/api/v1/cases/{case.pk}/risk/assessments/{created.json()['assessment']['id']}/"
    answers = {
        "stalker_type": "rejected",
        "relationship": "ex_intimate",
        "risk_of_violence": "high",
        IMMINENT: None,
        "persistence": "moderate",
        "recurrence": "not_rated",
        "psychosocial_damage": None,
        "risk_factors": "Breaches of bail.",
        "management_plan": "Weekly sessions.",
        "clinical_formulation": "Formulation.",
    }
    saved = api.patch(url, {"answers": answers, "assessed_on": TODAY.isoformat()}, format="json")
    assert saved.status_code == 200, saved.content
    done = api.post(url + "complete/", format="json")
    assert done.status_code == 200, done.content
    shown = {a["item"]: (a["value"], a["display"]) for a in done.json()["answers"]}
    assert shown["recurrence"] == ("not_rated", "Not rated")
    assert shown[IMMINENT] == ("not_rated", "Not rated")
    assert shown["psychosocial_damage"] == ("not_rated", "Not rated")
    assert done.json()["assessment"]["level"] == "high"
    version = api.get(f"/api/v1/risk/instrument-versions/{created.json()['assessment']['version_id']}/")
    assert version.status_code == 200
    items = {i["key"]: i["allows_not_rated"] for i in version.json()["items"]}
    assert items["recurrence"] is True and items["risk_factors"] is False


# --- the bundle ------------------------------------------------------------------------------------------------------


def test_an_empty_srp_cell_imports_as_not_rated_and_exports_as_an_empty_cell(tmp_path: Any) -> None:
    import csv

    from agencies.models import Partnership
    from exchange.exporter import export_to_path
    from exchange.importer import import_bundle
    from tests.evaluation_effect_data import FILES
    from tests.exchange_bundle_data import write_bundle

    result = import_bundle(source=write_bundle(tmp_path / "in", FILES), partnership_slug="srp-cells", create_name="SRP")
    assert result.ok, [str(e) for e in result.errors]
    # E1's second SRP leaves recurrence empty: stored as not rated, as is imminent serious
    # violence, which the bundle has no column for; its general violence is the srp_violence cell.
    second = Assessment.objects.get(case__referral__ref="E1", instrument__key="srp", assessed_on=dt.date(2019, 8, 1))
    stored = answers_of(second)
    assert (stored["recurrence"], stored[IMMINENT], stored["risk_of_violence"]) == ("not_rated", "not_rated", "low")
    assert second.level == "high"  # persistence high; the unrated domains are not counted

    out = tmp_path / "out"
    export_to_path(partnership=Partnership.objects.get(slug="srp-cells"), path=out)
    with (out / "risk_assessments.csv").open(encoding="utf-8", newline="") as handle:
        rows = [r for r in csv.DictReader(handle) if r["instrument"] == "srp" and r["referral_ref"] == "E1"]
    assert [(r["srp_violence"], r["srp_recurrence"]) for r in rows] == [("moderate", "low"), ("low", "")]
