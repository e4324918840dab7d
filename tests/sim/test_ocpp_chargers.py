"""The twin's chargers speaking OCPP to the central system's own code: the site sees what the central system
understood, and a policy gives the same verdicts whichever protocol its chargers speak."""

from __future__ import annotations

import pytest

from baytwin.sim.runner import run

from .factories import scenario


def _enforced(protocol: str, days: float = 4):  # type: ignore[no-untyped-def]
    return scenario(days=days, site={"id": "test", "timezone": "UTC", "ev_bays": 6, "enforcement": {"mode": "anpr"},
                                     "chargers": {"power_kw": 7.4, "fault_rate": 0.05, "protocol": protocol}},
                    policy={"rules": {"not_charging": {"enabled": True}, "overstay": {"enabled": True, "grace_min": 10}},
                            "idle_fee": {"enabled": True, "per_min": 0.2, "cap": 20}},
                    population={"drivers": {"compliance": 0.4, "stay_h": {"dist": "exponential", "mean": 4}}})


@pytest.mark.parametrize("protocol", ["ocpp1.6", "ocpp2.0.1", "mixed"])
def test_ocpp_chargers_give_the_same_verdicts_as_direct_reports(protocol: str) -> None:
    _, direct = run(_enforced("direct"))
    model, over_ocpp = run(_enforced(protocol))
    assert direct.summary["violations_detected"] > 5
    for figure in ("violations_true", "violations_detected", "violations_matched", "false_penalties",
                   "idle_fee_revenue", "energy_kwh", "actions_by_kind"):
        assert over_ocpp.summary[figure] == pytest.approx(direct.summary[figure]), figure
    cols = ["rule", "bay", "visit_id", "idle_fee"]
    assert over_ocpp.violations[cols].equals(direct.violations[cols])
    for when in ("detected_at", "closed_at"):  # OCPP timestamps carry microseconds, not a float's every bit
        drift = (over_ocpp.violations[when] - direct.violations[when]).abs().max()
        assert drift.total_seconds() < 0.001
    assert model.ocpp_link is not None and model.ocpp_link.frames > 100


def test_session_events_the_site_sees_come_from_the_central_system() -> None:
    model, _ = run(_enforced("ocpp2.0.1", days=1))
    observed = [e for e in model.recorder.observed() if e.kind.startswith("session_")]
    assert observed and all("-CP" in e.session_id and "/" in e.session_id for e in observed)
