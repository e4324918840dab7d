"""Tables of the store (SQLAlchemy Core). Alembic migrations in ``migrations/`` create them.

``event_log`` is the record: append-only, hash-chained per site. The other
tables are projections of it, written in the same transaction, shaped for the
queries the dashboards and the central system make (open sessions per bay,
open violations per site, history per plate hash).
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Float,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData()

BigId = BigInteger().with_variant(Integer, "sqlite")  # SQLite only auto-increments INTEGER PRIMARY KEY

store_meta = Table(
    "store_meta", metadata,
    Column("name", String(128), primary_key=True),
    Column("value", Text, nullable=False),
)

chain_heads = Table(
    "chain_heads", metadata,
    Column("site", String(64), primary_key=True),
    Column("seq", BigInteger, nullable=False),
    Column("hash", String(64), nullable=False),
)

event_log = Table(
    "event_log", metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("site", String(64), nullable=False),
    Column("seq", BigInteger, nullable=False),
    Column("ts", Float, nullable=False),
    Column("kind", String(32), nullable=False),
    Column("bay", String(64), nullable=False),
    Column("public", Text, nullable=False),
    Column("personal", Text, nullable=True),  # encrypted/keyed personal fields; erased at end of retention
    Column("personal_digest", String(64), nullable=False),
    Column("evidence", Text, nullable=True),  # sealed plate crop (never a full frame); erased at end of evidence retention
    Column("evidence_digest", String(64), nullable=False),
    Column("subject", String(32)),  # keyed hash of the plate/token: an index for access requests, erased with personal
    Column("data_class", String(16), nullable=False),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
    UniqueConstraint("site", "seq", name="uq_event_log_site_seq"),
    Index("ix_event_log_kind_ts", "kind", "ts"),
    Index("ix_event_log_subject", "subject"),
    Index("ix_event_log_class_ts", "data_class", "ts"),
)

sessions = Table(
    "sessions", metadata,
    Column("site", String(64), primary_key=True),
    Column("session_id", String(64), primary_key=True),
    Column("bay", String(64), nullable=False),
    Column("subject", String(32)),  # keyed hash of the plate or id token
    Column("started_at", Float),
    Column("ended_at", Float),
    Column("state", String(16), nullable=False),  # started | charging | suspended_ev | suspended_evse | faulted | ended
    Column("energy_kwh", Float, nullable=False, default=0.0),
    Column("current_a", Float, nullable=False, default=0.0),
    Column("updated_at", Float, nullable=False),
    Index("ix_sessions_open_per_bay", "site", "bay", "ended_at"),
)

plate_reads = Table(
    "plate_reads", metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("site", String(64), nullable=False),
    Column("bay", String(64), nullable=False),
    Column("ts", Float, nullable=False),
    Column("subject", String(32)),
    Column("confidence", Float, nullable=False),
    Column("status", String(16), nullable=False),
    Column("source", String(16), nullable=False),
    Column("log_seq", BigInteger, nullable=False),
    Column("led_to_violation", Boolean, nullable=False, default=False),
    Index("ix_plate_reads_subject", "subject", "ts"),
    Index("ix_plate_reads_site_ts", "site", "ts"),
)

violations = Table(
    "violations", metadata,
    Column("violation_id", String(96), primary_key=True),
    Column("site", String(64), nullable=False),
    Column("bay", String(64), nullable=False),
    Column("rule", String(32), nullable=False),
    Column("subject", String(32)),
    Column("plate_confidence", Float, nullable=False, default=0.0),
    Column("opened_at", Float, nullable=False),
    Column("since", Float, nullable=False),
    Column("closed_at", Float),
    Column("close_reason", String(32)),
    Column("minutes", Float),
    Column("opened_seq", BigInteger, nullable=False),
    Column("policy_name", String(128)),
    Column("policy_version", String(32)),
    Column("policy_digest", String(64)),  # store_meta["policy:<digest>"] holds the policy document
    Index("ix_violations_open_per_site", "site", "closed_at"),
    Index("ix_violations_subject", "subject", "opened_at"),
)

actions = Table(
    "actions", metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("site", String(64), nullable=False),
    Column("violation_id", String(96), nullable=False),
    Column("ts", Float, nullable=False),
    Column("action", String(16), nullable=False),
    Column("subject", String(32)),
    Column("amount", Float, nullable=False, default=0.0),
    Column("until", Float),
    Column("log_seq", BigInteger, nullable=False),
    Index("ix_actions_violation", "violation_id"),
    Index("ix_actions_subject", "subject", "ts"),
)
