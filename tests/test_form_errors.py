"""Every form of every page says everything that is wrong at once, in words that name the answer.

The walk opens every page of the URL configuration as each role of the walk's world
(tests/walk_world.py), finds every form on it, and sends each form twice: empty, and with a
wrong-typed answer in every box (words in a number, a choice that is not offered, a date
that is not one). Each answer is checked for:

- never a 500;
- one GOV.UK error summary, with an entry for every error shown by a field (and a field
  with that id on the page), so nothing is said only at the field or only at the top;
- none of Django's default wordings ("This field is required.", "Ensure this value is
  greater than or equal to 0."), which do not say which answer is wrong;
- no two errors worded the same, so each names what it is about.

Whatever a submission writes is rolled back before the next (the world stays the same).
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import pytest
import tinyhtml5
from django import forms as django_forms
from django.db import transaction
from django.test import Client

from masip.forms import GovukForm, summary_errors
from tests.factories import World
from tests.walk_urls import bindings, project_routes
from tests.walk_world import WalkWorld, build

pytestmark = pytest.mark.django_db

NS = "{http://www.w3.org/1999/xhtml}"
# Django's own wording (django/forms/fields.py, django/core/validators.py), kept here by hand: a
# page must never show one of them. Each is the start of, or a phrase in, a default message.
DJANGO_DEFAULTS = (
    "This field is required",
    "Enter a whole number",
    "Enter a number.",
    "Enter a valid date",
    "Enter a valid time",
    "Enter a valid date/time",
    "Enter a valid duration",
    "Enter a valid email address",
    "Enter a valid URL",
    "Enter a valid UUID",
    "Enter a valid JSON",
    "Enter a list of values",
    "Enter a complete value",
    "Ensure this value is greater than or equal to",
    "Ensure this value is less than or equal to",
    "Ensure this value has at most",
    "Ensure this value has at least",
    "Ensure this value is a multiple of step size",
    "Ensure that there are no more than",
    "Select a valid choice",
    "is not one of the available choices",
    "is not a valid value",
    "No file was submitted",
    "The submitted file is empty",
    "Upload a valid image",
    "Null characters are not allowed",
)
WALK_ROLES = ("admin", "triage_officer", "advocate", "clinician", "probation_practitioner", "programme_manager")
# Sign-in, sign-out and account security are allauth's (tests/test_sign_in_pages.py); the admin is Django's.
SKIPPED_ACTIONS = ("/accounts/", "/admin/")
WRONG_TEXT = "not a real answer x1.5e9"


@dataclass
class PageForm:
    page: str
    role: str
    action: str
    method: str
    hidden: dict[str, str] = field(default_factory=dict)
    text: list[str] = field(default_factory=list)  # boxes and text areas
    choices: list[str] = field(default_factory=list)  # selects, radios, checkboxes
    files: list[str] = field(default_factory=list)

    @property
    def key(self) -> tuple[str, str, tuple[str, ...]]:
        return (re.sub(r"\d+", "N", self.action), self.method, tuple(sorted({*self.text, *self.choices, *self.files})))

    def empty(self) -> dict[str, Any]:
        # As a browser sends it: every box, empty; no radio or box ticked.
        return {**self.hidden, **dict.fromkeys(self.text, "")}

    def wrong(self) -> dict[str, Any]:
        body: dict[str, Any] = dict(self.hidden)
        body.update(dict.fromkeys(self.text, WRONG_TEXT))
        body.update(dict.fromkeys(self.choices, "not-a-choice"))
        return body


def _text(element: Any) -> str:
    return " ".join("".join(element.itertext()).split())


def _classes(element: Any) -> set[str]:
    return set((element.get("class") or "").split())


def page_forms(html: str, page: str, role: str) -> list[PageForm]:
    found = []
    for form in tinyhtml5.parse(html).iter(f"{NS}form"):
        action = form.get("action") or page
        action = urlsplit(action).path or urlsplit(page).path
        if action.startswith(SKIPPED_ACTIONS):
            continue
        entry = PageForm(page, role, action, (form.get("method") or "get").lower())
        for element in form.iter():
            name = element.get("name")
            if not name or element.get("disabled") is not None:
                continue
            tag = element.tag.removeprefix(NS)
            kind = (element.get("type") or "text").lower()
            if tag == "input" and kind == "hidden":
                entry.hidden[name] = element.get("value") or ""
            elif (tag == "input" and kind in {"submit", "button", "image", "reset"}) or tag == "button":
                continue
            elif tag == "input" and kind == "file":
                entry.files.append(name)
            elif tag == "select" or (tag == "input" and kind in {"radio", "checkbox"}):
                entry.choices.append(name)
            elif tag in {"input", "textarea"}:
                entry.text.append(name)
        entry.text = sorted(set(entry.text))
        entry.choices = sorted(set(entry.choices))
        if entry.text or entry.choices or entry.files:
            found.append(entry)
    return found


@dataclass
class Finding:
    form: PageForm
    submission: str
    problem: str

    def __str__(self) -> str:
        f = self.form
        return f"{f.role} {f.method.upper()} {f.action} ({self.submission}, from {f.page}): {self.problem}"


def check_answer(html: str) -> list[str]:
    """What is wrong with the errors of one answered page (empty when nothing is)."""
    problems = [f"Django's wording {d!r}" for d in DJANGO_DEFAULTS if d in html]
    root = tinyhtml5.parse(html)
    summaries = [e for e in root.iter() if "govuk-error-summary" in _classes(e)]
    inline = [e for e in root.iter() if "govuk-error-message" in _classes(e)]
    ids = {e.get("id") for e in root.iter() if e.get("id")}
    if len(summaries) > 1:
        problems.append(f"{len(summaries)} error summaries")
    if inline and not summaries:
        problems.append(f"{len(inline)} errors at the fields and no error summary")
    if not summaries:
        return problems
    entries = list(summaries[0].iter(f"{NS}li"))
    linked = [e for e in entries if e.find(f"{NS}a") is not None]
    if len(linked) != len(inline):
        problems.append(f"{len(linked)} errors in the summary linked to fields, {len(inline)} at the fields")
    for entry in linked:
        href = entry.find(f"{NS}a").get("href") or ""
        if href.startswith("#") and href[1:] not in ids:
            problems.append(f"the summary links to {href}, which is not on the page")
    messages = [_text(e) for e in entries]
    twice = sorted({m for m in messages if messages.count(m) > 1})
    if twice:
        problems.append(f"errors worded the same, naming nothing: {twice}")
    return problems


@contextmanager
def _undo() -> Iterator[None]:
    try:
        with transaction.atomic():
            yield
            raise _RollBack
    except _RollBack:
        pass


class _RollBack(Exception):
    pass


def every_page_form(world: WalkWorld, clients: dict[str, Client]) -> list[PageForm]:
    seen: dict[tuple[str, str, tuple[str, ...]], PageForm] = {}
    for route in project_routes():
        if route.is_api:
            continue
        filled = bindings(route, world.params)
        if not filled:
            continue
        url = route.url(filled[0])
        for role in WALK_ROLES:
            response = clients[role].get(url)
            if response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
                continue
            for form in page_forms(response.content.decode(), url, role):
                seen.setdefault(form.key, form)
    return list(seen.values())


def _submit(client: Client, form: PageForm, body: dict[str, Any]) -> tuple[int, str]:
    response = client.post(form.action, body) if form.method == "post" else client.get(form.action, body)
    content_type = response.get("Content-Type", "")
    return response.status_code, response.content.decode() if "text/html" in content_type else ""


def test_every_page_form_says_every_error_at_once_in_govuk_words(world: World, other_world: World) -> None:
    walk_world = build(world, other_world)
    clients = {}
    for role in WALK_ROLES:
        client = Client(raise_request_exception=False)
        client.force_login(walk_world.users[role])
        clients[role] = client
    found = every_page_form(walk_world, clients)
    findings: list[Finding] = []
    answered_with_errors = 0
    for form in found:
        for submission, body in (("empty", form.empty()), ("wrong-typed", form.wrong())):
            with _undo():
                status, html = _submit(clients[form.role], form, body)
            if status >= 500:
                findings.append(Finding(form, submission, f"answered {status}"))
                continue
            answered_with_errors += "govuk-error-summary" in html
            findings += [Finding(form, submission, p) for p in check_answer(html)]
    print(f"\nform walk: {len(found)} forms, {2 * len(found)} submissions, {answered_with_errors} with errors shown")
    for finding in findings:
        print(f"  {finding}")
    assert len(found) >= 60, len(found)
    assert answered_with_errors >= 60, answered_with_errors
    assert not findings, f"{len(findings)} findings"


# --- the wording itself, on forms written for the test ------------------------------------------------------


class _Contact(GovukForm):
    occurred_on = django_forms.DateField(label="Date of the contact")
    minutes = django_forms.IntegerField(label="Length of the call in minutes", min_value=0, max_value=600)
    channel = django_forms.ChoiceField(label="How was the contact made?", choices=[("phone", "Phone")])
    summary = django_forms.CharField(label="Summary", max_length=10)
    nhs_number = django_forms.CharField(label="NHS number")
    email = django_forms.EmailField(label="Email address", required=False)
    reason = django_forms.CharField(label="Reason", error_messages={"required": "Say why the call was made"})


def _errors(form: django_forms.Form) -> dict[str, list[str]]:
    return {name: [str(m) for m in messages] for name, messages in form.errors.items()}


def test_required_answers_are_asked_for_by_their_label() -> None:
    form = _Contact(data={})
    assert not form.is_valid()
    assert _errors(form) == {
        "occurred_on": ["Enter the date of the contact"],
        "minutes": ["Enter the length of the call in minutes"],
        "channel": ["Choose an answer to \u2018How was the contact made?\u2019"],
        "summary": ["Enter the summary"],
        "nhs_number": ["Enter the NHS number"],
        # A message the form wrote itself is kept.
        "reason": ["Say why the call was made"],
    }


def test_wrong_answers_say_what_is_wrong_with_which_answer() -> None:
    form = _Contact(
        data={
            "occurred_on": "31/02/2025",
            "minutes": "ten",
            "channel": "pigeon",
            "summary": "x" * 11,
            "nhs_number": "1",
            "email": "nobody",
            "reason": "x",
        }
    )
    assert not form.is_valid()
    assert _errors(form) == {
        "occurred_on": ["The date of the contact must be a real date"],
        "minutes": ["The length of the call in minutes must be a whole number"],
        "channel": ["Choose an answer to \u2018How was the contact made?\u2019 from the list"],
        "summary": ["The summary must be 10 characters or fewer"],
        "email": ["Enter the email address in the correct format, like name@example.com"],
    }
    low, high = _Contact(data={"minutes": "-1"}), _Contact(data={"minutes": "601"})
    assert list(low.errors["minutes"]) == ["The length of the call in minutes must be 0 or more"]
    assert list(high.errors["minutes"]) == ["The length of the call in minutes must be 600 or less"]


def test_a_person_s_form_names_the_person_in_the_summary() -> None:
    form = _Contact(data={"minutes": "-5"})
    form.error_subject = "Victim"  # type: ignore[attr-defined]
    messages = [message for _, message in summary_errors(form)]
    assert "Victim: the length of the call in minutes must be 0 or more" in messages
    assert "Victim: enter the NHS number" in messages


def test_every_form_of_the_project_is_worded_by_the_base_form() -> None:
    """A form that does not inherit the wording would show Django's defaults again."""
    from django.apps import apps
    from django.conf import settings

    # The project's own apps: under BASE_DIR, but not the packages of a virtualenv kept there.
    project_apps = [
        a for a in apps.get_app_configs() if a.path.startswith(str(settings.BASE_DIR)) and "site-packages" not in a.path
    ]
    for app in project_apps:
        # Forms live in forms and views modules (a scan of every module would import the load tests).
        for module in pkgutil.walk_packages([app.path], prefix=f"{app.name}."):
            last = module.name.rsplit(".", 1)[-1]
            if ("forms" in last or "views" in last) and ".tests" not in module.name:
                importlib.import_module(module.name)

    def subclasses(cls: type) -> Iterator[type]:
        sub: type
        for sub in cls.__subclasses__():
            yield sub
            yield from subclasses(sub)

    names = {a.name for a in project_apps}
    mine = {c for c in subclasses(django_forms.Form) if c.__module__.split(".")[0] in names}
    assert len(mine) >= 80, len(mine)
    outside = sorted(f"{c.__module__}.{c.__qualname__}" for c in mine if not issubclass(c, GovukForm))
    assert not outside, outside
