"""Setting the ``error_model``'s rates from an ``ocr eval`` report, so fast sweeps misread like the real reader.

The report measures, per degradation and severity, how reads end: right,
wrong (a plate, but not this one) or none, and how many of the right and of
the wrong ones passed the confidence gate. The twin's conditions map onto the
imagery's degradations (night is the 850 nm IR picture), at the severity the
scenario's weather declares; the clean row sets the base rates. A condition
the report did not measure at that severity takes the nearest severity that
was measured; one it did not measure at all is an error, not a silent zero.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

from baytwin.core.config import ConfigError
from baytwin.sim.scenario import ConditionRates, Identification, Scenario

#: What the error model's rates default to: the bundled reader measured on the twin's own plates
#: (scripts/error_model_report.sh). Declared rates, or a ``calibration`` of a site's own, replace it.
DEFAULT_ERROR_MODEL_REPORT = Path(__file__).with_name("error_model_report.json")
_RATES = frozenset({"misread_rate", "noread_rate", "correct_accepted", "misread_accepted", "conditions"})

#: The twin's condition -> the degradation that pictures it.
CONDITION_DEGRADATION = {"night": "night_ir", "rain": "rain", "snow": "snow", "fog": "fog"}


class CalibrationProblem(Exception):
    """The report cannot calibrate the error model; the message says why."""


def effective_identification(identification: Identification, severities: Mapping[str, int]) -> Identification:
    """The identification a run reads plates with: its ``calibration`` report applied (``bundled``: the bundled
    reader's), or the bundled reader's rates for an error model that declares none; otherwise as declared."""
    report = identification.calibration
    if report == "bundled" or (report is None and identification.fidelity == "error_model"
                               and not identification.model_fields_set & _RATES):
        return calibrate(identification, DEFAULT_ERROR_MODEL_REPORT, severities)
    if report is None:
        return identification
    return calibrate(identification, Path(report), severities)


def scenario_identification(scenario: Scenario) -> Identification:
    """:func:`effective_identification` of a scenario; a report that cannot calibrate is the scenario's
    configuration error, naming the field (``sim validate`` finds it before any run does)."""
    try:
        return effective_identification(scenario.site.identification, scenario.weather.severity)
    except CalibrationProblem as err:
        raise ConfigError(scenario.name, "site.identification.calibration", str(err)) from None


def calibrate(identification: Identification, report_path: Path, severities: Mapping[str, int]) -> Identification:
    """``identification`` with its rates taken from the report (fidelity unchanged)."""
    rows = _rows(report_path)
    base = _rates(_row(rows, "clean", 0, report_path))
    conditions = {}
    for condition, degradation in CONDITION_DEGRADATION.items():
        severity = int(severities.get(condition, 2))
        rates = _rates(_row(rows, degradation, severity, report_path))
        if rates.misread_accepted is None:  # no misread measured there: as sure of its misreads as on clean plates
            rates = rates.model_copy(update={"misread_accepted": base.misread_accepted})
        conditions[condition] = rates
    return identification.model_copy(update={
        "misread_rate": base.misread_rate, "noread_rate": base.noread_rate,
        "correct_accepted": base.correct_accepted, "misread_accepted": base.misread_accepted,
        "conditions": conditions,
    })


def _rows(path: Path) -> list[dict[str, object]]:
    try:
        report = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CalibrationProblem(f"{path}: no such report (write one with `baytwin ocr eval`)") from None
    except (OSError, ValueError) as err:
        raise CalibrationProblem(f"{path}: not a readable JSON report ({err})") from None
    rows = report.get("by_condition") if isinstance(report, dict) else None
    if not isinstance(rows, list) or not rows:
        raise CalibrationProblem(f"{path}: has no by_condition table (is it an `ocr eval` report.json?)")
    return rows


def _row(rows: list[dict[str, object]], condition: str, severity: int, path: Path) -> dict[str, object]:
    measured = [r for r in rows if r.get("condition") == condition]
    if not measured:
        raise CalibrationProblem(f"{path}: measured nothing under {condition!r}; evaluate images with it "
                                 f"(e.g. `baytwin ocr generate --degrade {condition}={max(severity, 1)}`)")
    return min(measured, key=lambda r: (abs(int(r["severity"]) - severity), -int(r["severity"])))  # type: ignore[call-overload]


def _rates(row: dict[str, object]) -> ConditionRates:
    try:
        return ConditionRates(misread_rate=row["misread_rate"], noread_rate=row["noread_rate"],  # type: ignore[arg-type]
                              correct_accepted=row.get("correct_accepted_share"),  # type: ignore[arg-type]
                              misread_accepted=row.get("misread_accepted_share"))  # type: ignore[arg-type]
    except KeyError as err:
        raise CalibrationProblem(f"by_condition row lacks {err} (report from an older baytwin? run `ocr eval` again)") from None
