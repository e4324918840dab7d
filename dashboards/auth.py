"""The login gate of the operations pages.

On this machine only (host 127.0.0.1, localhost or ::1) and without a users file nobody logs in:
whoever can open the page already has the machine. Bound to anything else (or given ``--users``),
a page that calls ``require_role`` shows a login form and goes on only for a user of the users
file whose role is high enough. The user is kept in the browser session's state; "Log out" forgets it.

Wrong passwords are limited per username and per client address (one limiter for the whole
dashboard process, so opening a new browser session does not reset it): past the limit the form
says when to try again and checks nothing, the right password included, until then.
"""

from __future__ import annotations

import time
from pathlib import Path

import streamlit as st

from baytwin.core.auth_limit import AuthLimiter
from baytwin.core.config import ConfigError
from baytwin.dashboards.settings import Settings
from baytwin.dashboards.users import ROLES, User, authenticate, load_users

SESSION_USER = "baytwin_user"
LOCAL_USER = User(username="local", role="admin", password_hash="pbkdf2_sha256$1$00$00")


@st.cache_data(show_spinner=False, max_entries=8)
def _users(path: str, stamp: int) -> dict[str, User]:
    """``stamp`` (the file's modification time) is there only to be part of the cache key."""
    return load_users(Path(path))


@st.cache_resource(show_spinner=False)
def login_limiter() -> AuthLimiter:
    """Five wrong passwords per username, twenty per address, in fifteen minutes."""
    return AuthLimiter(max_failures_per_address=20, max_failures_per_station=5, window_s=15 * 60.0)


def _client_address() -> str:
    try:
        return str(st.context.ip_address or "unknown")
    except Exception:  # noqa: BLE001 - outside a browser session (tests) there is no address
        return "unknown"


def current_user() -> User | None:
    return st.session_state.get(SESSION_USER)


def signed_in_user(settings: Settings) -> User:
    """The user ``page_setup`` let in (the local user when no login is needed)."""
    return (current_user() or LOCAL_USER) if settings.login_required else LOCAL_USER


def masked_plate(plate: str | None) -> str:
    """A plate as a viewer sees it: enough to tell reads apart on the page, not enough to identify a car."""
    if not plate:
        return "?"
    return plate[0] + "•" * max(1, len(plate) - 2) + (plate[-1] if len(plate) > 1 else "")


def require_role(min_role: str, settings: Settings | None = None) -> User:
    """The user looking at the page, at least ``min_role``; otherwise the page stops here (with a
    login form, or a message saying which role is needed)."""
    if min_role not in ROLES:
        raise ValueError(f"unknown role {min_role!r} (roles: {', '.join(ROLES)})")
    settings = settings or Settings.from_environment()
    if not settings.login_required:
        return LOCAL_USER
    if settings.users_file is None:
        st.error("This dashboard is reachable from other machines but has no users file: "
                 "start it with `baytwin dashboard --users FILE`.")
        st.stop()
    try:
        users = _users(str(settings.users_file), settings.users_file.stat().st_mtime_ns)
    except (ConfigError, OSError) as err:
        st.error(f"error: {err}")
        st.stop()
    user = current_user()
    if user is not None and users.get(user.username) != user:
        user = None  # removed from the file, or its role or password changed: log in again
        st.session_state.pop(SESSION_USER, None)
    if user is None:
        _login_form(users)
        st.stop()
    _sidebar(user)
    if not user.may(min_role):
        st.error(f"This page needs the {min_role} role; {user.username} is a {user.role}.")
        st.stop()
    return user


def _login_form(users: dict[str, User]) -> None:
    with st.form("login"):
        st.subheader("Log in")
        username = st.text_input("Username", key="login_username")
        password = st.text_input("Password", type="password", key="login_password")
        submitted = st.form_submit_button("Log in")
    if not submitted:
        return
    limiter, address, now = login_limiter(), _client_address(), time.time()
    account = username.strip()
    wait = limiter.retry_in(address, account, now)
    if wait > 0:
        st.error(f"Too many failed logins; try again in {max(1, round(wait / 60))} minute(s).")
        return
    limiter.failed(address, account, now)  # counted until proven right
    user = authenticate(users, username, password)
    if user is None:
        st.error("Unknown username or wrong password.")
    else:
        limiter.succeeded(address, account, now)
        st.session_state[SESSION_USER] = user
        st.rerun()


def _sidebar(user: User) -> None:
    st.sidebar.write(f"Logged in as **{user.username}** ({user.role})")
    if st.sidebar.button("Log out", key="logout"):
        st.session_state.pop(SESSION_USER, None)
        st.rerun()
