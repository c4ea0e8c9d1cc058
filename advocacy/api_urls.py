"""API routes of the advocacy app, under /api/v1/."""

from django.urls import path

from advocacy import apis

CASE = "cases/<int:case_id>/advocacy/"

urlpatterns = [
    path(CASE, apis.OverviewApi.as_view(), name="api-advocacy-overview"),
    path(f"{CASE}advocates/", apis.AdvocatesApi.as_view(), name="api-advocacy-advocates"),
    path(f"{CASE}advocates/end/", apis.AdvocateEndApi.as_view(), name="api-advocacy-advocate-end"),
    path(f"{CASE}contacts/", apis.ContactsApi.as_view(), name="api-advocacy-contacts"),
    path(f"{CASE}contacts/<int:contact_id>/", apis.ContactDetailApi.as_view(), name="api-advocacy-contact"),
    path(f"{CASE}safe-contact/<int:person_id>/", apis.SafeContactApi.as_view(), name="api-advocacy-safe-contact"),
    path(f"{CASE}needs/", apis.NeedsApi.as_view(), name="api-advocacy-needs"),
    path(f"{CASE}safety-plan/", apis.SafetyPlanApi.as_view(), name="api-advocacy-safety-plan"),
    path(f"{CASE}safety-plan/measures/", apis.MeasuresApi.as_view(), name="api-advocacy-measures"),
    path(f"{CASE}safety-plan/measures/<int:measure_id>/", apis.MeasureApi.as_view(), name="api-advocacy-measure"),
    path(f"{CASE}safety-plan/reviews/", apis.ReviewsApi.as_view(), name="api-advocacy-reviews"),
    path(f"{CASE}key-events/", apis.KeyEventsApi.as_view(), name="api-advocacy-key-events"),
    path(f"{CASE}key-events/notices/<int:notice_id>/told/", apis.NoticeToldApi.as_view(), name="api-advocacy-told"),
    path(f"{CASE}feedback/", apis.FeedbackApi.as_view(), name="api-advocacy-feedback"),
    path("advocacy/feedback/summary/", apis.FeedbackSummaryApi.as_view(), name="api-advocacy-feedback-summary"),
    path("advocacy/settings/", apis.SettingsApi.as_view(), name="api-advocacy-settings"),
    path("advocacy/settings/leads/", apis.LeadsApi.as_view(), name="api-advocacy-leads"),
    path("advocacy/settings/leads/<int:lead_id>/", apis.LeadApi.as_view(), name="api-advocacy-lead"),
]
