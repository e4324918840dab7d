"""The parking section is checked on load: each problem is one line naming the file, the field and the problem."""

from __future__ import annotations

import pytest

from baytwin.core.config import ConfigError, validate
from baytwin.core.parking.policy import Parking, split_parking


@pytest.mark.parametrize(("data", "field", "problem"), [
    ({"tariff": {"rate": -1}}, "tariff.rate", "greater than or equal to 0"),
    ({"tariff": {"basis": "per_day"}}, "tariff.basis", "'per_started_hour' or 'per_minute'"),
    ({"validation": {"mode": "free_parking"}}, "validation.mode", "free_minutes"),
    ({"validation": {"mode": "extend_max_stay"}}, "validation.mode", "needs a max_stay_min"),
    ({"on_payment_outage": "panic"}, "on_payment_outage", "open_bill_later"),
    ({"max_stay_min": 0}, "max_stay_min", "greater than 0"),
    ({"tarif": {}}, "tarif", "unknown field"),
])
def test_a_bad_parking_section_is_one_line_naming_file_and_field(data: dict, field: str, problem: str) -> None:
    with pytest.raises(ConfigError) as caught:
        validate(Parking, data, "policies/p.yaml")
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(f"policies/p.yaml: {field}: ") and problem in message


def test_the_parking_section_is_split_from_the_enforcement_policy() -> None:
    rest, parking = split_parking({"name": "p", "parking": {"tariff": {"rate": 1}}})
    assert rest == {"name": "p"} and parking == {"tariff": {"rate": 1}}
    assert split_parking({"name": "p"}) == ({"name": "p"}, None)
