"""Event-log speed: append (batched and one by one) and chain verification, on SQLite and PostgreSQL.

The baseline, measured in the same run, is a bare ``executemany`` of rows of the same size into
a table with no chain, no sealing and no projections: the ratio is what the guarantees cost. The
verification's baseline reads the same log's rows and hashes each once (SHA-256), with no chain
and no projections rebuilt.
"""

from __future__ import annotations

import hashlib
import os
import time
import uuid
from pathlib import Path

import pytest
from sqlalchemy import Column, Float, Integer, MetaData, String, Table, Text, create_engine, insert, text

from baytwin.core.events import SessionActive, VehicleIdentified
from baytwin.core.privacy import Keys, generate_key
from baytwin.core.store.database import connect
from baytwin.core.store.log import EventLog
from baytwin.core.store.schema import event_log
from baytwin.core.store.verify import verify
from tests.benchmarks.figures import record

PG_URL = os.environ.get("BAYTWIN_TEST_PG_URL")
N = 20_000


def events(n: int) -> list:
    out = []
    for i in range(n):
        if i % 10 == 0:
            out.append(VehicleIdentified(float(i), "site", f"EV{i % 50:03d}", "AB12CDE", 0.97, "camera"))
        else:
            out.append(SessionActive(float(i), "site", f"EV{i % 50:03d}", f"s{i // 20}", float(i) / 100, 16.0))
    return out


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request, tmp_path: Path):  # type: ignore[no-untyped-def]
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'bench.db'}"
        return
    if not PG_URL:
        pytest.skip("no PostgreSQL (BAYTWIN_TEST_PG_URL)")
    schema = f"b_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    yield f"{PG_URL}?options=-csearch_path%3D{schema}"
    with admin.begin() as conn:
        conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))


def bare_insert_seconds(url: str, n: int, batch: int) -> float:
    engine = connect(url, migrate=False)
    meta = MetaData()
    table = Table(f"bare_{uuid.uuid4().hex[:6]}", meta, Column("id", Integer, primary_key=True),
                  Column("site", String(64)), Column("ts", Float), Column("body", Text))
    meta.create_all(engine)
    rows = [{"site": "site", "ts": float(i), "body": "x" * 300} for i in range(n)]
    started = time.perf_counter()
    for i in range(0, n, batch):
        with engine.begin() as conn:
            conn.execute(insert(table), rows[i:i + batch])
    return time.perf_counter() - started


def bare_read_and_hash_seconds(engine) -> float:  # type: ignore[no-untyped-def]
    """Every row of the log read in order and hashed once: the least a verification must do."""
    started = time.perf_counter()
    with engine.connect() as conn:
        for row in conn.execute(event_log.select().order_by(event_log.c.site, event_log.c.seq)):
            hashlib.sha256(repr(tuple(row)).encode()).hexdigest()
    return time.perf_counter() - started


@pytest.mark.parametrize("batch", [1000, 1])
def test_append_throughput(benchmark, url: str, batch: int) -> None:
    n = N if batch > 1 else 1000
    log = EventLog(connect(url), Keys.from_text(generate_key(), "bench"))
    data = events(n)

    def append_all() -> None:
        for i in range(0, n, batch):
            log.append(data[i:i + batch])

    benchmark.pedantic(append_all, rounds=1, iterations=1)
    seconds = benchmark.stats.stats.mean
    bare = bare_insert_seconds(url, n, batch)
    record(benchmark, f"append, batch {batch}", n / seconds, "events/s", baseline=n / bare, better="higher",
           baseline_name="bare insert")
    benchmark.extra_info.update({"events": n, "batch": batch, "events_per_second": round(n / seconds),
                                 "bare_insert_events_per_second": round(n / bare), "ratio_to_bare": round(seconds / bare, 2)})
    print(f"\n{url.split(':')[0]} batch {batch}: {n / seconds:,.0f} events/s "
          f"(bare insert {n / bare:,.0f}/s, ratio {seconds / bare:.1f}x)")
    assert verify(log.engine).rows == n


def test_verify_rate(benchmark, url: str) -> None:
    log = EventLog(connect(url), Keys.from_text(generate_key(), "bench"))
    data = events(N)
    for i in range(0, N, 2000):
        log.append(data[i:i + 2000])
    result = benchmark.pedantic(lambda: verify(log.engine), rounds=3, iterations=1)
    rate = N / benchmark.stats.stats.median
    bare_rate = N / sorted(bare_read_and_hash_seconds(log.engine) for _ in range(3))[1]
    figure = record(benchmark, "verify", rate, "rows/s", baseline=bare_rate, better="higher",
                    baseline_name="bare read + SHA-256 per row")
    benchmark.extra_info.update({"rows": N, "rows_per_second": round(rate), "bare_rows_per_second": round(bare_rate)})
    print(f"\n{url.split(':')[0]} verify: {rate:,.0f} rows/s (bare read and hash {bare_rate:,.0f}/s, {figure.ratio:.1f}x)")
    assert result.intact
