"""How the twin's cameras read plates: conditions from the weather, rates calibrated from an OCR report,
and the ``images`` fidelity that renders plates and reads them with the real pipeline."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from baytwin.core.config import ConfigError
from baytwin.sim.identification import Identifier
from baytwin.sim.ocr_calibration import scenario_identification
from baytwin.sim.model import BayTwinModel
from baytwin.sim.runner import run
from baytwin.core.config import validate
from baytwin.sim.scenario import Identification, Scenario

from .factories import scenario


def validate_scenario(raw: dict[str, object]) -> Scenario:
    return validate(Scenario, raw, "test.yaml")


def _anpr(**identification: object) -> dict[str, object]:
    return {"site": {"id": "test", "timezone": "UTC", "ev_bays": 6, "enforcement": {"mode": "anpr"},
                     "identification": identification, "chargers": {"power_kw": 7.4, "fault_rate": 0.0}}}


def test_conditions_follow_the_timeline_then_the_daily_draw_and_night_by_the_hour() -> None:
    model = BayTwinModel(scenario(weather={"clear": 1.0, "night_hours": [20, 6], "severity": {"fog": 3},
                                           "timeline": [{"start_h": 10, "end_h": 14, "condition": "rain", "severity": 4},
                                                        {"start_h": 30, "end_h": 31, "condition": "fog"}]}))
    at = lambda hours: model.clock.epoch + hours * 3600.0  # noqa: E731
    assert model.condition_severities(at(9)) == {}
    assert model.condition_severities(at(12)) == {"rain": 4}
    assert model.condition_severities(at(30.5)) == {"fog": 3}
    assert model.condition_severities(at(22)) == {"night": 2}
    assert model.conditions(at(12)) == ("rain",)


def test_calibrated_shares_set_how_often_reads_pass_the_gate() -> None:
    spec = Identification(fidelity="error_model", misread_rate=0.2, noread_rate=0.1,
                          correct_accepted=0.95, misread_accepted=0.02)
    identifier = Identifier(spec, random.Random(3))
    reads = [identifier.camera_read("AB12CDE", ()) for _ in range(20_000)]
    right = [r for r in reads if r.correct]
    wrong = [r for r in reads if r.plate and not r.correct]
    assert len(right) / len(reads) == pytest.approx(0.7, abs=0.015)
    assert sum(identifier.accepted(r) for r in right) / len(right) == pytest.approx(0.95, abs=0.01)
    assert sum(identifier.accepted(r) for r in wrong) / len(wrong) == pytest.approx(0.02, abs=0.01)


def _report(tmp_path: Path, rows: list[dict[str, object]]) -> Path:
    path = tmp_path / "report.json"
    path.write_text(json.dumps({"by_condition": rows}))
    return path


def _row(condition: str, severity: int, misread: float, noread: float) -> dict[str, object]:
    return {"condition": condition, "severity": severity, "misread_rate": misread, "noread_rate": noread,
            "correct_accepted_share": 0.9, "misread_accepted_share": 0.05}


def test_a_calibration_report_sets_the_error_models_rates_at_the_weathers_severity(tmp_path: Path) -> None:
    report = _report(tmp_path, [_row("clean", 0, 0.01, 0.0), _row("rain", 1, 0.02, 0.01), _row("rain", 3, 0.1, 0.2),
                                _row("snow", 2, 0.05, 0.05), _row("fog", 2, 0.03, 0.02), _row("night_ir", 2, 0.04, 0.01)])
    loaded = validate_scenario({**scenario().model_dump(mode="json"), **_anpr(fidelity="error_model", calibration=str(report)),
                                "weather": {"severity": {"rain": 3}}})
    ident = scenario_identification(loaded)
    assert (ident.misread_rate, ident.noread_rate, ident.correct_accepted) == (0.01, 0.0, 0.9)
    assert (ident.conditions["rain"].misread_rate, ident.conditions["rain"].noread_rate) == (0.1, 0.2)
    assert ident.conditions["night"].misread_rate == 0.04


def test_a_calibration_missing_a_condition_is_a_clear_error(tmp_path: Path) -> None:
    report = _report(tmp_path, [_row("clean", 0, 0.01, 0.0), _row("rain", 2, 0.02, 0.01)])
    with pytest.raises(ConfigError, match=r"site\.identification\.calibration.*measured nothing under 'night_ir'"):
        scenario_identification(validate_scenario({**scenario().model_dump(mode="json"),
                                                   **_anpr(fidelity="error_model", calibration=str(report))}))
    with pytest.raises(ConfigError, match="no such report"):
        run(validate_scenario({**scenario().model_dump(mode="json"),
                               **_anpr(fidelity="error_model", calibration=str(tmp_path / "none.json"))}))


def test_images_fidelity_reads_rendered_plates_with_the_real_reader() -> None:
    clear = scenario(days=1, **_anpr(fidelity="images", images={"frames": 2}))
    _, result = run(clear)
    summary = result.summary
    assert summary["plate_reads"] > 20
    assert summary["plates_identified_share"] >= 0.6
    assert summary["identity_precision"] >= 0.95
    blocked = scenario(days=1, **_anpr(fidelity="images", images={"frames": 2, "degradations": {"occlusion": 4}}))
    _, covered = run(blocked)
    assert covered.summary["plates_identified_share"] < summary["plates_identified_share"]


def test_images_fidelity_is_deterministic_for_a_seed() -> None:
    spec = scenario(days=0.5, **_anpr(fidelity="images", images={"frames": 1}))
    first, second = run(spec)[1].sessions, run(spec)[1].sessions
    assert first[["plate_seen", "read_confidence"]].equals(second[["plate_seen", "read_confidence"]])


def test_unknown_image_degradation_is_named() -> None:
    with pytest.raises(ConfigError, match="unknown degradation 'smoke'"):
        validate_scenario({**scenario().model_dump(mode="json"),
                           **_anpr(fidelity="images", images={"degradations": {"smoke": 2}})})


def test_images_fidelity_keeps_the_plate_crop_as_evidence_in_the_store(tmp_path: Path) -> None:
    import zipfile

    from baytwin.core.events import ViolationOpened
    from baytwin.core.privacy import Keys, generate_key
    from baytwin.core.store.database import connect
    from baytwin.core.store.evidence import export_pack, verify_pack
    from baytwin.core.store.log import EventLog
    from baytwin.core.store.signing import Signer
    from baytwin.sim.runner import persist

    spec = scenario(days=1, **_anpr(fidelity="images", images={"frames": 1}),
                    policy={"rules": {"not_charging": {"enabled": False},
                                      "overstay": {"enabled": True, "grace_min": 0}}})
    model, _ = run(spec)
    log = EventLog(connect(f"sqlite:///{tmp_path / 'store.db'}"), Keys.from_text(generate_key(), "test"),
                   spec.policy)
    persist(model, log)
    opened = [e for e, _ in model.recorder.outputs if isinstance(e, ViolationOpened)]
    assert opened, "the scenario should produce an overstay"
    pack = tmp_path / "pack.zip"
    signer = Signer.generate()
    export_pack(log, opened[0].violation_id, pack, exported_at=model.env.now, signer=signer)
    verify_pack(pack, signer.public)
    with zipfile.ZipFile(pack) as z:
        crops = [n for n in z.namelist() if n.startswith("crops/")]
        assert crops
        assert z.read(crops[0])[:8] == b"\x89PNG\r\n\x1a\n"
