"""The evaluation's factors on the case (mental-health services, probation, MAPPA, antisocial
lifestyle): recorded by triage roles, the antisocial lifestyle only under criminal history."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from agencies.models import AgencyKind, RecordClass, SharingRule, User
from audit.models import AccessLog
from cases.models import Case, CaseEvent
from tests.case_factories import make_case
from tests.factories import World

pytestmark = pytest.mark.django_db


def api_for(user: User) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


def url(case: Case) -> str:
    return f"/api/v1/cases/{case.pk}/evaluation-factors/"


def test_the_triage_officer_records_them_and_not_known_is_kept_apart_from_no(world: World) -> None:
    case = make_case(world.triage_officer)
    response = api_for(world.triage_officer).patch(
        url(case), {"mappa": True, "probation_involved": False, "antisocial_lifestyle": True}, format="json"
    )
    assert response.status_code == 200, response.content
    assert response.json() == {
        "mental_health_services": None,
        "probation_involved": False,
        "mappa": True,
        "antisocial_lifestyle": True,
        "withheld": [],
    }
    # Left out stays; null is "not known" again.
    api_for(world.triage_officer).patch(url(case), {"mappa": None}, format="json")
    case.refresh_from_db()
    assert (case.mappa, case.probation_involved, case.antisocial_lifestyle) == (None, False, True)
    summaries = list(CaseEvent.objects.filter(case=case, kind="meeting").values_list("summary", "record_class"))
    assert ("Antisocial lifestyle: yes", "criminal_history") in summaries
    # Each answer read is logged.
    assert AccessLog.objects.filter(
        user=world.triage_officer, record_ids=[str(case.pk)], purpose="evaluation factors"
    ).exists()


def test_bad_input_and_other_roles_are_refused(world: World) -> None:
    case = make_case(world.triage_officer)
    bad = api_for(world.triage_officer).patch(url(case), {"mappa": "perhaps"}, format="json")
    assert bad.status_code == 400 and "mappa" in bad.json()
    refused = api_for(world.advocate).patch(url(case), {"mappa": True}, format="json")
    assert refused.status_code == 400 and "factors" in refused.json()
    case.refresh_from_db()
    assert case.mappa is None


def test_without_criminal_history_the_lifestyle_is_withheld_and_cannot_be_set(world: World) -> None:
    case = make_case(world.triage_officer)
    api_for(world.triage_officer).patch(url(case), {"antisocial_lifestyle": True}, format="json")
    SharingRule.objects.filter(
        agreement=world.partnership.sharing_agreement,
        agency_kind=AgencyKind.POLICE,
        record_class=RecordClass.CRIMINAL_HISTORY,
    ).delete()
    seen = api_for(world.triage_officer).get(url(case)).json()
    assert seen["antisocial_lifestyle"] is None and seen["withheld"] == ["antisocial_lifestyle"]
    refused = api_for(world.triage_officer).patch(url(case), {"antisocial_lifestyle": False}, format="json")
    assert refused.status_code == 400 and "antisocial_lifestyle" in refused.json()
    case.refresh_from_db()
    assert case.antisocial_lifestyle is True


def test_another_partnership_gets_404(world: World) -> None:
    case = make_case(world.triage_officer)
    other = World("Elsewhere")
    assert api_for(other.triage_officer).get(url(case)).status_code == 404
    assert api_for(other.triage_officer).patch(url(case), {"mappa": True}, format="json").status_code == 404
