"""Settings handed from the command line to the app through the environment."""

from __future__ import annotations

from pathlib import Path

from baytwin.dashboards.settings import Settings, is_local


def test_settings_survive_the_trip_through_the_environment(tmp_path: Path) -> None:
    settings = Settings(runs=tmp_path, host="0.0.0.0", users_file=tmp_path / "u.yaml", db_url="sqlite:///x.db")
    assert Settings.from_environment(settings.to_environment()) == settings


def test_login_is_required_off_this_machine_or_with_a_users_file(tmp_path: Path) -> None:
    assert is_local("127.0.0.1") and is_local("localhost") and is_local("::1") and is_local("[::1]")
    assert not is_local("0.0.0.0") and not is_local("192.168.1.20")
    assert not Settings(runs=tmp_path).login_required
    assert Settings(runs=tmp_path, host="0.0.0.0").login_required
    assert Settings(runs=tmp_path, users_file=tmp_path / "u.yaml").login_required
    assert Settings.from_environment({}).login_required  # started some other way: fail closed


def test_the_server_is_started_with_streamlits_toolbar_kept_minimal(tmp_path: Path) -> None:
    assert Settings(runs=tmp_path).to_environment()["STREAMLIT_CLIENT_TOOLBAR_MODE"] == "minimal"
