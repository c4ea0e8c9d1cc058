"""Forms of the consent pages. The services check everything again; these parse."""

from __future__ import annotations

from typing import Any

from django import forms

from cases.forms import GovukDateField
from consent.models import Method, Purpose
from consent.selectors import ConsentPage
from masip.forms import GovukForm


class ConsentForm(GovukForm):
    person = forms.TypedChoiceField(
        label="Victim", coerce=int, error_messages={"required": "Choose the victim whose answer this is"}
    )
    purpose = forms.ChoiceField(
        label="Consent to",
        choices=Purpose.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose what the consent is for"},
    )
    given = forms.TypedChoiceField(
        label="Her answer",
        choices=[("yes", "She consents"), ("no", "She does not consent")],
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
        error_messages={"required": "Choose her answer"},
    )
    given_on = GovukDateField(label="Date of her answer", required=True)
    method = forms.ChoiceField(
        label="How she gave it",
        choices=[("", "Choose"), *Method.choices],
        error_messages={"required": "Choose how she gave her answer"},
    )
    note = forms.CharField(label="Note", required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args: Any, page: ConsentPage, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        person: Any = self.fields["person"]
        person.choices = [("", "Choose"), *[(v.person_id, v.name) for v in page.victims]]


class WithdrawForm(GovukForm):
    withdrawn_on = GovukDateField(label="Date she withdrew it", required=True)
    method = forms.ChoiceField(
        label="How she withdrew it",
        choices=[("", "Choose"), *Method.choices],
        error_messages={"required": "Choose how she withdrew it"},
    )
