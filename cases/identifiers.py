"""How names and identifiers are written down and compared: the one home of these rules.

Intake and the edit pages (cases.services), search and matching (cases.selectors) and the
data bundle import (exchange) all store, compare and look up people by these forms, so a
value typed on a page, found by a search and carried in a bundle is the same value. Pure
functions of their arguments: no database, no imports from the rest of the app.
"""

from __future__ import annotations

import re
import unicodedata

WHITESPACE_RE = re.compile(r"\s+")
NOT_NAME_RE = re.compile(r"[^a-z0-9 ]+")


def normalise_name(given: str, family: str) -> str:
    """What matching compares: lower case, accents and punctuation gone, one space."""
    text = unicodedata.normalize("NFKD", f"{given} {family}")
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).lower()
    text = NOT_NAME_RE.sub(" ", text)
    return WHITESPACE_RE.sub(" ", text).strip()


def normalise_identifier(value: str) -> str:
    """A PNC ID, NHS number or crime reference as stored and searched: no spaces, upper case."""
    return WHITESPACE_RE.sub("", value or "").upper()
