"""moto's DynamoDB (``pins.PINNED["moto"]``, 5.2.5): three speed-ups, no fix (its requests taking turns is in
:mod:`moto_core`).

Speed-ups (left out with ``DUOFLOW_SPEEDUPS=0``; each changes no behaviour):

* ``DynamoDBBackend.transact_write_items`` and the ``copy`` module of moto/dynamodb/models/__init__.py:
  ``TransactWriteItems`` deep-copies every table it touches, whole, so that it can roll back a cancelled
  transaction: its cost grows with the table (100 ms a transaction after a few hundred loans). Here it keeps a
  copy of the items the transaction names (the only ones it can change) and puts those back instead.
* ``Table.query`` and ``Table.all_items`` (moto/dynamodb/models/table.py): ``Query`` sorts every item of the table,
  then keeps those with the asked partition key. Here a query on the table's key reads that partition alone; a
  query on an index is given, unsorted, the items that have the index's partition key attributes (moto skips the
  others, and sorts the matches by their full key afterwards, so what it returns, in which order, is the same).
* ``BaseJSONSerializer._serialize_type_structure`` (moto/core/serialize.py), for DynamoDB's ``AttributeValue``
  only: moto writes an answer by walking the botocore model member by member, asking each of AttributeValue's ten
  members for a value for every attribute of every item (two thirds of a query's time). moto's items are already
  in the wire's shape (``{"S": "..."}``, ``{"M": {...}}``), so an attribute value made only of strings,
  numbers-as-strings, booleans, maps and lists is written as it is; anything else (binary, a value of another
  type) goes through moto's walk.

Guarded by tests/runtime/test_speedups.py.
"""

from __future__ import annotations

import threading
from typing import Any

from duoflow.runtime.patches._patching import Patcher, Target

LIBRARIES = ("moto",)

_MODELS = "moto.dynamodb.models"
_TRANSACT = Target(_MODELS, "DynamoDBBackend.transact_write_items")
_MODELS_COPY = Target(_MODELS, "copy")
_ALL_ITEMS = Target("moto.dynamodb.models.table", "Table.all_items")
_QUERY = Target("moto.dynamodb.models.table", "Table.query")
_SERIALIZE_STRUCTURE = Target("moto.core.serialize", "BaseJSONSerializer._serialize_type_structure")
FIXES: tuple[Target, ...] = ()
SPEEDUPS = (_MODELS_COPY, _TRANSACT, _ALL_ITEMS, _QUERY, _SERIALIZE_STRUCTURE)

_patcher = Patcher(FIXES, SPEEDUPS)


def install(speedups: bool) -> None:
    if _patcher.installed:
        return
    if speedups:
        _install_item_rollback()
        _install_partition_query()
        _install_plain_attribute_values()
    _patcher.installed = True


def uninstall() -> None:
    _patcher.restore()


class _CopyModule:
    """Stands in for the ``copy`` module inside a library module whose ``deepcopy`` a subclass narrows; every
    other name (``copy.copy`` …) is the module's own."""

    def __getattr__(self, name: str) -> Any:
        import copy

        return getattr(copy, name)


class _TablesKeptInPlace(_CopyModule):
    """Stands in for the ``copy`` module inside moto's DynamoDB backend: a table is "copied" as itself (its
    transaction keeps copies of the items it names instead); anything else is deep-copied as before."""

    def __init__(self, table_class: type) -> None:
        self._table_class = table_class

    def deepcopy(self, value: Any, memo: Any = None) -> Any:
        import copy

        return value if isinstance(value, self._table_class) else copy.deepcopy(value, memo)


def _install_item_rollback() -> None:
    import copy

    import moto.dynamodb.models as dynamodb_models
    from moto.dynamodb.models.table import Table

    transact = dynamodb_models.DynamoDBBackend.transact_write_items

    def named_items(backend: Any, transact_items: list[dict[str, Any]]) -> list[tuple[Any, Any, Any, Any]]:
        """(table, partition key, sort key, a copy of the item or None) for each item the transaction names,
        found the way moto finds them; an operation moto will refuse names nothing and changes nothing."""
        named = []
        for operation in transact_items:
            for kind, details in operation.items():
                table = backend.tables.get(details.get("TableName", ""))
                if table is None:
                    continue
                key = (
                    {
                        attribute: details["Item"][attribute]
                        for attribute in (table.hash_key_attr, table.range_key_attr)
                        if attribute
                    }
                    if kind == "Put"
                    else details["Key"]
                )
                partition, sort = backend.get_keys_value(table, key)
                named.append((table, partition, sort, copy.deepcopy(table.get_item(partition, sort))))
        return named

    def put_back(table: Any, partition: Any, sort: Any, item: Any) -> None:
        if not table.range_key_attr:
            if item is None:
                table.items.pop(partition, None)
            else:
                table.items[partition] = item
            return
        if item is not None:
            table.items[partition][sort] = item
            return
        bucket = table.items.get(partition)
        if bucket is not None:
            bucket.pop(sort, None)
            if not bucket:
                del table.items[partition]

    def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
        try:
            named = named_items(self, transact_items)
        except Exception:  # noqa: BLE001 - a malformed request: moto's own path reports it, with its whole-table copy
            dynamodb_models.copy = copy
            try:
                return transact(self, transact_items)
            finally:
                if _patcher.installed:  # not once uninstalled: the module's own copy stays
                    dynamodb_models.copy = tables_in_place
        try:
            return transact(self, transact_items)
        except BaseException:
            for table, partition, sort, item in reversed(named):
                put_back(table, partition, sort, item)
            raise

    tables_in_place = _TablesKeptInPlace(Table)
    _patcher.replace(_MODELS_COPY, tables_in_place)
    _patcher.replace(_TRANSACT, transact_write_items)


def _install_partition_query() -> None:
    import inspect

    from moto.dynamodb.models.table import Table

    query, all_items = Table.query, Table.all_items
    parameters = inspect.signature(query)
    narrowed = threading.local()

    def candidates(self: Table) -> list[Any]:
        override = getattr(narrowed, "items", None)
        if override is not None and override[0] is self:
            return override[1]
        return all_items(self)

    def partition_query(self: Table, *args: Any, **kwargs: Any) -> Any:
        arguments = parameters.bind(self, *args, **kwargs).arguments
        partition, index = arguments.get("hash_key"), arguments.get("index_name")
        if index:
            try:
                keys = [key["AttributeName"] for key in self.get_index(index).schema if key["KeyType"] == "HASH"]
            except Exception:  # noqa: BLE001 - an unknown index: moto's query refuses it in its own words
                return query(self, *args, **kwargs)
            # An item without the index's partition key is not in the (sparse) index: moto skips it too.
            items = [
                item
                for bucket in self.items.values()
                for item in _bucket_items(self, bucket)
                if all(key in item.attrs for key in keys)
            ]
        elif partition is not None:
            items = _bucket_items(self, self.items.get(partition))
        else:
            return query(self, *args, **kwargs)
        narrowed.items = (self, items)
        try:
            return query(self, *args, **kwargs)
        finally:
            narrowed.items = None

    _patcher.replace(_ALL_ITEMS, candidates)
    _patcher.replace(_QUERY, partition_query)


def _bucket_items(table: Any, bucket: Any) -> list[Any]:
    if bucket is None:
        return []
    return list(bucket.values()) if table.range_key_attr else [bucket]


DYNAMODB_ATTRIBUTE_VALUE_MEMBERS = frozenset({"S", "N", "B", "SS", "NS", "BS", "M", "L", "NULL", "BOOL"})


def is_plain_attribute_value(value: Any) -> bool:
    """A DynamoDB attribute value that is already what the wire carries: one member, of the JSON type the
    member has on the wire (no binary: that one moto base64-encodes on the way out)."""
    if not isinstance(value, dict) or len(value) != 1:
        return False
    ((member, inner),) = value.items()
    if member in ("S", "N"):
        return isinstance(inner, str)
    if member in ("BOOL", "NULL"):
        return isinstance(inner, bool)
    if member in ("SS", "NS"):
        return isinstance(inner, list) and all(isinstance(element, str) for element in inner)
    if member == "M":
        return isinstance(inner, dict) and all(
            isinstance(name, str) and is_plain_attribute_value(element) for name, element in inner.items()
        )
    if member == "L":
        return isinstance(inner, list) and all(is_plain_attribute_value(element) for element in inner)
    return False


def _install_plain_attribute_values() -> None:
    from moto.core.serialize import BaseJSONSerializer

    walk = BaseJSONSerializer._serialize_type_structure

    def serialize_structure(self: Any, serialized: Any, value: Any, shape: Any, key: str) -> None:
        if (
            key
            and shape.name == "AttributeValue"
            and set(shape.members) == DYNAMODB_ATTRIBUTE_VALUE_MEMBERS
            and is_plain_attribute_value(value)
        ):
            self._default_serialize(serialized, value, shape, key)
            return
        walk(self, serialized, value, shape, key)

    _patcher.replace(_SERIALIZE_STRUCTURE, serialize_structure)
