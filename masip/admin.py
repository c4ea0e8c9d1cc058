"""Third-party models in the admin, narrowed to what an administrator needs."""

from __future__ import annotations

from allauth.mfa.models import Authenticator
from django.contrib import admin
from django.http import HttpRequest

# allauth.mfa comes before this app in INSTALLED_APPS, so its admin is registered already.
if admin.site.is_registered(Authenticator):
    admin.site.unregister(Authenticator)


@admin.register(Authenticator)
class AuthenticatorAdmin(admin.ModelAdmin[Authenticator]):
    """Remove a lost authenticator; never read one.

    allauth's own admin shows the authenticator's data, which holds the TOTP secret and
    the recovery codes: whoever reads them can pass as that member of staff.
    """

    list_display = ["user", "type", "created_at", "last_used_at"]
    list_filter = ["type"]
    fields = ["user", "type", "created_at", "last_used_at"]
    readonly_fields = ["user", "type", "created_at", "last_used_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
