"""Reading a policy file that may hold a ``parking`` section beside the enforcement rules.

The rules' model refuses fields it does not know, so the section is taken out before the rules are
validated and checked on its own; either way a problem is one line naming the file and the field.
"""

from __future__ import annotations

from pathlib import Path

from baytwin.core.config import load_yaml, validate
from baytwin.core.parking.policy import Parking, split_parking, validate_parking
from baytwin.core.rules.policy import Policy


def load_policy_with_parking(path: Path) -> tuple[Policy, Parking | None]:
    """The enforcement policy of ``path`` and its parking section (None if it has none)."""
    rest, parking = split_parking(load_yaml(path))
    policy = validate(Policy, rest, path)
    return policy, (validate_parking(parking, path) if parking is not None else None)
