"""The perpetrator's history in view: a repeat-perpetrator banner with his other cases as the
reader may see them, criminal history from his other cases, and intake that preselects no
match candidate and lets one be opened for comparison."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from agencies.models import User
from cases import services
from cases.models import Case, CaseParty, PartyRole
from tests.case_factories import make_case
from tests.factories import World

pytestmark = pytest.mark.django_db

EARLIER_HISTORY = "Two previous harassment convictions (2019, 2022)."  # as make_case records it


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def perpetrator_id(case: Case) -> int:
    return CaseParty.objects.get(case=case, role=PartyRole.PERPETRATOR, is_primary=True).person_id


def repeat_cases(world: World) -> tuple[Case, Case, Case]:
    """An earlier case, a second one not shared with probation, and a new referral linking
    the same perpetrator with no criminal history of its own."""
    earlier = make_case(world.triage_officer, received_on=dt.date.today() - dt.timedelta(days=400))
    person = perpetrator_id(earlier)
    hidden = make_case(
        world.triage_officer, link_perpetrator_id=person, received_on=dt.date.today() - dt.timedelta(days=200)
    )
    services.case_share_remove(
        actor=world.admin, case=hidden, agency=world.probation, reason="Held back from probation."
    )
    new = make_case(world.triage_officer, link_perpetrator_id=person)
    CaseParty.objects.filter(case__in=[hidden, new], role=PartyRole.PERPETRATOR).update(criminal_history="")
    return earlier, hidden, new


def test_the_new_case_shows_the_repeat_banner_and_earlier_history(world: World) -> None:
    earlier, hidden, new = repeat_cases(world)
    html = client_for(world.triage_officer).get(reverse("cases:case_detail", args=[new.pk])).content.decode()
    assert 'data-testid="repeat-perpetrator"' in html
    assert "Darren Cole is the perpetrator in 2 other cases." in html
    assert earlier.reference in html and hidden.reference in html
    assert "not shared with your agency" not in html
    history = html.split('data-testid="criminal-history"')[1].split("</dd>")[0]
    assert "None recorded on this case." in history
    assert earlier.reference in history and EARLIER_HISTORY in history


def test_a_case_not_shared_is_counted_but_not_named(world: World) -> None:
    earlier, hidden, new = repeat_cases(world)
    html = client_for(world.probation_practitioner).get(reverse("cases:case_detail", args=[new.pk])).content.decode()
    banner = html.split('data-testid="repeat-perpetrator"')[1].split("</ul>")[0]
    assert earlier.reference in banner and "A case not shared with your agency" in banner
    assert hidden.reference not in html


def test_a_restricted_case_not_opened_to_the_reader_is_not_even_counted(world: World) -> None:
    _earlier, hidden, new = repeat_cases(world)
    Case.objects.filter(pk=hidden.pk).update(is_restricted=True)
    html = client_for(world.probation_practitioner).get(reverse("cases:case_detail", args=[new.pk])).content.decode()
    assert "in 1 other case." in html and "not shared with your agency" not in html


def test_a_first_time_perpetrator_has_no_banner(world: World) -> None:
    case = make_case(world.triage_officer)
    html = client_for(world.triage_officer).get(reverse("cases:case_detail", args=[case.pk])).content.decode()
    assert 'data-testid="repeat-perpetrator"' not in html
    assert EARLIER_HISTORY in html


def test_the_api_gives_the_same_history(world: World) -> None:
    earlier, _hidden, new = repeat_cases(world)
    client = APIClient()
    client.force_login(world.probation_practitioner)
    body = client.get(f"/api/v1/cases/{new.pk}/").json()
    (history,) = body["perpetrator_history"]
    assert history["person_id"] == perpetrator_id(new)
    assert [o["reference"] for o in history["others"]] == [None, earlier.reference]
    assert history["others"][1]["criminal_history"] == EARLIER_HISTORY
    assert history["others"][0]["criminal_history"] == ""


# --- intake --------------------------------------------------------------------------------------------------


def intake_data(**overrides: str) -> dict[str, str]:
    received = dt.date.today() - dt.timedelta(days=2)
    data = {
        "received_on_day": str(received.day),
        "received_on_month": str(received.month),
        "received_on_year": str(received.year),
        "referring_agency_kind": "police",
        "crime_references": "CH/55555/26",
        "offence": "s2a_stalking",
        "referral_reason": "arrest",
        "relationship": "ex_intimate",
        "summary": "Followed the victim home twice.",
        "victim-given_name": "Rosa",
        "victim-family_name": "Linden",
        "victim-gender": "female",
        "victim-link": "new",
        "perpetrator-pnc_id": "19/123456a",
        "perpetrator-gender": "male",
    }
    data.update(overrides)
    return data


def test_intake_preselects_no_candidate_and_asks_for_a_choice(world: World) -> None:
    existing = make_case(world.triage_officer, perpetrator_pnc="19/123456A")
    client = client_for(world.triage_officer)
    checked = client.post(reverse("cases:referral_new"), {**intake_data(), "check": "perpetrator"}).content.decode()
    radios = re.findall(r'<input class="govuk-radios__input"[^>]*name="perpetrator-link"[^>]*>', checked)
    assert len(radios) == 2 and not any("checked" in r for r in radios)
    compare = reverse("people:person_detail", args=[perpetrator_id(existing)])
    assert f'href="{compare}"' in checked and 'data-testid="compare-candidate"' in checked
    before = Case.objects.count()
    unchosen = client.post(reverse("cases:referral_new"), {**intake_data(), "perpetrator-candidates_shown": "True"})
    assert unchosen.status_code == 200
    # The error summary names whose form it is ("Perpetrator: choose whether ...").
    assert "choose whether the perpetrator is one of the existing records found" in unchosen.content.decode().lower()
    assert Case.objects.count() == before
    chosen = client.post(
        reverse("cases:referral_new"),
        {**intake_data(), "perpetrator-candidates_shown": "True", "perpetrator-link": "new"},
    )
    assert chosen.status_code == 302 and Case.objects.count() == before + 1


# --- what is logged, and the advocate's view -------------------------------------------------------------------


def test_the_other_cases_named_on_the_page_are_logged_and_the_unshared_one_is_not(world: World) -> None:
    from audit.models import AccessLog

    earlier, hidden, new = repeat_cases(world)
    client_for(world.probation_practitioner).get(reverse("cases:case_detail", args=[new.pk]))
    rows = list(
        AccessLog.objects.filter(user=world.probation_practitioner, purpose="perpetrator history").values_list(
            "record_type", "record_ids"
        )
    )
    # The earlier case is named on the page (with its criminal history); the one not shared
    # with probation is only counted, so it is not logged as looked at.
    assert rows == [("cases.case", [str(earlier.pk)])]
    client_for(world.triage_officer).get(reverse("cases:case_detail", args=[new.pk]))
    [seen] = AccessLog.objects.filter(user=world.triage_officer, purpose="perpetrator history").values_list(
        "record_ids", flat=True
    )
    assert sorted(seen) == sorted([str(earlier.pk), str(hidden.pk)])


def test_the_advocate_sees_the_other_cases_and_their_history_as_the_agreement_allows(
    world: World, agreement: str
) -> None:
    from agencies.models import RecordClass
    from agencies.selectors import record_classes_for_user
    from tests.test_safety_gateway import unshare_from

    earlier, hidden, new = repeat_cases(world)
    unshare_from(hidden, world.advocacy)
    html = client_for(world.advocate).get(reverse("cases:case_detail", args=[new.pk])).content.decode()
    banner = html.split('data-testid="repeat-perpetrator"')[1].split("</ul>")[0]
    assert earlier.reference in banner and "A case not shared with your agency" in banner
    assert hidden.reference not in html
    history_ok = RecordClass.CRIMINAL_HISTORY in record_classes_for_user(user=world.advocate)
    # The default agreement keeps criminal history from advocacy; the others give it.
    assert history_ok is (agreement != "default")
    assert (EARLIER_HISTORY in html) is history_ok
    assert ('data-testid="criminal-history"' in html) is history_ok
