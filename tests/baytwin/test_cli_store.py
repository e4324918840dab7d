"""The store's commands as an operator uses them: real processes, a real database file."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from baytwin.cli import app

from .test_cli import SMALL_SITE, baytwin


@pytest.fixture(scope="module")
def stored_run(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("store")
    key = root / "site.key"
    assert baytwin("keys", "generate", "--out", str(key)).returncode == 0
    scenario = root / "tiny.yaml"
    scenario.write_text(SMALL_SITE.replace("days: 2", "days: 3"))
    db = f"sqlite:///{root / 'store.db'}"
    result = baytwin("sim", "run", str(scenario), "--out", str(root / "run"), "--store", "--db", db, "--key-file", str(key))
    assert result.returncode == 0, result.stderr
    return {"root": root, "key": key, "db": Path(db.removeprefix("sqlite:///")), "run": root / "run"}


def db_arg(paths: dict[str, Path]) -> list[str]:
    return ["--db", f"sqlite:///{paths['db']}"]


def test_audit_verify_passes_on_an_untouched_log(stored_run: dict[str, Path]) -> None:
    result = baytwin("audit", "verify", *db_arg(stored_run))
    assert result.returncode == 0 and "intact" in result.stdout


def test_audit_verify_fails_with_exit_1_naming_the_edited_row(stored_run: dict[str, Path], tmp_path: Path) -> None:
    copy = tmp_path / "copy.db"
    copy.write_bytes(stored_run["db"].read_bytes())
    with sqlite3.connect(copy) as conn:
        conn.execute("UPDATE event_log SET bay = 'EV999' WHERE seq = 10")
    result = baytwin("audit", "verify", "--db", f"sqlite:///{copy}")
    assert result.returncode == 1
    assert "row 10" in result.stderr and "edited" in result.stderr


def test_keys_generate_writes_the_signing_pair_beside_the_key(stored_run: dict[str, Path]) -> None:
    root = stored_run["root"]
    assert (root / "site.signing.key").stat().st_mode & 0o777 == 0o600
    assert b"PUBLIC KEY" in (root / "site.signing.pub").read_bytes()
    exported = baytwin("keys", "public", "--signing-key", str(root / "site.signing.key"))
    assert exported.returncode == 0 and exported.stdout == (root / "site.signing.pub").read_text()


def test_evidence_export_and_verify(stored_run: dict[str, Path], tmp_path: Path) -> None:
    violations = pd.read_parquet(stored_run["run"] / "violations.parquet")
    violation_id = violations.violation_id.dropna().iloc[0]
    pack = tmp_path / "pack.zip"
    result = baytwin("evidence", "export", violation_id, "--out", str(pack), *db_arg(stored_run),
                     "--key-file", str(stored_run["key"]))
    assert result.returncode == 0, result.stderr
    public = ["--public-key", str(stored_run["root"] / "site.signing.pub")]
    result = baytwin("evidence", "verify", str(pack), *public)
    assert result.returncode == 0 and result.stdout.startswith("valid:"), result.stderr
    other = tmp_path / "other.signing.key"
    assert baytwin("keys", "signing", "--out", str(other)).returncode == 0
    result = baytwin("evidence", "verify", str(pack), "--public-key", str(other.with_suffix(".pub")))
    assert result.returncode == 1 and "signature does not match" in result.stderr
    result = baytwin("evidence", "verify", str(pack))
    assert result.returncode == 2 and "no public key" in result.stderr
    pack.write_bytes(pack.read_bytes()[:-200])
    result = baytwin("evidence", "verify", str(pack), *public)
    assert result.returncode == 1 and "corrupt or truncated" in result.stderr


def test_evidence_verify_gives_a_one_line_verdict_for_damaged_zips(stored_run: dict[str, Path], tmp_path: Path) -> None:
    """Bit flips in headers, deflate data and the directory, run through the command itself: a verdict each time."""
    violations = pd.read_parquet(stored_run["run"] / "violations.parquet")
    pack = tmp_path / "pack.zip"
    runner = CliRunner()
    exported = runner.invoke(app, ["evidence", "export", violations.violation_id.dropna().iloc[0], "--out", str(pack),
                                   *db_arg(stored_run), "--key-file", str(stored_run["key"])])
    assert exported.exit_code == 0, exported.output
    raw = pack.read_bytes()
    public = str(stored_run["root"] / "site.signing.pub")
    step = max(1, len(raw) * 8 // 40)
    for bit in range(0, len(raw) * 8, step):
        flipped = bytearray(raw)
        flipped[bit // 8] ^= 1 << (bit % 8)
        pack.write_bytes(bytes(flipped))
        result = runner.invoke(app, ["evidence", "verify", str(pack), "--public-key", public])
        assert result.exit_code in (0, 1) and result.exception is None or isinstance(result.exception, SystemExit), bit
        assert len(result.output.strip().splitlines()) == 1, result.output


def test_privacy_export_finds_a_drivers_records(stored_run: dict[str, Path], tmp_path: Path) -> None:
    sessions = pd.read_parquet(stored_run["run"] / "sessions.parquet")
    plate = sessions[sessions.plate_seen.notna()].plate_seen.iloc[0]
    out = tmp_path / "dsar.json"
    result = baytwin("privacy", "export", "--plate", plate, "--out", str(out), *db_arg(stored_run),
                     "--key-file", str(stored_run["key"]))
    assert result.returncode == 0, result.stderr
    export = json.loads(out.read_text())
    events = export["sites"]["tiny"]["events"]
    assert events and all(plate in json.dumps(e) for e in events)


def test_retention_purge_reports_and_keeps_the_chain(stored_run: dict[str, Path], tmp_path: Path) -> None:
    copy = tmp_path / "copy.db"
    copy.write_bytes(stored_run["db"].read_bytes())
    db = ["--db", f"sqlite:///{copy}", "--key-file", str(stored_run["key"])]
    result = baytwin("retention", "purge", *db, "--as-of", "2030-01-01")
    assert result.returncode == 0 and "erased" in result.stdout
    assert baytwin("audit", "verify", "--db", f"sqlite:///{copy}").returncode == 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["privacy", "export", "--plate", "AB12CDE", "--out", "x.json"], "no key"),
        (["privacy", "export", "--plate", "AB12CDE", "--out", "x.json", "--key-file", "missing.key"], "key file not found"),
        (["audit", "verify", "--db", "not a url"], "not a database URL"),
        (["audit", "verify", "--db", "mysql://host/db"], "only SQLite and PostgreSQL"),
        (["audit", "verify", "--db", "postgresql://nobody:secret@127.0.0.1:1/none"], "cannot open the database"),
        (["retention", "purge", "--as-of", "yesterday"], "not an ISO date-time"),
    ],
)
def test_store_commands_fail_clearly(args: list[str], message: str, tmp_path: Path,
                                     monkeypatch: pytest.MonkeyPatch, stored_run: dict[str, Path]) -> None:
    monkeypatch.delenv("BAYTWIN_KEY", raising=False)
    monkeypatch.delenv("BAYTWIN_KEY_FILE", raising=False)
    if "--db" not in args:
        args = args + ["--db", f"sqlite:///{tmp_path / 'x.db'}"]
    if args[0] == "retention":
        args = args + ["--key-file", str(stored_run["key"])]
    result = baytwin(*args, cwd=tmp_path)
    assert result.returncode == 2
    assert message in result.stderr and "Traceback" not in result.stderr


def test_keys_generate_refuses_to_overwrite(stored_run: dict[str, Path]) -> None:
    result = baytwin("keys", "generate", "--out", str(stored_run["key"]))
    assert result.returncode == 2 and "already exists" in result.stderr


def test_audit_verify_never_creates_a_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BAYTWIN_DB_URL", raising=False)
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    for args, message in ((["audit", "verify"], "no database: pass --db URL"),
                          (["audit", "verify", "--db", f"sqlite:///{tmp_path / 'typo.db'}"], "no such database file"),
                          (["audit", "checkpoint", "--out", "cp", "--db", "sqlite:///typo.db",
                            "--signing-key", "missing.key"], "signing key file not found")):
        result = runner.invoke(app, args)
        assert result.exit_code == 2, result.output
        assert message in result.output and len(result.output.strip().splitlines()) == 1, result.output
    assert list(tmp_path.iterdir()) == []


def test_audit_verify_rejects_a_database_that_is_not_a_store(tmp_path: Path) -> None:
    other = tmp_path / "other.db"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE notes (x TEXT)")
    result = CliRunner().invoke(app, ["audit", "verify", "--db", f"sqlite:///{other}"])
    assert result.exit_code == 2 and "not a baytwin store" in result.output


def test_audit_checkpoint_then_verify_finds_a_rewound_tail(stored_run: dict[str, Path], tmp_path: Path) -> None:
    copy = tmp_path / "copy.db"
    copy.write_bytes(stored_run["db"].read_bytes())
    db = ["--db", f"sqlite:///{copy}"]
    folder = tmp_path / "checkpoints"
    public = ["--public-key", str(stored_run["root"] / "site.signing.pub")]
    runner = CliRunner()
    written = runner.invoke(app, ["audit", "checkpoint", "--out", str(folder), *db, "--key-file", str(stored_run["key"])])
    assert written.exit_code == 0 and "checkpoint" in written.output, written.output
    assert len(list(folder.glob("*.json"))) == 1
    result = runner.invoke(app, ["audit", "verify", *db, "--checkpoints", str(folder), *public])
    assert result.exit_code == 0 and "anchored: 1 checkpoint(s) hold" in result.output, result.output
    with sqlite3.connect(copy) as conn:  # cut the last row and rewind the head: the chain alone still looks whole
        site, last = conn.execute("SELECT site, seq FROM chain_heads").fetchone()
        kind = conn.execute("SELECT kind FROM event_log WHERE seq = ?", (last,)).fetchone()[0]
        conn.execute("DELETE FROM event_log WHERE seq = ?", (last,))
        previous = conn.execute("SELECT hash FROM event_log WHERE seq = ?", (last - 1,)).fetchone()[0]
        conn.execute("UPDATE chain_heads SET seq = ?, hash = ?", (last - 1, previous))
    result = runner.invoke(app, ["audit", "verify", *db, "--checkpoints", str(folder), *public])
    assert result.exit_code == 1, (kind, result.output)
    assert "rows were removed from the end" in result.output
    result = runner.invoke(app, ["audit", "verify", *db, "--checkpoints", str(folder)])
    assert result.exit_code == 2 and "no public key" in result.output
