"""The first schema: event log with hash chain, and its projections.

Revision ID: 0001
Revises:
"""

from alembic import op

from core.store.schema import metadata

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

TABLES = ("store_meta", "chain_heads", "event_log", "sessions", "plate_reads", "violations", "actions")


def upgrade() -> None:
    bind = op.get_bind()
    metadata.create_all(bind, tables=[metadata.tables[name] for name in TABLES])


def downgrade() -> None:
    bind = op.get_bind()
    metadata.drop_all(bind, tables=[metadata.tables[name] for name in reversed(TABLES)])
