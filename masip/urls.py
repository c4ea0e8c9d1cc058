from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView

from cases.urls import people_urlpatterns
from masip import views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("accounts/", include("allauth.urls")),
    path("cases/", include("cases.urls")),
    path("people/", include(people_urlpatterns)),
    path("risk/", include("risk.urls")),
    path("triage/", include("triage.urls")),
    path("advocacy/", include("advocacy.urls")),
    path("interventions/", include("interventions.urls")),
    path("reporting/", include("reporting.urls")),
    path("costs/", include("costs.urls")),
    path("documents/", include("documents.urls")),
    path("partnership/", include("agencies.urls")),
    path("access-log/", include("audit.urls")),
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
