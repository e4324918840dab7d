"""A new key file: its folder made when missing, never an existing key overwritten, every failure one line."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from baytwin.core.privacy import KeyProblem, Keys, write_new_key


def test_a_key_is_written_into_folders_that_did_not_exist(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "site-a" / "site.key"
    key = write_new_key(path)
    assert path.read_text() == key + "\n"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert Keys.from_file(path).master  # a key the store can open


def test_an_existing_key_is_never_overwritten(tmp_path: Path) -> None:
    path = tmp_path / "site.key"
    path.write_text("old\n")
    with pytest.raises(KeyProblem, match="already exists; refusing to overwrite"):
        write_new_key(path)
    assert path.read_text() == "old\n"


def test_a_file_where_the_folder_should_be_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "keys").write_text("not a folder")
    with pytest.raises(KeyProblem, match="cannot create the key file.s folder"):
        write_new_key(tmp_path / "keys" / "site.key")


def test_a_nul_byte_in_the_path_is_one_line(tmp_path: Path) -> None:
    with pytest.raises(KeyProblem, match="NUL byte"):
        write_new_key(tmp_path / "si\x00te.key")
