"""``baytwin audit | keys | retention | privacy | evidence``: the store's records and the personal data in them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer

from baytwin.group import command_group
from baytwin.common import (
    DB_OPTION,
    KEY_OPTION,
    console,
    err_console,
    fail,
    failing_on,
    open_store,
    print_json,
)
from baytwin.core.config_error import ConfigError

audit_app = command_group(help="Check the tamper-evident event log.")
keys_app = command_group(help="Keys that protect personal data.")
retention_app = command_group(help="Erase personal data whose retention has ended.")
privacy_app = command_group(help="Data-subject requests.")
evidence_app = command_group(help="Evidence packs for disputed violations.")

# --- audit and keys ----------------------------------------------------------------------

SIGNING_KEY_OPTION = typer.Option(None, "--signing-key",
                                   help="The site's Ed25519 signing key (default: BAYTWIN_SIGNING_KEY_FILE, else the "
                                        "<key>.signing.key beside the key file).")
PUBLIC_KEY_OPTION = typer.Option(None, "--public-key",
                                 help="The site's public key, <key>.signing.pub (default: BAYTWIN_PUBLIC_KEY_FILE).")


def _existing_store(db: str | None):  # type: ignore[no-untyped-def]
    """The database an audit command names; never a new, empty one."""
    import os

    from baytwin.core.store.database import StoreProblem, open_existing

    url = db or os.environ.get("BAYTWIN_DB_URL")
    if not url:
        raise fail("no database: pass --db URL (or set BAYTWIN_DB_URL); an audit never creates one")
    with failing_on(StoreProblem):
        return open_existing(url)


@audit_app.command("verify")
def audit_verify(
    db: Optional[str] = DB_OPTION,
    checkpoints: Optional[Path] = typer.Option(None, "--checkpoints",
                                               help="Folder of signed checkpoints (audit checkpoint) to hold the log to."),
    public_key: Optional[Path] = PUBLIC_KEY_OPTION,
    late_allowance: float = typer.Option(3600.0, "--late-allowance", min=0.0,
                                         help="Seconds a row logged after a checkpoint may be dated before it (late events)."),
    as_json: bool = typer.Option(False, "--json", help="Print the outcome as one JSON object (exit codes unchanged)."),
) -> None:
    """Check the log and everything built from it; exit 1 naming each problem.

    The hash chain (edited, inserted, deleted rows), every column of every row, the projection tables
    rebuilt from the log, and with --checkpoints the anchored heads (a chain recomputed, cut short, a site deleted).
    """
    from baytwin.core.store.audit import audit
    from baytwin.core.store.checkpoint import CheckpointProblem, load
    from baytwin.core.store.signing import SigningProblem, public_key_from_environment

    engine = _existing_store(db)
    anchors = problems = None
    if checkpoints is not None:
        with failing_on(SigningProblem, CheckpointProblem):
            anchors, problems = load(checkpoints, public_key_from_environment(public_key))
    report = audit(engine, anchors, problems, late_allowance)
    if as_json:
        anchoring = report.anchoring
        print_json({"intact": report.intact, "rows": report.chain.rows, "sites": report.chain.sites,
                    "checkpoints": None if anchoring is None else anchoring.checked,
                    "unanchored_rows": None if anchoring is None else dict(anchoring.unanchored or {}),
                    "problems": report.problems()})
        raise typer.Exit(0 if report.intact else 1)
    if report.intact:
        chain = report.chain
        console.print(f"intact: {chain.rows:,} rows in {chain.sites} site chain(s); projections match the log")
        if report.anchoring is not None:
            waiting = sum((report.anchoring.unanchored or {}).values())
            console.print(f"anchored: {report.anchoring.checked} checkpoint(s) hold; {waiting:,} row(s) logged since "
                          "the newest checkpoint of their site", highlight=False)
        return
    for line in report.problems():
        err_console.print(line, highlight=False, soft_wrap=True)
    raise typer.Exit(1)


@audit_app.command("checkpoint")
def audit_checkpoint(
    out: Path = typer.Option(..., "--out", "-o", help="Checkpoint folder, kept outside the database (files are only added)."),
    db: Optional[str] = DB_OPTION,
    key_file: Optional[Path] = KEY_OPTION,
    signing_key: Optional[Path] = SIGNING_KEY_OPTION,
) -> None:
    """Write a signed checkpoint of every site's chain head: site, row count, head hash, time."""
    import time

    from baytwin.core.store.checkpoint import CheckpointProblem, write_checkpoints
    from baytwin.core.store.signing import SigningProblem, signer_from_environment

    with failing_on(SigningProblem):
        signer = signer_from_environment(signing_key, key_file)
    engine = _existing_store(db)
    with failing_on(CheckpointProblem):
        written = write_checkpoints(engine, signer, out, time.time())
    for path in written:
        console.print(f"checkpoint {path}", highlight=False, soft_wrap=True)
    if not written:
        console.print("no site has rows yet: nothing to anchor")


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
    from baytwin.core.parking.loading import load_policy_with_parking
    from baytwin.core.rules.policy import Retention
    from baytwin.core.store.retention import purge

    log = open_store(db, key_file)
    retention = Retention()
    if policy is not None:
        with failing_on(ConfigError):
            loaded, _ = load_policy_with_parking(policy)  # a parking section beside the rules is no error
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
    from baytwin.core.privacy import KeyProblem
    from baytwin.core.store.access import subject_access

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
    signing_key: Optional[Path] = SIGNING_KEY_OPTION,
) -> None:
    """Write a violation's signed evidence pack: chain segment, timeline, sessions, policy, printable summary."""
    import time

    from baytwin.core.privacy import KeyProblem
    from baytwin.core.store.evidence import EvidenceProblem, export_pack
    from baytwin.core.store.signing import SigningProblem, signer_from_environment

    with failing_on(SigningProblem):
        signer = signer_from_environment(signing_key, key_file)
    log = open_store(db, key_file)
    with failing_on(EvidenceProblem, KeyProblem):
        manifest = export_pack(log, violation_id, out, time.time(), signer)
    console.print(f"evidence for {manifest['violation_id']} ({manifest['rule']}) written to {out}, "
                  f"signed by key {signer.key_id}")


@evidence_app.command("verify")
def evidence_verify(
    pack: Path = typer.Argument(..., help="An evidence pack (zip)."),
    public_key: Optional[Path] = PUBLIC_KEY_OPTION,
) -> None:
    """Check a pack offline with the site's public key: signature, every file, the chain, everything derived from it."""
    from baytwin.core.store.evidence import EvidenceProblem, verify_pack
    from baytwin.core.store.signing import SigningProblem, public_key_from_environment

    with failing_on(SigningProblem):
        key = public_key_from_environment(public_key)
    try:
        manifest = verify_pack(pack, key)
    except EvidenceProblem as err:
        err_console.print(f"[bold red]invalid:[/] {err}", highlight=False, soft_wrap=True)
        raise typer.Exit(1) from None
    console.print(f"valid: evidence for {manifest['violation_id']}, signed by key {manifest['signed_by']}, "
                  f"{manifest['rows_checked']} chain rows checked", highlight=False, soft_wrap=True)


@keys_app.command("generate")
def keys_generate(out: Path = typer.Option(..., "--out", "-o", help="Key file to create (mode 600).")) -> None:  # noqa: B008
    """Create a new key file, and beside it the site's signing key pair. Keep them out of the database and its backups."""
    from baytwin.core.privacy import KeyProblem, write_new_key
    from baytwin.core.store.signing import Signer, SigningProblem, signing_paths

    private, public = signing_paths(out)
    for path in (out, private, public):
        if path.exists():
            raise fail(f"{path}: already exists; refusing to overwrite a key (data sealed or signed with it would be lost)")
    with failing_on(KeyProblem, SigningProblem, OSError):
        write_new_key(out)
        Signer.generate().save(private, public)
    console.print(f"key written to {out}; signing key {private}, its public key {public} (give that one to whoever checks packs)")


@keys_app.command("signing")
def keys_signing(out: Path = typer.Option(..., "--out", "-o", help="Signing key file to create, e.g. site.signing.key (mode 600).")) -> None:  # noqa: B008
    """Create a signing key pair for a site whose key file already exists (the public half goes to FILE's .pub)."""
    from baytwin.core.store.signing import Signer, SigningProblem

    public = out.with_suffix(".pub")
    with failing_on(SigningProblem):
        signer = Signer.generate()
        signer.save(out, public)
    console.print(f"signing key written to {out} (key {signer.key_id}); its public key to {public}")


@keys_app.command("public")
def keys_public(
    signing_key: Path = typer.Option(..., "--signing-key", help="The site's signing key."),
    out: Optional[Path] = typer.Option(None, "--out", "-o", help="File to write (default: print it)."),
) -> None:
    """Export the public key that checks the site's packs and checkpoints."""
    from baytwin.core.store.signing import Signer, SigningProblem, public_pem

    with failing_on(SigningProblem):
        signer = Signer.from_file(signing_key)
    pem = public_pem(signer.public).decode("ascii")
    if out is None:
        print(pem, end="")
        return
    out.write_text(pem, encoding="ascii")
    console.print(f"public key {signer.key_id} written to {out}")
