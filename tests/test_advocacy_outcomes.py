"""How the victim is doing: recorded by her advocate at intake, at needs reviews and at closure,
shown as a trend on the case, read by the evaluation's victim_outcomes table."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.http import Http404
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from advocacy import services
from advocacy.models import VictimOutcome
from agencies.models import AgencyKind, RecordClass, SharingRule, User
from reporting import evaluation as ev
from tests.case_factories import make_case
from tests.factories import World

pytestmark = pytest.mark.django_db


def answers(on: dt.date, stage: str = "intake", **values: int | None) -> services.OutcomeInput:
    return services.OutcomeInput(recorded_on=on, stage=stage, **values)


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def api_for(user: User) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


def test_the_advocate_records_answers_and_the_case_shows_the_trend(world: World) -> None:
    case = make_case(world.triage_officer)
    today = timezone.localdate()
    services.victim_outcome_record(
        actor=world.advocate, case=case, data=answers(today - dt.timedelta(days=90), feels_safe=2, wellbeing=4,
                                                      incidents_last_month=9),
    )  # fmt: skip
    services.victim_outcome_record(
        actor=world.advocate, case=case, data=answers(today, "closure", feels_safe=7, incidents_last_month=9)
    )
    page = client_for(world.advocate).get(reverse("advocacy:outcomes", args=[case.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    # Feels safe 2 -> 7 better; incidents 9 -> 9 no change; wellbeing answered once: no trend.
    trend = html.split('data-testid="outcome-trend"')[1].split("</table>")[0]
    assert "How safe she feels" in trend and "Better" in trend
    assert "Incidents in the last month" in trend and "No change" in trend
    assert "Wellbeing" not in trend
    assert page["Cache-Control"] and "no-store" in page["Cache-Control"]


def test_bad_answers_are_refused_all_at_once_and_nothing_is_written(world: World) -> None:
    case = make_case(world.triage_officer)
    future = timezone.localdate() + dt.timedelta(days=2)
    with pytest.raises(ValidationError) as refused:
        services.victim_outcome_record(
            actor=world.advocate,
            case=case,
            data=services.OutcomeInput(recorded_on=future, stage="imported", feels_safe=11, wellbeing=-1),
        )
    assert set(refused.value.message_dict) == {"recorded_on", "stage", "feels_safe", "wellbeing"}
    with pytest.raises(ValidationError) as empty:
        services.victim_outcome_record(actor=world.advocate, case=case, data=answers(timezone.localdate()))
    assert "feels_safe" in empty.value.message_dict
    assert not VictimOutcome.objects.exists()


def test_the_form_shows_every_error_in_the_summary(world: World) -> None:
    case = make_case(world.triage_officer)
    response = client_for(world.advocate).post(
        reverse("advocacy:outcome_add", args=[case.pk]),
        {"recorded_on_0": "", "feels_safe": "12", "wellbeing": "x", "incidents_last_month": "-1"},
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "govuk-error-summary" in html
    for message in (
        "Enter",
        "Choose when she was asked",
        "How safe she feels must be a whole number from 0 to 10",
        "Wellbeing must be a whole number from 0 to 10",
        "Incidents in the last month cannot be negative",
    ):
        assert message in html, message
    assert not VictimOutcome.objects.exists()


def test_the_api_records_and_lists_and_refuses_bad_input_with_field_errors(world: World) -> None:
    case = make_case(world.triage_officer)
    url = f"/api/v1/cases/{case.pk}/advocacy/outcomes/"
    api = api_for(world.advocate)
    bad = api.post(url, {"recorded_on": "2026-01-01", "stage": "intake", "feels_safe": 11}, format="json")
    assert bad.status_code == 400 and "feels_safe" in bad.json()
    made = api.post(url, {"recorded_on": "2026-01-01", "stage": "intake", "wellbeing": 3}, format="json")
    assert made.status_code == 201, made.content
    assert made.json()["wellbeing"] == 3 and made.json()["feels_safe"] is None
    listed = api.get(url).json()
    assert [o["wellbeing"] for o in listed[0]["outcomes"]] == [3]


def test_only_the_advocacy_service_records_and_probation_and_health_see_nothing(world: World) -> None:
    case = make_case(world.triage_officer)
    for user in (world.triage_officer, world.probation_practitioner, world.clinician):
        with pytest.raises(Http404):
            services.victim_outcome_record(actor=user, case=case, data=answers(timezone.localdate(), feels_safe=5))
        assert client_for(user).get(reverse("advocacy:outcome_add", args=[case.pk])).status_code == 404
    # Probation (victim identity only) and health (no victim class) see nothing of advocacy: 404.
    for user in (world.probation_practitioner, world.clinician):
        assert client_for(user).get(reverse("advocacy:outcomes", args=[case.pk])).status_code == 404
        assert api_for(user).get(f"/api/v1/cases/{case.pk}/advocacy/outcomes/").status_code == 404
    # The police read them beside her needs (the agreement gives them both classes).
    assert client_for(world.triage_officer).get(reverse("advocacy:outcomes", args=[case.pk])).status_code == 200
    assert not VictimOutcome.objects.exists()


def test_an_agreement_without_victim_identity_for_advocacy_withholds_them(world: World) -> None:
    case = make_case(world.triage_officer)
    services.victim_outcome_record(actor=world.advocate, case=case, data=answers(timezone.localdate(), feels_safe=5))
    SharingRule.objects.filter(
        agreement=world.partnership.sharing_agreement,
        agency_kind=AgencyKind.ADVOCACY,
        record_class=RecordClass.VICTIM_IDENTITY,
    ).delete()
    assert client_for(world.advocate).get(reverse("advocacy:outcomes", args=[case.pk])).status_code == 404
    advocate = User.objects.get(pk=world.advocate.pk)  # a fresh reading of the agreement, as a request has
    with pytest.raises(Http404):
        services.victim_outcome_record(actor=advocate, case=case, data=answers(timezone.localdate(), feels_safe=1))
    assert VictimOutcome.objects.count() == 1


def test_another_partnerships_advocate_gets_404(world: World) -> None:
    case = make_case(world.triage_officer)
    other = World("Elsewhere")
    assert client_for(other.advocate).get(reverse("advocacy:outcomes", args=[case.pk])).status_code == 404
    with pytest.raises(Http404):
        services.victim_outcome_record(actor=other.advocate, case=case, data=answers(timezone.localdate(), wellbeing=1))


def test_recorded_answers_are_what_the_evaluation_compares(world: World) -> None:
    from cases.models import Case

    case = make_case(world.triage_officer)
    Case.objects.filter(pk=case.pk).update(decision="accepted", decided_on=dt.date(2026, 1, 2))
    services.victim_outcome_record(actor=world.advocate, case=case, data=answers(dt.date(2026, 1, 5), feels_safe=3))
    services.victim_outcome_record(
        actor=world.advocate, case=case, data=answers(dt.date(2026, 3, 5), "review", feels_safe=6)
    )
    tables = ev.evaluation_tables(partnership=world.partnership, period=ev.Period(as_of=dt.date(2026, 6, 30)))
    assert tables["victim_outcomes"]["feels_safe"] == {
        "cases": 1, "improved": 1, "same": 0, "worse": 0, "mean_change": 3.0,
    }  # fmt: skip
