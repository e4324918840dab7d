"""The one way a user's CSV file is read: rows, or one error naming why not."""

from __future__ import annotations

from pathlib import Path

import pytest

from baytwin.core.csv_rows import read_csv_rows


class Problem(Exception):
    pass


def test_rows_come_back_with_their_columns_and_each_failure_is_one_problem(tmp_path: Path) -> None:
    good = tmp_path / "labels.csv"
    good.write_text("file,plate\na.png,AB12CDE\n", encoding="utf-8")
    assert read_csv_rows(good, Problem) == (["file", "plate"], [{"file": "a.png", "plate": "AB12CDE"}])
    latin = tmp_path / "latin.csv"
    latin.write_bytes(b"file,plate\n\xe9.png,X\n")
    for path, reason in ((tmp_path / "none.csv", "no such labels file"), (latin, "cannot read"),
                         (Path(str(tmp_path) + "/bad\0.csv"), "NUL byte")):
        with pytest.raises(Problem, match=reason):
            read_csv_rows(path, Problem, "no such labels file")
