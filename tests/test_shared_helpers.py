"""The helpers every app shares: the one error-summary convention and the one "open case" rule."""

from __future__ import annotations

from django import forms
from django.template.loader import render_to_string

from cases.models import FINISHED_STATUSES, OPEN_STATUSES, Case, CaseStatus
from masip.forms import summary_errors


class _Form(forms.Form):
    name = forms.CharField()
    colour = forms.ChoiceField(choices=[("red", "Red"), ("blue", "Blue")], widget=forms.RadioSelect)
    token = forms.CharField(widget=forms.HiddenInput)

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        self.add_error(None, "The whole form is wrong")
        return data


def test_summary_errors_links_each_error_to_its_field_and_keeps_the_forms_order() -> None:
    first, second = _Form({}, prefix="a"), _Form({"b-name": "x", "b-colour": "red", "b-token": "t"}, prefix="b")
    unbound = _Form(prefix="c")
    assert summary_errors(first, None, unbound, second) == [
        ("", "The whole form is wrong"),
        ("#id_a-name", "This field is required."),
        # A radio group links to its first radio; a hidden field to nothing a person can reach.
        ("#id_a-colour_0", "This field is required."),
        ("", "This field is required."),
        ("", "The whole form is wrong"),
    ]


def test_the_one_error_summary_template_renders_the_views_list_or_a_lone_form() -> None:
    given = render_to_string(
        "includes/error_summary.html", {"summary_errors": [("#id_name", "Enter a name"), ("/elsewhere/", "Fix that")]}
    )
    assert 'href="#id_name">Enter a name</a>' in given and 'href="/elsewhere/">Fix that</a>' in given
    assert "govuk-error-summary" in given

    from_form = render_to_string("includes/error_summary.html", {"form": _Form({})})
    assert 'href="#id_name">This field is required.</a>' in from_form
    assert "The whole form is wrong" in from_form

    # The view's word wins: an empty list shows no summary, whatever the form holds.
    silenced = render_to_string("includes/error_summary.html", {"summary_errors": [], "form": _Form({})})
    assert "govuk-error-summary" not in silenced
    assert "govuk-error-summary" not in render_to_string("includes/error_summary.html", {})


def test_a_case_is_open_until_declined_or_closed_and_open_again_when_reopened() -> None:
    assert set(OPEN_STATUSES) | FINISHED_STATUSES == set(CaseStatus.values)
    assert not set(OPEN_STATUSES) & FINISHED_STATUSES
    assert {CaseStatus.DECLINED, CaseStatus.CLOSED} == FINISHED_STATUSES
    assert {status: Case(status=status).is_open for status in CaseStatus.values} == {
        CaseStatus.REFERRED: True,
        CaseStatus.AWAITING_TRIAGE: True,
        CaseStatus.ACCEPTED: True,
        CaseStatus.DECLINED: False,
        CaseStatus.ACTIVE: True,
        CaseStatus.MONITORING: True,
        CaseStatus.CLOSED: False,
        CaseStatus.REOPENED: True,
    }
