"""A camera's read is one row of ``plate_reads``, not two.

A camera identification is always written right after the plate read it came
from; both used to become rows, so every camera read was counted twice. The
projection now keeps only the read; this revision removes the copies already
stored (identifications from a patrol, a review or a charging token are reads
of their own and stay).

Revision ID: 0002
Revises: 0001
"""

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        "DELETE FROM plate_reads WHERE source = 'camera' AND EXISTS ("
        " SELECT 1 FROM event_log e WHERE e.site = plate_reads.site AND e.seq = plate_reads.log_seq"
        " AND e.kind = 'vehicle_identified')"
    )


def downgrade() -> None:
    pass  # the copies carried nothing the plate reads do not
