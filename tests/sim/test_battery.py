"""The charge curve: constant power, then a taper above 80 % state of charge."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from baytwin.sim.battery import TAPER_SOC, ChargeCurve

socs = st.floats(min_value=0.0, max_value=0.999)


@given(battery=st.floats(10, 120), kw=st.floats(1.0, 350.0), a=socs, b=socs)
def test_soc_after_inverts_hours(battery: float, kw: float, a: float, b: float) -> None:
    lo, hi = sorted((a, b))
    curve = ChargeCurve(battery, kw)
    assert curve.soc_after(lo, curve.hours(lo, hi)) == pytest.approx(hi, abs=1e-9)


def test_below_the_taper_charging_is_linear_at_full_power() -> None:
    curve = ChargeCurve(60.0, 6.0)
    assert curve.hours(0.2, 0.7) == pytest.approx(0.5 * 60 / 6)


def test_the_last_20_percent_take_longer_than_at_full_power() -> None:
    curve = ChargeCurve(60.0, 6.0)
    full_power_hours = 0.2 * 60 / 6
    assert curve.hours(TAPER_SOC, 1.0) > 2 * full_power_hours
    assert curve.power_kw(0.9) == pytest.approx(3.0)


def test_charging_never_passes_the_cap() -> None:
    assert ChargeCurve(40.0, 11.0).soc_after(0.5, 100.0, soc_cap=0.9) == 0.9
