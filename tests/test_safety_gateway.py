"""Victim safety is a property of the person: the holes of linking, break-glass, matching and export.

Each test here failed before the per-person rule and the intake offers: it names the hole
it holds. The agreements used are the default and others made for the test, so that a rule
that only holds by the default's accident is caught.
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from typing import Any

from django.test import Client
from django.urls import reverse
from guardian.shortcuts import assign_perm
from rest_framework.test import APIClient

from agencies.models import AgencyKind, RecordClass, User
from cases import services
from cases.models import (
    Address,
    BreakGlassAccess,
    Case,
    CaseGroupObjectPermission,
    CaseParty,
    ContactDetail,
    PartyRole,
    Person,
    SafeContactPreference,
)
from exchange.services import bundle_export_for_user
from tests.agreements import set_agreement
from tests.case_factories import VICTIM_ADDRESS, VICTIM_CODE_WORD, VICTIM_PHONE, make_case
from tests.factories import World, make_user

MARKERS = (VICTIM_ADDRESS, VICTIM_CODE_WORD, VICTIM_PHONE)


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def api(user: User) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


def victim_of(case: Case) -> Person:
    return CaseParty.objects.get(case=case, role=PartyRole.VICTIM, is_primary=True).person


def unshare_from(case: Case, *agencies: Any) -> None:
    CaseGroupObjectPermission.objects.filter(content_object=case, group__in=[a.group for a in agencies]).delete()


def intake_post(perpetrator_link: str, **extra: str) -> dict[str, str]:
    today = dt.date.today() - dt.timedelta(days=1)
    return {
        "received_on_day": str(today.day),
        "received_on_month": str(today.month),
        "received_on_year": str(today.year),
        "referring_agency_kind": "probation",
        "offence": "s4a_stalking",
        "referral_reason": "arrest",
        "relationship": "ex_intimate",
        "victim-given_name": "Dummy",
        "victim-family_name": "Victim",
        "victim-gender": "female",
        "perpetrator-link": perpetrator_link,
        "perpetrator-given_name": "Any",
        "perpetrator-family_name": "Name",
        "perpetrator-gender": "unknown",
        **extra,
    }


def referral_payload(perpetrator: dict[str, Any]) -> dict[str, Any]:
    return {
        "received_on": (dt.date.today() - dt.timedelta(days=1)).isoformat(),
        "referring_agency_kind": "probation",
        "offence": "s4a_stalking",
        "referral_reason": "arrest",
        "relationship": "ex_intimate",
        "people": [
            {"role": "victim", "person": {"given_name": "Dummy", "family_name": "Victim"}},
            {"role": "perpetrator", **perpetrator},
        ],
    }


def location_rows(person: Person) -> tuple[Any, ...]:
    safe = SafeContactPreference.objects.filter(person=person).values_list("code_word", "safe_times").first()
    return (
        sorted(Address.objects.filter(person=person).values_list("line_1", flat=True)),
        sorted(ContactDetail.objects.filter(person=person).values_list("value", flat=True)),
        safe,
    )


# --- hole 1: linking a person exposes and overwrites a victim's location ------------------------------------


def test_a_person_id_posted_as_a_link_on_the_intake_page_links_nobody(world: World, agreement: str) -> None:
    hidden = make_case(world.triage_officer)
    unshare_from(hidden, world.probation, world.health)
    victim = victim_of(hidden)
    cases_before = Case.objects.count()
    for user in (world.probation_practitioner, world.clinician):
        response = client_for(user).post(reverse("cases:referral_new"), intake_post(str(victim.pk)))
        assert response.status_code == 200
        html = response.content.decode()
        assert "govuk-error-summary" in html
        assert not any(marker in html for marker in MARKERS)
    assert Case.objects.count() == cases_before
    assert not CaseParty.objects.filter(person=victim).exclude(case=hidden).exists()


def test_the_api_links_only_a_person_the_user_can_see_and_writes_nothing_onto_her(world: World, agreement: str) -> None:
    hidden = make_case(world.triage_officer)
    unshare_from(hidden, world.probation)
    victim = victim_of(hidden)
    before = location_rows(victim)
    payload = referral_payload(
        {
            "link_person_id": victim.pk,
            "person": {
                "addresses": [{"line_1": "1 Attacker Road", "postcode": "CH1 1AA"}],
                "contacts": [{"kind": "mobile", "value": "07700 900999"}],
                "safe_contact": {"code_word": "overwritten", "channels": ["text"]},
            },
        }
    )
    cases_before = Case.objects.count()
    response = api(world.probation_practitioner).post("/api/v1/referrals/", payload, format="json")
    assert response.status_code == 400 and "people" in response.json()
    assert Case.objects.count() == cases_before
    assert location_rows(victim) == before


def test_a_match_offer_links_once_for_its_user_only(world: World) -> None:
    make_case(world.triage_officer, perpetrator_pnc="19/123456A")
    offers = api(world.triage_officer).post("/api/v1/people/match/", {"pnc_id": "19/123456A"}, format="json").json()
    assert len(offers) == 1
    token = offers[0]["link_token"]
    assert token and token != str(offers[0]["person_id"])
    # Another member of staff cannot use it.
    other = make_user(world.police, "triage_officer")
    refused = api(other).post("/api/v1/referrals/", referral_payload({"link_token": token}), format="json")
    assert refused.status_code == 400 and "people" in refused.json()
    # A tampered one names nobody.
    tampered = api(world.triage_officer).post(
        "/api/v1/referrals/", referral_payload({"link_token": token[:-2] + "xx"}), format="json"
    )
    assert tampered.status_code == 400
    first = api(world.triage_officer).post("/api/v1/referrals/", referral_payload({"link_token": token}), format="json")
    assert first.status_code == 201
    assert (
        CaseParty.objects.get(case_id=first.json()["case"]["id"], role=PartyRole.PERPETRATOR).person_id
        == offers[0]["person_id"]
    )
    again = api(world.triage_officer).post("/api/v1/referrals/", referral_payload({"link_token": token}), format="json")
    assert again.status_code == 400 and "people" in again.json()


def test_an_offered_victim_linked_as_perpetrator_keeps_her_location(world: World, agreement: str) -> None:
    """Police may see victim locations, but not this victim's: her case is shared with advocacy only."""
    hidden = make_case(world.triage_officer, victim_name=("Grace", "Holloway"))
    unshare_from(hidden, world.police, world.probation, world.health)
    victim = victim_of(hidden)
    before = location_rows(victim)
    officer = make_user(world.police, "triage_officer")
    offers = (
        api(officer)
        .post(
            "/api/v1/people/match/",
            {"given_name": "Grace", "family_name": "Holloway", "date_of_birth": "1990-06-01"},
            format="json",
        )
        .json()
    )
    offer = next(o for o in offers if o["person_id"] == victim.pk)
    # Writing her contact details through the link is refused, and nothing is written.
    with_details = referral_payload(
        {"link_token": offer["link_token"], "person": {"safe_contact": {"code_word": "overwritten"}}}
    )
    refused = api(officer).post("/api/v1/referrals/", with_details, format="json")
    assert refused.status_code == 400 and "people" in refused.json()
    assert location_rows(victim) == before
    # The same offer (not consumed by the refusal) links her without details...
    linked = api(officer).post(
        "/api/v1/referrals/", referral_payload({"link_token": offer["link_token"]}), format="json"
    )
    assert linked.status_code == 201
    new_case = Case.objects.get(pk=linked.json()["case"]["id"])
    # ...and she appears on the new case, as its perpetrator, without her location.
    for user in (officer, world.probation_practitioner, world.clinician):
        for url in (
            reverse("cases:case_detail", args=[new_case.pk]),
            reverse("people:person_detail", args=[victim.pk]),
        ):
            response = client_for(user).get(url)
            if response.status_code == 404:
                continue
            html = response.content.decode()
            assert not any(marker in html for marker in MARKERS), (user.role, url)
        answer = api(user).get(f"/api/v1/cases/{new_case.pk}/")
        if answer.status_code == 200:
            body = answer.content.decode()
            assert not any(marker in body for marker in MARKERS), user.role
    # Her advocate holds her case and her location, so sees it wherever she appears.
    page = client_for(world.advocate).get(reverse("cases:case_detail", args=[new_case.pk]))
    assert page.status_code == 200 and VICTIM_ADDRESS in page.content.decode()


def test_location_is_withheld_wherever_she_is_a_victim_in_a_case_the_reader_cannot_see(world: World) -> None:
    """The rule itself: her role in the case on screen does not decide."""
    from cases import permissions

    hidden = make_case(world.triage_officer, victim_name=("Grace", "Holloway"))
    victim = victim_of(hidden)
    # Her own markers: every factory victim shares the default ones.
    Address.objects.filter(person=victim).update(line_1="7 Marigold Lane")
    ContactDetail.objects.filter(person=victim).update(value="07700 911111")
    SafeContactPreference.objects.filter(person=victim).update(code_word="marigold")
    hers = ("7 Marigold Lane", "07700 911111", "marigold")
    # A case police can see in which she is the perpetrator (a counter-allegation).
    seen = make_case(world.triage_officer, perpetrator_name=("Lee", "Ward"), victim_name=("Lee", "Ward"))
    CaseParty.objects.filter(case=seen, role=PartyRole.PERPETRATOR).update(person=victim)
    assert permissions.may_see_person_location(world.triage_officer, victim.pk)
    unshare_from(hidden, world.police)
    officer = User.objects.get(pk=world.triage_officer.pk)
    assert not permissions.may_see_person_location(officer, victim.pk)
    for url in (reverse("cases:case_detail", args=[seen.pk]), reverse("people:person_detail", args=[victim.pk])):
        html = client_for(officer).get(url).content.decode()
        assert "Grace" in html  # police may see victim identity: she is named
        assert not any(marker in html for marker in hers), url
    body = api(officer).get(f"/api/v1/cases/{seen.pk}/").content.decode()
    assert "Grace" in body and not any(marker in body for marker in hers)
    # Health, without victim identity, does not see her name as the perpetrator either.
    html = client_for(world.clinician).get(reverse("cases:case_detail", args=[seen.pk])).content.decode()
    assert "Holloway" not in html


def test_nobody_in_a_restricted_case_is_offered_to_someone_it_is_not_opened_to(world: World) -> None:
    hidden = make_case(world.triage_officer, victim_name=("Grace", "Holloway"), perpetrator_pnc="19/123456A")
    terms = {"given_name": "Grace", "family_name": "Holloway", "date_of_birth": "1990-06-01"}
    assert len(api(world.triage_officer).post("/api/v1/people/match/", terms, format="json").json()) == 1
    Case.objects.filter(pk=hidden.pk).update(is_restricted=True)
    for user in (world.triage_officer, world.admin, world.probation_practitioner):
        assert api(user).post("/api/v1/people/match/", terms, format="json").json() == []
        assert api(user).post("/api/v1/people/match/", {"pnc_id": "19/123456A"}, format="json").json() == []
    # A personal grant opens the case, and with it the offer.
    assign_perm("cases.view_case", world.triage_officer, Case.objects.get(pk=hidden.pk))
    assert len(api(world.triage_officer).post("/api/v1/people/match/", terms, format="json").json()) == 1


# --- hole 4: break-glass ---------------------------------------------------------------------------------------


def test_break_glass_does_not_open_a_restricted_case(world: World, agreement: str) -> None:
    case = make_case(world.triage_officer)
    Case.objects.filter(pk=case.pk).update(is_restricted=True)
    for user in (world.probation_practitioner, world.clinician, world.advocate):
        response = api(user).post(
            f"/api/v1/cases/{case.pk}/break-glass/", {"reason": "Urgent safeguarding concern tonight"}, format="json"
        )
        assert response.status_code == 404
        assert client_for(user).get(reverse("cases:case_detail", args=[case.pk])).status_code == 404
    assert not BreakGlassAccess.objects.filter(case=case).exists()


def test_a_break_glass_window_cannot_add_a_permanent_share(world: World) -> None:
    case = make_case(world.triage_officer)
    unshare_from(case, world.police)
    outsider = make_user(world.police, "triage_officer")
    services.break_glass_open(actor=outsider, case_id=case.pk, reason="Urgent safeguarding concern tonight")
    assert client_for(outsider).get(reverse("cases:case_detail", args=[case.pk])).status_code == 200
    shares_before = CaseGroupObjectPermission.objects.filter(content_object=case).count()
    response = api(outsider).post(
        f"/api/v1/cases/{case.pk}/shares/", {"agency": world.police.pk, "reason": "keep it"}, format="json"
    )
    assert response.status_code == 404
    page = client_for(outsider).post(
        reverse("cases:case_sharing", args=[case.pk]),
        {"action": "add", "add-agency": world.police.pk, "add-reason": "keep it"},
    )
    assert page.status_code == 404
    assert CaseGroupObjectPermission.objects.filter(content_object=case).count() == shares_before


# --- hole 5: match candidates --------------------------------------------------------------------------------


def test_match_candidates_do_not_confirm_a_victim_to_an_agency_without_victim_identity(world: World) -> None:
    make_case(world.triage_officer, victim_name=("Grace", "Holloway"))
    terms = {"given_name": "Grace", "family_name": "Holloway", "date_of_birth": "1990-06-01"}
    assert api(world.clinician).post("/api/v1/people/match/", terms, format="json").json() == []
    wrong_date = {**terms, "date_of_birth": "1991-01-01"}
    assert api(world.clinician).post("/api/v1/people/match/", wrong_date, format="json").json() == []
    # Where the agreement grants health victim identity, she is a candidate: the rule, not an accident.
    set_agreement(world.partnership, {AgencyKind.HEALTH: {RecordClass.VICTIM_IDENTITY}})
    clinician = User.objects.get(pk=world.clinician.pk)
    found = api(clinician).post("/api/v1/people/match/", terms, format="json").json()
    assert [c["name"] for c in found] == ["Grace Holloway"]


# --- hole 6: the full export and restricted cases ------------------------------------------------------------


def _exported(user: User) -> str:
    stream, _name = bundle_export_for_user(actor=user, pseudonymise=False, reason="moving to a new service")
    with zipfile.ZipFile(io.BytesIO(stream.read())) as archive:
        return "\n".join(archive.read(name).decode() for name in archive.namelist())


def test_the_full_export_leaves_out_restricted_cases_the_admin_holds_no_grant_for(world: World) -> None:
    open_case = make_case(world.triage_officer, victim_name=("Open", "Casey"))
    restricted = make_case(world.triage_officer, victim_name=("Grace", "Holloway"), perpetrator_name=("Ivan", "Rusk"))
    Case.objects.filter(pk=restricted.pk).update(is_restricted=True)
    assert client_for(world.admin).get(reverse("cases:case_detail", args=[restricted.pk])).status_code == 404
    exported = _exported(world.admin)
    assert open_case.referral.ref in exported and "Casey" in exported
    assert restricted.referral.ref not in exported
    assert "Holloway" not in exported and "Rusk" not in exported
    # With a personal grant the admin sees the case, and the export carries it.
    assign_perm("cases.view_case", world.admin, Case.objects.get(pk=restricted.pk))
    exported = _exported(world.admin)
    assert restricted.referral.ref in exported and "Holloway" in exported
