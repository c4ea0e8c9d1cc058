"""Safe-contact guardrails: the checks every record of contact with a victim goes through.

Two rules, the same for pages and the API because the services apply them:

* **Unsafe methods.** A victim agrees the ways it is safe to contact her
  (``cases.SafeContactPreference.channels``). A contact or a "victim told" by any other
  way is refused unless the member of staff gives the reason to use it anyway; the
  reason is kept on the contact, shown with it, and the override is logged. A writer the
  per-person location rule denies her safe-contact details
  (``cases.permissions.may_see_person_location``) must give a reason for *every* way, in the
  same neutral words: were only the ways she has not agreed refused, trying them one by one
  without a reason would spell out the ways she agreed.
* **Personal details in shareable text.** A contact summary and the note of how a
  victim was told are read by colleagues in other agencies and quoted in reviews; her
  phone number, e-mail address or street address belong in her person record, where the
  location rules guard them. Text that looks like it holds one is refused until the
  writer confirms it is safe to keep as written.

Phone numbers are found with ``phonenumbers`` (Google's libphonenumber rules: it knows
which UK numbers can exist, so crime references and dates are not mistaken for them);
postcodes, e-mail addresses and street addresses with the patterns below.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import phonenumbers

from cases.models import ContactChannel, SafeContactPreference

# The full UK postcode shape (outward code, optional space, inward code), and the
# British Forces and Girobank specials that do not fit it.
_POSTCODE = re.compile(r"\b(?:[A-Z]{1,2}\d[A-Z\d]?|BFPO)\s*\d[A-Z]{2}\b|\bGIR\s*0AA\b", re.IGNORECASE)
_EMAIL = re.compile(r"\b[\w.+'-]+@[\w-]+(?:\.[\w-]+)+\b")
# A house number followed by a street name and the kind of street: "12 Acacia Road".
_STREET = re.compile(
    r"\b\d{1,4}[A-Za-z]?,?\s+(?:[A-Z][\w'-]*\s+){1,3}"
    r"(?:Road|Rd|Street|St|Avenue|Ave|Lane|Ln|Close|Drive|Dr|Way|Crescent|Court|Ct|Place|Pl|Gardens|Gdns|"
    r"Terrace|Grove|Square|Sq|Mews|Hill|Row|Walk|Park|Rise|View|Parade|Green)\b",
)


def personal_details_in(text: str) -> list[str]:
    """The kinds of personal contact detail the text looks like it holds, in a fixed order
    ("a phone number", "an e-mail address", "a street address", "a postcode")."""
    if not text:
        return []
    found: list[str] = []
    if any(True for _ in phonenumbers.PhoneNumberMatcher(text, "GB", leniency=phonenumbers.Leniency.VALID)):
        found.append("a phone number")
    if _EMAIL.search(text):
        found.append("an e-mail address")
    if _STREET.search(text):
        found.append("a street address")
    if _POSTCODE.search(text):
        found.append("a postcode")
    return found


def _joined(kinds: list[str]) -> str:
    return kinds[0] if len(kinds) == 1 else ", ".join(kinds[:-1]) + " and " + kinds[-1]


def personal_details_error(what: str, kinds: list[str]) -> str:
    return (
        f"The {what} looks like it holds {_joined(kinds)}. Others may read it: remove the details "
        "(they belong in the victim's person record), or confirm they are safe to share"
    )


def safe_channels(person_id: int) -> list[str] | None:
    """The ways the victim agreed it is safe to contact her; None when none are recorded
    (then no way is marked unsafe: the pages ask for preferences to be agreed instead)."""
    pref = SafeContactPreference.objects.filter(person_id=person_id).only("channels").first()
    if pref is None or not pref.channels:
        return None
    return list(pref.channels)


def is_unsafe(channel: str, safe: list[str] | None) -> bool:
    return safe is not None and channel not in safe


# For a writer the per-person location rule denies her safe-contact details: every way
# needs a reason, and the refusal does not say whether this way is one she agreed (tried way
# by way, a refusal of only her unagreed ways, or a message naming them, would spell out her
# agreed ways).
UNSAFE_METHOD_NEUTRAL_ERROR = "Give the reason for using this way to contact her"


def unsafe_method_error(channel: str, *, ways_shown: bool = True) -> str:
    """The refusal of a way she has not agreed. ``ways_shown``: whether the writer may see her
    safe-contact details (``cases.permissions.may_see_person_location``); if not, a neutral
    message that names no way."""
    if not ways_shown:
        return UNSAFE_METHOD_NEUTRAL_ERROR
    # The safe ways themselves are not repeated here: the form shows them to whoever the
    # location rule lets see them, and an API answer is no place for them.
    label = dict(ContactChannel.choices).get(channel, channel)
    return (
        f"{label} is not a way the victim has agreed is safe to contact her. "
        "Choose a safe way, or give the reason for using this one"
    )


def check_contact(
    *,
    safe: list[str] | None,
    ways_shown: Callable[[], bool],
    channel: str,
    unsafe_method_reason: str,
    text: str,
    text_field: str,
    text_name: str,
    personal_details_confirmed: bool,
    known_channel: str | None = None,
    known_text: str | None = None,
) -> dict[str, str]:
    """The guardrails' errors for one record of contact, keyed by the input's field names.

    ``safe``: her agreed ways (``safe_channels``, read once by the service for the whole
    write). ``ways_shown``: asked only when a new way comes without a reason, whether the
    writer may see her safe-contact details. If not, every way needs a reason and is refused
    with the neutral message, whatever she agreed (and whether she agreed any): the answer
    must not depend on her preferences. If so, only a way she has not agreed needs one.
    ``known_channel``/``known_text``: the record's current reading on a correction, which
    was already checked (and overridden or confirmed) when it was written; leaving it as it
    was asks nothing again.
    """
    errors: dict[str, str] = {}
    if channel != known_channel and not unsafe_method_reason.strip():
        if not ways_shown():
            errors["unsafe_method_reason"] = UNSAFE_METHOD_NEUTRAL_ERROR
        elif is_unsafe(channel, safe):
            errors["unsafe_method_reason"] = unsafe_method_error(channel)
    if text.strip() != (known_text or "").strip() and not personal_details_confirmed:
        kinds = personal_details_in(text)
        if kinds:
            errors[text_field] = personal_details_error(text_name, kinds)
    return errors
