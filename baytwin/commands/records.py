"""``baytwin audit | keys | retention | privacy | evidence``: the store's records and the personal data in them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer

from baytwin.common import (
    DB_OPTION,
    KEY_OPTION,
    console,
    err_console,
    fail,
    failing_on,
    open_store,
)
from core.config import ConfigError

audit_app = typer.Typer(no_args_is_help=True, help="Check the tamper-evident event log.")
keys_app = typer.Typer(no_args_is_help=True, help="Keys that protect personal data.")
retention_app = typer.Typer(no_args_is_help=True, help="Erase personal data whose retention has ended.")
privacy_app = typer.Typer(no_args_is_help=True, help="Data-subject requests.")
evidence_app = typer.Typer(no_args_is_help=True, help="Evidence packs for disputed violations.")

# --- audit and keys ----------------------------------------------------------------------


@audit_app.command("verify")
def audit_verify(db: Optional[str] = DB_OPTION) -> None:
    """Walk the hash chain; exit 1 and name the first broken row if anything was edited, inserted or deleted."""
    from core.store.database import StoreProblem, connect
    from core.store.verify import verify

    with failing_on(StoreProblem):
        engine = connect(db)
    result = verify(engine)
    if result.intact:
        console.print(f"intact: {result.rows:,} rows in {result.sites} site chain(s)")
        return
    for problem in result.breaks:
        err_console.print(f"broken: {problem}", highlight=False)
    raise typer.Exit(1)


def parse_as_of(as_of: str | None) -> float:
    """An ISO date-time (UTC if no zone) as epoch seconds; now when not given."""
    import time
    from datetime import datetime, timezone

    if as_of is None:
        return time.time()
    try:
        moment = datetime.fromisoformat(as_of)
    except ValueError:
        raise fail(f"--as-of {as_of!r}: not an ISO date-time (e.g. 2026-01-31T12:00)") from None
    return (moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)).timestamp()


@retention_app.command("purge")
def retention_purge(
    db: Optional[str] = DB_OPTION,
    key_file: Optional[Path] = KEY_OPTION,
    policy: Optional[Path] = typer.Option(None, "--policy", help="Policy file whose retention applies (default: built-in periods)."),
    as_of: Optional[str] = typer.Option(None, "--as-of", help="Purge as if it were this ISO date-time (default: now)."),
) -> None:
    """Erase what has expired; each erasure is recorded in the audit log."""
    from core.rules.policy import Retention, load_policy
    from core.store.retention import purge

    log = open_store(db, key_file)
    retention = Retention()
    if policy is not None:
        with failing_on(ConfigError):
            loaded = load_policy(policy)
        retention_for = lambda site: loaded.for_site(site).retention  # noqa: E731
    else:
        retention_for = lambda site: retention  # noqa: E731
    report = purge(log, parse_as_of(as_of), retention_for)
    if not report:
        console.print("nothing has expired")
    for site, counts in report.items():
        console.print(f"{site}: " + ", ".join(f"{n:,} {cls} rows erased" for cls, n in counts.items()))


@privacy_app.command("export")
def privacy_export(
    plate: str = typer.Option(..., "--plate", help="The plate whose data is requested."),
    out: Path = typer.Option(..., "--out", "-o", help="JSON file to write."),
    db: Optional[str] = DB_OPTION,
    key_file: Optional[Path] = KEY_OPTION,
) -> None:
    """Everything held on one plate, in the clear, as a data-subject access export."""
    from core.privacy import KeyProblem
    from core.store.access import subject_access

    log = open_store(db, key_file)
    with failing_on(KeyProblem):
        export = subject_access(log, plate)
    out.write_text(json.dumps(export, indent=2, default=str) + "\n", encoding="utf-8")
    found = sum(len(site["events"]) for site in export["sites"].values())
    console.print(f"{found} events at {len(export['sites'])} site(s) written to {out}")


@evidence_app.command("export")
def evidence_export(
    violation_id: str = typer.Argument(..., help="The violation, e.g. workplace-garage/EV012/3."),
    out: Path = typer.Option(..., "--out", "-o", help="Zip file to write."),
    db: Optional[str] = DB_OPTION,
    key_file: Optional[Path] = KEY_OPTION,
) -> None:
    """Write a violation's evidence pack: timeline, sessions, policy, chain proof, printable summary."""
    import time

    from core.privacy import KeyProblem
    from core.store.evidence import EvidenceProblem, export_pack

    log = open_store(db, key_file)
    with failing_on(EvidenceProblem, KeyProblem):
        manifest = export_pack(log, violation_id, out, time.time())
    console.print(f"evidence for {manifest['violation_id']} ({manifest['rule']}) written to {out}")


@evidence_app.command("verify")
def evidence_verify(pack: Path = typer.Argument(..., help="An evidence pack (zip).")) -> None:
    """Check a pack on its own, without the database: digests, chain, timeline."""
    from core.store.evidence import EvidenceProblem, verify_pack

    try:
        manifest = verify_pack(pack)
    except EvidenceProblem as err:
        err_console.print(f"[bold red]invalid:[/] {err}", highlight=False, soft_wrap=True)
        raise typer.Exit(1) from None
    console.print(f"valid: evidence for {manifest['violation_id']}, chain rows checked up to head {manifest['chain_head']['seq']}")


@keys_app.command("generate")
def keys_generate(out: Path = typer.Option(..., "--out", "-o", help="Key file to create (mode 600).")) -> None:  # noqa: B008
    """Create a new key file. Keep it out of the database and its backups."""
    import os

    from core.privacy import generate_key

    if out.exists():
        raise fail(f"{out}: already exists; refusing to overwrite a key (data sealed with it would be lost)")
    fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(generate_key() + "\n")
    console.print(f"key written to {out}")
