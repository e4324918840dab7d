"""Opening a store: every way it can fail is one StoreProblem that names the database and the reason."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from baytwin.core.store.database import StoreProblem, connect


@pytest.mark.parametrize(("url", "reason"), [
    ("nonsense", "not a database URL"),
    ("mysql://user@host/db", "only SQLite and PostgreSQL are supported"),
    ("postgresql+pg8000://user:secret@127.0.0.1:1/db", "driver 'postgresql+pg8000' is not installed"),
])
def test_a_database_that_cannot_be_opened_is_one_clear_problem(url: str, reason: str) -> None:
    with pytest.raises(StoreProblem, match=re.escape(reason)) as caught:
        connect(url)
    assert "secret" not in str(caught.value)  # a password in the URL never reaches a message


def test_a_sqlite_file_in_a_missing_folder_names_the_file(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'missing' / 'store.db'}"
    with pytest.raises(StoreProblem, match="cannot open the database") as caught:
        connect(url)
    assert "store.db" in str(caught.value)
