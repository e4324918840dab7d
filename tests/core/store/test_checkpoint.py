"""Signed checkpoints outside the database catch what a consistent rewrite of the whole database hides.

Each manipulation here leaves the chain walk and the projections intact (the attacker could write
every table), and only the checkpoints give it away.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import Connection, Engine, delete, select, update

from baytwin.core.events import ActionTaken, VehicleLeft
from baytwin.core.privacy import Keys
from baytwin.core.store import schema
from baytwin.core.store.audit import audit
from baytwin.core.store.chain import row_hash, sha256_hex
from baytwin.core.store.checkpoint import CheckpointProblem, load, write_checkpoint, write_checkpoints
from baytwin.core.store.log import EventLog
from baytwin.core.store.signing import Signer

from .test_log import day

NOW = 2_000_000.0


@pytest.fixture(scope="module")
def signer() -> Signer:
    return Signer.generate()


@pytest.fixture
def log(engine: Engine, keys: Keys) -> EventLog:
    log = EventLog(engine, keys)
    log.append(day("s1") + day("s2"))
    log.append(day("s1", "EV002", "x2"))
    return log


@pytest.fixture
def anchored(log: EventLog, signer: Signer, tmp_path: Path) -> Path:
    folder = tmp_path / "checkpoints"
    assert len(write_checkpoints(log.engine, signer, folder, NOW)) == 2
    return folder


def _audit(engine: Engine, folder: Path, signer: Signer, late_allowance: float = 3600.0) -> list[str]:
    checkpoints, problems = load(folder, signer.public)
    report = audit(engine, checkpoints, problems, late_allowance)
    assert report.chain.intact and not report.projections  # the manipulation fooled everything but the checkpoints
    return report.problems()


def _recompute(conn: Connection, site: str) -> None:
    """Re-link every row of the site's chain and move its head, as someone who can write the database would."""
    t = schema.event_log
    prev = "0" * 64
    rows = conn.execute(select(t).where(t.c.site == site).order_by(t.c.seq)).mappings().all()
    for row in rows:
        link = row_hash(prev, site, row["seq"], row["ts"], row["kind"], row["bay"], sha256_hex(row["public"]),
                        row["personal_digest"], row["evidence_digest"])
        conn.execute(update(t).where(t.c.id == row["id"]).values(prev_hash=prev, hash=link))
        prev = link
    conn.execute(update(schema.chain_heads).where(schema.chain_heads.c.site == site)
                 .values(seq=rows[-1]["seq"] if rows else 0, hash=prev))


def test_an_untouched_log_holds_to_its_checkpoints(log: EventLog, anchored: Path, signer: Signer) -> None:
    checkpoints, problems = load(anchored, signer.public)
    assert problems == [] and {(c.site, c.seq) for c in checkpoints} == {("s1", 18), ("s2", 9)}
    report = audit(log.engine, checkpoints, problems)
    assert report.intact and report.anchoring is not None and report.anchoring.unanchored == {}
    record = json.loads(next(anchored.glob("s1-*.json")).read_text())
    assert set(record) == {"site", "seq", "hash", "head_ts", "written_at", "key_id", "signature"}


def test_later_rows_dated_later_are_fine_and_counted_as_not_yet_anchored(log: EventLog, anchored: Path,
                                                                         signer: Signer) -> None:
    log.append([VehicleLeft(5000.0, "s1", "EV001", "camera")])
    checkpoints, problems = load(anchored, signer.public)
    report = audit(log.engine, checkpoints, problems)
    assert report.intact and report.anchoring.unanchored == {"s1": 1}  # type: ignore[union-attr]


def test_a_truncated_tail_with_the_head_rewound_is_found(log: EventLog, anchored: Path, signer: Signer) -> None:
    t, heads = schema.event_log, schema.chain_heads
    with log.engine.begin() as conn:
        conn.execute(delete(t).where(t.c.site == "s1", t.c.seq > 15))
        for table in (schema.actions, schema.plate_reads):
            conn.execute(delete(table).where(table.c.site == "s1", table.c.log_seq > 15))
        conn.execute(update(schema.violations).where(schema.violations.c.violation_id == "s1/EV002/1")
                     .values(closed_at=None, close_reason=None, minutes=None))
        conn.execute(update(schema.sessions).where(schema.sessions.c.session_id == "x2")
                     .values(state="charging", ended_at=None, energy_kwh=0.0, current_a=16.0, updated_at=161.0))
        last = conn.execute(select(t.c.hash).where(t.c.site == "s1", t.c.seq == 15)).scalar_one()
        conn.execute(update(heads).where(heads.c.site == "s1").values(seq=15, hash=last))
    problems = _audit(log.engine, anchored, signer)
    assert len(problems) == 1 and "site s1, row 16: the log ends at row 15" in problems[0]
    assert "rows were removed from the end" in problems[0]


def test_rows_appended_and_backdated_with_the_head_moved_are_found(log: EventLog, anchored: Path, signer: Signer) -> None:
    log.append([ActionTaken(950.0, "s1", "EV001", "s1/EV001/1", "fee", None, None, 120.0)])  # a fee "at the time"
    problems = _audit(log.engine, anchored, signer, late_allowance=60.0)
    assert len(problems) == 1
    assert "site s1, row 19: logged after the checkpoint" in problems[0] and "backdated" in problems[0]


def test_an_action_amount_edited_with_the_chain_recomputed_is_found(log: EventLog, anchored: Path, signer: Signer) -> None:
    t = schema.event_log
    with log.engine.begin() as conn:
        public = conn.execute(select(t.c.public).where(t.c.site == "s1", t.c.seq == 7)).scalar_one()
        conn.execute(update(t).where(t.c.site == "s1", t.c.seq == 7).values(public=public.replace('"amount":0.0', '"amount":250.0')))
        conn.execute(update(schema.actions).where(schema.actions.c.site == "s1", schema.actions.c.log_seq == 7)
                     .values(amount=250.0))
        _recompute(conn, "s1")
    problems = _audit(log.engine, anchored, signer)
    assert problems == ["broken: site s1, row 18: not the row the checkpoint of 1970-01-24 03:33:20 UTC anchored "
                        "(the chain was rewritten up to here)"]


def test_a_deleted_site_is_found(log: EventLog, anchored: Path, signer: Signer) -> None:
    with log.engine.begin() as conn:
        for table in (schema.event_log, schema.chain_heads, schema.sessions, schema.plate_reads, schema.violations,
                      schema.actions):
            conn.execute(delete(table).where(table.c.site == "s2"))
    problems = _audit(log.engine, anchored, signer)
    assert len(problems) == 1 and "site s2" in problems[0] and "the site was deleted" in problems[0]


def test_an_edited_or_foreign_checkpoint_file_is_reported(log: EventLog, anchored: Path, signer: Signer) -> None:
    path = next(anchored.glob("s1-*.json"))
    record = json.loads(path.read_text())
    record["seq"] = 3
    path.chmod(0o644)
    path.write_text(json.dumps(record))
    write_checkpoint(log.engine, "s2", Signer.generate(), anchored, NOW + 1)
    (anchored / "junk.json").write_text("{")
    checkpoints, problems = load(anchored, signer.public)
    assert [c.site for c in checkpoints] == ["s2"]
    assert len(problems) == 3 and any("signed by key" in p for p in problems)
    assert not audit(log.engine, checkpoints, problems).intact


def test_checkpoint_files_are_only_ever_added(log: EventLog, anchored: Path, signer: Signer) -> None:
    before = {p.name: p.read_bytes() for p in anchored.iterdir()}
    write_checkpoints(log.engine, signer, anchored, NOW)  # same second, same rows: new files beside the old
    after = {p.name: p.read_bytes() for p in anchored.iterdir()}
    assert len(after) == 4 and all(after[name] == data for name, data in before.items())


def test_a_broken_head_is_not_anchored(log: EventLog, signer: Signer, tmp_path: Path) -> None:
    with log.engine.begin() as conn:
        conn.execute(update(schema.chain_heads).where(schema.chain_heads.c.site == "s1").values(seq=3))
    with pytest.raises(CheckpointProblem, match="site s1: the chain head and the log's last row"):
        write_checkpoint(log.engine, "s1", signer, tmp_path, NOW)


def test_a_service_anchors_its_heads_on_a_timer(log: EventLog, signer: Signer, tmp_path: Path) -> None:
    import asyncio

    from baytwin.core.store.checkpoint_timer import checkpoint_periodically

    folder = tmp_path / "anchors"

    async def run() -> None:
        stop = asyncio.Event()
        task = asyncio.create_task(checkpoint_periodically(log.engine, signer, folder, lambda: NOW, every_s=0.05, stop=stop))
        while len(list(folder.glob("*.json"))) < 4:
            await asyncio.sleep(0.01)
        stop.set()
        await asyncio.wait_for(task, 5)

    asyncio.run(run())
    checkpoints, problems = load(folder, signer.public)
    assert problems == [] and len(checkpoints) >= 4
    assert audit(log.engine, checkpoints, problems).intact
