"""The event log: append, verify, projections, and personal data kept out of sight."""

from __future__ import annotations

from sqlalchemy import Engine, select, text

from baytwin.core.events import (
    ActionTaken,
    PlateRead,
    SessionActive,
    SessionEnded,
    SessionStarted,
    VehicleArrived,
    VehicleIdentified,
    ViolationClosed,
    ViolationOpened,
)
from baytwin.core.privacy import Keys
from baytwin.core.store import schema
from baytwin.core.store.log import EventLog
from baytwin.core.store.verify import verify

PLATE = "AB12CDE"


def day(site: str = "s1", bay: str = "EV001", sid: str = "x1") -> list:
    arrived = VehicleArrived(100.0, site, bay, "camera")
    seen = VehicleIdentified(100.0, site, bay, PLATE, 0.97, "camera")
    return [
        arrived, PlateRead(100.0, site, bay, PLATE, 0.97, "accepted"), seen,
        SessionStarted(160.0, site, bay, sid, 0.0, 0.0, "tok-1"),
        SessionActive(161.0, site, bay, sid, 0.0, 16.0),
        ViolationOpened(900.0, site, bay, f"{site}/{bay}/1", "overstay", PLATE, 0.97, "tok-1", 900.0, (arrived, seen)),
        ActionTaken(900.0, site, bay, f"{site}/{bay}/1", "warning", PLATE, "tok-1"),
        SessionEnded(1000.0, site, bay, sid, 7.5, 0.0),
        ViolationClosed(1100.0, site, bay, f"{site}/{bay}/1", "overstay", "vehicle_left", 3.3),
    ]


def test_appended_events_verify_intact(engine: Engine, keys: Keys) -> None:
    log = EventLog(engine, keys)
    positions = log.append(day())
    assert [p.seq for p in positions] == list(range(1, 10))
    result = verify(engine)
    assert result.intact and result.rows == 9


def test_each_site_has_its_own_chain(engine: Engine, keys: Keys) -> None:
    log = EventLog(engine, keys)
    log.append(day("a") + day("b"))
    log.append(day("a"))
    result = verify(engine)
    assert result.intact and result.sites == 2 and result.rows == 27
    with engine.connect() as conn:
        heads = dict(conn.execute(select(schema.chain_heads.c.site, schema.chain_heads.c.seq)).all())
    assert heads == {"a": 18, "b": 9}


def test_plates_and_tokens_never_appear_in_clear(engine: Engine, keys: Keys) -> None:
    EventLog(engine, keys).append(day())
    with engine.connect() as conn:
        for table in ("event_log", "sessions", "plate_reads", "violations", "actions"):
            for row in conn.execute(text(f"SELECT * FROM {table}")):
                assert PLATE not in str(tuple(row)) and "tok-1" not in str(tuple(row)), table


def test_sealed_personal_data_opens_with_the_key(engine: Engine, keys: Keys) -> None:
    import json

    EventLog(engine, keys).append(day())
    with engine.connect() as conn:
        personal = conn.execute(select(schema.event_log.c.personal)
                                .where(schema.event_log.c.kind == "violation_opened")).scalar_one()
    fields = keys.unseal(json.loads(personal)["sealed"])
    assert fields["plate"] == PLATE and fields["id_token"] == "tok-1"
    assert fields["evidence.1.plate"] == PLATE


def test_projections_answer_the_operational_queries(engine: Engine, keys: Keys) -> None:
    log = EventLog(engine, keys)
    events = day()
    log.append(events[:6])  # up to the open violation, session still open
    subject = keys.subject("s1", PLATE)
    with engine.connect() as conn:
        open_sessions = conn.execute(select(schema.sessions.c.session_id, schema.sessions.c.state)
                                     .where(schema.sessions.c.bay == "EV001", schema.sessions.c.ended_at.is_(None))).all()
        assert open_sessions == [("x1", "charging")]
        open_violations = conn.execute(select(schema.violations.c.violation_id)
                                       .where(schema.violations.c.site == "s1", schema.violations.c.closed_at.is_(None))).all()
        assert open_violations == [("s1/EV001/1",)]
        history = conn.execute(select(schema.plate_reads.c.ts).where(schema.plate_reads.c.subject == subject)).all()
        assert len(history) == 1  # the camera's read; its identification is the same read, not a second
    log.append(events[6:])
    with engine.connect() as conn:
        session = conn.execute(select(schema.sessions).where(schema.sessions.c.session_id == "x1")).mappings().one()
        assert session["state"] == "ended" and session["energy_kwh"] == 7.5
        violation = conn.execute(select(schema.violations)).mappings().one()
        assert violation["close_reason"] == "vehicle_left" and violation["subject"] == keys.subject("s1", PLATE)
        assert conn.execute(select(schema.actions.c.action)).scalars().all() == ["warning"]


def test_subject_hash_differs_between_sites(keys: Keys) -> None:
    assert keys.subject("s1", PLATE) != keys.subject("s2", PLATE)
    assert keys.subject("s1", "ab12 cde") == keys.subject("s1", PLATE)
