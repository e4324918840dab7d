"""Reading a CSV file a user hands over (labels, vehicles) as one step with one kind of error.

Labels folders, registered-vehicle lists and reviewed crops all arrive as CSV files that may be
missing, unreadable, not UTF-8 or not CSV at all. Each caller raises its own error type with the
file named; the reading and the ways it fails are the same, so they live here once.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path


def read_csv_rows(path: Path, problem: Callable[[str], Exception],
                  missing: str = "no such file") -> tuple[list[str], list[dict[str, str]]]:
    """(column names, rows as dicts) of ``path``; any failure raises ``problem(reason)`` (``missing`` when
    the file does not exist, ``cannot read (...)`` otherwise)."""
    try:
        with path.open(newline="", encoding="utf-8") as f:
            reader = csv.DictReader(f)
            columns = list(reader.fieldnames or [])
            rows = list(reader)
    except FileNotFoundError:
        raise problem(missing) from None
    except (OSError, UnicodeDecodeError, csv.Error) as err:
        raise problem(f"cannot read ({err})") from None
    except ValueError:  # open() refuses a path holding a NUL byte
        raise problem("not a usable path (it contains a NUL byte)") from None
    return columns, rows
