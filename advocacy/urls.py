"""Pages of the advocacy app, mounted at /advocacy/ by masip/urls.py."""

from django.urls import path

from advocacy import views

app_name = "advocacy"
urlpatterns = [
    path("settings/", views.settings_page, name="settings"),
    path("feedback/", views.feedback_summary, name="feedback_summary"),
    path("cases/<int:case_id>/", views.case_advocacy, name="case_advocacy"),
    path("cases/<int:case_id>/advocate/", views.assignment, name="assignment"),
    path("cases/<int:case_id>/contacts/", views.contact_log, name="contact_log"),
    path("cases/<int:case_id>/contacts/new/", views.contact_add, name="contact_add"),
    path("cases/<int:case_id>/contacts/<int:contact_id>/", views.contact_detail, name="contact_detail"),
    path("cases/<int:case_id>/contacts/<int:contact_id>/edit/", views.contact_edit, name="contact_edit"),
    path("cases/<int:case_id>/safe-contact/<int:person_id>/", views.safe_contact_edit, name="safe_contact_edit"),
    path("cases/<int:case_id>/needs/", views.needs, name="needs"),
    path("cases/<int:case_id>/needs/new/", views.needs_add, name="needs_add"),
    path("cases/<int:case_id>/safety-plan/", views.safety_plan, name="safety_plan"),
    path("cases/<int:case_id>/safety-plan/measures/new/", views.measure_add, name="measure_add"),
    path("cases/<int:case_id>/safety-plan/measures/<int:measure_id>/", views.measure_edit, name="measure_edit"),
    path("cases/<int:case_id>/safety-plan/reviews/new/", views.review_add, name="review_add"),
    path("cases/<int:case_id>/key-events/", views.key_events, name="key_events"),
    path("cases/<int:case_id>/key-events/new/", views.key_event_add, name="key_event_add"),
    path("cases/<int:case_id>/key-events/notices/<int:notice_id>/", views.notice_told, name="notice_told"),
    path("cases/<int:case_id>/feedback/", views.feedback, name="feedback"),
]
