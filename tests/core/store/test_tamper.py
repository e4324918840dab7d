"""Any edit, insertion or deletion of a logged row is found by the chain walk (property test).

Each tampering happens inside a transaction that is rolled back afterwards, so one
log serves every example, on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Connection, Engine, delete, insert, select, update

from baytwin.core.privacy import Keys
from baytwin.core.store import schema
from baytwin.core.store.log import EventLog
from baytwin.core.store.verify import verify

from .test_log import day

ROWS_PER_SITE = 45


@pytest.fixture
def filled(engine: Engine, keys: Keys) -> Engine:
    log = EventLog(engine, keys)
    for _ in range(5):
        log.append(day("s1") + day("s2"))
    assert verify(engine).intact
    return engine


def _row(conn: Connection, site: str, seq: int):  # type: ignore[no-untyped-def]
    t = schema.event_log
    return conn.execute(select(t).where(t.c.site == site, t.c.seq == seq)).mappings().one()


def _edit(conn: Connection, site: str, seq: int, column: str) -> None:
    t = schema.event_log
    row = _row(conn, site, seq)
    changed = {
        "ts": row["ts"] + 1.0,
        "kind": "vehicle_left" if row["kind"] != "vehicle_left" else "vehicle_arrived",
        "bay": row["bay"] + "X",
        "public": row["public"].replace('"ts":', '"ts": ', 1) if '"ts":' in row["public"] else row["public"] + " ",
        "personal": (row["personal"] or "{}")[:-1] + ',"x":1}',
    }[column]
    conn.execute(update(t).where(t.c.site == site, t.c.seq == seq).values({column: changed}))


def _delete(conn: Connection, site: str, seq: int) -> None:
    t = schema.event_log
    conn.execute(delete(t).where(t.c.site == site, t.c.seq == seq))


def _insert_forged(conn: Connection, site: str, seq: int) -> None:
    """Insert a plausible row after ``seq``, renumbering the rest to make room."""
    t = schema.event_log
    rows = conn.execute(select(t).where(t.c.site == site, t.c.seq > seq).order_by(t.c.seq.desc())).mappings().all()
    for row in rows:
        conn.execute(update(t).where(t.c.id == row["id"]).values(seq=row["seq"] + 1))
    before = _row(conn, site, seq)
    forged = dict(before)
    forged.pop("id")
    forged.update(seq=seq + 1, prev_hash=before["hash"], kind="vehicle_left")
    conn.execute(insert(t).values(**forged))


def _truncate(conn: Connection, site: str, seq: int) -> None:
    t = schema.event_log
    conn.execute(delete(t).where(t.c.site == site, t.c.seq >= seq))


TAMPERINGS = st.one_of(
    st.tuples(st.just("edit"), st.sampled_from(["ts", "kind", "bay", "public", "personal"])),
    st.tuples(st.just("delete"), st.none()),
    st.tuples(st.just("insert"), st.none()),
    st.tuples(st.just("truncate"), st.none()),
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(how=TAMPERINGS, site=st.sampled_from(["s1", "s2"]), seq=st.integers(1, ROWS_PER_SITE - 1))
def test_every_tampering_is_detected_at_the_tampered_row(filled: Engine, how, site: str, seq: int) -> None:
    action, column = how
    with filled.connect() as conn:
        transaction = conn.begin()
        try:
            if action == "edit":
                if column == "personal" and _row(conn, site, seq)["personal"] is None:
                    column = "public"
                _edit(conn, site, seq, column)
                expected_row = seq
            elif action == "delete":
                _delete(conn, site, seq)
                expected_row = seq
            elif action == "insert":
                _insert_forged(conn, site, seq)
                expected_row = seq + 1
            else:
                _truncate(conn, site, seq + 1)
                expected_row = seq + 1
            result = verify(conn)
        finally:
            transaction.rollback()
    assert not result.intact
    assert [(b.site, b.seq) for b in result.breaks] == [(site, expected_row)]
    assert verify(filled).intact  # rolled back: the real log is untouched


def test_a_report_names_the_site_row_and_problem(filled: Engine) -> None:
    with filled.connect() as conn:
        transaction = conn.begin()
        _delete(conn, "s1", 7)
        result = verify(conn)
        transaction.rollback()
    assert str(result.breaks[0]) == "site s1, row 7: row 7 is missing (deleted)"
