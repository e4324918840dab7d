"""The live operations page's login gate (``dashboards.auth.require_role``), shown before any site is opened."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from baytwin.core.csms.config import hash_password
from baytwin.dashboards.settings import HOST_ENV, USERS_ENV
from tests.dashboards.conftest import PAGES

PAGE = PAGES / "4_Live_operations.py"
PLACEHOLDER = ("No live site: start the dashboard with `baytwin dashboard --site site.yaml` "
               "(the same file `baytwin live run` runs).")


@pytest.fixture
def users_file(tmp_path: Path) -> Path:
    path = tmp_path / "users.yaml"
    path.write_text(f"""users:
  - {{username: vera, role: viewer, password_hash: "{hash_password('vera-pass', iterations=1000)}"}}
  - {{username: otto, role: operator, password_hash: "{hash_password('otto-pass', iterations=1000)}"}}
""")
    return path


@pytest.fixture
def exposed(dashboard_env: Path, monkeypatch: pytest.MonkeyPatch, users_file: Path) -> Path:
    monkeypatch.setenv(HOST_ENV, "0.0.0.0")
    monkeypatch.setenv(USERS_ENV, str(users_file))
    return users_file


def log_in(at: AppTest, username: str, password: str) -> AppTest:
    at.text_input(key="login_username").input(username)
    at.text_input(key="login_password").input(password)
    return at.button[0].click().run()


def test_on_this_machine_the_page_opens_without_a_login(dashboard_env: Path) -> None:
    at = AppTest.from_file(str(PAGE), default_timeout=30).run()
    assert [i.value for i in at.info] == [PLACEHOLDER]
    assert not at.text_input


def test_reachable_from_other_machines_it_asks_for_a_login(exposed: Path) -> None:
    at = AppTest.from_file(str(PAGE), default_timeout=30).run()
    assert not at.info
    assert [t.label for t in at.text_input] == ["Username", "Password"]


def test_a_wrong_password_is_refused(exposed: Path) -> None:
    at = log_in(AppTest.from_file(str(PAGE), default_timeout=30).run(), "vera", "otto-pass")
    assert [e.value for e in at.error] == ["Unknown username or wrong password."]
    assert not at.info


def test_a_viewer_logs_in_and_sees_the_page_then_logs_out(exposed: Path) -> None:
    at = log_in(AppTest.from_file(str(PAGE), default_timeout=30).run(), "vera", "vera-pass")
    assert [i.value for i in at.info] == [PLACEHOLDER]
    assert "vera" in at.sidebar.markdown[0].value
    at.sidebar.button(key="logout").click().run()
    assert not at.info and [t.label for t in at.text_input] == ["Username", "Password"]


def test_exposed_without_a_users_file_nobody_gets_in(dashboard_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(HOST_ENV, "0.0.0.0")
    at = AppTest.from_file(str(PAGE), default_timeout=30).run()
    assert not at.info and not at.text_input
    assert "no users file" in at.error[0].value


def test_a_role_below_the_one_required_is_turned_away(exposed: Path) -> None:
    script = (
        "from dashboards.auth import require_role\n"
        "import streamlit as st\n"
        "require_role('operator')\n"
        "st.info('reviews')\n"
    )
    viewer = log_in(AppTest.from_string(script, default_timeout=30).run(), "vera", "vera-pass")
    assert [e.value for e in viewer.error] == ["This page needs the operator role; vera is a viewer."]
    assert not viewer.info
    operator = log_in(AppTest.from_string(script, default_timeout=30).run(), "otto", "otto-pass")
    assert [i.value for i in operator.info] == ["reviews"]


@pytest.mark.parametrize("page", sorted(p.name for p in PAGES.glob("*.py")) + ["../app.py"])
def test_reachable_from_other_machines_every_page_asks_for_a_login_first(exposed: Path, page: str) -> None:
    at = AppTest.from_file(str(PAGES / page), default_timeout=60).run()
    assert not at.exception
    assert [t.label for t in at.text_input] == ["Username", "Password"]
    assert not at.dataframe and not at.metric  # nothing of the site's data before the login


def test_five_wrong_passwords_lock_the_user_out_for_a_while_even_with_the_right_one(exposed: Path) -> None:
    from baytwin.dashboards.auth import login_limiter

    login_limiter.clear()
    for _ in range(5):
        at = log_in(AppTest.from_file(str(PAGE), default_timeout=30).run(), "otto", "guess")
        assert [e.value for e in at.error] == ["Unknown username or wrong password."]
    at = log_in(AppTest.from_file(str(PAGE), default_timeout=30).run(), "otto", "otto-pass")  # a new session, too
    assert at.error[0].value.startswith("Too many failed logins; try again in")
    assert not at.info  # not let in
    at = log_in(AppTest.from_file(str(PAGE), default_timeout=30).run(), "vera", "vera-pass")  # others still can
    assert [i.value for i in at.info] == [PLACEHOLDER]
    login_limiter.clear()
