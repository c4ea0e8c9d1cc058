"""What an uploaded file really is, from its bytes (libmagic through python-magic), not its name.

Only kinds a caseworker needs are taken: PDF, images, office documents, plain text and
e-mail. HTML, SVG, scripts and archives are refused even when named ``.pdf``: files are
served as attachments with ``nosniff``, and refusing them at the door means a document
can never become active content in anyone's browser.
"""

from __future__ import annotations

from typing import IO

import magic

# content type -> the label shown to staff
ACCEPTED: dict[str, str] = {
    "application/pdf": "PDF",
    "image/jpeg": "JPEG image",
    "image/png": "PNG image",
    "image/gif": "GIF image",
    "image/webp": "WebP image",
    "image/heic": "HEIC image",
    "image/tiff": "TIFF image",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "Word document",
    "application/msword": "Word document",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "Excel spreadsheet",
    "application/vnd.ms-excel": "Excel spreadsheet",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": "PowerPoint presentation",
    "application/vnd.ms-powerpoint": "PowerPoint presentation",
    "application/vnd.oasis.opendocument.text": "OpenDocument text",
    "application/vnd.oasis.opendocument.spreadsheet": "OpenDocument spreadsheet",
    "text/rtf": "Rich text",
    "text/plain": "Text",
    "text/csv": "Text",
    "message/rfc822": "E-mail",
    "application/vnd.ms-outlook": "Outlook e-mail",
}

# libmagic looks at the head of the file; office formats need a little more than the first block.
SNIFF_BYTES = 256 * 1024


def sniff(file: IO[bytes]) -> str:
    """The content type of ``file`` from its bytes; the file is left at its start."""
    file.seek(0)
    head = file.read(SNIFF_BYTES)
    file.seek(0)
    return str(magic.from_buffer(head, mime=True))


def label(content_type: str) -> str:
    return ACCEPTED.get(content_type, content_type)
