"""What the dashboard is pointed at, handed from ``baytwin dashboard`` to the Streamlit app.

Streamlit runs the app in its own process, so the command line passes its options through
environment variables; the app reads them back here. Nothing in this module imports Streamlit,
so the command line can use it cheaply.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

RUNS_ENV = "BAYTWIN_DASHBOARD_RUNS"
HOST_ENV = "BAYTWIN_DASHBOARD_HOST"
USERS_ENV = "BAYTWIN_DASHBOARD_USERS"
SITE_ENV = "BAYTWIN_DASHBOARD_SITE"  # the live site file: its bays, cameras, store and key
DB_ENV = "BAYTWIN_DB_URL"  # the store's own variable: the dashboard opens the same database as every command

LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
# Streamlit's own settings for the dashboards' server, read from its environment when it starts: the
# toolbar without the developer's entries (its "Deploy" button means nothing to an operator).
STREAMLIT_CONFIG = {"STREAMLIT_CLIENT_TOOLBAR_MODE": "minimal"}


def is_local(host: str) -> bool:
    """True when only this machine can reach a server bound to ``host``."""
    return host.strip().lower().strip("[]") in LOCAL_HOSTS


@dataclass(frozen=True)
class Settings:
    runs: Path
    host: str = "127.0.0.1"
    users_file: Path | None = None
    db_url: str | None = None
    site_file: Path | None = None

    @property
    def login_required(self) -> bool:
        """Operations need a login when other machines can reach the dashboard, or when a users
        file was given (whoever gives one wants its logins used)."""
        return not is_local(self.host) or self.users_file is not None

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """The settings the command line passed. An unset host counts as not local, so an app
        started some other way asks for a login rather than assuming it is safe."""
        env = os.environ if environ is None else environ
        users, site = env.get(USERS_ENV), env.get(SITE_ENV)
        return cls(runs=Path(env.get(RUNS_ENV) or "runs"), host=env.get(HOST_ENV, ""),
                   users_file=Path(users) if users else None, db_url=env.get(DB_ENV) or None,
                   site_file=Path(site) if site else None)

    def to_environment(self) -> dict[str, str]:
        """What the server's environment needs: these settings, and Streamlit's own for the dashboards."""
        env = {**STREAMLIT_CONFIG, RUNS_ENV: str(self.runs), HOST_ENV: self.host}
        if self.users_file is not None:
            env[USERS_ENV] = str(self.users_file)
        if self.db_url:
            env[DB_ENV] = self.db_url
        if self.site_file is not None:
            env[SITE_ENV] = str(self.site_file)
        return env
