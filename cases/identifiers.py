"""How names and identifiers are written down and checked: the one home of these rules.

Intake and the edit pages (cases.services), search and matching (cases.selectors) and the
data bundle import (exchange) all store, compare and look up people and referrals by these
forms, so a value typed on a page, found by a search and carried in a bundle is the same
value. Pure functions of their arguments: no database, no imports from the rest of the app.
"""

from __future__ import annotations

import re
import unicodedata

# A PNC ID as the Police National Computer writes it: the year (two or four digits), a
# slash, a serial number and a check letter (19/123456A).
PNC_ID_RE = re.compile(r"\d{2,4}/\d{1,7}[A-Z]")
NHS_NUMBER_RE = re.compile(r"\d{10}")
WHITESPACE_RE = re.compile(r"\s+")
NOT_NAME_RE = re.compile(r"[^a-z0-9 ]+")


def normalise_name(given: str, family: str) -> str:
    """What matching compares: lower case, accents and punctuation gone, one space."""
    text = unicodedata.normalize("NFKD", f"{given} {family}")
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).lower()
    text = NOT_NAME_RE.sub(" ", text)
    return WHITESPACE_RE.sub(" ", text).strip()


def normalise_identifier(value: str) -> str:
    """A PNC ID, NHS number or crime reference as stored and searched: no spaces, upper case.

    People type "19/123456a" and "943 476 5919"; the search box normalises its term the same
    way, so whatever was typed finds what was stored.
    """
    return WHITESPACE_RE.sub("", value or "").upper()


def normalise_crime_reference(value: str) -> str:
    """A crime reference as stored: the search finds a referral by its normalised reference."""
    return normalise_identifier(value)


def valid_pnc_id(value: str) -> bool:
    """Whether a normalised PNC ID has the PNC's form (the check letter is not verified)."""
    return PNC_ID_RE.fullmatch(value) is not None


def valid_nhs_number(value: str) -> bool:
    """Modulus 11 check digit, as the NHS number specification has it (a normalised number)."""
    if not NHS_NUMBER_RE.fullmatch(value):
        return False
    total = sum(int(d) * (10 - i) for i, d in enumerate(value[:9]))
    check = 11 - total % 11
    check = 0 if check == 11 else check
    return check != 10 and check == int(value[9])
