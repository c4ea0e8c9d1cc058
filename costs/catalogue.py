"""The catalogue of unit costs as a file (format ``masip-unit-costs/1``, docs/costs.md).

Loaded like the risk instruments: the whole file is checked before anything is written,
the first problem is reported with where it is, and the same loader serves the command
(``load_unit_costs``) and the data migration that ships ``costs/catalogues/*.json``.
Figures are read as Decimal (JSON numbers never pass through a float).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import yaml

FORMAT = "masip-unit-costs/1"
KINDS = ("money", "qaly", "per_incident")
BEARERS = ("state", "victim", "society")
SHIPPED_DIR = Path(__file__).resolve().parent / "catalogues"


class CatalogueError(ValueError):
    pass


@dataclass(frozen=True)
class Entry:
    key: str
    label: str
    kind: str
    bearer: str
    amount: Decimal | None
    qaly_loss: Decimal | None
    value_of_year: Decimal | None
    source: str
    price_year: int


@dataclass(frozen=True)
class Catalogue:
    label: str
    entries: list[Entry]


def read_file(path: Path | str) -> Any:
    path = Path(path)
    text = path.read_text(encoding="utf-8")
    if path.suffix in (".yaml", ".yml"):
        return yaml.safe_load(text)
    return json.loads(text, parse_float=Decimal)


def _decimal(value: Any, where: str, *, required: bool) -> Decimal | None:
    if value is None or value == "":
        if required:
            raise CatalogueError(f"{where}: required")
        return None
    if isinstance(value, bool):
        raise CatalogueError(f"{where}: must be a number")
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise CatalogueError(f"{where}: must be a number") from None
    if not number.is_finite() or number < 0:
        raise CatalogueError(f"{where}: must be a number of 0 or more")
    return number


def parse(data: Any) -> Catalogue:
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise CatalogueError(f"'format' must be '{FORMAT}'")
    label = data.get("catalogue")
    if not isinstance(label, str) or not label.strip():
        raise CatalogueError("'catalogue': give the catalogue a label")
    default_year = data.get("price_year")
    rows = data.get("unit_costs")
    if not isinstance(rows, list) or not rows:
        raise CatalogueError("'unit_costs' must be a list of at least one cost")
    entries: list[Entry] = []
    seen: set[str] = set()
    for n, row in enumerate(rows, start=1):
        if not isinstance(row, dict):
            raise CatalogueError(f"unit cost {n}: must be an object")
        key = row.get("key")
        where = f"unit cost '{key}'" if isinstance(key, str) and key else f"unit cost {n}"
        if not isinstance(key, str) or not key or not all(c.isalnum() or c in "_-" for c in key) or key != key.lower():
            raise CatalogueError(f"{where}: 'key' must be lower-case letters, digits, '_' or '-'")
        if key in seen:
            raise CatalogueError(f"{where}: 'key' appears twice")
        seen.add(key)
        unknown = set(row) - {
            "key",
            "label",
            "kind",
            "bearer",
            "amount",
            "qaly_loss",
            "value_of_year",
            "source",
            "price_year",
        }
        if unknown:
            raise CatalogueError(f"{where}: unknown field '{sorted(unknown)[0]}'")
        if not isinstance(row.get("label"), str) or not row["label"].strip():
            raise CatalogueError(f"{where}: 'label' is required")
        kind = row.get("kind")
        if kind not in KINDS:
            raise CatalogueError(f"{where}: 'kind' must be one of {', '.join(KINDS)}")
        bearer = row.get("bearer")
        if bearer not in BEARERS:
            raise CatalogueError(f"{where}: 'bearer' must be one of {', '.join(BEARERS)}")
        year = row.get("price_year", default_year)
        if not isinstance(year, int) or not 1990 <= year <= 2100:
            raise CatalogueError(f"{where}: 'price_year' must be a year")
        qaly = kind == "qaly"
        entries.append(
            Entry(
                key=key,
                label=row["label"].strip(),
                kind=kind,
                bearer=bearer,
                amount=None if qaly else _decimal(row.get("amount"), f"{where}: 'amount'", required=True),
                qaly_loss=_decimal(row.get("qaly_loss"), f"{where}: 'qaly_loss'", required=True) if qaly else None,
                value_of_year=_decimal(row.get("value_of_year"), f"{where}: 'value_of_year'", required=True)
                if qaly
                else None,
                source=str(row.get("source", "")),
                price_year=year,
            )
        )
        if qaly and entries[-1].qaly_loss is not None and entries[-1].qaly_loss > 1:
            raise CatalogueError(f"{where}: 'qaly_loss' is a share of a year in full health, at most 1")
    return Catalogue(label=label.strip(), entries=entries)


def load(catalogue: Catalogue, *, unit_cost_model: Any, partnership_id: int | None) -> tuple[int, int]:
    """Write the entries: an existing key of the same owner is updated, a new one created.
    Returns (created, updated). Accounts keep their own copies, so nothing else changes."""
    created = updated = 0
    for entry in catalogue.entries:
        _, was_created = unit_cost_model.objects.update_or_create(
            partnership_id=partnership_id,
            key=entry.key,
            defaults={
                "label": entry.label,
                "kind": entry.kind,
                "bearer": entry.bearer,
                "amount": entry.amount,
                "qaly_loss": entry.qaly_loss,
                "value_of_year": entry.value_of_year,
                "source": entry.source,
                "price_year": entry.price_year,
                "catalogue": catalogue.label[:120],
            },
        )
        created += was_created
        updated += not was_created
    return created, updated


def load_shipped(unit_cost_model: Any) -> None:
    for path in sorted(SHIPPED_DIR.glob("*.json")):
        load(parse(read_file(path)), unit_cost_model=unit_cost_model, partnership_id=None)
