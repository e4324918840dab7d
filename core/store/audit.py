"""The whole audit of a store: the chain, every column of every row, the projections, the checkpoints.

Each part answers a different way of tampering: the chain walk (``core.store.verify``) edits,
insertions and deletions of rows; the rebuild (``core.store.rebuild``) edits of the tables the
chain does not cover; the checkpoints (``core.store.checkpoint``) a chain recomputed, cut short
or deleted by someone who could write the whole database. One report, read in one snapshot.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import Engine

from baytwin.core.store.checkpoint import Anchoring, Checkpoint, check
from baytwin.core.store.rebuild import Difference, compare_projections
from baytwin.core.store.verify import Verification, verify


@dataclass
class AuditReport:
    chain: Verification
    projections: list[Difference] = field(default_factory=list)
    anchoring: Anchoring | None = None
    checkpoint_problems: list[str] = field(default_factory=list)

    @property
    def intact(self) -> bool:
        anchored = self.anchoring is None or not self.anchoring.breaks
        return self.chain.intact and not self.projections and anchored and not self.checkpoint_problems

    def problems(self) -> list[str]:
        """One line per problem, chain breaks first."""
        lines = [f"broken: {b}" for b in self.chain.breaks]
        if self.anchoring is not None:
            known = {(b.site, b.seq) for b in self.chain.breaks}
            lines += [f"broken: {b}" for b in self.anchoring.breaks or [] if (b.site, b.seq) not in known]
        lines += [f"broken: {p}" for p in self.checkpoint_problems]
        lines += [f"projection differs from the log: {d}" for d in self.projections]
        return lines


def audit(engine: Engine, checkpoints: list[Checkpoint] | None = None, checkpoint_problems: list[str] | None = None,
          late_allowance: float | None = None) -> AuditReport:
    """Check everything the store holds; ``checkpoints`` (already signature-checked) anchor the chain."""
    with engine.connect() as conn:
        report = AuditReport(verify(conn), compare_projections(conn), None, list(checkpoint_problems or []))
        if checkpoints is not None:
            report.anchoring = check(conn, checkpoints) if late_allowance is None else check(conn, checkpoints, late_allowance)
    return report
