"""The evaluation's factors on the case (mental-health services, probation, MAPPA, antisocial
lifestyle): recorded by triage roles, the antisocial lifestyle only under criminal history."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse
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


# --- the page on the case -----------------------------------------------------------------------------


def page(case: Case) -> str:
    return reverse("cases:evaluation_factors", args=[case.pk])


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


ALL_ANSWERED = {
    "mental_health_services": "yes",
    "probation_involved": "no",
    "mappa": "unknown",
    "antisocial_lifestyle": "yes",
}


def test_the_page_records_the_four_factors_through_the_service(world: World) -> None:
    case = make_case(world.clinician)
    client = client_for(world.clinician)
    form = client.get(page(case))
    assert form.status_code == 200
    assert "no-store" in form["Cache-Control"]
    assert 'name="antisocial_lifestyle"' in form.content.decode()
    response = client.post(page(case), ALL_ANSWERED)
    assert response.status_code == 302 and response["Location"] == reverse("cases:case_detail", args=[case.pk])
    case.refresh_from_db()
    assert (case.mental_health_services, case.probation_involved, case.mappa, case.antisocial_lifestyle) == (
        True,
        False,
        None,
        True,
    )
    summaries = set(CaseEvent.objects.filter(case=case, kind="meeting").values_list("summary", "record_class"))
    assert ("Antisocial lifestyle: yes", "criminal_history") in summaries
    assert ("Known to mental-health services: yes; Probation involved: no", "") in summaries
    # The form opens on what is recorded, and the case shows it.
    again = client.get(page(case)).content.decode()
    assert re.search(r'name="probation_involved" value="no"[^>]*checked', again)
    detail = client.get(reverse("cases:case_detail", args=[case.pk])).content.decode()
    assert "Managed under MAPPA" in detail and page(case) in detail
    assert AccessLog.objects.filter(
        user=world.clinician, record_ids=[str(case.pk)], purpose="evaluation factors"
    ).exists()


def test_the_page_lists_every_missing_answer_at_once_and_writes_nothing(world: World) -> None:
    case = make_case(world.triage_officer)
    response = client_for(world.triage_officer).post(page(case), {"mappa": "perhaps"})
    assert response.status_code == 200
    body = response.content.decode()
    assert "govuk-error-summary" in body
    for message in (
        "Answer whether the perpetrator is known to mental-health services",
        "Answer whether probation is involved",
        "Choose an answer to \u2018Is the perpetrator managed under MAPPA?\u2019 from the list",
        "Answer whether the perpetrator leads an antisocial lifestyle",
    ):
        assert message in body, message
    # Nothing chosen at all is an error too, not the empty form again.
    empty = client_for(world.triage_officer).post(page(case), {})
    assert "govuk-error-summary" in empty.content.decode()
    case.refresh_from_db()
    assert (case.mental_health_services, case.probation_involved, case.mappa, case.antisocial_lifestyle) == (
        None,
        None,
        None,
        None,
    )
    assert not CaseEvent.objects.filter(case=case, kind="meeting").exists()


def test_without_criminal_history_the_page_leaves_the_lifestyle_off_and_keeps_it(world: World) -> None:
    case = make_case(world.triage_officer)
    api_for(world.triage_officer).patch(url(case), {"antisocial_lifestyle": True}, format="json")
    SharingRule.objects.filter(
        agreement=world.partnership.sharing_agreement,
        agency_kind=AgencyKind.POLICE,
        record_class=RecordClass.CRIMINAL_HISTORY,
    ).delete()
    client = client_for(world.triage_officer)
    assert 'name="antisocial_lifestyle"' not in client.get(page(case)).content.decode()
    # A value posted for it anyway is ignored, not written.
    response = client.post(page(case), {**ALL_ANSWERED, "antisocial_lifestyle": "no"})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.antisocial_lifestyle is True and case.mental_health_services is True
    detail = client.get(reverse("cases:case_detail", args=[case.pk])).content.decode()
    assert "Antisocial lifestyle" in detail


def test_roles_that_do_not_record_them_and_other_partnerships_get_404(world: World) -> None:
    case = make_case(world.triage_officer)
    other = World("Elsewhere")
    for user in (world.advocate, world.probation_practitioner, other.triage_officer, other.clinician):
        client = client_for(user)
        assert client.get(page(case)).status_code == 404, user.role
        assert client.post(page(case), ALL_ANSWERED).status_code == 404, user.role
    case.refresh_from_db()
    assert case.mental_health_services is None and case.mappa is None
    # The case page offers the change only to those who may make it.
    detail = client_for(world.advocate).get(reverse("cases:case_detail", args=[case.pk]))
    assert detail.status_code == 200 and "Evaluation factors" in detail.content.decode()
    assert page(case) not in detail.content.decode()


# --- the order of the checks ---------------------------------------------------------------------------------


def test_a_role_that_may_not_record_them_is_refused_before_anything_is_read_or_logged(
    world: World, agreement: str
) -> None:
    case = make_case(world.triage_officer)
    for user in (world.advocate, world.probation_practitioner):
        client = client_for(user)
        assert client.get(page(case)).status_code == 404
        assert client.post(page(case), ALL_ANSWERED).status_code == 404
        assert not AccessLog.objects.filter(user=user, purpose="evaluation factors").exists(), user.role


# --- an edit made meanwhile --------------------------------------------------------------------------------


def version_on(html: str) -> str:
    found = re.search(r'name="version" value="([^"]*)"', html)
    assert found is not None
    return found.group(1)


def test_a_stale_page_is_refused_and_shows_the_factors_as_they_are_now(world: World) -> None:
    case = make_case(world.triage_officer)
    client = client_for(world.triage_officer)
    seen = version_on(client.get(page(case)).content.decode())
    # Someone else records MAPPA while the page is open.
    assert api_for(world.clinician).patch(url(case), {"mappa": True}, format="json").status_code == 200
    stale = client.post(page(case), {**ALL_ANSWERED, "version": seen})
    assert stale.status_code == 200
    body = stale.content.decode()
    assert "govuk-error-summary" in body and "changed by someone else" in body
    # Nothing of the stale answers was written; the form now holds what is recorded.
    case.refresh_from_db()
    assert (case.mental_health_services, case.probation_involved, case.mappa, case.antisocial_lifestyle) == (
        None,
        None,
        True,
        None,
    )
    assert re.search(r'name="mappa" value="yes"[^>]*checked', body)
    # Sent again with the version it now carries, it is saved.
    fresh = client.post(page(case), {**ALL_ANSWERED, "version": version_on(body)})
    assert fresh.status_code == 302
    case.refresh_from_db()
    assert case.mappa is None and case.mental_health_services is True


def test_a_stale_if_match_gets_412_and_writes_nothing(world: World) -> None:
    case = make_case(world.triage_officer)
    client = api_for(world.triage_officer)
    first = client.get(url(case))
    etag = first["ETag"]
    saved = client.patch(url(case), {"mappa": True}, format="json", HTTP_IF_MATCH=etag)
    assert saved.status_code == 200 and saved["ETag"] != etag
    stale = client.patch(url(case), {"mappa": False}, format="json", HTTP_IF_MATCH=etag)
    assert stale.status_code == 412
    case.refresh_from_db()
    assert case.mappa is True
    assert client.patch(url(case), {"mappa": False}, format="json", HTTP_IF_MATCH=saved["ETag"]).status_code == 200


# --- the case page shows what the selector shaped ------------------------------------------------------------


def test_the_case_page_shows_the_factors_as_the_selector_shapes_them(world: World, agreement: str) -> None:
    from cases import selectors

    case = make_case(world.triage_officer)
    api_for(world.triage_officer).patch(url(case), {"antisocial_lifestyle": True, "mappa": False}, format="json")
    for user in (world.triage_officer, world.advocate, world.clinician):
        factors = selectors.case_detail_for_user(user=user, case_id=case.pk).evaluation_factors
        history_ok = RecordClass.CRIMINAL_HISTORY in selectors.permissions.record_classes_for_user(user=user)
        assert factors.mappa is False
        assert factors.antisocial_lifestyle is (True if history_ok else None)
        assert factors.withheld == ([] if history_ok else ["antisocial_lifestyle"])
        html = client_for(user).get(reverse("cases:case_detail", args=[case.pk])).content.decode()
        card = html.split('data-testid="evaluation-factors"')[1].split("</dl>")[0]
        lifestyle = card.split("Antisocial lifestyle")[1]
        assert ("Yes" in lifestyle) is history_ok, (agreement, user.role)
