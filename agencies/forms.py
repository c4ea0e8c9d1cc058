from __future__ import annotations

import re
from typing import Any

from django import forms

from agencies.models import Agency, AgencyKind, RecordClass, Role, User
from masip.forms import GovukForm


class StaffForm(GovukForm):
    first_name = forms.CharField(max_length=150)
    last_name = forms.CharField(max_length=150)
    job_title = forms.CharField(max_length=200, required=False)
    agency = forms.ModelChoiceField(queryset=Agency.objects.none(), empty_label="Choose an agency")
    role = forms.ChoiceField(choices=[("", "Choose a role"), *Role.choices])

    def __init__(self, *args: Any, partnership_id: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        agency_field = self.fields["agency"]
        assert isinstance(agency_field, forms.ModelChoiceField)
        agency_field.queryset = Agency.objects.filter(partnership_id=partnership_id).order_by("name")
        self.fields["first_name"].error_messages["required"] = "Enter a first name"
        self.fields["last_name"].error_messages["required"] = "Enter a last name"
        agency_field.error_messages["required"] = "Choose an agency"
        self.fields["role"].error_messages["required"] = "Choose a role"


class StaffInviteForm(StaffForm):
    email = forms.EmailField(
        label="E-mail address",
        help_text="The invitation to set a password goes to this address.",
        error_messages={
            "required": "Enter an e-mail address",
            "invalid": "Enter an e-mail address in the correct format, like name@example.org",
        },
    )
    field_order = ["email", "first_name", "last_name", "job_title", "agency", "role"]


class StaffEditForm(StaffForm):
    is_active = forms.BooleanField(
        label="Account active", required=False, help_text="An inactive account cannot sign in."
    )


class AgreementForm(GovukForm):
    """One checkbox group per record class: which agency kinds may see it."""

    reference = forms.CharField(
        label="Agreement reference",
        max_length=200,
        required=False,
        help_text="The signed information-sharing agreement's document reference.",
    )
    review_on = forms.DateField(
        label="Review date",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": "Enter the review date as a real date, like 2027-03-31"},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for record_class in RecordClass:
            self.fields[f"class_{record_class.value}"] = forms.MultipleChoiceField(
                label=record_class.label,
                choices=AgencyKind.choices,
                required=False,
                widget=forms.CheckboxSelectMultiple,
            )

    def matrix(self) -> dict[str, list[str]]:
        return {rc.value: list(self.cleaned_data.get(f"class_{rc.value}", [])) for rc in RecordClass}


# "MASIP-000037", "masip 37", "000037" or "37": the case number staff quote (as cases.selectors reads it).
_CASE_REFERENCE = re.compile(r"(?:MASIP[-\s]*)?0*(\d{1,9})", re.IGNORECASE)


class AccessLogSearchForm(GovukForm):
    """The access log's filters. All are ids, references and dates, so they may be in the URL;
    a person is found by name through PersonNameSearchForm (posted: a name is not put in a URL)."""

    case = forms.CharField(
        label="Case reference", required=False, max_length=20, help_text="For example MASIP-000037 or 37"
    )
    person = forms.CharField(
        label="Person id",
        required=False,
        max_length=12,
        help_text="The number in the address of the person's page, or find the person by name below",
    )
    user = forms.ModelChoiceField(queryset=User.objects.none(), required=False, empty_label="Anyone")
    record_type = forms.CharField(
        label="Record type", required=False, max_length=60, help_text="For example cases.case"
    )
    record_id = forms.CharField(label="Record id", required=False, max_length=64)
    date_from = forms.DateField(
        label="From",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": "Enter the from date as a real date, like 2026-11-01"},
    )
    date_to = forms.DateField(
        label="To",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": "Enter the to date as a real date, like 2026-11-30"},
    )

    def __init__(self, *args: Any, partnership_id: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        user_field = self.fields["user"]
        assert isinstance(user_field, forms.ModelChoiceField)
        user_field.queryset = User.objects.filter(agency__partnership_id=partnership_id).order_by(
            "last_name", "first_name"
        )

    def clean_case(self) -> int | None:
        text = self.cleaned_data["case"].strip()
        if not text:
            return None
        match = _CASE_REFERENCE.fullmatch(text)
        if match is None or int(match.group(1)) == 0:
            raise forms.ValidationError("Enter the case reference like MASIP-000037, or its number, like 37")
        return int(match.group(1))

    def clean_person(self) -> int | None:
        text = self.cleaned_data["person"].strip()
        if not text:
            return None
        if not text.isdigit() or int(text) == 0:
            raise forms.ValidationError("Enter the person id as a number, like 1234")
        return int(text)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            self.add_error("date_to", "The to date must be the same as or after the from date")
        # Each names the record the entries are about: one question at a time.
        chosen = [
            name
            for name, given in (
                ("case", data.get("case")),
                ("person", data.get("person")),
                ("record_id", data.get("record_type") or data.get("record_id")),
            )
            if given
        ]
        if len(chosen) > 1:
            for name in chosen[1:]:
                self.add_error(name, "Search by one of case reference, person, or record type and id: clear the others")
        return data


class PersonNameSearchForm(GovukForm):
    """Find a person of the partnership by name, to search the access log by their id."""

    person_name = forms.CharField(
        label="Find a person by name",
        max_length=150,
        error_messages={"required": "Enter at least two letters of the person's name"},
    )

    def clean_person_name(self) -> str:
        name = " ".join(self.cleaned_data["person_name"].split())
        if sum(ch.isalpha() for ch in name) < 2:
            raise forms.ValidationError("Enter at least two letters of the person's name")
        return name


class PartnershipSettingsForm(GovukForm):
    uses_tiers = forms.ChoiceField(
        label="Does the partnership give cases a tier?",
        help_text=(
            "Tiers 1 to 4 of need and risk, set when a meeting accepts a case. When tiers are not used, "
            "no tier is asked for or required, and the caseload and returns show no tier."
        ),
        choices=[("yes", "Yes, cases are given a tier"), ("no", "No, tiers are not used")],
        widget=forms.RadioSelect,
        error_messages={"required": "Choose whether the partnership gives cases a tier"},
    )
