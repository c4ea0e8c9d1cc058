"""Forms of the monitoring pages. They parse input; the services decide what is allowed.

Field names match the services' ValidationError keys: a review's occurrence fields are
``occurrence_<n>_<field>`` in the service and the n-th occurrence form (prefix
``occurrence-<n>``) here; ``apply_review_errors`` puts each message on its field.
"""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.forms.utils import ErrorDict

from agencies.models import Agency
from cases.forms import GovukDateField, OffenceField, apply_errors
from followups import services
from followups.models import MAX_CHECKPOINT_MONTHS, ReoffendingKind, ReoffendingSource, ReoffendingVictim
from masip.forms import GovukForm

MAX_OCCURRENCES = 20
_CHECKPOINT = re.compile(r"[0-9]{1,4}")
YES_NO = [("yes", "Yes"), ("no", "No")]


class OccurrenceForm(GovukForm):
    """One occurrence of re-offending: the columns of the bundle's reoffending.csv, and a crime reference."""

    occurred_on = GovukDateField(label="Date of the behaviour", required=True)
    kind = forms.ChoiceField(
        label="Kind",
        choices=ReoffendingKind.choices,
        widget=forms.RadioSelect,
        help_text="Persistence: the same victim, continuing. Recurrence: after a break of six months or more.",
        error_messages={"required": "Choose persistence or recurrence"},
    )
    victim = forms.ChoiceField(
        label="Victim",
        choices=ReoffendingVictim.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose the same victim or a new victim"},
    )
    source = forms.ChoiceField(
        label="Source",
        choices=ReoffendingSource.choices,
        widget=forms.RadioSelect,
        help_text="Where the information came from",
        error_messages={"required": "Choose where the information came from"},
    )
    offence = OffenceField(label="Offence", error_messages={"required": "Choose the offence"})
    crime_reference = forms.CharField(label="Crime reference (optional)", required=False, max_length=40)

    def occurrence_input(self) -> services.OccurrenceInput:
        data = self.cleaned_data
        return services.OccurrenceInput(
            occurred_on=data["occurred_on"],
            kind=data["kind"],
            victim=data["victim"],
            source=data["source"],
            offence=data["offence"],
            crime_reference=data.get("crime_reference", ""),
        )


class ReviewForm(GovukForm):
    reoffended = forms.ChoiceField(
        label="Was there any re-offending in the window?",
        choices=YES_NO,
        widget=forms.RadioSelect,
        error_messages={"required": "Say whether there was any re-offending"},
    )
    sources_checked = forms.MultipleChoiceField(
        label="Which sources did you check?",
        choices=ReoffendingSource.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    notes = forms.CharField(
        label="Notes (optional)",
        help_text="Do not write a new victim's name or address here.",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    occurrence_count = forms.IntegerField(widget=forms.HiddenInput, min_value=1, max_value=MAX_OCCURRENCES, initial=1)


class ReviewForms:
    """The review form and its occurrence forms. "Add another occurrence" and "Remove" post
    back and re-render with one more or one fewer (no JavaScript needed); they validate nothing."""

    def __init__(self, data: Any = None) -> None:
        self.editing = False
        if data is None:
            self.review = ReviewForm(prefix="review", initial={"occurrence_count": 1})
            self.occurrences = [OccurrenceForm(prefix="occurrence-0")]
            return
        try:
            count = max(1, min(int(data.get("review-occurrence_count") or 1), MAX_OCCURRENCES))
        except ValueError:
            count = 1
        kept = list(range(count))
        action = str(data.get("action", ""))
        if action == "add":
            self.editing = True
            if count < MAX_OCCURRENCES:
                kept.append(count)  # no data posted for it yet: an empty form
        elif action.startswith("remove-"):
            self.editing = True
            index = action.removeprefix("remove-")
            if index.isdigit() and int(index) in kept and len(kept) > 1:
                kept.remove(int(index))
        data = _renumber(data, [f"occurrence-{i}" for i in kept])
        data["review-occurrence_count"] = str(len(kept))
        self.review = ReviewForm(data, prefix="review")
        self.occurrences = [OccurrenceForm(data, prefix=f"occurrence-{i}") for i in range(len(kept))]
        if self.editing:
            # Shown again as typed, without complaints about what is not filled in yet.
            for form in (self.review, *self.occurrences):
                form._errors = ErrorDict()  # type: ignore[attr-defined]

    @property
    def said_yes(self) -> bool:
        return self.review["reoffended"].value() == "yes"

    def is_valid(self) -> bool:
        if self.editing:
            return False
        valid = self.review.is_valid()
        if self.said_yes:
            # Every occurrence validated (not stopping at the first), so all errors show at once,
            # whether or not the review's own answers are right.
            results = [form.is_valid() for form in self.occurrences]
            valid = valid and all(results)
        else:
            # The occurrences are asked for only after a "yes": until then they have nothing to
            # complain about (they are hidden, and the error summary would not list them).
            for form in self.occurrences:
                form._errors = ErrorDict()  # type: ignore[attr-defined]
        return valid

    def review_input(self) -> services.ReviewInput:
        data = self.review.cleaned_data
        yes = data["reoffended"] == "yes"
        return services.ReviewInput(
            reoffended=yes,
            occurrences=[form.occurrence_input() for form in self.occurrences] if yes else [],
            sources_checked=[] if yes else list(data.get("sources_checked", [])),
            notes=data.get("notes", ""),
        )

    def apply_errors(self, exc: ValidationError) -> None:
        for key, messages in exc.message_dict.items():
            if key.startswith("occurrence_") and key != "occurrences":
                index, _, name = key.removeprefix("occurrence_").partition("_")
                if index.isdigit() and int(index) < len(self.occurrences):
                    form = self.occurrences[int(index)]
                    form.add_error(name if name in form.fields else None, messages)
                    continue
            self.review.add_error(key if key in self.review.fields else None, messages)

    def all(self) -> list[forms.Form]:
        return [self.review, *self.occurrences] if self.said_yes else [self.review]


def _renumber(data: Any, prefixes: list[str]) -> Any:
    """The posted data with the kept occurrences' fields renumbered 0, 1, 2 ... after a removal."""
    fresh = data.copy()
    for key in list(fresh.keys()):
        if key.startswith("occurrence-"):
            del fresh[key]
    for new, old in enumerate(prefixes):
        for key in data:
            if key.startswith(f"{old}-"):
                fresh.setlist(f"occurrence-{new}-{key.removeprefix(f'{old}-')}", data.getlist(key))
    return fresh


class CandidateConfirmForm(OccurrenceForm):
    """Confirming a possible re-offending: the suggested values, which the owner may correct."""


class CandidateRejectForm(GovukForm):
    reason = forms.CharField(
        label="Why is this not re-offending?",
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Say why this is not re-offending"},
    )


class ReoffendingRecordForm(OccurrenceForm):
    pass


class FollowUpSettingsForm(GovukForm):
    checkpoints = forms.CharField(
        label="Checkpoints (months after monitoring starts)",
        help_text=f"Whole numbers of months from 1 to {MAX_CHECKPOINT_MONTHS}, separated by commas, like 3, 6, 9, 12",
        error_messages={"required": "Enter at least one checkpoint"},
    )
    review_agency = forms.ModelChoiceField(
        label="Agency that reviews cases with no assigned worker",
        help_text="Leave as the police to use the partnership's police agency.",
        queryset=Agency.objects.none(),
        required=False,
        empty_label="The partnership's police",
    )

    def __init__(self, *args: Any, agencies: QuerySet[Agency], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["review_agency"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = agencies

    def clean_checkpoints(self) -> list[int]:
        raw = str(self.cleaned_data["checkpoints"])
        parts = [p.strip() for p in raw.replace(";", ",").split(",") if p.strip()]
        # ASCII digits only, and few of them: str.isdigit() accepts "²", which int() refuses,
        # and int() refuses more than 4,300 digits; the service checks the range itself.
        if not parts or not all(_CHECKPOINT.fullmatch(p) for p in parts):
            raise ValidationError("Enter whole numbers of months separated by commas, like 3, 6, 9, 12")
        return [int(p) for p in parts]


__all__ = [
    "CandidateConfirmForm",
    "CandidateRejectForm",
    "FollowUpSettingsForm",
    "OccurrenceForm",
    "ReoffendingRecordForm",
    "ReviewForm",
    "ReviewForms",
    "apply_errors",
]
