"""Forms of the documents pages. The service checks everything again; these parse."""

from __future__ import annotations

from typing import Any

from django import forms

from cases.forms import GovukDateField
from documents.models import DocumentKind
from documents.selectors import LetterForm, UploadForm
from masip.forms import GovukForm


class MultipleFileInput(forms.FileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    widget = MultipleFileInput

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        if not data:
            return []
        files = data if isinstance(data, list | tuple) else [data]
        return [super(MultipleFileField, self).clean(f, initial) for f in files]


class DocumentUploadForm(GovukForm):
    uploads = MultipleFileField(label="Files", required=False, allow_empty_file=True)
    title = forms.CharField(
        label="Title",
        max_length=200,
        required=False,
        help_text="Leave empty to use each file's name. With several files, each title ends with the file's name.",
    )
    kind = forms.ChoiceField(
        label="Kind of document",
        choices=[("", "Choose"), *list(DocumentKind.choices)],
        error_messages={"required": "Choose what kind of document this is"},
    )
    dated_on = GovukDateField(label="Date of the document", required=True)
    person = forms.TypedChoiceField(label="About", required=False, coerce=int, empty_value=None)
    record_class = forms.ChoiceField(
        label="Who may read it",
        required=False,
        help_text="Beyond everyone on the case: agencies the information-sharing agreement allows. "
        "A victim's evidence, screenshots and letters are always limited to those who may see her identity.",
    )

    def __init__(self, *args: Any, page: UploadForm, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        person: Any = self.fields["person"]
        person.choices = [("", "The case as a whole")] + [(p.person_id, p.label) for p in page.people]
        record_class: Any = self.fields["record_class"]
        record_class.choices = [("", "Everyone on the case"), *page.classes]


class LetterCreateForm(GovukForm):
    template = forms.ChoiceField(
        label="Letter", widget=forms.RadioSelect, error_messages={"required": "Choose a letter"}
    )
    person = forms.TypedChoiceField(
        label="For", coerce=int, error_messages={"required": "Choose the victim the letter is for"}
    )
    recipient_name = forms.CharField(
        label="To", max_length=200, error_messages={"required": "Enter who the letter is to"}
    )
    recipient_address = forms.CharField(
        label="Their address", required=False, max_length=1000, widget=forms.Textarea(attrs={"rows": 4})
    )
    extra = forms.CharField(
        label="Anything to add",
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="Paragraphs added before the closing of the letter.",
    )

    def __init__(self, *args: Any, page: LetterForm, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        template: Any = self.fields["template"]
        template.choices = [(letter.key, letter.title) for letter in page.letters]
        person: Any = self.fields["person"]
        person.choices = [("", "Choose")] + [(p.person_id, p.label) for p in page.victims]
