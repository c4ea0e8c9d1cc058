from django.contrib import admin
from django.http import HttpRequest

from audit.models import AccessLog


@admin.register(AccessLog)
class AccessLogAdmin(admin.ModelAdmin[AccessLog]):
    """Read-only: the log is append-only, in the admin as everywhere."""

    list_display = ["at", "user", "agency", "action", "record_type", "break_glass"]
    list_filter = ["action", "record_type", "break_glass"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
