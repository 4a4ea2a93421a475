"""Where the import reads the original's rows: the seam between reading and writing.

Rows carry the original's exact table and column names (mozilla/badgekit-api
`app/migrations/*.js`): DATETIME/TIMESTAMP as naive UTC `datetime`, BLOB as `bytes`,
TINYINT/BOOLEAN as int, ENUM/TEXT as str, NULL as None.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any, Protocol


class Source(Protocol):
    def tables(self) -> list[str]: ...

    def count(self, table: str) -> int: ...

    def rows(self, table: str) -> Iterator[dict[str, Any]]: ...


class DictSource:
    """Rows held in memory (tests): a table absent from `tables` has no rows."""

    def __init__(self, tables: Mapping[str, Sequence[Mapping[str, Any]]]) -> None:
        self._tables = tables

    def tables(self) -> list[str]:
        return list(self._tables)

    def count(self, table: str) -> int:
        return len(self._tables.get(table, ()))

    def rows(self, table: str) -> Iterator[dict[str, Any]]:
        for row in self._tables.get(table, ()):
            yield dict(row)
