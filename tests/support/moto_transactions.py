"""moto's TransactWriteItems, with its rollback snapshot taken once per table instead of once
per item.

Why: before applying a transaction, moto deep-copies the whole table (items, indexes and the
stream's records) to restore it if the transaction is cancelled, and it does so for every item
of the transaction, keeping only the last copy. The copies are taken before anything changes,
so they are identical: making one per table keeps exactly the same rollback, and was about a
third of the unit tests' time (an award or a cascade writes many items in one transaction).

Only `transact_write_items` itself is affected: while it runs (on this thread), a deep copy of
a whole `Table` object is made once and reused. If moto's function no longer has the shape
this relies on (its one deep copy is the snapshot), nothing is patched. The patch holds for
the whole process, so the embedded moto server of the local-stack tests gets it too.
"""

from __future__ import annotations

import copy
import inspect
import threading
from typing import Any

_SNAPSHOT = "original_table_state[table_name] = copy.deepcopy("
_state = threading.local()


class _CopyModule:
    """`copy` as moto's DynamoDB models module sees it: a whole-table deep copy made inside
    `transact_write_items` is reused for the rest of that call; everything else is `copy`."""

    def __init__(self, table_type: type) -> None:
        self._table_type = table_type

    def __getattr__(self, name: str) -> Any:
        return getattr(copy, name)

    def deepcopy(self, value: Any, memo: dict[int, Any] | None = None) -> Any:
        snapshots: dict[int, Any] | None = getattr(_state, "snapshots", None)
        if snapshots is None or memo is not None or type(value) is not self._table_type:
            return copy.deepcopy(value, memo)
        if id(value) not in snapshots:
            snapshots[id(value)] = copy.deepcopy(value)
        return snapshots[id(value)]


def snapshot_tables_once() -> bool:
    """Install the patch (idempotent); False when moto's code is not what it expects."""
    import moto.dynamodb.models as models
    from moto.dynamodb.models.table import Table

    backend = models.DynamoDBBackend
    if getattr(backend.transact_write_items, "_snapshots_once", False):
        return True
    original = backend.transact_write_items
    source = inspect.getsource(original)
    if source.count("deepcopy") != 1 or _SNAPSHOT not in source or models.copy is not copy:
        return False

    def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
        outer = getattr(_state, "snapshots", None)
        _state.snapshots = {}
        try:
            original(self, transact_items)
        finally:
            _state.snapshots = outer

    transact_write_items._snapshots_once = True  # type: ignore[attr-defined]
    models.copy = _CopyModule(Table)  # type: ignore[assignment]
    backend.transact_write_items = transact_write_items  # type: ignore[method-assign]
    return True
