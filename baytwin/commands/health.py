"""``baytwin health``: ask a running site's /ready or /health over HTTP and exit 0 only if it answers 200.

A container's health check runs inside the container, where the slim image
has no curl; this command needs nothing but the package, reads the port from
the same site file ``live run`` was given, and prints one line a person can
read in ``docker inspect``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer
from rich.markup import escape

from baytwin.common import console, fail, failing_on
from baytwin.core.config_error import ConfigError

EXIT_UNWELL = 1  # answered, but not 200 (or not at all)


def health(
    site: Optional[Path] = typer.Option(None, "--site", help="The site file: ask the port in its listen section on this machine."),
    url: Optional[str] = typer.Option(None, "--url", help="Ask this URL instead, e.g. http://10.0.0.5:9000/health."),
    strict: bool = typer.Option(False, "--strict", help="Ask /health (200 only when ok) instead of /ready (200 unless down)."),
    tls: bool = typer.Option(False, "--tls", help="The site serves wss:// (--cert): ask over https without checking the certificate."),
    timeout: float = typer.Option(5.0, "--timeout", min=0.1, help="Seconds to wait for the answer."),
) -> None:
    """Exit 0 when the running site answers 200, 1 when it answers otherwise or not at all (one line either way)."""
    import json
    import ssl
    import urllib.error
    import urllib.request

    if (site is None) == (url is None):
        raise fail("give one of --site FILE or --url URL")
    if url is None:
        from baytwin.live.site import load_site

        with failing_on(ConfigError):
            port = load_site(site).spec.listen.port  # type: ignore[arg-type]
        url = f"{'https' if tls else 'http'}://127.0.0.1:{port}/{'health' if strict else 'ready'}"
    # the probe checks the process on this machine, not who it claims to be: its certificate is not verified
    context = ssl._create_unverified_context() if url.startswith("https:") else None  # noqa: S323
    try:
        with urllib.request.urlopen(url, timeout=timeout, context=context) as response:  # noqa: S310
            code, body = response.status, response.read()
    except urllib.error.HTTPError as answered:
        code, body = answered.code, answered.read()
    except (urllib.error.URLError, OSError, ValueError) as err:
        reason = getattr(err, "reason", err)
        raise fail(f"{url}: no answer ({reason})", EXIT_UNWELL) from None
    try:
        report = json.loads(body)
        summary = report["status"] + "".join(f"; {problem}" for problem in report.get("problems", []))
    except (ValueError, KeyError, TypeError):
        summary = f"HTTP {code} (not a health report)"
    console.print(escape(summary), highlight=False, soft_wrap=True)
    raise typer.Exit(0 if code == 200 else EXIT_UNWELL)
