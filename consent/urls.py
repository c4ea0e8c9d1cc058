"""Pages of the consent app, mounted at /consent/ by masip/urls.py."""

from django.urls import path

from consent import views

app_name = "consent"
urlpatterns = [
    path("cases/<int:case_id>/", views.case_consent, name="case_consent"),
    path("cases/<int:case_id>/new/", views.consent_add, name="consent_add"),
    path("cases/<int:case_id>/<int:consent_id>/withdraw/", views.consent_withdraw, name="consent_withdraw"),
]
