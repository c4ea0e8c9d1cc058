"""The risk API: instruments, a case's risk, assessments and their lifecycle, incidents, MARAC referrals.

The same selectors, services and access rules as the risk pages: a case outside the
user's scope answers 404; answers of a record class the user's agency may not see
(the SRP's clinical formulation and notes) are left out and named in ``withheld``;
a role that may not write what it asks answers 403; a service's ValidationError
answers 400 with its ``{field: [messages]}``.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from agencies.models import User
from agencies.staff import api_staff_member
from cases.apis import StaffRefOutput
from cases.selectors import case_get_for_user
from masip.api import call_service as _call
from masip.api import validated as _valid
from risk import selectors, services
from risk.models import Assessment, IncidentSource

ERRORS = {
    400: OpenApiResponse(description="Field errors: `{field: [message, ...]}`"),
    403: OpenApiResponse(description="Your role or agency may not make this change"),
    404: OpenApiResponse(description="No such record, or outside your scope"),
}


# --- output ---------------------------------------------------------------------------------------------------


class RiskBandOutput(serializers.Serializer[Any]):
    key = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]  # a field named like a Field attribute
    overall = serializers.CharField(help_text="The case-level scale: low, moderate or high")
    min = serializers.IntegerField(allow_null=True, help_text="Lowest score of the band (yes_count only)")


class RiskConditionOutput(serializers.Serializer[Any]):
    item = serializers.CharField(source="condition_item.key")
    answer = serializers.CharField(source="condition_answer")


class RiskItemOutput(serializers.Serializer[Any]):
    key = serializers.CharField()
    label = serializers.CharField(help_text="A short topic label, not the published question")  # type: ignore[assignment]  # a field named like a Field attribute
    wording = serializers.CharField(help_text="Licensed wording, in a partnership's own version only")
    hint = serializers.CharField()
    group = serializers.CharField(source="group.key")
    order = serializers.IntegerField()
    response = serializers.CharField()
    options = serializers.ListField(child=serializers.ListField(child=serializers.CharField()))
    required = serializers.BooleanField()  # type: ignore[assignment]  # a field named like a Field attribute
    scored = serializers.BooleanField()
    domain = serializers.BooleanField()
    allows_not_rated = serializers.BooleanField(
        help_text="A level item that may be left not rated (value not_rated); unanswered, it is stored as not rated"
    )
    record_class = serializers.CharField()
    opens_when = serializers.SerializerMethodField()

    def get_opens_when(self, obj: Any) -> dict[str, str] | None:
        return RiskConditionOutput(obj).data if obj.condition_item_id else None


class RiskGroupOutput(serializers.Serializer[Any]):
    key = serializers.CharField()
    title = serializers.CharField()
    description = serializers.CharField()
    order = serializers.IntegerField()
    subscore = serializers.BooleanField()


class RiskVersionRefOutput(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    version = serializers.CharField()
    is_current = serializers.BooleanField(help_text="Current for its owner (the shipped set or your partnership)")
    partnership_own = serializers.SerializerMethodField()
    loaded_at = serializers.DateTimeField()

    def get_partnership_own(self, obj: Any) -> bool:
        return obj.partnership_id is not None


class RiskInstrumentOutput(serializers.Serializer[Any]):
    key = serializers.CharField(source="instrument.key")
    name = serializers.CharField(source="instrument.name")
    short_name = serializers.CharField(source="instrument.short_name")
    description = serializers.CharField(source="instrument.description")
    current_version = RiskVersionRefOutput(source="current", allow_null=True, help_text="Used for new assessments")
    versions = RiskVersionRefOutput(many=True)


class RiskVersionOutput(serializers.Serializer[Any]):
    id = serializers.IntegerField(source="version.pk")
    instrument = serializers.CharField(source="version.instrument.key")
    version = serializers.CharField(source="version.version")
    scoring = serializers.CharField(source="version.scoring")
    bands = RiskBandOutput(many=True, source="version.bands")
    marac = serializers.BooleanField(source="version.marac")
    review_after_months = serializers.IntegerField(source="version.review_after_months", allow_null=True)
    review_on_incident = serializers.BooleanField(source="version.review_on_incident")
    licence = serializers.CharField(source="version.licence")
    description = serializers.CharField(source="version.description")
    is_current_for_you = serializers.BooleanField(source="is_current_for_user")
    groups = serializers.SerializerMethodField()
    items = serializers.SerializerMethodField()

    def get_groups(self, obj: selectors.VersionDetail) -> Any:
        return RiskGroupOutput([group for group, _ in obj.groups], many=True).data

    def get_items(self, obj: selectors.VersionDetail) -> Any:
        return RiskItemOutput([item for _, items in obj.groups for item in items], many=True).data


class RiskAnswerOutput(serializers.Serializer[Any]):
    item = serializers.CharField(source="item.key")
    label = serializers.CharField(source="item.label")  # type: ignore[assignment]  # a field named like a Field attribute
    group = serializers.CharField(source="item.group.key")
    value = serializers.CharField(help_text="Empty when not answered")
    display = serializers.CharField()


class RiskMaracCriterionOutput(serializers.Serializer[Any]):
    key = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]  # a field named like a Field attribute
    met = serializers.BooleanField()
    reason = serializers.CharField()


class RiskResultOutput(serializers.Serializer[Any]):
    score = serializers.IntegerField(allow_null=True)
    band = serializers.CharField(help_text="The band the score gives (a judged level for SASH and SRP)")
    band_label = serializers.CharField()
    judgement_level = serializers.CharField(help_text="Raised by professional judgement; empty if not raised")
    level = serializers.CharField(help_text="The result after professional judgement")
    level_label = serializers.CharField()
    overall = serializers.CharField()
    subscores = serializers.SerializerMethodField()

    def get_subscores(self, obj: selectors.ResultView) -> list[dict[str, Any]]:
        return [{"group": title, "yes": yes, "asked": asked} for title, yes, asked in obj.subscores]


class RiskAssessmentSummaryOutput(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    case_id = serializers.IntegerField()
    instrument = serializers.CharField(source="instrument.key")
    version_id = serializers.IntegerField()
    version = serializers.CharField(source="version.version")
    status = serializers.CharField()
    revision = serializers.IntegerField()
    amends = serializers.IntegerField(source="amends_id", allow_null=True)
    amendment_reason = serializers.CharField()
    is_current = serializers.BooleanField()
    assessed_on = serializers.DateField(allow_null=True)
    score = serializers.IntegerField(allow_null=True)
    band = serializers.CharField()
    level = serializers.CharField()
    overall = serializers.CharField()
    marac_met = serializers.BooleanField()
    review_due_on = serializers.DateField(allow_null=True)
    created_by = StaffRefOutput()
    agency = serializers.CharField(source="agency.name")
    created_at = serializers.DateTimeField()
    completed_by = StaffRefOutput(allow_null=True)
    completed_at = serializers.DateTimeField(allow_null=True)


class RiskAssessmentOutput(serializers.Serializer[Any]):
    assessment = RiskAssessmentSummaryOutput()
    notes = serializers.CharField(source="assessment.notes")
    judgement_reason = serializers.CharField(source="assessment.judgement_reason")
    result = RiskResultOutput()
    answers = serializers.SerializerMethodField()
    withheld = serializers.ListField(child=serializers.CharField(), help_text="Items withheld from your agency")
    missing = serializers.SerializerMethodField(help_text="Required open items not yet answered (drafts)")
    marac_criteria = RiskMaracCriterionOutput(many=True, source="marac")
    revisions = serializers.SerializerMethodField()
    can_edit = serializers.BooleanField()
    can_amend = serializers.BooleanField()

    def get_answers(self, obj: selectors.AssessmentView) -> Any:
        return RiskAnswerOutput([a for group in obj.groups for a in group.answers], many=True).data

    def get_missing(self, obj: selectors.AssessmentView) -> list[str]:
        return [item.key for item in obj.missing]

    def get_revisions(self, obj: selectors.AssessmentView) -> list[int]:
        return [r.pk for r in obj.revisions]


class RiskInstrumentSummaryOutput(serializers.Serializer[Any]):
    instrument = serializers.CharField(source="instrument.key")
    short_name = serializers.CharField(source="instrument.short_name")
    current_assessment = serializers.IntegerField(source="current.pk", allow_null=True, default=None)
    draft = serializers.IntegerField(source="draft.pk", allow_null=True, default=None)
    level_label = serializers.CharField()
    overall = serializers.CharField()
    detail = serializers.CharField()
    domains = serializers.SerializerMethodField()

    def get_domains(self, obj: selectors.InstrumentSummary) -> list[dict[str, str]]:
        return [
            {"label": d.label, "level": d.level, "level_label": d.level_label, "overall": d.overall}
            for d in obj.domains
        ]


class RiskHistoryPointOutput(serializers.Serializer[Any]):
    on = serializers.DateField()
    assessment_id = serializers.IntegerField()
    instrument = serializers.CharField()
    series = serializers.CharField()
    level = serializers.CharField()
    level_label = serializers.CharField()
    overall = serializers.CharField()
    score = serializers.IntegerField(allow_null=True)


class RiskIncidentOutput(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    occurred_on = serializers.DateField()
    description = serializers.CharField()
    source = serializers.CharField()  # type: ignore[assignment]  # a field named like a Field attribute
    source_label = serializers.CharField(source="get_source_display")
    recorded_by = StaffRefOutput()
    agency = serializers.CharField(source="agency.name")
    created_at = serializers.DateTimeField()


class RiskMaracReferralOutput(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    referred_on = serializers.DateField()
    assessment_id = serializers.IntegerField(allow_null=True)
    notes = serializers.CharField()
    recorded_by = StaffRefOutput()
    agency = serializers.CharField(source="agency.name")
    created_at = serializers.DateTimeField()


class CaseRiskOutput(serializers.Serializer[Any]):
    case_id = serializers.IntegerField(source="case.pk")
    overall = serializers.CharField(help_text="Case.current_risk: the highest level among current assessments")
    review_due_on = serializers.DateField(allow_null=True)
    instruments = RiskInstrumentSummaryOutput(many=True, source="summaries")
    marac_criteria = RiskMaracCriterionOutput(many=True, source="marac", help_text="As at today")
    history = RiskHistoryPointOutput(many=True)
    incidents = RiskIncidentOutput(many=True)
    marac_referrals = RiskMaracReferralOutput(many=True, source="referrals")
    withheld = serializers.ListField(child=serializers.CharField())


class RiskSettingsOutput(serializers.Serializer[Any]):
    dash_medium_from = serializers.IntegerField()
    dash_high_from = serializers.IntegerField()
    marac_score_from = serializers.IntegerField()
    escalation_incidents = serializers.IntegerField()
    escalation_months = serializers.IntegerField()
    repeat_months = serializers.IntegerField()


# --- input ----------------------------------------------------------------------------------------------------


class RiskStartInput(serializers.Serializer[Any]):
    instrument = serializers.SlugField(help_text="dash, s_dash, sash, srp or a partnership's own instrument key")


class RiskSaveInput(serializers.Serializer[Any]):
    answers = serializers.DictField(
        child=serializers.CharField(allow_blank=True, allow_null=True, max_length=services.MAX_TEXT),
        required=False,
        help_text=(
            "{item key: value}; an empty value or null clears the answer. A domain that allows it takes "
            "not_rated, and one left unanswered is stored as not rated when the assessment is completed"
        ),
    )
    assessed_on = serializers.DateField(required=False)
    notes = serializers.CharField(required=False, allow_blank=True, max_length=services.MAX_TEXT)
    judgement_level = serializers.CharField(required=False, allow_blank=True, max_length=40)
    judgement_reason = serializers.CharField(required=False, allow_blank=True, max_length=services.MAX_TEXT)


class RiskAmendInput(serializers.Serializer[Any]):
    reason = serializers.CharField(max_length=2000)


class RiskSashInput(serializers.Serializer[Any]):
    level = serializers.ChoiceField(choices=["low", "moderate", "moderate_high", "high"])
    assessed_on = serializers.DateField(required=False, allow_null=True, default=None)
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=services.MAX_TEXT)


class RiskIncidentInput(serializers.Serializer[Any]):
    occurred_on = serializers.DateField()
    description = serializers.CharField(max_length=2000)
    source = serializers.ChoiceField(choices=IncidentSource.choices)  # type: ignore[assignment]  # a field named like a Field attribute


class RiskMaracReferralInput(serializers.Serializer[Any]):
    referred_on = serializers.DateField()
    notes = serializers.CharField(required=False, allow_blank=True, default="", max_length=services.MAX_TEXT)
    assessment = serializers.IntegerField(required=False, allow_null=True, default=None)


# --- instruments ----------------------------------------------------------------------------------------------


class InstrumentListApi(APIView):
    @extend_schema(
        operation_id="risk_instruments_list",
        summary="The risk instruments your partnership uses, with their versions",
        responses={200: RiskInstrumentOutput(many=True)},
    )
    def get(self, request: Request) -> Response:
        return Response(
            RiskInstrumentOutput(selectors.instruments_for_user(user=api_staff_member(request)), many=True).data
        )


class InstrumentVersionApi(APIView):
    @extend_schema(
        operation_id="risk_instrument_version_retrieve",
        summary="One instrument version: its bands, question groups and items",
        responses={200: RiskVersionOutput, 404: ERRORS[404]},
    )
    def get(self, request: Request, version_id: int) -> Response:
        detail = selectors.instrument_version_for_user(user=api_staff_member(request), version_id=version_id)
        return Response(RiskVersionOutput(detail).data)


class RiskSettingsApi(APIView):
    @extend_schema(
        operation_id="risk_settings_retrieve",
        summary="Your partnership's DASH bands and MARAC thresholds",
        responses={200: RiskSettingsOutput},
    )
    def get(self, request: Request) -> Response:
        user = api_staff_member(request)
        assert user.agency is not None
        return Response(RiskSettingsOutput(selectors.risk_settings_for(partnership_id=user.agency.partnership_id)).data)

    @extend_schema(
        operation_id="risk_settings_update",
        summary="Change the thresholds (partnership admin)",
        description="Completed assessments keep the thresholds they were scored with.",
        request=RiskSettingsOutput,
        responses={200: RiskSettingsOutput, **ERRORS},
    )
    def put(self, request: Request) -> Response:
        values = _valid(RiskSettingsOutput, request.data)
        settings = _call(services.risk_settings_update, actor=api_staff_member(request), values=values)
        return Response(RiskSettingsOutput(settings).data)


# --- a case's risk --------------------------------------------------------------------------------------------


class CaseRiskApi(APIView):
    @extend_schema(
        operation_id="case_risk_retrieve",
        summary="The case's risk: current level per instrument and domain, MARAC criteria, history",
        responses={200: CaseRiskOutput, 404: ERRORS[404]},
    )
    def get(self, request: Request, case_id: int) -> Response:
        user = api_staff_member(request)
        risk = selectors.case_risk_for_user(user=user, case_id=case_id)
        return Response(CaseRiskOutput(risk).data)


def _assessment_response(user: User, assessment: Assessment, *, status_code: int = status.HTTP_200_OK) -> Response:
    """A write's answer: the service logged the change of this assessment."""
    view = selectors.assessment_after_change(user=user, assessment=assessment)
    return Response(RiskAssessmentOutput(view).data, status=status_code)


class AssessmentListApi(APIView):
    @extend_schema(
        operation_id="case_risk_assessments_list",
        summary="The case's assessments, newest first (drafts included)",
        responses={200: RiskAssessmentSummaryOutput(many=True), 404: ERRORS[404]},
    )
    def get(self, request: Request, case_id: int) -> Response:
        user = api_staff_member(request)
        assessments = selectors.assessments_for_user(user=user, case_id=case_id)
        return Response(RiskAssessmentSummaryOutput(assessments, many=True).data)

    @extend_schema(
        operation_id="case_risk_assessment_start",
        summary="Start a draft assessment with the version your partnership uses now",
        request=RiskStartInput,
        responses={201: RiskAssessmentOutput, **ERRORS},
    )
    def post(self, request: Request, case_id: int) -> Response:
        user = api_staff_member(request)
        case = case_get_for_user(user=user, case_id=case_id)
        values = _valid(RiskStartInput, request.data)
        assessment = _call(services.assessment_start, actor=user, case=case, instrument_key=values["instrument"])
        return _assessment_response(user, assessment, status_code=status.HTTP_201_CREATED)


class AssessmentDetailApi(APIView):
    @extend_schema(
        operation_id="case_risk_assessment_retrieve",
        summary="One assessment: answers you may see, result, MARAC criteria, revisions",
        responses={200: RiskAssessmentOutput, 404: ERRORS[404]},
    )
    def get(self, request: Request, case_id: int, assessment_id: int) -> Response:
        user = api_staff_member(request)
        assessment = selectors.assessment_for_change(user=user, case_id=case_id, assessment_id=assessment_id)
        view = selectors.assessment_view_for_user(user=user, assessment=assessment)
        return Response(RiskAssessmentOutput(view).data)

    @extend_schema(
        operation_id="case_risk_assessment_save",
        summary="Save answers and details of a draft (autosave)",
        description="Any subset of the fields. Completeness is checked on completion, not here.",
        request=RiskSaveInput,
        responses={200: RiskAssessmentOutput, **ERRORS},
    )
    def patch(self, request: Request, case_id: int, assessment_id: int) -> Response:
        user = api_staff_member(request)
        assessment = selectors.assessment_for_change(user=user, case_id=case_id, assessment_id=assessment_id)
        values = _valid(RiskSaveInput, request.data)
        saved = _call(services.assessment_save, actor=user, assessment=assessment, **values)
        return _assessment_response(user, saved)

    @extend_schema(
        operation_id="case_risk_assessment_discard",
        summary="Delete a draft",
        responses={204: None, **ERRORS},
    )
    def delete(self, request: Request, case_id: int, assessment_id: int) -> Response:
        user = api_staff_member(request)
        assessment = selectors.assessment_for_change(user=user, case_id=case_id, assessment_id=assessment_id)
        _call(services.assessment_discard, actor=user, assessment=assessment)
        return Response(status=status.HTTP_204_NO_CONTENT)


class AssessmentCompleteApi(APIView):
    @extend_schema(
        operation_id="case_risk_assessment_complete",
        summary="Complete a draft: every open required item answered; the result is worked out and locked",
        request=None,
        responses={200: RiskAssessmentOutput, **ERRORS},
    )
    def post(self, request: Request, case_id: int, assessment_id: int) -> Response:
        user = api_staff_member(request)
        assessment = selectors.assessment_for_change(user=user, case_id=case_id, assessment_id=assessment_id)
        done = _call(services.assessment_complete, actor=user, assessment=assessment)
        return _assessment_response(user, done)


class AssessmentAmendApi(APIView):
    @extend_schema(
        operation_id="case_risk_assessment_amend",
        summary="Amend the current assessment: a new draft revision with the same answers and a reason",
        request=RiskAmendInput,
        responses={201: RiskAssessmentOutput, **ERRORS},
    )
    def post(self, request: Request, case_id: int, assessment_id: int) -> Response:
        user = api_staff_member(request)
        assessment = selectors.assessment_for_change(user=user, case_id=case_id, assessment_id=assessment_id)
        values = _valid(RiskAmendInput, request.data)
        amendment = _call(services.assessment_amend, actor=user, assessment=assessment, reason=values["reason"])
        return _assessment_response(user, amendment, status_code=status.HTTP_201_CREATED)


class SashRecordApi(APIView):
    @extend_schema(
        operation_id="case_risk_sash_record",
        summary="Record a SASH level of concern directly",
        responses={201: RiskAssessmentOutput, **ERRORS},
        request=RiskSashInput,
    )
    def post(self, request: Request, case_id: int) -> Response:
        user = api_staff_member(request)
        case = case_get_for_user(user=user, case_id=case_id)
        values = _valid(RiskSashInput, request.data)
        assessment = _call(services.sash_record, actor=user, case=case, **values)
        return _assessment_response(user, assessment, status_code=status.HTTP_201_CREATED)


class IncidentListApi(APIView):
    @extend_schema(
        operation_id="case_risk_incidents_list",
        summary="The case's incidents, newest first",
        responses={200: RiskIncidentOutput(many=True), 404: ERRORS[404]},
    )
    def get(self, request: Request, case_id: int) -> Response:
        user = api_staff_member(request)
        incidents = selectors.incidents_for_user(user=user, case_id=case_id)
        return Response(RiskIncidentOutput(incidents, many=True).data)

    @extend_schema(
        operation_id="case_risk_incident_record",
        summary="Record an incident (counts for MARAC escalation and repeat; makes the DASH due)",
        request=RiskIncidentInput,
        responses={201: RiskIncidentOutput, **ERRORS},
    )
    def post(self, request: Request, case_id: int) -> Response:
        user = api_staff_member(request)
        case = case_get_for_user(user=user, case_id=case_id)
        values = _valid(RiskIncidentInput, request.data)
        incident = _call(services.incident_record, actor=user, case=case, **values)
        return Response(RiskIncidentOutput(incident).data, status=status.HTTP_201_CREATED)


class MaracReferralListApi(APIView):
    @extend_schema(
        operation_id="case_risk_marac_referrals_list",
        summary="The case's MARAC referrals, newest first",
        responses={200: RiskMaracReferralOutput(many=True), 404: ERRORS[404]},
    )
    def get(self, request: Request, case_id: int) -> Response:
        user = api_staff_member(request)
        referrals = selectors.marac_referrals_for_user(user=user, case_id=case_id)
        return Response(RiskMaracReferralOutput(referrals, many=True).data)

    @extend_schema(
        operation_id="case_risk_marac_referral_record",
        summary="Record a MARAC referral",
        request=RiskMaracReferralInput,
        responses={201: RiskMaracReferralOutput, **ERRORS},
    )
    def post(self, request: Request, case_id: int) -> Response:
        user = api_staff_member(request)
        case = case_get_for_user(user=user, case_id=case_id)
        values = _valid(RiskMaracReferralInput, request.data)
        assessment = None
        if values["assessment"] is not None:
            assessment = Assessment.objects.filter(case=case, pk=values["assessment"]).first()
            if assessment is None:
                raise serializers.ValidationError({"assessment": ["Choose a completed assessment of this case"]})
        referral = _call(
            services.marac_referral_record,
            actor=user,
            case=case,
            referred_on=values["referred_on"],
            notes=values["notes"],
            assessment=assessment,
        )
        return Response(RiskMaracReferralOutput(referral).data, status=status.HTTP_201_CREATED)
