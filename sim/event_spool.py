"""A run's events, written to disk in chunks as the run goes, so memory does not grow with them.

A site-year of a large site produces millions of events (most of them chargers' meter values).
Held as Python objects until the end they cost about a kilobyte each, and building one table
from them at the end costs as much again. The spool keeps a small buffer, turns it into an
Arrow record batch when it fills (one column per field of any event type, a row per event, in
the order the run produced them, which is time order) and appends it to a Parquet file in a
private temporary folder. At the end the file is rewritten, batch by batch, as the run's
``events.parquet`` with real timestamps.

The spool keeps times as float seconds, not timestamps, so an event read back is the event
that was written, bit for bit: the store is filled from it (``sim.runner.persist``).
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterator
from dataclasses import fields
from operator import attrgetter
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from baytwin.core.events import EVENT_TYPES, Event

#: Fields that hold a time (float seconds in the spool, UTC timestamps in the events table).
TIME_COLUMNS = ("ts", "since", "until")


def _arrow_type(annotation: str) -> pa.DataType:
    """The column type for a field, from its annotation (``str | None``, ``float``, ...)."""
    base = annotation.replace(" ", "").replace("|None", "")
    return {"float": pa.float64(), "int": pa.int64(), "bool": pa.bool_()}.get(base, pa.string())


def _event_schema() -> pa.Schema:
    columns: dict[str, pa.DataType] = {"kind": pa.string()}
    for cls in EVENT_TYPES.values():
        hints = {f.name: f.type for f in fields(cls)}
        for name, annotation in hints.items():
            columns.setdefault(name, _arrow_type(str(annotation)))
    return pa.schema([pa.field(name, kind) for name, kind in columns.items()])


#: The spool's schema: the union of every event type's fields.
SPOOL_SCHEMA = _event_schema()
EVENT_COLUMNS = SPOOL_SCHEMA.names
#: The events table's schema: the spool's, with the time columns as UTC timestamps.
TABLE_SCHEMA = pa.schema([
    pa.field(f.name, pa.timestamp("ns", tz="UTC")) if f.name in TIME_COLUMNS else f for f in SPOOL_SCHEMA])

_NAMES: dict[type[Event], tuple[str, ...]] = {cls: tuple(f.name for f in fields(cls)) for cls in EVENT_TYPES.values()}
_GETTERS: dict[type[Event], dict[str, attrgetter]] = {cls: {name: attrgetter(name) for name in names} for cls, names in _NAMES.items()}
_TYPES: tuple[type[Event], ...] = tuple(EVENT_TYPES.values())
_TYPE_CODE: dict[type[Event], int] = {cls: code for code, cls in enumerate(_TYPES)}


def _evidence_json(evidence: tuple[Event, ...]) -> str:
    return json.dumps([[e.kind, e.ts] for e in evidence])


def events_to_batch(events: list[Event]) -> pa.RecordBatch:
    """One record batch of ``events`` in their order: the events are grouped by type (stably, in
    NumPy), each type's fields are read a column at a time (``map`` over an attribute getter, in C),
    and the rows are put back in order by position."""
    codes = np.fromiter(map(_TYPE_CODE.__getitem__, map(type, events)), dtype=np.int16, count=len(events))
    order = np.argsort(codes, kind="stable")
    grouped = [events[i] for i in order.tolist()]
    counts = np.bincount(codes, minlength=len(_TYPES))
    parts = []
    start = 0
    for code in np.flatnonzero(counts).tolist():
        cls, stop = _TYPES[code], start + int(counts[code])
        members = grouped[start:stop]
        arrays: dict[str, pa.Array] = {"kind": pa.array([cls.kind] * len(members), pa.string())}
        for name in _NAMES[cls]:
            values = list(map(_GETTERS[cls][name], members))
            if name == "evidence":
                values = [_evidence_json(v) for v in values]
            arrays[name] = pa.array(values, SPOOL_SCHEMA.field(name).type)
        parts.append(pa.table(arrays))
        start = stop
    table = pa.concat_tables(parts, promote_options="default") if len(parts) > 1 else parts[0]
    if len(parts) > 1:  # back to the events' own order: grouped row k is event ``order[k]``
        table = table.take(pa.array(np.argsort(order, kind="stable")))
    full = [table[name] if name in table.column_names else pa.nulls(len(table), SPOOL_SCHEMA.field(name).type)
            for name in EVENT_COLUMNS]
    return pa.Table.from_arrays(full, schema=SPOOL_SCHEMA).combine_chunks().to_batches()[0]


def _as_table_batch(batch: pa.RecordBatch) -> pa.RecordBatch:
    """A spool batch with its time columns as UTC timestamps (nanoseconds, as pandas makes them)."""
    arrays = []
    for name in EVENT_COLUMNS:
        column = batch.column(name)
        if name in TIME_COLUMNS:
            column = _timestamps(column)
        arrays.append(column)
    return pa.RecordBatch.from_arrays(arrays, schema=TABLE_SCHEMA)


def _timestamps(seconds: pa.Array) -> pa.Array:
    """Float seconds as UTC nanosecond timestamps, whole seconds and fraction apart (as pandas
    converts them), so the table's times are those ``pd.to_datetime(unit="s")`` gives."""
    whole = pc.floor(seconds)
    nanos = pc.add(pc.multiply(pc.cast(whole, pa.int64()), 1_000_000_000),
                   pc.cast(pc.round(pc.multiply(pc.subtract(seconds, whole), 1e9)), pa.int64()))
    return nanos.cast(pa.timestamp("ns", tz="UTC"))


class EventSpool:
    """Append events in time order; read them back, or write them out as the events table."""

    def __init__(self, chunk_rows: int = 50_000, folder: Path | None = None) -> None:
        self.chunk_rows = chunk_rows
        self._temporary = tempfile.TemporaryDirectory(prefix="baytwin-events-", dir=folder)
        self._parts: list[Path] = []  # a new part each time writing resumes after the spool was read
        self._buffer: list[Event] = []
        self._writer: pq.ParquetWriter | None = None
        self._written = 0

    def __len__(self) -> int:
        return self._written + len(self._buffer)

    def append(self, event: Event) -> None:
        self._buffer.append(event)
        if len(self._buffer) >= self.chunk_rows:
            self.flush()

    def flush(self) -> None:
        """Write the buffer out as one row group."""
        if not self._buffer:
            return
        if self._writer is None:
            part = Path(self._temporary.name) / f"part-{len(self._parts):04d}.parquet"
            self._writer = pq.ParquetWriter(part, SPOOL_SCHEMA, compression="zstd")
            self._parts.append(part)
        self._writer.write_batch(events_to_batch(self._buffer))
        self._written += len(self._buffer)
        self._buffer = []

    def _sealed(self) -> None:
        self.flush()
        if self._writer is not None:
            self._writer.close()
            self._writer = None

    def batches(self) -> Iterator[pa.RecordBatch]:
        """The spool's rows so far, a row group at a time (writing is finished first)."""
        self._sealed()
        for part in list(self._parts):
            with pq.ParquetFile(part) as spool:
                for group in range(spool.num_row_groups):
                    yield from spool.read_row_group(group).to_batches()

    def write_table(self, target: Path) -> None:
        """The events table (times as UTC timestamps), written batch by batch: memory stays that of one batch."""
        with pq.ParquetWriter(target, TABLE_SCHEMA, compression="snappy") as writer:
            for batch in self.batches():
                writer.write_batch(_as_table_batch(batch))

    def frame(self) -> pd.DataFrame:
        """The whole events table in memory: for small runs, tests and notebooks."""
        batches = [_as_table_batch(b) for b in self.batches()]
        table = pa.Table.from_batches(batches, schema=TABLE_SCHEMA)
        return table.to_pandas()

    def events(self) -> Iterator[Event]:
        """The events back, as the objects that were appended (evidence reduced to kinds and times)."""
        for batch in self.batches():
            for row in batch.to_pylist():
                yield event_from_row(row)

    def close(self) -> None:
        """Drop the spool's file."""
        if self._writer is not None:
            self._writer.close()
            self._writer = None
        self._temporary.cleanup()


def event_from_row(row: dict[str, Any]) -> Event:
    """An input event from its spool row. Output events' evidence is only kinds and times in the
    table; the recorder keeps those events whole."""
    cls = EVENT_TYPES[row["kind"]]
    values = {name: row[name] for name in _NAMES[cls] if name != "evidence"}
    return cls(**values)


__all__ = ["EVENT_COLUMNS", "EventSpool", "SPOOL_SCHEMA", "TABLE_SCHEMA", "event_from_row", "events_to_batch"]
