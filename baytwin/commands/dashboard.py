"""``baytwin dashboard``: the Streamlit dashboards in the browser."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

import typer

from baytwin.common import (
    DB_OPTION,
    console,
    fail,
    failing_on,
    needs_extra,
)
from baytwin.logs import LOG_LEVEL_OPTION, LogLevel, effective
from baytwin.core.config_error import ConfigError

# --- dashboard ---------------------------------------------------------------------------


def dashboard(
    runs: Path = typer.Option(Path("runs"), "--runs", help="Folder searched (at any depth) for runs, sweeps and OCR evaluations."),
    db: Optional[str] = DB_OPTION,
    port: int = typer.Option(8501, "--port", min=1, max=65535, help="Port to serve on."),
    host: str = typer.Option("127.0.0.1", "--host", help="Address to bind; anything but this machine needs --users."),
    users: Optional[Path] = typer.Option(None, "--users", help="YAML file of users (username, role, password_hash) for the operations pages."),
    site: Optional[Path] = typer.Option(None, "--site", help="A live site file: its bays, sessions, violations, cameras and review queue."),
    log_level: Optional[LogLevel] = LOG_LEVEL_OPTION,
) -> None:
    """Serve the dashboards (scenario comparison, sweep explorer, OCR QA, live operations) in the browser.

    --log-level is handed to Streamlit, which writes the server's log in its own text format."""
    import os
    import signal
    import subprocess

    needs_extra("baytwin dashboard", "dashboards")  # Streamlit runs in a process of its own: no import error here
    from baytwin import dashboards
    from baytwin.dashboards.settings import Settings, is_local
    from baytwin.dashboards.users import load_users

    if not is_local(host) and users is None:
        raise fail(f"--host {host}: a dashboard reachable from other machines needs --users FILE (usernames, roles, password hashes)")
    if users is not None:
        with failing_on(ConfigError):
            load_users(users)
    if not runs.is_dir():
        raise fail(f"{runs}: no such folder (run `baytwin demo` first, or pass --runs DIR)")
    if site is not None:
        from baytwin.live.site import load_site

        with failing_on(ConfigError):
            load_site(site)
    settings = Settings(runs=runs.resolve(), host=host, users_file=users.resolve() if users else None, db_url=db,
                        site_file=site.resolve() if site else None)
    package_root = Path(dashboards.__file__).resolve().parent
    env = {**os.environ, **settings.to_environment()}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(package_root.parent), env.get("PYTHONPATH")]))
    command = [sys.executable, "-m", "streamlit", "run", str(package_root / "app.py"),
               "--server.port", str(port), "--server.address", host, "--server.headless", "true",
               "--browser.gatherUsageStats", "false", "--logger.level", effective(log_level).value]
    from baytwin.ports import PortProblem, check_port_free, wait_until_listening

    with failing_on(PortProblem):
        check_port_free(host, port)
    shown_host = f"[{host}]" if ":" in host else host
    server = subprocess.Popen(command, env=env)
    signal.signal(signal.SIGTERM, lambda *_: server.terminate())  # stopping this command stops the server
    try:
        if wait_until_listening(host, port, lambda: server.poll() is None):
            console.print(f"dashboard on http://{shown_host}:{port} for {settings.runs} (Ctrl+C stops it)")
        code = server.wait()
    except KeyboardInterrupt:  # Streamlit got the same Ctrl+C and shuts itself down
        code = server.wait()
    raise typer.Exit(0 if code in (0, -signal.SIGTERM, -signal.SIGINT) else code)
