"""API routes of the risk app, under /api/v1/."""

from django.urls import path

from risk import apis

urlpatterns = [
    path("risk/instruments/", apis.InstrumentListApi.as_view(), name="api-risk-instruments"),
    path(
        "risk/instrument-versions/<int:version_id>/",
        apis.InstrumentVersionApi.as_view(),
        name="api-risk-instrument-version",
    ),
    path("risk/settings/", apis.RiskSettingsApi.as_view(), name="api-risk-settings"),
    path("cases/<int:case_id>/risk/", apis.CaseRiskApi.as_view(), name="api-case-risk"),
    path("cases/<int:case_id>/risk/assessments/", apis.AssessmentListApi.as_view(), name="api-risk-assessments"),
    path(
        "cases/<int:case_id>/risk/assessments/<int:assessment_id>/",
        apis.AssessmentDetailApi.as_view(),
        name="api-risk-assessment",
    ),
    path(
        "cases/<int:case_id>/risk/assessments/<int:assessment_id>/complete/",
        apis.AssessmentCompleteApi.as_view(),
        name="api-risk-assessment-complete",
    ),
    path(
        "cases/<int:case_id>/risk/assessments/<int:assessment_id>/amend/",
        apis.AssessmentAmendApi.as_view(),
        name="api-risk-assessment-amend",
    ),
    path("cases/<int:case_id>/risk/sash/", apis.SashRecordApi.as_view(), name="api-risk-sash"),
    path("cases/<int:case_id>/risk/incidents/", apis.IncidentListApi.as_view(), name="api-risk-incidents"),
    path(
        "cases/<int:case_id>/risk/marac-referrals/",
        apis.MaracReferralListApi.as_view(),
        name="api-risk-marac-referrals",
    ),
]
