"""The change history of a bulk import, written set-based.

django-pghistory records every insert through a row trigger. Fired once per row, that
trigger costs about a millisecond (it enters two PL/pgSQL exception blocks, each a
subtransaction, to find the context, and inserts the event row): for the 700,000 rows
of a 100,000-referral bundle, more than ten minutes. So while the import inserts rows,
it tells pgtrigger to skip the history triggers of the tables it writes
(``pgtrigger.ignore``, for this connection only), and afterwards writes the very rows
those triggers would have written, one ``INSERT ... SELECT`` per table: the same
columns, label ``insert``, the same ``pgh_obj_id``, and a pghistory context naming the
import. Rows the import creates and then adjusts in the same transaction (a case's
current risk) are recorded as they are committed, which is all anyone could ever see.

Rows that already existed are never written inside the skip: their changes go through
the triggers as usual. A test compares the history of an import with the history the
triggers themselves write.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import pgtrigger
from django.db import connection, models
from pghistory.models import Context
from pghistory.trigger import Event as HistoryTrigger
from pgtrigger import registry

CHUNK = 50_000
SKIPPED_LABELS = ("insert", "update")


def _history_triggers(model: type[models.Model]) -> list[HistoryTrigger]:
    return [t for m, t in registry.registered() if m is model and isinstance(t, HistoryTrigger)]


class BulkHistory:
    """Collects the ids of the rows inserted while the history triggers are skipped, as runs of
    consecutive ids (``[first, last]``): a batch's ids are taken from the table's sequence
    together, so a run is usually a batch or more, and what is kept does not grow with every
    row. A run holds only ids this import inserted, so the events written are exactly theirs."""

    def __init__(self, models_: Iterable[type[models.Model]]) -> None:
        self.models = list(models_)
        self.inserted: dict[type[models.Model], list[list[int]]] = defaultdict(list)

    @contextmanager
    def triggers_skipped(self) -> Iterator[BulkHistory]:
        uris = [
            f"{model._meta.label}:{trigger.name}"
            for model in self.models
            for trigger in _history_triggers(model)
            if trigger.label in SKIPPED_LABELS
        ]
        with pgtrigger.ignore(*uris):
            yield self

    def add(self, model: type[models.Model], objects: Iterable[models.Model]) -> None:
        self.add_ids(model, [obj.pk for obj in objects])

    def add_ids(self, model: type[models.Model], ids: Iterable[Any]) -> None:
        if model not in self.models:
            raise ValueError(f"{model._meta.label} is not one of the models whose history is written in bulk")
        runs = self.inserted[model]
        for pk in ids:
            if runs and runs[-1][1] + 1 == pk:
                runs[-1][1] = pk
            else:
                runs.append([pk, pk])

    def event_models(self) -> list[type[models.Model]]:
        """The event tables ``write`` inserts into (their statistics go stale like the rest)."""
        return [
            trigger.event_model
            for model in self.models
            for trigger in _history_triggers(model)
            if trigger.label == "insert" and trigger.event_model is not None
        ]

    def write(self, *, metadata: dict[str, Any]) -> int:
        """The ``insert`` events of every row added, under one context. Returns how many."""
        if not any(self.inserted.values()):
            return 0
        context = Context.objects.create(id=uuid.uuid4(), metadata=metadata)
        written = 0
        with connection.cursor() as cursor:
            for model, runs in self.inserted.items():
                for trigger in _history_triggers(model):
                    if trigger.label != "insert":
                        continue
                    assert trigger.event_model is not None
                    sql = _insert_events_sql(model, trigger.event_model)
                    for first, last in _spans(runs, CHUNK):
                        cursor.execute(sql, [context.pk, first, last])
                        written += cursor.rowcount
        return written


def _spans(runs: list[list[int]], size: int) -> Iterator[tuple[list[int], list[int]]]:
    """The runs as arrays of first and last ids, about ``size`` ids a statement (as the lists of
    ids were), a run split where it is longer."""
    firsts: list[int] = []
    lasts: list[int] = []
    count = 0
    for first, last in runs:
        start = first
        while start <= last:
            end = min(last, start + size - count - 1)
            firsts.append(start)
            lasts.append(end)
            count += end - start + 1
            start = end + 1
            if count >= size:
                yield firsts, lasts
                firsts, lasts, count = [], [], 0
    if firsts:
        yield firsts, lasts


def _insert_events_sql(model: type[models.Model], event_model: type[models.Model]) -> str:
    """What the ``insert`` trigger does for one row, for a set of rows (in id order)."""

    def quote(name: str | None) -> str:
        assert name is not None
        return connection.ops.quote_name(name)

    columns: list[str] = []
    values: list[str] = []
    source = {f.column for f in model._meta.concrete_fields}
    for field in event_model._meta.concrete_fields:
        name = field.name
        if name == "pgh_id":
            continue
        columns.append(quote(field.column))
        if name == "pgh_created_at":
            values.append("NOW()")
        elif name == "pgh_label":
            values.append("'insert'")
        elif name == "pgh_obj":
            values.append(f"t.{quote(model._meta.pk.column)}")
        elif name == "pgh_context":
            values.append("%s")
        elif field.column in source:
            values.append(f"t.{quote(field.column)}")
        else:
            raise ValueError(f"{event_model._meta.label}.{name} has no column in {model._meta.label}")
    return (
        f"INSERT INTO {quote(event_model._meta.db_table)} ({', '.join(columns)}) "  # noqa: S608 (names from model metadata)
        f"SELECT {', '.join(values)} FROM unnest(%s::bigint[], %s::bigint[]) AS run(first, last) "
        f"JOIN {quote(model._meta.db_table)} t ON t.{quote(model._meta.pk.column)} BETWEEN run.first AND run.last "
        f"ORDER BY t.{quote(model._meta.pk.column)}"
    )
