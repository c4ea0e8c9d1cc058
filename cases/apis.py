"""The cases API: the same selectors, services and access rules as the case pages.

Everything a person sees comes from cases.selectors, already scoped to the user
and already shaped by the information-sharing agreement; every write goes
through cases.services. Outside the user's scope the selectors raise Http404 and
the answer is 404. A service's ValidationError becomes a 400 with its
``{field: [messages]}``. Search terms and identifying details travel in request
bodies, never in URLs, because URLs end up in server and proxy logs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from agencies.models import Agency, RecordClass, User
from agencies.selectors import agencies_of_partnership
from agencies.staff import api_staff_member
from audit.models import AccessAction
from cases import reads, selectors, services
from cases.models import (
    DECLINE_REASONS,
    AgeBand,
    CaseStatus,
    ContactChannel,
    ContactKind,
    CourtResult,
    Disability,
    DischargeReason,
    Ethnicity,
    Gender,
    Offence,
    OrderKind,
    OutcomeKind,
    PartyRole,
    ReferralReason,
    ReferringAgency,
    Relationship,
    SexualOrientation,
)
from masip.api import IF_MATCH, PRECONDITION_FAILED, if_match, with_etag
from masip.api import call_service as _call
from masip.api import validated as _valid

# --- choices in the schema ------------------------------------------------------------------------------------
#
# Several choice sets share a field name (``kind`` of an order, an outcome, a contact;
# ``role`` of a case party and of a member of staff). drf-spectacular's enum naming
# warns on those collisions, so each choice set here is its own named component.

_CHOICE_FIELDS: dict[str, type[serializers.ChoiceField]] = {}


def _choice(name: str, choices: Iterable[tuple[str, str]], **kwargs: Any) -> serializers.ChoiceField:
    pairs = [(str(value), str(label)) for value, label in choices]
    blank = bool(kwargs.get("allow_blank"))
    component = f"{name}OrBlank" if blank else name
    field_class = _CHOICE_FIELDS.get(component)
    if field_class is None:
        schema = {
            "type": "string",
            "enum": [value for value, _ in pairs] + ([""] if blank else []),
            "description": "\n".join(f"* `{value}` - {label}" for value, label in pairs),
        }
        field_class = extend_schema_field(schema, component_name=component)(
            type(f"{component}Field", (serializers.ChoiceField,), {})
        )
        _CHOICE_FIELDS[component] = field_class
    return field_class(choices=pairs, **kwargs)


def _optional_choice(name: str, choices: Iterable[tuple[str, str]]) -> serializers.ChoiceField:
    return _choice(name, choices, required=False, allow_blank=True, default="")


def _text(max_length: int | None = None) -> serializers.CharField:
    return serializers.CharField(required=False, allow_blank=True, default="", max_length=max_length)


def _date() -> serializers.DateField:
    return serializers.DateField(required=False, allow_null=True, default=None)


ERRORS = {
    400: OpenApiResponse(description="Field errors: `{field: [message, ...]}`"),
    404: OpenApiResponse(description="No such record, or outside your scope"),
}


# --- output: what a person sees ------------------------------------------------------------------------------


class StaffRefOutput(serializers.Serializer[User]):
    id = serializers.IntegerField()
    name = serializers.SerializerMethodField()

    def get_name(self, obj: User) -> str:
        return obj.get_full_name() or obj.email


class AgencyRefOutput(serializers.Serializer[Agency]):
    id = serializers.IntegerField()
    name = serializers.CharField()
    kind = serializers.CharField()
    kind_label = serializers.CharField(source="get_kind_display")


class CaseOutput(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    reference = serializers.CharField()
    referral_ref = serializers.CharField(source="referral.ref")
    received_on = serializers.DateField()
    status = serializers.CharField()
    status_label = serializers.CharField(source="get_status_display")
    decision = serializers.CharField()
    decision_label = serializers.CharField(source="get_decision_display")
    decided_on = serializers.DateField(allow_null=True)
    decision_reason = serializers.CharField()
    tier = serializers.IntegerField(allow_null=True)
    heard_at_clinic = serializers.BooleanField()
    stalker_type = serializers.CharField(help_text="Primary stalker type (Mullen); empty when not decided")
    stalker_type_secondary = serializers.CharField(help_text="Secondary stalker type; empty when none")
    closed_on = serializers.DateField(allow_null=True)
    discharge_reason = serializers.CharField()
    current_risk = serializers.CharField(help_text="Current overall risk; empty when not assessed")
    next_due_on = serializers.DateField(allow_null=True)
    is_restricted = serializers.BooleanField()
    assigned_worker = StaffRefOutput(allow_null=True)
    updated_at = serializers.DateTimeField()


class ReferralOutput(serializers.Serializer[Any]):
    ref = serializers.CharField()
    received_on = serializers.DateField()
    referring_agency_kind = serializers.CharField()
    referring_agency_kind_label = serializers.CharField(source="get_referring_agency_kind_display")
    offence = serializers.CharField()
    offence_label = serializers.CharField(source="get_offence_display")
    home_office_code = serializers.CharField()
    referral_reason = serializers.CharField()
    referral_reason_label = serializers.CharField(source="get_referral_reason_display")
    relationship = serializers.CharField()
    relationship_label = serializers.CharField(source="get_relationship_display")
    behaviour_started_on = serializers.DateField(allow_null=True)
    last_incident_on = serializers.DateField(allow_null=True)
    summary = serializers.CharField()


class SafeContactOutput(serializers.Serializer[Any]):
    safe_times = serializers.CharField()
    channels = serializers.ListField(child=serializers.CharField())
    no_voicemail = serializers.BooleanField()
    code_word = serializers.CharField()
    notes = serializers.CharField()


class PartyOutput(serializers.Serializer[Any]):
    """selectors.PartyView as it is: withheld fields are null or empty and listed in ``withheld``."""

    person_id = serializers.IntegerField()
    role = serializers.CharField()
    role_label = serializers.CharField()
    is_primary = serializers.BooleanField()
    name = serializers.CharField(allow_null=True)
    display_name = serializers.CharField()
    identity_visible = serializers.BooleanField()
    aliases = serializers.ListField(child=serializers.CharField())
    date_of_birth = serializers.DateField(allow_null=True)
    age_band = serializers.CharField()
    gender = serializers.CharField()
    ethnicity = serializers.CharField()
    disability = serializers.CharField()
    sexual_orientation = serializers.CharField()
    pnc_id = serializers.CharField()
    nhs_number = serializers.CharField()
    location_visible = serializers.BooleanField()
    addresses = serializers.ListField(child=serializers.CharField())
    contacts = serializers.ListField(child=serializers.CharField())
    safe_contact = SafeContactOutput(allow_null=True)
    criminal_history = serializers.CharField(allow_null=True)
    withheld = serializers.ListField(child=serializers.CharField())


class BreachOutput(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    occurred_on = serializers.DateField()
    reported_on = serializers.DateField(allow_null=True)
    description = serializers.CharField()
    crime_reference = serializers.CharField()
    recorded_at = serializers.DateTimeField(source="created_at")


class OrderOutput(serializers.Serializer[Any]):
    """selectors.OrderView: ``exclusion_zones`` is null when withheld (class victim_location)."""

    id = serializers.IntegerField(source="order.pk")
    kind = serializers.CharField(source="order.kind")
    kind_label = serializers.CharField(source="order.get_kind_display")
    made_on = serializers.DateField(source="order.made_on")
    served_on = serializers.DateField(source="order.served_on", allow_null=True)
    expires_on = serializers.DateField(source="order.expires_on", allow_null=True)
    issued_by = serializers.CharField(source="order.issued_by")
    conditions = serializers.CharField(source="order.conditions")
    exclusion_zones = serializers.CharField(allow_null=True)
    status = serializers.CharField(source="order.status")
    status_label = serializers.CharField(source="order.get_status_display")
    breaches = BreachOutput(many=True)


class OutcomeOutput(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    kind_label = serializers.CharField(source="get_kind_display")
    decided_on = serializers.DateField()
    offence = serializers.CharField()
    court_result = serializers.CharField()
    sentence = serializers.CharField()
    notes = serializers.CharField()


class NoteOutput(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    text = serializers.CharField()
    record_class = serializers.CharField(help_text="Empty: every agency the case is shared with")
    author = StaffRefOutput()
    agency = serializers.CharField(source="agency.name")
    created_at = serializers.DateTimeField()


class EventOutput(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    at = serializers.DateTimeField()
    kind = serializers.CharField()
    kind_label = serializers.CharField(source="get_kind_display")
    summary = serializers.CharField()
    detail = serializers.CharField()
    from_status = serializers.CharField()
    to_status = serializers.CharField()
    record_class = serializers.CharField()
    actor = StaffRefOutput(allow_null=True)
    agency = serializers.CharField(source="agency.name", allow_null=True)


class TransitionOptionOutput(serializers.Serializer[Any]):
    to_status = serializers.CharField(source="target")
    action = serializers.CharField(source="label", help_text="What the move is called, like 'Accept'")
    needs_reason = serializers.BooleanField()
    needs_decline_reason = serializers.BooleanField()
    needs_discharge_reason = serializers.BooleanField()


class OtherCaseOutput(serializers.Serializer[Any]):
    """One other case of a repeat perpetrator: null id and reference when not shared with your agency."""

    id = serializers.IntegerField(source="case.pk", allow_null=True, default=None)
    reference = serializers.CharField(source="case.reference", allow_null=True, default=None)
    status = serializers.CharField(source="case.status", allow_null=True, default=None)
    received_on = serializers.DateField(source="case.received_on", allow_null=True, default=None)
    criminal_history = serializers.CharField(help_text="Recorded on that case; empty when none or not yours to see")


class PerpetratorHistoryOutput(serializers.Serializer[Any]):
    person_id = serializers.IntegerField()
    name = serializers.CharField()
    others = OtherCaseOutput(many=True, help_text="Newest referral first")


class CaseDetailOutput(serializers.Serializer[Any]):
    case = CaseOutput()
    referral = ReferralOutput(source="case.referral")
    crime_references = serializers.ListField(child=serializers.CharField())
    parties = PartyOutput(many=True)
    shared_with = AgencyRefOutput(many=True)
    orders = OrderOutput(many=True)
    outcomes = OutcomeOutput(many=True)
    notes = NoteOutput(many=True)
    events = EventOutput(many=True, help_text="The timeline, newest first (at most 200 lines)")
    transitions = TransitionOptionOutput(many=True, help_text="The moves your role may make now")
    can_change_sharing = serializers.BooleanField()
    can_record_orders = serializers.BooleanField()
    can_add_note = serializers.BooleanField()
    perpetrator_history = PerpetratorHistoryOutput(
        many=True, help_text="Each perpetrator of this case who is a perpetrator in other cases too"
    )
    visible_record_classes = serializers.SerializerMethodField()

    def get_visible_record_classes(self, obj: selectors.CaseDetail) -> list[str]:
        return sorted(obj.visible_classes)


class CaseloadRowOutput(serializers.Serializer[Any]):
    id = serializers.IntegerField(source="case.pk")
    reference = serializers.CharField(source="case.reference")
    referral_ref = serializers.CharField(source="case.referral.ref")
    received_on = serializers.DateField(source="case.received_on")
    status = serializers.CharField(source="case.status")
    status_label = serializers.CharField(source="case.get_status_display")
    tier = serializers.IntegerField(source="case.tier", allow_null=True)
    current_risk = serializers.CharField(source="case.current_risk")
    next_due_on = serializers.DateField(source="case.next_due_on", allow_null=True)
    assigned_worker = StaffRefOutput(source="case.assigned_worker", allow_null=True)
    perpetrator = serializers.CharField()
    victim = serializers.CharField(help_text="'Withheld' when your agency may not see victim identity")


class CaseloadPageOutput(serializers.Serializer[Any]):
    results = CaseloadRowOutput(many=True, source="rows")
    next = serializers.CharField(source="next_cursor", allow_null=True, help_text="Pass as `cursor` for the next page")
    previous = serializers.CharField(
        source="previous_cursor", allow_null=True, help_text="Pass as `cursor` for the previous page"
    )
    count = serializers.IntegerField(help_text="Cases matching the filters, in all pages")
    count_is_estimate = serializers.BooleanField(
        help_text="True above 1,000 matches: `count` is then the database planner's estimate"
    )


class SearchHitOutput(serializers.Serializer[Any]):
    id = serializers.IntegerField(source="case.pk")
    reference = serializers.CharField(source="case.reference")
    status = serializers.CharField(source="case.status")
    status_label = serializers.CharField(source="case.get_status_display")
    received_on = serializers.DateField(source="case.received_on")
    matched = serializers.ListField(
        child=serializers.CharField(),
        help_text="How the term found the case: 'Case reference', 'Crime reference', or the role of the person found "
        "('Perpetrator', 'Victim', 'Secondary victim'; '(PNC ID)' when by PNC ID)",
    )
    perpetrator = serializers.CharField()
    victim = serializers.CharField(help_text="'Withheld' when your agency may not see victim identity")


class SearchResultsOutput(serializers.Serializer[Any]):
    count = serializers.IntegerField(help_text="Cases found in all")
    page = serializers.IntegerField()
    pages = serializers.IntegerField()
    results = SearchHitOutput(many=True, source="hits")


class PersonSummaryOutput(serializers.Serializer[Any]):
    """The most restrictive of the person's views across the cases you can see."""

    name = serializers.CharField(allow_null=True)
    display_name = serializers.CharField()
    identity_visible = serializers.BooleanField()
    aliases = serializers.ListField(child=serializers.CharField())
    date_of_birth = serializers.DateField(allow_null=True)
    age_band = serializers.CharField()
    gender = serializers.CharField()
    ethnicity = serializers.CharField()
    disability = serializers.CharField()
    sexual_orientation = serializers.CharField()
    pnc_id = serializers.CharField()
    nhs_number = serializers.CharField()
    location_visible = serializers.BooleanField()
    addresses = serializers.ListField(child=serializers.CharField())
    contacts = serializers.ListField(child=serializers.CharField())
    safe_contact = SafeContactOutput(allow_null=True)
    withheld = serializers.ListField(child=serializers.CharField())


class PersonCaseOutput(serializers.Serializer[Any]):
    case_id = serializers.IntegerField(source="case.pk")
    reference = serializers.CharField(source="case.reference")
    status = serializers.CharField(source="case.status")
    status_label = serializers.CharField(source="case.get_status_display")
    role = serializers.CharField(source="view.role")
    role_label = serializers.CharField(source="view.role_label")
    is_primary = serializers.BooleanField(source="view.is_primary")
    criminal_history = serializers.CharField(source="view.criminal_history", allow_null=True)


class PersonDetailOutput(serializers.Serializer[Any]):
    id = serializers.IntegerField(source="person.pk")
    merged_into = serializers.IntegerField(source="person.merged_into_id", allow_null=True)
    person = PersonSummaryOutput(source="summary")
    cases = serializers.SerializerMethodField()

    @extend_schema_field(PersonCaseOutput(many=True))
    def get_cases(self, obj: selectors.PersonDetail) -> Any:
        return PersonCaseOutput([{"case": case, "view": view} for case, view in obj.parts], many=True).data


class MatchCandidateOutput(serializers.Serializer[Any]):
    person_id = serializers.IntegerField()
    name = serializers.CharField()
    date_of_birth = serializers.DateField(allow_null=True)
    age_band = serializers.CharField()
    matched_on = serializers.ListField(child=serializers.CharField())
    similarity = serializers.FloatField()
    case_count = serializers.IntegerField()
    roles = serializers.ListField(child=serializers.CharField())
    link_token = serializers.CharField(help_text="Pass as a party's link_token to link this person to a referral")


class PersonMergeOutput(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    survivor_id = serializers.IntegerField()
    merged_id = serializers.IntegerField()
    reason = serializers.CharField()
    merged_at = serializers.DateTimeField()


class SharesOutput(serializers.Serializer[Any]):
    shared_with = AgencyRefOutput(many=True)


class BreakGlassOutput(serializers.Serializer[Any]):
    case_id = serializers.IntegerField()
    reference = serializers.CharField(source="case.reference")
    granted_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField()


# --- input ----------------------------------------------------------------------------------------------------


CASELOAD_SORTS = [
    ("received", "Newest referral first"),
    ("oldest", "Oldest referral first"),
    ("next_due", "Next due, soonest first"),
    ("next_due_desc", "Next due, latest first"),
    ("status", "Status, in the workflow's order"),
    ("status_desc", "Status, reversed"),
    ("tier", "Tier 1 first, then unset"),
    ("tier_desc", "Unset tier first, then tier 4 to 1"),
    ("risk", "Highest current risk first, then not assessed"),
    ("risk_desc", "Not assessed first, then lowest risk"),
    ("worker", "Assigned worker by family name, unassigned first"),
    ("worker_desc", "Assigned worker by family name, Z to A"),
]
DUE_FILTERS = [("due", "Due today or earlier"), ("overdue", "Overdue")]


class CaseloadQueryInput(serializers.Serializer[Any]):
    status = serializers.ListField(child=_choice("CaseStatus", CaseStatus.choices), required=False, default=list)
    tier = serializers.ListField(child=serializers.IntegerField(min_value=1, max_value=4), required=False, default=list)
    risk = serializers.ListField(child=serializers.CharField(max_length=20), required=False, default=list)
    mine = serializers.BooleanField(required=False, default=False, help_text="Only cases assigned to you")
    due = _optional_choice("CaseloadDue", DUE_FILTERS)
    sort = _choice("CaseloadSort", CASELOAD_SORTS, required=False, default="received")
    cursor = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=200, help_text="`next` or `previous` of a page"
    )
    page_size = serializers.IntegerField(required=False, min_value=1, max_value=100, default=selectors.PAGE_SIZE)


class CaseSearchInput(CaseloadQueryInput):
    q = serializers.CharField(max_length=200, help_text="A case reference, name, crime reference or PNC ID")


class SearchInput(serializers.Serializer[Any]):
    q = serializers.CharField(
        max_length=100, help_text="A case reference (MASIP-000037 or 37), a name or alias, a crime reference or PNC ID"
    )
    page = serializers.IntegerField(required=False, default=1, min_value=1)


class AliasInput(serializers.Serializer[Any]):
    given_name = _text(150)
    family_name = _text(150)


class AddressCreateInput(serializers.Serializer[Any]):
    line_1 = serializers.CharField(max_length=200)
    line_2 = _text(200)
    town = _text(100)
    postcode = _text(10)


class ContactCreateInput(serializers.Serializer[Any]):
    kind = _choice("ContactKind", ContactKind.choices)
    value = serializers.CharField(max_length=200)
    note = _text(200)


class SafeContactCreateInput(serializers.Serializer[Any]):
    safe_times = _text(200)
    channels = serializers.ListField(
        child=_choice("ContactChannel", ContactChannel.choices), required=False, default=list
    )
    no_voicemail = serializers.BooleanField(required=False, default=False)
    code_word = _text(100)
    notes = _text()


class PersonFieldsInput(serializers.Serializer[Any]):
    given_name = _text(150)
    family_name = _text(150)
    date_of_birth = _date()
    age_band = _optional_choice("AgeBand", AgeBand.choices)
    gender = _choice("Gender", Gender.choices, required=False, default="unknown")
    ethnicity = _optional_choice("Ethnicity", Ethnicity.choices)
    disability = _optional_choice("Disability", Disability.choices)
    sexual_orientation = _optional_choice("SexualOrientation", SexualOrientation.choices)
    # Longer than stored: people type spaces, which the service strips before checking.
    pnc_id = _text(30)
    nhs_number = _text(20)


class PersonCreateInput(PersonFieldsInput):
    aliases = AliasInput(many=True, required=False, default=list)
    addresses = AddressCreateInput(many=True, required=False, default=list)
    contacts = ContactCreateInput(many=True, required=False, default=list)
    safe_contact = SafeContactCreateInput(required=False, allow_null=True, default=None)


class PartyCreateInput(serializers.Serializer[Any]):
    role = _choice("PartyRole", PartyRole.choices)
    is_primary = serializers.BooleanField(required=False, default=True)
    link_person_id = serializers.IntegerField(
        required=False,
        allow_null=True,
        default=None,
        help_text="An existing person you can already see (one of your cases' people)",
    )
    link_token = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=500,
        help_text="A match candidate's `link_token` from POST /api/v1/people/match/: single-use, two hours",
    )
    person = PersonCreateInput(
        required=False,
        allow_null=True,
        default=None,
        help_text="A new person; with link_person_id, details to add to that person",
    )
    criminal_history = _text()


class ReferralCreateInput(serializers.Serializer[Any]):
    received_on = serializers.DateField()
    referring_agency_kind = _choice("ReferringAgency", ReferringAgency.choices)
    offence = _choice("Offence", Offence.choices)
    referral_reason = _choice("ReferralReason", ReferralReason.choices)
    relationship = _choice("Relationship", Relationship.choices)
    crime_references = serializers.ListField(child=serializers.CharField(max_length=40), required=False, default=list)
    behaviour_started_on = _date()
    last_incident_on = _date()
    summary = _text()
    people = PartyCreateInput(many=True)


class PersonMatchInput(serializers.Serializer[Any]):
    given_name = _text(150)
    family_name = _text(150)
    date_of_birth = _date()
    pnc_id = _text(30)
    nhs_number = _text(20)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not any(attrs.get(f, "").strip() for f in ("given_name", "family_name", "pnc_id", "nhs_number")):
            raise serializers.ValidationError("Enter a name, a PNC ID or an NHS number")
        return attrs


class PersonMergeInput(serializers.Serializer[Any]):
    other_person_id = serializers.IntegerField(help_text="The duplicate record, folded into this one")
    reason = _text()


class TransitionInput(serializers.Serializer[Any]):
    to_status = _choice("CaseStatus", CaseStatus.choices)
    reason = _text()
    decision = _optional_choice("DeclineReason", [(d.value, d.label) for d in DECLINE_REASONS])
    discharge_reason = _optional_choice("DischargeReason", DischargeReason.choices)
    override_reason = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        help_text="Closing only: why to close while a follow-up review (or other work) is still open",
    )


class ShareInput(serializers.Serializer[Any]):
    agency = serializers.IntegerField()
    reason = _text()


class BreakGlassInput(serializers.Serializer[Any]):
    reason = _text()


class NoteInput(serializers.Serializer[Any]):
    text = _text()
    record_class = _optional_choice("RecordClass", RecordClass.choices)


class OrderInput(serializers.Serializer[Any]):
    kind = _choice("OrderKind", OrderKind.choices)
    made_on = serializers.DateField()
    served_on = _date()
    expires_on = _date()
    issued_by = _text(200)
    conditions = _text()
    exclusion_zones = _text()


class BreachInput(serializers.Serializer[Any]):
    occurred_on = serializers.DateField()
    reported_on = _date()
    description = _text()
    crime_reference = _text(40)


class OutcomeInput(serializers.Serializer[Any]):
    kind = _choice("OutcomeKind", OutcomeKind.choices)
    decided_on = serializers.DateField()
    offence = _optional_choice("Offence", Offence.choices)
    court_result = _optional_choice("CourtResult", CourtResult.choices)
    sentence = _text()
    notes = _text()


class AssignmentInput(serializers.Serializer[Any]):
    worker = serializers.IntegerField(allow_null=True, help_text="A member of staff, or null to unassign")


def _person_input(data: dict[str, Any]) -> services.PersonInput:
    safe = data.get("safe_contact")
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
        aliases=[(a["given_name"], a["family_name"]) for a in data.get("aliases", [])],
        addresses=[services.AddressInput(**a) for a in data.get("addresses", [])],
        contacts=[services.ContactInput(**c) for c in data.get("contacts", [])],
        safe_contact=services.SafeContactInput(**safe) if safe is not None else None,
    )


# --- the caseload ----------------------------------------------------------------------------------------------


def _caseload(request: Request, values: dict[str, Any], *, search: str, action: AccessAction) -> Response:
    user = api_staff_member(request)
    filters = selectors.CaseloadFilters(
        statuses=values["status"],
        tiers=values["tier"],
        risks=values["risk"],
        assigned_to_me=values["mine"],
        due=values["due"],
        sort=values["sort"],
        search=search,
    )
    page = reads.caseload_read(user=user, filters=filters, cursor=values["cursor"], page_size=values["page_size"])
    return Response(CaseloadPageOutput(page).data)


class CaseListApi(APIView):
    @extend_schema(
        operation_id="cases_list",
        summary="Your caseload",
        description=(
            "Cases shared with your agency, newest referral first, one page at a time. "
            "Repeat `status`, `tier` or `risk` to filter on several values. Pass a page's "
            "`next` or `previous` as `cursor`. To search, use POST /api/v1/cases/search/: "
            "search terms are personal data and are refused in the address."
        ),
        parameters=[CaseloadQueryInput],
        responses={200: CaseloadPageOutput, 400: ERRORS[400]},
    )
    def get(self, request: Request) -> Response:
        if "q" in request.query_params or "search" in request.query_params:
            return Response(
                {"q": ["Send search terms in the body of POST /api/v1/cases/search/, never in the address"]},
                status=status.HTTP_400_BAD_REQUEST,
            )
        values = _valid(CaseloadQueryInput, request.query_params)
        return _caseload(request, values, search="", action=AccessAction.VIEW)


class CaseSearchApi(APIView):
    @extend_schema(
        operation_id="cases_search",
        summary="Search your caseload",
        description="By name, crime reference or PNC ID, with the caseload's filters and cursors.",
        request=CaseSearchInput,
        responses={200: CaseloadPageOutput, 400: ERRORS[400]},
    )
    def post(self, request: Request) -> Response:
        values = _valid(CaseSearchInput, request.data)
        return _caseload(request, values, search=values["q"], action=AccessAction.SEARCH)


class SearchApi(APIView):
    @extend_schema(
        operation_id="search",
        summary="The one search: cases by reference, name or alias, crime reference or PNC ID",
        description=(
            "The cases you may see that the term finds, newest referral first, 20 a page, with the count "
            "and how each was found. Terms are personal data: send them in the body, never the address."
        ),
        request=SearchInput,
        responses={200: SearchResultsOutput, 400: ERRORS[400]},
    )
    def post(self, request: Request) -> Response:
        user = api_staff_member(request)
        values = _valid(SearchInput, request.data)
        results = reads.search_read(user=user, term=values["q"], page=values["page"])
        return Response(SearchResultsOutput(results).data)


# --- one case ----------------------------------------------------------------------------------------------------


def _case_detail_response(user: User, case_id: int, *, status_code: int = status.HTTP_200_OK) -> Response:
    detail = selectors.case_detail_for_user(user=user, case_id=case_id)
    return Response(CaseDetailOutput(detail).data, status=status_code)


class CaseDetailApi(APIView):
    @extend_schema(
        operation_id="case_retrieve",
        summary="One case, as your agency may see it",
        description=(
            "People are shaped by the information-sharing agreement: what your agency may not "
            "see is null or empty and named in the person's `withheld`; an order's "
            "`exclusion_zones` is null when withheld. The `ETag` is the case's version, for "
            "`If-Match` on the assignment."
        ),
        responses={200: CaseDetailOutput, 404: ERRORS[404]},
    )
    def get(self, request: Request, case_id: int) -> Response:
        user = api_staff_member(request)
        detail = reads.case_read(user=user, case_id=case_id)
        return with_etag(Response(CaseDetailOutput(detail).data), selectors.case_version(detail.case))


class ReferralCreateApi(APIView):
    @extend_schema(
        operation_id="referral_create",
        summary="Record a referral",
        description=(
            "Each of `people` either links an existing person (`link_token` from a candidate of "
            "POST /api/v1/people/match/, or `link_person_id` of a person in one of your cases) or "
            "describes a new one (`person`). One primary victim "
            "and one primary perpetrator are required. Answers with the new case."
        ),
        request=ReferralCreateInput,
        responses={201: CaseDetailOutput, **ERRORS},
    )
    def post(self, request: Request) -> Response:
        user = api_staff_member(request)
        values = _valid(ReferralCreateInput, request.data)
        people = values.pop("people")
        parties = [
            services.PartyInput(
                role=p["role"],
                is_primary=p["is_primary"],
                link_person_id=p["link_person_id"],
                link_token=p["link_token"],
                person=_person_input(p["person"]) if p["person"] is not None else None,
                criminal_history=p["criminal_history"],
            )
            for p in people
        ]
        case = _call(services.referral_create, actor=user, data=services.ReferralInput(**values), parties=parties)
        # The service logged the creation; this answer shows what the user has just entered.
        return _case_detail_response(user, case.pk, status_code=status.HTTP_201_CREATED)


class CaseTransitionApi(APIView):
    @extend_schema(
        operation_id="case_transition",
        summary="Move the case to another status",
        description="Only the moves in the case's `transitions` are accepted; others answer 400 with the reason.",
        request=TransitionInput,
        responses={200: CaseOutput, **ERRORS},
    )
    def post(self, request: Request, case_id: int) -> Response:
        user = api_staff_member(request)
        case = selectors.case_get_for_user(user=user, case_id=case_id)
        values = _valid(TransitionInput, request.data)
        _call(services.case_transition, actor=user, case=case, **values)
        return Response(CaseOutput(selectors.case_get_for_user(user=user, case_id=case_id)).data)


class CaseSharesApi(APIView):
    def _agency(self, user: User, agency_id: int) -> Agency:
        assert user.agency is not None
        agency = agencies_of_partnership(partnership_id=user.agency.partnership_id).filter(pk=agency_id).first()
        if agency is None:
            raise serializers.ValidationError({"agency": ["Choose an agency of this partnership"]})
        return agency

    def _change(self, request: Request, case_id: int, service: Callable[..., None]) -> Response:
        user = api_staff_member(request)
        case = selectors.case_get_for_user(user=user, case_id=case_id)
        values = _valid(ShareInput, request.data)
        _call(service, actor=user, case=case, agency=self._agency(user, values["agency"]), reason=values["reason"])
        return Response(SharesOutput({"shared_with": selectors.case_shared_agencies(case=case)}).data)

    @extend_schema(
        operation_id="case_share_add",
        summary="Share the case with another agency of the partnership",
        request=ShareInput,
        responses={200: SharesOutput, **ERRORS},
    )
    def post(self, request: Request, case_id: int) -> Response:
        return self._change(request, case_id, services.case_share_add)

    @extend_schema(
        operation_id="case_share_remove",
        summary="Withdraw sharing with an agency",
        description=(
            'The request body is JSON like the POST\'s: `{"agency": <id>, "reason": "..."}`. '
            "A case stays shared with at least one agency."
        ),
        request=ShareInput,
        responses={200: SharesOutput, **ERRORS},
    )
    def delete(self, request: Request, case_id: int) -> Response:
        return self._change(request, case_id, services.case_share_remove)


class BreakGlassApi(APIView):
    @extend_schema(
        operation_id="case_break_glass",
        summary="Open a case outside your agency's scope (break-glass)",
        description=(
            "For a case of your partnership that is not shared with your agency. The reason is "
            "recorded in the access log and the partnership admins are e-mailed. Access lasts "
            f"{services.BREAK_GLASS_HOURS} hours."
        ),
        request=BreakGlassInput,
        responses={201: BreakGlassOutput, **ERRORS},
    )
    def post(self, request: Request, case_id: int) -> Response:
        values = _valid(BreakGlassInput, request.data)
        grant = _call(
            services.break_glass_open, actor=api_staff_member(request), case_id=case_id, reason=values["reason"]
        )
        return Response(BreakGlassOutput(grant).data, status=status.HTTP_201_CREATED)


class CaseNotesApi(APIView):
    @extend_schema(
        operation_id="case_note_add",
        summary="Add a case note",
        description="`record_class` limits the note to the agencies the agreement allows; empty: every agency.",
        request=NoteInput,
        responses={201: NoteOutput, **ERRORS},
    )
    def post(self, request: Request, case_id: int) -> Response:
        user = api_staff_member(request)
        case = selectors.case_get_for_user(user=user, case_id=case_id)
        values = _valid(NoteInput, request.data)
        note = _call(services.note_add, actor=user, case=case, **values)
        return Response(NoteOutput(note).data, status=status.HTTP_201_CREATED)


class CaseOrdersApi(APIView):
    @extend_schema(
        operation_id="case_order_add",
        summary="Record an order (police, probation)",
        description="`exclusion_zones` is class victim_location: only agencies that may see it can record it.",
        request=OrderInput,
        responses={201: OrderOutput, **ERRORS},
    )
    def post(self, request: Request, case_id: int) -> Response:
        user = api_staff_member(request)
        case = selectors.case_get_for_user(user=user, case_id=case_id)
        values = _valid(OrderInput, request.data)
        order = _call(services.order_record, actor=user, case=case, **values)
        return Response(
            OrderOutput(selectors.order_view_for_user(user=user, order=order)).data, status=status.HTTP_201_CREATED
        )


class OrderBreachesApi(APIView):
    @extend_schema(
        operation_id="case_order_breach_add",
        summary="Record a breach of an order",
        request=BreachInput,
        responses={201: BreachOutput, **ERRORS},
    )
    def post(self, request: Request, case_id: int, order_id: int) -> Response:
        user = api_staff_member(request)
        order = selectors.order_get_for_user(user=user, case_id=case_id, order_id=order_id)
        values = _valid(BreachInput, request.data)
        breach = _call(services.breach_record, actor=user, order=order, **values)
        return Response(BreachOutput(breach).data, status=status.HTTP_201_CREATED)


class CaseOutcomesApi(APIView):
    @extend_schema(
        operation_id="case_outcome_add",
        summary="Record a criminal-justice outcome",
        request=OutcomeInput,
        responses={201: OutcomeOutput, **ERRORS},
    )
    def post(self, request: Request, case_id: int) -> Response:
        user = api_staff_member(request)
        case = selectors.case_get_for_user(user=user, case_id=case_id)
        values = _valid(OutcomeInput, request.data)
        outcome = _call(services.outcome_record, actor=user, case=case, **values)
        return Response(OutcomeOutput(outcome).data, status=status.HTTP_201_CREATED)


class EvaluationFactorsInput(serializers.Serializer[Any]):
    mental_health_services = serializers.BooleanField(required=False, allow_null=True)
    probation_involved = serializers.BooleanField(required=False, allow_null=True)
    mappa = serializers.BooleanField(required=False, allow_null=True)
    antisocial_lifestyle = serializers.BooleanField(
        required=False, allow_null=True, help_text="Criminal history: only with that class"
    )


class EvaluationFactorsOutput(serializers.Serializer[Any]):
    mental_health_services = serializers.BooleanField(allow_null=True)
    probation_involved = serializers.BooleanField(allow_null=True)
    mappa = serializers.BooleanField(allow_null=True)
    antisocial_lifestyle = serializers.BooleanField(allow_null=True)
    withheld = serializers.ListField(child=serializers.CharField())


class CaseEvaluationFactorsApi(APIView):
    @extend_schema(
        operation_id="case_evaluation_factors",
        summary="What is known of the perpetrator for the evaluation (true, false, or null for not known)",
        responses={200: EvaluationFactorsOutput, 404: ERRORS[404]},
    )
    def get(self, request: Request, case_id: int) -> Response:
        user = api_staff_member(request)
        factors = reads.evaluation_factors_read(user=user, case_id=case_id)
        return with_etag(Response(EvaluationFactorsOutput(factors).data), selectors.case_version(factors.case))

    @extend_schema(
        operation_id="case_evaluation_factors_update",
        summary="Record mental-health services, probation, MAPPA and antisocial lifestyle; a field left out "
        "stays as it is, null is not known",
        description="Send the `ETag` of your last read as `If-Match` to be told (412) if the case changed since.",
        parameters=[IF_MATCH],
        request=EvaluationFactorsInput,
        responses={200: EvaluationFactorsOutput, **ERRORS, **PRECONDITION_FAILED},
    )
    def patch(self, request: Request, case_id: int) -> Response:
        user = api_staff_member(request)
        case = selectors.case_get_for_user(user=user, case_id=case_id)
        values = _valid(EvaluationFactorsInput, request.data)
        _call(
            services.case_record_evaluation_factors,
            actor=user,
            case=case,
            factors=dict(values),
            expected_version=if_match(request),
        )
        factors = reads.evaluation_factors_read(user=user, case_id=case_id)
        return with_etag(Response(EvaluationFactorsOutput(factors).data), selectors.case_version(factors.case))


class CaseAssignmentApi(APIView):
    @extend_schema(
        operation_id="case_assign",
        summary="Assign the case to a member of staff, or unassign it",
        description="Send the case's `ETag` as `If-Match` so a reassignment made meanwhile is not overwritten.",
        parameters=[IF_MATCH],
        request=AssignmentInput,
        responses={200: CaseOutput, **ERRORS, **PRECONDITION_FAILED},
    )
    def patch(self, request: Request, case_id: int) -> Response:
        user = api_staff_member(request)
        case = selectors.case_get_for_user(user=user, case_id=case_id)
        values = _valid(AssignmentInput, request.data)
        worker = None
        if values["worker"] is not None:
            worker = selectors.case_assignable_staff(user=user, case=case).filter(pk=values["worker"]).first()
            if worker is None:
                raise serializers.ValidationError({"worker": ["Choose a member of staff of this partnership"]})
        _call(services.case_assign_worker, actor=user, case=case, worker=worker, expected_version=if_match(request))
        updated = selectors.case_get_for_user(user=user, case_id=case_id)
        return with_etag(Response(CaseOutput(updated).data), selectors.case_version(updated))


# --- people --------------------------------------------------------------------------------------------------------


class PersonMatchApi(APIView):
    @extend_schema(
        operation_id="people_match",
        summary="People who may already be on record",
        description=(
            "Identifiers match exactly, names (and aliases) fuzzily with the date of birth. Use "
            "before recording a referral so one person keeps one record. A POST because the "
            "details are personal data."
        ),
        request=PersonMatchInput,
        responses={200: MatchCandidateOutput(many=True), 400: ERRORS[400]},
    )
    def post(self, request: Request) -> Response:
        user = api_staff_member(request)
        values = _valid(PersonMatchInput, request.data)
        candidates = reads.person_matches_read(user=user, **values)
        return Response(MatchCandidateOutput(candidates, many=True).data)


class PersonDetailApi(APIView):
    @extend_schema(
        operation_id="person_retrieve",
        summary="A person, as your agency may see them",
        description="Visible through the cases of theirs you can see, shaped by the most restrictive of their roles.",
        responses={200: PersonDetailOutput, 404: ERRORS[404]},
    )
    def get(self, request: Request, person_id: int) -> Response:
        user = api_staff_member(request)
        detail = reads.person_read(user=user, person_id=person_id)
        return with_etag(Response(PersonDetailOutput(detail).data), selectors.person_version(detail.person))

    @extend_schema(
        operation_id="person_update",
        summary="Correct a person's identity details",
        description=(
            "Fields left out keep their value: the change is merged into the record as it is when "
            "written, so two people correcting different fields both keep theirs. Send the `ETag` "
            "of your last read as `If-Match` to be told (412) if anyone changed the record since. "
            "Not for people whose identity your agency may not see (403)."
        ),
        parameters=[IF_MATCH],
        request=PersonFieldsInput,
        responses={
            200: PersonDetailOutput,
            403: OpenApiResponse(description="Identity withheld from your agency"),
            **ERRORS,
            **PRECONDITION_FAILED,
        },
    )
    def patch(self, request: Request, person_id: int) -> Response:
        user = api_staff_member(request)
        person = selectors.person_get_for_user(user=user, person_id=person_id).person
        # Only the fields sent: the service merges them into the locked row, never into this read.
        changes = _valid(PersonFieldsInput, request.data, partial=True)
        _call(services.person_update, actor=user, person=person, changes=changes, expected_version=if_match(request))
        detail = selectors.person_get_for_user(user=user, person_id=person_id)
        return with_etag(Response(PersonDetailOutput(detail).data), selectors.person_version(detail.person))


class PersonMergeApi(APIView):
    @extend_schema(
        operation_id="person_merge",
        summary="Fold a duplicate record into this person",
        description=(
            "The other record's cases, addresses, contacts and names move to this one; it stays, pointing here."
        ),
        request=PersonMergeInput,
        responses={201: PersonMergeOutput, **ERRORS},
    )
    def post(self, request: Request, person_id: int) -> Response:
        user = api_staff_member(request)
        survivor = selectors.person_get_for_user(user=user, person_id=person_id).person
        values = _valid(PersonMergeInput, request.data)
        merged = selectors.person_get_for_user(user=user, person_id=values["other_person_id"]).person
        record = _call(services.person_merge, actor=user, survivor=survivor, merged=merged, reason=values["reason"])
        return Response(PersonMergeOutput(record).data, status=status.HTTP_201_CREATED)
