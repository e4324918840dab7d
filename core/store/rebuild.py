"""Rebuilding the projections from the log, to prove the tables say what the log says.

The chain protects the log; the tables beside it (sessions, plate reads, violations, actions)
are what dashboards, the central system and fee collection read, and the chain does not cover
them. So the audit replays every site's log with the very functions that wrote the tables
(``core.store.replay``) and compares row by row and column by column. Erasure is the one
legitimate difference: a subject hash may be missing (or a read that led to nothing deleted)
where a chained ``retention_purged`` record of the site covers the row's time.
"""

from __future__ import annotations

import bisect
import json
from dataclasses import dataclass
from typing import Any, Iterator

from sqlalchemy import Connection, select

from baytwin.core.events import event_from_dict
from baytwin.core.store import replay, schema
from baytwin.core.store.chain import canonical, sha256_hex
from baytwin.core.store.commitments import POLICY_DIGEST
from baytwin.core.store.verify import retention_records

EITHER = object()  # a rebuilt value that may legitimately be either (a read marked by a later row of the same batch)


@dataclass(frozen=True, slots=True)
class Difference:
    table: str
    key: str
    problem: str

    def __str__(self) -> str:
        return f"{self.table} {self.key}: {self.problem}"


@dataclass
class _Rebuilt:
    sessions: dict[tuple[str, str], dict[str, Any]]
    reads: dict[tuple[str, int], dict[str, Any]]
    violations: dict[str, dict[str, Any]]
    actions: dict[tuple[str, int], dict[str, Any]]
    erased_before: dict[str, float]  # per site: the latest time any retention record erased up to
    unreadable: list[Difference]  # log rows the replay had to skip


def compare_projections(conn: Connection) -> list[Difference]:
    """Every difference between the projection tables and the log replayed; empty when they agree."""
    problems = list(_check_policies(conn))
    rebuilt = _replay(conn)
    problems += rebuilt.unreadable
    problems += _compare(conn, "sessions", schema.sessions, rebuilt.sessions, ("site", "session_id"),
                         lambda row: row["started_at"] if row["started_at"] is not None else row["updated_at"], rebuilt)
    problems += _compare(conn, "plate_reads", schema.plate_reads, rebuilt.reads, ("site", "log_seq"),
                         lambda row: row["ts"], rebuilt, skip=("id",))
    problems += _compare(conn, "violations", schema.violations, rebuilt.violations, ("violation_id",),
                         lambda row: row["opened_at"], rebuilt)
    problems += _compare(conn, "actions", schema.actions, rebuilt.actions, ("site", "log_seq"),
                         lambda row: row["ts"], rebuilt, skip=("id",))
    return problems


def _check_policies(conn: Connection) -> Iterator[Difference]:
    """Each stored policy document must be the one its name's digest says."""
    meta = schema.store_meta.c
    for name, value in conn.execute(select(meta.name, meta.value).where(meta.name.like("policy:%"))):
        digest = name.removeprefix("policy:")
        try:
            matches = sha256_hex(canonical(json.loads(value))) == digest
        except ValueError:
            matches = False
        if not matches:
            yield Difference("store_meta", name[:19] + "…", "the policy document does not match its digest (edited)")


def _policy_of(conn: Connection, digest: str | None, cache: dict[str, tuple[Any, Any]]) -> tuple[Any, Any, Any]:
    if digest is None:
        return EITHER, EITHER, EITHER  # a row from before violations named their policy in the chain
    if digest not in cache:
        text = conn.execute(select(schema.store_meta.c.value).where(schema.store_meta.c.name == f"policy:{digest}")).scalar()
        document = json.loads(text) if text else {}
        cache[digest] = (document.get("name"), document.get("version"))
    return (*cache[digest], digest)


def _replay(conn: Connection) -> _Rebuilt:
    t = schema.event_log.c
    rebuilt = _Rebuilt({}, {}, {}, {}, {}, [])
    policies: dict[str, tuple[Any, Any]] = {}
    sites = sorted({site for site in conn.execute(select(t.site).distinct()).scalars()})
    for site in sites:
        erasures = retention_records(conn, site)
        rebuilt.erased_before[site] = max((before for _, _, before in erasures), default=float("-inf"))
        reads = _Reads()
        query = (select(t.seq, t.kind, t.public, t.subject).where(t.site == site).order_by(t.seq)
                 .execution_options(yield_per=5000))
        for seq, kind, public, subject in conn.execute(query):
            try:
                data = json.loads(public)
                event = event_from_dict(data)
            except (ValueError, KeyError, TypeError, AttributeError):
                rebuilt.unreadable.append(Difference("event_log", f"{site}/{seq}", "cannot be replayed: its public part "
                                                     "is not an event the log writes (edited)"))
                continue
            if kind in ("plate_read", "vehicle_identified") and replay.is_read(event):
                row = replay.read_row(site, event, seq, subject)
                rebuilt.reads[(site, seq)] = row
                reads.add(row)
            elif kind.startswith("session_"):
                row = rebuilt.sessions.setdefault((site, event.session_id), replay.new_session(site, event))  # type: ignore[attr-defined]
                replay.apply_session(row, event, subject)
            elif kind == "violation_opened":
                reads.opened(event)
                if event.violation_id not in rebuilt.violations:  # type: ignore[attr-defined]
                    policy = _policy_of(conn, data.get(POLICY_DIGEST), policies)
                    rebuilt.violations[event.violation_id] = replay.violation_row(site, event, seq, subject, policy)  # type: ignore[attr-defined]
            elif kind == "violation_closed" and event.violation_id in rebuilt.violations:  # type: ignore[attr-defined]
                rebuilt.violations[event.violation_id].update(replay.closing(event))  # type: ignore[attr-defined]
            elif kind == "action_taken":
                rebuilt.actions[(site, seq)] = replay.action_row(site, event, seq, subject)
    return rebuilt


class _Reads:
    """One site's reads per bay in time order, to mark those that decided a violation.

    A read logged before a violation's opening, in its window (its bay, from its first evidence to
    its opening), is marked. A read logged after an opening whose window it falls in (a late read)
    was marked only if it came in the same batch, which the log does not record: either is accepted.
    """

    def __init__(self) -> None:
        self.by_bay: dict[str, list[tuple[float, int, dict[str, Any]]]] = {}
        self.windows: dict[str, list[tuple[float, float]]] = {}

    def add(self, row: dict[str, Any]) -> None:
        bisect.insort(self.by_bay.setdefault(row["bay"], []), (row["ts"], row["log_seq"], row), key=lambda r: r[:2])
        if any(start <= row["ts"] <= end for start, end in self.windows.get(row["bay"], ())):
            row["led_to_violation"] = EITHER

    def opened(self, event: Any) -> None:
        start, end = replay.evidence_from(event), event.ts
        if start > end:
            return
        self.windows.setdefault(event.bay, []).append((start, end))
        reads = self.by_bay.get(event.bay, [])
        first = bisect.bisect_left(reads, (start, -1), key=lambda r: r[:2])
        for ts, _seq, row in reads[first:]:
            if ts > end:
                break
            row["led_to_violation"] = True


def _compare(conn: Connection, name: str, table: Any, rebuilt: dict[Any, dict[str, Any]], key_columns: tuple[str, ...],
             when: Any, state: _Rebuilt, skip: tuple[str, ...] = ()) -> list[Difference]:
    problems: list[Difference] = []
    seen = set()
    for stored in conn.execute(select(table)).mappings():
        key = tuple(stored[c] for c in key_columns)
        key = key[0] if len(key) == 1 else key
        label = "/".join(str(part) for part in (key if isinstance(key, tuple) else (key,)))
        expected = rebuilt.get(key)
        if expected is None:
            problems.append(Difference(name, label, "has no event in the log (added)"))
            continue
        seen.add(key)
        for column, value in stored.items():
            if column in skip or column in key_columns:
                continue
            if column not in expected:  # a column added to the table but not to the replay must not pass unchecked
                problems.append(Difference(name, label, f"{column}: the audit cannot rebuild this column from the log"))
                continue
            want = expected[column]
            if want is EITHER or value == want:
                continue
            if column == "subject" and (value is None or want is None) and _erased(state, stored, when):
                continue
            problems.append(Difference(name, label, f"{column} is {value!r}, the log says {want!r}"))
    for key, expected in rebuilt.items():
        if key in seen:
            continue
        label = "/".join(str(part) for part in (key if isinstance(key, tuple) else (key,)))
        if name == "plate_reads" and expected["led_to_violation"] is not True and _erased(state, expected, when):
            continue  # a read that led to nothing, deleted at the end of its retention
        problems.append(Difference(name, label, "is in the log but missing from the table (deleted)"))
    return problems


def _erased(state: _Rebuilt, row: Any, when: Any) -> bool:
    moment = when(row)
    return moment is not None and state.erased_before.get(row["site"], float("-inf")) > moment
