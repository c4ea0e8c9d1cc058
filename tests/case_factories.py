"""Cases built through the intake service, with a victim whose location is recorded."""

from __future__ import annotations

import datetime as dt

from agencies.models import User
from cases import services
from cases.models import Case, PartyRole

VICTIM_ADDRESS = "14 Larkspur Close"
VICTIM_POSTCODE = "CH1 4QT"
VICTIM_PHONE = "07700 900123"
VICTIM_CODE_WORD = "bluebell"
EXCLUSION_ZONE = "Larkspur Close and the school gates of Hoole Primary"


def make_case(
    actor: User,
    *,
    victim_name: tuple[str, str] = ("Hannah", "Mills"),
    perpetrator_name: tuple[str, str] = ("Darren", "Cole"),
    perpetrator_pnc: str = "",
    perpetrator_dob: dt.date | None = dt.date(1985, 3, 2),
    link_perpetrator_id: int | None = None,
    received_on: dt.date | None = None,
    crime_reference: str = "CH/12345/26",
) -> Case:
    victim = services.PersonInput(
        given_name=victim_name[0],
        family_name=victim_name[1],
        date_of_birth=dt.date(1990, 6, 1),
        gender="female",
        addresses=[services.AddressInput(line_1=VICTIM_ADDRESS, town="Chester", postcode=VICTIM_POSTCODE)],
        contacts=[services.ContactInput(kind="mobile", value=VICTIM_PHONE)],
        safe_contact=services.SafeContactInput(
            safe_times="Weekdays 10:00 to 14:00", channels=["phone"], no_voicemail=True, code_word=VICTIM_CODE_WORD
        ),
    )
    perpetrator = services.PersonInput(
        given_name=perpetrator_name[0],
        family_name=perpetrator_name[1],
        date_of_birth=perpetrator_dob,
        gender="male",
        pnc_id=perpetrator_pnc,
    )
    return services.referral_create(
        actor=actor,
        data=services.ReferralInput(
            received_on=received_on or dt.date.today() - dt.timedelta(days=3),
            referring_agency_kind="police",
            offence="s4a_stalking",
            referral_reason="arrest",
            relationship="ex_intimate",
            crime_references=[crime_reference] if crime_reference else [],
            summary="Repeated unwanted contact after the end of the relationship.",
        ),
        parties=[
            services.PartyInput(role=PartyRole.VICTIM, person=victim),
            services.PartyInput(
                role=PartyRole.PERPETRATOR,
                person=None if link_perpetrator_id else perpetrator,
                link_person_id=link_perpetrator_id,
                criminal_history="Two previous harassment convictions (2019, 2022).",
            ),
        ],
    )
