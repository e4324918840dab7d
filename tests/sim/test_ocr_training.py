"""Training the recognizer: a run gives a model the reader loads as it is, and fine-tuning starts from its weights.

Needs the optional ``train`` extra (PyTorch); without it these tests are skipped.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest
import yaml

pytest.importorskip("torch")
pytest.importorskip("onnx")

from baytwin.core.ocr.recognizer import Recognizer  # noqa: E402
from baytwin.sim.ocr_training import (  # noqa: E402
    ALPHABET,
    CONFIG,
    LINES_UNKNOWN,
    TrainSettings,
    encode,
    line_aware_ctc,
    synthetic_sample,
    train,
)


@pytest.fixture(scope="module", autouse=True)
def any_installed_fonts() -> None:
    """These tests check the mechanics of training, not its data: the fonts bundled with the project do."""
    import baytwin.sim.ocr_training as training

    required, training.TRAINING_FONTS_REQUIRED = training.TRAINING_FONTS_REQUIRED, 1
    yield
    training.TRAINING_FONTS_REQUIRED = required


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> Path:
    model = tmp_path_factory.mktemp("model") / "candidate" / "reader.onnx"  # a folder that does not exist yet
    train(model, model.with_suffix(".yaml"), TrainSettings(samples=512, epochs=1, workers=1, batch=64, calibration_crops=300))
    return model


def test_a_training_run_writes_a_model_its_config_and_weights_for_fine_tuning(trained: Path) -> None:
    settings = yaml.safe_load(trained.with_suffix(".yaml").read_text())
    assert settings["max_plate_slots"] == CONFIG.max_plate_slots and settings["alphabet"] == CONFIG.alphabet
    assert 0.3 <= settings["calibrated_temperature"] <= 1.0
    # a whole-text confidence needs a low review floor; the accept threshold is for `ocr calibrate` to set
    assert settings["review_threshold"] == 0.1 and settings["accept_threshold"] is None
    assert trained.with_suffix(".pt").stat().st_size > 0
    recognizer = Recognizer(trained, trained.with_suffix(".yaml"))
    assert settings["image_color_mode"] == "grayscale"  # unless asked to see colour (below)
    crop, _ = synthetic_sample(7)
    probabilities = recognizer.probabilities([crop])
    assert probabilities.shape == (1, CONFIG.max_plate_slots, len(CONFIG.alphabet))
    assert np.allclose(probabilities.sum(axis=-1), 1.0, atol=1e-4)


def test_fine_tuning_starts_from_the_given_weights(trained: Path, tmp_path: Path) -> None:
    import torch

    tuned = tmp_path / "tuned.onnx"
    train(tuned, tuned.with_suffix(".yaml"),
          TrainSettings(samples=256, epochs=1, workers=1, batch=64, learning_rate=1e-9, seed=1,
                        calibration_crops=300, init=trained.with_suffix(".pt")))
    before, after = torch.load(trained.with_suffix(".pt")), torch.load(tuned.with_suffix(".pt"))
    # a learning rate of ~0 leaves the convolutions where the first run left them
    assert torch.allclose(before["features.0.weight"], after["features.0.weight"], atol=1e-6)


def test_a_colour_reader_fine_tuned_from_a_grey_one_reads_rgb_and_starts_from_its_weights(trained: Path, tmp_path: Path) -> None:
    import torch

    from baytwin.sim.ocr_training import LUMINANCE

    tuned = tmp_path / "colour.onnx"
    train(tuned, tuned.with_suffix(".yaml"),
          TrainSettings(samples=256, epochs=1, workers=1, batch=64, learning_rate=1e-9, seed=2,
                        calibration_crops=300, init=trained.with_suffix(".pt"), colour=True))
    assert yaml.safe_load(tuned.with_suffix(".yaml").read_text())["image_color_mode"] == "rgb"
    grey, colour = torch.load(trained.with_suffix(".pt"))["features.0.weight"], torch.load(tuned.with_suffix(".pt"))["features.0.weight"]
    assert colour.shape[1] == 3  # the first convolution spread over red, green and blue by their weight in grey
    assert torch.allclose(colour, grey * torch.tensor(LUMINANCE).view(1, 3, 1, 1), atol=1e-6)
    crop, _ = synthetic_sample(11)
    assert Recognizer(tuned, tuned.with_suffix(".yaml")).probabilities([crop]).shape == (1, CONFIG.max_plate_slots, len(ALPHABET))


def test_a_letterboxed_reader_says_so_in_its_config_and_learns_on_crops_fitted_as_it_reads_them(trained: Path, tmp_path: Path) -> None:
    from baytwin.sim.imagery.plates import render_plate
    from baytwin.sim.ocr_training import WorldMix, _model_input, to_grey

    boxed = tmp_path / "boxed.onnx"
    train(boxed, boxed.with_suffix(".yaml"),
          TrainSettings(samples=256, epochs=1, workers=1, batch=64, learning_rate=1e-9, seed=5, calibration_crops=300,
                        init=trained.with_suffix(".pt"), mix=WorldMix(letterboxed=True)))
    assert yaml.safe_load(boxed.with_suffix(".yaml").read_text())["keep_aspect_ratio"] is True
    assert TrainSettings(mix=WorldMix(letterboxed=True)).fingerprint()["letterboxed"] is True  # a run folder tells them apart
    plate = render_plate("AB12CDE", "uk", np.random.default_rng(3)).image  # about 2.9:1, narrower than the input's 160 x 48
    learned = to_grey(_model_input(plate, letterbox=True)[None])[0]
    read = Recognizer(boxed, boxed.with_suffix(".yaml")).preprocess([plate])[0]
    assert learned.shape == read.shape
    assert np.abs(learned.astype(int) - read.astype(int)).max() <= 2  # grey before or after scaling: rounding apart
    columns = np.flatnonzero((read != 114).any(axis=(0, 2)))
    assert 5 <= columns[0] and columns[-1] <= read.shape[1] - 6  # the plate kept its shape: padding either side


def test_a_narrower_reader_trained_from_a_wide_one_with_it_as_teacher_has_the_shape_asked_and_reads(trained: Path, tmp_path: Path) -> None:
    from baytwin.sim.ocr_training import saved_layout

    narrow = tmp_path / "narrow.onnx"
    settings = TrainSettings(samples=256, epochs=1, workers=1, batch=64, seed=3, calibration_crops=300,
                             init=trained.with_suffix(".pt"), widths=(16, 32, 48, 64), blocks=1,
                             teacher=trained.with_suffix(".pt"))
    train(narrow, narrow.with_suffix(".yaml"), settings)
    layout = saved_layout(narrow.with_suffix(".pt"))
    assert layout.widths == (16, 32, 48, 64) and layout.blocks == 1
    crop, _ = synthetic_sample(12)
    assert Recognizer(narrow, narrow.with_suffix(".yaml")).probabilities([crop]).shape == (1, CONFIG.max_plate_slots, len(ALPHABET))
    assert settings.fingerprint()["teacher"] == str(trained.with_suffix(".pt"))  # a run folder tells runs taught apart
    again = tmp_path / "again.onnx"  # fine-tuned further without saying its shape: it stays as narrow
    train(again, again.with_suffix(".yaml"), TrainSettings(samples=128, epochs=1, workers=1, batch=64, seed=4,
                                                           calibration_crops=300, init=narrow.with_suffix(".pt")))
    assert saved_layout(again.with_suffix(".pt")) == layout


def _moved_off_its_start(net) -> None:  # type: ignore[no-untyped-def]
    """Nudge every weight of ``net`` at random: a network not at its initial state, so that a check that
    another network reads exactly as it does means something (zero-initialized parts would agree anyway)."""
    import torch

    with torch.no_grad():
        for parameter in net.parameters():
            parameter.add_(0.05 * torch.randn_like(parameter))


def test_weights_from_before_the_residual_blocks_grow_into_the_network_and_read_the_same(tmp_path: Path) -> None:
    import torch

    from baytwin.sim.ocr_training import build_network, load_weights

    torch.manual_seed(0)
    saved = build_network().eval()
    _moved_off_its_start(saved)
    older = {key: value for key, value in saved.state_dict().items() if not key.startswith("context.")}
    torch.save(older, tmp_path / "older.pt")
    grown = build_network().eval()
    load_weights(grown, tmp_path / "older.pt")
    crops = torch.from_numpy(np.stack([synthetic_sample(seed)[0] for seed in range(8)]))
    with torch.no_grad():  # what the saved network computed before it had residual blocks: features, then head
        features = saved.squeeze(saved.features(crops.permute(0, 3, 1, 2).float() / 255.0))
        expected = torch.softmax(saved.steps(features), -1)
        assert torch.allclose(grown(crops), expected, atol=1e-5)


def test_a_network_grown_by_more_residual_blocks_reads_as_before_and_a_smaller_one_is_refused(tmp_path: Path) -> None:
    import torch

    from baytwin.sim.ocr_training import WeightsMismatch, build_network, load_weights, saved_layout, to_grey

    torch.manual_seed(1)
    saved = build_network(channels=1, blocks=2).eval()
    _moved_off_its_start(saved)
    torch.save(saved.state_dict(), tmp_path / "two.pt")
    assert saved_layout(tmp_path / "two.pt").blocks == 2
    grown = build_network(channels=1, blocks=4).eval()
    load_weights(grown, tmp_path / "two.pt")
    crops = torch.from_numpy(np.stack([to_grey(synthetic_sample(seed)[0][None])[0] for seed in range(6)]))
    with torch.no_grad():
        assert torch.allclose(grown(crops), saved(crops), atol=1e-5)
    torch.save(grown.state_dict(), tmp_path / "four.pt")
    assert saved_layout(tmp_path / "four.pt").blocks == 4
    with pytest.raises(WeightsMismatch):
        load_weights(build_network(channels=1, blocks=2), tmp_path / "four.pt")


def test_an_lstm_across_the_columns_grows_into_a_network_reads_as_before_and_exports(tmp_path: Path) -> None:
    import torch

    from baytwin.core.ocr.recognizer import Recognizer
    from baytwin.sim.ocr_training import (CONFIG, WeightsMismatch, build_network, export, load_weights, saved_layout,
                                          to_grey)

    torch.manual_seed(2)
    saved = build_network(channels=1).eval()
    _moved_off_its_start(saved)
    torch.save(saved.state_dict(), tmp_path / "plain.pt")
    assert saved_layout(tmp_path / "plain.pt").across_columns is False
    grown = build_network(channels=1, across_columns=True).eval()
    load_weights(grown, tmp_path / "plain.pt")
    colour = [synthetic_sample(seed)[0] for seed in range(6)]
    crops = torch.from_numpy(np.stack([to_grey(crop[None])[0] for crop in colour]))
    with torch.no_grad():
        assert torch.allclose(grown(crops), saved(crops), atol=1e-5)  # the new LSTM starts as a no-op
        _moved_off_its_start(grown.across)  # once trained, it changes what is read: the check above meant something
        trained = grown(crops)
        assert not torch.allclose(trained, saved(crops), atol=1e-3)
    torch.save(grown.state_dict(), tmp_path / "across.pt")
    assert saved_layout(tmp_path / "across.pt").across_columns is True
    with pytest.raises(WeightsMismatch):  # an LSTM's weights do not fit a network without one
        load_weights(build_network(channels=1), tmp_path / "across.pt")
    with warnings.catch_warnings():  # the exporter's LSTM warnings are not the trainer's business (export quiets them)
        warnings.simplefilter("error", UserWarning)
        warnings.simplefilter("error", torch.jit.TracerWarning)
        export(grown, tmp_path / "across.onnx", tmp_path / "across.yaml", CONFIG)  # the LSTM in ONNX reads as in PyTorch
    read = Recognizer(tmp_path / "across.onnx", tmp_path / "across.yaml").probabilities(colour)  # a batch of six
    assert np.allclose(read, trained.numpy(), atol=1e-3)


def test_a_grey_readers_weights_start_a_colour_reader_that_reads_exactly_as_it_did(tmp_path: Path) -> None:
    import torch

    from baytwin.sim.ocr_training import build_network, load_weights, to_grey

    torch.manual_seed(0)
    grey = build_network(channels=1).eval()
    _moved_off_its_start(grey)
    torch.save(grey.state_dict(), tmp_path / "grey.pt")
    colour = build_network(channels=3).eval()
    load_weights(colour, tmp_path / "grey.pt")
    crops = np.stack([synthetic_sample(seed)[0] for seed in range(8)])
    assert crops.shape[-1] == 3 and np.abs(crops.astype(int) - crops[..., :1]).max() > 30  # coloured crops
    with torch.no_grad():  # the colour reader on RGB computes what the grey one did on grey (up to its rounding)
        assert torch.allclose(colour(torch.from_numpy(crops)), grey(torch.from_numpy(to_grey(crops))), atol=2e-2)
        # and differs from a reader that ignores colour
        assert not torch.allclose(colour(torch.from_numpy(crops)), build_network(channels=3).eval()(torch.from_numpy(crops)), atol=2e-2)


def test_weights_of_another_network_are_refused(tmp_path: Path) -> None:
    import torch

    from baytwin.sim.ocr_training import WeightsMismatch, build_network, load_weights

    torch.save({"conv.weight": torch.zeros(3, 3)}, tmp_path / "other.pt")
    (tmp_path / "text.pt").write_text("not a weights file at all")
    for wrong in ("other.pt", "text.pt"):
        with pytest.raises(WeightsMismatch, match="not weights of this recognizer"):
            load_weights(build_network(), tmp_path / wrong)


def test_a_recognizer_of_another_shape_lends_its_convolutions_and_nothing_else(tmp_path: Path) -> None:
    import torch

    from baytwin.sim.ocr_training import build_network, load_weights

    torch.manual_seed(0)
    other = {key: value for key, value in build_network().state_dict().items()}
    other["head.weight"] = torch.zeros(9 * 37, 2560)  # the head of a 9-slot reader: does not fit
    other["head.bias"] = torch.zeros(9 * 37)
    other["squeeze.0.weight"] = torch.zeros(48, 128, 1, 1)
    torch.save(other, tmp_path / "other_shape.pt")
    from baytwin.sim.ocr_training import WeightsMismatch

    with pytest.raises(WeightsMismatch):
        load_weights(build_network(), tmp_path / "other_shape.pt")
    net = build_network()
    load_weights(net, tmp_path / "other_shape.pt", backbone_only=True)
    assert torch.equal(net.state_dict()["features.0.weight"], other["features.0.weight"])


def test_labelled_folders_join_the_training_set_and_bad_ones_are_named(tmp_path: Path) -> None:
    import cv2

    from baytwin.sim.ocr_training import LabelledProblem, load_labelled

    folder = tmp_path / "reviewed"
    (folder / "images").mkdir(parents=True)
    rows = ["file,plate"]
    for i, text in enumerate(["AB12CDE", "7XYZ123", "K9"]):
        crop, _ = synthetic_sample(100 + i)
        cv2.imwrite(str(folder / "images" / f"{i}.png"), cv2.cvtColor(crop, cv2.COLOR_RGB2BGR))
        rows.append(f"images/{i}.png,{text}")
    rows.append("images/missing.png,ZZ99ZZZ")  # skipped: no image
    rows.append("images/0.png,TOO-LONG-FOR-ANY-PLATE")  # skipped: more characters than slots
    (folder / "labels.csv").write_text("\n".join(rows) + "\n")
    images, texts, top_lines = load_labelled((folder,))
    assert texts == ["AB12CDE", "7XYZ123", "K9"]
    assert images.shape == (3, CONFIG.img_height, CONFIG.img_width, 3)
    assert np.array_equal(images[0], synthetic_sample(100)[0])  # in RGB, as the reader gets crops
    assert top_lines == [LINES_UNKNOWN] * 3  # nothing says how their lines split
    one_line = tmp_path / "one-line"
    (one_line / "images").mkdir(parents=True)
    cv2.imwrite(str(one_line / "images" / "0.png"), synthetic_sample(100)[0])
    (one_line / "labels.csv").write_text("file,plate,lines\nimages/0.png,AB12CDE,1\nimages/0.png,AB12CDE,2\n")
    assert load_labelled((one_line,))[2] == [0, LINES_UNKNOWN]  # a one-line plate's text is the main line's
    with pytest.raises(LabelledProblem, match="labels.csv"):
        load_labelled((tmp_path / "nowhere",))
    latin = tmp_path / "latin"
    latin.mkdir()
    (latin / "labels.csv").write_bytes(b"file,plate\n\xe9.png,AB12CDE\n")
    with pytest.raises(LabelledProblem, match="cannot read"):  # one line, not a traceback
        load_labelled((latin,))


def test_a_run_stopped_part_way_continues_from_its_folder_and_ends_as_an_unbroken_run(tmp_path: Path) -> None:
    import torch

    import baytwin.sim.training_run as training_run

    settings = dict(samples=256, epochs=2, workers=1, batch=64, calibration_crops=300, save_every=1, seed=3)
    unbroken = tmp_path / "unbroken" / "reader.onnx"
    train(unbroken, unbroken.with_suffix(".yaml"), TrainSettings(**settings, run_folder=tmp_path / "run-unbroken"))

    class Killed(BaseException):
        pass

    saves = 0
    real_save = training_run.TrainingRunFolder.save

    def save_then_die(self, state):  # type: ignore[no-untyped-def]
        nonlocal saves
        real_save(self, state)
        saves += 1
        if saves == 5:  # in the second epoch, mid-way
            raise Killed

    resumed = tmp_path / "resumed" / "reader.onnx"
    broken = TrainSettings(**settings, run_folder=tmp_path / "run-broken")
    training_run.TrainingRunFolder.save = save_then_die  # type: ignore[method-assign]
    try:
        with pytest.raises(Killed):
            train(resumed, resumed.with_suffix(".yaml"), broken)
    finally:
        training_run.TrainingRunFolder.save = real_save  # type: ignore[method-assign]
    assert not resumed.exists() and (tmp_path / "run-broken" / "dataset.npz").is_file()
    train(resumed, resumed.with_suffix(".yaml"), broken)
    expected, got = torch.load(unbroken.with_suffix(".pt")), torch.load(resumed.with_suffix(".pt"))
    assert all(torch.allclose(expected[key].float(), got[key].float(), atol=1e-5) for key in expected)


def test_a_run_folder_of_other_settings_is_refused(tmp_path: Path) -> None:
    from baytwin.sim.training_run import RunFolderMismatch, TrainingRunFolder

    TrainingRunFolder(tmp_path / "run", TrainSettings(samples=256).fingerprint())
    with pytest.raises(RunFolderMismatch, match="samples"):
        TrainingRunFolder(tmp_path / "run", TrainSettings(samples=512).fingerprint())


def _emitting(text_by_half: tuple[str, str], steps: int = 80):  # type: ignore[no-untyped-def]
    """Log-probabilities of a reader sure of ``text_by_half``: the top sequence's text, then the main one's."""
    import torch

    blank = ALPHABET.index(CONFIG.pad_char)
    z = torch.full((steps, 1, len(ALPHABET)), -30.0)
    z[:, 0, blank] = 30.0
    for half, text in enumerate(text_by_half):
        for k, ch in enumerate(text):
            step = half * steps // 2 + 2 * k
            z[step, 0, blank], z[step, 0, ALPHABET.index(ch)] = -30.0, 30.0
    return z.log_softmax(-1)


def test_a_one_line_plate_is_learned_in_the_main_sequence_and_a_two_line_plate_split_by_its_lines() -> None:
    import torch

    blank = ALPHABET.index(CONFIG.pad_char)
    one_line = torch.from_numpy(encode(["XY9K"], [0]))
    assert float(line_aware_ctc(_emitting(("", "XY9K")), one_line, blank)) < 1e-3
    # the same characters read partly in the top sequence: CTC over the concatenation would not mind,
    # and a reader taught that drops leading characters when unsure where they belong
    assert float(line_aware_ctc(_emitting(("XY", "9K")), one_line, blank)) > 5
    two_line = torch.from_numpy(encode(["AB123"], [2]))
    assert float(line_aware_ctc(_emitting(("AB", "123")), two_line, blank)) < 1e-3
    assert float(line_aware_ctc(_emitting(("", "AB123")), two_line, blank)) > 5


def test_a_crop_whose_lines_nobody_knows_is_scored_on_the_whole_text() -> None:
    import torch

    blank = ALPHABET.index(CONFIG.pad_char)
    unknown = torch.from_numpy(encode(["AB123"]))
    assert int(unknown[0, -1]) == LINES_UNKNOWN
    for split in (("", "AB123"), ("AB", "123")):
        assert float(line_aware_ctc(_emitting(split), unknown, blank)) < 1e-3
    assert float(line_aware_ctc(_emitting(("", "AB12")), unknown, blank)) > 5
