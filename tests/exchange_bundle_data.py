"""A hand-built partnership data bundle, the same one for the evaluation and the bundle tests.

Thirteen referrals: eight accepted (C1 to C8) and five not (N1 to N5). Every figure of
its evaluation tables is worked out by hand in tests/test_reporting_evaluation.py, as of
AS_OF. The dates are chosen for the edges: a case exactly 3 and exactly 6 months old on
AS_OF, a case one day short of 6 months, a start on 31 August (6 months later is 29
February), re-offending on the last day of a window and on the day after.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

AS_OF = dt.date(2020, 6, 30)

PEOPLE = """\
person_ref,gender,date_of_birth,age_band,pnc_id,nhs_number,given_name,family_name
V1,female,1990-04-02,,,,Hannah,Mills
P1,male,1994-01-10,,19/123456A,,Darren,Cole
V2,female,,25_34,,,Amira,Shah
P2,male,1994-03-02,,,9434765919,Wayne,Bright
V3,male,,,,,Tom,Price
P3,female,,45_54,,,Julie,Hart
V4,female,,,,,Grace,Okafor
P4,male,1950-01-01,,,,Ronald,Pike
V5,female,,,,,Sara,Lind
P5,other,,,,,Alex,Moore
V6,female,,,,,Beth,Young
V7,female,,,,,Ruth,Allen
P7,,1984-12-01,,,,Kim,Rowe
V8,unknown,,,,,,
P8,male,1975-06-15,under_25,,,=HYPERLINK(1),+Smith
NV1,female,,,,,Lucy,Gray
NP1,male,,,,,Mark,Ward
NV2,female,,,,,Jo,Field
NP2,male,,,,,Paul,Lane
NV3,female,,,,,Ann,Webb
NP3,male,,,,,Ian,Reed
NV4,female,,,,,Eve,Cross
NP4,male,,,,,Sam,Hill
NV5,female,,,,,Meg,Ross
NP5,male,,,,,Dan,Fox
"""

REFERRALS = """\
referral_ref,received_on,referring_agency,crime_reference,offence,referral_reason,victim_ref,perpetrator_ref,relationship,decision,decided_on,tier,stalker_type,heard_at_clinic,closed_on
C1,2019-01-10,police,CH/100/19,s4a_stalking,arrest,V1,P1,ex_intimate,accepted,2019-01-15,1,rejected,yes,
C2,2019-02-25,police,CH/200/19;CH/201/19,s2a_stalking,stalking_charge,V2,P2,ex_intimate,accepted,2019-03-01,2,rejected,no,2020-01-31
C3,2019-12-20,probation,,s2_harassment,post_sentence,V3,P3,acquaintance,accepted,2019-12-31,1,rejected,no,
C4,2019-12-28,health,,other,other,V4,P4,stranger,accepted,2020-01-01,,predatory,no,
C5,2019-08-20,advocacy,,s4a_stalking,victim_request,V5,P5,workplace,accepted,2019-08-31,3,resentful,yes,
C6,2019-06-05,police,CH/600/19,breach_restraining_order,arrest,V6,P1,ex_intimate,accepted,2019-06-10,1,,no,
C7,2019-05-01,marac,,,,V7,P7,,accepted,2019-05-05,,intimacy_seeker,,
C8,2019-10-15,other,,malicious_communications,other,V8,P8,online_only,accepted,2019-10-20,4,,no,
N1,2019-01-20,police,,s2_harassment,arrest,NV1,NP1,family,not_stalking,2019-01-25,2,,no,2019-01-25
N2,2019-03-03,helpline,,,victim_request,NV2,NP2,stranger,not_applicable,2019-03-05,,,no,
N3,2019-03-30,marac,,,,NV3,NP3,,no_added_value,2019-04-02,,,no,
N4,2020-06-01,self,,,victim_request,NV4,NP4,,pending,,,,,
N5,2019-05-31,other,,,,NV5,NP5,,not_stalking,2019-06-01,,,no,
"""

RISK = """\
referral_ref,instrument,assessed_on,sash_concern,dash_yes_count,srp_violence,srp_persistence,srp_recurrence,srp_psychosocial_damage
C1,sash,2019-01-15,high,,,,,
C1,sash,2019-03-01,moderate,,,,,
C1,dash,2019-01-12,,15,,,,
C1,srp,2019-02-01,,,moderate,high,low,low
C2,sash,2019-03-01,moderate_high,,,,,
C3,sash,2020-01-02,high,,,,,
C4,sash,2020-01-01,not_completed,,,,,
C6,sash,2019-06-10,moderate,,,,,
C6,dash,2019-06-10,,4,,,,
C7,sash,2019-05-05,low,,,,,
N1,sash,2019-01-25,high,,,,,
"""

INTERVENTIONS = """\
referral_ref,type,started_on,ended_on,status,sessions_planned,sessions_attended
C1,perpetrator_direct_intervention,2019-02-01,2019-05-01,completed,12,12
C3,perpetrator_direct_intervention,2020-01-10,,ongoing,12,4
C7,perpetrator_direct_intervention,2019-06-01,2019-07-01,dropped_out,12,3
C4,perpetrator_direct_intervention,2020-01-05,,ongoing,12,2
C1,victim_safeguarding,2019-01-20,2019-02-20,completed,,
C2,victim_safeguarding,2019-03-05,2019-04-05,completed,,
C3,victim_safeguarding,2020-01-05,,ongoing,,
C5,victim_safeguarding,2019-09-01,,planned,,
C6,victim_safeguarding,2019-06-15,2019-07-15,completed,,
C7,victim_safeguarding,2019-05-10,2019-06-10,completed,,
C8,victim_safeguarding,2019-10-25,2019-11-25,cancelled,,
C2,comprehensive_risk_assessment,2019-03-10,2019-04-10,completed,,
C6,comprehensive_risk_assessment,2019-06-20,2019-07-20,completed,,
C6,comprehensive_risk_assessment,2019-08-01,2019-08-20,completed,,
C4,comprehensive_risk_assessment,2020-01-10,2020-02-10,completed,,
N1,victim_target_hardening,2019-01-26,2019-02-01,completed,,
"""

REOFFENDING = """\
referral_ref,occurred_on,kind,victim,source,offence
C1,2019-04-14,persistence,same,victim,s4a_stalking
C2,2019-06-01,persistence,same,police,s2a_stalking
C3,2019-12-30,persistence,same,victim,s2_harassment
C4,2020-02-01,persistence,same,police,other
C5,2020-02-28,recurrence,new,probation,s2a_stalking
C6,2019-07-01,persistence,same,victim,breach_restraining_order
C6,2019-07-15,persistence,same,police,breach_restraining_order
C8,2020-05-01,recurrence,new,other,malicious_communications
N5,2019-07-01,persistence,same,victim,other
"""

FILES = {
    "people.csv": PEOPLE,
    "referrals.csv": REFERRALS,
    "risk_assessments.csv": RISK,
    "interventions.csv": INTERVENTIONS,
    "reoffending.csv": REOFFENDING,
}

# The names and identifiers in the bundle: none may appear in a pseudonymised export.
IDENTIFYING = (
    "Hannah", "Mills", "Darren", "Cole", "19/123456A", "9434765919", "Amira", "Shah", "HYPERLINK", "+Smith",
    "CH/100/19", "CH/200/19", "CH/600/19", "1990-04-02", "1994-01-10", "1950-01-01",
)  # fmt: skip


def write_bundle(folder: Path, files: dict[str, str] | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in (files or FILES).items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder
