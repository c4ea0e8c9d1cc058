"""Safe-contact guardrails: a way the victim has not agreed is refused without a reason,
personal details in shareable text are refused until confirmed, and telling the victim of a
key event logs the contact in the same step; on pages and in the API alike."""

from __future__ import annotations

import datetime as dt
import logging
import re
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from advocacy import guardrails, services
from advocacy.models import ContactLogEntry, VictimNotice
from agencies.models import User
from cases import services as case_services
from cases.models import Case, SafeContactPreference
from tests.advocacy_factories import contact_input, victim_id
from tests.case_factories import make_case
from tests.factories import World

pytestmark = pytest.mark.django_db

# The victim of make_case agreed phone only.
REASON = "She texted first from a new phone and asked for a reply by text."


def assigned_case(world: World) -> Case:
    case = make_case(world.triage_officer)
    services.advocate_assign(actor=world.advocate, case=case, advocate=world.advocate)
    return case


def untold_notice(world: World, case: Case) -> VictimNotice:
    event = services.key_event_record(
        actor=world.triage_officer,
        case=case,
        data=services.KeyEventInput(kind="release_from_custody", occurs_on=timezone.localdate()),
    )
    return VictimNotice.objects.get(key_event=event)


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def date_fields(name: str, day: dt.date) -> dict[str, str]:
    return {f"{name}_day": str(day.day), f"{name}_month": str(day.month), f"{name}_year": str(day.year)}


# --- what counts as personal details -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "kinds"),
    [
        ("Call her on 07911 123456 after six.", ["a phone number"]),
        ("Her landline is 020 7946 0018.", ["a phone number"]),
        ("Write to jo.bloggs+safe@example.org instead.", ["an e-mail address"]),
        ("She has moved to 12 Acacia Road, LS1 4AP.", ["a street address", "a postcode"]),
        ("Postcode is m11ae now.", ["a postcode"]),
        ("Crime reference 13/123456/26, PNC 2019/0012345A, court on 12/01/2026 at 09:30.", []),
        ("Talked through the bail conditions for 20 minutes.", []),
    ],
)
def test_personal_details_are_found_and_references_are_not(text: str, kinds: list[str]) -> None:
    assert guardrails.personal_details_in(text) == kinds


# --- the services -------------------------------------------------------------------------------------------


def test_an_unsafe_way_is_refused_without_a_reason_and_kept_with_one(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    case = assigned_case(world)
    with pytest.raises(ValidationError) as refused:
        services.contact_record(actor=world.advocate, case=case, data=contact_input(channel="text"))
    assert (
        "Text message is not a way the victim has agreed is safe"
        in refused.value.message_dict["unsafe_method_reason"][0]
    )
    assert not ContactLogEntry.objects.filter(case=case).exists()
    with caplog.at_level(logging.WARNING, logger="advocacy.services"):
        entry = services.contact_record(
            actor=world.advocate, case=case, data=contact_input(channel="text", unsafe_method_reason=REASON)
        )
    assert entry.unsafe_method_reason == REASON
    assert entry.versions.get().unsafe_method_reason == REASON
    logged = [r.getMessage() for r in caplog.records if "not agreed is safe" in r.getMessage()]
    assert logged == [
        f"Contact {entry.pk} on case {case.pk} made by a way the victim has not agreed is safe (text), with a reason"
    ]
    # The reason itself (possibly personal) never reaches the log.
    assert REASON not in caplog.text


def test_a_safe_way_needs_no_reason_and_keeps_none(world: World) -> None:
    case = assigned_case(world)
    entry = services.contact_record(
        actor=world.advocate, case=case, data=contact_input(channel="phone", unsafe_method_reason="Not needed.")
    )
    assert entry.unsafe_method_reason == ""


def test_without_agreed_ways_no_way_is_refused(world: World) -> None:
    case = assigned_case(world)
    SafeContactPreference.objects.filter(person_id=victim_id(case)).update(channels=[])
    entry = services.contact_record(actor=world.advocate, case=case, data=contact_input(channel="email"))
    assert entry.channel == "email" and entry.unsafe_method_reason == ""


def test_personal_details_in_the_summary_are_refused_until_confirmed(world: World) -> None:
    case = assigned_case(world)
    summary = "New number 07911 123456, moved to 12 Acacia Road."
    with pytest.raises(ValidationError) as refused:
        services.contact_record(actor=world.advocate, case=case, data=contact_input(summary=summary))
    message = refused.value.message_dict["summary"][0]
    assert "a phone number and a street address" in message
    assert not ContactLogEntry.objects.filter(case=case).exists()
    entry = services.contact_record(
        actor=world.advocate, case=case, data=contact_input(summary=summary, personal_details_confirmed=True)
    )
    assert entry.summary == summary


def test_both_guardrails_answer_at_once(world: World) -> None:
    case = assigned_case(world)
    with pytest.raises(ValidationError) as refused:
        services.contact_record(
            actor=world.advocate, case=case, data=contact_input(channel="email", summary="Mail her at a@b.org")
        )
    assert set(refused.value.message_dict) == {"unsafe_method_reason", "summary"}


def test_a_correction_asks_again_only_about_what_changed(world: World) -> None:
    case = assigned_case(world)
    entry = services.contact_record(
        actor=world.advocate, case=case, data=contact_input(channel="text", unsafe_method_reason=REASON)
    )
    # Same way, new summary: the reason given stays, nothing is asked again.
    changed = services.contact_update(
        actor=world.advocate,
        entry=entry,
        data=contact_input(channel="text", summary="Texted back.", occurred_at=entry.occurred_at),
        reason="Fuller summary.",
    )
    assert changed.unsafe_method_reason == REASON
    # Another unsafe way: a new reason is needed.
    with pytest.raises(ValidationError) as refused:
        services.contact_update(
            actor=world.advocate,
            entry=changed,
            data=contact_input(channel="email", summary="Texted back.", occurred_at=entry.occurred_at),
            reason="It was an e-mail.",
        )
    assert "unsafe_method_reason" in refused.value.message_dict
    # Back to a safe way: the override goes.
    safe = services.contact_update(
        actor=world.advocate,
        entry=changed,
        data=contact_input(channel="phone", summary="Texted back.", occurred_at=entry.occurred_at),
        reason="It was a call.",
    )
    assert safe.unsafe_method_reason == ""


def test_telling_the_victim_logs_the_contact_in_the_same_step(world: World) -> None:
    case = assigned_case(world)
    notice = untold_notice(world, case)
    told_at = timezone.now() - dt.timedelta(minutes=5)
    told = services.victim_told(actor=world.advocate, notice=notice, told_at=told_at, method="phone", note="")
    contact = told.told_contact
    assert contact is not None
    assert (contact.case_id, contact.person_id, contact.channel, contact.direction, contact.topics) == (
        case.pk,
        notice.person_id,
        "phone",
        "to_victim",
        ["criminal_justice_update"],
    )
    assert contact.occurred_at == told_at
    assert contact.summary.startswith("Told of the key event: Release from custody")


def test_telling_by_an_unsafe_way_or_with_details_is_refused_and_nothing_is_written(world: World) -> None:
    case = assigned_case(world)
    notice = untold_notice(world, case)
    with pytest.raises(ValidationError) as refused:
        services.victim_told(
            actor=world.advocate, notice=notice, told_at=timezone.now(), method="text", note="Reach her on 07911 123456"
        )
    assert set(refused.value.message_dict) == {"unsafe_method_reason", "note"}
    notice.refresh_from_db()
    assert notice.told_at is None and not ContactLogEntry.objects.filter(case=case).exists()
    told = services.victim_told(
        actor=world.advocate, notice=notice, told_at=timezone.now(), method="text", unsafe_method_reason=REASON
    )
    assert told.told_method == "text" and told.told_contact is not None
    assert told.told_contact.unsafe_method_reason == REASON


def test_told_twice_leaves_one_contact(world: World) -> None:
    case = assigned_case(world)
    notice = untold_notice(world, case)
    services.victim_told(actor=world.advocate, notice=notice, told_at=timezone.now(), method="phone")
    with pytest.raises(ValidationError):
        services.victim_told(actor=world.advocate, notice=notice, told_at=timezone.now(), method="phone")
    assert ContactLogEntry.objects.filter(case=case).count() == 1


# --- the pages ----------------------------------------------------------------------------------------------


def contact_post(**overrides: Any) -> dict[str, Any]:
    when = timezone.localtime() - dt.timedelta(hours=1)
    data: dict[str, Any] = {
        **date_fields("contact-occurred_on", when.date()),
        "contact-occurred_time": f"{when:%H:%M}",
        "contact-channel": "phone",
        "contact-direction": "to_victim",
        "contact-topics": ["safety_planning"],
        "contact-summary": "Talked through the bail conditions.",
    }
    data.update({f"contact-{k}": v for k, v in overrides.items()})
    return data


def test_the_contact_form_marks_the_unsafe_ways(world: World) -> None:
    case = assigned_case(world)
    html = client_for(world.advocate).get(reverse("advocacy:contact_add", args=[case.pk])).content.decode()
    assert ">Phone</label>" in html
    for label in ("Text message", "E-mail", "In person", "Video call", "Letter"):
        assert f">{label}{' (not agreed as safe)'}</label>" in html, label
    assert "Reason for using a way not agreed as safe" in html


def test_the_contact_page_refuses_then_records_the_override_and_shows_it(world: World) -> None:
    case = assigned_case(world)
    client = client_for(world.advocate)
    url = reverse("advocacy:contact_add", args=[case.pk])
    refused = client.post(url, contact_post(channel="email", summary="Mail her at jo@example.org"))
    assert refused.status_code == 200
    html = refused.content.decode()
    assert "govuk-error-summary" in html
    assert "E-mail is not a way the victim has agreed is safe" in html
    assert "looks like it holds an e-mail address" in html
    assert "The personal details in the summary are safe to share" in html
    assert not ContactLogEntry.objects.filter(case=case).exists()
    done = client.post(
        url,
        contact_post(
            channel="email",
            summary="Mail her at jo@example.org",
            unsafe_method_reason=REASON,
            personal_details_confirmed="on",
        ),
    )
    assert done.status_code == 302
    entry = ContactLogEntry.objects.get(case=case)
    assert entry.unsafe_method_reason == REASON
    log = client.get(reverse("advocacy:contact_log", args=[case.pk])).content.decode()
    assert 'data-testid="unsafe-method"' in log and REASON in log
    detail = client.get(reverse("advocacy:contact_detail", args=[case.pk, entry.pk])).content.decode()
    assert 'data-testid="unsafe-method"' in detail and REASON in detail


def test_the_notice_page_tells_and_logs_in_one_step(world: World) -> None:
    case = assigned_case(world)
    notice = untold_notice(world, case)
    client = client_for(world.advocate)
    url = reverse("advocacy:notice_told", args=[case.pk, notice.pk])
    page = client.get(url).content.decode()
    assert ">Text message (not agreed as safe)</label>" in page and "Log the contact as well" not in page
    when = timezone.localtime() - dt.timedelta(minutes=10)
    fields = {**date_fields("told_on", when.date()), "told_time": f"{when:%H:%M}"}
    refused = client.post(url, {**fields, "method": "text"})
    assert refused.status_code == 200 and "Text message is not a way" in refused.content.decode()
    told = client.post(url, {**fields, "method": "phone", "note": "Told at the agreed time."})
    assert told.status_code == 302
    notice.refresh_from_db()
    assert notice.told_contact is not None and notice.told_contact.summary == "Told at the agreed time."
    shown = client.get(url).content.decode()
    assert reverse("advocacy:contact_detail", args=[case.pk, notice.told_contact_id]) in shown


# --- the API ------------------------------------------------------------------------------------------------


def api(user: User) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


def test_the_api_applies_the_same_rule(world: World) -> None:
    case = assigned_case(world)
    client = api(world.advocate)
    url = f"/api/v1/cases/{case.pk}/advocacy/contacts/"
    body = {
        "occurred_at": (timezone.now() - dt.timedelta(hours=1)).isoformat(),
        "channel": "text",
        "direction": "to_victim",
        "topics": ["emotional_support"],
        "summary": "Her new address is 4 Mill Lane, CH1 2AB.",
    }
    refused = client.post(url, body, format="json")
    assert refused.status_code == 400
    assert set(refused.json()) == {"unsafe_method_reason", "summary"}
    assert not ContactLogEntry.objects.filter(case=case).exists()
    done = client.post(url, {**body, "unsafe_method_reason": REASON, "personal_details_confirmed": True}, format="json")
    assert done.status_code == 201 and done.json()["unsafe_method_reason"] == REASON

    notice = untold_notice(world, case)
    told_url = f"/api/v1/cases/{case.pk}/advocacy/key-events/notices/{notice.pk}/told/"
    told_body = {"told_at": timezone.now().isoformat(), "method": "letter", "note": ""}
    assert client.post(told_url, told_body, format="json").status_code == 400
    told = client.post(told_url, {**told_body, "unsafe_method_reason": REASON}, format="json")
    assert told.status_code == 200
    contact_id = told.json()["told_contact_id"]
    assert ContactLogEntry.objects.get(pk=contact_id).unsafe_method_reason == REASON


def test_a_victim_whose_ways_change_is_judged_by_the_new_ones(world: World) -> None:
    case = assigned_case(world)
    services.safe_contact_update(
        actor=world.advocate, case=case, data=case_services.SafeContactInput(channels=["phone", "text"])
    )
    entry = services.contact_record(actor=world.advocate, case=case, data=contact_input(channel="text"))
    assert entry.unsafe_method_reason == ""


# --- a writer who may not see her safe-contact details ------------------------------------------------------


def _her_case_out_of_reach(world: World, case: Case, how: str) -> None:
    """The victim of ``case`` is a victim in a second case the advocate may not see: the
    per-person rule then withholds her location (and safe-contact details) from advocacy."""
    from cases.models import CaseParty, PartyRole

    second = make_case(world.triage_officer, perpetrator_name=("Lee", "Grant"), crime_reference="CH/55555/26")
    CaseParty.objects.filter(case=second, role=PartyRole.VICTIM).update(person_id=victim_id(case))
    if how == "unshared":
        case_services.case_share_remove(actor=world.triage_officer, case=second, agency=world.advocacy, reason="No")
    else:
        Case.objects.filter(pk=second.pk).update(is_restricted=True)


@pytest.mark.parametrize("how", ["unshared", "restricted"])
def test_a_writer_denied_her_safe_contact_details_is_not_told_which_ways_are_safe(world: World, how: str) -> None:
    case = assigned_case(world)
    _her_case_out_of_reach(world, case, how)
    client = client_for(world.advocate)
    url = reverse("advocacy:contact_add", args=[case.pk])
    form = client.get(url).content.decode()
    assert "(not agreed as safe)" not in form and "Agreed as safe" not in form
    # The page refuses an unsafe way without a reason, without naming it or her ways.
    refused = client.post(url, contact_post(channel="email"))
    html = refused.content.decode()
    assert refused.status_code == 200 and "govuk-error-summary" in html
    assert "is not a way the victim has agreed" not in html
    assert guardrails.UNSAFE_METHOD_NEUTRAL_ERROR in html
    # The API: a 400 on the field, with the same neutral message.
    api_url = f"/api/v1/cases/{case.pk}/advocacy/contacts/"
    body = {
        "occurred_at": (timezone.now() - dt.timedelta(hours=1)).isoformat(),
        "channel": "text",
        "direction": "to_victim",
        "topics": ["emotional_support"],
        "summary": "Spoke briefly.",
    }
    answer = api(world.advocate).post(api_url, body, format="json")
    assert answer.status_code == 400
    assert answer.json() == {"unsafe_method_reason": [guardrails.UNSAFE_METHOD_NEUTRAL_ERROR]}
    assert not ContactLogEntry.objects.filter(case=case).exists()
    # The service still refuses the unsafe way without the override, and keeps the reason with it.
    with pytest.raises(ValidationError) as refusal:
        services.contact_record(actor=world.advocate, case=case, data=contact_input(channel="letter"))
    assert refusal.value.message_dict == {"unsafe_method_reason": [guardrails.UNSAFE_METHOD_NEUTRAL_ERROR]}
    done = api(world.advocate).post(api_url, {**body, "unsafe_method_reason": REASON}, format="json")
    # Kept with the contact; the answer, shaped as every read of it, does not repeat it to her.
    assert done.status_code == 201 and done.json()["unsafe_method_reason"] == ""
    assert ContactLogEntry.objects.get(pk=done.json()["id"]).unsafe_method_reason == REASON
    # Telling her of a key event answers alike.
    notice = untold_notice(world, case)
    told = client.post(
        reverse("advocacy:notice_told", args=[case.pk, notice.pk]),
        {**date_fields("told_on", timezone.localdate()), "told_time": "00:01", "method": "text"},
    ).content.decode()
    assert guardrails.UNSAFE_METHOD_NEUTRAL_ERROR in told and "Text message is not a way" not in told


def _error_list(html: str) -> str:
    found = re.search(r'<ul class="govuk-list govuk-error-summary__list">(.*?)</ul>', html, re.S)
    assert found, "no error summary"
    return found.group(1)


@pytest.mark.parametrize("how", ["unshared", "restricted"])
def test_a_writer_denied_her_safe_contact_details_needs_a_reason_for_every_way(world: World, how: str) -> None:
    """Refused only for the ways she has not agreed, a writer who may not see her ways could
    learn them by trying each way without a reason: every way is refused alike instead."""
    case = assigned_case(world)
    _her_case_out_of_reach(world, case, how)
    client = client_for(world.advocate)
    url = reverse("advocacy:contact_add", args=[case.pk])
    api_url = f"/api/v1/cases/{case.pk}/advocacy/contacts/"
    body = {
        "occurred_at": (timezone.now() - dt.timedelta(hours=1)).isoformat(),
        "direction": "to_victim",
        "topics": ["emotional_support"],
        "summary": "Spoke briefly.",
    }
    neutral = {"unsafe_method_reason": [guardrails.UNSAFE_METHOD_NEUTRAL_ERROR]}
    safe_way, unsafe_way = "phone", "text"  # she agreed phone only
    page_errors = {}
    for channel in (safe_way, unsafe_way):
        page = client.post(url, contact_post(channel=channel))
        assert page.status_code == 200, channel
        page_errors[channel] = _error_list(page.content.decode())
        answer = api(world.advocate).post(api_url, {**body, "channel": channel}, format="json")
        assert (answer.status_code, answer.json()) == (400, neutral), channel
        with pytest.raises(ValidationError) as refusal:
            services.contact_record(actor=world.advocate, case=case, data=contact_input(channel=channel))
        assert refusal.value.message_dict == neutral, channel
    assert page_errors[safe_way] == page_errors[unsafe_way]
    assert guardrails.UNSAFE_METHOD_NEUTRAL_ERROR in page_errors[safe_way]
    assert not ContactLogEntry.objects.filter(case=case).exists()
    # With a reason, either way is recorded.
    for channel in (safe_way, unsafe_way):
        assert client.post(url, contact_post(channel=channel, unsafe_method_reason=REASON)).status_code == 302
        done = api(world.advocate).post(
            api_url, {**body, "channel": channel, "unsafe_method_reason": REASON}, format="json"
        )
        assert done.status_code == 201, channel
    assert sorted(ContactLogEntry.objects.filter(case=case).values_list("channel", flat=True)) == [
        safe_way,
        safe_way,
        unsafe_way,
        unsafe_way,
    ]
    # Telling her of a key event: the same on the page and in the API, and nothing is written.
    told_errors = {}
    for told_before, channel in enumerate((safe_way, unsafe_way)):
        notice = untold_notice(world, case)
        page = client.post(
            reverse("advocacy:notice_told", args=[case.pk, notice.pk]),
            {**date_fields("told_on", timezone.localdate()), "told_time": "00:01", "method": channel},
        )
        assert page.status_code == 200, channel
        told_errors[channel] = _error_list(page.content.decode())
        told_url = f"/api/v1/cases/{case.pk}/advocacy/key-events/notices/{notice.pk}/told/"
        told_body = {"told_at": timezone.now().isoformat(), "method": channel, "note": ""}
        answer = api(world.advocate).post(told_url, told_body, format="json")
        assert (answer.status_code, answer.json()) == (400, neutral), channel
        notice.refresh_from_db()
        assert notice.told_at is None and notice.told_contact_id is None
        assert ContactLogEntry.objects.filter(case=case).count() == 4 + told_before
        told = api(world.advocate).post(told_url, {**told_body, "unsafe_method_reason": REASON}, format="json")
        assert told.status_code == 200, channel
        assert ContactLogEntry.objects.get(pk=told.json()["told_contact_id"]).channel == channel
    assert told_errors[safe_way] == told_errors[unsafe_way]
    assert guardrails.UNSAFE_METHOD_NEUTRAL_ERROR in told_errors[safe_way]


def test_a_writer_who_may_see_her_details_needs_a_reason_only_for_an_unsafe_way(world: World) -> None:
    case = assigned_case(world)
    client = client_for(world.advocate)
    assert (
        client.post(reverse("advocacy:contact_add", args=[case.pk]), contact_post(channel="phone")).status_code == 302
    )
    api_url = f"/api/v1/cases/{case.pk}/advocacy/contacts/"
    body = {
        "occurred_at": (timezone.now() - dt.timedelta(hours=1)).isoformat(),
        "channel": "phone",
        "direction": "to_victim",
        "topics": ["emotional_support"],
        "summary": "Spoke briefly.",
    }
    assert api(world.advocate).post(api_url, body, format="json").status_code == 201
    refused = api(world.advocate).post(api_url, {**body, "channel": "text"}, format="json")
    assert refused.status_code == 400
    assert refused.json()["unsafe_method_reason"][0].startswith("Text message is not a way the victim has agreed")
    notice = untold_notice(world, case)
    told_url = f"/api/v1/cases/{case.pk}/advocacy/key-events/notices/{notice.pk}/told/"
    told = api(world.advocate).post(
        told_url, {"told_at": timezone.now().isoformat(), "method": "phone", "note": ""}, format="json"
    )
    assert told.status_code == 200
    assert set(ContactLogEntry.objects.filter(case=case).values_list("unsafe_method_reason", flat=True)) == {""}


@pytest.mark.parametrize("how", ["unshared", "restricted"])
def test_a_reader_denied_her_safe_contact_details_sees_no_override_mark_or_reason(world: World, how: str) -> None:
    """The mark "Not a way agreed as safe" and its reason tell her agreed ways (the reason
    may name them): the contact log, the contact and the API show neither to a reader the
    per-person location rule denies her details, and both to one it allows."""
    case = assigned_case(world)
    told = services.key_event_record(
        actor=world.triage_officer,
        case=case,
        data=services.KeyEventInput(kind="release_from_custody", occurs_on=timezone.localdate()),
    )
    notice = VictimNotice.objects.get(key_event=told)
    entry = services.contact_record(
        actor=world.advocate, case=case, data=contact_input(channel="text", unsafe_method_reason=REASON)
    )
    services.contact_update(
        actor=world.advocate, entry=entry, data=contact_input(channel="text", summary="Spoke again."), reason="Typo"
    )
    VictimNotice.objects.filter(pk=notice.pk).update(
        told_at=timezone.now(), told_method="text", told_by=world.advocate, told_contact=entry
    )
    pages = {
        "log": reverse("advocacy:contact_log", args=[case.pk]),
        "detail": reverse("advocacy:contact_detail", args=[case.pk, entry.pk]),
        "edit": reverse("advocacy:contact_edit", args=[case.pk, entry.pk]),
        "notice": reverse("advocacy:notice_told", args=[case.pk, notice.pk]),
    }
    apis = {
        "log": f"/api/v1/cases/{case.pk}/advocacy/contacts/",
        "detail": f"/api/v1/cases/{case.pk}/advocacy/contacts/{entry.pk}/",
        "overview": f"/api/v1/cases/{case.pk}/advocacy/",
    }
    client = client_for(world.advocate)

    def shown() -> dict[str, bool]:
        seen = {}
        for name, url in pages.items():
            response = client.get(url)
            assert response.status_code == 200, (name, response.status_code)
            html = response.content.decode()
            seen[f"page {name}"] = REASON in html or "Not a way agreed as safe" in html
        for name, url in apis.items():
            answer = api(world.advocate).get(url)
            assert answer.status_code == 200, (name, answer.status_code)
            seen[f"API {name}"] = REASON in answer.content.decode()
        return seen

    # Allowed her details: every page and answer shows the override (the oracle that the
    # pages above do show it, so its absence below is the rule and not a missing page).
    before = shown()
    assert before == dict.fromkeys(before, True)
    _her_case_out_of_reach(world, case, how)
    after = shown()
    assert after == dict.fromkeys(after, False)
    # Still kept on the contact and each version.
    assert {v.unsafe_method_reason for v in entry.versions.all()} == {REASON}


def test_her_agreed_ways_are_read_once_per_contact(world: World) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    case = assigned_case(world)
    with CaptureQueriesContext(connection) as queries:
        services.contact_record(
            actor=world.advocate, case=case, data=contact_input(channel="text", unsafe_method_reason=REASON)
        )
    reads = [q["sql"] for q in queries.captured_queries if 'FROM "cases_safecontactpreference"' in q["sql"]]
    assert len(reads) == 1, reads
