"""The login gate of the operations pages.

On this machine only (host 127.0.0.1, localhost or ::1) and without a users file nobody logs in:
whoever can open the page already has the machine. Bound to anything else (or given ``--users``),
a page that calls ``require_role`` shows a login form and goes on only for a user of the users
file whose role is high enough. The user is kept in the browser session's state; "Log out" forgets it.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from core.config import ConfigError
from dashboards.settings import Settings
from dashboards.users import ROLES, User, authenticate, load_users

SESSION_USER = "baytwin_user"
LOCAL_USER = User(username="local", role="admin", password_hash="pbkdf2_sha256$1$00$00")


@st.cache_data(show_spinner=False, max_entries=8)
def _users(path: str, stamp: int) -> dict[str, User]:
    """``stamp`` (the file's modification time) is there only to be part of the cache key."""
    return load_users(Path(path))


def current_user() -> User | None:
    return st.session_state.get(SESSION_USER)


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
    if submitted:
        user = authenticate(users, username, password)
        if user is None:
            st.error("Unknown username or wrong password.")
        else:
            st.session_state[SESSION_USER] = user
            st.rerun()


def _sidebar(user: User) -> None:
    st.sidebar.write(f"Logged in as **{user.username}** ({user.role})")
    if st.sidebar.button("Log out", key="logout"):
        st.session_state.pop(SESSION_USER, None)
        st.rerun()
