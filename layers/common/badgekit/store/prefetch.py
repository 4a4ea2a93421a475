"""The reads of one GET request, made ahead in one round trip and kept for the request.

`badgekit.http.resolve` plans, from the URL and the directory's guesses (`store/directory.py`),
the items a request will read (the consumer of its key, the path's system, issuer, program,
badge and child, the badge's issuer and program) and the Queries it will make (e.g. a system's
containers), and `read` makes them all at once: one strongly consistent BatchGetItem, run
concurrently with the Queries (`db.fan_out`). The store's read functions then take an item from
here when its key (or a Query, by its parameters) was read ahead, and read it otherwise.

Safe by construction: an item is found here only under the exact key the caller builds from the
ids it really read, so a wrong guess is a key nobody asks for (discarded), never a wrong answer.
Only GET requests keep reads (`begin`): they write nothing the same request reads again, so an
item read at the start of the request is as current as one read later in it. Outside a request,
every read goes to the table.
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from badgekit.store import db, directory, keys

Item = db.Item
QueryName = tuple[Hashable, ...]
Runner = Callable[[], Iterable[Item]]
Planned = tuple[QueryName, Runner]  # a Query a request may make: its name and how to make it


@dataclass
class Reads:
    items: dict[tuple[str, str], Item | None] = field(default_factory=dict)
    queries: dict[QueryName, list[Item]] = field(default_factory=dict)


_reads: contextvars.ContextVar[Reads | None] = contextvars.ContextVar(
    "badgekit_reads", default=None
)


def begin() -> contextvars.Token[Reads | None]:
    """Keep this request's reads (GET requests only) until `end`."""
    return _reads.set(Reads())


def end(token: contextvars.Token[Reads | None]) -> None:
    _reads.reset(token)


def active() -> bool:
    return _reads.get() is not None


def _pair(key: keys.Key) -> tuple[str, str]:
    return (key["PK"], key["SK"])


def known(key: keys.Key) -> tuple[bool, Item | None]:
    """(True, item or None when absent) if this request already read `key`, else (False, None)."""
    reads = _reads.get()
    if reads is None or _pair(key) not in reads.items:
        return False, None
    return True, reads.items[_pair(key)]


def known_item(key: keys.Key) -> Item | None:
    """The item at `key` if this request already read it (and it exists), else None."""
    return known(key)[1]


def get(key: keys.Key) -> Item | None:
    """The item at `key`: as read ahead by this request, else one consistent GetItem."""
    found, item = known(key)
    if found:
        return item
    item = db.get(key)
    directory.learn(item)
    reads = _reads.get()
    if reads is not None:
        reads.items[_pair(key)] = item
    return item


def query(name: QueryName, run: Runner) -> list[Item]:
    """The items of a Query named by its parameters: as made ahead by this request, else `run`."""
    reads = _reads.get()
    if reads is not None and name in reads.queries:
        return reads.queries[name]
    result = list(run())
    if reads is not None:
        reads.queries[name] = result
    return result


def queries(planned: Sequence[Planned]) -> list[list[Item]]:
    """The items of several Queries (by name, as `query`), in order: those made ahead by this
    request from here, the others made now, concurrently (`db.fan_out`)."""
    reads = _reads.get()
    missing = [(name, run) for name, run in planned if reads is None or name not in reads.queries]
    results = db.fan_out(lambda job: list(job[1]()), missing)
    made = {name: items for (name, _), items in zip(missing, results, strict=True)}
    if reads is not None:
        reads.queries.update(made)
        return [reads.queries[name] for name, _ in planned]
    return [made[name] for name, _ in planned]


def read(key_list: Sequence[keys.Key], queries: Mapping[QueryName, Runner] | None = None) -> None:
    """One round trip: a BatchGetItem of those `key_list` not read yet, and the `queries` not
    made yet, concurrently; everything kept for this request (nothing when no request keeps
    reads)."""
    reads = _reads.get()
    if reads is None:
        return
    wanted: dict[tuple[str, str], keys.Key] = {}
    for key in key_list:
        if _pair(key) not in reads.items:
            wanted.setdefault(_pair(key), {"PK": key["PK"], "SK": key["SK"]})
    jobs: list[tuple[QueryName | None, Runner]] = []
    if wanted:
        batch = list(wanted.values())
        if len(batch) == 1:  # one item: a GetItem (the lighter call)
            jobs.append((None, lambda: [item] if (item := db.get(batch[0])) else []))
        else:
            jobs.append((None, lambda: db.batch_get(batch)))
    jobs.extend((name, run) for name, run in (queries or {}).items() if name not in reads.queries)
    if not jobs:
        return
    results = db.fan_out(lambda job: list(job[1]()), jobs)
    for (name, _), items in zip(jobs, results, strict=True):
        if name is None:
            found = {_pair(item): item for item in items}
            for pair in wanted:
                reads.items[pair] = found.get(pair)
            directory.learn_all(items)
        else:
            reads.queries[name] = items


def batch_get(key_list: Sequence[keys.Key]) -> list[Item]:
    """`db.batch_get` (request order, missing items skipped) taking what this request already
    read from here: one BatchGetItem of the rest, if any."""
    if not active():
        items = db.batch_get(key_list)
        directory.learn_all(items)
        return items
    read(key_list)
    return [item for item in (known_item(key) for key in key_list) if item is not None]
