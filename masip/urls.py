from django.conf import settings
from django.contrib import admin
from django.http import HttpRequest, HttpResponsePermanentRedirect
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView

from cases.urls import people_urlpatterns
from masip import metrics, views


def bundle_moved(request: HttpRequest, rest: str) -> HttpResponsePermanentRedirect:
    """The data bundle's pages were under /reporting/bundle/ before the exchange app had them:
    bookmarks, links in the docs and a form left open across the change still arrive there.
    308, not 301, so a POST (an upload, an export) is repeated to the new address as a POST."""
    query = request.META.get("QUERY_STRING", "")
    target = f"/bundle/{rest}" + (f"?{query}" if query else "")
    response = HttpResponsePermanentRedirect(target)
    response.status_code = 308
    return response


# The service's own pages for refusals and errors (masip/errors.py).
handler400 = "masip.errors.bad_request"
handler403 = "masip.errors.permission_denied"
handler404 = "masip.errors.page_not_found"
handler500 = "masip.errors.server_error"

urlpatterns = [
    path("", views.home, name="home"),
    path("today/<slug:key>/", views.today, name="today"),
    path("healthz", views.healthz, name="healthz"),
    path("livez", views.livez, name="livez"),
    path("readyz", views.readyz, name="readyz"),
    path("metrics", metrics.metrics, name="metrics"),
    path("accounts/", include("allauth.urls")),
    path("notifications/", include("notifications.urls")),
    path("cases/", include("cases.urls")),
    path("cases/", include("followups.urls")),
    path("people/", include(people_urlpatterns)),
    path("risk/", include("risk.urls")),
    path("triage/", include("triage.urls")),
    path("advocacy/", include("advocacy.urls")),
    path("interventions/", include("interventions.urls")),
    path("reporting/", include("reporting.urls")),
    re_path(r"^reporting/bundle/(?P<rest>(?:import/(?:[0-9a-f-]{36}/)?|export/)?)$", bundle_moved),
    path("bundle/", include("exchange.urls")),
    path("costs/", include("costs.urls")),
    path("documents/", include("documents.urls")),
    path("consent/", include("consent.urls")),
    path("privacy/", include("privacy.urls")),
    path("partnership/", include("agencies.urls")),
    path("api/v1/", include("masip.api_urls")),
    path("api/v1/schema/", SpectacularAPIView.as_view(), name="api-schema"),
]

# The admin only where it is turned on (MASIP_ADMIN_ENABLED; off in production by default).
if settings.MASIP_ADMIN_ENABLED:
    urlpatterns += [
        # The queues as the admin sees them (the same figures as /healthz).
        path("admin/jobs/", admin.site.admin_view(views.jobs_status), name="admin-jobs"),
        path("admin/", admin.site.urls),
    ]
