"""The admin site for return definitions, generated returns and training events.

A definition's versions are never edited: in the admin, "change" means adding the next
version, pre-filled with the current one's indicators (renumber ``position`` to
reorder, tick "delete" to remove, fill a blank row to add). It is saved through
``reporting.returns.services.definition_revise``, which checks every indicator
against the measure vocabulary, exactly as the programme manager's page does.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.forms import BaseInlineFormSet, ModelForm
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html

from reporting.models import DefinitionVersion, GeneratedReturn, Indicator, ReturnDefinition, TrainingEvent
from reporting.returns import measures, services


@admin.register(ReturnDefinition)
class ReturnDefinitionAdmin(admin.ModelAdmin[ReturnDefinition]):
    list_display = ("name", "partnership", "current_version", "new_version_link")
    list_filter = ("partnership",)
    readonly_fields = ("created_by", "created_at", "current_version", "new_version_link")
    fields = ("partnership", "name", "description", "created_by", "created_at", "current_version", "new_version_link")

    def get_readonly_fields(self, request: HttpRequest, obj: ReturnDefinition | None = None) -> Any:
        # New definitions start from the default indicators (services.definition_create).
        return (*self.readonly_fields, "partnership") if obj else self.readonly_fields

    @admin.display(description="Current version")
    def current_version(self, obj: ReturnDefinition) -> Any:
        if obj.pk is None:
            return "-"
        version = obj.versions.order_by("-number").first()
        return version.number if version else "-"

    @admin.display(description="Change the indicators")
    def new_version_link(self, obj: ReturnDefinition) -> Any:
        if obj.pk is None:
            return "Save first: the definition starts with the default indicators"
        url = reverse("admin:reporting_definitionversion_add") + f"?definition={obj.pk}"
        return format_html('<a href="{}">Make the next version</a>', url)

    def save_model(self, request: HttpRequest, obj: ReturnDefinition, form: Any, change: bool) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        created = services.definition_create(
            partnership=obj.partnership,
            name=obj.name,
            description=obj.description,
            indicators=measures.DEFAULT_INDICATORS,
            actor=request.user,  # type: ignore[arg-type]
        )
        obj.pk = created.pk
        obj.created_at = created.created_at


class IndicatorForm(ModelForm[Indicator]):
    class Meta:
        model = Indicator
        fields = ("position", "key", "label", "section", "measure", "date_basis", "period", "filters", "breakdown")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.has_changed() and "measure" in data:
            errors = measures.validate_spec(_spec(data))
            for field, message in errors.items():
                self.add_error(field if field in self.fields else None, message)
        return data


def _spec(data: dict[str, Any]) -> measures.IndicatorSpec:
    return measures.IndicatorSpec(
        key=data.get("key") or "",
        label=data.get("label") or "",
        section=data.get("section") or "",
        measure=data.get("measure") or "",
        date_basis=data.get("date_basis") or "",
        period=data.get("period") or "quarter",
        filters=data.get("filters") or {},
        breakdown=data.get("breakdown") or "",
    )


def _rows_from(formset: Any) -> list[measures.IndicatorSpec]:
    """The indicators the formset describes, in ``position`` order (rows left as pre-filled count too)."""
    rows: list[tuple[int, int, measures.IndicatorSpec]] = []
    for index, f in enumerate(formset.forms):
        if formset.can_delete and formset._should_delete_form(f):
            continue
        data = f.cleaned_data if f.has_changed() else f.initial
        if not data or not data.get("measure"):
            continue
        rows.append((int(data.get("position") or 0), index, _spec(data)))
    return [spec for _, _, spec in sorted(rows, key=lambda r: (r[0], r[1]))]


class IndicatorFormSet(BaseInlineFormSet):
    def clean(self) -> None:
        super().clean()
        if any(self.errors):
            return
        try:
            services.clean_specs(_rows_from(self))
        except ValidationError as exc:
            raise forms.ValidationError([m for msgs in exc.message_dict.values() for m in msgs]) from exc


class IndicatorInline(admin.TabularInline[Indicator, DefinitionVersion]):
    model = Indicator
    form = IndicatorForm
    formset = IndicatorFormSet
    ordering = ("position",)

    def get_extra(self, request: HttpRequest, obj: DefinitionVersion | None = None, **kwargs: Any) -> int:
        if obj is not None:
            return 0
        return len(_initial_indicators(request)) + 3


def _initial_indicators(request: HttpRequest) -> list[dict[str, Any]]:
    definition = ReturnDefinition.objects.filter(pk=request.GET.get("definition") or 0).first()
    if definition is None:
        return []
    version = services.latest_version(definition)
    return [
        {
            "position": i.position,
            "key": i.key,
            "label": i.label,
            "section": i.section,
            "measure": i.measure,
            "date_basis": i.date_basis,
            "period": i.period,
            "filters": i.filters,
            "breakdown": i.breakdown,
        }
        for i in version.indicators.order_by("position")
    ]


@admin.register(DefinitionVersion)
class DefinitionVersionAdmin(admin.ModelAdmin[DefinitionVersion]):
    list_display = ("definition", "number", "note", "created_by", "created_at")
    list_filter = ("definition__partnership",)
    fields = ("definition", "note")
    inlines = (IndicatorInline,)

    def has_change_permission(self, request: HttpRequest, obj: DefinitionVersion | None = None) -> bool:
        return False  # a version is never changed: make the next one

    def has_delete_permission(self, request: HttpRequest, obj: DefinitionVersion | None = None) -> bool:
        return False

    def get_changeform_initial_data(self, request: HttpRequest) -> dict[str, Any]:
        return {"definition": request.GET.get("definition")}

    def get_formset_kwargs(self, request: HttpRequest, obj: Any, inline: Any, prefix: str) -> dict[str, Any]:
        kwargs = super().get_formset_kwargs(request, obj, inline, prefix)
        if request.method == "GET" and obj is not None and obj.pk is None:
            kwargs["initial"] = _initial_indicators(request)
        return kwargs

    def save_model(self, request: HttpRequest, obj: DefinitionVersion, form: Any, change: bool) -> None:
        pass  # saved with its indicators in save_related, through the service

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        specs = [spec for formset in formsets for spec in _rows_from(formset)]
        try:
            version = services.definition_revise(
                actor=request.user,  # type: ignore[arg-type]
                definition=form.instance.definition,
                indicators=specs,
                note=form.cleaned_data.get("note", ""),
                via_admin=True,
            )
        except ValidationError as exc:
            # Only "nothing changed" is left after the formset's own checks: say so, save nothing.
            messages.warning(request, " ".join(m for msgs in exc.message_dict.values() for m in msgs))
            version = services.latest_version(form.instance.definition)
        for formset in formsets:
            # The rows were written by the service, not the formset: nothing for the admin's change message.
            formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        form.instance.pk = version.pk
        form.instance.number = version.number
        form.instance.created_at = version.created_at


@admin.register(GeneratedReturn)
class GeneratedReturnAdmin(admin.ModelAdmin[GeneratedReturn]):
    list_display = ("id", "partnership", "quarter_label", "version", "status", "requested_by", "requested_at")
    list_filter = ("partnership", "status")
    readonly_fields = [f.name for f in GeneratedReturn._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: GeneratedReturn | None = None) -> bool:
        return False

    def get_queryset(self, request: HttpRequest) -> QuerySet[GeneratedReturn]:
        return super().get_queryset(request).select_related("partnership", "version__definition", "requested_by")


@admin.register(TrainingEvent)
class TrainingEventAdmin(admin.ModelAdmin[TrainingEvent]):
    list_display = ("delivered_on", "topic", "audience", "attendees", "delivering_agency", "partnership")
    list_filter = ("partnership", "audience")
    date_hierarchy = "delivered_on"
    readonly_fields = ("recorded_by", "created_at", "updated_at")

    def save_model(self, request: HttpRequest, obj: TrainingEvent, form: Any, change: bool) -> None:
        if not change:
            obj.recorded_by = request.user  # type: ignore[assignment]
        super().save_model(request, obj, form, change)
