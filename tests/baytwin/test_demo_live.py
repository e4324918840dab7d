"""``baytwin demo --live``: the live mode end to end from nothing, every file under --out.

One run of the real command (rendered footage, the real camera adapter and reader, emulated OCPP 1.6
chargers over websockets, the rules engine, the review queue, the store), about a minute of wall time:
the demo's pace is fixed in live/demo_script.py, so this test cannot be made slower from its side.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import create_engine, select

from baytwin.core.store import schema
from baytwin.core.store.evidence_check import verify_pack
from baytwin.core.store.signing import load_public_key

CHECKOUT = Path(__file__).resolve().parents[2]


def _snapshot(folder: Path) -> dict[str, float]:
    """Every file under ``folder`` with its modification time (nothing if it does not exist)."""
    if not folder.is_dir():
        return {}
    return {str(p.relative_to(folder)): p.stat().st_mtime for p in folder.rglob("*") if p.is_file()}


def test_the_live_demo_shows_each_scripted_violation_a_review_and_a_verifying_pack_and_writes_only_under_out(tmp_path: Path) -> None:
    out, cwd = tmp_path / "out", tmp_path / "cwd"
    cwd.mkdir()
    runs_before = _snapshot(CHECKOUT / "runs")
    top_before = sorted(p.name for p in CHECKOUT.iterdir())
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    result = subprocess.run([sys.executable, "-m", "baytwin", "demo", "--live", "--out", str(out)],
                            capture_output=True, text=True, cwd=cwd, env=env, timeout=170)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]

    summary = json.loads((out / "summary.json").read_text())
    assert summary["violations"].get("not_charging", 0) >= 1 and summary["violations"].get("overstay", 0) >= 1
    assert summary["actions"].get("warning", 0) >= 2
    assert summary["charger_commands"].get("RemoteStartTransaction", 0) >= 2  # a plate, and a reviewed plate
    assert summary["reviews"] and all(r["reviewer"] == "demo-operator" and r["bay"] == "EV3" for r in summary["reviews"])
    assert summary["reviews"][0]["decision"] in ("confirmed", "corrected")

    engine = create_engine(f"sqlite:///{out / 'site.db'}")
    with engine.connect() as conn:
        rules = {(r.bay, r.rule) for r in conn.execute(select(schema.violations.c.bay, schema.violations.c.rule))}
        decided = conn.execute(select(schema.event_log.c.public).where(schema.event_log.c.kind == "review_resolved")).scalars().all()
    engine.dispose()
    assert ("EV1", "overstay") in rules and ("EV2", "not_charging") in rules
    assert ("EV3", "not_charging") not in rules  # the operator settled its read before its allowance ran out
    assert decided and json.loads(decided[0])["reviewer"] == "demo-operator"

    pack = out / summary["evidence_pack"]
    verify_pack(pack, load_public_key(out / "site.signing.pub"))  # raises, naming the problem, if it does not hold
    assert f"baytwindashboard--site{out / 'site.yaml'}" in "".join(result.stdout.split())

    assert not any(cwd.iterdir()), "nothing may be written where the command was started"
    assert _snapshot(CHECKOUT / "runs") == runs_before
    assert sorted(p.name for p in CHECKOUT.iterdir()) == top_before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cwd", "out"]
