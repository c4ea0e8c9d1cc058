"""Forms of the case pages. They parse input; the services decide what is allowed.

Field names match the keys of the services' ValidationError dicts, so a service
error lands on the field it is about (see ``apply_errors``).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import QuerySet

from agencies.models import Agency, RecordClass, User
from cases import services
from cases.models import (
    DECLINE_REASONS,
    HOME_OFFICE_CODES,
    AgeBand,
    CaseStatus,
    ContactChannel,
    CourtResult,
    Decision,
    Disability,
    DischargeReason,
    Ethnicity,
    Gender,
    Offence,
    OrderKind,
    OutcomeKind,
    ReferralReason,
    ReferringAgency,
    Relationship,
    SexualOrientation,
)
from cases.permissions import Transition
from masip.forms import GovukForm, VersionedForm

RISK_LEVELS = [("high", "High"), ("moderate", "Moderate"), ("low", "Low")]
TIERS = [("1", "Tier 1"), ("2", "Tier 2"), ("3", "Tier 3"), ("4", "Tier 4")]
DATE_HINT = "For example, 27 3 2026"


def apply_errors(form: forms.Form, exc: ValidationError, *, prefix: str = "") -> bool:
    """Put a service's errors on the form's visible fields; the rest on the form.

    ``prefix`` strips a service key's role prefix (``victim_family_name`` ->
    ``family_name``). Returns True if any error was placed.
    """
    placed = False
    for key, messages in exc.message_dict.items():
        name = key[len(prefix) :] if prefix and key.startswith(prefix) else None if prefix else key
        if name is None:
            continue
        field = form.fields.get(name)
        form.add_error(name if field is not None and not field.widget.is_hidden else None, messages)
        placed = True
    return placed


# --- the GOV.UK date input: day, month and year boxes -------------------------------------------


class GovukDateWidget(forms.MultiWidget):
    template_name = "cases/widgets/date_input.html"
    use_fieldset = True

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        # Rendered by the template above, which gives each box its label and inputmode.
        super().__init__({"day": forms.TextInput, "month": forms.TextInput, "year": forms.TextInput}, attrs)

    def decompress(self, value: Any) -> list[Any]:
        if isinstance(value, dt.date):
            return [value.day, value.month, value.year]
        return [None, None, None]

    def id_for_label(self, id_: str) -> str:
        # The error summary links to the day box, as the GOV.UK pattern says.
        return f"{id_}_0" if id_ else ""


class GovukDateField(forms.MultiValueField):
    widget = GovukDateWidget

    def __init__(self, *, label: str, required: bool = False, help_text: str = DATE_HINT, **kwargs: Any) -> None:
        self.noun = label
        parts = (
            forms.CharField(max_length=2, required=False),
            forms.CharField(max_length=2, required=False),
            forms.CharField(max_length=4, required=False),
        )
        kwargs.setdefault("error_messages", {"required": f"Enter the {label[0].lower()}{label[1:]}"})
        super().__init__(
            parts,
            label=label,
            required=required,
            help_text=help_text,
            require_all_fields=False,
            **kwargs,
        )
        self.template_name = "cases/forms/date_field.html"

    def compress(self, data_list: list[str]) -> dt.date | None:
        if not data_list or not any(data_list):
            return None
        day, month, year = ((v or "").strip() for v in data_list)
        missing = [name for name, v in (("day", day), ("month", month), ("year", year)) if not v]
        if missing:
            raise ValidationError(f"{self.noun} must include a {' and a '.join(missing)}")
        try:
            if len(year) != 4:
                raise ValueError
            return dt.date(int(year), int(month), int(day))
        except ValueError:
            raise ValidationError(f"{self.noun} must be a real date") from None


class OffenceRadios(forms.RadioSelect):
    """Radios whose hint gives the Home Office offence code, where there is one."""

    template_name = "cases/widgets/radios_with_hints.html"

    def create_option(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        option = super().create_option(*args, **kwargs)
        code = HOME_OFFICE_CODES.get(str(option["value"]), "")
        option["hint"] = f"Home Office code {code}" if code else ""
        return option


class OffenceField(forms.ChoiceField):
    """The offence as radios with their Home Office codes, in a fieldset with a legend."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(choices=Offence.choices, widget=OffenceRadios, **kwargs)
        # The shared field template gives a fieldset to RadioSelect only.
        self.template_name = "cases/forms/radios_field.html"


def _choices(choices: list[tuple[str, str]], empty: str) -> list[tuple[str, str]]:
    return [("", empty), *choices]


# --- the caseload --------------------------------------------------------------------------------


class CaseloadFilterForm(GovukForm):
    """The caseload's filters: none of them is personal data, so they travel in the URL."""

    status = forms.MultipleChoiceField(
        label="Status", choices=CaseStatus.choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    tier = forms.MultipleChoiceField(label="Tier", choices=TIERS, required=False, widget=forms.CheckboxSelectMultiple)
    risk = forms.MultipleChoiceField(
        label="Current risk", choices=RISK_LEVELS, required=False, widget=forms.CheckboxSelectMultiple
    )
    mine = forms.BooleanField(label="Only cases assigned to me", required=False)
    due = forms.ChoiceField(
        label="Next due date",
        choices=[("", "Any"), ("due", "Due today or earlier"), ("overdue", "Overdue")],
        required=False,
        widget=forms.RadioSelect,
    )

    def __init__(self, *args: Any, uses_tiers: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not uses_tiers:
            del self.fields["tier"]


# --- one case ----------------------------------------------------------------------------------------


class TransitionForm(GovukForm):
    """One move along the lifecycle table, with only the fields that move needs."""

    def __init__(self, *args: Any, transition: Transition | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.transition = transition
        if transition is None:
            return
        if transition.needs_decline_reason:
            self.fields["decision"] = forms.ChoiceField(
                label="Why is the case declined?",
                choices=[(d.value, Decision(d).label.removeprefix("Declined: ").capitalize()) for d in DECLINE_REASONS],
                widget=forms.RadioSelect,
                error_messages={"required": "Choose why the case is declined"},
            )
        if transition.needs_discharge_reason:
            self.fields["discharge_reason"] = forms.ChoiceField(
                label="Discharge reason",
                choices=DischargeReason.choices,
                widget=forms.RadioSelect,
                error_messages={"required": "Choose the discharge reason"},
            )
        if transition.needs_reason:
            self.fields["reason"] = forms.CharField(
                label="Reason",
                widget=forms.Textarea(attrs={"rows": 3}),
                error_messages={"required": "Give the reason"},
            )
        if transition.target == CaseStatus.CLOSED:
            # Needed only when something still open holds the closure back (cases.extensions
            # closure guards, e.g. a due follow-up review); the timeline records it.
            self.fields["override_reason"] = forms.CharField(
                label="Reason to close with work still open (optional)",
                help_text="Only if a follow-up review or other work is still open: say why the case closes now.",
                required=False,
                widget=forms.Textarea(attrs={"rows": 3}),
            )

    @property
    def has_fields(self) -> bool:
        return bool(self.fields)


class NoteForm(GovukForm):
    text = forms.CharField(
        label="Add a case note", widget=forms.Textarea(attrs={"rows": 4}), error_messages={"required": "Enter the note"}
    )
    record_class = forms.ChoiceField(
        label="Who may read it",
        required=False,
        help_text="A restricted note is shown only to agencies the information-sharing agreement allows.",
    )

    def __init__(self, *args: Any, visible_classes: frozenset[str] = frozenset(), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["record_class"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", "Every agency the case is shared with")] + [
            (rc.value, f"Restricted: {rc.label}") for rc in RecordClass if rc.value in visible_classes
        ]


class OrderForm(GovukForm):
    kind = forms.ChoiceField(
        label="Kind of order",
        choices=OrderKind.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose the kind of order"},
    )
    made_on = GovukDateField(label="Date the order was made", required=True)
    served_on = GovukDateField(label="Date served", help_text=f"If known. {DATE_HINT}")
    expires_on = GovukDateField(label="Expiry date", help_text=f"Leave empty if it has no fixed end. {DATE_HINT}")
    issued_by = forms.CharField(label="Court or authority", max_length=200, required=False)
    conditions = forms.CharField(
        label="Prohibitions and requirements",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Every agency on the case sees these. Do not name places by address here.",
    )
    exclusion_zones = forms.CharField(
        label="Exclusion zones and named places",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Victim location: shown only to agencies the information-sharing agreement allows.",
    )

    def __init__(self, *args: Any, may_record_location: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not may_record_location:
            del self.fields["exclusion_zones"]


class BreachForm(GovukForm):
    occurred_on = GovukDateField(label="Date of the breach", required=True)
    reported_on = GovukDateField(label="Date reported", help_text=f"If known. {DATE_HINT}")
    crime_reference = forms.CharField(
        label="Crime reference",
        max_length=40,
        required=False,
        widget=forms.TextInput(attrs={"class": "govuk-input--width-20"}),
    )
    description = forms.CharField(label="What happened", required=False, widget=forms.Textarea(attrs={"rows": 4}))


class OutcomeForm(GovukForm):
    kind = forms.ChoiceField(
        label="Outcome",
        choices=OutcomeKind.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose the outcome"},
    )
    decided_on = GovukDateField(label="Date of the outcome", required=True)
    offence = forms.ChoiceField(label="Offence", choices=_choices(Offence.choices, "Not recorded"), required=False)
    court_result = forms.ChoiceField(
        label="Court result",
        choices=_choices(CourtResult.choices, "Not a court result"),
        required=False,
        help_text="Only for a court result.",
    )
    sentence = forms.CharField(label="Sentence", required=False, widget=forms.Textarea(attrs={"rows": 2}))
    notes = forms.CharField(label="Notes", required=False, widget=forms.Textarea(attrs={"rows": 3}))


# Each factor is yes, no or not known: "not known" is kept apart from "no" (the evaluation
# counts only what was asked and answered).
KNOWN_ANSWERS = [("yes", "Yes"), ("no", "No"), ("unknown", "Not known")]
ANSWER_VALUES: dict[str, bool | None] = {"yes": True, "no": False, "unknown": None}


def _answer(value: bool | None) -> str:
    return "unknown" if value is None else "yes" if value else "no"


class EvaluationFactorsForm(VersionedForm):
    """The four factors the evaluation tests against re-offending. The antisocial lifestyle is
    criminal history: the field is left off for those the sharing agreement does not give it.
    Carries the version of the case it was rendered from (``masip.concurrency``)."""

    mental_health_services = forms.ChoiceField(
        label="Is the perpetrator known to mental-health services?",
        choices=KNOWN_ANSWERS,
        widget=forms.RadioSelect,
        error_messages={"required": "Answer whether the perpetrator is known to mental-health services"},
    )
    probation_involved = forms.ChoiceField(
        label="Is probation involved with the perpetrator?",
        choices=KNOWN_ANSWERS,
        widget=forms.RadioSelect,
        error_messages={"required": "Answer whether probation is involved"},
    )
    mappa = forms.ChoiceField(
        label="Is the perpetrator managed under MAPPA?",
        choices=KNOWN_ANSWERS,
        widget=forms.RadioSelect,
        help_text="Multi-agency public protection arrangements.",
        error_messages={"required": "Answer whether the perpetrator is managed under MAPPA"},
    )
    antisocial_lifestyle = forms.ChoiceField(
        label="Does the perpetrator lead an antisocial lifestyle?",
        choices=KNOWN_ANSWERS,
        widget=forms.RadioSelect,
        help_text="Criminal history: seen only by agencies the sharing agreement gives it.",
        error_messages={"required": "Answer whether the perpetrator leads an antisocial lifestyle"},
    )

    def __init__(
        self,
        *args: Any,
        current: Mapping[str, bool | None],
        criminal_history: bool,
        version: str,
        **kwargs: Any,
    ) -> None:
        kwargs["initial"] = {**{name: _answer(value) for name, value in current.items()}, "version": version}
        super().__init__(*args, **kwargs)
        if not criminal_history:
            del self.fields["antisocial_lifestyle"]

    def factors(self) -> dict[str, bool | None]:
        """The answers as the service takes them, only for the fields the form carries."""
        return {name: ANSWER_VALUES[self.cleaned_data[name]] for name in self.fields if name != "version"}


class StaffChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.get_full_name() or obj.email} ({obj.agency.name})"


class AssignWorkerForm(VersionedForm):
    worker = StaffChoiceField(
        label="Assigned worker",
        queryset=User.objects.none(),
        required=False,
        empty_label="Nobody (unassigned)",
        help_text="Staff of the agencies this case is shared with.",
    )

    def __init__(self, *args: Any, staff: QuerySet[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["worker"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = staff.order_by("last_name", "first_name")


class ShareAddForm(GovukForm):
    agency = forms.ModelChoiceField(
        label="Agency",
        queryset=Agency.objects.none(),
        empty_label="Choose an agency",
        error_messages={"required": "Choose an agency"},
    )
    reason = forms.CharField(
        label="Reason for sharing",
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Give the reason for sharing"},
    )

    def __init__(self, *args: Any, agencies: list[Agency], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["agency"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = Agency.objects.filter(pk__in=[a.pk for a in agencies]).order_by("name")


class ShareRemoveForm(GovukForm):
    agency = forms.ModelChoiceField(
        label="Stop sharing with",
        queryset=Agency.objects.none(),
        widget=forms.RadioSelect,
        empty_label=None,
        error_messages={"required": "Choose the agency"},
    )
    reason = forms.CharField(
        label="Reason for withdrawing sharing",
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Give the reason for withdrawing sharing"},
    )

    def __init__(self, *args: Any, agencies: list[Agency], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["agency"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = Agency.objects.filter(pk__in=[a.pk for a in agencies]).order_by("name")


class BreakGlassForm(GovukForm):
    reference = forms.CharField(
        label="Case reference",
        max_length=20,
        help_text="For example, MASIP-000123",
        widget=forms.TextInput(attrs={"class": "govuk-input--width-10", "spellcheck": "false", "autocomplete": "off"}),
        error_messages={"required": "Enter the case reference"},
    )
    reason = forms.CharField(
        label="Why do you need to open this case?",
        help_text="Your partnership's admins are told at once, and the reason is kept in the access log.",
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": "Explain why you need to open this case"},
    )

    def clean_reference(self) -> int:
        match = re.fullmatch(r"(?:MASIP-?)?0*(\d{1,12})", self.cleaned_data["reference"].strip().upper())
        if match is None:
            raise ValidationError("Enter a case reference like MASIP-000123")
        return int(match.group(1))


# --- people --------------------------------------------------------------------------------------------

MATCH_FIELDS = ("given_name", "family_name", "date_of_birth", "pnc_id", "nhs_number")


def match_terms(data: Mapping[str, Any]) -> dict[str, Any]:
    """What identity matching compares (selectors.person_match_candidates), from what parsed."""
    return {name: data.get(name) or (None if name == "date_of_birth" else "") for name in MATCH_FIELDS}


class PersonForm(GovukForm):
    """Who a person is: name, date of birth or age band, equality fields, identifiers."""

    given_name = forms.CharField(label="First name", max_length=150, required=False)
    family_name = forms.CharField(label="Last name", max_length=150, required=False)
    date_of_birth = GovukDateField(label="Date of birth", help_text="If known. For example, 27 3 1985")
    age_band = forms.ChoiceField(
        label="Age band",
        choices=_choices(AgeBand.choices, "Not known"),
        required=False,
        help_text="Only when the date of birth is not known.",
    )
    gender = forms.ChoiceField(label="Gender", choices=Gender.choices, required=False, widget=forms.RadioSelect)
    ethnicity = forms.ChoiceField(
        label="Ethnic group", choices=_choices(Ethnicity.choices, "Not recorded"), required=False
    )
    disability = forms.ChoiceField(
        label="Disability", choices=_choices(Disability.choices, "Not recorded"), required=False
    )
    sexual_orientation = forms.ChoiceField(
        label="Sexual orientation", choices=_choices(SexualOrientation.choices, "Not recorded"), required=False
    )
    pnc_id = forms.CharField(
        label="PNC ID",
        max_length=20,
        required=False,
        help_text="For example, 19/123456A",
        widget=forms.TextInput(attrs={"class": "govuk-input--width-10", "spellcheck": "false"}),
    )
    nhs_number = forms.CharField(
        label="NHS number",
        max_length=12,
        required=False,
        help_text="10 digits",
        widget=forms.TextInput(attrs={"class": "govuk-input--width-10", "inputmode": "numeric"}),
    )

    def person_input(self) -> services.PersonInput:
        data = self.cleaned_data
        return services.PersonInput(
            given_name=data.get("given_name", ""),
            family_name=data.get("family_name", ""),
            date_of_birth=data.get("date_of_birth"),
            age_band=data.get("age_band", ""),
            gender=data.get("gender") or "unknown",
            ethnicity=data.get("ethnicity", ""),
            disability=data.get("disability", ""),
            sexual_orientation=data.get("sexual_orientation", ""),
            pnc_id=data.get("pnc_id", ""),
            nhs_number=data.get("nhs_number", ""),
        )

    def match_terms(self) -> dict[str, Any]:
        return match_terms(getattr(self, "cleaned_data", {}))


class PersonEditForm(PersonForm, VersionedForm):
    """A person's identity details as the person page changes them, with the version it showed."""

    def person_changes(self) -> dict[str, Any]:
        data = self.person_input()
        return {name: getattr(data, name) for name in services.PERSON_FIELDS}


class IntakePersonForm(PersonForm):
    """A person at intake: who they are, plus the choice to link an existing record.

    ``link`` is a match candidate's offer (a signed, single-use token from cases.links),
    or "new"; the candidate panel renders it as radios. A person id is never accepted here.
    """

    link = forms.CharField(required=False, widget=forms.HiddenInput, max_length=500)
    # Whom the form is about, named before each of its errors in the page's error summary:
    # the victim's and the perpetrator's fields have the same labels.
    error_subject = ""
    # Set by the candidates' panel: matches were offered, so a choice among them is required.
    candidates_shown = forms.BooleanField(required=False, widget=forms.HiddenInput)

    ABOUT_FIELDS = ("age_band", "gender", "ethnicity", "disability", "sexual_orientation")

    def link_token(self) -> str:
        value = (self.cleaned_data.get("link") or "").strip()
        return "" if value == "new" else value

    def link_choice_missing(self) -> bool:
        """Matches were offered and neither one of them nor "none of these" was chosen."""
        return bool(self.cleaned_data.get("candidates_shown")) and not (self.cleaned_data.get("link") or "").strip()

    def location_input(self) -> services.PersonInput | None:
        return None

    def clean(self) -> dict[str, Any] | None:
        """The service's own checks on this person, so that the first submit says everything.

        A new record is checked whole; a linked one only for the contact details it gains.
        referral_create checks the same again (services.person_errors), so nothing relies
        on the form alone.
        """
        cleaned = super().clean()
        if self.link_token():
            location = self.location_input()
            errors = services.contact_detail_errors(location, "") if location else {}
        else:
            errors = services.person_errors(self.person_input())
        for name, message in errors.items():
            if name in self.fields and name not in self.errors:
                self.add_error(name, message)
        return cleaned

    def _group(self, names: tuple[str, ...]) -> list[forms.BoundField]:
        return [self[name] for name in names if name in self.fields]

    @property
    def identity_group(self) -> list[forms.BoundField]:
        return self._group(MATCH_FIELDS)

    @property
    def about_group(self) -> list[forms.BoundField]:
        return self._group(self.ABOUT_FIELDS)


class VictimForm(IntakePersonForm):
    """The victim, with where and how they may safely be contacted (victim location)."""

    error_subject = "Victim"

    address_line_1 = forms.CharField(label="Address line 1", max_length=200, required=False)
    address_line_2 = forms.CharField(label="Address line 2", max_length=200, required=False)
    town = forms.CharField(label="Town or city", max_length=100, required=False)
    postcode = forms.CharField(
        label="Postcode",
        max_length=10,
        required=False,
        widget=forms.TextInput(attrs={"class": "govuk-input--width-10"}),
    )
    phone = forms.CharField(
        label="Phone number",
        max_length=40,
        required=False,
        widget=forms.TextInput(attrs={"class": "govuk-input--width-20", "type": "tel"}),
    )
    safe_times = forms.CharField(
        label="Safe times to contact", max_length=200, required=False, help_text="For example, weekdays 10am to 2pm"
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
        max_length=100,
        required=False,
        widget=forms.TextInput(attrs={"class": "govuk-input--width-20"}),
    )
    contact_notes = forms.CharField(
        label="Other safe-contact notes", required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    LOCATION_FIELDS = (
        "address_line_1",
        "address_line_2",
        "town",
        "postcode",
        "phone",
        "safe_times",
        "channels",
        "no_voicemail",
        "code_word",
        "contact_notes",
    )

    def __init__(self, *args: Any, may_record_location: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not may_record_location:
            for name in self.LOCATION_FIELDS:
                del self.fields[name]

    def person_input(self) -> services.PersonInput:
        person = super().person_input()
        data = self.cleaned_data
        if data.get("address_line_1"):
            person.addresses = [
                services.AddressInput(
                    line_1=data["address_line_1"],
                    line_2=data.get("address_line_2", ""),
                    town=data.get("town", ""),
                    postcode=data.get("postcode", ""),
                )
            ]
        if data.get("phone"):
            person.contacts = [services.ContactInput(kind="phone", value=data["phone"])]
        if any(data.get(n) for n in ("safe_times", "channels", "no_voicemail", "code_word", "contact_notes")):
            person.safe_contact = services.SafeContactInput(
                safe_times=data.get("safe_times", ""),
                channels=list(data.get("channels") or []),
                no_voicemail=bool(data.get("no_voicemail")),
                code_word=data.get("code_word", ""),
                notes=data.get("contact_notes", ""),
            )
        return person

    @property
    def location_group(self) -> list[forms.BoundField]:
        return self._group(self.LOCATION_FIELDS)

    def location_input(self) -> services.PersonInput | None:
        """Only the location details: what a linked record gains from this referral."""
        full = self.person_input()
        if not (full.addresses or full.contacts or full.safe_contact):
            return None
        return services.PersonInput(addresses=full.addresses, contacts=full.contacts, safe_contact=full.safe_contact)


class PerpetratorForm(IntakePersonForm):
    error_subject = "Perpetrator"

    criminal_history = forms.CharField(
        label="Previous convictions and police intelligence",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args: Any, may_record_history: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not may_record_history:
            del self.fields["criminal_history"]

    @property
    def history_group(self) -> list[forms.BoundField]:
        return self._group(("criminal_history",))


class ReferralForm(GovukForm):
    received_on = GovukDateField(label="Date the referral was received", required=True)
    referring_agency_kind = forms.ChoiceField(
        label="Who referred the case?",
        choices=ReferringAgency.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose who referred the case"},
    )
    crime_references = forms.CharField(
        label="Crime references",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Separate several references with commas or put each on its own line.",
    )
    offence = OffenceField(label="Offence as recorded", error_messages={"required": "Choose the offence as recorded"})
    referral_reason = forms.ChoiceField(
        label="Reason for the referral",
        choices=_choices(ReferralReason.choices, "Choose a reason"),
        error_messages={"required": "Choose the reason for the referral"},
    )
    relationship = forms.ChoiceField(
        label="Relationship between the victim and the perpetrator",
        choices=_choices(Relationship.choices, "Choose a relationship"),
        error_messages={"required": "Choose the relationship"},
    )
    behaviour_started_on = GovukDateField(label="Date the behaviour started", help_text=f"If known. {DATE_HINT}")
    last_incident_on = GovukDateField(label="Date of the last incident", help_text=f"If known. {DATE_HINT}")
    summary = forms.CharField(
        label="Summary",
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="What has happened, in a few sentences. Do not include the victim's address here.",
    )

    def clean(self) -> dict[str, Any] | None:
        # The dates' order and "not in the future", said with the missing answers on the
        # first submit rather than after them (referral_create checks them again).
        cleaned = super().clean() or {}
        errors = services.referral_date_errors(
            received_on=cleaned.get("received_on"),
            behaviour_started_on=cleaned.get("behaviour_started_on"),
            last_incident_on=cleaned.get("last_incident_on"),
        )
        for name, message in errors.items():
            if name not in self.errors:
                self.add_error(name, message)
        return cleaned

    def referral_input(self) -> services.ReferralInput:
        data = self.cleaned_data
        references = [r.strip() for r in re.split(r"[,\n]", data.get("crime_references", "")) if r.strip()]
        return services.ReferralInput(
            received_on=data["received_on"],
            referring_agency_kind=data["referring_agency_kind"],
            offence=data["offence"],
            referral_reason=data["referral_reason"],
            relationship=data["relationship"],
            crime_references=references,
            behaviour_started_on=data.get("behaviour_started_on"),
            last_incident_on=data.get("last_incident_on"),
            summary=data.get("summary", ""),
        )


class MergeSearchForm(GovukForm):
    """Terms to find the duplicate record. Personal data: posted, never in a URL."""

    given_name = forms.CharField(label="First name", max_length=150, required=False)
    family_name = forms.CharField(label="Last name", max_length=150, required=False)
    date_of_birth = GovukDateField(label="Date of birth", help_text="If known. For example, 27 3 1985")
    pnc_id = forms.CharField(
        label="PNC ID", max_length=20, required=False, widget=forms.TextInput(attrs={"class": "govuk-input--width-10"})
    )
    nhs_number = forms.CharField(
        label="NHS number",
        max_length=12,
        required=False,
        widget=forms.TextInput(attrs={"class": "govuk-input--width-10"}),
    )


class MergeForm(GovukForm):
    # Rendered as radios beside each candidate; the first radio carries the field's id.
    merged = forms.IntegerField(
        label="The record to fold into this one",
        error_messages={"required": "Choose the record that is the same person"},
    )
    reason = forms.CharField(
        label="Why are these the same person?",
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Say why these are the same person"},
    )
