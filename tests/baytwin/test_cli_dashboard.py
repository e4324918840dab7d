"""``baytwin dashboard``: refusals before anything is served (the serving itself is driven in a
browser by tests/dashboards/test_browser.py)."""

from __future__ import annotations

from pathlib import Path

from .test_cli import baytwin


def test_a_dashboard_for_other_machines_needs_a_users_file(tmp_path: Path) -> None:
    result = baytwin("dashboard", "--runs", str(tmp_path), "--host", "0.0.0.0")
    assert result.returncode == 2
    assert result.stderr.strip() == ("error: --host 0.0.0.0: a dashboard reachable from other machines needs "
                                     "--users FILE (usernames, roles, password hashes)")


def test_a_bad_users_file_is_one_line_per_problem(tmp_path: Path) -> None:
    users = tmp_path / "users.yaml"
    users.write_text("users:\n  - {username: a, role: boss, password_hash: x}\n")
    result = baytwin("dashboard", "--runs", str(tmp_path), "--host", "0.0.0.0", "--users", str(users))
    assert result.returncode == 2
    role, password = result.stderr.strip().splitlines()
    assert role == f"error: {users}: users.0.role: Input should be 'viewer', 'operator' or 'admin' (got 'boss')"
    assert password.startswith(f"error: {users}: users.0.password_hash: String should match pattern")


def test_a_missing_runs_folder_is_one_line(tmp_path: Path) -> None:
    result = baytwin("dashboard", "--runs", str(tmp_path / "nowhere"))
    assert result.returncode == 2
    assert result.stderr.strip() == f"error: {tmp_path / 'nowhere'}: no such folder (run `baytwin demo` first, or pass --runs DIR)"
