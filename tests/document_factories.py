"""Files for the documents tests: real formats, made here (a PDF by WeasyPrint, a PNG by Pillow)."""

from __future__ import annotations

import io
from functools import cache

from django.core.files.uploadedfile import SimpleUploadedFile


@cache
def pdf_bytes(text: str = "Evidence log") -> bytes:
    from weasyprint import HTML

    return bytes(HTML(string=f"<p>{text}</p>").write_pdf())


@cache
def png_bytes() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 30, 30)).save(out, format="PNG")
    return out.getvalue()


def pdf(name: str = "log.pdf", text: str = "Evidence log") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, pdf_bytes(text), content_type="application/pdf")


def png(name: str = "screenshot.png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, png_bytes(), content_type="image/png")


def html_named_pdf(name: str = "letter.pdf") -> SimpleUploadedFile:
    # What the browser claims is irrelevant: the bytes are a page with a script.
    return SimpleUploadedFile(
        name, b"<html><body><script>alert(1)</script></body></html>", content_type="application/pdf"
    )


def email(name: str = "message.eml") -> SimpleUploadedFile:
    body = (
        b"From: someone@example.org\nTo: her@example.org\nSubject: again\n"
        b"Date: Mon, 7 Dec 2026 09:00:00 +0000\n\nI saw you.\n"
    )
    return SimpleUploadedFile(name, body, content_type="message/rfc822")
