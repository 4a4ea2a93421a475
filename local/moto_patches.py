"""Costs of moto's DynamoDB removed without changing what moto answers. The embedded server of
the local stack (`local.dynamodb`) installs these patches, and so do the unit tests'
in-process moto; each holds for the whole process. The first two grew with everything stored;
the third and the fifth were most of the time of every read.

1. TransactWriteItems, rolled back item by item instead of from whole-table copies.

   To undo a cancelled transaction, moto deep-copies every table the transaction names (items
   and stream records), once per item of the transaction, and puts the copy back on failure.
   A write therefore cost time in proportion to everything stored before it: on a local stack
   that had served a few hundred requests, most of each write's time went into copies that
   were thrown away. A transaction can only change the items it names (their keys are in the
   request; DynamoDB refuses two operations on one item) and append to their tables' streams,
   so remembering those items, and each stream's length, before the transaction restores
   exactly what the copy restored. While `transact_write_items` runs (on this thread), moto's
   deep copy of a `Table` is the table itself, so its own rollback (putting the "copy" back)
   changes nothing; if the call raises, the touched items are put back as they were (or
   removed if they did not exist) and the records the transaction added to a stream dropped.

2. A table's items in key order, sorted on keys computed once per item.

   Every Query and Scan starts from `Table.all_items()`: all items, sorted by hash and range
   key. moto compares its key objects in Python, working each key's value out again for every
   comparison; sorting plain values (the same ones moto compares: a table's key attributes all
   have one type) gives the same order at a fraction of the cost. An item's keys never change
   (an update changes other attributes), so each item keeps its sort key.

3. Item attributes written to a JSON response directly.

   moto writes a response by walking the operation's output shape, looking every member up
   through a chain of name aliases; an item attribute is a union of ten members (S, N, B, SS,
   NS, BS, M, L, NULL, BOOL), so every attribute of every item returned cost ten look-ups, and
   a 25-attribute GetItem about 2 ms. `AttributeValue` dicts of DynamoDB and DynamoDB Streams
   are written here member by member with the same conversions moto applies (strings as
   `str`, binaries base64, booleans as they are, lists and maps recursively); anything else
   (another key, another member type, response transformers set) still goes through moto.

4. A response class's method names listed once.

   To find the method for an action, moto lists the response class's functions with
   `inspect.getmembers` on every request (about a quarter of a GetItem's time in moto). A
   class's functions do not change while the process runs, so the list is kept per class.

5. Sizes of attribute values worked out without new objects.

   moto adds up the size of every item a Query, Scan or BatchGetItem reads (for the 1 MB and
   16 MB limits) with `DynamoType.size()`, which wraps every element of a list or map in a new
   `DynamoType` (and that one its own elements again) on the way down: for a list of 50 badges
   with their criteria, tags and alignments, most of moto's time. The same sum is made here
   over the values as they are (`number_size` for numbers, `bytesize` for strings and
   binaries, element by element for sets, lists and maps, 1 for booleans and nulls). Query,
   Scan and BatchGetItem also ask each item's size twice (once to check the limit, once to
   add it up); within one of those requests an item's size is worked out once.

6. A projection of top-level attributes converts only those attributes.

   For every path of a ProjectionExpression, moto converts the whole item to plain Python
   (a deep copy of every attribute) to pick one attribute out of it; a BatchGetItem of 50
   badges naming 15 attributes converted each badge 15 times. When every path is one
   top-level name (no `.` path, no `[n]` index), only the named attributes are converted, once,
   and picked and merged as moto does; other projections still go through moto.

7. KMS signs a digest (`Sign` with `MessageType=DIGEST`).

   moto ignores `MessageType` and hashes whatever it is sent, so a digest sent as KMS expects
   it (what `badgekit.store.signing_keys` sends, so that messages over KMS's 4 KB limit can be
   signed) came back signed as if it were the message. Here a `DIGEST` request with an RSA
   PKCS #1 v1.5 algorithm is signed as KMS signs it: the digest as it is (prehashed). Other
   requests are moto's.

If moto's code no longer has the shape a patch relies on, that patch is not installed and
moto's own code stays in use.
"""

from __future__ import annotations

import base64
import copy
import functools
import inspect
import threading
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from typing import Any

_SNAPSHOT = "original_table_state[table_name] = copy.deepcopy("
_state = threading.local()


class _CopyModule:
    """`copy` as moto's DynamoDB models module sees it: inside `transact_write_items` a deep copy
    of a whole `Table` is the table itself (the undo log restores it); everything else is `copy`."""

    def __init__(self, table_type: type) -> None:
        self._table_type = table_type

    def __getattr__(self, name: str) -> Any:
        return getattr(copy, name)

    def deepcopy(self, value: Any, memo: dict[int, Any] | None = None) -> Any:
        if memo is None and getattr(_state, "active", False) and type(value) is self._table_type:
            return value
        return copy.deepcopy(value, memo)


@dataclass
class _SavedItem:
    table: Any
    hash_key: Any
    range_key: Any
    item: Any  # a deep copy of the item before the transaction, or None if there was none
    had_hash_key: bool


def _key(table: Any, op: dict[str, Any]) -> tuple[Any, Any] | None:
    """The (hash, range) key of the item an operation names; None if moto could not read it
    either (then moto cannot write that item)."""
    from moto.dynamodb.models.dynamo_type import DynamoType

    try:
        attributes = op["Item"] if "Item" in op else op["Key"]
        hash_key = DynamoType(attributes[table.hash_key_attr])
        range_attribute = table.range_key_attr
        return hash_key, DynamoType(attributes[range_attribute]) if range_attribute else None
    except Exception:
        return None


class _UndoLog:
    """What a transaction can change: the items it names, and the length of their streams."""

    def __init__(self, backend: Any, transact_items: list[dict[str, Any]]) -> None:
        self.items: list[_SavedItem] = []
        self.streams: dict[int, tuple[Any, int]] = {}
        for entry in transact_items:
            for op in entry.values() if isinstance(entry, dict) else ():
                table = backend.tables.get(op.get("TableName")) if isinstance(op, dict) else None
                if table is None:
                    continue
                key = _key(table, op)
                if key is None:
                    continue
                hash_key, range_key = key
                current = self._current(table, hash_key, range_key)
                self.items.append(
                    _SavedItem(
                        table,
                        hash_key,
                        range_key,
                        copy.deepcopy(current) if current is not None else None,
                        hash_key in table.items,
                    )
                )
                shard = table.stream_shard
                if shard is not None and id(table) not in self.streams:
                    self.streams[id(table)] = (shard, len(shard.items))

    @staticmethod
    def _current(table: Any, hash_key: Any, range_key: Any) -> Any:
        bucket = table.items.get(hash_key)
        if range_key is None:
            return bucket
        return bucket.get(range_key) if bucket is not None else None

    def restore(self) -> None:
        for saved in reversed(self.items):
            items = saved.table.items
            if saved.range_key is None:
                if saved.item is None:
                    items.pop(saved.hash_key, None)
                else:
                    items[saved.hash_key] = saved.item
                continue
            if saved.item is not None:
                items[saved.hash_key][saved.range_key] = saved.item
                continue
            bucket = items.get(saved.hash_key)
            if bucket is not None:
                bucket.pop(saved.range_key, None)
                if not bucket and not saved.had_hash_key:
                    del items[saved.hash_key]
        for shard, length in self.streams.values():
            del shard.items[length:]


def roll_back_by_item() -> bool:
    """Install patch 1 (idempotent); False when moto's code is not what it expects."""
    import moto.dynamodb.models as models
    from moto.dynamodb.models.table import Table

    backend = models.DynamoDBBackend
    if getattr(backend.transact_write_items, "rolls_back_by_item", False):
        return True
    original = backend.transact_write_items
    source = inspect.getsource(original)
    namespace = vars(models)  # the module's globals: what its code calls `copy`
    if source.count("deepcopy") != 1 or _SNAPSHOT not in source or namespace["copy"] is not copy:
        return False

    def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
        undo = _UndoLog(self, transact_items)
        _state.active = True
        try:
            original(self, transact_items)
        except BaseException:
            undo.restore()
            raise
        finally:
            _state.active = False

    transact_write_items.rolls_back_by_item = True  # type: ignore[attr-defined]
    namespace["copy"] = _CopyModule(Table)
    backend.transact_write_items = transact_write_items  # type: ignore[method-assign]
    return True


def _sort_key(item: Any) -> Any:
    key = item.__dict__.get("local_sort_key")
    if key is None:
        hash_value = item.hash_key.cast_value
        key = (hash_value, item.range_key.cast_value) if item.range_key else hash_value
        item.local_sort_key = key
    return key


def sort_keys_once() -> bool:
    """Install patch 2 (idempotent); False when moto's code is not what it expects."""
    from moto.dynamodb.models.table import Table

    if getattr(Table.all_items, "sorts_keys_once", False):
        return True
    source = inspect.getsource(Table.all_items)
    if "key=lambda x: (x.hash_key, x.range_key) if x.range_key else x.hash_key" not in source:
        return False

    def all_items(self: Any) -> list[Any]:
        items: list[Any] = []
        for hash_set in self.items.values():
            if self.range_key_attr:
                items.extend(hash_set.values())
            else:
                items.append(hash_set)
        return sorted(items, key=_sort_key)

    all_items.sorts_keys_once = True  # type: ignore[attr-defined]
    Table.all_items = all_items  # type: ignore[method-assign]
    return True


_SLOW = object()  # "let moto do it"
_ATTRIBUTE_VALUE_SERVICES = frozenset({"dynamodb", "dynamodbstreams"})


def _string(value: Any) -> Any:
    """moto's JSON `_serialize_type_string`."""
    if isinstance(value, Enum):
        value = value.value
    return str(value) if value not in [None, {}, []] else value


def _base64(value: str | bytes) -> str:
    """moto's `ResponseSerializer._base64`."""
    if isinstance(value, str):
        value = value.encode("utf-8")
    return base64.b64encode(value).strip().decode("utf-8")


def _attribute_value(serializer: Any, value: dict[str, Any], shape: Any) -> Any:
    """An `AttributeValue` dict as moto's JSON serializer writes it, or _SLOW."""
    members = shape.members
    if not value.keys() <= members.keys():
        return _SLOW
    written: dict[str, Any] = {}
    for name, member in members.items():
        member_value = value.get(name)
        if member_value is None:
            continue
        if member.serialization.get("name", name) != name:
            return _SLOW
        kind = member.type_name
        if kind == "string":
            written[name] = _string(member_value)
        elif kind == "blob":
            written[name] = _base64(member_value)
        elif kind == "boolean":
            written[name] = member_value
        elif kind == "list":
            items = _list(serializer, member_value, member.member)
            if items is _SLOW:
                return _SLOW
            written[name] = items
        elif kind == "map":
            mapped = _map(serializer, member_value, member)
            if mapped is _SLOW:
                return _SLOW
            written[name] = mapped
        else:
            return _SLOW
    return written


def _list(serializer: Any, values: Any, shape: Any) -> Any:
    if not isinstance(values, list) or shape.serialization.get("name", shape.name) != shape.name:
        return _SLOW
    items: list[Any] = []
    for item in values:
        if shape.type_name == "string":
            items.append(_string(item))
        elif shape.type_name == "blob":
            items.append(_base64(item))
        elif shape.type_name == "structure" and shape.name == "AttributeValue":
            written = _attribute_value(serializer, item, shape) if isinstance(item, dict) else _SLOW
            if written is _SLOW:
                return _SLOW
            items.append(written)
        else:
            return _SLOW
    return items


def _map(serializer: Any, values: Any, shape: Any) -> Any:
    value_shape = shape.value
    if not isinstance(values, dict) or value_shape.name != "AttributeValue":
        return _SLOW
    mapped: dict[str, Any] = {}
    for key, item in values.items():
        if item is None:
            continue  # moto writes nothing for it
        if not isinstance(item, dict) or value_shape.serialization.get("name", key) != key:
            return _SLOW
        written = _attribute_value(serializer, item, value_shape)
        if written is _SLOW:
            return _SLOW
        mapped[key] = written
    return mapped


def write_attribute_values() -> bool:
    """Install patch 3 (idempotent); False when moto's code is not what it expects."""
    from moto.core import serialize

    base = serialize.BaseJSONSerializer
    # moto's method names are private: reached through the class namespace (this module
    # replaces moto code on purpose, see its docstring)
    methods = vars(base)
    original = methods["_serialize_type_structure"]
    if getattr(original, "writes_attribute_values", False):
        return True
    base64_source = inspect.getsource(serialize.ResponseSerializer.__dict__["_base64"])
    picker = inspect.getsource(serialize.AttributePicker.__init__)
    if "b64encode(value).strip()" not in base64_source or "response_transformers" not in picker:
        return False

    def _serialize_type_structure(
        self: Any, serialized: Any, value: Any, shape: Any, key: str
    ) -> None:
        if (
            key
            and isinstance(value, dict)
            and shape.name == "AttributeValue"
            and self.operation_model.service_model.service_name in _ATTRIBUTE_VALUE_SERVICES
            and not getattr(self._value_picker, "response_transformers", True)
        ):
            written = _attribute_value(self, value, shape)
            if written is not _SLOW:
                serialized[self.get_serialized_name(shape, key)] = written
                return
        original(self, serialized, value, shape, key)

    _serialize_type_structure.writes_attribute_values = True  # type: ignore[attr-defined]
    _serialize_type_structure.original = original  # type: ignore[attr-defined]
    setattr(base, original.__name__, _serialize_type_structure)
    return True


def list_method_names_once() -> bool:
    """Install patch 4 (idempotent); False when moto's code is not what it expects."""
    from moto.core import responses

    namespace = vars(responses)  # the module's globals: what `call_action` calls
    original = namespace["method_names_from_class"]
    if getattr(original, "cache_info", None) is not None:
        return True
    dispatch = inspect.getsource(responses.BaseResponse.call_action)
    if "method_names_from_class(self.__class__)" not in dispatch:
        return False
    namespace["method_names_from_class"] = functools.cache(original)
    return True


_SIZE_SOURCE = """\
        if self.is_number():
            value_size = number_size(str(self.value))
        elif self.is_set():
            sub_type = self.type[0]
            value_size = sum([DynamoType({sub_type: v}).size() for v in self.value])
        elif self.is_list():
            value_size = sum([v.size() for v in self.value])
        elif self.is_map():
            value_size = sum(
                [bytesize(k) + DynamoType(v).size() for k, v in self.value.items()]
            )
        elif isinstance(self.value, bool):
            value_size = 1
        else:
            value_size = bytesize(self.value)
        return value_size
"""


def size_without_copies() -> bool:
    """Install patch 5 (idempotent); False when moto's code is not what it expects."""
    from moto.dynamodb.models import dynamo_type

    kind = dynamo_type.DynamoType
    if getattr(kind.size, "sizes_in_place", False):
        return True
    if _SIZE_SOURCE not in inspect.getsource(kind.size):
        return False
    namespace = vars(dynamo_type)  # what moto's `size` calls
    number_size: Callable[[str], int] = namespace["number_size"]
    bytesize: Callable[[str | bytes], int] = namespace["bytesize"]
    sets = {"SS": "S", "NS": "N", "BS": "B"}

    def value_size(value: Any) -> int:
        """moto's `DynamoType.size()` of a `DynamoType` (or of the dict moto would wrap)."""
        if type(value) is not kind:
            value = kind(value)
        attribute, content = value.type, value.value
        if attribute == "N":
            return number_size(str(content))
        if attribute in sets:
            if attribute == "NS":
                return sum(number_size(str(v)) for v in content)
            return sum(1 if isinstance(v, bool) else bytesize(v) for v in content)
        if attribute == "L":
            return sum(value_size(v) for v in content)
        if attribute == "M":
            return sum(bytesize(k) + value_size(v) for k, v in content.items())
        if isinstance(content, bool):
            return 1
        return bytesize(content)

    def size(self: Any) -> int:
        return value_size(self)

    size.sizes_in_place = True  # type: ignore[attr-defined]
    size.original = kind.size  # type: ignore[attr-defined]
    kind.size = size  # type: ignore[method-assign]
    return _item_size_once_per_read()


_READS = ("query", "scan", "batch_get_item")
_item_size: list[Callable[[Any], int]] = []  # moto's `Item.size` (a test counts its calls)


def _item_size_once_per_read() -> bool:
    """Within one Query, Scan or BatchGetItem (which change no item), `Item.size()` of an item
    is worked out once; the item is kept with its size so that its id is not reused."""
    from moto.dynamodb.models.dynamo_type import Item
    from moto.dynamodb.responses import DynamoHandler

    original = Item.size
    if any(not callable(getattr(DynamoHandler, name, None)) for name in _READS):
        return False

    def size(self: Any) -> int:
        sizes: dict[int, tuple[Any, int]] | None = getattr(_state, "sizes", None)
        if sizes is None:
            return _item_size[0](self)
        known = sizes.get(id(self))
        if known is None:
            known = sizes[id(self)] = (self, _item_size[0](self))
        return known[1]

    def reading(action: Callable[[Any], Any]) -> Callable[[Any], Any]:
        @functools.wraps(action)
        def read(self: Any) -> Any:
            _state.sizes = {}
            try:
                return action(self)
            finally:
                _state.sizes = None

        return read

    _item_size[:] = [original]
    Item.size = size  # type: ignore[method-assign]
    for name in _READS:
        setattr(DynamoHandler, name, reading(getattr(DynamoHandler, name)))
    return True


def project_named_attributes() -> bool:
    """Install patch 6 (idempotent); False when moto's code is not what it expects."""
    from moto.dynamodb.models import dynamo_type

    item_type = dynamo_type.Item
    original = item_type.project
    if getattr(original, "projects_by_name", False):
        return True
    namespace = vars(dynamo_type)  # what moto's `project` calls
    if "find_nested_key(expr, self.to_regular_json())" not in inspect.getsource(original) or any(
        name not in namespace
        for name in ("deserializer", "serializer", "find_nested_key", "merge_dicts")
    ):
        return False
    deserializer, serializer = namespace["deserializer"], namespace["serializer"]
    find_nested_key, merge_dicts = namespace["find_nested_key"], namespace["merge_dicts"]

    def project(self: Any, projection_expressions: list[list[str]]) -> Any:
        if not all(len(path) == 1 and "[" not in path[0] for path in projection_expressions):
            return original(self, projection_expressions)
        document: dict[str, Any] = {}  # the item as plain Python, the named attributes only
        for (name,) in projection_expressions:
            attribute = self.attrs.get(name)
            if attribute is not None and name not in document:
                document[name] = deserializer.deserialize(attribute.to_regular_json())
        result: dict[str, Any] = {}
        for path in projection_expressions:
            merge_dicts(result, find_nested_key(path, document))
        return item_type(
            hash_key=self.hash_key,
            range_key=self.range_key,
            attrs=serializer.serialize(result)["M"],
        )

    project.projects_by_name = True  # type: ignore[attr-defined]
    project.original = original  # type: ignore[attr-defined]
    item_type.project = project  # type: ignore[method-assign]
    return True


_PKCS1_DIGESTS = {
    "RSASSA_PKCS1_V1_5_SHA_256": "SHA256",
    "RSASSA_PKCS1_V1_5_SHA_384": "SHA384",
    "RSASSA_PKCS1_V1_5_SHA_512": "SHA512",
}


def sign_digests() -> bool:
    """Install patch 7 (idempotent); False when moto's code is not what it expects."""
    import json

    from moto.kms.responses import KmsResponse

    original = KmsResponse.sign
    if getattr(original, "signs_digests", False):
        return True
    if "self.kms_backend.sign(" not in inspect.getsource(original):
        return False

    def sign(self: Any) -> str:
        algorithm = self._get_param("SigningAlgorithm")
        if self._get_param("MessageType") != "DIGEST" or algorithm not in _PKCS1_DIGESTS:
            return str(original(self))
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import padding, utils

        digest = self._get_param("Message")
        if isinstance(digest, str):
            digest = digest.encode("utf-8")  # as moto's own `sign` reads the message
        key = self.kms_backend.describe_key(self._get_param("KeyId"))
        private = getattr(key.private_key, "private_key", None)
        if private is None or not hasattr(private, "sign"):
            return str(original(self))
        hash_algorithm = getattr(hashes, _PKCS1_DIGESTS[algorithm])()
        signature = private.sign(digest, padding.PKCS1v15(), utils.Prehashed(hash_algorithm))
        return json.dumps(
            {
                "KeyId": key.arn,
                "Signature": base64.b64encode(signature).decode("ascii"),
                "SigningAlgorithm": algorithm,
            }
        )

    sign.signs_digests = True  # type: ignore[attr-defined]
    KmsResponse.sign = sign  # type: ignore[method-assign]
    return True


def install() -> list[str]:
    """Install the patches; returns the names of those moto's code did not allow."""
    patches = (
        roll_back_by_item,
        sort_keys_once,
        write_attribute_values,
        list_method_names_once,
        size_without_copies,
        project_named_attributes,
        sign_digests,
    )
    return [patch.__name__ for patch in patches if not patch()]
