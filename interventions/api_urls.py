"""API routes of the interventions app, under /api/v1/."""

from django.urls import path

from interventions import apis

_i = "interventions/<int:intervention_id>/"

urlpatterns = [
    path("interventions/inbox/", apis.InboxApi.as_view(), name="api-interventions-inbox"),
    path("cases/<int:case_id>/interventions/", apis.CaseInterventionsApi.as_view(), name="api-case-interventions"),
    path(
        "cases/<int:case_id>/intervention-referrals/",
        apis.CaseReferralsApi.as_view(),
        name="api-case-intervention-referrals",
    ),
    path("intervention-referrals/<int:referral_id>/", apis.ReferralDetailApi.as_view(), name="api-int-referral"),
    path(
        "intervention-referrals/<int:referral_id>/accept/",
        apis.ReferralAcceptApi.as_view(),
        name="api-int-referral-accept",
    ),
    path(
        "intervention-referrals/<int:referral_id>/decline/",
        apis.ReferralDeclineApi.as_view(),
        name="api-int-referral-decline",
    ),
    path(
        "intervention-referrals/<int:referral_id>/withdraw/",
        apis.ReferralWithdrawApi.as_view(),
        name="api-int-referral-withdraw",
    ),
    path(_i, apis.InterventionDetailApi.as_view(), name="api-intervention"),
    path(_i + "start/", apis.InterventionStartApi.as_view(), name="api-intervention-start"),
    path(_i + "end/", apis.InterventionEndApi.as_view(), name="api-intervention-end"),
    path(_i + "plans/", apis.PlansApi.as_view(), name="api-intervention-plans"),
    path(_i + "plans/<int:plan_id>/approve/", apis.PlanApproveApi.as_view(), name="api-intervention-plan-approve"),
    path(_i + "plan-reviews/", apis.PlanReviewsApi.as_view(), name="api-intervention-plan-reviews"),
    path(
        _i + "sessions/<int:number>/appointments/",
        apis.SessionAppointmentsApi.as_view(),
        name="api-intervention-session-appointments",
    ),
    path(
        _i + "appointments/<int:appointment_id>/reschedule/",
        apis.AppointmentRescheduleApi.as_view(),
        name="api-intervention-appointment-reschedule",
    ),
    path(
        _i + "appointments/<int:appointment_id>/cancel/",
        apis.AppointmentCancelApi.as_view(),
        name="api-intervention-appointment-cancel",
    ),
    path(_i + "course/", apis.CourseApi.as_view(), name="api-intervention-course"),
    path(
        _i + "appointments/<int:appointment_id>/feedback/",
        apis.AppointmentFeedbackApi.as_view(),
        name="api-intervention-appointment-feedback",
    ),
    path(_i + "clinical-notes/", apis.ClinicalNotesApi.as_view(), name="api-intervention-clinical-notes"),
    path(
        "intervention-concerns/<int:concern_id>/acknowledge/",
        apis.ConcernAcknowledgeApi.as_view(),
        name="api-intervention-concern-acknowledge",
    ),
]
