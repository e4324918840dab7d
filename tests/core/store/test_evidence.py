"""Evidence packs: complete, signed, derived from their chain segment, and rejected when anything changes.

Each manipulation is tried twice: with the manifest recomputed (the signature then fails), and
re-signed with the site's own key, as a careless or dishonest exporter could: the chain
segment the pack carries must still give it away.
"""

from __future__ import annotations

import hashlib
import json
import zipfile
from pathlib import Path
from typing import Callable

import pytest
from sqlalchemy import Engine, select, update

from baytwin.core.privacy import Keys
from baytwin.core.rules.policy import Policy
from baytwin.core.store import schema
from baytwin.core.store.evidence import EvidenceProblem, export_pack, verify_pack
from baytwin.core.store.log import EventLog
from baytwin.core.store.signing import Signer

from .test_log import PLATE, day


@pytest.fixture(scope="module")
def signer() -> Signer:
    return Signer.generate()


@pytest.fixture
def pack(engine: Engine, keys: Keys, tmp_path: Path, signer: Signer) -> Path:
    log = EventLog(engine, keys, Policy(name="strict", version="7"))
    log.append(day("s1", "EV002", "a") + day("s1") + day("s1", "EV003", "b"))
    out = tmp_path / "pack.zip"
    export_pack(log, "s1/EV001/1", out, exported_at=5000.0, signer=signer)
    return out


def contents(pack: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(pack) as z:
        return {name: z.read(name) for name in z.namelist()}


def repack(pack: Path, files: dict[str, bytes], signer: Signer | None) -> Path:
    """Write ``files`` as a pack with the manifest recomputed; re-signed by ``signer`` if given."""
    files = dict(files)
    manifest = json.loads(files["manifest.json"])
    manifest["files"] = {name: hashlib.sha256(data).hexdigest() for name, data in files.items()
                         if name not in ("manifest.json", "signature.json")}
    files["manifest.json"] = json.dumps(manifest).encode()
    if signer is not None:
        files["signature.json"] = json.dumps({"algorithm": "Ed25519", "key_id": signer.key_id,
                                              "signature": signer.sign(files["manifest.json"])}).encode()
    target = pack.with_name("altered.zip")
    with zipfile.ZipFile(target, "w") as z:
        for name, data in files.items():
            z.writestr(name, data)
    return target


def edit_json(name: str, change: Callable[[object], None]) -> Callable[[dict[str, bytes]], None]:
    def apply(files: dict[str, bytes]) -> None:
        data = json.loads(files[name])
        change(data)
        files[name] = json.dumps(data, indent=2, sort_keys=True).encode()
    return apply


def _plate(timeline: list) -> None:
    opened = next(e for e in timeline if e["kind"] == "violation_opened")
    opened["event"]["plate"] = "XY99ZZZ"


def _move_violation(timeline: list) -> None:
    opened = next(e for e in timeline if e["kind"] == "violation_opened")
    opened["event"]["ts"] += 3600.0


def _remove_row(timeline: list) -> None:
    del timeline[1]


def _energy(sessions: list) -> None:
    sessions[0]["energy_kwh"] = 0.0


def _grace(policy: dict) -> None:
    policy["document"]["rules"]["overstay"]["grace_min"] = 0.0


def _add_file(files: dict[str, bytes]) -> None:
    files["note.txt"] = b"the driver admitted it"


def _summary(files: dict[str, bytes]) -> None:
    files["summary.html"] = files["summary.html"].replace(b"overstay", b"not_charging")


def _remove_sessions(files: dict[str, bytes]) -> None:
    del files["sessions.json"]


MANIPULATIONS = {
    "readable plate edited": (edit_json("timeline.json", _plate), "plate or token shown in timeline row 15"),
    "violation moved by an hour": (edit_json("timeline.json", _move_violation), "timeline row 15 does not match"),
    "policy grace 15 -> 0": (edit_json("policy.json", _grace), "policy.json is not the policy"),
    "session energy set to 0": (edit_json("sessions.json", _energy), "sessions.json is not what the chained events say"),
    "timeline row removed": (edit_json("timeline.json", _remove_row), "lacks chained row 11"),
    "file added": (_add_file, "note.txt is not a file an evidence pack holds"),
    "summary reworded": (_summary, "summary.html is not what the chained events say"),
    "required file removed": (_remove_sessions, "sessions.json is missing"),
}


@pytest.mark.parametrize("name", list(MANIPULATIONS))
def test_a_manipulation_with_the_manifest_recomputed_fails_the_signature(pack: Path, signer: Signer, name: str) -> None:
    files = contents(pack)
    MANIPULATIONS[name][0](files)
    altered = repack(pack, files, signer=None)
    with pytest.raises(EvidenceProblem, match="signature does not match"):
        verify_pack(altered, signer.public)


@pytest.mark.parametrize("name", list(MANIPULATIONS))
def test_a_manipulation_re_signed_with_the_site_key_is_caught_by_the_chain(pack: Path, signer: Signer, name: str) -> None:
    files = contents(pack)
    change, reason = MANIPULATIONS[name]
    change(files)
    altered = repack(pack, files, signer=signer)
    with pytest.raises(EvidenceProblem, match=reason):
        verify_pack(altered, signer.public)


def test_pack_holds_the_story_and_verifies_on_its_own(pack: Path, signer: Signer) -> None:
    manifest = verify_pack(pack, signer.public)
    assert manifest["violation_id"] == "s1/EV001/1" and manifest["rule"] == "overstay"
    files = contents(pack)
    assert set(files) == {"chain.json", "timeline.json", "sessions.json", "violation.json", "policy.json",
                          "summary.html", "manifest.json", "signature.json"}
    assert set(json.loads(files["manifest.json"])["files"]) == set(files) - {"manifest.json", "signature.json"}
    timeline = json.loads(files["timeline.json"])
    assert {e["event"]["bay"] for e in timeline} == {"EV001"}  # only this bay's story
    opened = next(e["event"] for e in timeline if e["kind"] == "violation_opened")
    assert opened["plate"] == PLATE and opened["evidence"][1]["plate"] == PLATE
    policy = json.loads(files["policy.json"])
    assert (policy["name"], policy["version"]) == ("strict", "7")
    assert policy["document"]["rules"]["overstay"]["grace_min"] == 15.0
    sessions = json.loads(files["sessions.json"])
    assert [(s["session_id"], s["energy_kwh"], s["state"]) for s in sessions] == [("x1", 7.5, "ended")]
    violation = json.loads(files["violation.json"])
    assert violation["close_reason"] == "vehicle_left" and violation["actions"][0]["action"] == "warning"
    summary = files["summary.html"].decode()
    assert "s1/EV001/1" in summary and PLATE in summary and "overstay" in summary
    chain = json.loads(files["chain.json"])
    assert [r["seq"] for r in chain["rows"]] == list(range(10, 19))  # the contiguous segment it relies on


def test_sessions_come_from_the_chain_not_from_the_sessions_table(engine: Engine, keys: Keys, tmp_path: Path,
                                                                  signer: Signer) -> None:
    log = EventLog(engine, keys)
    log.append(day())
    with engine.begin() as conn:
        conn.execute(update(schema.sessions).values(energy_kwh=0.0, state="faulted"))
    out = tmp_path / "pack.zip"
    export_pack(log, "s1/EV001/1", out, 0.0, signer)
    sessions = json.loads(contents(out)["sessions.json"])
    assert sessions[0]["energy_kwh"] == 7.5 and sessions[0]["state"] == "ended"
    verify_pack(out, signer.public)


def test_a_pack_checked_with_another_sites_key_is_rejected(pack: Path) -> None:
    with pytest.raises(EvidenceProblem, match="signature does not match .* names key"):
        verify_pack(pack, Signer.generate().public)


def test_an_unsigned_pack_is_rejected(pack: Path, signer: Signer) -> None:
    files = contents(pack)
    del files["signature.json"]
    target = pack.with_name("unsigned.zip")
    with zipfile.ZipFile(target, "w") as z:
        for name, data in files.items():
            z.writestr(name, data)
    with pytest.raises(EvidenceProblem, match="no signature.json"):
        verify_pack(target, signer.public)


def test_a_forged_chain_row_is_rejected(pack: Path, signer: Signer) -> None:
    files = contents(pack)
    chain = json.loads(files["chain.json"])
    chain["rows"][1]["kind"] = "vehicle_left"
    files["chain.json"] = json.dumps(chain).encode()
    with pytest.raises(EvidenceProblem, match="chain row 11 does not match its hash"):
        verify_pack(repack(pack, files, signer), signer.public)


@pytest.mark.parametrize("cut", [0, 100, 2000])
def test_truncated_or_corrupt_pack_is_a_clear_error(pack: Path, signer: Signer, cut: int) -> None:
    broken = pack.with_name("broken.zip")
    broken.write_bytes(pack.read_bytes()[:cut])
    with pytest.raises(EvidenceProblem, match="not a readable zip file"):
        verify_pack(broken, signer.public)


def test_every_single_bit_flip_gets_a_verdict(pack: Path, signer: Signer) -> None:
    """Bit flips all over the zip (headers, deflate data, directory): each one a verdict, never another error."""
    raw = pack.read_bytes()
    broken = pack.with_name("flipped.zip")
    step = max(1, len(raw) * 8 // 400)
    rejected = 0
    for bit in range(0, len(raw) * 8, step):
        flipped = bytearray(raw)
        flipped[bit // 8] ^= 1 << (bit % 8)
        broken.write_bytes(bytes(flipped))
        try:
            verify_pack(broken, signer.public)
        except EvidenceProblem as err:
            assert "\n" not in str(err)
            rejected += 1
    assert rejected > 300  # a flip in a zip's timestamps or padding may leave every file intact; most do not


def test_zip_that_is_not_a_pack_is_a_clear_error(tmp_path: Path, signer: Signer) -> None:
    other = tmp_path / "other.zip"
    with zipfile.ZipFile(other, "w") as z:
        z.writestr("hello.txt", "hi")
    with pytest.raises(EvidenceProblem, match="not an evidence pack"):
        verify_pack(other, signer.public)
    text = tmp_path / "text.zip"
    text.write_text("not a zip at all")
    with pytest.raises(EvidenceProblem, match="not a readable zip file"):
        verify_pack(text, signer.public)


def test_unknown_violation_is_a_clear_error(engine: Engine, keys: Keys, tmp_path: Path, signer: Signer) -> None:
    log = EventLog(engine, keys)
    with pytest.raises(EvidenceProblem, match="no violation 'nope'"):
        export_pack(log, "nope", tmp_path / "x.zip", 0.0, signer)


def test_plate_crops_travel_sealed_and_come_out_in_the_pack(engine: Engine, keys: Keys, tmp_path: Path,
                                                            signer: Signer) -> None:
    log = EventLog(engine, keys)
    crop = b"\x89PNG\r\n\x1a\n" + b"crop-pixels" * 10
    log.append(day(), crops={1: crop})  # the plate read
    with engine.connect() as conn:
        stored = conn.execute(select(schema.event_log.c.evidence).where(schema.event_log.c.seq == 2)).scalar_one()
    assert stored is not None and b"crop-pixels" not in stored.encode()
    out = tmp_path / "pack.zip"
    manifest = export_pack(log, "s1/EV001/1", out, exported_at=0.0, signer=signer)
    assert "crops/2.png" in manifest["files"]
    assert contents(out)["crops/2.png"] == crop
    verify_pack(out, signer.public)
    files = contents(out)
    files["crops/2.png"] = b"another image"
    with pytest.raises(EvidenceProblem, match="crops/2.png is not the crop its chained row commits to"):
        verify_pack(repack(out, files, signer), signer.public)


def test_an_edited_crop_breaks_the_chain(engine: Engine, keys: Keys) -> None:
    from baytwin.core.store.verify import verify

    log = EventLog(engine, keys)
    log.append(day(), crops={1: b"png"})
    with engine.begin() as conn:
        conn.execute(update(schema.event_log).where(schema.event_log.c.seq == 2).values(evidence=keys.seal({"png": "eA=="})))
    assert str(verify(engine).breaks[0]) == "site s1, row 2: evidence crop does not match its digest (edited)"


def test_other_bays_rows_chain_the_segment_but_their_content_stays_out(engine: Engine, keys: Keys, tmp_path: Path,
                                                                       signer: Signer) -> None:
    log = EventLog(engine, keys)
    mine, neighbour = day("s1", "EV001", "x1"), day("s1", "EV002", "y1")
    log.append([event for pair in zip(mine, neighbour) for event in pair])  # the two bays' events interleaved
    out = tmp_path / "pack.zip"
    export_pack(log, "s1/EV001/1", out, 0.0, signer)
    chain = json.loads(contents(out)["chain.json"])
    assert [r["seq"] for r in chain["rows"]] == list(range(1, 18))
    assert {r["bay"] for r in chain["rows"] if r["public"] is None} == {"EV002"}
    assert all(r["public"] is not None for r in chain["rows"] if r["bay"] == "EV001")
    verify_pack(out, signer.public)
    files = contents(out)
    chain["rows"][1]["public_sha256"] = "0" * 64
    files["chain.json"] = json.dumps(chain).encode()
    with pytest.raises(EvidenceProblem, match="chain row 2 does not match its hash"):
        verify_pack(repack(out, files, signer), signer.public)
