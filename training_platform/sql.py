"""Hand-built SQL for the few hot paths, built from the models' ``_meta``.

The ORM is the default. This module is for the places where measurement showed the
ORM's per-value work costs more than the query itself: bulk imports (the ORM prepares
every value of an ``IN`` list and every field of a bulk ``INSERT`` one by one) and the
public verification (building the query on each request cost ten times running it).

The rules every statement here follows:

* identifiers (tables, columns) come only from ``_meta`` and are quoted by the
  backend; values are always parameters, already in the form the database takes;
* a statement is built once (per database vendor) and run many times;
* an ``IN (...)`` list never holds more than ``IN_BATCH`` values (SQLite refuses
  statements with more than 999 parameters).

Each path is tested to return exactly what the equivalent ORM query returns, on SQLite
and PostgreSQL (``tests/training_platform/test_sql.py``).
"""

import datetime as dt
import functools
import json
from collections.abc import Callable, Iterable, Iterator, Sequence

from django.db import connection as default_connection
from django.db.models import Model
from django.db.models.constants import OnConflict
from django.db.models.expressions import RawSQL
from django.utils import timezone

# SQLite allows 999 parameters per statement; PostgreSQL far more. A few are left for
# the other conditions of a statement.
IN_BATCH = 900


def chunks(items: Sequence, size: int | None = None) -> Iterator[Sequence]:
    """``items`` in slices of ``size`` (``IN_BATCH`` by default)."""
    size = size or IN_BATCH
    for start in range(0, len(items), size):
        yield items[start : start + size]


def table(model: type[Model], *, connection=None) -> str:
    """The model's table name, quoted for the database."""
    conn = connection or default_connection
    return conn.ops.quote_name(model._meta.db_table)


def column(model: type[Model], name: str, *, alias: str = "", connection=None) -> str:
    """A field's column, quoted (``alias.`` in front when the statement names tables)."""
    conn = connection or default_connection
    quoted = conn.ops.quote_name(model._meta.get_field(name).column)
    return f"{alias}.{quoted}" if alias else quoted


def per_vendor(build: Callable[..., str]) -> Callable[..., str]:
    """Cache a statement builder's result per database vendor and arguments.

    The arguments must be hashable (tuples, not lists): they are the cache key.
    """
    cache: dict[tuple, str] = {}

    @functools.wraps(build)
    def cached(*args):
        key = (default_connection.vendor, *args)
        try:
            return cache[key]
        except KeyError:
            statement = cache[key] = build(*args)
            return statement

    cached.cache = cache  # for tests
    return cached


def select_in(
    model: type[Model],
    columns: Sequence[str],
    key: str,
    values: Sequence,
    *,
    where: str = "",
    params: Sequence = (),
    size: int | None = None,
) -> Iterator[tuple]:
    """Rows of ``columns`` (field names) whose ``key`` is one of ``values``.

    One query per ``size`` values (``IN_BATCH`` by default); rows come as tuples, in
    no particular order. ``values`` and ``params`` must already be what the database
    takes (primary keys, not instances); ``where`` is an extra condition in SQL with
    ``%s`` placeholders for ``params`` (build its names with ``column``).
    """
    head = "SELECT {} FROM {} WHERE {}{} IN (".format(  # noqa: S608 - names from _meta
        ", ".join(column(model, c) for c in columns),
        table(model),
        f"({where}) AND " if where else "",
        column(model, key),
    )
    params = tuple(params)
    with default_connection.cursor() as cursor:
        for chunk in chunks(values, size):
            cursor.execute(
                head + ", ".join(["%s"] * len(chunk)) + ")", (*params, *chunk)
            )
            yield from cursor.fetchall()


def ids_by(model: type[Model], key: str, values: Sequence) -> dict:
    """``{key value: primary key}`` for rows whose unique ``key`` is one of ``values``.

    The read-back of rows just written by ``Insert`` (``executemany`` returns no ids).
    """
    return dict(select_in(model, (key, model._meta.pk.name), key, values))


class Insert:
    """One ``INSERT`` statement for many rows of a model, run with ``executemany``.

    ``fields`` are given per row, as tuples in that order, already as the database
    takes them (``Field.get_db_prep_save``; primary keys for foreign keys). Every
    other column gets ``values[name]`` or its default (``now`` for ``auto_now`` and
    ``auto_now_add``), prepared once by the field itself; columns the database fills
    in (auto primary key, generated, ``db_default``) are left out. With
    ``ignore_conflicts`` a row that breaks a unique constraint is skipped
    (``ON CONFLICT DO NOTHING`` / ``INSERT OR IGNORE``, as the backend says).
    """

    def __init__(
        self,
        model: type[Model],
        fields: Sequence[str],
        *,
        values: dict | None = None,
        now: dt.datetime | None = None,
        ignore_conflicts: bool = False,
        connection=None,
    ):
        conn = connection or default_connection
        opts = model._meta
        ops = conn.ops
        given = [opts.get_field(name) for name in fields]
        values = values or {}
        now = now or timezone.now()
        fixed = []
        for f in opts.concrete_fields:
            if f in given or (f.primary_key and f.db_returning):
                continue
            if getattr(f, "generated", False) or (
                f.name not in values and f.has_db_default()
            ):
                continue  # the database fills these in
            if f.name in values:
                value = values[f.name]
            elif getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
                value = now
            else:
                value = f.get_default()
            fixed.append((f, f.get_db_prep_save(value, conn)))
        columns = [*given, *(f for f, _value in fixed)]
        on_conflict = OnConflict.IGNORE if ignore_conflicts else None
        suffix = ops.on_conflict_suffix_sql(columns, on_conflict, None, None)
        self.sql = "{} {} ({}) VALUES ({}){}".format(
            ops.insert_statement(on_conflict=on_conflict),
            ops.quote_name(opts.db_table),
            ", ".join(ops.quote_name(f.column) for f in columns),
            ", ".join(["%s"] * len(columns)),
            f" {suffix}" if suffix else "",
        )
        self.fixed = tuple(value for _f, value in fixed)

    def run(self, cursor, rows: Iterable[tuple]) -> None:
        """Insert ``rows`` (tuples of the given fields) with one ``executemany``."""
        fixed = self.fixed
        params = [row + fixed for row in rows] if fixed else list(rows)
        if params:
            cursor.executemany(self.sql, params)


# --- frozen rows: a trigger that refuses changes to a finished row -----------------------


def frozen_row_statements(
    *,
    table_name: str,
    status_column: str,
    frozen_value: str,
    columns: Sequence[str],
    vendor: str,
) -> tuple[list[str], list[str]]:
    """``(install, remove)`` statements of a trigger that refuses, once a row's
    ``status_column`` is ``frozen_value``, any change of ``columns`` (the status among
    them) and its deletion, whoever sends the statement (services, shell, raw SQL).

    ``table_name`` and ``columns`` come from a model's ``_meta`` (a migration passes
    them); ``frozen_value`` is a choice value, never user input.
    """
    if not frozen_value.isidentifier():
        raise ValueError("frozen_value must be a plain choice value")
    name = f"{table_name}_frozen"
    if vendor == "postgresql":
        changed = " OR ".join(f'NEW."{c}" IS DISTINCT FROM OLD."{c}"' for c in columns)
        install = [
            f"""CREATE OR REPLACE FUNCTION "{name}"() RETURNS trigger AS $$
BEGIN
  IF OLD."{status_column}" = '{frozen_value}' THEN
    IF TG_OP = 'DELETE' OR {changed} THEN
      RAISE EXCEPTION 'row % of {table_name} is {frozen_value} and cannot change',
        OLD.id USING ERRCODE = 'integrity_constraint_violation';
    END IF;
  END IF;
  IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
  RETURN NEW;
END $$ LANGUAGE plpgsql""",
            f'CREATE TRIGGER "{name}" BEFORE UPDATE OR DELETE ON "{table_name}" '
            f'FOR EACH ROW EXECUTE FUNCTION "{name}"()',
        ]
        remove = [
            f'DROP TRIGGER IF EXISTS "{name}" ON "{table_name}"',
            f'DROP FUNCTION IF EXISTS "{name}"()',
        ]
        return install, remove
    if vendor == "sqlite":
        changed = " OR ".join(f'NEW."{c}" IS NOT OLD."{c}"' for c in columns)
        message = f"row of {table_name} is {frozen_value} and cannot change"
        install = [
            f'CREATE TRIGGER "{name}_update" BEFORE UPDATE ON "{table_name}" '
            f"FOR EACH ROW WHEN OLD.\"{status_column}\" = '{frozen_value}' "
            f"AND ({changed}) BEGIN SELECT RAISE(ABORT, '{message}'); END",
            f'CREATE TRIGGER "{name}_delete" BEFORE DELETE ON "{table_name}" '
            f"FOR EACH ROW WHEN OLD.\"{status_column}\" = '{frozen_value}' "
            f"BEGIN SELECT RAISE(ABORT, '{message}'); END",
        ]
        remove = [
            f'DROP TRIGGER IF EXISTS "{name}_update"',
            f'DROP TRIGGER IF EXISTS "{name}_delete"',
        ]
        return install, remove
    raise NotImplementedError(f"no frozen-row trigger for {vendor}")


# --- a long IN list as one parameter ------------------------------------------------------


def values_subquery(values: Iterable, *, text: bool = False, connection=None) -> RawSQL:
    """``values`` as a subquery of one parameter, for ``field__in=`` with lists of any
    length (an array on PostgreSQL, a JSON array on SQLite): no 999-parameter limit and
    one statement to prepare, whatever the count."""
    conn = connection or default_connection
    values = list(values)
    if conn.vendor == "postgresql":
        cast = "text[]" if text else "bigint[]"
        return RawSQL(f"SELECT unnest(%s::{cast})", [values])  # noqa: S611
    return RawSQL("SELECT value FROM json_each(%s)", [json.dumps(values)])  # noqa: S611
