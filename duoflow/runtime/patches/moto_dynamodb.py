"""moto's DynamoDB (``pins.PINNED["moto"]``, 5.2.5): eight speed-ups, no fix (its requests taking turns is in
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
* ``UpdateExpressionParser.make`` (moto/dynamodb/parsing/expressions.py) and the ``deepcopy`` of
  moto/dynamodb/parsing/validators.py: an UpdateItem parses its update expression twice (the request's check and
  the update itself), then the validator deep-copies the tree before resolving it: three passes over the
  expression, about a third of an UpdateItem's CPU (a ``SET`` of eight attributes, on a slow machine shared with a
  test run: 2 ms a parse, 1.8 ms a deep copy, 12 ms the whole call; 9 ms with this speed-up and the next). Here
  an expression is parsed once and its tree kept pickled (the last 512 expressions); each caller gets a tree of
  its own from the pickle. A tree made only of moto's parse nodes, lists, strings and numbers (what the parser
  builds) is copied by a pickle round trip, which builds what ``deepcopy`` builds, object for object (plain
  classes: both rebuild each node from its ``__dict__``, and both keep a node shared where it was, such as each
  child's ``parent``), ten times faster; anything else is deep-copied as before.
* ``ConditionExpressionParser.parse`` (moto/dynamodb/comparisons.py): a conditional write parses its condition
  expression twice (the request's check and the write itself), each parse a lexer and seven passes over the
  tokens: 130 µs for ``attribute_not_exists(entry)`` (what every audit-trail entry is written with), 670 µs for
  a comparison, a ``size`` and a ``contains``. Here an expression is parsed once with its attribute names and
  values (the key: a parse depends on nothing else) and its tree kept pickled with the names and values it found
  (the last 512); each parse of the same gets a tree of its own from the pickle (11-33 µs) and the same found
  names and values. A tree of moto's condition classes holding only strings, numbers, lists, tuples and dicts
  (what the parser builds) is rebuilt by the pickle as parsed, except that a map or list value in it is a copy of
  the request's rather than the request's own; an expression moto refuses raises at each parse, as before.
* ``DepthFirstTraverser.nodes_to_be_processed`` and ``.process`` (moto/dynamodb/parsing/ast_nodes.py): the ten
  passes that validate an update expression each ask their processor for its map of node classes to functions at
  every node of the tree, twice, and the processor builds a new dict each time. Every processor's map is a dict
  display of classes (``tests/runtime/test_speedups.py`` reads moto's source to check), the same at every call, so
  here each processor builds it once.
* ``ActionCountValidator.traverse`` (inherited from ``DepthFirstTraverser``, moto/dynamodb/parsing/ast_nodes.py):
  the first validating pass refuses a second ADD, REMOVE or SET clause. It checks at every ``UpdateExpression`` node
  of the tree (each action, its path and value, and each list of actions), and each check searches the node's whole
  subtree for each of the three clauses: quadratic in the actions (0.9 to 1.4 ms for a five-attribute ``SET``, 1.7
  to 2 ms for an eight-attribute one, on a slow machine; 0.24 and 0.41 ms here). Here each node's three counts are
  added up from its children's, once each, by moto's own rule (``Node.find_clauses``: a matching clause counts and
  is not searched; any other expression or function is searched), and the nodes are checked in moto's order
  (children first), so the same node refuses with the same clause. moto's pass also writes each checked node back
  into its parent's list of children, which changes nothing when every node's ``parent`` is the node that holds it;
  a tree where one is not goes through moto's pass.
* ``StreamRecord`` in moto/dynamodb/models/table.py, for memory: ``StreamShard.add`` keeps every stream record of a
  table for good (for GetRecords; DynamoDB keeps them 24 hours), each a tree of small dicts holding the item's new
  and old images (about 40 KiB a loan application, more than the items themselves). Here ``StreamRecord``, the name
  ``add`` makes each record with, makes moto's record and keeps it pickled (about 9 KiB an application); reading
  it (``record``, ``to_json()``: GetRecords, the runtime's delivery to functions) unpickles the dict moto built, a
  new copy at each read, as moto's answers are.

Guarded by tests/runtime/test_speedups.py.
"""

from __future__ import annotations

import pickle
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
_PARSE_UPDATE_EXPRESSION = Target("moto.dynamodb.parsing.expressions", "UpdateExpressionParser.make")
_VALIDATOR_COPY = Target("moto.dynamodb.parsing.validators", "deepcopy")
_NODE_CLASSES = Target("moto.dynamodb.parsing.ast_nodes", "DepthFirstTraverser.nodes_to_be_processed")
_PROCESS_NODE = Target("moto.dynamodb.parsing.ast_nodes", "DepthFirstTraverser.process")
_COUNT_ACTIONS = Target("moto.dynamodb.parsing.validators", "ActionCountValidator.traverse")
_STREAM_RECORD = Target("moto.dynamodb.models.table", "StreamRecord")
_PARSE_CONDITION_EXPRESSION = Target("moto.dynamodb.comparisons", "ConditionExpressionParser.parse")
FIXES: tuple[Target, ...] = ()
SPEEDUPS = (
    _MODELS_COPY,
    _TRANSACT,
    _ALL_ITEMS,
    _QUERY,
    _SERIALIZE_STRUCTURE,
    _PARSE_UPDATE_EXPRESSION,
    _VALIDATOR_COPY,
    _NODE_CLASSES,
    _PROCESS_NODE,
    _COUNT_ACTIONS,
    _STREAM_RECORD,
    _PARSE_CONDITION_EXPRESSION,
)
PARSED_EXPRESSIONS_KEPT = 512

_patcher = Patcher(FIXES, SPEEDUPS)


def install(speedups: bool) -> None:
    if _patcher.installed:
        return
    if speedups:
        _install_item_rollback()
        _install_partition_query()
        _install_plain_attribute_values()
        _install_parsed_update_expressions()
        _install_processing_maps_built_once()
        _install_action_counts_added_up()
        _install_stream_records_kept_pickled()
        _install_parsed_condition_expressions()
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


# What a tree of moto's parse nodes may hold for a pickle round trip to copy it as ``deepcopy`` would: values both
# copy as equal values (the strings and numbers of the expression) and lists, whose elements are walked too.
_PLAIN_VALUES = (str, int, float, bool, type(None))
# A class with any of these copies or pickles by its own rule, which the two may apply differently.
_OWN_COPY_RULES = ("__deepcopy__", "__copy__", "__reduce__", "__reduce_ex__", "__getstate__", "__setstate__")


def is_plain_tree(root: Any) -> bool:
    """Whether ``root`` is a tree of moto's DynamoDB parse nodes whose every attribute is a plain value, a list or
    another such node, with no class that copies or pickles by a rule of its own."""
    from moto.dynamodb.parsing.ast_nodes import Node

    return _holds_only_plain_values(root, lambda value: isinstance(value, Node), (list,))


def _holds_only_plain_values(root: Any, is_node: Any, containers: tuple[type, ...]) -> bool:
    """Whether ``root`` and all it holds are plain values, ``containers`` (a dict's keys strings) of them, and
    objects ``is_node`` accepts whose class copies and pickles by its ``__dict__``; False at anything else."""
    seen: set[int] = set()
    pending = [root]
    while pending:
        value = pending.pop()
        if isinstance(value, _PLAIN_VALUES) or id(value) in seen:
            continue
        seen.add(id(value))
        if type(value) in containers:
            if type(value) is not dict:
                pending.extend(value)
            elif all(type(key) is str for key in value):
                pending.extend(value.values())
            else:
                return False
        elif is_node(value) and _copies_by_its_dict(type(value)):
            pending.extend(vars(value).values())
        else:
            return False
    return True


_plain_classes: dict[type, bool] = {}


def _copies_by_its_dict(cls: type) -> bool:
    plain = _plain_classes.get(cls)
    if plain is None:
        plain = not any(rule in vars(ancestor) for ancestor in cls.__mro__[:-1] for rule in _OWN_COPY_RULES)
        _plain_classes[cls] = plain
    return plain


def _install_parsed_update_expressions() -> None:
    import copy
    import pickle
    from collections import OrderedDict

    from moto.dynamodb.parsing.ast_nodes import Node
    from moto.dynamodb.parsing.expressions import UpdateExpressionParser

    parse = vars(UpdateExpressionParser)["make"].__func__
    kept: OrderedDict[str, bytes] = OrderedDict()
    lock = threading.Lock()

    def make(cls: type, expression_str: Any) -> Any:
        if cls is not UpdateExpressionParser or not isinstance(expression_str, str):
            return parse(cls, expression_str)
        with lock:
            pickled = kept.get(expression_str)
            if pickled is not None:
                kept.move_to_end(expression_str)
        if pickled is not None:
            return pickle.loads(pickled)
        tree = parse(cls, expression_str)  # an expression moto refuses raises here, each time, as before
        if is_plain_tree(tree):
            pickled = pickle.dumps(tree, pickle.HIGHEST_PROTOCOL)
            with lock:
                kept[expression_str] = pickled
                while len(kept) > PARSED_EXPRESSIONS_KEPT:
                    kept.popitem(last=False)
        return tree

    def deepcopy(value: Any, memo: Any = None) -> Any:
        if memo is None and isinstance(value, Node) and is_plain_tree(value):
            return pickle.loads(pickle.dumps(value, pickle.HIGHEST_PROTOCOL))
        return copy.deepcopy(value, memo)

    _patcher.replace(_PARSE_UPDATE_EXPRESSION, classmethod(make))
    _patcher.replace(_VALIDATOR_COPY, deepcopy)


def is_plain_condition(root: Any) -> bool:
    """Whether ``root`` is a tree of moto's condition classes (moto/dynamodb/comparisons.py: ``Op``, ``Func``,
    ``AttributePath``, ``AttributeValue`` …) whose every attribute is a plain value, a list, a tuple, a dict of them,
    or another such object, with no class that copies or pickles by a rule of its own."""

    def is_condition(value: Any) -> bool:
        return type(value).__module__ == "moto.dynamodb.comparisons"

    return _holds_only_plain_values(root, is_condition, (list, tuple, dict))


def _install_parsed_condition_expressions() -> None:
    import json
    from collections import OrderedDict

    from moto.dynamodb.comparisons import ConditionExpressionParser

    parse = ConditionExpressionParser.parse
    kept: OrderedDict[tuple[str, str, str], tuple[bytes, list[str], list[str]]] = OrderedDict()
    lock = threading.Lock()

    def parse_kept(self: Any) -> Any:
        if type(self) is not ConditionExpressionParser or not isinstance(self.condition_expression, str):
            return parse(self)
        try:  # the parse's whole input
            which = (
                self.condition_expression,
                json.dumps(self.expression_attribute_names, sort_keys=True),
                json.dumps(self.expression_attribute_values, sort_keys=True),
            )
        except (TypeError, ValueError):
            return parse(self)
        with lock:
            found = kept.get(which)
            if found is not None:
                kept.move_to_end(which)
        if found is not None:
            pickled, names_found, values_found = found
            self.expr_attr_names_found.extend(names_found)
            self.expr_attr_values_found.extend(values_found)
            return pickle.loads(pickled)
        names_before, values_before = len(self.expr_attr_names_found), len(self.expr_attr_values_found)
        tree = parse(self)  # an expression moto refuses raises here, each time, as before
        if is_plain_condition(tree):
            found = (
                pickle.dumps(tree, pickle.HIGHEST_PROTOCOL),
                self.expr_attr_names_found[names_before:],
                self.expr_attr_values_found[values_before:],
            )
            with lock:
                kept[which] = found
                while len(kept) > PARSED_EXPRESSIONS_KEPT:
                    kept.popitem(last=False)
        return tree

    _patcher.replace(_PARSE_CONDITION_EXPRESSION, parse_kept)


def _install_processing_maps_built_once() -> None:
    def processing_map(traverser: Any) -> tuple[dict[type, Any], tuple[type, ...]]:
        """The traverser's map and its classes, built at its first call."""
        built = traverser.__dict__.get("_processing_map_built_once")
        if built is None:
            mapping = traverser._processing_map()
            built = traverser.__dict__["_processing_map_built_once"] = (mapping, tuple(mapping))
        return built

    def nodes_to_be_processed(self: Any) -> tuple[type, ...]:
        return processing_map(self)[1]

    def process(self: Any, node: Any) -> Any:  # moto's, reading the map built once
        for class_key, processor in processing_map(self)[0].items():
            if isinstance(node, class_key):
                return processor(node)
        return None

    _patcher.replace(_NODE_CLASSES, nodes_to_be_processed)
    _patcher.replace(_PROCESS_NODE, process)


def _install_action_counts_added_up() -> None:
    from moto.dynamodb.exceptions import TooManyClauses
    from moto.dynamodb.parsing.ast_nodes import (
        DepthFirstTraverser,
        Expression,
        Node,
        UpdateExpression,
        UpdateExpressionAddClause,
        UpdateExpressionFunction,
        UpdateExpressionRemoveClause,
        UpdateExpressionSetClause,
    )

    clauses = (
        (UpdateExpressionAddClause, "ADD"),
        (UpdateExpressionRemoveClause, "REMOVE"),
        (UpdateExpressionSetClause, "SET"),
    )
    searched = (Expression, UpdateExpressionFunction)

    def held_by_their_parents(root: Any) -> bool:
        """Every node below ``root`` names the node holding it as its ``parent``, and ``root`` has none."""
        if root.parent is not None:
            return False
        pending = [root]
        while pending:
            node = pending.pop()
            for child in node.children or []:
                if isinstance(child, Node):
                    if child.parent is not node:
                        return False
                    pending.append(child)
        return True

    def traverse(self: Any, root: Any) -> Any:
        if not isinstance(root, Node) or not held_by_their_parents(root):
            return DepthFirstTraverser.traverse(self, root)
        counts: dict[int, tuple[int, int, int]] = {}

        def found(node: Any) -> tuple[int, int, int]:
            """How many of each clause ``node.find_clauses([clause])`` would return."""
            known = counts.get(id(node))
            if known is None:
                totals = [0, 0, 0]
                for child in node.children or []:
                    below = found(child) if isinstance(child, searched) else None
                    for position, (clause, _) in enumerate(clauses):
                        if type(child) is clause:
                            totals[position] += 1
                        elif below is not None:
                            totals[position] += below[position]
                known = counts[id(node)] = (totals[0], totals[1], totals[2])
            return known

        def check(node: Any) -> None:  # children first, as moto's pass
            for child in node.children or []:
                if isinstance(child, Node):
                    check(child)
            if isinstance(node, UpdateExpression):
                for count, (_, name) in zip(found(node), clauses, strict=True):
                    if count > 1:
                        raise TooManyClauses(name)

        check(root)
        return root

    _patcher.replace(_COUNT_ACTIONS, traverse)


# --- stream records kept pickled ---------------------------------------------------------------------------------


class KeptStreamRecord:
    """One of moto's ``StreamRecord``s as a table's shard keeps it: its ``record`` pickled. Read like moto's (its
    ``record`` and ``to_json()``, all moto and the runtime read of one), each read an unpickled copy."""

    __slots__ = ("_pickled",)

    def __init__(self, record: dict[str, Any]) -> None:
        self._pickled = pickle.dumps(record, pickle.HIGHEST_PROTOCOL)

    @property
    def record(self) -> dict[str, Any]:
        return pickle.loads(self._pickled)

    def to_json(self) -> dict[str, Any]:
        return self.record


def _install_stream_records_kept_pickled() -> None:
    stock = _STREAM_RECORD.owner().StreamRecord

    def kept_pickled(*args: Any, **kwargs: Any) -> KeptStreamRecord:
        return KeptStreamRecord(stock(*args, **kwargs).record)

    kept_pickled.stock = stock  # type: ignore[attr-defined]
    _patcher.replace(_STREAM_RECORD, kept_pickled)
