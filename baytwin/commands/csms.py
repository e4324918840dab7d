"""``baytwin csms``: the OCPP central system on its own."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from baytwin.group import command_group
from baytwin.common import (
    DB_OPTION,
    console,
    fail,
    failing_on,
    open_store,
)
from baytwin.commands.csms_command import csms_command
from baytwin.logs import LOG_FORMAT_OPTION, LOG_LEVEL_OPTION, LogFormat, LogLevel, configure_logging
from baytwin.tls import CERT_OPTION, TLS_KEY_OPTION, server_context
from baytwin.core.config_error import ConfigError

csms_app = command_group(help="The OCPP central system (1.6J and 2.0.1).")

# --- central system ------------------------------------------------------------------------


@csms_app.command("serve")
def csms_serve(
    host: str = typer.Option("127.0.0.1", help="Address to listen on."),
    port: int = typer.Option(9000, help="Port to listen on."),
    site: Optional[Path] = typer.Option(None, "--site", help="Site file with a csms section (default: accept any charger)."),
    db: Optional[str] = DB_OPTION,
    key_file: Optional[Path] = typer.Option(None, "--key-file", help="Key that seals personal data in the store."),
    no_store: bool = typer.Option(False, "--no-store", help="Keep nothing (testing only)."),
    cert: Optional[Path] = CERT_OPTION,
    tls_key: Optional[Path] = TLS_KEY_OPTION,
    checkpoints: Optional[Path] = typer.Option(None, "--checkpoints", help="Folder outside the database for signed "
                                               "checkpoints of the log's head (audit verify --checkpoints checks them)."),
    checkpoint_every: float = typer.Option(3600.0, "--checkpoint-every", min=1.0, help="Seconds between checkpoints."),
    signing_key: Optional[Path] = typer.Option(None, "--signing-key", help="Site signing key (default: beside the key file)."),
    log_level: Optional[LogLevel] = LOG_LEVEL_OPTION,
    log_format: LogFormat = LOG_FORMAT_OPTION,
) -> None:
    """Serve chargers over OCPP-J websockets: ws://HOST:PORT/<charge point id> (or /ocpp/<id>)."""
    import asyncio
    import signal

    from baytwin.core.csms.config import CsmsConfig, load_csms_config
    from baytwin.core.csms.health import site_report
    from baytwin.core.csms.server import CsmsServer
    from baytwin.core.csms.service import persistent_central_system, purge_periodically
    from baytwin.core.store.writer import StoreWriter

    configure_logging(log_level, log_format)
    with failing_on(ConfigError):
        config = load_csms_config(site) if site else CsmsConfig(site_id="site", auto_register=True,
                                                                accept_unknown_tokens=True)
    context = server_context(cert, tls_key)
    log = None if no_store else open_store(db, key_file)
    signer = None
    if checkpoints is not None:
        if log is None:
            raise fail("--checkpoints needs the store (drop --no-store)")
        from baytwin.core.store.signing import SigningProblem, signer_from_environment

        with failing_on(SigningProblem):
            signer = signer_from_environment(signing_key, key_file)
    writer = StoreWriter(log) if log is not None else None
    central = persistent_central_system(config, log, writer=writer)
    server = CsmsServer(central)
    if writer is not None:  # GET /health also says when the store last took a write, and whether it refuses them
        server.health = lambda: site_report(central, server.connected, writer.times)

    async def serve() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        bound = await server.start(host, port, context)
        purging = asyncio.create_task(purge_periodically(log, server.clock.now, stop=stop)) if log else None
        relaying = None  # operators' commands, asked through the store (csms command, the live page)
        if log is not None and writer is not None:
            from baytwin.core.csms.operator_relay import CommandRelay

            relaying = asyncio.create_task(CommandRelay(log, writer, server, config.site_id, server.clock.now).run(stop))
        anchoring = None
        if log is not None and signer is not None and checkpoints is not None:
            from baytwin.core.store.checkpoint_timer import checkpoint_periodically

            anchoring = asyncio.create_task(checkpoint_periodically(log.engine, signer, checkpoints, server.clock.now,
                                                                    every_s=checkpoint_every, stop=stop))
        scheme = "wss" if context else "ws"
        console.print(f"central system for site {config.site_id} on {scheme}://{host}:{bound}/<charge point id> "
                      "(subprotocols ocpp2.0.1, ocpp1.6); Ctrl-C stops", highlight=False)
        await stop.wait()
        await server.stop()
        if relaying is not None:
            await relaying
        if purging is not None:
            await purging
        if anchoring is not None:
            await anchoring
        if writer is not None:
            await asyncio.to_thread(writer.close)
        if log is not None and signer is not None and checkpoints is not None:  # the last head, anchored at shutdown
            from baytwin.core.store.checkpoint import CheckpointProblem, write_checkpoints

            try:
                await asyncio.to_thread(write_checkpoints, log.engine, signer, checkpoints, server.clock.now())
            except CheckpointProblem as err:
                console.print(f"warning: no checkpoint at shutdown: {err}", highlight=False)

    try:
        asyncio.run(serve())
    except OSError as err:
        raise fail(f"cannot listen on {host}:{port}: {err.strerror or err}") from None
    console.print(f"stopped; {len(central.open_transactions())} transaction(s) still open, kept in the store")


csms_app.command("command")(csms_command)

@csms_app.command("hash-password")
def csms_hash_password(password: str = typer.Option(..., prompt=True, hide_input=True,
                                                    help="The station's Basic-auth password.")) -> None:
    """Print the hash to put in a station's password_hash (the password itself is never stored)."""
    from baytwin.core.csms.config import hash_password

    print(hash_password(password))
