"""Querysets compiled to SQL once and run many times: the hot reads of the order path.

Django compiles a queryset to SQL on every evaluation (joins, the where clause, quoting, the select
list): about 0.3 ms of CPU for one of the order path's statements, against 0.07 ms to send the same
SQL through a cursor, and several times what PostgreSQL takes to run it. A PreparedQuery is written
as an ordinary queryset (so it stays the ORM's SQL, on PostgreSQL and SQLite alike), compiled the first
time it runs on a database vendor, and then only has its parameter values put in place; its rows go
through the compiler's own converters (decimals on SQLite come back exactly as the ORM gives them).

    _DEPTH = PreparedQuery(lambda symbol: Order.objects.filter(market_id=symbol).values_list("side", "price"))
    _DEPTH.rows(symbol="BTC/USDC")                  # [(side, price), ...]

Parameters are strings or integers, or lists of strings (compiled once per length). They are found in
the compiled SQL's parameters by a marker value, so a parameter must reach the SQL unchanged (compared
to a column of its own type; not inside a LIKE or a function). A `select_for_update()` queryset must run inside a
transaction, as the ORM requires; only its first run (when it is compiled) can check that. The compiler is
shared by every thread afterwards only for its row converters, which read the backend's operations and never
the (thread-local) connection it was compiled on.
"""

import threading
from collections.abc import Callable, Sequence

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Model, QuerySet

Params = dict[str, int | str | Sequence[str]]
INT_MARKER_BASE = -2_147_480_000


class _Slot:
    """Where a parameter goes in the compiled SQL's parameter list (the `index`th item of a list parameter)."""

    __slots__ = ("index", "name")

    def __init__(self, name: str, index: int | None):
        self.name, self.index = name, index


class PreparedQuery:
    def __init__(self, build: Callable[..., QuerySet], *, using: str = DEFAULT_DB_ALIAS):
        self._build = build
        self._using = using
        self._compiled: dict[tuple, tuple] = {}
        self._lock = threading.Lock()

    def rows(self, **params: int | str | Sequence[str]) -> list[tuple]:
        """The queryset's rows (tuples, as values_list gives them) for these parameter values."""
        connection = connections[self._using]
        compiler, sql, slots = self._compile(connection.vendor, params)
        values = [_value(slot, params) for slot in slots]
        with connection.cursor() as cursor:
            cursor.execute(sql, values)
            fetched = cursor.fetchall()
        return list(compiler.results_iter(results=[fetched], tuple_expected=True))

    def instances(self, model: type[Model], fields: Sequence[str], extra: Sequence[str] = (), **params) -> list:
        """Model instances from a values_list(*fields, *extra) queryset: `fields` (attnames of `model`) load
        each instance as the ORM would (Model.from_db), each of `extra` (annotations) becomes an attribute."""
        instances = []
        for row in self.rows(**params):
            instance = model.from_db(self._using, fields, row[: len(fields)])
            for name, value in zip(extra, row[len(fields) :], strict=True):
                setattr(instance, name, value)
            instances.append(instance)
        return instances

    def _compile(self, vendor: str, params: Params) -> tuple:
        shape = (vendor, *sorted((name, None if isinstance(v, int | str) else len(v)) for name, v in params.items()))
        compiled = self._compiled.get(shape)
        if compiled is None:
            with self._lock:
                compiled = self._compiled.get(shape) or self._compiled.setdefault(shape, self._compiled_now(params))
        return compiled

    def _compiled_now(self, params: Params) -> tuple:
        markers: dict[int | str, _Slot] = {}
        sample: dict[str, int | str | list[str]] = {}
        for number, (name, value) in enumerate(params.items()):
            if isinstance(value, int | str):
                # An integer inside a 32-bit column's range: the ORM compiles a value beyond it to no rows at all.
                marker: int | str = INT_MARKER_BASE - number if isinstance(value, int) else _marker(name, None)
                sample[name] = marker
                markers[marker] = _Slot(name, None)
            else:
                listed = [_marker(name, index) for index in range(len(value))]
                sample[name] = listed
                markers.update({item: _Slot(name, index) for index, item in enumerate(listed)})
        compiler = self._build(**sample).query.get_compiler(using=self._using)
        sql, constants = compiler.as_sql()
        slots = [markers.get(value, value) if isinstance(value, str | int) else value for value in constants]
        found = {slot.name for slot in slots if isinstance(slot, _Slot)}
        if found != set(params):
            raise ValueError(f"parameters {sorted(set(params) - found)} do not reach the SQL unchanged: {sql}")
        return compiler, sql, slots


def _marker(name: str, index: int | None) -> str:
    return f"\x00prepared:{name}:{index}\x00"


def _value(slot, params: Params):
    if not isinstance(slot, _Slot):
        return slot
    value = params[slot.name]
    return value if isinstance(value, int | str) else value[slot.index or 0]


def rows_insert(model: type[Model], fields: Sequence[str], rows: Sequence[Sequence]) -> None:
    """model.objects.bulk_create of these rows (the values of `fields`, in Python as the model holds them),
    sent as SQL: no model instances, nothing compiled, no ids returned, and, as with bulk_create, no
    signals. More than one statement only past the database's limit of parameters per statement."""
    connection = connections[DEFAULT_DB_ALIAS]
    by_name = {field.name: field for field in model._meta.concrete_fields}
    columns = [by_name[name] for name in fields]
    quote = connection.ops.quote_name
    head = f"INSERT INTO {quote(model._meta.db_table)} ({', '.join(quote(field.column) for field in columns)}) VALUES "
    placeholders = "(" + ", ".join(["%s"] * len(columns)) + ")"
    per_statement = (connection.features.max_query_params or len(rows) * len(columns)) // len(columns)
    with connection.cursor() as cursor:
        for start in range(0, len(rows), per_statement):
            batch = rows[start : start + per_statement]
            values = [field.get_db_prep_save(value, connection) for row in batch for field, value in zip(columns, row, strict=True)]
            cursor.execute(head + ", ".join([placeholders] * len(batch)), values)


def instance_update(instance: Model, fields: Sequence[str]) -> None:
    """instance.save(update_fields=fields) sent as SQL, without compiling an UPDATE or sending signals (for a
    model nothing listens to)."""
    connection = connections[DEFAULT_DB_ALIAS]
    by_name = {field.name: field for field in type(instance)._meta.concrete_fields}
    columns = [by_name[name] for name in fields]
    meta, quote = type(instance)._meta, connection.ops.quote_name
    assignments = ", ".join(f"{quote(field.column)} = %s" for field in columns)
    values = [field.get_db_prep_save(getattr(instance, field.attname), connection) for field in columns]
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {quote(meta.db_table)} SET {assignments} WHERE {quote(meta.pk.column)} = %s", [*values, instance.pk])
