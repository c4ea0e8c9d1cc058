"""Pages of the risk app, mounted at /risk/ (masip/urls.py)."""

from django.urls import path

from risk import views

app_name = "risk"
urlpatterns = [
    path("instruments/", views.instruments, name="instruments"),
    path("instruments/versions/<int:version_id>/", views.instrument_version, name="instrument_version"),
    path("settings/", views.risk_settings, name="settings"),
    path("cases/<int:case_id>/", views.case_risk, name="case_risk"),
    path("cases/<int:case_id>/sash/", views.sash_record, name="sash_record"),
    path("cases/<int:case_id>/incidents/new/", views.incident_add, name="incident_add"),
    path("cases/<int:case_id>/marac-referrals/new/", views.marac_referral_add, name="marac_referral_add"),
    path("cases/<int:case_id>/start/<slug:instrument_key>/", views.assessment_start, name="assessment_start"),
    path("cases/<int:case_id>/assessments/<int:assessment_id>/", views.assessment_detail, name="assessment_detail"),
    path(
        "cases/<int:case_id>/assessments/<int:assessment_id>/check/",
        views.assessment_check,
        name="assessment_check",
    ),
    path(
        "cases/<int:case_id>/assessments/<int:assessment_id>/completed/",
        views.assessment_confirmation,
        name="assessment_confirmation",
    ),
    path(
        "cases/<int:case_id>/assessments/<int:assessment_id>/amend/",
        views.assessment_amend,
        name="assessment_amend",
    ),
    path(
        "cases/<int:case_id>/assessments/<int:assessment_id>/delete/",
        views.assessment_discard,
        name="assessment_discard",
    ),
    path(
        "cases/<int:case_id>/assessments/<int:assessment_id>/pages/<slug:page>/",
        views.assessment_page,
        name="assessment_page",
    ),
    path(
        "cases/<int:case_id>/assessments/<int:assessment_id>/pages/<slug:page>/autosave/",
        views.assessment_autosave,
        name="assessment_autosave",
    ),
]
