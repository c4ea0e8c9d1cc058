"""Overwriting and deleting a record's content everywhere it is held, history included.

Which rows belong to a record is worked out from the models, not listed by hand, so a
field or model added later is reached without anyone remembering this module:

- a **case** owns its referral and every row that points to the case or the referral by
  foreign key, and every row that points to one of those, and so on (a safety measure
  through its plan, a clinical note through its intervention, a contact's versions through
  the entry);
- a **person** owns every row that points to the person the same way (aliases, addresses,
  contact details, safe-contact preferences, their parts in cases, contacts with them).

Content is every text column (``CharField``, ``TextField``) that is not a coded value
(choices), a reference the partnership made up (``ref``), part of a unique constraint, or a
technical digest; erasing also clears JSON columns. Each overwritten row's history rows
(django-pghistory's event tables, found as the event models whose ``pgh_obj`` points to the
model) are deleted after the overwrite, so the overwrite's own history row goes too: what
was done is recorded once, in the access log's tombstone (privacy.services).

The access log itself is append-only at the database and is never touched here.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache

from django.apps import apps
from django.db import IntegrityError, models, transaction
from django.db.models import Q
from pghistory.models import Event

from cases.models import Case, Person, Referral
from documents.models import Document, document_storage

# Apps whose rows are never anyone's content: the access log (append-only), the
# retention records themselves, staff and their sign-in, Django's and libraries' plumbing.
SKIPPED_APPS = frozenset(
    {
        "audit",
        "privacy",
        "agencies",
        "auth",
        "contenttypes",
        "sessions",
        "admin",
        "django_celery_beat",
        "django_celery_results",
        "pghistory",
        "account",
        "mfa",
        "socialaccount",
        "guardian",
    }
)
# Columns that are codes or keys, not anybody's words.
KEPT_COLUMNS = frozenset({"ref", "sha256", "content_type", "nonce", "key", "current_risk", "file"})
DEPTH = 4


def _is_content(field: models.Field, *, with_json: bool) -> bool:
    if field.primary_key or field.name in KEPT_COLUMNS or getattr(field, "choices", None):
        return False
    if field.unique:
        return False
    if isinstance(field, models.JSONField):
        return with_json
    return isinstance(field, models.CharField | models.TextField)


def _in_unique_constraint(model: type[models.Model]) -> set[str]:
    names: set[str] = set()
    for constraint in model._meta.constraints:
        if isinstance(constraint, models.UniqueConstraint):
            names.update(constraint.fields)
    for together in model._meta.unique_together:
        names.update(together)
    return names


@cache
def content_columns(model: type[models.Model], *, with_json: bool) -> tuple[models.Field, ...]:
    unique = _in_unique_constraint(model)
    return tuple(f for f in model._meta.concrete_fields if f.name not in unique and _is_content(f, with_json=with_json))


@cache
def history_models(model: type[models.Model]) -> tuple[type[models.Model], ...]:
    """The pghistory event models that keep snapshots of ``model``'s rows."""
    found = []
    for candidate in apps.get_models():
        if not issubclass(candidate, Event):
            continue
        obj = next((f for f in candidate._meta.concrete_fields if f.name == "pgh_obj"), None)
        if obj is not None and obj.related_model is model:
            found.append(candidate)
    return tuple(found)


@cache
def _owning_edges(
    roots: tuple[type[models.Model], ...],
) -> dict[type[models.Model], list[tuple[str, type[models.Model]]]]:
    """For each model, its foreign keys (name, target) that lead into the owned set."""
    owned: set[type[models.Model]] = set(roots)
    edges: dict[type[models.Model], list[tuple[str, type[models.Model]]]] = defaultdict(list)
    for _ in range(DEPTH):
        grew = False
        for model in apps.get_models():
            if model._meta.app_label in SKIPPED_APPS or issubclass(model, Event) or not model._meta.managed:
                continue
            for f in model._meta.concrete_fields:
                target = f.related_model if f.is_relation else None
                if target in owned and target is not model and (f.name, target) not in edges[model]:
                    edges[model].append((f.name, target))
                    if model not in owned:
                        owned.add(model)
                        grew = True
        if not grew:
            break
    return dict(edges)


def owned_rows(roots: dict[type[models.Model], set[int]]) -> dict[type[models.Model], set[int]]:
    """Every row owned by the given root rows, by model (the roots included)."""
    edges = _owning_edges(tuple(sorted(roots, key=lambda m: m._meta.label)))
    rows: dict[type[models.Model], set[int]] = defaultdict(set)
    for model, ids in roots.items():
        rows[model].update(ids)
    for _ in range(DEPTH):
        grew = False
        for model, links in edges.items():
            condition = Q()
            for name, target in links:
                if rows.get(target):
                    condition |= Q(**{f"{name}__in": rows[target]})
            if not condition:
                continue
            found = set(model._default_manager.filter(condition).values_list("pk", flat=True))
            if not found <= rows[model]:
                rows[model].update(found)
                grew = True
        if not grew:
            break
    return {m: ids for m, ids in rows.items() if ids}


@dataclass
class Erased:
    rows: int = 0
    history_rows: int = 0
    files: int = 0
    deleted: int = 0
    models: set[str] = field(default_factory=set)


def _blank(field: models.Field) -> object:
    if isinstance(field, models.JSONField):
        return field.get_default() if field.has_default() else ({} if not field.null else None)
    return None if field.null else ""


def overwrite(rows: dict[type[models.Model], set[int]], *, with_json: bool, result: Erased) -> None:
    """Blank the content columns of the rows, delete their document files, and delete every
    history row of them (after the overwrite, so its own history row goes too)."""
    for model, ids in rows.items():
        if model is Document:
            for name in Document.objects.filter(pk__in=ids).exclude(file="").values_list("file", flat=True):
                # Before the commit: if the transaction rolls back, the next run finds the
                # rows unchanged and deletes again (a missing file is no error).
                document_storage().delete(name)
                result.files += 1
            Document.objects.filter(pk__in=ids).update(file="")
        columns = content_columns(model, with_json=with_json)
        if columns:
            result.rows += model._default_manager.filter(pk__in=ids).update(**{f.name: _blank(f) for f in columns})
            result.models.add(model._meta.label)
    forget_history(rows, result=result)


def forget_history(rows: dict[type[models.Model], set[int]], *, result: Erased) -> None:
    for model, ids in rows.items():
        for history in history_models(model):
            deleted, _ = history._default_manager.filter(pgh_obj_id__in=ids).delete()
            result.history_rows += deleted


def delete_rows(model: type[models.Model], ids: Iterable[int], *, result: Erased) -> set[int]:
    """Delete each row where nothing else holds it (a savepoint each); answers the ids kept."""
    kept: set[int] = set()
    for pk in ids:
        try:
            with transaction.atomic():
                deleted, _ = model._default_manager.filter(pk=pk).delete()
                result.deleted += deleted
        except (models.ProtectedError, models.RestrictedError, IntegrityError):
            kept.add(pk)
    return kept


def case_rows(case_ids: Iterable[int]) -> dict[type[models.Model], set[int]]:
    case_ids = set(case_ids)
    referral_ids = set(Case.objects.filter(pk__in=case_ids).values_list("referral_id", flat=True))
    return owned_rows({Case: case_ids, Referral: referral_ids})


def person_rows(person_ids: Iterable[int]) -> dict[type[models.Model], set[int]]:
    return owned_rows({Person: set(person_ids)})


def clear_person_facts(person_ids: set[int], *, erase: bool) -> None:
    """Dates of birth go in both; erasing also takes the demographics anonymising keeps
    (age band, gender, ethnicity ... are what the evaluation counts)."""
    values: dict[str, object] = {"date_of_birth": None}
    if erase:
        values.update(age_band="", gender="unknown", ethnicity="", disability="", sexual_orientation="")
    Person.objects.filter(pk__in=person_ids).update(**values)
