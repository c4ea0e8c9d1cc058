from __future__ import annotations

from typing import Any

from django import forms

from agencies.models import User


class AccessLogSearchForm(forms.Form):
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

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            self.add_error("date_to", "The to date must be the same as or after the from date")
        return data
