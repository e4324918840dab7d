"""``--cert`` / ``--tls-key``: wss:// (OCPP security profile 2) for every command that serves chargers.

``csms serve`` and ``live run`` listen for the same chargers in the same way,
so they take the same two options and refuse the same mistakes with the same
one line: one option without the other, a file that cannot be read, a key that
does not match its certificate.
"""

from __future__ import annotations

import ssl
from pathlib import Path
from typing import Optional

import typer

from baytwin.common import fail

CERT_OPTION = typer.Option(None, "--cert", help="TLS certificate (PEM) for wss:// (security profile 2).")
TLS_KEY_OPTION = typer.Option(None, "--tls-key", help="TLS private key (PEM) of --cert.")


def server_context(cert: Optional[Path], key: Optional[Path]) -> ssl.SSLContext | None:
    """The TLS context to serve with, None for plain ws://; exit 2 with one line when it cannot be made."""
    if cert is None and key is None:
        return None
    if cert is None or key is None:
        raise fail("--cert and --tls-key go together")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    try:
        context.load_cert_chain(cert, key)
    except (OSError, ssl.SSLError) as err:
        raise fail(f"cannot load the TLS certificate or key: {err}") from None
    return context
