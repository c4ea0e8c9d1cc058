"""Forms of the data bundle page: the upload, and the choice of export."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.files.uploadedfile import UploadedFile


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


class BundleUploadForm(forms.Form):
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
    ("pseudonymised", "Pseudonymised, without names or identifiers (for an evaluator)"),
)


class BundleExportForm(forms.Form):
    kind = forms.ChoiceField(label="Which export", choices=EXPORT_CHOICES, widget=forms.RadioSelect)

    def __init__(self, *args: Any, full_allowed: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not full_allowed:
            # Only one export is open to this user: nothing to choose.
            kind = self.fields["kind"]
            assert isinstance(kind, forms.ChoiceField)
            kind.choices = [c for c in EXPORT_CHOICES if c[0] == "pseudonymised"]
            self.fields["kind"].initial = "pseudonymised"
            self.fields["kind"].widget = forms.HiddenInput()
