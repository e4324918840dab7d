"""The first schema: event log with hash chain, and its projections.

Written out in full (not generated from the live models) so that this
revision creates the same tables forever; later changes are later revisions.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "store_meta",
        sa.Column("name", sa.String(128), primary_key=True),
        sa.Column("value", sa.Text(), nullable=False),
    )
    op.create_table(
        "chain_heads",
        sa.Column("site", sa.String(64), primary_key=True),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
    )
    op.create_table(
        "event_log",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("site", sa.String(64), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("ts", sa.Float(), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("bay", sa.String(64), nullable=False),
        sa.Column("public", sa.Text(), nullable=False),
        sa.Column("personal", sa.Text(), nullable=True),
        sa.Column("personal_digest", sa.String(64), nullable=False),
        sa.Column("evidence", sa.Text(), nullable=True),
        sa.Column("evidence_digest", sa.String(64), nullable=False),
        sa.Column("subject", sa.String(32), nullable=True),
        sa.Column("data_class", sa.String(16), nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.UniqueConstraint("site", "seq", name="uq_event_log_site_seq"),
    )
    op.create_index("ix_event_log_kind_ts", "event_log", ["kind", "ts"])
    op.create_index("ix_event_log_subject", "event_log", ["subject"])
    op.create_index("ix_event_log_class_ts", "event_log", ["data_class", "ts"])
    op.create_table(
        "sessions",
        sa.Column("site", sa.String(64), primary_key=True),
        sa.Column("session_id", sa.String(64), primary_key=True),
        sa.Column("bay", sa.String(64), nullable=False),
        sa.Column("subject", sa.String(32), nullable=True),
        sa.Column("started_at", sa.Float(), nullable=True),
        sa.Column("ended_at", sa.Float(), nullable=True),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("energy_kwh", sa.Float(), nullable=False),
        sa.Column("current_a", sa.Float(), nullable=False),
        sa.Column("updated_at", sa.Float(), nullable=False),
    )
    op.create_index("ix_sessions_open_per_bay", "sessions", ["site", "bay", "ended_at"])
    op.create_table(
        "plate_reads",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("site", sa.String(64), nullable=False),
        sa.Column("bay", sa.String(64), nullable=False),
        sa.Column("ts", sa.Float(), nullable=False),
        sa.Column("subject", sa.String(32), nullable=True),
        sa.Column("confidence", sa.Float(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("log_seq", sa.BigInteger(), nullable=False),
        sa.Column("led_to_violation", sa.Boolean(), nullable=False),
    )
    op.create_index("ix_plate_reads_subject", "plate_reads", ["subject", "ts"])
    op.create_index("ix_plate_reads_site_ts", "plate_reads", ["site", "ts"])
    op.create_table(
        "violations",
        sa.Column("violation_id", sa.String(96), primary_key=True),
        sa.Column("site", sa.String(64), nullable=False),
        sa.Column("bay", sa.String(64), nullable=False),
        sa.Column("rule", sa.String(32), nullable=False),
        sa.Column("subject", sa.String(32), nullable=True),
        sa.Column("plate_confidence", sa.Float(), nullable=False),
        sa.Column("opened_at", sa.Float(), nullable=False),
        sa.Column("since", sa.Float(), nullable=False),
        sa.Column("closed_at", sa.Float(), nullable=True),
        sa.Column("close_reason", sa.String(32), nullable=True),
        sa.Column("minutes", sa.Float(), nullable=True),
        sa.Column("opened_seq", sa.BigInteger(), nullable=False),
        sa.Column("policy_name", sa.String(128), nullable=True),
        sa.Column("policy_version", sa.String(32), nullable=True),
        sa.Column("policy_digest", sa.String(64), nullable=True),
    )
    op.create_index("ix_violations_open_per_site", "violations", ["site", "closed_at"])
    op.create_index("ix_violations_subject", "violations", ["subject", "opened_at"])
    op.create_table(
        "actions",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("site", sa.String(64), nullable=False),
        sa.Column("violation_id", sa.String(96), nullable=False),
        sa.Column("ts", sa.Float(), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("subject", sa.String(32), nullable=True),
        sa.Column("amount", sa.Float(), nullable=False),
        sa.Column("until", sa.Float(), nullable=True),
        sa.Column("log_seq", sa.BigInteger(), nullable=False),
    )
    op.create_index("ix_actions_violation", "actions", ["violation_id"])
    op.create_index("ix_actions_subject", "actions", ["subject", "ts"])


def downgrade() -> None:
    for table in ("actions", "violations", "plate_reads", "sessions", "event_log", "chain_heads", "store_meta"):
        op.drop_table(table)
