"""Forms of the costs pages. Amounts are Decimal fields: never floats."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms

from agencies.models import Agency, Role
from cases.forms import GovukDateField
from costs.models import Bearer, Category, ScenarioKind, UnitCost
from masip.forms import GovukForm

_MONEY_ERRORS = {
    "required": "Enter the amount in pounds",
    "invalid": "Enter the amount in pounds, for example 150 or 8855.00",
    "max_decimal_places": "Enter the amount to the penny at most",
    "max_digits": "Enter a smaller amount",
    "min_value": "An amount cannot be negative",
}


class TimeEntryForm(GovukForm):
    kind = forms.ChoiceField(label="What was the time spent on?", widget=forms.RadioSelect)
    minutes = forms.IntegerField(
        label="Minutes",
        min_value=1,
        max_value=1440,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
        error_messages={
            "required": "Enter the minutes",
            "invalid": "Enter the minutes as a whole number",
            "min_value": "Enter the minutes, from 1 to 1,440",
            "max_value": "Enter the minutes, from 1 to 1,440",
        },
    )
    who = forms.ChoiceField(
        label="Whose time?",
        widget=forms.RadioSelect,
        choices=[("me", "Mine"), ("other", "Someone from another agency or service")],
        initial="me",
    )
    role = forms.CharField(
        label="Their role (if someone else)",
        required=False,
        max_length=60,
        help_text="For example officer in charge, prison nurse, housing officer",
    )
    agency = forms.ModelChoiceField(
        label="Their agency in the partnership (if any)", queryset=Agency.objects.none(), required=False
    )

    def __init__(self, *args: Any, kinds: list[tuple[str, str]], partnership_id: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        kind_field = self.fields["kind"]
        assert isinstance(kind_field, forms.ChoiceField)
        kind_field.choices = kinds
        if len(kinds) == 1:
            kind_field.initial = kinds[0][0]
        agency_field = self.fields["agency"]
        assert isinstance(agency_field, forms.ModelChoiceField)
        agency_field.queryset = Agency.objects.filter(partnership_id=partnership_id).order_by("name")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("who") == "other" and not data.get("role"):
            self.add_error("role", "Enter the person's role")
        return data

    @staticmethod
    def role_key(text: str) -> str:
        """``Prison nurse`` -> ``prison_nurse``: the key rates are entered against."""
        return "_".join(text.lower().replace("-", " ").split())[:60]


class OpenAccountForm(GovukForm):
    case = forms.CharField(
        label="Case number",
        max_length=20,
        help_text="For example MASIP-000123",
        error_messages={"required": "Enter the case number"},
    )

    def clean_case(self) -> int:
        text = self.cleaned_data["case"].strip().upper().removeprefix("MASIP-")
        if not text.isdigit():
            raise forms.ValidationError("Enter a case number like MASIP-000123")
        return int(text)


class CostLineForm(GovukForm):
    category = forms.ChoiceField(label="Category", choices=Category.choices)
    bearer = forms.ChoiceField(
        label="Who bore the cost?",
        choices=[(Bearer.STATE, "State"), (Bearer.VICTIM, "Victim")],
        widget=forms.RadioSelect,
    )
    unit_cost = forms.ModelChoiceField(
        label="From the catalogue",
        queryset=UnitCost.objects.none(),
        required=False,
        empty_label="Not from the catalogue",
    )
    quantity = forms.DecimalField(
        label="Quantity (months for a health state, or a number)",
        required=False,
        max_digits=12,
        decimal_places=4,
        min_value=Decimal("0.0001"),
    )
    label = forms.CharField(label="What it was", required=False, max_length=200)
    amount = forms.DecimalField(
        label="Amount in pounds (if not from the catalogue)",
        required=False,
        max_digits=14,
        decimal_places=2,
        min_value=Decimal("0"),
        error_messages=_MONEY_ERRORS,
    )

    def __init__(self, *args: Any, unit_costs: list[UnitCost], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["unit_cost"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = UnitCost.objects.filter(pk__in=[u.pk for u in unit_costs]).order_by("label")


class ScenarioItemForm(GovukForm):
    scenario = forms.ChoiceField(label="Scenario", choices=ScenarioKind.choices, widget=forms.RadioSelect)
    unit_cost = forms.ModelChoiceField(
        label="Cost avoided", queryset=UnitCost.objects.none(), error_messages={"required": "Choose a cost"}
    )
    quantity = forms.DecimalField(
        label="Quantity (months for a health state, or a number)",
        max_digits=12,
        decimal_places=4,
        min_value=Decimal("0.0001"),
        initial=Decimal(1),
        error_messages={"required": "Enter the quantity", "invalid": "Enter the quantity as a number"},
    )
    bearer = forms.ChoiceField(
        label="Who would have borne it?",
        choices=[("", "As in the catalogue"), *Bearer.choices],
        required=False,
    )

    def __init__(self, *args: Any, unit_costs: list[UnitCost], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["unit_cost"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = UnitCost.objects.filter(pk__in=[u.pk for u in unit_costs]).order_by("label")


class NarrativeForm(GovukForm):
    scenario = forms.ChoiceField(choices=ScenarioKind.choices, widget=forms.HiddenInput)
    narrative = forms.CharField(label="What would have happened", widget=forms.Textarea(attrs={"rows": 4}))


class RateCardForm(GovukForm):
    financial_year = forms.IntegerField(
        label="Financial year starting in", min_value=2000, max_value=2100, help_text="For example 2019 for 2019/20"
    )
    price_year = forms.IntegerField(label="Prices inflated to the year", min_value=2000, max_value=2100)
    source = forms.CharField(label="Source", required=False, widget=forms.Textarea(attrs={"rows": 2}))
    operating_costs = forms.DecimalField(
        label="Non-salary operating costs in the year (£)",
        max_digits=12,
        decimal_places=2,
        min_value=Decimal("0"),
        error_messages=_MONEY_ERRORS,
    )
    referrals_in_year = forms.IntegerField(label="Referrals received in the year", min_value=0)


class HourlyRateForm(GovukForm):
    label = forms.CharField(label="Role", max_length=120, help_text="For example Clinician, or Prison nurse")
    role = forms.ChoiceField(
        label="Partnership role (leave as 'Another role' for people outside the partnership)",
        choices=[("", "Another role"), *[(r.value, r.label) for r in Role if r != Role.PROGRAMME_MANAGER]],
        required=False,
    )
    hourly_rate = forms.DecimalField(
        label="Hourly rate with employer costs (£)",
        max_digits=10,
        decimal_places=4,
        min_value=Decimal("0"),
        error_messages=_MONEY_ERRORS,
    )
    source = forms.CharField(label="Source", required=False, max_length=500)


class PeriodForm(GovukForm):
    date_from = GovukDateField(label="From", required=True)
    date_to = GovukDateField(label="To", required=True)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            self.add_error("date_to", "The end of the period must be on or after its start")
        return data


class FteForm(GovukForm):
    agency = forms.ModelChoiceField(label="Agency", queryset=Agency.objects.none(), empty_label=None)
    starts_on = GovukDateField(label="From", required=True)
    ends_on = GovukDateField(label="To", required=True)
    fte = forms.DecimalField(
        label="Full-time equivalents",
        max_digits=6,
        decimal_places=2,
        min_value=Decimal("0.01"),
        error_messages={"required": "Enter the full-time equivalents", "invalid": "Enter a number, for example 1.5"},
    )

    def __init__(self, *args: Any, partnership_id: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["agency"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = Agency.objects.filter(partnership_id=partnership_id).order_by("name")
