"""Forms of the data bundle page: the upload, and the choice of export."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.files.uploadedfile import UploadedFile

from masip.forms import GovukForm

# The same words as the service's own check (exchange.services.export_reason_check).
REASON_REQUIRED = "Say why the export with names is needed: it is recorded in the access log"


class FileInput(forms.FileInput):
    """A file input that takes several files (a bundle's CSV files chosen together).

    Named FileInput so the GOV.UK field template gives it the file-upload style.
    """

    allow_multiple_selected = True


class BundleFilesField(forms.FileField):
    widget = FileInput

    def clean(self, data: Any, initial: Any = None) -> list[UploadedFile]:
        files = data if isinstance(data, list | tuple) else [data] if data else []
        if not files and self.required:
            raise forms.ValidationError(self.error_messages["required"], code="required")
        return [super(BundleFilesField, self).clean(f, initial) for f in files]


class BundleUploadForm(GovukForm):
    bundle = BundleFilesField(
        label="Bundle",
        help_text="A .zip of the bundle's folder, or its CSV files chosen together (referrals.csv is required)",
        error_messages={"required": "Choose the bundle: a .zip file, or its CSV files"},
    )
    dry_run = forms.BooleanField(
        label="Only check the bundle: import nothing",
        required=False,
    )


EXPORT_CHOICES = (
    ("full", "The full bundle, with names and identifiers (to move the partnership's data elsewhere)"),
    (
        "evaluation",
        "For an evaluator, with names: victims named only where they consented to research, the others unnamed",
    ),
    ("pseudonymised", "Pseudonymised, without names or identifiers (for an evaluator)"),
)


class BundleExportForm(GovukForm):
    kind = forms.ChoiceField(
        label="Which export",
        choices=EXPORT_CHOICES,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose which export to download"},
    )
    reason = forms.CharField(
        label="Why is the export with names needed?",
        help_text="Required for the full and the evaluator's export, and kept in the access log: "
        "for example the name of the service the data is moving to, or the evaluation it is for",
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"max_length": "The reason must be 500 characters or fewer"},
    )

    def __init__(self, *args: Any, full_allowed: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not full_allowed:
            # Only one export is open to this user: nothing to choose.
            kind = self.fields["kind"]
            assert isinstance(kind, forms.ChoiceField)
            kind.choices = [c for c in EXPORT_CHOICES if c[0] == "pseudonymised"]
            self.fields["kind"].initial = "pseudonymised"
            self.fields["kind"].widget = forms.HiddenInput()
            del self.fields["reason"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        kind = data.get("kind")
        if kind and kind != "pseudonymised" and not " ".join(data.get("reason", "").split()):
            self.add_error("reason", REASON_REQUIRED)
        return data
