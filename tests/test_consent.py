"""A victim's consent: recorded and withdrawn by casework staff who may see her identity, shown at a
glance on the case, refused (404) to those who may not, and the research answer that evaluators' exports ask."""

from __future__ import annotations

import datetime as dt
from typing import IO

import pytest
from django.core.exceptions import ValidationError
from django.http import Http404
from django.test import Client
from django.urls import reverse

from agencies import services as agency_services
from agencies.models import DEFAULT_SHARING, AgencyKind, RecordClass, User
from audit.models import AccessAction, AccessLog
from cases import services as case_services
from cases.models import Case, CaseParty, PartyRole
from consent import selectors, services
from consent.models import Consent, Purpose
from tests.case_factories import make_case
from tests.factories import World

pytestmark = pytest.mark.django_db

TODAY = dt.date.today()


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _victim(case: Case) -> int:
    return CaseParty.objects.get(case=case, role=PartyRole.VICTIM).person_id


def _perpetrator(case: Case) -> int:
    return CaseParty.objects.get(case=case, role=PartyRole.PERPETRATOR).person_id


def _record(world: World, case: Case, purpose: str = Purpose.RESEARCH, given: bool = True) -> Consent:
    return services.consent_record(
        actor=world.advocate,
        case_id=case.pk,
        person_id=_victim(case),
        purpose=purpose,
        given=given,
        given_on=TODAY - dt.timedelta(days=2),
        method="signed",
    )


def test_an_advocate_records_and_withdraws_consent_through_the_pages(world: World) -> None:
    case = make_case(world.triage_officer)
    client = _client(world.advocate)
    empty = client.post(reverse("consent:consent_add", args=[case.pk]), {})
    text = empty.content.decode()
    assert "There is a problem" in text
    for message in ("Choose the victim whose answer this is", "Choose what the consent is for", "Choose her answer"):
        assert message in text
    assert Consent.objects.count() == 0
    done = client.post(
        reverse("consent:consent_add", args=[case.pk]),
        {
            "person": _victim(case),
            "purpose": "contact",
            "given": "yes",
            "given_on_day": TODAY.day,
            "given_on_month": TODAY.month,
            "given_on_year": TODAY.year,
            "method": "phone",
        },
    )
    assert done.status_code == 302
    record = Consent.objects.get()
    assert (record.purpose, record.given, record.method, record.recorded_by_id) == (
        "contact",
        True,
        "phone",
        world.advocate.pk,
    )
    overview = client.get(reverse("cases:case_detail", args=[case.pk])).content.decode()
    assert f'data-testid="consent-{_victim(case)}-contact"' in overview
    withdraw_url = reverse("consent:consent_withdraw", args=[case.pk, record.pk])
    bad = client.post(
        withdraw_url,
        {"method": "email", "withdrawn_on_day": "1", "withdrawn_on_month": "1", "withdrawn_on_year": "2000"},
    )
    assert "Consent cannot be withdrawn before it was given" in bad.content.decode()
    client.post(
        withdraw_url,
        {
            "method": "email",
            "withdrawn_on_day": TODAY.day,
            "withdrawn_on_month": TODAY.month,
            "withdrawn_on_year": TODAY.year,
        },
    )
    record.refresh_from_db()
    assert record.withdrawn_on == TODAY and not record.in_force and record.withdrawn_by_id == world.advocate.pk
    page = client.get(reverse("consent:case_consent", args=[case.pk])).content.decode()
    assert "Withdrawn" in page
    assert AccessLog.objects.filter(action=AccessAction.CHANGE, record_type="consent.consent").count() == 1


def test_only_a_victim_of_this_case_and_only_once_withdrawn(world: World) -> None:
    case = make_case(world.triage_officer)
    with pytest.raises(ValidationError, match="Choose a victim in this case"):
        services.consent_record(
            actor=world.advocate,
            case_id=case.pk,
            person_id=_perpetrator(case),
            purpose=Purpose.RESEARCH,
            given=True,
            given_on=TODAY,
            method="signed",
        )
    record = _record(world, case)
    services.consent_withdraw(actor=world.advocate, consent_id=record.pk, withdrawn_on=TODAY, method="phone")
    with pytest.raises(ValidationError, match="not in force"):
        services.consent_withdraw(actor=world.advocate, consent_id=record.pk, withdrawn_on=TODAY, method="phone")
    refused = _record(world, case, given=False)
    with pytest.raises(ValidationError, match="not in force"):
        services.consent_withdraw(actor=world.advocate, consent_id=refused.pk, withdrawn_on=TODAY, method="phone")


@pytest.mark.parametrize(
    ("role", "sees", "records"),
    [
        ("advocate", True, True),
        ("triage_officer", True, True),
        ("probation_practitioner", True, True),  # probation sees victim identity by default
        ("clinician", False, False),  # health sees neither victim class
        ("programme_manager", True, False),  # police agency, not a casework role
    ],
)
def test_who_sees_and_records_consent(world: World, role: str, sees: bool, records: bool) -> None:
    case = make_case(world.triage_officer)
    record = _record(world, case)
    client = _client(getattr(world, role))
    assert client.get(reverse("consent:case_consent", args=[case.pk])).status_code == (200 if sees else 404)
    assert client.get(reverse("api-consent-case", args=[case.pk])).status_code == (200 if sees else 404)
    assert client.get(reverse("consent:consent_add", args=[case.pk])).status_code == (200 if records else 404)
    withdraw = client.post(
        reverse("api-consent-withdraw", args=[record.pk]), {"withdrawn_on": TODAY, "method": "phone"}
    )
    assert withdraw.status_code == (200 if records else 404)


def test_another_partnership_and_an_agreement_without_identity_are_refused(world: World, other_world: World) -> None:
    case = make_case(world.triage_officer)
    record = _record(world, case)
    outsider = _client(other_world.advocate)
    assert outsider.get(reverse("consent:case_consent", args=[case.pk])).status_code == 404
    assert (
        outsider.post(
            reverse("api-consent-withdraw", args=[record.pk]), {"withdrawn_on": TODAY, "method": "phone"}
        ).status_code
        == 404
    )
    matrix = {k: list(v) for k, v in DEFAULT_SHARING.items()}
    matrix[RecordClass.VICTIM_IDENTITY] = [AgencyKind.ADVOCACY]
    agency_services.agreement_update(actor=world.admin, partnership=world.partnership, matrix=matrix)
    assert _client(world.probation_practitioner).get(reverse("consent:case_consent", args=[case.pk])).status_code == 404
    assert _client(world.triage_officer).get(reverse("api-consent-case", args=[case.pk])).status_code == 404
    assert _client(world.advocate).get(reverse("api-consent-case", args=[case.pk])).status_code == 200


def test_the_api_records_with_field_errors_and_logs_what_it_shows(world: World) -> None:
    case = make_case(world.triage_officer)
    client = _client(world.advocate)
    bad = client.post(
        reverse("api-consent-case", args=[case.pk]),
        {"person": _perpetrator(case), "purpose": "research", "given": True, "given_on": TODAY, "method": "signed"},
        content_type="application/json",
    )
    assert bad.status_code == 400 and "person" in bad.json()
    good = client.post(
        reverse("api-consent-case", args=[case.pk]),
        {"person": _victim(case), "purpose": "research", "given": True, "given_on": TODAY, "method": "signed"},
        content_type="application/json",
    )
    assert good.status_code == 201
    shown = client.get(reverse("api-consent-case", args=[case.pk])).json()
    assert shown["victims"][0]["current"]["research"]["id"] == good.json()["id"]
    assert shown["victims"][0]["current"]["sharing"] is None
    row = AccessLog.objects.filter(action=AccessAction.VIEW, record_type="consent.consent").latest("id")
    assert row.record_ids == [str(good.json()["id"])]


def test_research_consent_in_force_follows_her_newest_answer(world: World) -> None:
    case = make_case(world.triage_officer)
    victim = _victim(case)
    assert selectors.research_consent_in_force([victim]) == set()
    record = _record(world, case)
    _record(world, case, purpose=Purpose.CONTACT, given=False)
    assert selectors.research_consent_in_force([victim, _perpetrator(case)]) == {victim}
    services.consent_withdraw(actor=world.advocate, consent_id=record.pk, withdrawn_on=TODAY, method="phone")
    assert selectors.research_consent_in_force([victim]) == set()
    _record(world, case)
    assert selectors.research_consent_in_force([victim]) == {victim}
    _record(world, case, given=False)
    assert selectors.research_consent_in_force([victim]) == set()


def _bundle_files(stream: IO[bytes]) -> dict[str, list[dict[str, str]]]:
    import csv
    import io
    import zipfile

    with zipfile.ZipFile(stream) as archive:
        return {
            name.rsplit("/", 1)[-1]: list(csv.DictReader(io.StringIO(archive.read(name).decode("utf-8"))))
            for name in archive.namelist()
        }


def test_an_evaluators_identifiable_export_names_only_victims_who_consented_to_research(world: World) -> None:
    from exchange.services import bundle_export_for_user

    unconsented = make_case(world.triage_officer, crime_reference="CH/11111/26")
    consented = make_case(
        world.triage_officer,
        victim_name=("Ruth", "Okafor"),
        perpetrator_name=("Lee", "Grant"),
        crime_reference="CH/22222/26",
    )
    _record(world, consented)
    withdrawn = _record(world, unconsented)
    services.consent_withdraw(actor=world.advocate, consent_id=withdrawn.pk, withdrawn_on=TODAY, method="phone")

    stream, name = bundle_export_for_user(
        actor=world.admin, pseudonymise=False, for_evaluation=True, reason="the evaluation of the programme"
    )
    assert "-evaluation-" in name
    files = _bundle_files(stream)
    people = files["people.csv"]
    names = {(p["given_name"], p["family_name"]) for p in people}
    assert ("Ruth", "Okafor") in names and ("Darren", "Cole") in names and ("Lee", "Grant") in names
    assert ("Hannah", "Mills") not in names
    unnamed = [p for p in people if not p["family_name"]]
    assert len(unnamed) == 1 and unnamed[0]["date_of_birth"] == "" and unnamed[0]["age_band"]
    referrals = {r["victim_ref"]: r for r in files["referrals.csv"]}
    # Her referral points at the same pseudonym, without the crime reference that leads back to her.
    assert referrals[unnamed[0]["person_ref"]]["crime_reference"] == ""
    assert "CH/22222/26" in {r["crime_reference"] for r in files["referrals.csv"]}

    full, _ = bundle_export_for_user(actor=world.admin, pseudonymise=False, reason="moving to a new service")
    assert ("Hannah", "Mills") in {(p["given_name"], p["family_name"]) for p in _bundle_files(full)["people.csv"]}
    # The evaluation export is for those who may handle identities, like the full one.
    with pytest.raises(Http404):
        bundle_export_for_user(actor=world.programme_manager, pseudonymise=False, for_evaluation=True)


def _her_second_case(world: World, case: Case) -> Case:
    """A second case in which the victim of ``case`` is the victim too."""
    second = make_case(world.triage_officer, perpetrator_name=("Lee", "Grant"), crime_reference="CH/99999/26")
    CaseParty.objects.filter(case=second, role=PartyRole.VICTIM).update(person_id=_victim(case))
    return second


@pytest.mark.parametrize(
    ("agreement", "role", "agency"),
    [
        ("default", "probation_practitioner", "probation"),
        ("identity_also_to_health", "clinician", "health"),
    ],
)
def test_consent_recorded_on_a_case_the_reader_cannot_view_does_not_show_on_her_other_case(
    world: World, agreement: str, role: str, agency: str
) -> None:
    if agreement != "default":
        matrix = {k: list(v) for k, v in DEFAULT_SHARING.items()}
        matrix[RecordClass.VICTIM_IDENTITY] = [*matrix[RecordClass.VICTIM_IDENTITY], AgencyKind.HEALTH]
        agency_services.agreement_update(actor=world.admin, partnership=world.partnership, matrix=matrix)
    case = make_case(world.triage_officer)
    second = _her_second_case(world, case)
    here = _record(world, case, purpose=Purpose.CONTACT)
    there = _record(world, second, purpose=Purpose.RESEARCH)
    case_services.case_share_remove(
        actor=world.triage_officer, case=second, agency=getattr(world, agency), reason="Not theirs"
    )
    victim = _victim(case)
    client = _client(getattr(world, role))
    # The case the answer was recorded on is out of reach...
    assert client.get(reverse("consent:case_consent", args=[second.pk])).status_code == 404
    assert client.get(reverse("api-consent-case", args=[second.pk])).status_code == 404
    # ...and her other case does not show it: not in the API, the page or the overview's card.
    shown = client.get(reverse("api-consent-case", args=[case.pk])).json()
    [her] = shown["victims"]
    assert [r["id"] for r in her["records"]] == [here.pk]
    assert her["current"]["research"] is None and her["current"]["contact"]["id"] == here.pk
    row = AccessLog.objects.filter(action=AccessAction.VIEW, record_type="consent.consent").latest("id")
    assert row.record_ids == [str(here.pk)]
    page = client.get(reverse("consent:case_consent", args=[case.pk])).content.decode()
    overview = client.get(reverse("cases:case_detail", args=[case.pk])).content.decode()
    for html in (page, overview):
        research = html.split(f'data-testid="consent-{victim}-research">')[1].split("</dd>")[0]
        assert "Not asked" in research
        assert "Given" in html.split(f'data-testid="consent-{victim}-contact">')[1].split("</dd>")[0]
    # An advocate who holds both cases sees both answers on either.
    both = _client(world.advocate).get(reverse("api-consent-case", args=[case.pk])).json()
    assert sorted(r["id"] for r in both["victims"][0]["records"]) == sorted([here.pk, there.pk])


def test_the_withdraw_link_on_her_other_case_opens_the_answer_on_its_own_case(world: World) -> None:
    """Her answer recorded on her second case shows on the first; its Withdraw link names the
    case it was recorded on, and following it withdraws it."""
    case = make_case(world.triage_officer)
    second = _her_second_case(world, case)
    there = _record(world, second, purpose=Purpose.RESEARCH)
    client = _client(world.advocate)
    page = client.get(reverse("consent:case_consent", args=[case.pk])).content.decode()
    href = page.split(f'data-testid="withdraw-{there.pk}"')[0].rsplit('href="', 1)[1].split('"')[0]
    assert href == reverse("consent:consent_withdraw", args=[second.pk, there.pk])
    form = client.get(href)
    assert form.status_code == 200
    done = client.post(
        href,
        {
            "method": "phone",
            "withdrawn_on_day": TODAY.day,
            "withdrawn_on_month": TODAY.month,
            "withdrawn_on_year": TODAY.year,
        },
    )
    assert done.status_code == 302
    there.refresh_from_db()
    assert there.withdrawn_on == TODAY and there.withdrawn_by_id == world.advocate.pk
    # Withdrawn, it offers no link any more; a reader without the right to record sees none either.
    assert (
        f'data-testid="withdraw-{there.pk}"'
        not in client.get(reverse("consent:case_consent", args=[case.pk])).content.decode()
    )
    given = _record(world, second, purpose=Purpose.CONTACT)
    manager = _client(world.programme_manager).get(reverse("consent:case_consent", args=[case.pk])).content.decode()
    assert f'data-testid="withdraw-{given.pk}"' not in manager and "/withdraw/" not in manager
