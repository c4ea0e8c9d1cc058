"""Forms of the advocacy pages. They parse input; advocacy.services decides what is allowed.

Field names match the keys of the services' ValidationError dicts so an error lands
on its field (cases.forms.apply_errors).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils import timezone

from advocacy import guardrails, services
from advocacy.models import (
    OUTCOME_SCALE_MAX,
    Agreement,
    ContactTopic,
    Direction,
    KeyEventKind,
    MeasureKind,
    MeasureStatus,
    NeedLevel,
    NeedsDomain,
    OutcomeStage,
    Satisfaction,
)
from advocacy.selectors import SafeContactView, VictimRef
from agencies.models import Agency, User
from cases.forms import DATE_HINT, GovukDateField
from cases.models import ContactChannel
from cases.services import SafeContactInput
from masip.forms import GovukForm, VersionedForm
from masip.times import TIME_HINT, parse_time


class TimeField(forms.Field):
    """A time as people type it (masip.times): 14:30, 9.30am, 2:30pm."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("help_text", TIME_HINT)
        kwargs.setdefault(
            "widget",
            forms.TextInput(attrs={"class": "govuk-input--width-5", "autocomplete": "off", "maxlength": 12}),
        )
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> dt.time | None:
        text = str(value or "").strip()
        if not text:
            return None
        return parse_time(text, label=str(self.label).lower() if self.label else "time")


def _moment(day: dt.date, time: dt.time | None) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, time or dt.time(0, 0)))


def _victim_field(victims: list[VictimRef], label: str = "Victim") -> forms.ChoiceField:
    choices = [(str(v.person_id), f"{v.name} ({v.role_label.lower()})") for v in victims]
    if len(victims) == 1:
        # Optional: with one victim the service knows whom the record is about.
        return forms.ChoiceField(choices=choices, widget=forms.HiddenInput, initial=choices[0][0], required=False)
    return forms.ChoiceField(
        label=label, choices=choices, widget=forms.RadioSelect, error_messages={"required": "Choose the victim"}
    )


class StaffChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.get_full_name() or obj.email} ({obj.agency.name})"


class VictimFormMixin:
    """A ``victim`` field: radios when the case has several victims, hidden when it has one."""

    fields: dict[str, forms.Field]
    cleaned_data: dict[str, Any]

    def add_victim_field(self, victims: list[VictimRef]) -> None:
        field = _victim_field(victims)
        self.fields = {"victim": field, **self.fields}

    def person_id(self) -> int | None:
        value = self.cleaned_data.get("victim")
        return int(value) if value else None


UNSAFE_MARK = " (not agreed as safe)"


class GuardrailFieldsMixin:
    """The safe-contact guardrails' fields (advocacy.guardrails): the ways a victim has not
    agreed are marked on the method radios, a reason field for using one anyway, and, when
    the shareable text looks like it holds personal details, a box to confirm it may stay."""

    fields: dict[str, forms.Field]
    data: Any
    is_bound: bool
    cleaned_data: dict[str, Any]

    def add_guardrail_fields(
        self, *, channel_field: str, text_field: str, text_name: str, safe_contacts: list[SafeContactView] | None
    ) -> None:
        reason = forms.CharField(
            label="Reason for using a way not agreed as safe",
            required=False,
            widget=forms.Textarea(attrs={"rows": 2}),
            help_text="Needed for a way marked as not agreed as safe. If her agreed ways are not shown to you, "
            "every way needs one. It is kept and shown with the contact.",
        )
        fields: dict[str, forms.Field] = {}
        for name, value in self.fields.items():
            fields[name] = value
            if name == channel_field:
                fields["unsafe_method_reason"] = reason
        self.fields = fields
        self._mark_unsafe(channel_field, safe_contacts)
        text = str(self.data.get(self.add_prefix(text_field), "")) if self.is_bound else ""  # type: ignore[attr-defined]
        if guardrails.personal_details_in(text) or self.data.get(self.add_prefix("personal_details_confirmed")):  # type: ignore[attr-defined]
            confirm = forms.BooleanField(
                label=f"The personal details in the {text_name} are safe to share",
                required=False,
            )
            fields = {}
            for name, value in self.fields.items():
                fields[name] = value
                if name == text_field:
                    fields["personal_details_confirmed"] = confirm
            self.fields = fields

    def _mark_unsafe(self, channel_field: str, safe_contacts: list[SafeContactView] | None) -> None:
        recorded = [s for s in safe_contacts or [] if s.recorded and s.channels]
        if not recorded:
            return
        field = self.fields[channel_field]
        assert isinstance(field, forms.ChoiceField)
        if len(recorded) == 1:
            safe = set(recorded[0].channels)
            field.choices = [
                (value, f"{label}{UNSAFE_MARK}" if value not in safe else label)
                for value, label in ContactChannel.choices
            ]
        else:
            field.help_text = "Agreed as safe: " + "; ".join(
                f"{s.victim}: {', '.join(s.channel_labels)}" for s in recorded
            )

    def guardrail_values(self) -> dict[str, Any]:
        return {
            "unsafe_method_reason": self.cleaned_data.get("unsafe_method_reason", ""),
            "personal_details_confirmed": bool(self.cleaned_data.get("personal_details_confirmed")),
        }


class ContactForm(GuardrailFieldsMixin, VictimFormMixin, GovukForm):
    occurred_on = GovukDateField(label="Date of the contact", required=True)
    occurred_time = TimeField(label="Time of the contact", required=True, error_messages={"required": "Enter the time"})
    channel = forms.ChoiceField(
        label="How",
        choices=ContactChannel.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose how the contact was made"},
    )
    direction = forms.ChoiceField(
        label="Who made the contact",
        choices=Direction.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose whether the contact was to or from the victim"},
    )
    duration_minutes = forms.IntegerField(
        label="Duration in minutes",
        required=False,
        min_value=0,
        max_value=1440,
        widget=forms.TextInput(attrs={"class": "govuk-input--width-4", "inputmode": "numeric"}),
    )
    topics = forms.MultipleChoiceField(
        label="Topics",
        choices=ContactTopic.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose at least one topic"},
    )
    summary = forms.CharField(
        label="Summary",
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": "Enter a summary"},
        help_text="Others may read this: do not write the victim's address, phone number or e-mail address here.",
    )
    next_contact_due = GovukDateField(label="Next contact due", help_text=f"If agreed. {DATE_HINT}")

    staff_member = StaffChoiceField(
        label="Who had the contact", queryset=User.objects.none(), empty_label=None, required=False
    )

    def __init__(
        self,
        *args: Any,
        victims: list[VictimRef],
        edit: bool = False,
        staff: QuerySet[User] | None = None,
        safe_contacts: list[SafeContactView] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.add_guardrail_fields(
            channel_field="channel", text_field="summary", text_name="summary", safe_contacts=safe_contacts
        )
        if staff is None:
            del self.fields["staff_member"]
        else:
            field = self.fields["staff_member"]
            assert isinstance(field, forms.ModelChoiceField)
            field.queryset = staff.select_related("agency").order_by("last_name", "first_name")
        if not edit:
            self.add_victim_field(victims)
            now = timezone.localtime()
            self.fields["occurred_on"].initial = now.date()
            self.fields["occurred_time"].initial = f"{now:%H:%M}"
        else:
            self.fields["reason"] = forms.CharField(
                label="Why are you changing this record?",
                widget=forms.Textarea(attrs={"rows": 2}),
                help_text="The earlier version is kept, with your reason.",
                error_messages={"required": "Say why the contact record is being changed"},
            )

    def contact_input(self) -> services.ContactInput:
        data = self.cleaned_data
        return services.ContactInput(
            occurred_at=_moment(data["occurred_on"], data["occurred_time"]),
            channel=data["channel"],
            direction=data["direction"],
            topics=list(data["topics"]),
            summary=data["summary"],
            duration_minutes=data.get("duration_minutes"),
            next_contact_due=data.get("next_contact_due"),
            staff_member=data.get("staff_member"),
            **self.guardrail_values(),
        )

    @staticmethod
    def initial_for(entry: Any) -> dict[str, Any]:
        local = timezone.localtime(entry.occurred_at)
        return {
            "occurred_on": local.date(),
            "occurred_time": f"{local:%H:%M}",
            "channel": entry.channel,
            "direction": entry.direction,
            "duration_minutes": entry.duration_minutes,
            "topics": list(entry.topics),
            "summary": entry.summary,
            "next_contact_due": entry.next_contact_due,
            "staff_member": entry.staff_member_id,
            "unsafe_method_reason": entry.unsafe_method_reason,
        }


class AssignForm(VictimFormMixin, GovukForm):
    advocate = StaffChoiceField(
        label="Advocate",
        queryset=User.objects.none(),
        empty_label="Choose an advocate",
        error_messages={"required": "Choose an advocate"},
    )
    handover_note = forms.CharField(
        label="Handover note",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Needed when the victim already has an advocate: what the new advocate must know.",
    )

    def __init__(self, *args: Any, victims: list[VictimRef], candidates: list[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.add_victim_field(victims)
        field = self.fields["advocate"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = (
            User.objects.filter(pk__in=[c.pk for c in candidates])
            .select_related("agency")
            .order_by("last_name", "first_name")
        )


class EndForm(VictimFormMixin, GovukForm):
    note = forms.CharField(
        label="Why is advocacy support ending?",
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Say why advocacy support is ending"},
    )

    def __init__(self, *args: Any, victims: list[VictimRef], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.add_victim_field(victims)


class SafeContactForm(GovukForm):
    """Parses only: the lengths and channels are checked by cases.services.validate_safe_contact,
    the same check as every other writer of these details."""

    safe_times = forms.CharField(
        label="Safe times to contact", required=False, help_text="For example, weekdays 10am to 2pm"
    )
    channels = forms.MultipleChoiceField(
        label="Safe ways to contact",
        choices=ContactChannel.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    no_voicemail = forms.BooleanField(label="Do not leave voicemail", required=False)
    code_word = forms.CharField(
        label="Code word",
        required=False,
        widget=forms.TextInput(attrs={"class": "govuk-input--width-20"}),
    )
    notes = forms.CharField(label="Other safe-contact notes", required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def safe_contact_data(self) -> SafeContactInput:
        data = self.cleaned_data
        return SafeContactInput(
            safe_times=data.get("safe_times", ""),
            channels=list(data.get("channels") or []),
            no_voicemail=bool(data.get("no_voicemail")),
            code_word=data.get("code_word", ""),
            notes=data.get("notes", ""),
        )


class NeedsForm(VictimFormMixin, GovukForm):
    assessed_on = GovukDateField(label="Date of the assessment", required=True)
    review_on = GovukDateField(label="Review date", required=True)
    notes = forms.CharField(label="Notes", required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(
        self, *args: Any, victims: list[VictimRef], hints: dict[str, str] | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.add_victim_field(victims)
        self.fields["assessed_on"].initial = timezone.localdate()
        hints = hints or {}
        notes = self.fields.pop("notes")
        for domain in NeedsDomain:
            self.fields[f"level_{domain.value}"] = forms.ChoiceField(
                label=domain.label,
                choices=NeedLevel.choices,
                widget=forms.RadioSelect,
                help_text=hints.get(domain.value, ""),
                error_messages={"required": f"Choose the level of need for {domain.label.lower()}"},
            )
            self.fields[f"notes_{domain.value}"] = forms.CharField(
                label=f"{domain.label}: notes", required=False, widget=forms.Textarea(attrs={"rows": 2})
            )
        self.fields["notes"] = notes

    def domain_rows(self) -> list[tuple[str, forms.BoundField, forms.BoundField]]:
        return [(d.label, self[f"level_{d.value}"], self[f"notes_{d.value}"]) for d in NeedsDomain]

    def levels(self) -> dict[str, str]:
        return {d.value: self.cleaned_data.get(f"level_{d.value}", "") for d in NeedsDomain}

    def domain_notes(self) -> dict[str, str]:
        return {d.value: self.cleaned_data.get(f"notes_{d.value}", "") for d in NeedsDomain}


class OutcomeForm(VictimFormMixin, GovukForm):
    recorded_on = GovukDateField(label="Date she was asked", required=True)
    stage = forms.ChoiceField(
        label="When was she asked?",
        choices=[(s.value, s.label) for s in (OutcomeStage.INTAKE, OutcomeStage.REVIEW, OutcomeStage.CLOSURE)],
        widget=forms.RadioSelect,
        error_messages={"required": "Choose when she was asked: at intake, at a needs review or at closure"},
    )
    feels_safe = forms.IntegerField(
        label="How safe does she feel?",
        help_text="From 0 (not safe at all) to 10 (completely safe). Leave empty if she did not want to say",
        required=False,
        min_value=0,
        max_value=OUTCOME_SCALE_MAX,
        widget=forms.NumberInput(attrs={"class": "govuk-input--width-2", "inputmode": "numeric"}),
        error_messages={
            "invalid": "How safe she feels must be a whole number from 0 to 10",
            "min_value": "How safe she feels must be a whole number from 0 to 10",
            "max_value": "How safe she feels must be a whole number from 0 to 10",
        },
    )
    wellbeing = forms.IntegerField(
        label="How is her wellbeing?",
        help_text="From 0 (very poor) to 10 (very good). Leave empty if she did not want to say",
        required=False,
        min_value=0,
        max_value=OUTCOME_SCALE_MAX,
        widget=forms.NumberInput(attrs={"class": "govuk-input--width-2", "inputmode": "numeric"}),
        error_messages={
            "invalid": "Wellbeing must be a whole number from 0 to 10",
            "min_value": "Wellbeing must be a whole number from 0 to 10",
            "max_value": "Wellbeing must be a whole number from 0 to 10",
        },
    )
    incidents_last_month = forms.IntegerField(
        label="Incidents in the last month",
        help_text="How many times the stalking behaviour happened in the last month, as she tells it",
        required=False,
        min_value=0,
        widget=forms.NumberInput(attrs={"class": "govuk-input--width-3", "inputmode": "numeric"}),
        error_messages={
            "invalid": "Incidents in the last month must be a whole number",
            "min_value": "Incidents in the last month cannot be negative",
        },
    )

    def __init__(self, *args: Any, victims: list[VictimRef], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.add_victim_field(victims)
        self.fields["recorded_on"].initial = timezone.localdate()


class _AgencyChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.name} ({obj.get_kind_display()})"


class MeasureForm(VictimFormMixin, GovukForm):
    kind = forms.ChoiceField(
        label="Measure",
        choices=MeasureKind.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose a measure from the catalogue"},
    )
    details = forms.CharField(label="Details", required=False, widget=forms.Textarea(attrs={"rows": 3}))
    owner_agency = _AgencyChoice(
        label="Owner",
        queryset=Agency.objects.none(),
        empty_label="Choose the agency responsible",
        error_messages={"required": "Choose the agency that owns this measure"},
    )
    status = forms.ChoiceField(
        label="Status",
        choices=[(MeasureStatus.PROPOSED.value, "Proposed"), (MeasureStatus.IN_PLACE.value, "Already in place")],
        widget=forms.RadioSelect,
        initial=MeasureStatus.PROPOSED.value,
        error_messages={"required": "Choose the status"},
    )
    in_place_on = GovukDateField(label="Date put in place", help_text=f"If already in place. {DATE_HINT}")
    review_on = GovukDateField(label="Review date", help_text=f"If known. {DATE_HINT}")

    def __init__(self, *args: Any, victims: list[VictimRef], agencies: list[Agency], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.add_victim_field(victims)
        field = self.fields["owner_agency"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = Agency.objects.filter(pk__in=[a.pk for a in agencies]).order_by("name")

    def measure_input(self) -> services.MeasureInput:
        data = self.cleaned_data
        return services.MeasureInput(
            kind=data["kind"],
            owner_agency=data["owner_agency"],
            details=data.get("details", ""),
            status=data["status"],
            in_place_on=data.get("in_place_on"),
            review_on=data.get("review_on"),
        )


class MeasureUpdateForm(VersionedForm):
    status = forms.ChoiceField(label="Change status", required=False, widget=forms.RadioSelect)
    on = GovukDateField(label="Date of the change", help_text=f"Leave empty for today. {DATE_HINT}")
    details = forms.CharField(label="Details", required=False, widget=forms.Textarea(attrs={"rows": 3}))
    owner_agency = _AgencyChoice(label="Owner", queryset=Agency.objects.none(), empty_label=None)
    review_on = GovukDateField(label="Review date", help_text=f"Leave empty for no review date. {DATE_HINT}")

    def __init__(self, *args: Any, current: str, agencies: list[Agency], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["status"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", f"Keep as {MeasureStatus(current).label.lower()}")] + [
            (s.value, s.label) for s in MeasureStatus if s.value in services.MEASURE_TRANSITIONS[current]
        ]
        owner = self.fields["owner_agency"]
        assert isinstance(owner, forms.ModelChoiceField)
        owner.queryset = Agency.objects.filter(pk__in=[a.pk for a in agencies]).order_by("name")


class ReviewForm(VictimFormMixin, GovukForm):
    reviewed_on = GovukDateField(label="Date of the review", required=True)
    summary = forms.CharField(
        label="What was reviewed and agreed",
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": "Summarise the review"},
    )
    next_review_on = GovukDateField(label="Next review date", help_text=f"If agreed. {DATE_HINT}")

    def __init__(self, *args: Any, victims: list[VictimRef], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.add_victim_field(victims)
        self.fields["reviewed_on"].initial = timezone.localdate()


class KeyEventForm(GovukForm):
    kind = forms.ChoiceField(
        label="What happened, or will happen?",
        choices=KeyEventKind.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose the kind of event"},
    )
    occurs_on = GovukDateField(label="Date of the event", required=True, help_text=f"Past or future. {DATE_HINT}")
    details = forms.CharField(
        label="Details for the victim's advocate",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="For example new bail conditions, the court and time, or the release address area if the "
        "victim needs to know. The victim's own address must never be written here.",
    )

    def key_event_input(self) -> services.KeyEventInput:
        return services.KeyEventInput(
            kind=self.cleaned_data["kind"],
            occurs_on=self.cleaned_data["occurs_on"],
            details=self.cleaned_data.get("details", ""),
        )


class ToldForm(GuardrailFieldsMixin, GovukForm):
    told_on = GovukDateField(label="Date the victim was told", required=True)
    told_time = TimeField(
        label="Time the victim was told", required=True, error_messages={"required": "Enter the time"}
    )
    method = forms.ChoiceField(
        label="How was the victim told?",
        choices=ContactChannel.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose how the victim was told"},
    )
    note = forms.CharField(
        label="Note",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Kept as the summary of the contact in the contact log; others may read it: "
        "do not write the victim's address, phone number or e-mail address here.",
    )

    def __init__(self, *args: Any, safe_contacts: list[SafeContactView] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.add_guardrail_fields(
            channel_field="method", text_field="note", text_name="note", safe_contacts=safe_contacts
        )
        now = timezone.localtime()
        self.fields["told_on"].initial = now.date()
        self.fields["told_time"].initial = f"{now:%H:%M}"

    def told_at(self) -> dt.datetime:
        return _moment(self.cleaned_data["told_on"], self.cleaned_data["told_time"])


def _scale(label: str, choices: list[tuple[int, str]]) -> forms.TypedChoiceField:
    return forms.TypedChoiceField(
        label=label,
        choices=[(str(v), text) for v, text in choices],
        coerce=int,
        empty_value=None,
        required=False,
        widget=forms.RadioSelect,
    )


class FeedbackForm(VictimFormMixin, GovukForm):
    collected_on = GovukDateField(label="Date the questionnaire was completed", required=True)
    declined = forms.BooleanField(label="The victim chose not to answer the questionnaire", required=False)
    feels_safer = _scale("I feel safer than when the support started", Agreement.choices)
    felt_informed = _scale("I was kept informed about my case", Agreement.choices)
    coping = _scale("I feel better able to cope", Agreement.choices)
    overall_satisfaction = _scale("Overall, how satisfied are you with the support?", Satisfaction.choices)
    comments = forms.CharField(
        label="Anything else the victim said", required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args: Any, victims: list[VictimRef], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.add_victim_field(victims)
        self.fields["collected_on"].initial = timezone.localdate()

    def feedback_input(self) -> services.FeedbackInput:
        data = self.cleaned_data
        return services.FeedbackInput(
            collected_on=data["collected_on"],
            declined=bool(data.get("declined")),
            feels_safer=data.get("feels_safer"),
            felt_informed=data.get("felt_informed"),
            coping=data.get("coping"),
            overall_satisfaction=data.get("overall_satisfaction"),
            comments=data.get("comments", ""),
        )


class SettingsForm(GovukForm):
    tell_victim_within_hours = forms.IntegerField(
        label="Hours to tell a victim of a key event",
        min_value=1,
        max_value=168,
        help_text="After this many hours without the victim being told, the advocacy agency's lead is alerted.",
        widget=forms.TextInput(attrs={"class": "govuk-input--width-4", "inputmode": "numeric"}),
    )
    review_reminder_days = forms.IntegerField(
        label="Days before a safety-plan review to remind the advocate",
        min_value=0,
        max_value=60,
        widget=forms.TextInput(attrs={"class": "govuk-input--width-4", "inputmode": "numeric"}),
    )


class LeadForm(GovukForm):
    user = StaffChoiceField(
        label="Add a lead",
        queryset=User.objects.none(),
        empty_label="Choose a member of advocacy staff",
        error_messages={"required": "Choose a member of advocacy staff"},
    )

    def __init__(self, *args: Any, staff: list[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["user"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = (
            User.objects.filter(pk__in=[u.pk for u in staff])
            .select_related("agency")
            .order_by("last_name", "first_name")
        )
