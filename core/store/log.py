"""The append-only event log, and the projections written with it.

``EventLog.append(events)`` stores a batch in one transaction: it takes the
site's chain head under a lock, links each row to the one before, updates the
projections (sessions, plate reads, violations, actions) and moves the head.
When ``append`` returns, the batch is committed; a process killed before that
leaves no trace of it, and one killed after loses nothing.

Personal fields (plates, id tokens, wherever they occur, evidence included)
never reach the public part of a row: they are sealed with the site's key into
the row's personal part, and the projections carry only keyed hashes.
"""

from __future__ import annotations

import base64
import json
from collections import defaultdict
from dataclasses import dataclass
from typing import Any, Iterable, Mapping, Sequence

from sqlalchemy import Connection, Engine, bindparam, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite

from baytwin.core.events import Event, event_as_dict
from baytwin.core.privacy import KeyProblem, Keys
from baytwin.core.store import schema
from baytwin.core.rules.policy import Policy
from baytwin.core.store import replay
from baytwin.core.store.chain import GENESIS, canonical, personal_digest, row_hash, sha256_hex
from baytwin.core.store.commitments import CROP_COMMIT, POLICY_DIGEST, crop_commitment, personal_commitment, salt

PERSONAL_FIELDS = ("plate", "id_token")

DATA_CLASS = {
    "plate_read": "read", "vehicle_identified": "read", "vehicle_arrived": "presence", "vehicle_left": "presence",
    "session_started": "session", "session_active": "session", "session_suspended": "session",
    "session_ended": "session", "session_faulted": "session",
    "violation_opened": "violation", "violation_closed": "violation", "action_taken": "violation",
    "review_resolved": "read", "retention_purged": "audit",
    "operator_command": "session", "command_answered": "audit",  # a command may name an id token: kept as long as sessions
    "bay_unobserved": "presence", "charger_unavailable": "session", "charger_available": "session",
}


@dataclass(frozen=True, slots=True)
class Appended:
    site: str
    seq: int
    hash: str


def split_personal(data: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Move every personal field (at any depth, e.g. inside evidence) out of ``data``.

    Returns (public, personal) where personal maps a dotted path to the raw value.
    """
    personal: dict[str, Any] = {}

    def walk(node: Any, path: str) -> Any:
        if isinstance(node, dict):
            out = {}
            for key, value in node.items():
                here = f"{path}{key}"
                if key in PERSONAL_FIELDS and value is not None:
                    personal[here] = value
                    out[key] = "<personal>"
                else:
                    out[key] = walk(value, here + ".")
            return out
        if isinstance(node, list):
            return [walk(item, f"{path}{i}.") for i, item in enumerate(node)]
        return node

    return walk(data, ""), personal


def reveal(keys: Keys, public: str, personal: str | None) -> dict[str, Any]:
    """A stored row's event as it happened: the public part with its personal fields unsealed."""
    event = json.loads(public)
    if personal is not None:
        for dotted, value in keys.unseal(json.loads(personal)["sealed"]).items():
            node: Any = event
            parts = dotted.split(".")
            for part in parts[:-1]:
                node = node[int(part)] if isinstance(node, list) else node[part]
            node[parts[-1]] = value
    return event


class EventLog:
    def __init__(self, engine: Engine, keys: Keys, policy: Policy | None = None) -> None:
        self.engine = engine
        self.keys = keys
        self.policy_name = policy.name if policy else None
        self.policy_version = policy.version if policy else None
        self.policy_digest: str | None = None
        self._check_key()
        if policy is not None:
            self.policy_digest = self._keep_policy(policy)

    def _keep_policy(self, policy: Policy) -> str:
        """Store the policy document once, so every violation can name exactly what decided it."""
        document = canonical(policy.model_dump(mode="json"))
        digest = sha256_hex(document)
        maker = postgresql.insert if self.engine.dialect.name == "postgresql" else sqlite.insert
        with self.engine.begin() as conn:
            conn.execute(maker(schema.store_meta).values(name=f"policy:{digest}", value=document).on_conflict_do_nothing())
        return digest

    def _check_key(self) -> None:
        """The first key used with a store is the only one that opens it: refuse any other."""
        meta = schema.store_meta
        with self.engine.begin() as conn:
            found = conn.execute(select(meta.c.value).where(meta.c.name == "key_fingerprint")).scalar()
            if found is None:
                maker = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
                conn.execute(maker(meta).values(name="key_fingerprint", value=self.keys.fingerprint)
                             .on_conflict_do_nothing())
            elif found != self.keys.fingerprint:
                raise KeyProblem(f"this database was sealed with another key (key {found}, given {self.keys.fingerprint})")

    def append(self, events: Sequence[Event], crops: Mapping[int, bytes] | None = None) -> list[Appended]:
        """Store ``events`` (any sites) in one transaction; returns their chain positions.

        ``crops`` maps the index of an event (a plate read) to the image of the plate crop that
        an enforcement decision may need; it is sealed into that row's evidence part.
        """
        if not events:
            return []
        by_site: dict[str, list[tuple[Event, bytes | None]]] = defaultdict(list)
        for i, event in enumerate(events):
            by_site[event.site].append((event, crops.get(i) if crops else None))
        with self.engine.begin() as conn:
            return self.append_in(conn, by_site)

    def append_in(self, conn: Connection, by_site: Mapping[str, Sequence[Event | tuple[Event, bytes | None]]]) -> list[Appended]:
        """Append within the caller's transaction (so a change and its record commit together)."""
        appended: list[Appended] = []
        for site in sorted(by_site):
            items = [item if isinstance(item, tuple) else (item, None) for item in by_site[site]]
            appended += self._append_site(conn, site, items)
        return appended

    # --- one site's part of a batch ---------------------------------------------------------

    def _append_site(self, conn: Connection, site: str, events: list[tuple[Event, bytes | None]]) -> list[Appended]:
        seq, prev = self._lock_head(conn, site)
        rows, appended = [], []
        projections = _Projections(self, site)
        for event, crop in events:
            seq += 1
            data = event_as_dict(event)
            public_data, personal_fields = split_personal(data)
            subject = self._subject(site, personal_fields)
            row_salt = salt(self.keys, site, seq)
            personal = None
            if personal_fields:
                personal = canonical({"subject": subject, "sealed": self.keys.seal(personal_fields),
                                      "commit": personal_commitment(row_salt, personal_fields)})
            if crop:
                public_data[CROP_COMMIT] = crop_commitment(row_salt, crop)
            if event.kind == "violation_opened" and self.policy_digest:
                public_data[POLICY_DIGEST] = self.policy_digest
            public = canonical(public_data)
            digest = personal_digest(personal)
            evidence = self.keys.seal({"png": base64.b64encode(crop).decode("ascii")}) if crop else None
            evidence_digest = personal_digest(evidence)
            link = row_hash(prev, site, seq, event.ts, event.kind, event.bay, sha256_hex(public), digest, evidence_digest)
            rows.append({
                "site": site, "seq": seq, "ts": float(event.ts), "kind": event.kind, "bay": event.bay,
                "public": public, "personal": personal, "personal_digest": digest, "subject": subject,
                "evidence": evidence, "evidence_digest": evidence_digest,
                "data_class": DATA_CLASS.get(event.kind, "other"), "prev_hash": prev, "hash": link,
            })
            projections.add(event, seq, subject)
            appended.append(Appended(site, seq, link))
            prev = link
        conn.execute(insert(schema.event_log), rows)
        projections.write(conn)
        conn.execute(update(schema.chain_heads).where(schema.chain_heads.c.site == site).values(seq=seq, hash=prev))
        return appended

    def _lock_head(self, conn: Connection, site: str) -> tuple[int, str]:
        """The site's chain head, locked until commit (created at genesis if new)."""
        dialect = conn.dialect.name
        maker = postgresql.insert if dialect == "postgresql" else sqlite.insert
        conn.execute(maker(schema.chain_heads).values(site=site, seq=0, hash=GENESIS).on_conflict_do_nothing())
        query = select(schema.chain_heads.c.seq, schema.chain_heads.c.hash).where(schema.chain_heads.c.site == site)
        if dialect == "postgresql":
            query = query.with_for_update()
        seq, head = conn.execute(query).one()
        return int(seq), str(head)

    def _subject(self, site: str, personal_fields: dict[str, Any]) -> str | None:
        identifier = personal_fields.get("plate") or personal_fields.get("id_token")
        return self.keys.subject(site, identifier)


class _Projections:
    """The queryable tables, updated from a batch of events before it commits."""

    def __init__(self, log: EventLog, site: str) -> None:
        self.log, self.site = log, site
        self.reads: list[dict[str, Any]] = []
        self.actions: list[dict[str, Any]] = []
        self.violations_opened: list[dict[str, Any]] = []
        self.violations_closed: list[dict[str, Any]] = []
        self.session_changes: list[tuple[Event, str | None]] = []

    def add(self, event: Event, seq: int, subject: str | None) -> None:
        kind = event.kind
        if kind in ("plate_read", "vehicle_identified"):
            if replay.is_read(event):
                self.reads.append(replay.read_row(self.site, event, seq, subject))
        elif kind.startswith("session_"):
            self.session_changes.append((event, subject))
        elif kind == "violation_opened":
            policy = (self.log.policy_name, self.log.policy_version, self.log.policy_digest)
            opened = replay.violation_row(self.site, event, seq, subject, policy)
            for column in ("closed_at", "close_reason", "minutes"):
                del opened[column]
            self.violations_opened.append({**opened, "_evidence_from": replay.evidence_from(event)})
        elif kind == "violation_closed":
            self.violations_closed.append({"violation_id": event.violation_id,  # type: ignore[attr-defined]
                                           **replay.closing(event)})
        elif kind == "action_taken":
            self.actions.append(replay.action_row(self.site, event, seq, subject))

    def write(self, conn: Connection) -> None:
        if self.reads:
            conn.execute(insert(schema.plate_reads), self.reads)
        if self.violations_opened:  # a violation reported twice keeps its first record
            maker = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
            reads = schema.plate_reads
            for opened in self.violations_opened:  # the reads that decided it are kept as long as it is
                conn.execute(update(reads).where(reads.c.site == self.site, reads.c.bay == opened["bay"],
                                                 reads.c.ts >= opened["_evidence_from"], reads.c.ts <= opened["opened_at"])
                             .values(led_to_violation=True))
            rows = [{k: v for k, v in opened.items() if not k.startswith("_")} for opened in self.violations_opened]
            conn.execute(maker(schema.violations).on_conflict_do_nothing(), rows)
        for closed in self.violations_closed:
            conn.execute(update(schema.violations)
                         .where(schema.violations.c.violation_id == closed["violation_id"])
                         .values(closed_at=closed["closed_at"], close_reason=closed["close_reason"],
                                 minutes=closed["minutes"]))
        if self.actions:
            conn.execute(insert(schema.actions), self.actions)
        if self.session_changes:
            _write_sessions(conn, self.site, self.session_changes)


_SESSION_COLUMNS = ("bay", "subject", "started_at", "ended_at", "state", "energy_kwh", "current_a", "updated_at")


def _write_sessions(conn: Connection, site: str, changes: Iterable[tuple[Event, str | None]]) -> None:
    """Fold a batch's session events into their rows: one read for all of them, one statement per kind
    of write. A busy site sends many small batches; a query per session event would make the
    projection, not the log, the cost of every charger message."""
    table = schema.sessions
    changes = list(changes)
    ids = sorted({event.session_id for event, _ in changes})  # type: ignore[attr-defined]
    found = {row["session_id"]: dict(row) for row in conn.execute(
        select(table).where(table.c.site == site, table.c.session_id.in_(ids))).mappings()}
    latest: dict[str, dict[str, Any]] = {}
    for event, subject in changes:
        sid = event.session_id  # type: ignore[attr-defined]
        row = latest.get(sid)
        if row is None:
            row = found.get(sid) or {**replay.new_session(site, event), "_new": True}
            latest[sid] = row
        replay.apply_session(row, event, subject)
    inserts = [row for row in latest.values() if row.pop("_new", False)]
    updates = [{"b_site": site, "b_session_id": sid, **{c: row[c] for c in _SESSION_COLUMNS}}
               for sid, row in latest.items() if sid in found]
    if inserts:
        conn.execute(insert(table), inserts)
    if updates:
        conn.execute(update(table).where(table.c.site == bindparam("b_site"),
                                         table.c.session_id == bindparam("b_session_id"))
                     .values({c: bindparam(c) for c in _SESSION_COLUMNS}), updates)
