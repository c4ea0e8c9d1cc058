"""Forms of the returns pages. They parse input; the services decide what is allowed.

The indicator form is built for one measure: only that measure's date bases, filters
and breakdowns are offered, so a programme manager cannot put together a figure the
vocabulary does not define (the services check again).
"""

from __future__ import annotations

from typing import Any

from django import forms

from agencies.models import Agency
from cases.forms import GovukDateField
from masip.forms import GovukForm
from reporting import dashboard
from reporting.dashboard import LONGEST_PERIOD_MONTHS as LONGEST
from reporting.models import Period, ReturnDefinition, TrainingAudience
from reporting.returns import measures
from reporting.returns.measures import IndicatorSpec, Quarter
from reporting.returns.selectors import quarter_choices


class ReturnRequestForm(GovukForm):
    definition = forms.ModelChoiceField(
        label="Return",
        queryset=ReturnDefinition.objects.none(),
        empty_label=None,
        error_messages={"required": "Choose the return", "invalid_choice": "Choose the return"},
    )
    quarter = forms.ChoiceField(
        label="Quarter",
        help_text="Quarters of the financial year: Q1 is April to June.",
        error_messages={"required": "Choose the quarter", "invalid_choice": "Choose a quarter from the list"},
    )
    suppress = forms.BooleanField(
        label="Hide small numbers (show counts of 1 to 4 as <5)",
        required=False,
        help_text="Use this for a return that leaves the partnership.",
    )

    def __init__(self, *args: Any, definitions: list[ReturnDefinition], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["definition"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = ReturnDefinition.objects.filter(pk__in=[d.pk for d in definitions]).order_by("name")
        if len(definitions) == 1:
            field.widget = forms.HiddenInput()
            field.initial = definitions[0].pk
        self.fields["quarter"].choices = quarter_choices()  # type: ignore[attr-defined]

    def cleaned_quarter(self) -> Quarter:
        quarter = Quarter.parse(self.cleaned_data["quarter"])
        assert quarter is not None  # a choice from quarter_choices
        return quarter


class MeasureChoiceForm(GovukForm):
    measure = forms.ChoiceField(
        label="What does the indicator count?",
        widget=forms.RadioSelect,
        choices=[(m.key, f"{m.label}: {m.description}") for m in measures.MEASURES.values()],
        error_messages={"required": "Choose what the indicator counts"},
    )


class IndicatorForm(GovukForm):
    """One indicator of one measure. Filter fields are named ``filter_<key>``."""

    based_on = forms.IntegerField(widget=forms.HiddenInput)
    measure = forms.CharField(widget=forms.HiddenInput)
    label = forms.CharField(
        label="Label",
        max_length=200,
        help_text="As the Home Office return names the figure.",
        error_messages={"required": "Enter the indicator's label"},
    )
    section = forms.CharField(
        label="Section",
        max_length=100,
        help_text="Indicators of the same section share a sheet of the spreadsheet.",
        error_messages={"required": "Enter the section the indicator goes in"},
    )
    key = forms.CharField(
        label="Key (optional)",
        max_length=60,
        required=False,
        help_text="A short identifier for exports, such as referrals_received. Left blank, one is made from the label.",
    )
    date_basis = forms.ChoiceField(
        label="Counted on", widget=forms.RadioSelect, error_messages={"required": "Choose which date is counted"}
    )
    period = forms.ChoiceField(label="Period", widget=forms.RadioSelect, choices=Period.choices, initial=Period.QUARTER)
    breakdown = forms.ChoiceField(label="Break the figure down by", required=False)

    def __init__(self, *args: Any, measure_key: str, sections: list[str] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.measure_def = measures.MEASURES[measure_key]
        self.fields["measure"].initial = measure_key
        self.fields["date_basis"].choices = [(b.key, b.label) for b in self.measure_def.date_bases]  # type: ignore[attr-defined]
        if len(self.measure_def.date_bases) == 1:
            self.fields["date_basis"].initial = self.measure_def.date_bases[0].key
        self.fields["breakdown"].choices = [("", "No breakdown: one figure")] + [  # type: ignore[attr-defined]
            (key, measures.DIMENSIONS[key].label) for key in self.measure_def.dimensions
        ]
        if sections:
            self.fields["section"].help_text += " Sections now: " + ", ".join(sections) + "."
        for key in self.measure_def.filters:
            f = measures.FILTERS[key]
            self.fields[f"filter_{key}"] = forms.MultipleChoiceField(
                label=f"Only count where: {f.label.lower()}",
                choices=f.choices,
                required=False,
                widget=forms.CheckboxSelectMultiple,
                help_text=(f.description + " " if f.description else "") + "Leave all unticked to count every value.",
            )

    @classmethod
    def initial_from(cls, spec: IndicatorSpec, based_on: int) -> dict[str, Any]:
        initial: dict[str, Any] = {
            "based_on": based_on,
            "measure": spec.measure,
            "label": spec.label,
            "section": spec.section,
            "key": spec.key,
            "date_basis": spec.date_basis,
            "period": spec.period,
            "breakdown": spec.breakdown,
        }
        for key, values in spec.filters.items():
            initial[f"filter_{key}"] = list(values)
        return initial

    def spec(self) -> IndicatorSpec:
        data = self.cleaned_data
        return IndicatorSpec(
            key=data.get("key", "").strip(),
            label=data["label"],
            section=data["section"],
            measure=self.measure_def.key,
            date_basis=data["date_basis"],
            period=data["period"],
            filters={
                key: list(data.get(f"filter_{key}") or [])
                for key in self.measure_def.filters
                if data.get(f"filter_{key}")
            },
            breakdown=data.get("breakdown", ""),
        )


class VersionedActionForm(GovukForm):
    """Move or remove: names the version the page showed."""

    based_on = forms.IntegerField(widget=forms.HiddenInput)
    direction = forms.ChoiceField(choices=[("up", "up"), ("down", "down")], required=False, widget=forms.HiddenInput)


class TrainingForm(GovukForm):
    delivered_on = GovukDateField(label="Date delivered", required=True)
    topic = forms.CharField(label="Topic", max_length=200, error_messages={"required": "Enter the topic"})
    audience = forms.ChoiceField(
        label="Audience",
        choices=TrainingAudience.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose who the training was for"},
    )
    attendees = forms.IntegerField(
        label="Number of attendees",
        min_value=1,
        max_value=10000,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
        error_messages={
            "required": "Enter how many people attended",
            "invalid": "Enter the number of attendees as a whole number",
            "min_value": "Attendees must be between 1 and 10,000",
            "max_value": "Attendees must be between 1 and 10,000",
        },
    )
    delivering_agency = forms.ModelChoiceField(
        label="Delivered by",
        queryset=Agency.objects.none(),
        empty_label=None,
        error_messages={"required": "Choose the agency that delivered it"},
    )

    def __init__(self, *args: Any, partnership_id: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["delivering_agency"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = Agency.objects.filter(partnership_id=partnership_id).order_by("name")


class DashboardPeriodForm(GovukForm):
    """The period the dashboard's charts over time count: a quarter, the last 12 months or two dates.

    Sent by GET (the page only reads), so a period can be bookmarked and the back button works.
    """

    PERIODS = (
        ("last_12_months", "The last 12 months"),
        ("quarter", "A quarter"),
        ("custom", "Dates you choose"),
    )
    period = forms.ChoiceField(
        label="Period",
        choices=PERIODS,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose the period", "invalid_choice": "Choose the period"},
    )
    quarter = forms.ChoiceField(
        label="Quarter",
        required=False,
        help_text="Quarters of the financial year: Q1 is April to June.",
        error_messages={"invalid_choice": "Choose a quarter from the list"},
    )
    start = GovukDateField(label="Start date", help_text="For example, 1 4 2025")
    end = GovukDateField(label="End date", help_text="For example, 31 3 2026")

    def __init__(self, *args: Any, today: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.today = today
        self.fields["quarter"].choices = quarter_choices(today=today)  # type: ignore[attr-defined]
        self.fields["period"].initial = "last_12_months"

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        period = data.get("period")
        if period == "quarter" and not data.get("quarter") and "quarter" not in self.errors:
            self.add_error("quarter", "Choose the quarter")
        if period == "custom":
            start, end = data.get("start"), data.get("end")
            if start is None and "start" not in self.errors:
                self.add_error("start", "Enter the start date")
            if end is None and "end" not in self.errors:
                self.add_error("end", "Enter the end date")
            if start and start > self.today:
                self.add_error("start", "Start date must be today or in the past")
            if start and end and end < start:
                self.add_error("end", "End date must be the same as or after the start date")
            elif start and end and (end.year - start.year) * 12 + end.month - start.month >= LONGEST:
                self.add_error("end", f"The period must be {LONGEST // 12} years or shorter")
        return data

    def report_period(self) -> dashboard.ReportPeriod:
        data = self.cleaned_data
        if data["period"] == "quarter":
            quarter = Quarter.parse(data["quarter"])
            assert quarter is not None  # a choice from quarter_choices
            return dashboard.ReportPeriod.quarter(quarter, self.today)
        if data["period"] == "custom":
            return dashboard.ReportPeriod.custom(data["start"], min(data["end"], self.today))
        return dashboard.ReportPeriod.last_12_months(self.today)
