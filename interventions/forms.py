"""Forms of the interventions pages. They parse input; the services decide what is allowed.

Field names match the keys of the services' ValidationError dicts where they can;
``apply_service_errors`` maps the rest (``starts_at`` is the date and time boxes).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any
from zoneinfo import ZoneInfo

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError

from agencies.models import Agency, User
from cases.forms import DATE_HINT, GovukDateField, apply_errors
from interventions import services
from interventions.models import (
    DEFAULT_PLANNED_SESSIONS,
    MAX_PLANNED_SESSIONS,
    Attendance,
    CriminogenicNeed,
    Ending,
    Frequency,
    InterventionType,
    Method,
    Modality,
    NotHappenedReason,
    Rating,
)
from masip.forms import GovukForm, VersionedForm
from masip.times import TIME_HINT, parse_time

YES_NO = [("yes", "Yes"), ("no", "No")]


def apply_service_errors(form: forms.Form, exc: ValidationError, rename: Mapping[str, str] | None = None) -> None:
    """A service's errors on the form's fields, after renaming keys the form spells differently."""
    renamed: dict[str, list[str]] = {}
    for key, messages in exc.message_dict.items():
        renamed.setdefault((rename or {}).get(key, key), []).extend(messages)
    apply_errors(form, ValidationError(renamed))


class HintedRadioSelect(forms.RadioSelect):
    """Radios with a hint under each option (GOV.UK radio item hints)."""

    template_name = "cases/widgets/radios_with_hints.html"

    def __init__(self, *args: Any, hints: Mapping[str, str] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.hints = dict(hints or {})

    def create_option(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        option = super().create_option(*args, **kwargs)
        option["hint"] = self.hints.get(str(option["value"]), "")
        return option


def _radios(field: forms.Field) -> forms.Field:
    # The shared field template gives a fieldset and legend to plain RadioSelect only.
    setattr(field, "template_name", "cases/forms/radios_field.html")  # noqa: B010 - not in the stubs
    return field


def _lines(value: str) -> list[str]:
    return [line.strip(" -•\t") for line in value.splitlines() if line.strip(" -•\t")]


def _yes_no(value: str | None) -> bool | None:
    return {"yes": True, "no": False}.get(value or "")


# --- dates and times ---------------------------------------------------------------------------------


def local_datetime(day: dt.date, time: dt.time) -> dt.datetime:
    return dt.datetime.combine(day, time, tzinfo=ZoneInfo(settings.TIME_ZONE))


# --- referral ----------------------------------------------------------------------------------------------


class AgencyChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.name)


class StaffChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.get_full_name() or obj.email} ({obj.agency.name})"


class ReferralForm(GovukForm):
    health_agency = _radios(
        AgencyChoiceField(
            label="Health agency",
            queryset=Agency.objects.none(),
            widget=forms.RadioSelect,
            empty_label=None,
            error_messages={"required": "Choose the health agency"},
        )
    )
    probation_practitioner = StaffChoiceField(
        label="Probation practitioner to tell about concerns",
        queryset=User.objects.none(),
        required=False,
        empty_label="Nobody else: tell me",
        help_text="Told at once, in the service and by e-mail, of behaviour or concerns raised at sessions.",
    )
    risk_information = forms.CharField(
        label="Risk information",
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=(
            "Risk of serious harm, to whom, and what increases it; relevant offending and intelligence. "
            "Shared with the agencies that may see criminal history. Do not include the victim's address."
        ),
        error_messages={"required": "Give the risk information the clinicians need"},
    )
    desired_outcomes = forms.CharField(
        label="Desired outcomes",
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="One per line. For example: Stops contacting the victim by any means.",
        error_messages={"required": "Enter at least one desired outcome"},
    )
    accessibility_needs = forms.CharField(
        label="Accessibility needs",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="For example, a disability, a learning need, or times the person cannot attend.",
    )
    interpreter_required = _radios(
        forms.ChoiceField(
            label="Is an interpreter needed?",
            choices=YES_NO,
            widget=forms.RadioSelect,
            error_messages={"required": "Say whether an interpreter is needed"},
        )
    )
    interpreter_language = forms.CharField(
        label="Language",
        max_length=100,
        required=False,
        help_text="Only if an interpreter is needed.",
        widget=forms.TextInput(attrs={"class": "govuk-input--width-20"}),
    )
    additional_information = forms.CharField(
        label="Anything else the clinicians should know",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(
        self, *args: Any, health_agencies: Sequence[Agency], practitioners: Sequence[User], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        health = self.fields["health_agency"]
        assert isinstance(health, forms.ModelChoiceField)
        health.queryset = Agency.objects.filter(pk__in=[a.pk for a in health_agencies]).order_by("name")
        if len(health_agencies) == 1 and not self.is_bound:
            self.initial.setdefault("health_agency", health_agencies[0].pk)
        practitioner = self.fields["probation_practitioner"]
        assert isinstance(practitioner, forms.ModelChoiceField)
        practitioner.queryset = User.objects.filter(pk__in=[u.pk for u in practitioners]).select_related("agency")

    def referral_input(self) -> services.ReferralInput:
        data = self.cleaned_data
        practitioner = data.get("probation_practitioner")
        return services.ReferralInput(
            health_agency_id=data["health_agency"].pk,
            risk_information=data["risk_information"],
            desired_outcomes=_lines(data["desired_outcomes"]),
            accessibility_needs=data.get("accessibility_needs", ""),
            interpreter_required=data.get("interpreter_required") == "yes",
            interpreter_language=data.get("interpreter_language", ""),
            additional_information=data.get("additional_information", ""),
            probation_practitioner_id=practitioner.pk if practitioner else None,
        )


class DeclineForm(GovukForm):
    reason = forms.CharField(
        label="Why is the referral declined?",
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="The referrer sees this reason.",
        error_messages={"required": "Give the reason for declining the referral"},
    )


class WithdrawForm(GovukForm):
    reason = forms.CharField(
        label="Why is the referral withdrawn?",
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Give the reason for withdrawing the referral"},
    )


# --- therapy plan ------------------------------------------------------------------------------------------------


class PlanForm(VersionedForm):
    modalities = forms.MultipleChoiceField(
        label="Modalities",
        choices=Modality.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text="Select all that apply.",
        error_messages={"required": "Choose at least one modality"},
    )
    other_modality = forms.CharField(
        label="Other modality", max_length=200, required=False, help_text="Only if you chose other."
    )
    planned_sessions = forms.IntegerField(
        label="Number of planned sessions",
        min_value=1,
        max_value=MAX_PLANNED_SESSIONS,
        initial=DEFAULT_PLANNED_SESSIONS,
        widget=forms.NumberInput(attrs={"class": "govuk-input--width-3", "inputmode": "numeric"}),
        error_messages={
            "required": "Enter the number of planned sessions",
            "invalid": "Enter the number of planned sessions as a whole number",
            "min_value": "A plan has at least one session",
            "max_value": f"A plan has at most {MAX_PLANNED_SESSIONS} sessions",
        },
    )
    frequency = _radios(
        forms.ChoiceField(
            label="How often",
            choices=Frequency.choices,
            widget=forms.RadioSelect,
            initial=Frequency.WEEKLY,
            error_messages={"required": "Choose how often sessions are held"},
        )
    )
    desired_outcomes = forms.CharField(
        label="Desired outcomes",
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="One per line. The end-of-service report rates each of them.",
        error_messages={"required": "Enter at least one desired outcome"},
    )
    criminogenic_needs = forms.MultipleChoiceField(
        label="Criminogenic needs to address",
        choices=CriminogenicNeed.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    review_on = GovukDateField(
        label="Plan review date",
        help_text=f"Leave empty for half-way through the course. {DATE_HINT}",
    )
    change_reason = forms.CharField(
        label="Why is the plan changing?",
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="For example, extended by agreement after the review because progress is slow but steady.",
        error_messages={"required": "Give the reason for changing the approved plan"},
    )

    def __init__(self, *args: Any, revision: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not revision:
            del self.fields["change_reason"]

    def plan_input(self) -> services.PlanInput:
        data = self.cleaned_data
        return services.PlanInput(
            modalities=list(data["modalities"]),
            other_modality=data.get("other_modality", ""),
            planned_sessions=data["planned_sessions"],
            frequency=data["frequency"],
            desired_outcomes=_lines(data["desired_outcomes"]),
            criminogenic_needs=list(data.get("criminogenic_needs") or []),
            review_on=data.get("review_on"),
            change_reason=data.get("change_reason", ""),
        )


class PlanReviewForm(GovukForm):
    summary = forms.CharField(
        label="What did the review find and decide?",
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="Shared with probation. To extend the plan, revise it after recording the review.",
        error_messages={"required": "Say what the review found and decided"},
    )
    next_review_on = GovukDateField(
        label="Next review date", help_text=f"Leave empty if no further review is planned. {DATE_HINT}"
    )


# --- appointments and feedback -----------------------------------------------------------------------------------


class AppointmentForm(GovukForm):
    date = GovukDateField(label="Date", required=True)
    time = forms.CharField(
        label="Start time",
        max_length=10,
        help_text=TIME_HINT,
        widget=forms.TextInput(attrs={"class": "govuk-input--width-5", "autocomplete": "off"}),
        error_messages={"required": "Enter the start time"},
    )
    duration_minutes = forms.IntegerField(
        label="Duration in minutes",
        min_value=5,
        max_value=480,
        initial=60,
        widget=forms.NumberInput(attrs={"class": "govuk-input--width-3", "inputmode": "numeric"}),
        error_messages={
            "required": "Enter the duration",
            "invalid": "Enter the duration in minutes as a whole number",
            "min_value": "A session lasts at least 5 minutes",
            "max_value": "A session lasts at most 8 hours",
        },
    )
    method = _radios(
        forms.ChoiceField(
            label="How is the session held?",
            choices=Method.choices,
            widget=forms.RadioSelect,
            error_messages={"required": "Choose how the session is held"},
        )
    )
    reason = forms.CharField(
        label="Why is the appointment being rescheduled?",
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Give the reason for rescheduling"},
    )

    def __init__(self, *args: Any, rescheduling: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not rescheduling:
            del self.fields["reason"]

    def clean_time(self) -> dt.time:
        return parse_time(self.cleaned_data["time"])

    def appointment_input(self) -> services.AppointmentInput:
        data = self.cleaned_data
        return services.AppointmentInput(
            starts_at=local_datetime(data["date"], data["time"]),
            duration_minutes=data["duration_minutes"],
            method=data["method"],
        )


RENAME_APPOINTMENT = {"starts_at": "date"}

_SKIP_FORMATS = ("%d/%m/%Y", "%d/%m/%y", "%Y-%m-%d", "%d %B %Y", "%d %b %Y", "%d-%m-%Y", "%d.%m.%Y")


def parse_dates(value: str) -> list[dt.date]:
    """Dates one a line (or separated by commas), as people type them: 24/12/2026, 2026-12-24,
    24 December 2026. ValidationError names every line that is not a date."""
    days: list[dt.date] = []
    wrong: list[str] = []
    for line in (part.strip() for chunk in value.splitlines() for part in chunk.split(",")):
        if not line:
            continue
        for fmt in _SKIP_FORMATS:
            try:
                days.append(dt.datetime.strptime(line, fmt).date())
                break
            except ValueError:
                continue
        else:
            wrong.append(line)
    if wrong:
        raise ValidationError(
            f"Enter each date to skip like 24/12/2026, one a line: {', '.join(repr(w[:20]) for w in wrong[:5])} "
            f"{'is' if len(wrong) == 1 else 'are'} not a date"
        )
    return days


class CourseForm(GovukForm):
    """A course of sessions booked at once (services.course_book)."""

    first_date = GovukDateField(label="Date of the first session", required=True)
    start_time = forms.CharField(
        label="Start time",
        max_length=10,
        help_text=TIME_HINT,
        widget=forms.TextInput(attrs={"class": "govuk-input--width-5", "autocomplete": "off"}),
        error_messages={"required": "Enter the start time"},
    )
    frequency = _radios(
        forms.ChoiceField(
            label="How often",
            choices=Frequency.choices,
            widget=forms.RadioSelect,
            initial=Frequency.WEEKLY,
            error_messages={"required": "Choose how often the sessions are held"},
        )
    )
    sessions = forms.IntegerField(
        label="Number of sessions to book",
        help_text="From the first session of the plan not yet booked",
        min_value=1,
        max_value=MAX_PLANNED_SESSIONS,
        widget=forms.NumberInput(attrs={"class": "govuk-input--width-3", "inputmode": "numeric"}),
        error_messages={
            "required": "Enter the number of sessions to book",
            "invalid": "Enter the number of sessions as a whole number",
            "min_value": "Book at least one session",
            "max_value": f"Book at most {MAX_PLANNED_SESSIONS} sessions",
        },
    )
    skip_dates = forms.CharField(
        label="Dates to skip (optional)",
        required=False,
        help_text="Bank holidays, leave, court dates: one a line, like 24/12/2026. The course runs on past them.",
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    duration_minutes = AppointmentForm.base_fields["duration_minutes"]
    method = AppointmentForm.base_fields["method"]

    def clean_start_time(self) -> dt.time:
        return parse_time(self.cleaned_data["start_time"], label="start time")

    def clean_skip_dates(self) -> list[dt.date]:
        return parse_dates(self.cleaned_data["skip_dates"])

    def course_input(self) -> services.CourseInput:
        data = self.cleaned_data
        return services.CourseInput(
            first_date=data["first_date"],
            start_time=data["start_time"],
            frequency=data["frequency"],
            sessions=data["sessions"],
            skip_dates=data["skip_dates"],
            duration_minutes=data["duration_minutes"],
            method=data["method"],
        )


class AppointmentCancelForm(GovukForm):
    reason = forms.CharField(
        label="Why is the appointment being cancelled?",
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Give the reason for cancelling"},
    )


class FeedbackForm(GovukForm):
    attendance = _radios(
        forms.ChoiceField(
            label="Did the person attend?",
            choices=Attendance.choices,
            widget=forms.RadioSelect,
            error_messages={"required": "Say whether the person attended"},
        )
    )
    happened = _radios(
        forms.ChoiceField(
            label="Did the session happen?",
            choices=YES_NO,
            widget=forms.RadioSelect,
            error_messages={"required": "Say whether the session happened"},
        )
    )
    not_happened_reason = _radios(
        forms.ChoiceField(
            label="If it did not happen, why not?",
            choices=NotHappenedReason.choices,
            required=False,
            widget=HintedRadioSelect(
                hints={
                    NotHappenedReason.ACCEPTABLE: "For example, illness with notice, or a court date.",
                    NotHappenedReason.UNACCEPTABLE: "For example, no contact and no reason given.",
                    NotHappenedReason.LOGISTICS: "The service could not hold it: room, clinician, interpreter.",
                }
            ),
        )
    )
    summary = forms.CharField(
        label="Session summary for probation",
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=(
            "What was covered and how the person engaged. Every agency on the case reads this, "
            "including probation: put clinical detail in the clinical notes."
        ),
    )
    concerns_raised = _radios(
        forms.ChoiceField(
            label="Did anything about the person's behaviour or risk concern you?",
            choices=YES_NO,
            widget=forms.RadioSelect,
            help_text="If yes, the probation practitioner is told at once, in the service and by e-mail.",
            error_messages={"required": "Say whether anything concerned you"},
        )
    )
    concern_description = forms.CharField(
        label="Describe the behaviour or concern",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="If anything concerned you: for the probation practitioner. Do not include clinical detail "
        "or the victim's address.",
    )
    concern_victim_at_risk = forms.BooleanField(
        label="This may put the victim at risk (her advocate is told as well)",
        required=False,
        help_text="For example: he said he drove past her workplace.",
    )
    clinical_notes = forms.CharField(
        label="Clinical notes",
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text="Clinical record: only agencies the sharing agreement allows (health) can read these.",
    )

    def __init__(self, *args: Any, may_record_clinical: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not may_record_clinical:
            del self.fields["clinical_notes"]

    def feedback_input(self) -> services.FeedbackInput:
        data = self.cleaned_data
        return services.FeedbackInput(
            attendance=data["attendance"],
            happened=_yes_no(data.get("happened")),
            not_happened_reason=data.get("not_happened_reason", ""),
            summary=data.get("summary", ""),
            concerns_raised=data.get("concerns_raised") == "yes",
            concern_description=data.get("concern_description", ""),
            clinical_notes=data.get("clinical_notes", ""),
            concern_victim_at_risk=bool(data.get("concern_victim_at_risk")) and data.get("concerns_raised") == "yes",
        )


class ClinicalNoteForm(GovukForm):
    text = forms.CharField(
        label="Add a clinical note",
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Clinical record: only agencies the sharing agreement allows (health) can read it.",
        error_messages={"required": "Enter the clinical note"},
    )


# --- ending ----------------------------------------------------------------------------------------------------------

ENDING_HINTS: dict[str, str] = {
    Ending.COMPLETED: "Every planned session was delivered, or the clinician and the person agreed to end here.",
    Ending.ENDED_EARLY: "Some sessions were delivered; the service ended it (for example, recall to custody).",
    Ending.DROPPED_OUT: "Some sessions were delivered; the person stopped engaging.",
    Ending.CANCELLED: "No session was delivered.",
}


class EndForm(GovukForm):
    """The ending and, after delivered sessions, the end-of-service report: a rating for each
    desired outcome (fields ``rating_<n>`` and ``comments_<n>``)."""

    ending = _radios(
        forms.ChoiceField(
            label="How did the intervention end?",
            choices=Ending.choices,
            widget=HintedRadioSelect(hints=ENDING_HINTS),
            error_messages={"required": "Choose how the intervention ended"},
        )
    )
    by_agreement = forms.BooleanField(
        label="Ended by agreement before every planned session was delivered", required=False
    )
    ended_on = GovukDateField(label="Date it ended", help_text=f"Leave empty for today. {DATE_HINT}")
    reason = forms.CharField(
        label="Why did it end?",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Needed unless every planned session was delivered.",
    )
    report_summary = forms.CharField(
        label="Progress and next steps",
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="For probation: what changed, what risk remains, and what should happen next.",
    )

    def __init__(
        self,
        *args: Any,
        allowed: Sequence[str],
        outcomes: Sequence[str] = (),
        with_report: bool = True,
        direct: bool = True,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        ending = self.fields["ending"]
        assert isinstance(ending, forms.ChoiceField)
        ending.choices = [(value, label) for value, label in Ending.choices if value in allowed]
        if len(allowed) == 1 and not self.is_bound:
            self.initial.setdefault("ending", allowed[0])
        self.outcomes = list(outcomes) if with_report else []
        if not direct or Ending.COMPLETED not in allowed or len(allowed) == 1:
            del self.fields["by_agreement"]
        if not self.outcomes:
            del self.fields["report_summary"]
        for index in range(1, len(self.outcomes) + 1):
            self.fields[f"rating_{index}"] = _radios(
                forms.ChoiceField(
                    label="How far was it achieved?",
                    choices=Rating.choices,
                    widget=forms.RadioSelect,
                    required=False,
                    # The same question for each outcome: the error says which outcome it is about.
                    error_messages={"invalid_choice": f"Choose how far outcome {index} was achieved from the list"},
                )
            )
            self.fields[f"comments_{index}"] = forms.CharField(
                label="Comments", required=False, widget=forms.Textarea(attrs={"rows": 2})
            )

    @property
    def outcome_fields(self) -> list[tuple[int, str, forms.BoundField, forms.BoundField]]:
        return [
            (i, outcome, self[f"rating_{i}"], self[f"comments_{i}"]) for i, outcome in enumerate(self.outcomes, start=1)
        ]

    @property
    def main_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in ("ending", "by_agreement", "ended_on", "reason") if name in self.fields]

    def ending_input(self) -> services.EndingInput:
        data = self.cleaned_data
        ratings = []
        if data.get("ending") != Ending.CANCELLED:
            ratings = [
                services.RatingInput(rating=data.get(f"rating_{i}") or "", comments=data.get(f"comments_{i}", ""))
                for i in range(1, len(self.outcomes) + 1)
            ]
        return services.EndingInput(
            ending=data["ending"],
            ended_on=data.get("ended_on"),
            by_agreement=bool(data.get("by_agreement")),
            reason=data.get("reason", ""),
            report_summary=data.get("report_summary", ""),
            ratings=ratings,
        )


# --- other intervention types ----------------------------------------------------------------------------------------


class RecordForm(GovukForm):
    intervention_type = _radios(
        forms.ChoiceField(
            label="Type of intervention",
            choices=[],
            widget=forms.RadioSelect,
            error_messages={"required": "Choose the type of intervention"},
        )
    )
    started_on = GovukDateField(label="Start date", help_text=f"Leave empty while it is only planned. {DATE_HINT}")
    details = forms.CharField(
        label="What was done",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=(
            "A risk assessment's formulation and health signposting are clinical records; what was put in place "
            "for a victim is part of safety planning. Each is shown only to the agencies the sharing agreement allows."
        ),
    )

    def __init__(self, *args: Any, types: Sequence[InterventionType], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["intervention_type"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [(t.value, t.label) for t in types]


class StartForm(GovukForm):
    started_on = GovukDateField(label="Start date", help_text=f"Leave empty for today. {DATE_HINT}")
