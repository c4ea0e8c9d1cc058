from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from agencies.models import Agency, InformationSharingAgreement, Partnership, SharingRule, User


@admin.register(Partnership)
class PartnershipAdmin(admin.ModelAdmin[Partnership]):
    list_display = ["name", "slug", "created_at"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Agency)
class AgencyAdmin(admin.ModelAdmin[Agency]):
    list_display = ["name", "kind", "partnership", "is_core"]
    list_filter = ["kind", "partnership"]


class SharingRuleInline(admin.TabularInline[SharingRule, InformationSharingAgreement]):
    model = SharingRule
    extra = 0


@admin.register(InformationSharingAgreement)
class AgreementAdmin(admin.ModelAdmin[InformationSharingAgreement]):
    list_display = ["partnership", "reference", "review_on", "updated_at"]
    inlines = [SharingRuleInline]


@admin.register(User)
class StaffAdmin(UserAdmin):
    ordering = ["email"]
    list_display = ["email", "first_name", "last_name", "agency", "role", "is_active"]
    list_filter = ["role", "agency__partnership", "is_active"]
    search_fields = ["email", "first_name", "last_name"]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Name", {"fields": ("first_name", "last_name", "job_title")}),
        ("Agency", {"fields": ("agency", "role")}),
        ("Permissions", {"fields": ("is_active", "is_staff", "is_superuser", "groups")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)
