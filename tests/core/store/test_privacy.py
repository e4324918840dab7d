"""Privacy controls: retention erases on time and leaves a verifiable record; access requests; keys."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import Engine, func, select

from baytwin.core.privacy import KeyProblem, Keys, generate_key
from baytwin.core.rules.policy import Retention
from baytwin.core.store import schema
from baytwin.core.store.access import subject_access
from baytwin.core.store.log import EventLog
from baytwin.core.store.retention import purge
from baytwin.core.store.verify import verify
from baytwin.core.events import PlateRead

from .test_log import PLATE, day

DAY = 86400.0


def _personal_rows(engine: Engine, data_class: str) -> int:
    t = schema.event_log
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(t)
                            .where(t.c.data_class == data_class, t.c.personal.is_not(None))).scalar_one()


def test_purge_erases_only_what_has_expired_and_records_it(engine: Engine, keys: Keys) -> None:
    log = EventLog(engine, keys)
    log.append(day())  # reads at t=100 that led to a violation, a session, a violation
    log.append([PlateRead(200.0, "s1", "EV002", "XY34ZZZ", 0.95, "accepted")])  # a read that led to nothing
    retention = Retention(unmatched_reads_days=1, presence_days=30, sessions_days=90, violations_days=400)

    assert purge(log, now=200.0 + 0.5 * DAY, retention_for=lambda s: retention) == {}
    report = purge(log, now=200.0 + 2 * DAY, retention_for=lambda s: retention)
    assert report == {"s1": {"read": 1}}
    assert _personal_rows(engine, "read") == 2  # the two reads behind the violation are kept
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(schema.plate_reads)).scalar_one() == 1  # the read behind the violation (its identification is the same read)
        record = conn.execute(select(schema.event_log.c.public)
                              .where(schema.event_log.c.kind == "retention_purged")).scalar_one()
    assert json.loads(record)["data_class"] == "read" and json.loads(record)["rows"] == 1

    report = purge(log, now=200.0 + 500 * DAY, retention_for=lambda s: retention)
    assert set(report["s1"]) == {"read", "session", "violation"}  # presence events hold no personal data
    assert _personal_rows(engine, "violation") == 0
    result = verify(engine)
    assert result.intact, result.breaks  # erasure keeps the chain whole


def test_access_request_returns_everything_on_one_plate(engine: Engine, keys: Keys) -> None:
    log = EventLog(engine, keys)
    log.append(day("s1") + day("s2") + [PlateRead(300.0, "s1", "EV009", "OTHER99", 0.9, "accepted")])
    export = subject_access(log, "ab12 cde")
    assert set(export["sites"]) == {"s1", "s2"}
    s1 = export["sites"]["s1"]
    assert [e["kind"] for e in s1["events"]] == ["plate_read", "vehicle_identified", "violation_opened", "action_taken"]
    assert s1["events"][2]["plate"] == PLATE and s1["events"][2]["evidence"][1]["plate"] == PLATE
    assert len(s1["violations"]) == 1 and len(s1["actions"]) == 1
    assert "OTHER99" not in json.dumps(export)


def test_access_request_after_erasure_finds_nothing(engine: Engine, keys: Keys) -> None:
    log = EventLog(engine, keys)
    log.append(day())
    purge(log, now=1000 * DAY)
    assert subject_access(log, PLATE)["sites"] == {}


def test_wrong_key_is_a_clear_error(engine: Engine, keys: Keys) -> None:
    EventLog(engine, keys).append(day())
    other = Keys.from_text(generate_key(), "other")
    with pytest.raises(KeyProblem, match="does not open"):
        other.unseal(json.loads(_first_personal(engine))["sealed"])


def test_a_store_refuses_a_key_other_than_its_own(engine: Engine, keys: Keys) -> None:
    EventLog(engine, keys).append(day())
    with pytest.raises(KeyProblem, match="sealed with another key"):
        EventLog(engine, Keys.from_text(generate_key(), "other"))


def _first_personal(engine: Engine) -> str:
    t = schema.event_log
    with engine.connect() as conn:
        return conn.execute(select(t.c.personal).where(t.c.personal.is_not(None)).limit(1)).scalar_one()


@pytest.mark.parametrize("text", ["", "not-a-key", "c2hvcnQ="])
def test_malformed_key_is_a_clear_error(text: str) -> None:
    with pytest.raises(KeyProblem, match="not a baytwin key"):
        Keys.from_text(text, "key.txt")


def test_missing_key_names_the_ways_to_provide_one(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    monkeypatch.delenv("BAYTWIN_KEY", raising=False)
    monkeypatch.delenv("BAYTWIN_KEY_FILE", raising=False)
    with pytest.raises(KeyProblem, match="--key-file"):
        Keys.from_environment()
    with pytest.raises(KeyProblem, match="key file not found"):
        Keys.from_environment(tmp_path / "missing.key")


def test_crops_are_erased_at_the_end_of_evidence_retention(engine: Engine, keys: Keys) -> None:
    log = EventLog(engine, keys)
    log.append(day(), crops={1: b"png"})
    retention = Retention(evidence_days=10, violations_days=400)
    assert "evidence" not in purge(log, now=5 * DAY, retention_for=lambda s: retention).get("s1", {})
    assert purge(log, now=11 * DAY, retention_for=lambda s: retention)["s1"]["evidence"] == 1
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(schema.event_log)
                            .where(schema.event_log.c.evidence.is_not(None))).scalar_one() == 0
    assert verify(engine).intact
