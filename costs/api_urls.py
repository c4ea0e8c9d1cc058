"""API routes of the costs app, under /api/v1/."""

from django.urls import path

from costs import apis

urlpatterns = [
    path("costs/cases/<int:case_id>/account/", apis.AccountApi.as_view(), name="api-costs-account"),
    path("costs/cases/<int:case_id>/account/lines/", apis.AccountLineApi.as_view(), name="api-costs-account-lines"),
    path(
        "costs/cases/<int:case_id>/account/scenario-items/",
        apis.ScenarioItemApi.as_view(),
        name="api-costs-scenario-items",
    ),
    path("costs/cases/<int:case_id>/account/finish/", apis.AccountFinishApi.as_view(), name="api-costs-account-finish"),
    path("costs/time-entries/", apis.TimeEntryApi.as_view(), name="api-costs-time-entries"),
    path("costs/programme/", apis.ProgrammeApi.as_view(), name="api-costs-programme"),
]
