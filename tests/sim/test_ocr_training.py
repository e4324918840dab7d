"""Training the recognizer: a run gives a model the reader loads as it is, and fine-tuning starts from its weights.

Needs the optional ``train`` extra (PyTorch); without it these tests are skipped.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import yaml

pytest.importorskip("torch")
pytest.importorskip("onnx")

from core.ocr.recognizer import Recognizer  # noqa: E402
from sim.ocr_training import CONFIG, TrainSettings, synthetic_sample, train  # noqa: E402


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> Path:
    model = tmp_path_factory.mktemp("model") / "candidate" / "reader.onnx"  # a folder that does not exist yet
    train(model, model.with_suffix(".yaml"), TrainSettings(samples=512, epochs=1, workers=1, batch=64))
    return model


def test_a_training_run_writes_a_model_its_config_and_weights_for_fine_tuning(trained: Path) -> None:
    settings = yaml.safe_load(trained.with_suffix(".yaml").read_text())
    assert settings["max_plate_slots"] == CONFIG.max_plate_slots and settings["alphabet"] == CONFIG.alphabet
    assert 0.3 <= settings["calibrated_temperature"] <= 1.0
    assert trained.with_suffix(".pt").stat().st_size > 0
    recognizer = Recognizer(trained, trained.with_suffix(".yaml"))
    gray, _ = synthetic_sample(7)
    probabilities = recognizer.probabilities([np.repeat(gray[..., None], 3, axis=2)])
    assert probabilities.shape == (1, CONFIG.max_plate_slots, len(CONFIG.alphabet))
    assert np.allclose(probabilities.sum(axis=-1), 1.0, atol=1e-4)


def test_fine_tuning_starts_from_the_given_weights(trained: Path, tmp_path: Path) -> None:
    import torch

    tuned = tmp_path / "tuned.onnx"
    train(tuned, tuned.with_suffix(".yaml"),
          TrainSettings(samples=256, epochs=1, workers=1, batch=64, learning_rate=1e-9, seed=1, init=trained.with_suffix(".pt")))
    before, after = torch.load(trained.with_suffix(".pt")), torch.load(tuned.with_suffix(".pt"))
    # a learning rate of ~0 leaves the convolutions where the first run left them
    assert torch.allclose(before["features.0.weight"], after["features.0.weight"], atol=1e-6)
