"""Evidence packs: complete, checkable without the database, and rejected when altered."""

from __future__ import annotations

import hashlib
import json
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import Engine

from core.privacy import Keys
from core.rules.policy import Policy
from core.store.evidence import EvidenceProblem, export_pack, verify_pack
from core.store.log import EventLog

from .test_log import PLATE, day


@pytest.fixture
def pack(engine: Engine, keys: Keys, tmp_path: Path) -> Path:
    log = EventLog(engine, keys, Policy(name="strict", version="7"))
    log.append(day("s1", "EV002", "a") + day("s1") + day("s1", "EV003", "b"))
    out = tmp_path / "pack.zip"
    export_pack(log, "s1/EV001/1", out, exported_at=5000.0)
    return out


def rewrite(pack: Path, name: str, data: bytes, fix_manifest: bool) -> Path:
    target = pack.with_name("altered.zip")
    with zipfile.ZipFile(pack) as src, zipfile.ZipFile(target, "w") as dst:
        manifest = json.loads(src.read("manifest.json"))
        for item in src.namelist():
            if item not in (name, "manifest.json"):
                dst.writestr(item, src.read(item))
        dst.writestr(name, data)
        if fix_manifest:
            manifest["files"][name] = hashlib.sha256(data).hexdigest()
        dst.writestr("manifest.json", json.dumps(manifest))
    return target


def test_pack_holds_the_story_and_verifies_on_its_own(pack: Path) -> None:
    manifest = verify_pack(pack)
    assert manifest["violation_id"] == "s1/EV001/1" and manifest["rule"] == "overstay"
    with zipfile.ZipFile(pack) as z:
        timeline = json.loads(z.read("timeline.json"))
        policy = json.loads(z.read("policy.json"))
        sessions = json.loads(z.read("sessions.json"))
        summary = z.read("summary.html").decode()
    assert {e["event"]["bay"] for e in timeline} == {"EV001"}  # only this bay's story
    opened = next(e["event"] for e in timeline if e["kind"] == "violation_opened")
    assert opened["plate"] == PLATE and opened["evidence"][1]["plate"] == PLATE
    assert (policy["name"], policy["version"]) == ("strict", "7") and policy["document"]["name"] == "strict"
    assert [s["session_id"] for s in sessions] == ["x1"]
    assert "s1/EV001/1" in summary and PLATE in summary and "overstay" in summary


def test_a_file_altered_inside_the_pack_is_rejected(pack: Path) -> None:
    altered = rewrite(pack, "sessions.json", b"[]", fix_manifest=False)
    with pytest.raises(EvidenceProblem, match="sessions.json was altered"):
        verify_pack(altered)


def test_a_rewritten_timeline_is_caught_by_the_chain_even_with_a_fixed_manifest(pack: Path) -> None:
    with zipfile.ZipFile(pack) as z:
        timeline = json.loads(z.read("timeline.json"))
    timeline[0]["public"] = timeline[0]["public"].replace("EV001", "EV009")
    altered = rewrite(pack, "timeline.json", json.dumps(timeline).encode(), fix_manifest=True)
    with pytest.raises(EvidenceProblem, match="is not the row the chain covers"):
        verify_pack(altered)


def test_a_forged_chain_row_is_rejected(pack: Path) -> None:
    with zipfile.ZipFile(pack) as z:
        proof = json.loads(z.read("proof.json"))
    proof["rows"][1]["kind"] = "vehicle_left"
    altered = rewrite(pack, "proof.json", json.dumps(proof).encode(), fix_manifest=True)
    with pytest.raises(EvidenceProblem, match="does not match its hash"):
        verify_pack(altered)


@pytest.mark.parametrize("cut", [0, 100, 2000])
def test_truncated_or_corrupt_pack_is_a_clear_error(pack: Path, cut: int) -> None:
    broken = pack.with_name("broken.zip")
    broken.write_bytes(pack.read_bytes()[:cut])
    with pytest.raises(EvidenceProblem, match="not a readable zip file"):
        verify_pack(broken)


def test_zip_that_is_not_a_pack_is_a_clear_error(tmp_path: Path) -> None:
    other = tmp_path / "other.zip"
    with zipfile.ZipFile(other, "w") as z:
        z.writestr("hello.txt", "hi")
    with pytest.raises(EvidenceProblem, match="not an evidence pack"):
        verify_pack(other)


def test_unknown_violation_is_a_clear_error(engine: Engine, keys: Keys, tmp_path: Path) -> None:
    log = EventLog(engine, keys)
    with pytest.raises(EvidenceProblem, match="no violation 'nope'"):
        export_pack(log, "nope", tmp_path / "x.zip", 0.0)


def test_plate_crops_travel_sealed_and_come_out_in_the_pack(engine: Engine, keys: Keys, tmp_path: Path) -> None:
    from sqlalchemy import select

    from core.store import schema

    log = EventLog(engine, keys)
    events = day()
    crop = b"\x89PNG\r\n\x1a\n" + b"crop-pixels" * 10
    log.append(events, crops={1: crop})  # the plate read
    with engine.connect() as conn:
        stored = conn.execute(select(schema.event_log.c.evidence).where(schema.event_log.c.seq == 2)).scalar_one()
    assert stored is not None and b"crop-pixels" not in stored.encode()
    out = tmp_path / "pack.zip"
    manifest = export_pack(log, "s1/EV001/1", out, exported_at=0.0)
    assert "crops/2.png" in manifest["files"]
    with zipfile.ZipFile(out) as z:
        assert z.read("crops/2.png") == crop
    verify_pack(out)
    altered = rewrite(out, "crops/2.png", b"another image", fix_manifest=False)
    with pytest.raises(EvidenceProblem, match="crops/2.png was altered"):
        verify_pack(altered)


def test_an_edited_crop_breaks_the_chain(engine: Engine, keys: Keys) -> None:
    from sqlalchemy import update

    from core.store import schema
    from core.store.verify import verify

    log = EventLog(engine, keys)
    log.append(day(), crops={1: b"png"})
    with engine.begin() as conn:
        conn.execute(update(schema.event_log).where(schema.event_log.c.seq == 2).values(evidence=keys.seal({"png": "eA=="})))
    assert str(verify(engine).breaks[0]) == "site s1, row 2: evidence crop does not match its digest (edited)"
