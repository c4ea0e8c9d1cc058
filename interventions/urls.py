"""Pages of the interventions app, mounted at /interventions/ by masip/urls.py."""

from django.urls import path

from interventions import views

app_name = "interventions"

_case = "cases/<int:case_id>/"
_intervention = _case + "<int:intervention_id>/"

urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("concerns/<int:concern_id>/acknowledge/", views.concern_acknowledge, name="concern_acknowledge"),
    path(_case, views.case_interventions, name="case_interventions"),
    path(_case + "refer/", views.referral_new, name="referral_new"),
    path(_case + "referrals/<int:referral_id>/", views.referral_detail, name="referral_detail"),
    path(_case + "record/", views.intervention_record, name="intervention_record"),
    path(_intervention, views.intervention_detail, name="intervention_detail"),
    path(_intervention + "start/", views.intervention_start, name="intervention_start"),
    path(_intervention + "end/", views.intervention_end, name="intervention_end"),
    path(_intervention + "clinical-notes/", views.clinical_note_add, name="clinical_note_add"),
    path(_intervention + "plan/", views.plan_edit, name="plan_edit"),
    path(_intervention + "plan/<int:plan_id>/approve/", views.plan_approve, name="plan_approve"),
    path(_intervention + "plan/review/", views.plan_review, name="plan_review"),
    path(_intervention + "sessions/<int:number>/", views.session_detail, name="session_detail"),
    path(_intervention + "sessions/<int:number>/book/", views.appointment_book, name="appointment_book"),
    path(
        _intervention + "appointments/<int:appointment_id>/reschedule/",
        views.appointment_reschedule,
        name="appointment_reschedule",
    ),
    path(_intervention + "course/", views.course_book, name="course_book"),
    path(
        _intervention + "appointments/<int:appointment_id>/cancel/",
        views.appointment_cancel,
        name="appointment_cancel",
    ),
    path(
        _intervention + "appointments/<int:appointment_id>/feedback/",
        views.appointment_feedback,
        name="appointment_feedback",
    ),
]
