"""Real processes: killed mid-burst, or writing side by side, the chain stays whole."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from sqlalchemy import Engine, func, select

from baytwin.core.privacy import generate_key
from baytwin.core.store import schema
from baytwin.core.store.database import connect
from baytwin.core.store.verify import verify

ROOT = Path(__file__).resolve().parents[3]


def writer(url: str, key: str, site: str, batches: int, size: int) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.core.store.writer", url, key, site, str(batches), str(size)],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )


def seqs(engine: Engine, site: str) -> set[int]:
    with engine.connect() as conn:
        return set(conn.execute(select(schema.event_log.c.seq).where(schema.event_log.c.site == site)).scalars())


def test_sigkill_mid_burst_loses_no_acknowledged_event(db_url: str) -> None:
    connect(db_url).dispose()  # schema first, so the writer only writes
    key = generate_key()
    process = writer(db_url, key, "site", batches=100_000, size=50)
    acked = 0
    assert process.stdout is not None
    for line in process.stdout:
        acked = int(line.split()[1])
        if acked >= 50 * 40:
            break
    os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL
    engine = connect(db_url)
    stored = seqs(engine, "site")
    assert set(range(1, acked + 1)) <= stored  # everything acknowledged is there
    assert stored == set(range(1, max(stored) + 1))  # and nothing half-written
    result = verify(engine)
    assert result.intact, result.breaks


def test_concurrent_writers_never_break_the_chain(db_url: str) -> None:
    connect(db_url).dispose()
    key = generate_key()
    processes = [writer(db_url, key, "shared", batches=30, size=20) for _ in range(4)]
    for process in processes:
        _, err = process.communicate(timeout=300)
        assert process.returncode == 0, err
    engine = connect(db_url)
    result = verify(engine)
    assert result.intact, result.breaks
    assert seqs(engine, "shared") == set(range(1, 4 * 30 * 20 + 1))
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(schema.sessions)).scalar_one() == 30
