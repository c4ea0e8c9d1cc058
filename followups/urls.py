"""Pages of monitoring and re-offending follow-ups, mounted at /cases/ by masip/urls.py:
a case's monitoring is a section of its case page, so its address stays under the case."""

from django.urls import path

from followups import views

app_name = "followups"
urlpatterns = [
    path("<int:case_id>/monitoring/", views.case_monitoring, name="case_monitoring"),
    path(
        "<int:case_id>/monitoring/reviews/<int:review_id>/",
        views.review_complete,
        name="followup_review_complete",
    ),
    path(
        "<int:case_id>/monitoring/candidates/<int:candidate_id>/",
        views.candidate_decide,
        name="reoffending_candidate_decide",
    ),
    path("<int:case_id>/monitoring/reoffending/new/", views.reoffending_add, name="reoffending_add"),
    path("follow-up-settings/", views.followup_settings, name="followup_settings"),
]
