"""Reading and writing instrument definitions: the shipped ones and a partnership's licensed ones.

The file format (JSON, or YAML with the same structure) is described in
docs/risk-instruments.md; docs/risk-instrument-sample-sash.json is an example with
placeholder wording. ``parse_definition`` checks a definition completely before
anything is written; ``write_definition`` writes one version with the model classes
it is given, so the data migration that seeds the shipped instruments uses the same
code with its historical models.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

FORMAT = "masip-risk-instrument/1"
RESERVED_PAGES = frozenset({"about", "result", "check"})
SCORINGS = ("yes_count", "direct_level", "highest_level")
RESPONSES = ("yes_no_unknown", "level", "choice", "text")
OVERALLS = ("low", "moderate", "high")
RECORD_CLASSES = ("", "victim_identity", "victim_location", "safety_plan", "clinical", "criminal_history")
YES_NO_UNKNOWN = ("yes", "no", "not_known")
SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
SHIPPED_DIR = Path(__file__).resolve().parent / "instruments"
# The first four were seeded by migration 0002; srp-v2.json (violence as two judgements,
# domains that may be left unrated, a secondary stalker type) by 0004, and is the current SRP.
FIRST_SHIPPED_FILES = ("dash.json", "s-dash.json", "sash.json", "srp.json")
SHIPPED_FILES = (*FIRST_SHIPPED_FILES, "srp-v2.json")


class DefinitionError(ValueError):
    """A definition that cannot be loaded; the message says where and why."""


@dataclass
class ItemDef:
    key: str
    label: str
    response: str
    order: int
    wording: str = ""
    hint: str = ""
    options: list[tuple[str, str]] = field(default_factory=list)
    required: bool = True
    scored: bool = False
    domain: bool = False
    not_rated: bool = False
    record_class: str = ""
    condition_key: str = ""
    condition_answer: str = ""


@dataclass
class GroupDef:
    key: str
    title: str
    order: int
    description: str = ""
    subscore: bool = False
    items: list[ItemDef] = field(default_factory=list)


@dataclass
class VersionDef:
    instrument_key: str
    instrument_name: str
    instrument_short_name: str
    instrument_description: str
    instrument_order: int
    version: str
    scoring: str
    bands: list[dict[str, Any]]
    groups: list[GroupDef]
    marac: bool = False
    review_after_months: int | None = None
    review_on_incident: bool = False
    licence: str = ""
    description: str = ""

    @property
    def items(self) -> list[ItemDef]:
        return [item for group in self.groups for item in group.items]

    @property
    def has_wording(self) -> bool:
        return any(item.wording for item in self.items)


def read_file(path: str | Path) -> dict[str, Any]:
    """A definition file as data: ``.json``, or ``.yaml``/``.yml``."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise DefinitionError(f"Cannot read {path}: {exc.strerror}") from exc
    is_yaml = path.suffix.lower() in (".yaml", ".yml")
    try:
        data = yaml.safe_load(text) if is_yaml else json.loads(text)
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        raise DefinitionError(f"{path.name} is not valid {'YAML' if is_yaml else 'JSON'}: {exc}") from exc
    if not isinstance(data, dict):
        raise DefinitionError(f"{path.name} must hold one object with 'format', 'instrument' and 'version'")
    return data


def _text(data: Mapping[str, Any], name: str, where: str, *, required: bool = True, max_length: int = 0) -> str:
    value = data.get(name, "")
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise DefinitionError(f"{where}: '{name}' must be text")
    value = value.strip()
    if required and not value:
        raise DefinitionError(f"{where}: '{name}' is required")
    if max_length and len(value) > max_length:
        raise DefinitionError(f"{where}: '{name}' has more than {max_length} characters")
    return value


def _slug(data: Mapping[str, Any], name: str, where: str, max_length: int) -> str:
    value = _text(data, name, where, max_length=max_length)
    if not SLUG.match(value):
        raise DefinitionError(f"{where}: '{name}' must be lower-case letters, digits, '_' or '-' ({value!r})")
    return value


def _bool(data: Mapping[str, Any], name: str, where: str, default: bool) -> bool:
    value = data.get(name, default)
    if not isinstance(value, bool):
        raise DefinitionError(f"{where}: '{name}' must be true or false")
    return value


def _int(value: Any, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise DefinitionError(f"{where} must be a whole number")
    return value


def _bands(raw: Any, scoring: str) -> list[dict[str, Any]]:
    if raw is None:
        raw = []
    if not isinstance(raw, list):
        raise DefinitionError("version: 'bands' must be a list, lowest first")
    bands: list[dict[str, Any]] = []
    seen: set[str] = set()
    for index, entry in enumerate(raw):
        where = f"band {index + 1}"
        if not isinstance(entry, dict):
            raise DefinitionError(f"{where} must be an object with 'key', 'label' and 'overall'")
        key = _slug(entry, "key", where, 40)
        if key in seen:
            raise DefinitionError(f"{where}: the key {key!r} is used twice")
        seen.add(key)
        overall = _text(entry, "overall", where)
        if overall not in OVERALLS:
            raise DefinitionError(f"{where}: 'overall' must be one of {', '.join(OVERALLS)}")
        band: dict[str, Any] = {"key": key, "label": _text(entry, "label", where, max_length=60), "overall": overall}
        if scoring == "yes_count":
            minimum = _int(entry.get("min"), f"{where}: 'min'")
            if minimum < 0:
                raise DefinitionError(f"{where}: 'min' cannot be negative")
            if bands and minimum <= bands[-1]["min"]:
                raise DefinitionError(f"{where}: 'min' must be above the band before it (bands go lowest first)")
            if not bands and minimum != 0:
                raise DefinitionError(f"{where}: the lowest band must start at 0")
            band["min"] = minimum
        elif "min" in entry:
            raise DefinitionError(f"{where}: 'min' is only for a yes_count instrument")
        bands.append(band)
    return bands


def _options(raw: Any, where: str) -> list[tuple[str, str]]:
    if not isinstance(raw, list) or not raw:
        raise DefinitionError(f"{where}: a choice item needs 'options', a list of [value, label]")
    options: list[tuple[str, str]] = []
    for entry in raw:
        if isinstance(entry, dict):
            value, label = entry.get("value"), entry.get("label")
        elif isinstance(entry, list | tuple) and len(entry) == 2:
            value, label = entry
        else:
            raise DefinitionError(f"{where}: each option is [value, label] or {{value, label}}")
        if not isinstance(value, str) or not SLUG.match(value) or not isinstance(label, str) or not label.strip():
            raise DefinitionError(f"{where}: option {entry!r} needs a lower-case value and a label")
        if value in {v for v, _ in options}:
            raise DefinitionError(f"{where}: the option {value!r} is listed twice")
        options.append((value, label.strip()))
    return options


def parse_definition(data: Mapping[str, Any]) -> VersionDef:
    """Check a definition completely; raise DefinitionError naming the first problem."""
    if data.get("format") != FORMAT:
        raise DefinitionError(f"'format' must be {FORMAT!r}")
    instrument = data.get("instrument")
    version = data.get("version")
    if not isinstance(instrument, dict) or not isinstance(version, dict):
        raise DefinitionError("'instrument' and 'version' must be objects")
    key = _slug(instrument, "key", "instrument", 40)
    name = _text(instrument, "name", "instrument", max_length=200)
    short_name = _text(instrument, "short_name", "instrument", max_length=20)
    order = _int(instrument.get("order", 100), "instrument: 'order'")

    label = _text(version, "version", "version", max_length=80)
    scoring = _text(version, "scoring", "version")
    if scoring not in SCORINGS:
        raise DefinitionError(f"version: 'scoring' must be one of {', '.join(SCORINGS)}")
    bands = _bands(version.get("bands"), scoring)
    band_keys = {b["key"] for b in bands}
    marac = _bool(version, "marac", "version", False)
    if marac and (scoring != "yes_count" or not bands):
        raise DefinitionError("version: MARAC criteria need a yes_count instrument with bands")
    review = version.get("review") or {}
    if not isinstance(review, dict):
        raise DefinitionError("version: 'review' must be an object")
    after = review.get("after_months")
    if after is not None and _int(after, "review: 'after_months'") < 1:
        raise DefinitionError("review: 'after_months' must be 1 or more")
    on_incident = _bool(review, "on_incident", "review", False)

    raw_groups = version.get("groups")
    if not isinstance(raw_groups, list) or not raw_groups:
        raise DefinitionError("version: 'groups' must be a non-empty list")
    groups: list[GroupDef] = []
    items_by_key: dict[str, tuple[ItemDef, int]] = {}
    for g_index, raw_group in enumerate(raw_groups):
        where = f"group {g_index + 1}"
        if not isinstance(raw_group, dict):
            raise DefinitionError(f"{where} must be an object")
        g_key = _slug(raw_group, "key", where, 40)
        where = f"group {g_key!r}"
        if g_key in RESERVED_PAGES:
            raise DefinitionError(f"{where}: the keys {', '.join(sorted(RESERVED_PAGES))} are the form's own pages")
        if g_key in {g.key for g in groups}:
            raise DefinitionError(f"{where}: the key is used twice")
        group = GroupDef(
            key=g_key,
            title=_text(raw_group, "title", where, max_length=200),
            order=g_index + 1,
            description=_text(raw_group, "description", where, required=False),
            subscore=_bool(raw_group, "subscore", where, False),
        )
        group_condition = raw_group.get("opens_when")
        raw_items = raw_group.get("items")
        if not isinstance(raw_items, list) or not raw_items:
            raise DefinitionError(f"{where}: 'items' must be a non-empty list")
        for i_index, raw_item in enumerate(raw_items):
            if not isinstance(raw_item, dict):
                raise DefinitionError(f"{where}, item {i_index + 1} must be an object")
            i_key = _slug(raw_item, "key", f"{where}, item {i_index + 1}", 60)
            i_where = f"item {i_key!r}"
            if i_key in items_by_key:
                raise DefinitionError(f"{i_where}: the key is used twice")
            response = _text(raw_item, "response", i_where) if "response" in raw_item else "yes_no_unknown"
            if response not in RESPONSES:
                raise DefinitionError(f"{i_where}: 'response' must be one of {', '.join(RESPONSES)}")
            record_class = _text(raw_item, "record_class", i_where, required=False)
            if record_class not in RECORD_CLASSES:
                raise DefinitionError(f"{i_where}: 'record_class' must be one of {', '.join(RECORD_CLASSES[1:])}")
            item = ItemDef(
                key=i_key,
                label=_text(raw_item, "label", i_where, max_length=120),
                response=response,
                order=i_index + 1,
                wording=_text(raw_item, "wording", i_where, required=False),
                hint=_text(raw_item, "hint", i_where, required=False, max_length=300),
                required=_bool(raw_item, "required", i_where, response != "text"),
                scored=_bool(raw_item, "scored", i_where, False),
                domain=_bool(raw_item, "domain", i_where, False),
                not_rated=_bool(raw_item, "not_rated", i_where, False),
                record_class=record_class,
            )
            if item.not_rated and response != "level":
                raise DefinitionError(f"{i_where}: only a level item can be left not rated")
            if response == "choice":
                item.options = _options(raw_item.get("options"), i_where)
            elif "options" in raw_item:
                raise DefinitionError(f"{i_where}: 'options' is only for a choice item")
            if response == "level" and not bands:
                raise DefinitionError(f"{i_where}: a level item needs the version's bands")
            if item.scored and not (
                (scoring == "yes_count" and response == "yes_no_unknown")
                or (scoring == "highest_level" and response == "level")
            ):
                raise DefinitionError(
                    f"{i_where}: only yes/no items of a yes_count instrument, or level items of a "
                    "highest_level instrument, can be scored"
                )
            if item.domain and response != "level":
                raise DefinitionError(f"{i_where}: only a level item can be a domain of the risk history")
            condition = raw_item.get("opens_when", group_condition)
            if condition is not None:
                if not isinstance(condition, dict):
                    raise DefinitionError(f"{i_where}: 'opens_when' must be {{item, answer}}")
                target_key = _text(condition, "item", f"{i_where} opens_when")
                answer = _text(condition, "answer", f"{i_where} opens_when")
                target = items_by_key.get(target_key)
                if target is None or target[1] == g_index:
                    raise DefinitionError(
                        f"{i_where}: opens_when must name an item of an earlier group ({target_key!r})"
                    )
                allowed = _answers_of(target[0], band_keys)
                if allowed is not None and answer not in allowed:
                    raise DefinitionError(f"{i_where}: {target_key!r} cannot have the answer {answer!r}")
                item.condition_key, item.condition_answer = target_key, answer
            items_by_key[i_key] = (item, g_index)
            group.items.append(item)
        groups.append(group)

    items = [item for g in groups for item in g.items]
    level_items = [i for i in items if i.response == "level"]
    if scoring == "direct_level" and len(level_items) != 1:
        raise DefinitionError("version: a direct_level instrument has exactly one level item")
    if scoring == "highest_level" and not any(i.scored for i in level_items):
        raise DefinitionError("version: a highest_level instrument needs at least one scored level item")
    if scoring == "yes_count" and not any(i.scored for i in items):
        raise DefinitionError("version: a yes_count instrument needs at least one scored item")
    return VersionDef(
        instrument_key=key,
        instrument_name=name,
        instrument_short_name=short_name,
        instrument_description=_text(instrument, "description", "instrument", required=False),
        instrument_order=order,
        version=label,
        scoring=scoring,
        bands=bands,
        groups=groups,
        marac=marac,
        review_after_months=after,
        review_on_incident=on_incident,
        licence=_text(version, "licence", "version", required=False),
        description=_text(version, "description", "version", required=False),
    )


def _answers_of(item: ItemDef, band_keys: set[str]) -> set[str] | None:
    if item.response == "yes_no_unknown":
        return set(YES_NO_UNKNOWN)
    if item.response == "level":
        return band_keys
    if item.response == "choice":
        return {value for value, _ in item.options}
    return None  # a text item: any answer


@dataclass
class ModelSet:
    """The model classes to write with: the app's own, or a migration's historical ones."""

    Instrument: Any
    InstrumentVersion: Any
    ItemGroup: Any
    Item: Any


def write_definition(
    definition: VersionDef,
    *,
    models: ModelSet,
    partnership_id: int | None,
    loaded_by_id: int | None = None,
    source: str = "",
    make_current: bool = True,
) -> Any:
    """Write one version (and its instrument, the first time). Call inside a transaction."""
    if definition.has_wording and partnership_id is None:
        raise DefinitionError(
            "Licensed wording is loaded for one partnership: the shipped versions carry topic labels only"
        )
    instrument, _ = models.Instrument.objects.get_or_create(
        key=definition.instrument_key,
        defaults={
            "name": definition.instrument_name,
            "short_name": definition.instrument_short_name,
            "description": definition.instrument_description,
            "order": definition.instrument_order,
        },
    )
    if models.InstrumentVersion.objects.filter(
        instrument=instrument, partnership_id=partnership_id, version=definition.version
    ).exists():
        raise DefinitionError(
            f"{instrument.short_name} version {definition.version!r} is already loaded"
            f"{' for this partnership' if partnership_id else ''}: a version never changes, give the new one "
            "a new 'version'"
        )
    if make_current:
        models.InstrumentVersion.objects.filter(
            instrument=instrument, partnership_id=partnership_id, is_current=True
        ).update(is_current=False)
    version = models.InstrumentVersion.objects.create(
        instrument=instrument,
        partnership_id=partnership_id,
        version=definition.version,
        scoring=definition.scoring,
        bands=definition.bands,
        marac=definition.marac,
        review_after_months=definition.review_after_months,
        review_on_incident=definition.review_on_incident,
        licence=definition.licence,
        description=definition.description,
        is_current=make_current,
        source=source[:200],
        loaded_by_id=loaded_by_id,
    )
    created: dict[str, Any] = {}
    for group_def in definition.groups:
        group = models.ItemGroup.objects.create(
            version=version,
            key=group_def.key,
            title=group_def.title,
            description=group_def.description,
            order=group_def.order,
            subscore=group_def.subscore,
        )
        for item_def in group_def.items:
            # Passed only when set, so the seeding migration's historical model (before the
            # field existed) can write the first shipped versions.
            extra = {"allows_not_rated": True} if item_def.not_rated else {}
            created[item_def.key] = models.Item.objects.create(
                **extra,
                version=version,
                group=group,
                key=item_def.key,
                label=item_def.label,
                wording=item_def.wording,
                hint=item_def.hint,
                order=item_def.order,
                response=item_def.response,
                options=[list(o) for o in item_def.options],
                required=item_def.required,
                scored=item_def.scored,
                domain=item_def.domain,
                record_class=item_def.record_class,
                condition_item=created[item_def.condition_key] if item_def.condition_key else None,
                condition_answer=item_def.condition_answer,
            )
    return version


def load_shipped(models: ModelSet, names: tuple[str, ...] = SHIPPED_FILES) -> list[Any]:
    """The shipped instruments (topic labels only), for the seeding data migrations."""
    return [
        write_definition(
            parse_definition(read_file(SHIPPED_DIR / name)),
            models=models,
            partnership_id=None,
            source=f"shipped: risk/instruments/{name}",
        )
        for name in names
    ]
