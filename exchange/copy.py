"""Writing many new model instances with PostgreSQL's ``COPY``.

``bulk_create`` builds one ``INSERT ... VALUES`` of every row's parameters and asks for the
ids back; at a bundle's volumes most of an import's time went into building, sending and
parsing those statements. Here a batch's ids are taken from the table's own identity
sequence first (so every child row can name its parent without a look-up, as before), and
the rows go in with one ``COPY`` per batch through psycopg.

The rows are the ones ``bulk_create`` would write: every concrete field's value as the
field itself prepares it for the database (``pre_save``, so ``auto_now_add`` and
``auto_now`` are set; ``get_db_prep_save``, so JSON, enums and dates are converted as
Django converts them). Triggers and constraints fire for ``COPY`` exactly as for
``INSERT``: nothing about the rows' checks or history changes.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

from django.db import DatabaseError, connection, connections, models
from django.db.models import Model
from django.db.models.expressions import BaseExpression, Value
from psycopg.errors import QueryCanceled

# PostgreSQL names the row of a COPY that it refused in the error's context.
COPY_LINE_RE = re.compile(r"COPY [^,]+, line (\d+)")
# Fields whose value goes to the database as the instance holds it (after ``pre_save``): their
# ``get_db_prep_save`` only checks or coerces what is already a str, int, bool or date.
PLAIN_FIELDS = (
    models.CharField,
    models.TextField,
    models.IntegerField,
    models.BooleanField,
    models.DateField,  # and DateTimeField: aware datetimes go as they are
    models.ForeignKey,
    models.AutoField,
    models.BigAutoField,
)


class CopyRefused(Exception):
    """The database refused a row of a batch: ``row`` is its place in the batch (from 0), or
    None when PostgreSQL did not say which."""

    def __init__(self, problem: str, row: int | None) -> None:
        super().__init__(problem)
        self.problem = problem
        self.row = row


def reserve_ids(model: type[Model], count: int) -> list[int]:
    """``count`` new ids from the table's identity sequence, in ascending order."""
    if count == 0:
        return []
    meta = model._meta
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [meta.db_table, meta.pk.column, count],
        )
        return sorted(row[0] for row in cursor.fetchall())


def copy_objects(model: type[Model], objects: Sequence[Model]) -> None:
    """Insert ``objects`` (new instances of ``model``) with one ``COPY``; each gets its id.

    Raises ``CopyRefused`` when the database refuses a row (a constraint), and lets every
    other database error (a lost connection, a cancelled statement) through unchanged.
    """
    if not objects:
        return
    meta = model._meta
    fields = list(meta.concrete_fields)
    ids = reserve_ids(model, sum(1 for obj in objects if obj.pk is None))
    fresh = iter(ids)
    for obj in objects:
        if obj.pk is None:
            obj.pk = next(fresh)
    quote = connection.ops.quote_name
    columns = ", ".join(quote(str(field.column)) for field in fields)
    sql = f"COPY {quote(meta.db_table)} ({columns}) FROM STDIN"
    # The connection itself, not the thread-local proxy: asking the proxy for it once per cell
    # was a fifth of the import's time.
    database = connections[connection.alias]
    plain = [isinstance(field, PLAIN_FIELDS) for field in fields]
    json_text: dict[int, str] = {}

    def prepared(field: Any, value: Any) -> Any:
        if isinstance(field, models.JSONField) and value is not None:
            # The JSON text Django's Jsonb adapter would send, once per object: rows of a batch
            # often share one (every assessment of an instrument was scored with its bands).
            # Every object is alive until the COPY ends, so its id names it.
            if id(value) not in json_text:
                json_text[id(value)] = json.dumps(value, cls=field.encoder)
            return json_text[id(value)]
        return field.get_db_prep_save(value, database)

    rows: list[list[Any]] = []
    for obj in objects:
        row = [
            # A plain field's value is what its preparation would answer (psycopg adapts str,
            # int, bool, date and None itself); the others are prepared as Django prepares them.
            field.pre_save(obj, True) if is_plain else prepared(field, field.pre_save(obj, True))
            for field, is_plain in zip(fields, plain, strict=True)
        ]
        if any(isinstance(value, BaseExpression) for value in row):
            # A database default (db_default) is the database's to fill, which COPY cannot ask
            # for: a constant default (Value) is written as itself; any other is refused.
            for index, (field, value) in enumerate(zip(fields, row, strict=True)):
                if not isinstance(value, BaseExpression):
                    continue
                default = field.db_default  # the literal as declared, or an expression
                if isinstance(default, Value):
                    default = default.value
                elif hasattr(default, "resolve_expression"):
                    raise ValueError(f"{meta.label}.{field.name} has a computed database default; COPY cannot write it")
                row[index] = prepared(field, default)
        rows.append(row)
    try:
        with connection.cursor() as cursor, connection.wrap_database_errors, cursor.cursor.copy(sql) as copy:
            for row in rows:
                copy.write_row(row)
    except DatabaseError as exc:
        cause = exc.__cause__
        if isinstance(cause, QueryCanceled) or getattr(cause, "diag", None) is None:
            raise
        context = cause.diag.context or ""  # type: ignore[union-attr]
        state = cause.diag.sqlstate or ""  # type: ignore[union-attr]
        if not state.startswith(("22", "23")):
            # Neither a value the column cannot take (class 22) nor a constraint (class 23): not a row's fault.
            raise
        found = COPY_LINE_RE.search(context)
        first = (str(cause).strip().splitlines() or [type(cause).__name__])[0][:200]
        raise CopyRefused(first, int(found.group(1)) - 1 if found else None) from exc
    for obj in objects:
        obj._state.adding = False
        obj._state.db = connection.alias
