"""The live site file: what it loads, and one clear line for each way it can be wrong."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from baytwin.core.config import ConfigError
from baytwin.live.site import load_site

POLICY = Path(__file__).resolve().parents[2] / "scenarios" / "policies"


def _write(tmp_path: Path, body: str, vehicles: str | None = None) -> Path:
    policy = next(POLICY.glob("*.yaml"))
    (tmp_path / "policy.yaml").write_text(policy.read_text())
    if vehicles is not None:
        (tmp_path / "vehicles.csv").write_text(vehicles)
    site = tmp_path / "site.yaml"
    site.write_text(body)
    return site


GOOD = """
site: {id: garage-1, timezone: Europe/London}
policy: policy.yaml
vehicles: vehicles.csv
cameras:
  east:
    source: footage/east.mp4
    bays:
      B01: [[0, 0], [100, 0], [100, 100]]
      B02: [[100, 0], [200, 0], [200, 100]]
  usb:
    source: 0
    bays: {B03: [[0, 0], [50, 0], [50, 50], [0, 50]]}
csms:
  stations:
    CP1: {evses: {1: B01, 2: B02}}
    CP2: {evses: {1: B04}}
"""


def test_a_good_site_file_loads_with_everything_it_points_to(tmp_path: Path) -> None:
    site = load_site(_write(tmp_path, GOOD, "plate,group,permit,id_tokens\nab12 cde,fleet,yes,CARD1;QR-9\nXY34ZZZ,resident,,\n"))
    assert site.id == "garage-1" and site.bays() == ["B01", "B02", "B03", "B04"]
    assert site.camera_source("east") == str(tmp_path / "footage" / "east.mp4") and site.camera_source("usb") == 0
    assert site.csms.site_id == "garage-1" and site.csms.bay_of("CP1", 2) == "B02"
    fleet = site.registry.vehicle("AB12CDE")
    assert fleet is not None and fleet.group == "fleet" and fleet.permit and fleet.id_tokens == ("CARD1", "QR-9")
    assert site.registry.plate_for_token("QR-9") == "AB12CDE"


@pytest.mark.parametrize(("change", "message"), [
    (("timezone: Europe/London", "timezone: Mars/Olympus"), "site.timezone: .*unknown time zone 'Mars/Olympus'"),
    (("policy: policy.yaml", "policy: missing.yaml"), "missing.yaml: file not found"),
    (("B02: [[100, 0], [200, 0], [200, 100]]", "B02: [[100, 0], [200, 0]]"), "ROI of bay 'B02' needs at least 3 points"),
    (("B03: [[0, 0]", "B01: [[0, 0]"), "bay 'B01' is already watched by camera 'east'"),
    (("CP2: {evses: {1: B04}}", "CP2: {evses: {1: B01}}"), "bay 'B01' is already served by CP1 EVSE 1"),
    (("source: 0", "sourse: 0"), "cameras.usb"),
])
def test_each_problem_is_one_line_naming_file_field_and_problem(tmp_path: Path, change: tuple[str, str],
                                                                message: str) -> None:
    path = _write(tmp_path, GOOD.replace(*change), "plate,group\nAB12CDE,fleet\n")
    with pytest.raises(ConfigError, match=message) as err:
        load_site(path)
    assert "\n" not in str(err.value)


@pytest.mark.parametrize(("csv_text", "message"), [
    ("plate\nAB12CDE\n", "vehicles.csv: group: column is missing"),
    ("plate,group\n,fleet\n", "vehicles.csv: row 2.plate: empty plate"),
    ("plate,group,permit\nAB12CDE,fleet,maybe\n", "vehicles.csv: row 2.permit: 'maybe' is not true or false"),
])
def test_a_bad_vehicles_csv_names_the_row_and_column(tmp_path: Path, csv_text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_site(_write(tmp_path, GOOD, csv_text))


def test_the_bundled_live_demo_site_is_valid_and_its_paths_follow_the_site_file() -> None:
    site = load_site(POLICY.parent / "live-demo" / "site.yaml")
    assert site.bays() == ["EV1", "EV2"] and len(site.registry) == 2
    root = POLICY.parents[1]
    assert site.store_url() == f"sqlite:///{POLICY.parent / 'live-demo' / '../../runs/live-demo/site.db'}"
    assert Path(str(site.camera_source("pole"))).resolve() == (root / "runs" / "live-demo" / "bay-camera.mp4").resolve()


def _with_model(tmp_path: Path, ocr: str, model: str | None = "models/site.onnx", config: bool = True) -> Path:
    from baytwin.core.ocr.recognizer import DEFAULT_CONFIG, DEFAULT_MODEL

    if model is not None:
        (tmp_path / model).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(DEFAULT_MODEL, tmp_path / model)
        if config:
            shutil.copy(DEFAULT_CONFIG, (tmp_path / model).with_suffix(".yaml"))
    return _write(tmp_path, GOOD + ocr, vehicles="plate,group\nAB12CDE,staff\n")


def test_the_site_may_name_its_own_recognizer_relative_to_the_site_file(tmp_path: Path) -> None:
    site = load_site(_with_model(tmp_path, "ocr: {model: models/site.onnx}"))
    assert site.recognizer_files == (tmp_path / "models" / "site.onnx", tmp_path / "models" / "site.yaml")
    assert load_site(_write(tmp_path, GOOD, vehicles="plate,group\n")).recognizer_files is None


@pytest.mark.parametrize(("ocr", "model", "config", "message"), [
    ("ocr: {model: models/gone.onnx}", None, True, r"site\.yaml: ocr\.model: file .*gone\.onnx does not exist"),
    ("ocr: {model: models/site.onnx}", "models/site.onnx", False,
     r"site\.yaml: ocr\.model_config: the model's config .*site\.yaml does not exist"),
    ("ocr: {model: models/site.onnx, model_config: other.yaml}", "models/site.onnx", True,
     r"site\.yaml: ocr\.model_config: file .*other\.yaml does not exist"),
    ("ocr: {model_config: other.yaml}", None, True, r"site\.yaml: ocr\.model"),
])
def test_a_missing_recognizer_file_is_one_line_naming_the_field(tmp_path: Path, ocr: str, model: str | None,
                                                                config: bool, message: str) -> None:
    with pytest.raises(ConfigError, match=message) as caught:
        load_site(_with_model(tmp_path, ocr, model, config))
    assert "\n" not in str(caught.value)


def _with_detector(tmp_path: Path, ocr: str, config: str | None = None, model: bool = True) -> Path:
    if model:
        (tmp_path / "models").mkdir(exist_ok=True)
        (tmp_path / "models" / "plates.onnx").write_bytes(b"an onnx file")  # loaded by the reader, not the loader
        if config is not None:
            (tmp_path / "models" / "plates.yaml").write_text(config)
    return _write(tmp_path, GOOD + ocr, vehicles="plate,group\nAB12CDE,staff\n")


def test_the_site_may_name_its_own_detector_relative_to_the_site_file(tmp_path: Path) -> None:
    site = load_site(_with_detector(tmp_path, "ocr: {detector: models/plates.onnx}", "input_size: 640\nthreshold: 0.3\n"))
    assert site.detector_file == tmp_path / "models" / "plates.onnx" and site.recognizer_files is None
    assert load_site(_write(tmp_path, GOOD, vehicles="plate,group\n")).detector_file is None


@pytest.mark.parametrize(("config", "model", "message"), [
    (None, False, r"site\.yaml: ocr\.detector: file .*gone\.onnx does not exist"),
    ("threshold: 2\n", True, r"site\.yaml: ocr\.detector: .*plates\.yaml: threshold"),
])
def test_a_missing_detector_or_a_broken_config_is_one_line_naming_the_field(tmp_path: Path, config: str | None,
                                                                            model: bool, message: str) -> None:
    name = "models/plates.onnx" if model else "models/gone.onnx"
    with pytest.raises(ConfigError, match=message) as caught:
        load_site(_with_detector(tmp_path, f"ocr: {{detector: {name}}}", config, model))
    assert "\n" not in str(caught.value)
