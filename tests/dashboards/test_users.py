"""The dashboard's users file: roles, password hashes and one-line errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from baytwin.core.config import ConfigError
from baytwin.core.csms.config import hash_password
from baytwin.dashboards.users import authenticate, load_users


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "users.yaml"
    path.write_text(text)
    return path


def test_users_log_in_with_their_password_only(tmp_path: Path) -> None:
    users = load_users(write(tmp_path, f"""users:
  - {{username: ada, role: admin, password_hash: "{hash_password('s3cret', iterations=1000)}"}}
  - {{username: vic, role: viewer, password_hash: "{hash_password('view', iterations=1000)}"}}
"""))
    ada = authenticate(users, "ada", "s3cret")
    assert ada is not None and ada.may("operator") and ada.may("admin")
    vic = authenticate(users, "vic", "view")
    assert vic is not None and vic.may("viewer") and not vic.may("operator")
    assert authenticate(users, "ada", "view") is None
    assert authenticate(users, "nobody", "s3cret") is None


@pytest.mark.parametrize(("text", "message"), [
    ("users:\n  - {username: a, role: boss, password_hash: x}\n",
     "users.0.role: Input should be 'viewer', 'operator' or 'admin' (got 'boss')"),
    ("users:\n  - {username: a, role: admin, password_hash: plaintext}\n", "users.0.password_hash: String should match"),
    ("people: []\n", "users: Field required"),
    ("users: [\n", "invalid YAML"),
])
def test_a_bad_users_file_is_one_line_naming_the_field(tmp_path: Path, text: str, message: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_users(path)
    assert str(caught.value).startswith(f"{path}: ") and message in str(caught.value)
    assert "\n" not in str(caught.value)


def test_a_username_twice_is_refused(tmp_path: Path) -> None:
    line = f'  - {{username: a, role: viewer, password_hash: "{hash_password("p", iterations=1000)}"}}\n'
    with pytest.raises(ConfigError, match="appears twice"):
        load_users(write(tmp_path, "users:\n" + line + line))
