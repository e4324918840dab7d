"""The audit beyond the chain walk: every column of a row, and the projections rebuilt from the log."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, delete, insert, select, update

from baytwin.core.privacy import Keys
from baytwin.core.rules.policy import Policy
from baytwin.core.store import schema
from baytwin.core.store.audit import audit
from baytwin.core.store.log import EventLog
from baytwin.core.store.rebuild import compare_projections
from baytwin.core.store.retention import purge
from baytwin.core.store.verify import verify

from .test_log import day

DAY = 86400.0


@pytest.fixture
def filled(engine: Engine, keys: Keys) -> Engine:
    log = EventLog(engine, keys, Policy(name="strict", version="7"))
    log.append(day("s1") + day("s2"))
    log.append(day("s1", "EV002", "x2"))
    report = audit(engine)
    assert report.intact, report.problems()
    return engine


def _differences(engine: Engine) -> list[str]:
    with engine.connect() as conn:
        return [str(d) for d in compare_projections(conn)]


def _edit(engine: Engine, table, where, **values) -> None:  # type: ignore[no-untyped-def]
    with engine.begin() as conn:
        conn.execute(update(table).where(where).values(**values))


def test_an_edited_action_amount_in_the_table_is_found(filled: Engine) -> None:
    _edit(filled, schema.actions, schema.actions.c.site == "s1", amount=250.0)
    assert _differences(filled) == ["actions s1/7: amount is 250.0, the log says 0.0",
                                    "actions s1/16: amount is 250.0, the log says 0.0"]


def test_a_violation_moved_in_the_table_is_found(filled: Engine) -> None:
    v = schema.violations
    _edit(filled, v, v.c.violation_id == "s2/EV001/1", opened_at=900.0 + 3600.0)
    assert _differences(filled) == ["violations s2/EV001/1: opened_at is 4500.0, the log says 900.0"]


def test_a_session_edited_in_the_table_is_found(filled: Engine) -> None:
    s = schema.sessions
    _edit(filled, s, (s.c.site == "s1") & (s.c.session_id == "x1"), energy_kwh=0.0, state="faulted")
    assert sorted(_differences(filled)) == ["sessions s1/x1: energy_kwh is 0.0, the log says 7.5",
                                            "sessions s1/x1: state is 'faulted', the log says 'ended'"]


def test_a_plate_read_edited_added_or_deleted_in_the_table_is_found(filled: Engine) -> None:
    r = schema.plate_reads
    with filled.begin() as conn:
        conn.execute(update(r).where(r.c.site == "s2", r.c.log_seq == 2).values(confidence=0.5))
        conn.execute(delete(r).where(r.c.site == "s1", r.c.log_seq == 2))
        conn.execute(insert(r).values(site="s2", bay="EV001", ts=50.0, subject=None, confidence=0.99, status="accepted",
                                      source="camera", log_seq=99, led_to_violation=False))
    assert sorted(_differences(filled)) == ["plate_reads s1/2: is in the log but missing from the table (deleted)",
                                            "plate_reads s2/2: confidence is 0.5, the log says 0.97",
                                            "plate_reads s2/99: has no event in the log (added)"]


def test_a_camera_read_is_one_row_and_an_identification_of_its_own_is_another(filled: Engine) -> None:
    r = schema.plate_reads
    with filled.connect() as conn:
        rows = conn.execute(select(r.c.site, r.c.log_seq, r.c.source)).all()
    assert sorted(rows) == [("s1", 2, "camera"), ("s1", 11, "camera"), ("s2", 2, "camera")]  # reads, not their echoes


def test_a_violation_deleted_from_the_table_or_its_policy_renamed_is_found(filled: Engine) -> None:
    v = schema.violations
    with filled.begin() as conn:
        conn.execute(delete(v).where(v.c.violation_id == "s1/EV002/1"))
        conn.execute(update(v).where(v.c.violation_id == "s1/EV001/1").values(policy_version="8"))
    assert sorted(_differences(filled)) == ["violations s1/EV001/1: policy_version is '8', the log says '7'",
                                            "violations s1/EV002/1: is in the log but missing from the table (deleted)"]


def test_a_stored_policy_document_edited_is_found(filled: Engine) -> None:
    meta = schema.store_meta
    with filled.begin() as conn:
        name, value = conn.execute(select(meta.c.name, meta.c.value).where(meta.c.name.like("policy:%"))).one()
        conn.execute(update(meta).where(meta.c.name == name).values(value=value.replace('"grace_min":15.0', '"grace_min":0.0')))
    assert _differences(filled) == [f"store_meta {name[:19]}…: the policy document does not match its digest (edited)"]


@pytest.mark.parametrize(("column", "value", "problem"), [
    ("subject", "0" * 32, "subject is not the keyed hash its personal part holds"),
    ("data_class", "audit", "data class 'audit' is not the one a plate_read row has"),
])
def test_columns_outside_the_hash_are_checked_against_it(filled: Engine, column: str, value: str, problem: str) -> None:
    t = schema.event_log
    _edit(filled, t, (t.c.site == "s1") & (t.c.seq == 2), **{column: value})
    assert [str(b) for b in verify(filled).breaks] == [f"site s1, row 2: {problem} (edited)"]


def test_a_subject_erased_alone_is_found(filled: Engine) -> None:
    t = schema.event_log
    _edit(filled, t, (t.c.site == "s1") & (t.c.seq == 2), subject=None)
    assert [str(b) for b in verify(filled).breaks] == [
        "site s1, row 2: subject is not the keyed hash its personal part holds (edited)"]


def test_personal_data_nulled_without_a_retention_record_is_found(filled: Engine) -> None:
    t = schema.event_log
    _edit(filled, t, (t.c.site == "s2") & (t.c.seq == 6), personal=None, subject=None)
    assert [str(b) for b in verify(filled).breaks] == [
        "site s2, row 6: personal data was removed without a retention record "
        "(no later retention_purged for class 'violation' covers it)"]


def test_a_crop_nulled_without_a_retention_record_is_found(engine: Engine, keys: Keys) -> None:
    EventLog(engine, keys).append(day(), crops={1: b"png"})
    t = schema.event_log
    _edit(engine, t, t.c.seq == 2, evidence=None)
    assert [str(b) for b in verify(engine).breaks] == ["site s1, row 2: evidence crop was removed without a retention record"]


def test_retention_erasure_keeps_the_whole_audit_intact(filled: Engine, keys: Keys) -> None:
    log = EventLog(filled, keys)
    assert purge(log, now=1000 * DAY)
    report = audit(filled)
    assert report.intact, report.problems()
    with filled.connect() as conn:
        assert conn.execute(select(schema.event_log.c.personal).where(schema.event_log.c.personal.is_not(None))).first() is None


def test_the_public_part_must_name_the_rows_own_kind_and_time(filled: Engine) -> None:
    """Even a row whose hash was recomputed cannot say one thing in its columns and another in its public part."""
    from baytwin.core.store.chain import row_hash, sha256_hex

    t = schema.event_log
    with filled.begin() as conn:
        row = conn.execute(select(t).where(t.c.site == "s1", t.c.seq == 9)).mappings().one()
        link = row_hash(row["prev_hash"], "s1", 9, row["ts"] - 3600.0, row["kind"], row["bay"], sha256_hex(row["public"]),
                        row["personal_digest"], row["evidence_digest"])
        conn.execute(update(t).where(t.c.id == row["id"]).values(ts=row["ts"] - 3600.0, hash=link))
    broken = verify(filled).breaks
    assert broken[0].seq in (9, 10)  # the chain (the next row's link) or the column check, whichever comes first


def test_a_row_whose_public_part_is_not_json_is_reported_not_raised(filled: Engine) -> None:
    t = schema.event_log
    _edit(filled, t, (t.c.site == "s1") & (t.c.seq == 4), public="{not json")
    report = audit(filled)
    assert [str(b) for b in report.chain.breaks] == ["site s1, row 4: content does not match its hash (edited)"]
    assert any("event_log s1/4: cannot be replayed" in line for line in report.problems())
