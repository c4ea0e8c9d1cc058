"""``python manage.py generate_bundle PATH --referrals 100000 [--seed 1] [--start 2017-01-01] [--years 3]``

A synthetic partnership data bundle for benchmarks (docs/performance.md): made-up people
(no names or identifiers, like an evaluator's bundle), referrals spread over the years,
decisions, tiers, stalker types, SASH/DASH/SRP assessments, interventions and re-offending
in roughly the proportions the MASIP evaluation reports. Deterministic for a seed.
Nothing is written to the database.
"""

from __future__ import annotations

import csv
import datetime as dt
import random
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from dateutil.relativedelta import relativedelta
from django.core.management.base import BaseCommand, CommandError, CommandParser

from exchange import format as fmt

# Roughly the referrers of the MASIP evaluation's Table 2.
REFERRERS = {"police": 70, "probation": 5, "health": 3, "advocacy": 6, "helpline": 3, "marac": 3, "self": 2, "other": 8}


def _pick(rng: random.Random, weighted: Mapping[str, float]) -> str:
    return rng.choices(list(weighted), weights=list(weighted.values()))[0]


class Command(BaseCommand):
    help = "Write a synthetic partnership data bundle (a folder of CSV files) for benchmarks."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", help="A new folder")
        parser.add_argument("--referrals", type=int, default=100_000)
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--start", default="2017-01-01", help="The first referral date")
        parser.add_argument("--years", type=int, default=3, help="Referrals arrive over this many years")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["path"])
        if path.exists() and any(path.iterdir()):
            raise CommandError(f"{path} exists and is not empty")
        path.mkdir(parents=True, exist_ok=True)
        rng = random.Random(options["seed"])
        start = dt.date.fromisoformat(options["start"])
        days = (start + relativedelta(years=options["years"]) - start).days
        total = options["referrals"]
        files = {name: (path / name).open("w", encoding="utf-8", newline="") for name in fmt.FILES}
        writers = {name: csv.writer(stream, lineterminator="\r\n") for name, stream in files.items()}
        columns = {name: [c.name for c in fmt.SPECS[name].columns if not c.extension] for name in fmt.FILES}
        for name, writer in writers.items():
            writer.writerow(columns[name])
        perpetrators: list[str] = []
        counts = dict.fromkeys(fmt.FILES, 0)

        def write(name: str, row: dict[str, Any]) -> None:
            writers[name].writerow(["" if row.get(c) is None else row.get(c) for c in columns[name]])
            counts[name] += 1

        def person(ref: str, gender: str) -> None:
            born = None
            band = ""
            if rng.random() < 0.7:
                born = start - dt.timedelta(days=rng.randint(18 * 365, 70 * 365))
            elif rng.random() < 0.8:
                band = rng.choice(fmt.AGE_BANDS)
            write(fmt.PEOPLE, {"person_ref": ref, "gender": gender, "date_of_birth": born, "age_band": band})

        for n in range(1, total + 1):
            received = start + dt.timedelta(days=int(days * rng.random() ** 0.8))
            referral = f"R{n:07d}"
            victim = f"V{n:07d}"
            person(victim, _pick(rng, {"female": 88, "male": 10, "other": 1, "unknown": 1}))
            if perpetrators and rng.random() < 0.15:
                perpetrator = rng.choice(perpetrators)
            else:
                perpetrator = f"P{n:07d}"
                person(perpetrator, _pick(rng, {"male": 85, "female": 12, "other": 1, "unknown": 2}))
                perpetrators.append(perpetrator)
            decision = _pick(
                rng, {"accepted": 45, "not_stalking": 35, "not_applicable": 8, "no_added_value": 7, "pending": 5}
            )
            decided = None if decision == "pending" else received + dt.timedelta(days=rng.randint(0, 30))
            accepted = decision == "accepted"
            closed = None
            if decided is not None and rng.random() < (0.7 if accepted else 0.9):
                closed = decided + dt.timedelta(days=rng.randint(0, 400))
            write(
                fmt.REFERRALS,
                {
                    "referral_ref": referral,
                    "received_on": received,
                    "referring_agency": _pick(rng, REFERRERS),
                    "offence": rng.choice(fmt.OFFENCES),
                    "referral_reason": rng.choice(fmt.REFERRAL_REASONS),
                    "victim_ref": victim,
                    "perpetrator_ref": perpetrator,
                    "relationship": _pick(rng, {"ex_intimate": 60, "acquaintance": 15, "stranger": 10, "other": 15}),
                    "decision": decision,
                    "decided_on": decided,
                    "tier": rng.choice(fmt.TIERS) if accepted and rng.random() < 0.8 else "",
                    "stalker_type": rng.choice(fmt.STALKER_TYPES) if accepted and rng.random() < 0.7 else "",
                    "heard_at_clinic": "yes" if accepted and rng.random() < 0.3 else "no",
                    "closed_on": closed,
                },
            )
            if decided is not None and rng.random() < 0.8:
                write(
                    fmt.RISK,
                    {
                        "referral_ref": referral,
                        "instrument": "sash",
                        "assessed_on": decided,
                        "sash_concern": _pick(
                            rng, {"low": 20, "moderate": 35, "moderate_high": 15, "high": 25, "not_completed": 5}
                        ),
                    },
                )
            if decided is not None and rng.random() < 0.5:
                write(
                    fmt.RISK,
                    {
                        "referral_ref": referral,
                        "instrument": "dash",
                        "assessed_on": received,
                        "dash_yes_count": rng.randint(0, 24),
                    },
                )
            if not accepted:
                continue
            assert decided is not None
            if rng.random() < 0.2:
                levels = fmt.SRP_LEVELS
                write(
                    fmt.RISK,
                    {
                        "referral_ref": referral,
                        "instrument": "srp",
                        "assessed_on": decided,
                        **{c: rng.choice(levels) for c in fmt.SRP_COLUMNS},
                    },
                )
            for kind in rng.sample(fmt.INTERVENTION_TYPES, k=rng.choice((0, 1, 1, 2, 3))):
                started: dt.date | None = decided + dt.timedelta(days=rng.randint(0, 60))
                status = _pick(rng, {"completed": 50, "dropped_out": 15, "cancelled": 10, "ongoing": 15, "planned": 10})
                if status == "planned":
                    started = None
                ended: dt.date | None = None
                if started and status not in ("ongoing", "planned"):
                    ended = started + dt.timedelta(days=rng.randint(10, 200))
                direct = kind == "perpetrator_direct_intervention"
                planned = 12 if direct else None
                write(
                    fmt.INTERVENTIONS,
                    {
                        "referral_ref": referral,
                        "type": kind,
                        "started_on": started,
                        "ended_on": ended,
                        "status": status,
                        "sessions_planned": planned,
                        "sessions_attended": rng.randint(0, 12) if direct and started else None,
                    },
                )
            for _ in range(rng.choice((0, 0, 0, 1, 1, 2))):
                occurred = decided + dt.timedelta(days=rng.randint(0, 500))
                if occurred > dt.date.today():
                    continue
                write(
                    fmt.REOFFENDING,
                    {
                        "referral_ref": referral,
                        "occurred_on": occurred,
                        "kind": rng.choice(fmt.REOFFENDING_KINDS),
                        "victim": rng.choice(fmt.REOFFENDING_VICTIMS),
                        "source": rng.choice(fmt.REOFFENDING_SOURCES),
                        "offence": rng.choice(fmt.OFFENCES),
                    },
                )
            if n % 20_000 == 0:
                self.stdout.write(f"{n:,} referrals")
        for stream in files.values():
            stream.close()
        for name in fmt.FILES:
            self.stdout.write(f"{name}: {counts[name]:,} rows")
