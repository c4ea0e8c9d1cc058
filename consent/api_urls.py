"""API routes of the consent app, under /api/v1/."""

from django.urls import path

from consent import apis

urlpatterns = [
    path("consent/cases/<int:case_id>/", apis.CaseConsentApi.as_view(), name="api-consent-case"),
    path("consent/<int:consent_id>/withdraw/", apis.ConsentWithdrawApi.as_view(), name="api-consent-withdraw"),
]
