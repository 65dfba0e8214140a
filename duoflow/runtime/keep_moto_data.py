"""DynamoDB items and S3 objects that survive the runtime's process: journaled as they are written, put back on start.

moto keeps both in memory. Here each write is followed, before the request returns to its caller (on the same
thread, in one commit to the journal, :mod:`journal`), by the *after-image* of what it touched:

* ``moto_dynamodb_items``: one row per item, keyed by table, partition key and sort key, holding the item's
  attributes in DynamoDB's wire JSON (``{"S": ...}``, ``{"M": {...}}`` …); an item deleted is a row deleted.
* ``moto_s3_objects``: one row per version of an object (a bucket that is not versioned has one, ``null``),
  holding its body and what the API reads back with it (metadata and content type, ETag, last-modified, storage
  class, encryption, checksum, ACL, tags, lock settings); a delete marker is a row without a body. Every version
  is kept, in order, with its version id (an S3 event names the version a workflow must read).

Nothing is replayed: a restart puts the rows back into moto's backends directly (:meth:`MotoDataKeeper.restore`),
so no S3 event notification fires, no DynamoDB stream record is written and nothing is journaled again. The rows
are bounded by the live data (an overwrite replaces its row, a delete removes it): no compaction is needed.

Where it hooks moto 5.2.5 (each guarded by tests/runtime/test_keep_moto_data.py):

* what changed: ``Table.put_item`` and ``Table.delete_item`` (moto/dynamodb/models/table.py; every path that adds,
  replaces or removes an item goes through them: PutItem, BatchWriteItem, the transaction's Put and Delete,
  UpdateItem creating an item, PartiQL) and ``DynamoDBBackend.update_item`` (moto/dynamodb/models/__init__.py; it
  changes an existing item in place); ``S3Backend.put_object`` (PutObject, CopyObject, CompleteMultipartUpload,
  a POST upload) and ``S3Backend.delete_object`` (DeleteObject, DeleteObjects) in moto/s3/models.py. These only
  note the key; a conditional write that fails raises before moto changes anything, so it notes nothing.
* when to write: at the end of the request (``DynamoHandler``'s mutating actions; ``S3Response._key_response`` and
  ``_bucket_response``, inside the handlers that ``s3_events`` wraps, so an object is journaled before its event is
  delivered). The after-images are read from moto then, so what the S3 handler sets after storing an object
  (metadata, tags, ACL) is included, and a request that changed several items (a transaction, a batch) is one
  commit. A write made outside any request (Python code calling moto's backend) is journaled at once.
* ``DynamoHandler.call_action``, around moto_core's request lock: DynamoDB after-images are read under that lock
  (so they are queued in moto's order) but committed after it is released, before the request returns: the lock
  is not held while the commit waits for the journal, which the rest of the runtime writes too. Measured in a
  burst of 300 applications, committing under the lock held it 20 s of 41 s, for 0.6 s of the keeper's CPU.
  Requests that wait together share one commit, in queue order; a request that only read waits for what was
  queued before it, so no answer carries a write a crash could still lose.
* ``TransactWriteItems`` that fails was rolled back whole (moto_dynamodb's item rollback puts back every item it
  names on any exception), so what it noted is forgotten: nothing is written. ``DynamoDBBackend.delete_table``
  forgets the table's rows.

DynamoDB requests take turns (moto_core's request lock) and queue their after-images inside it, so the journal
sees the writes in moto's order (a write made outside any request is ordered only among those). S3 requests do
not take turns: reading the after-images and committing them happen under one lock, so the last commit for a key
holds what moto holds last.

Cost (2-core machine): a DynamoDB write adds about 110 µs of CPU (after-image 25 µs, commit 75 µs, hooks),
150-250 µs measured through boto3; the hybrid happy path makes 8 journaled requests, 1.4-2 ms of the keeper's CPU
per run (about 1 %), and a burst of 1,000 applications 1.2 s of it in about 110 s (7,264 writes in 3,345 commits).
Restoring the 7,500 items of 1,000 applications takes about 0.3 s (1.2 s when each item was built attribute by
attribute: see ``_restore_items``).

Not journaled: changes to an existing object version's tags, ACL, legal hold or retention made by their own requests
(PutObjectTagging, PutObjectAcl …; nothing in duoflow makes them); the part structure of a multipart object (its
body, ETag and checksum are kept); items or objects of other accounts and regions than the runtime's; tables and
buckets themselves (``deploy()`` creates them on every start; a journaled item whose table was not deployed is
skipped by ``restore``, and logged).
"""

from __future__ import annotations

import base64
import datetime
import decimal
import itertools
import json
import logging
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from duoflow.runtime.journal import Journal, JournalClosed

logger = logging.getLogger("duoflow.runtime.keep_moto_data")

SCHEMA = """
CREATE TABLE IF NOT EXISTS moto_dynamodb_items (
    table_name TEXT NOT NULL,
    partition_key TEXT NOT NULL,   -- the key's type and value: "S:loan-1", "N:1E+2" (numbers normalized), "B:<base64>"
    sort_key TEXT NOT NULL,        -- the same; '' in a table without a sort key
    item TEXT NOT NULL,            -- every attribute, in DynamoDB's wire JSON
    PRIMARY KEY (table_name, partition_key, sort_key));
CREATE TABLE IF NOT EXISTS moto_s3_objects (
    bucket TEXT NOT NULL,
    key TEXT NOT NULL,
    version_id TEXT NOT NULL,      -- 'null' in a bucket that is not versioned
    seq INTEGER NOT NULL,          -- the versions' order (oldest first)
    delete_marker INTEGER NOT NULL,
    body BLOB,                     -- NULL for a delete marker
    attributes TEXT NOT NULL,      -- JSON: metadata, etag, last_modified, storage class, acl, tags ...
    PRIMARY KEY (bucket, key, version_id));
"""

# What a moto DynamoDB action may change: each is one request, journaled in one commit when it returns.
DYNAMODB_WRITE_ACTIONS = (
    "put_item",
    "update_item",
    "delete_item",
    "batch_write_item",
    "execute_statement",
    "execute_transaction",
    "batch_execute_statement",
)
# moto's S3 request handlers below the ones s3_events wraps: every S3 request goes through one of them.
S3_REQUEST_HANDLERS = ("_key_response", "_bucket_response")

# Every attribute of a moto FakeKey and what becomes of it here: journaled (a key of the attributes JSON, or the
# body), rebuilt on restore from what is journaled, or left as moto makes it. A guard test fails when moto's FakeKey
# gains or loses one, so that a new attribute is looked at before it is silently lost.
FAKE_KEY_ATTRIBUTES = {
    "name": "the key column",
    "bucket_name": "the bucket column",
    "_version_id": "the version_id column",
    "_value_buffer": "the body column",
    "contentsize": "from the body",
    "account_id": "the runtime's",
    "region_name": "the backend's",
    "partition": "from the region",
    "last_modified": "journaled",
    "acl": "journaled",
    "website_redirect_location": "journaled",
    "checksum_algorithm": "journaled",
    "_storage_class": "journaled",
    "_metadata": "journaled",
    "_expiry": "journaled",
    "_etag": "journaled",
    "_is_versioned": "journaled",
    "multipart": "not kept: the part structure of a multipart upload",
    "_max_buffer_size": "moto's default",
    "disposed": "moto's default",
    "lock": "moto's default",
    "encryption": "journaled",
    "kms_key_id": "journaled",
    "bucket_key_enabled": "journaled",
    "lock_mode": "journaled",
    "lock_legal_status": "journaled",
    "lock_until": "journaled",
    "checksum_value": "journaled",
    "checksum_type": "journaled",
    "checksum_parts": "journaled",
    # moto's ManagedState (a Glacier restore's progress): a restored object starts as a new one
    "_status": "moto's default",
    "_tick": "moto's default",
    "_time_progressed": "moto's default",
    "_transitions": "moto's default",
    "model_name": "moto's default",
}
FAKE_DELETE_MARKER_ATTRIBUTES = {"key", "name", "last_modified", "_version_id"}

_UPSERT_ITEM = "INSERT INTO moto_dynamodb_items VALUES (?, ?, ?, ?) ON CONFLICT DO UPDATE SET item = excluded.item"
_DELETE_ITEM = "DELETE FROM moto_dynamodb_items WHERE table_name = ? AND partition_key = ? AND sort_key = ?"
_UPSERT_OBJECT = "INSERT OR REPLACE INTO moto_s3_objects VALUES (?, ?, ?, ?, ?, ?, ?)"
_DELETE_OBJECT = "DELETE FROM moto_s3_objects WHERE bucket = ? AND key = ? AND version_id = ?"
_OBJECT_VERSIONS = "SELECT version_id FROM moto_s3_objects WHERE bucket = ? AND key = ?"
_DELETE_TABLE_ITEMS = "DELETE FROM moto_dynamodb_items WHERE table_name = ?"


@dataclass
class _Batch:
    """What one request changed: DynamoDB items (table, partition, sort → the table and its key values) and S3 keys
    ((bucket, key) → the backend and the objects this request created under it)."""

    items: dict[tuple[str, str, str], tuple[Any, Any, Any]] = field(default_factory=dict)
    objects: dict[tuple[str, str], tuple[Any, list[Any]]] = field(default_factory=dict)


@dataclass
class _Patch:
    owner: type
    name: str
    original: Any
    replacement: Any
    owned: bool  # the original was the owner's own attribute (else inherited: uninstall deletes ours)


class MotoDataKeeper:
    """Journals moto's DynamoDB items and S3 objects of one account and region, and puts them back."""

    def __init__(self, journal: Journal, account_id: str, region: str) -> None:
        self._journal = journal
        self._account_id = account_id
        self._region = region
        self._patches: list[_Patch] = []
        self._installed = False
        self._local = threading.local()  # .batch: the _Batch of the request this thread is handling
        self._s3_lock = threading.Lock()
        self._seq = itertools.count(1)
        # DynamoDB after-images waiting for their commit, in moto's order (see _enqueue)
        self._pending: list[tuple[int, list[tuple[str, list[tuple]]]]] = []
        self._pending_lock = threading.Lock()
        self._commit_lock = threading.Lock()
        self._issued = 0  # the last ticket handed out
        self._committed = 0  # every ticket up to this one is in the journal
        journal.ensure_schema(SCHEMA)

    # --- lifecycle -------------------------------------------------------------------------------------------------

    def install(self) -> None:
        """Hook moto (after ``mock_aws`` started, and after the patches, some of whose hooks these wrap)."""
        if self._installed:
            return
        from moto.dynamodb.models import DynamoDBBackend
        from moto.dynamodb.models.table import Table
        from moto.dynamodb.responses import DynamoHandler
        from moto.s3.models import S3Backend
        from moto.s3.responses import S3Response

        [(last,)] = self._journal.read("SELECT COALESCE(MAX(seq), 0) FROM moto_s3_objects")
        self._seq = itertools.count(last + 1)

        # what changed
        self._patch(Table, "put_item", self._noting_item_put)
        self._patch(Table, "delete_item", self._noting_item_delete)
        self._patch(DynamoDBBackend, "update_item", self._noting_item_update)
        self._patch(S3Backend, "put_object", self._noting_object_put)
        self._patch(S3Backend, "delete_object", self._noting_object_delete)
        # when to write
        for action in DYNAMODB_WRITE_ACTIONS:
            self._patch(DynamoHandler, action, self._request)
        # a transaction that fails was rolled back whole (moto_dynamodb's item rollback, on any error): nothing to write
        self._patch(DynamoHandler, "transact_write_items", self._all_or_nothing_request)
        # ... and committed once moto_core's request lock is released, before the request returns
        self._patch(DynamoHandler, "call_action", self._committed_before_returning)
        for handler in S3_REQUEST_HANDLERS:
            self._patch(S3Response, handler, self._request)
        self._patch(DynamoDBBackend, "delete_table", self._forgetting_table)
        self._installed = True

    def uninstall(self) -> None:
        """Undo every hook. A hook another patch has since wrapped stays in place, passing every call through."""
        self._installed = False
        for patch in reversed(self._patches):
            if patch.owner.__dict__.get(patch.name) is not patch.replacement:
                continue
            if patch.owned:
                setattr(patch.owner, patch.name, patch.original)
            else:
                delattr(patch.owner, patch.name)
        self._patches.clear()

    def _patch(self, owner: type, name: str, wrap: Callable[[Any], Any]) -> None:
        original = getattr(owner, name)
        replacement = wrap(original)
        replacement.__name__ = getattr(original, "__name__", name)
        replacement.__wrapped__ = original
        replacement.duoflow_keeper = self  # what uninstall (and its test) recognises
        self._patches.append(_Patch(owner, name, original, replacement, name in owner.__dict__))
        setattr(owner, name, replacement)

    # --- restore ---------------------------------------------------------------------------------------------------

    def restore(self) -> int:
        """Put every journaled item and object back into moto's backends (their tables and buckets must exist: call
        after ``deploy()``), directly: no event fires, nothing is journaled. Returns how many items and object
        versions (delete markers included) were put back."""
        return self._restore_items() + self._restore_objects()

    def _restore_items(self) -> int:
        from moto.dynamodb.models import dynamodb_backends
        from moto.dynamodb.models.dynamo_type import DynamoType, Item

        backend = dynamodb_backends[self._account_id][self._region]
        restored, missing = 0, set()
        for table_name, text in self._journal.read("SELECT table_name, item FROM moto_dynamodb_items ORDER BY rowid"):
            table = backend.tables.get(table_name)
            if table is None:
                missing.add(table_name)
                continue
            attributes = json.loads(text)
            partition = DynamoType(attributes[table.hash_key_attr])
            sort = DynamoType(attributes[table.range_key_attr]) if table.range_key_attr else None
            item = Item(partition, sort, {})
            # Item(partition, sort, attributes) sets the attributes one at a time, and moto's size check sums every
            # attribute already set at each one (quadratic: 1.2 s for the 7,500 items of 1,000 applications). The
            # journaled after-image passed that check when moto stored it, so the attributes go in at once.
            dict.update(item.attrs, {name: DynamoType(value) for name, value in attributes.items()})
            if sort is not None:
                table.items[partition][sort] = item
            else:
                table.items[partition] = item
            restored += 1
        for table_name in sorted(missing):
            logger.warning("journaled items of table %s not restored: no such table was deployed", table_name)
        return restored

    def _restore_objects(self) -> int:
        from moto.s3.models import s3_backends
        from moto.utilities.utils import get_partition

        backend = s3_backends[self._account_id][get_partition(self._region)]
        rows = self._journal.read(
            "SELECT bucket, key, version_id, delete_marker, body, attributes FROM moto_s3_objects "
            "ORDER BY bucket, key, seq"
        )
        restored, missing = 0, set()
        for (bucket_name, key_name), versions in itertools.groupby(rows, key=lambda row: (row[0], row[1])):
            bucket = backend.buckets.get(bucket_name)
            if bucket is None:
                missing.add(bucket_name)
                continue
            rebuilt: list[Any] = []
            for _, _, version_id, delete_marker, body, attributes in versions:
                details = json.loads(attributes)
                if delete_marker:
                    rebuilt.append(_delete_marker(key_name, version_id, details, rebuilt[-1] if rebuilt else None))
                else:
                    rebuilt.append(_fake_key(backend, bucket_name, key_name, version_id, bytes(body), details))
            bucket.keys.setlist(key_name, rebuilt)
            restored += len(rebuilt)
        for bucket_name in sorted(missing):
            logger.warning("journaled objects of bucket %s not restored: no such bucket was deployed", bucket_name)
        return restored

    # --- request boundaries ----------------------------------------------------------------------------------------

    def _request(self, handle: Callable[..., Any], all_or_nothing: bool = False) -> Callable[..., Any]:
        """One request: what it changes is journaled in one commit when it returns. When it raises, what moto changed
        before the error stays changed in moto (a batch's first puts), so it is journaled too, unless the request is
        ``all_or_nothing`` (moto undid everything). A request inside another is part of the outer one."""
        keeper = self

        def request(*args: Any, **kwargs: Any) -> Any:
            if not keeper._installed or getattr(keeper._local, "batch", None) is not None:
                return handle(*args, **kwargs)
            batch = keeper._local.batch = _Batch()
            try:
                result = handle(*args, **kwargs)
            except BaseException:
                keeper._local.batch = None
                if not all_or_nothing:
                    keeper._write(batch)
                raise
            keeper._local.batch = None
            keeper._write(batch)
            return result

        return request

    def _committed_before_returning(self, call_action: Callable[..., Any]) -> Callable[..., Any]:
        """Around moto_fixes' locked ``DynamoHandler.call_action``: once a DynamoDB request has let go of the request
        lock, it waits until every after-image queued so far (its own, and those of the writes it may have read) is
        in the journal. So the lock is held for reading the after-images only (some 20 µs), not for a commit
        queued behind other parts of the runtime's (milliseconds in a burst); and no answer carries a write a crash
        could still lose."""
        keeper = self

        def committed(*args: Any, **kwargs: Any) -> Any:
            if not keeper._installed or getattr(keeper._local, "outer", False):
                return call_action(*args, **kwargs)
            keeper._local.outer = True
            try:
                return call_action(*args, **kwargs)
            finally:
                keeper._local.outer = False
                if keeper._committed < keeper._issued:
                    keeper._commit_through(keeper._issued)

        return committed

    def _all_or_nothing_request(self, handle: Callable[..., Any]) -> Callable[..., Any]:
        return self._request(handle, all_or_nothing=True)

    def _when_installed(self, original: Callable[..., Any], hooked: Callable[..., Any]) -> Callable[..., Any]:
        """``hooked`` while the keeper is installed; ``original`` once it is not (a hook left in place by uninstall)."""
        keeper = self

        def call(*args: Any, **kwargs: Any) -> Any:
            return (hooked if keeper._installed else original)(*args, **kwargs)

        return call

    def _forgetting_table(self, delete_table: Callable[..., Any]) -> Callable[..., Any]:
        keeper = self

        def forgetting(backend: Any, name: str, *args: Any, **kwargs: Any) -> Any:
            table = delete_table(backend, name, *args, **kwargs)
            if keeper._installed and keeper._ours(backend.account_id, backend.region_name):
                keeper._queue([(_DELETE_TABLE_ITEMS, [(name,)])])
            return table

        return forgetting

    def _batch(self) -> tuple[_Batch, bool]:
        """The batch of the request being handled, or a new one to write at once (False: not a request's)."""
        batch = getattr(self._local, "batch", None)
        return (batch, True) if batch is not None else (_Batch(), False)

    def _ours(self, account_id: str, region: str | None = None) -> bool:
        return account_id == self._account_id and (region is None or region == self._region)

    # --- what changed: DynamoDB ------------------------------------------------------------------------------------

    def _note_item(self, table: Any, partition: Any, sort: Any) -> None:
        if not self._ours(table.account_id, table.region_name):
            return
        batch, in_request = self._batch()
        batch.items[(table.name, _key_text(partition), _key_text(sort) if sort is not None else "")] = (
            table,
            partition,
            sort,
        )
        if not in_request:
            self._write(batch)

    def _noting_item_put(self, put_item: Callable[..., Any]) -> Callable[..., Any]:
        keeper = self

        def noting(table: Any, *args: Any, **kwargs: Any) -> Any:
            item = put_item(table, *args, **kwargs)
            if keeper._installed:
                keeper._note_item(table, item.hash_key, item.range_key if table.range_key_attr else None)
            return item

        return noting

    def _noting_item_delete(self, delete_item: Callable[..., Any]) -> Callable[..., Any]:
        keeper = self

        def noting(table: Any, *args: Any, **kwargs: Any) -> Any:
            item = delete_item(table, *args, **kwargs)
            if keeper._installed and item is not None:
                keeper._note_item(table, item.hash_key, item.range_key if table.range_key_attr else None)
            return item

        return noting

    def _noting_item_update(self, update_item: Callable[..., Any]) -> Callable[..., Any]:
        keeper = self

        def update_then_note(backend: Any, table_name: str, *args: Any, **kwargs: Any) -> Any:
            item = update_item(backend, table_name, *args, **kwargs)  # changes an existing item in place
            table = backend.get_table(table_name)
            keeper._note_item(table, item.hash_key, item.range_key if table.range_key_attr else None)
            return item

        # a request of its own when called outside one: creating an item and updating it is one commit
        return self._when_installed(update_item, self._request(update_then_note))

    # --- what changed: S3 ------------------------------------------------------------------------------------------

    def _note_object(self, backend: Any, bucket_name: str, key_name: str, created: Any = None) -> None:
        if not self._ours(backend.account_id):
            return
        batch, in_request = self._batch()
        _, objects = batch.objects.setdefault((bucket_name, key_name), (backend, []))
        if created is not None:
            objects.append(created)
        if not in_request:
            self._write(batch)

    def _noting_object_put(self, put_object: Callable[..., Any]) -> Callable[..., Any]:
        keeper = self

        def put_then_note(backend: Any, bucket_name: str, key_name: str, *args: Any, **kwargs: Any) -> Any:
            key = put_object(backend, bucket_name, key_name, *args, **kwargs)
            keeper._note_object(backend, bucket_name, key_name, created=key)
            return key

        return self._when_installed(put_object, self._request(put_then_note))

    def _noting_object_delete(self, delete_object: Callable[..., Any]) -> Callable[..., Any]:
        keeper = self

        def delete_then_note(backend: Any, bucket_name: str, key_name: str, *args: Any, **kwargs: Any) -> Any:
            try:
                return delete_object(backend, bucket_name, key_name, *args, **kwargs)
            finally:  # a version deleted, a delete marker added, or nothing: the key's rows follow moto's
                keeper._note_object(backend, bucket_name, key_name)

        return self._when_installed(delete_object, self._request(delete_then_note))

    # --- writing the after-images ----------------------------------------------------------------------------------

    def _write(self, batch: _Batch) -> None:
        if batch.items:
            self._queue(self._item_statements(batch.items))
        if batch.objects:
            with self._s3_lock:
                self._ignoring_a_closed_journal(self._write_objects, batch.objects)

    def _queue(self, statements: list[tuple[str, list[tuple]]]) -> None:
        """Queue DynamoDB after-images in moto's order (a DynamoDB request calls this under moto_core's request lock);
        a request commits them when it lets go of that lock; a write outside any request, at once."""
        with self._pending_lock:
            self._issued += 1
            ticket = self._issued
            self._pending.append((ticket, statements))
        if not getattr(self._local, "outer", False):
            self._commit_through(ticket)

    def _commit_through(self, ticket: int) -> None:
        """Commit every queued after-image up to ``ticket`` (and those queued after it, in the same commit: one commit
        serves every request waiting, in order, so a later image of an item always lands after an earlier one)."""
        with self._commit_lock:
            if self._committed >= ticket:
                return  # another request's commit took it
            with self._pending_lock:
                queued, self._pending = self._pending, []
            if not queued:
                return
            try:
                self._ignoring_a_closed_journal(self._commit, queued)
            except BaseException:
                with self._pending_lock:
                    self._pending[:0] = queued  # the next commit tries them again
                raise
            self._committed = queued[-1][0]

    def _commit(self, queued: list[tuple[int, list[tuple[str, list[tuple]]]]]) -> None:
        with self._journal.transaction() as db:
            for _, statements in queued:
                for sql, rows in statements:
                    db.executemany(sql, rows)

    def _ignoring_a_closed_journal(self, write: Callable[..., None], *args: Any) -> None:
        try:
            write(*args)
        except JournalClosed:
            if self._installed:
                raise
            # a request a stopped runtime's thread was still handling (uninstall comes before the journal closes)

    def _item_statements(self, noted: dict[tuple[str, str, str], tuple[Any, Any, Any]]) -> list[tuple[str, list]]:
        upserts, deletes = [], []
        for (table_name, partition_text, sort_text), (table, partition, sort) in noted.items():
            if table.range_key_attr:
                item = table.items.get(partition, {}).get(sort)
            else:
                item = table.items.get(partition)
            if item is None:
                deletes.append((table_name, partition_text, sort_text))
            else:
                upserts.append((table_name, partition_text, sort_text, _item_json(item)))
        return [(sql, rows) for sql, rows in ((_UPSERT_ITEM, upserts), (_DELETE_ITEM, deletes)) if rows]

    def _write_objects(self, noted: dict[tuple[str, str], tuple[Any, list[Any]]]) -> None:
        """Make each noted key's rows what moto holds: every version not journaled yet and every object this request
        created (an overwrite in a bucket that is not versioned keeps the version id 'null') is written; a version
        moto no longer has is deleted; the others are left as they are (a version's body never changes)."""
        upserts, deletes = [], []
        for (bucket_name, key_name), (backend, created) in noted.items():
            bucket = backend.buckets.get(bucket_name)
            versions = list(bucket.keys.getlist(key_name, [])) if bucket is not None else []
            journaled = {version for (version,) in self._journal.read(_OBJECT_VERSIONS, (bucket_name, key_name))}
            present = set()
            for version in versions:
                version_id = str(version.version_id)
                present.add(version_id)
                if version_id not in journaled or any(version is new for new in created):
                    try:
                        upserts.append(
                            _object_row(backend, bucket_name, key_name, version_id, version, next(self._seq))
                        )
                    except ValueError:
                        # moto disposed of it (closed its body) meanwhile: another thread replaced or deleted it, and
                        # that request journals its object next; until then the row keeps what was journaled
                        if not getattr(version, "disposed", False):
                            raise
            deletes.extend((bucket_name, key_name, version_id) for version_id in journaled - present)
        if not upserts and not deletes:
            return
        with self._journal.transaction() as db:
            if deletes:
                db.executemany(_DELETE_OBJECT, deletes)
            if upserts:
                db.executemany(_UPSERT_OBJECT, upserts)


# --- DynamoDB: items as wire JSON ---------------------------------------------------------------------------------


def _key_text(value: Any) -> str:
    """A key attribute as one string, equal for keys moto treats as equal (numbers compare as decimals)."""
    kind, raw = value.type, value.value
    if kind == "N":
        number = decimal.Decimal(raw)
        raw = "0" if number == 0 else format(decimal.Context(prec=100).normalize(number), "")
    elif isinstance(raw, bytes):
        raw = base64.b64encode(raw).decode("ascii")
    return f"{kind}:{raw}"


def _item_encoder() -> json.JSONEncoder:
    """moto keeps an item's attributes as DynamoTypes already in the wire's shape; the encoder writes each as
    ``{type: value}``, and a map's or a list's members (DynamoTypes again) the same way: a loan's audit entry in 7 µs,
    a third of the time it takes to build the wire dicts first and encode those."""
    global _ITEM_ENCODER
    if _ITEM_ENCODER is None:
        from moto.dynamodb.models.dynamo_type import DynamoType

        def wire(value: Any) -> Any:
            if type(value) is DynamoType:
                return {value.type: value.value}
            if isinstance(value, bytes):  # binary as the wire carries it (moto keeps the wire's base64 text)
                return base64.b64encode(value).decode("ascii")
            if isinstance(value, set | frozenset):
                return sorted(value)
            if isinstance(value, decimal.Decimal):
                return str(value)
            raise TypeError(f"cannot journal a {type(value).__name__} in a DynamoDB item")

        _ITEM_ENCODER = json.JSONEncoder(separators=(",", ":"), default=wire, check_circular=False)
    return _ITEM_ENCODER


_ITEM_ENCODER: json.JSONEncoder | None = None


def _item_json(item: Any) -> str:
    return _item_encoder().encode(item.attrs)


# --- S3: object versions --------------------------------------------------------------------------------------------


def _object_row(backend: Any, bucket: str, key: str, version_id: str, version: Any, seq: int) -> tuple:
    from moto.s3.models import FakeDeleteMarker

    if isinstance(version, FakeDeleteMarker):
        details = {"last_modified": version.last_modified.isoformat()}
        return (bucket, key, version_id, seq, 1, None, json.dumps(details))
    metadata = version.metadata
    details = {
        "last_modified": version.last_modified.isoformat(),
        "metadata": dict(metadata.items()),
        "metadata_lowercase": type(metadata).__name__ == "LowercaseDict",
        "etag": version.etag.strip('"'),
        "storage_class": version._storage_class,
        "is_versioned": version._is_versioned,
        "expiry": version._expiry.isoformat() if version._expiry is not None else None,
        "acl": _acl_json(version.acl),
        "tags": backend.tagger.get_tag_dict_for_resource(version.arn),
        "website_redirect_location": version.website_redirect_location,
        "checksum_algorithm": version.checksum_algorithm,
        **{name: getattr(version, name) for name in _KEY_ARGUMENTS},
    }
    return (bucket, key, version_id, seq, 0, version.value, json.dumps(details, default=str))


# FakeKey's constructor arguments kept as they are
_KEY_ARGUMENTS = (
    "encryption",
    "kms_key_id",
    "bucket_key_enabled",
    "lock_mode",
    "lock_legal_status",
    "lock_until",
    "checksum_value",
    "checksum_type",
    "checksum_parts",
)


def _acl_json(acl: Any) -> list[Any] | None:
    if acl is None:
        return None
    return [
        [[[grantee.id, grantee.uri, grantee.display_name] for grantee in grant.grantees], list(grant.permissions)]
        for grant in acl.grants
    ]


def _acl(grants: Iterable[Any] | None) -> Any:
    from moto.s3.models import FakeAcl, FakeGrant, FakeGrantee

    if grants is None:
        return None
    return FakeAcl([FakeGrant([FakeGrantee(*grantee) for grantee in grantees], perms) for grantees, perms in grants])


def _fake_key(backend: Any, bucket: str, key: str, version_id: str, body: bytes, details: dict[str, Any]) -> Any:
    from moto.s3.models import FakeKey
    from moto.utilities.utils import LowercaseDict

    restored = FakeKey(
        name=key,
        value=body,
        account_id=backend.account_id,
        region_name=backend.region_name,
        storage=details["storage_class"],
        etag=details["etag"],
        is_versioned=details["is_versioned"],
        version_id=version_id,
        bucket_name=bucket,
        **{name: details[name] for name in _KEY_ARGUMENTS},
    )
    restored.last_modified = datetime.datetime.fromisoformat(details["last_modified"])
    restored._metadata = LowercaseDict(details["metadata"]) if details["metadata_lowercase"] else details["metadata"]
    restored._expiry = datetime.datetime.fromisoformat(details["expiry"]) if details["expiry"] else None
    restored.acl = _acl(details["acl"])
    restored.website_redirect_location = details["website_redirect_location"]
    restored.checksum_algorithm = details["checksum_algorithm"]
    if details["tags"]:
        backend.tagger.tag_resource(restored.arn, [{"Key": k, "Value": v} for k, v in details["tags"].items()])
    return restored


def _delete_marker(key: str, version_id: str, details: dict[str, Any], covers: Any) -> Any:
    """A delete marker as moto makes one (``FakeDeleteMarker(key=...)`` with a new version id and time), with the
    journaled ones; it covers the version before it."""
    from moto.s3.models import FakeDeleteMarker

    marker = FakeDeleteMarker.__new__(FakeDeleteMarker)
    marker.key = covers
    marker.name = key
    marker.last_modified = datetime.datetime.fromisoformat(details["last_modified"])
    marker._version_id = version_id
    return marker
