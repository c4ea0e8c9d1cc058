"""A hand-built version 2 bundle for the effect tables, every figure worked out by hand in
tests/test_reporting_evaluation_effect.py, as of AS_OF (30 June 2020).

Eight accepted referrals (E1 to E8) and one declined (N1, whose records count nowhere).
Version 2 parts: the four factor columns of referrals.csv, the two s.4A offence keys, and
victim_outcomes.csv.

    case  received    decided     direct intervention with the perpetrator  re-offending
    E1    2019-01-05  2019-01-10  completed, ended 2019-06-30               01-08 recurrence new, 08-15 persistence
    E2    2018-12-01  2019-01-20  completed, ended 2019-03-31               2019-10-05 recurrence same
    E3    2019-09-01  2019-10-15  dropped out, ended 2019-12-31             2020-01-15 recurrence new
    E4    2019-06-01  2019-06-20  ongoing; cancelled, ended 2020-07-15      2020-02-10 recurrence new,
                                  (after as_of)                             2020-03-01 recurrence same
    E5    2019-03-01  2019-03-10  completed 2019-05-31, then dropped out    2019-07-01 persistence,
                                  2019-11-30                                2020-07-01 recurrence new (after)
    E6    2019-11-20  2020-01-05  none                                      2020-04-01 recurrence same
    E7    2019-02-01  2019-02-05  none                                      2019-04-01 persistence
    E8    2019-04-01  2019-04-03  none                                      none
"""

from __future__ import annotations

import datetime as dt

AS_OF = dt.date(2020, 6, 30)

PEOPLE = """\
person_ref,gender,date_of_birth,age_band,pnc_id,nhs_number,given_name,family_name
EV1,female,,,,,,
EP1,male,,,,,,
EV2,female,,,,,,
EP2,male,,,,,,
EV3,female,,,,,,
EP3,male,,,,,,
EV4,female,,,,,,
EP4,male,,,,,,
EV5,female,,,,,,
EP5,male,,,,,,
EV6,female,,,,,,
EP6,male,,,,,,
EV7,female,,,,,,
EP7,male,,,,,,
EV8,female,,,,,,
EP8,male,,,,,,
NV1,female,,,,,,
NP1,male,,,,,,
"""

REFERRALS = """\
referral_ref,received_on,referring_agency,offence,referral_reason,victim_ref,perpetrator_ref,relationship,decision,decided_on,mental_health_services,probation_involved,mappa,antisocial_lifestyle
E1,2019-01-05,police,s4a_stalking,stalking_charge,EV1,EP1,ex_intimate,accepted,2019-01-10,yes,no,,yes
E2,2018-12-01,police,s4a_stalking_fear_of_violence,arrest,EV2,EP2,ex_intimate,accepted,2019-01-20,no,no,,yes
E3,2019-09-01,police,s4a_stalking_serious_alarm_distress,stalking_charge,EV3,EP3,stranger,accepted,2019-10-15,yes,no,,no
E4,2019-06-01,probation,s2a_stalking,stalking_charge,EV4,EP4,ex_intimate,accepted,2019-06-20,,no,,no
E5,2019-03-01,health,s2a_stalking,,EV5,EP5,ex_intimate,accepted,2019-03-10,yes,no,,yes
E6,2019-11-20,police,s2a_stalking,stalking_charge,EV6,EP6,ex_intimate,accepted,2020-01-05,yes,yes,,no
E7,2019-02-01,marac,s2a_stalking,stalking_charge,EV7,EP7,,accepted,2019-02-05,no,no,,yes
E8,2019-04-01,other,s2a_stalking,other,EV8,EP8,acquaintance,accepted,2019-04-03,no,no,,no
N1,2019-01-01,police,s2a_stalking,stalking_charge,NV1,NP1,ex_intimate,not_stalking,2019-01-02,yes,yes,yes,yes
"""

RISK = """\
referral_ref,instrument,assessed_on,sash_concern,dash_yes_count,srp_violence,srp_persistence,srp_recurrence,srp_psychosocial_damage
E1,dash,2019-01-12,,15,,,,
E1,dash,2019-06-01,,8,,,,
E2,dash,2019-01-20,,9,,,,
E2,dash,2019-05-01,,10,,,,
E3,dash,2019-10-15,,12,,,,
E3,dash,2019-10-15,,5,,,,
E4,dash,2019-06-20,,14,,,,
E4,dash,2019-09-01,,20,,,,
E4,dash,2019-12-01,,17,,,,
E5,dash,2019-03-10,,3,,,,
E5,dash,2019-04-01,,6,,,,
E5,dash,2019-04-01,,11,,,,
E1,sash,2019-01-10,high,,,,,
E1,sash,2019-07-01,moderate,,,,,
E2,sash,2019-01-20,moderate,,,,,
E2,sash,2019-08-01,not_completed,,,,,
E3,sash,2019-10-20,low,,,,,
E3,sash,2020-02-01,moderate_high,,,,,
E4,sash,2019-06-20,not_completed,,,,,
E4,sash,2019-07-01,moderate,,,,,
E4,sash,2019-12-01,moderate,,,,,
E1,srp,2019-02-01,,,moderate,high,low,low
E1,srp,2019-08-01,,,low,high,,moderate
E6,srp,2020-01-10,,,high,moderate,moderate,
E6,srp,2020-03-01,,,high,low,high,
N1,dash,2019-01-02,,20,,,,
N1,dash,2019-02-02,,2,,,,
"""

INTERVENTIONS = """\
referral_ref,type,started_on,ended_on,status,sessions_planned,sessions_attended
E1,perpetrator_direct_intervention,2019-02-01,2019-06-30,completed,12,12
E2,perpetrator_direct_intervention,2019-01-25,2019-03-31,completed,8,8
E3,perpetrator_direct_intervention,2019-10-20,2019-12-31,dropped_out,12,4
E4,perpetrator_direct_intervention,2019-07-01,,ongoing,12,6
E4,perpetrator_direct_intervention,2020-03-01,2020-07-15,cancelled,,
E5,perpetrator_direct_intervention,2019-03-15,2019-05-31,completed,6,6
E5,perpetrator_direct_intervention,2019-08-01,2019-11-30,dropped_out,12,2
E6,victim_safeguarding,2020-01-06,2020-02-01,completed,,
N1,perpetrator_direct_intervention,2019-01-05,2019-05-01,completed,12,12
"""

REOFFENDING = """\
referral_ref,occurred_on,kind,victim,source,offence
E1,2019-01-08,recurrence,new,police,s2a_stalking
E1,2019-08-15,persistence,same,victim,s2a_stalking
E2,2019-10-05,recurrence,same,police,s2a_stalking
E3,2020-01-15,recurrence,new,police,s4a_stalking_fear_of_violence
E4,2020-02-10,recurrence,new,police,s2a_stalking
E4,2020-03-01,recurrence,same,victim,s2a_stalking
E5,2019-07-01,persistence,same,victim,s2a_stalking
E5,2020-07-01,recurrence,new,police,s2a_stalking
E6,2020-04-01,recurrence,same,victim,s2a_stalking
E7,2019-04-01,persistence,same,victim,s2a_stalking
N1,2019-03-01,recurrence,same,victim,s2a_stalking
"""

VICTIM_OUTCOMES = """\
referral_ref,recorded_on,feels_safe,wellbeing,incidents_last_month
E1,2019-01-12,2,3,10
E1,2019-04-01,5,,4
E1,2019-09-01,7,6,0
E2,2019-01-25,6,5,2
E2,2019-06-01,4,5,3
E3,2019-10-20,5,4,
E3,2019-10-20,6,4,1
E4,2019-07-01,,,
E4,2019-08-01,3,,5
E4,2019-12-01,3,2,5
E5,2019-04-01,8,7,1
E5,2019-05-01,8,9,1
E5,2019-05-01,9,8,0
N1,2019-01-01,1,1,1
N1,2019-06-01,9,9,0
"""

FILES = {
    "people.csv": PEOPLE,
    "referrals.csv": REFERRALS,
    "risk_assessments.csv": RISK,
    "interventions.csv": INTERVENTIONS,
    "reoffending.csv": REOFFENDING,
    "victim_outcomes.csv": VICTIM_OUTCOMES,
}
