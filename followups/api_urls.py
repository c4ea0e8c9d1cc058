"""API routes of monitoring and re-offending follow-ups, under /api/v1/."""

from django.urls import path

from followups import apis

urlpatterns = [
    path("cases/<int:case_id>/monitoring/", apis.CaseMonitoringApi.as_view(), name="api-case-monitoring"),
    path(
        "cases/<int:case_id>/followup-reviews/",
        apis.CaseReviewsApi.as_view(),
        name="api-case-followup-reviews",
    ),
    path(
        "cases/<int:case_id>/followup-reviews/<int:review_id>/completion/",
        apis.ReviewCompleteApi.as_view(),
        name="api-followup-review-complete",
    ),
    path("cases/<int:case_id>/reoffending/", apis.CaseReoffendingApi.as_view(), name="api-case-reoffending"),
    path(
        "cases/<int:case_id>/reoffending-candidates/",
        apis.CaseCandidatesApi.as_view(),
        name="api-case-reoffending-candidates",
    ),
    path(
        "cases/<int:case_id>/reoffending-candidates/<int:candidate_id>/confirm/",
        apis.CandidateConfirmApi.as_view(),
        name="api-reoffending-candidate-confirm",
    ),
    path(
        "cases/<int:case_id>/reoffending-candidates/<int:candidate_id>/reject/",
        apis.CandidateRejectApi.as_view(),
        name="api-reoffending-candidate-reject",
    ),
    path("followup-reviews/", apis.OpenReviewsApi.as_view(), name="api-followup-reviews"),
]
