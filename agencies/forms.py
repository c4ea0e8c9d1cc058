from __future__ import annotations

from typing import Any

from django import forms

from agencies.models import Agency, AgencyKind, RecordClass, Role


class StaffForm(forms.Form):
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


class AgreementForm(forms.Form):
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
