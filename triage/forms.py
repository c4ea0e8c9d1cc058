"""Forms of the meeting pages. They parse input; triage.services decides what is allowed.

Field names match the keys of the services' ValidationError dicts, so a service error
lands on the field it is about (cases.forms.apply_errors). Forms repeated once per agenda
item on the meeting page carry the item in their prefix, so every id on the page is unique.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

from agencies.models import Agency, RecordClass, User
from cases.forms import DATE_HINT, GovukDateField
from cases.models import DECLINE_REASONS, Decision, StalkerType
from masip.forms import GovukForm, VersionedForm
from masip.times import TIME_HINT, parse_time
from triage import services
from triage.models import AttendanceStatus, Consensus, Hearing, MeetingKind, Outcome, SashLevel

RADIOS_FIELD_TEMPLATE = "cases/forms/radios_field.html"
REFERENCE_RE = re.compile(r"^\s*(?:MASIP-?)?0*(\d{1,9})\s*$", re.IGNORECASE)


class RadiosField(forms.ChoiceField):
    """Radios in a fieldset whose legend is the label (the shared field template does this for
    RadioSelect only, and these may be inline radios)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        # Field.__init__ sets the instance's template_name, so it is set after it.
        self.template_name = RADIOS_FIELD_TEMPLATE


class InlineRadioSelect(forms.RadioSelect):
    """GOV.UK inline radios (yes/no, tiers), small."""

    template_name = "triage/widgets/radio_inline.html"


def _radios(
    label: str, choices: Iterable[tuple[str, str]], *, required: bool = False, inline: bool = False, **kwargs: Any
) -> forms.ChoiceField:
    return RadiosField(
        label=label,
        choices=list(choices),
        required=required,
        widget=InlineRadioSelect if inline else forms.RadioSelect,
        **kwargs,
    )


def _staff_choices(staff: Iterable[User], empty: str) -> list[Any]:
    """People grouped by agency (an <optgroup> each)."""
    groups: dict[str, list[tuple[str, str]]] = {}
    for person in staff:
        assert person.agency is not None
        groups.setdefault(person.agency.name, []).append((str(person.pk), person.get_full_name() or person.email))
    return [("", empty), *groups.items()]


def _record_class_choices(visible_classes: frozenset[str]) -> list[tuple[str, str]]:
    return [("", "Every agency the case is shared with")] + [
        (rc.value, f"Restricted: {rc.label}") for rc in RecordClass if rc.value in visible_classes
    ]


def parse_case_reference(value: str) -> int | None:
    """``MASIP-000012``, ``masip-12`` or ``12``: the case number staff quote."""
    match = REFERENCE_RE.match(value or "")
    return int(match.group(1)) if match else None


def _yes_no(value: str) -> bool | None:
    return {"yes": True, "no": False}.get(value)


# --- meetings ----------------------------------------------------------------------------------------------


class MeetingForm(GovukForm):
    kind = _radios(
        "Kind of meeting",
        MeetingKind.choices,
        required=True,
        error_messages={"required": "Choose a triage meeting or a stalking clinic"},
    )
    day = GovukDateField(label="Date of the meeting", required=True)
    time = forms.CharField(
        label="Start time",
        help_text=TIME_HINT,
        max_length=12,
        error_messages={"required": "Enter the start time"},
        widget=forms.TextInput(attrs={"class": "govuk-input--width-4", "inputmode": "numeric"}),
    )
    chair = forms.ChoiceField(label="Chair", required=False)
    location = forms.CharField(
        label="Where", required=False, max_length=200, help_text="A room, or how to join the call"
    )

    def __init__(self, *args: Any, staff: Iterable[User] = (), kinds: Iterable[str] | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        chair = self.fields["chair"]
        assert isinstance(chair, forms.ChoiceField)
        chair.choices = _staff_choices(staff, "Not chosen yet")
        if kinds is None:
            del self.fields["kind"]
        else:
            kind = self.fields["kind"]
            assert isinstance(kind, forms.ChoiceField)
            kind.choices = [(k, MeetingKind(k).label) for k in kinds]

    def clean_time(self) -> dt.time:
        return parse_time(self.cleaned_data["time"])

    def starts_at(self) -> dt.datetime:
        return timezone.make_aware(dt.datetime.combine(self.cleaned_data["day"], self.cleaned_data["time"]))

    def chair_id(self) -> int | None:
        value = self.cleaned_data.get("chair")
        return int(value) if value else None


class AttendanceForm(GovukForm):
    agency = forms.ChoiceField(label="Agency", required=False)
    person = forms.ChoiceField(label="Person", required=False, help_text="A member of staff with an account")
    name = forms.CharField(
        label="Or their name", required=False, max_length=200, help_text="Someone without an account"
    )
    status = _radios(
        "Attendance", AttendanceStatus.choices, inline=True, initial=AttendanceStatus.PRESENT, required=False
    )

    def __init__(self, *args: Any, agencies: Iterable[Agency] = (), staff: Iterable[User] = (), **kwargs: Any):
        super().__init__(*args, **kwargs)
        agency = self.fields["agency"]
        person = self.fields["person"]
        assert isinstance(agency, forms.ChoiceField) and isinstance(person, forms.ChoiceField)
        agency.choices = [("", "Choose an agency"), *((str(a.pk), a.name) for a in agencies)]
        person.choices = _staff_choices(staff, "No one named")

    def values(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "agency_id": int(data["agency"]) if data.get("agency") else None,
            "person_id": int(data["person"]) if data.get("person") else None,
            "name": data.get("name", ""),
            "status": data.get("status") or AttendanceStatus.PRESENT,
        }


# --- the agenda ------------------------------------------------------------------------------------------------


class AgendaProposalsForm(GovukForm):
    cases = forms.TypedMultipleChoiceField(
        label="Proposed cases",
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose at least one case to add"},
    )
    hearing = _radios("Hear them", Hearing.choices, inline=True, required=False)

    def __init__(self, *args: Any, case_ids: Iterable[int] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cases = self.fields["cases"]
        assert isinstance(cases, forms.ChoiceField)
        cases.choices = [(str(i), str(i)) for i in case_ids]


class AgendaReferenceForm(GovukForm):
    reference = forms.CharField(
        label="Add a case by its reference",
        help_text="For example, MASIP-000123",
        max_length=20,
        error_messages={"required": "Enter the case reference"},
        widget=forms.TextInput(attrs={"class": "govuk-input--width-10", "spellcheck": "false"}),
    )
    hearing = _radios("Hear it", Hearing.choices, inline=True, required=False)

    def clean_reference(self) -> int:
        case_id = parse_case_reference(self.cleaned_data["reference"])
        if case_id is None:
            raise ValidationError("Enter a case reference like MASIP-000123")
        return case_id


class HearingForm(VersionedForm):
    hearing = _radios("Hear it", Hearing.choices, inline=True, required=True)


# --- running the meeting ----------------------------------------------------------------------------------------


class ShareForm(GovukForm):
    agency = forms.ChoiceField(label="Agency", required=False)
    record_class = forms.ChoiceField(
        label="Who may read it",
        required=False,
        help_text="A restricted entry is shown only to agencies the information-sharing agreement allows.",
    )
    text = forms.CharField(
        label="What the agency knows",
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Enter what your agency knows"},
    )

    def __init__(
        self,
        *args: Any,
        visible_classes: frozenset[str] = frozenset(),
        agencies: Iterable[Agency] | None = None,
        own_agency: Agency | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        record_class = self.fields["record_class"]
        assert isinstance(record_class, forms.ChoiceField)
        record_class.choices = _record_class_choices(visible_classes)
        if agencies is None:
            del self.fields["agency"]
        else:
            agency = self.fields["agency"]
            assert isinstance(agency, forms.ChoiceField)
            agency.choices = [(str(a.pk), a.name) for a in agencies]
            if own_agency is not None:
                agency.initial = str(own_agency.pk)

    def agency_id(self) -> int | None:
        value = self.cleaned_data.get("agency")
        return int(value) if value else None


class DecisionForm(GovukForm):
    stalking_consensus = _radios("Does the conduct amount to stalking?", Consensus.choices, inline=True)
    meets_legal_threshold = _radios("Does it meet the legal threshold?", [("yes", "Yes"), ("no", "No")], inline=True)
    added_value = _radios("Can the partnership add value?", [("yes", "Yes"), ("no", "No")], inline=True)
    outcome = _radios("Outcome", Outcome.choices, required=True, error_messages={"required": "Choose the decision"})
    decline_reason = _radios(
        "Why is it declined?",
        [(d.value, Decision(d).label.removeprefix("Declined: ").capitalize()) for d in DECLINE_REASONS],
        help_text="Only when declining",
    )
    tier = _radios(
        "Tier",
        [("1", "1"), ("2", "2"), ("3", "3"), ("4", "4")],
        inline=True,
        help_text="Needed to accept a case; a review may change it",
    )
    reason = forms.CharField(
        label="Reason",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Needed to decline a case",
    )
    refer_to_clinic = forms.BooleanField(label="Refer to the stalking clinic", required=False)
    sash_level = _radios(
        "SASH level of concern", [("", "Not recorded at this meeting"), *SashLevel.choices], inline=True
    )
    stalker_type = forms.ChoiceField(
        label="Stalker type", required=False, choices=[("", "Not decided"), *StalkerType.choices]
    )
    stalker_type_secondary = forms.ChoiceField(
        label="Secondary stalker type (optional)",
        required=False,
        choices=[("", "None"), *StalkerType.choices],
        help_text="Where the case shows features of a second type; it must differ from the stalker type",
    )

    def __init__(
        self, *args: Any, outcomes: Iterable[str] = (), clinic: bool = False, uses_tiers: bool = True, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        if not uses_tiers:
            # The partnership does not give cases a tier: nothing to ask.
            del self.fields["tier"]
        outcome = self.fields["outcome"]
        assert isinstance(outcome, forms.ChoiceField)
        outcome.choices = [(o, Outcome(o).label) for o in outcomes]
        if clinic:
            del self.fields["refer_to_clinic"]

    def decision_input(self) -> services.DecisionInput:
        data = self.cleaned_data
        return services.DecisionInput(
            outcome=data["outcome"],
            stalking_consensus=data.get("stalking_consensus") or "",
            meets_legal_threshold=_yes_no(data.get("meets_legal_threshold") or ""),
            added_value=_yes_no(data.get("added_value") or ""),
            decline_reason=data.get("decline_reason") or "",
            reason=data.get("reason") or "",
            tier=int(data["tier"]) if data.get("tier") else None,
            refer_to_clinic=bool(data.get("refer_to_clinic")),
            sash_level=data.get("sash_level") or "",
            stalker_type=data.get("stalker_type") or "",
            stalker_type_secondary=data.get("stalker_type_secondary") or "",
        )


class ActionForm(GovukForm):
    description = forms.CharField(
        label="Action", widget=forms.Textarea(attrs={"rows": 2}), error_messages={"required": "Describe the action"}
    )
    owner = forms.ChoiceField(
        label="Owner", help_text="The person, and so their agency", error_messages={"required": "Choose the owner"}
    )
    due_on = GovukDateField(label="Due date", required=True, help_text=DATE_HINT)
    record_class = forms.ChoiceField(label="Who may read it", required=False)

    def __init__(
        self, *args: Any, staff: Iterable[User] = (), visible_classes: frozenset[str] = frozenset(), **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        owner = self.fields["owner"]
        record_class = self.fields["record_class"]
        assert isinstance(owner, forms.ChoiceField) and isinstance(record_class, forms.ChoiceField)
        owner.choices = _staff_choices(staff, "Choose the owner")
        record_class.choices = _record_class_choices(visible_classes)

    def action_input(self) -> services.ActionInput:
        data = self.cleaned_data
        return services.ActionInput(
            owner_id=int(data["owner"]) if data.get("owner") else None,
            description=data["description"],
            due_on=data["due_on"],
            record_class=data.get("record_class") or "",
        )


# --- one action --------------------------------------------------------------------------------------------------


class ActionCompleteForm(GovukForm):
    note = forms.CharField(
        label="What was done", required=False, widget=forms.Textarea(attrs={"rows": 2}), help_text="Optional"
    )


class ActionCancelForm(GovukForm):
    note = forms.CharField(
        label="Why is it no longer needed?",
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": "Give the reason for cancelling"},
    )


class ActionRescheduleForm(GovukForm):
    due_on = GovukDateField(label="New due date", required=True)


class WatchForm(GovukForm):
    review_on = GovukDateField(
        label="Review date",
        required=True,
        help_text=f"When the triage meeting should hear the case again. {DATE_HINT}",
    )
    reason = forms.CharField(
        label="Why the case is watched",
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": "Give the reason for watching the case"},
        help_text="For example: she is still in the relationship; if it ends she may be stalked.",
    )


class WatchEndForm(GovukForm):
    end_reason = forms.CharField(
        label="Why the watch ends",
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Give the reason for ending the watch"},
    )
