"""The site's plate reader: the recognizer its site file names, and the gate that goes with it."""

from __future__ import annotations

import shutil
from pathlib import Path

import yaml

from baytwin.core.ocr.recognizer import DEFAULT_MODEL, FORMAT_CONFIG, FORMAT_MODEL
from baytwin.live.reader import site_reader
from baytwin.live.runner import LiveRunner
from baytwin.live.site import load_site

from .conftest import write_site


def _site_with_model(tmp_path: Path, extra: str = "", threshold: float | None = 0.8) -> Path:
    models = tmp_path / "models"
    models.mkdir(parents=True)
    shutil.copy(FORMAT_MODEL, models / "site.onnx")
    config = yaml.safe_load(FORMAT_CONFIG.read_text())
    if threshold is not None:
        config["accept_threshold"] = threshold
    (models / "site-config.yaml").write_text(yaml.safe_dump(config))
    return write_site(tmp_path, extra="ocr: {model: models/site.onnx, model_config: models/site-config.yaml}\n" + extra)


def test_the_runner_reads_with_the_model_the_site_file_names_at_its_calibrated_threshold(tmp_path: Path) -> None:
    site = load_site(_site_with_model(tmp_path))
    runner = LiveRunner(site, None)
    assert runner.reader.recognizer.model == tmp_path / "models" / "site.onnx"
    assert runner.reader.gate.accept_at == 0.8 and runner.reader.gate.review_from == 0.5
    # every read the site stores names this model (file and hash): a disputed read is traced to its reader
    import hashlib

    digest = hashlib.sha256((tmp_path / "models" / "site.onnx").read_bytes()).hexdigest()[:16]
    assert runner.occupancy.reader == f"site.onnx#{digest}"


def test_a_threshold_the_site_file_gives_wins_over_the_models(tmp_path: Path) -> None:
    site = load_site(_site_with_model(tmp_path, "gate: {accept_at: 0.95}"))
    assert site_reader(site).gate.accept_at == 0.95


def test_without_an_ocr_section_the_bundled_model_reads_at_its_own_threshold_or_090(tmp_path: Path) -> None:
    reader = site_reader(load_site(write_site(tmp_path, format_reader=False)))
    assert reader.recognizer.model == DEFAULT_MODEL
    assert reader.gate.accept_at == (reader.recognizer.config.accept_threshold or 0.90)


def test_a_site_that_declares_its_plate_formats_gets_reads_fitted_to_them_and_an_unknown_format_is_named(
        tmp_path: Path) -> None:
    import pytest

    from baytwin.core.config import ConfigError

    site = load_site(write_site(tmp_path / "uk", extra="ocr: {formats: [uk]}\n"))
    assert site_reader(site).formats == ["uk"]
    assert site_reader(load_site(write_site(tmp_path / "any"))).formats is None
    with pytest.raises(ConfigError, match="ocr.formats.*unknown plate format 'xx'"):
        load_site(write_site(tmp_path / "bad", extra="ocr: {formats: [xx]}\n"))


def test_the_site_reader_detects_with_the_detector_the_site_file_names(tmp_path: Path) -> None:
    import numpy as np
    import pytest

    pytest.importorskip("onnx")
    from baytwin.core.config import ConfigError
    from baytwin.core.ocr.detector import OnnxDetector
    from tests.core.ocr.images import write_yolo_detector

    write_yolo_detector(tmp_path / "models" / "plates.onnx", np.array([[320, 180, 60, 16, 0.9]], np.float32))
    site = load_site(write_site(tmp_path, extra="ocr: {detector: models/plates.onnx}\n"))
    reader = site_reader(site)
    assert isinstance(reader.detector, OnnxDetector) and reader.detector.model == tmp_path / "models" / "plates.onnx"
    (tmp_path / "models" / "plates.onnx").write_bytes(b"not a model")
    with pytest.raises(ConfigError, match=r"site\.yaml: ocr\.detector: .*cannot load the detector"):
        site_reader(site)


def test_a_site_reads_with_the_bundled_learned_detector_unless_its_file_names_classical(tmp_path: Path) -> None:
    from baytwin.core.ocr.detector import BUNDLED_DETECTOR, ClassicalDetector, OnnxDetector

    default = site_reader(load_site(write_site(tmp_path / "default")))
    assert isinstance(default.detector, OnnxDetector) and default.detector.model == BUNDLED_DETECTOR
    classical = site_reader(load_site(write_site(tmp_path / "classical", extra="ocr: {detector: classical}\n")))
    assert isinstance(classical.detector, ClassicalDetector)
