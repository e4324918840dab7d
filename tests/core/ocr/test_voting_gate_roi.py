"""Multi-frame voting, the confidence gate and cross-bay rejection."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from baytwin.core.config import ConfigError
from baytwin.core.ocr.gate import ConfidenceGate
from baytwin.core.ocr.model_config import load_model_config
from baytwin.core.ocr.roi import Roi
from baytwin.core.ocr.voting import FrameRead, vote


def read(text: str, conf: float = 0.95) -> FrameRead:
    return FrameRead(text, (conf,) * len(text))


def test_two_sharp_frames_outvote_one_blurred_frame() -> None:
    voted = vote([read("AB12CDE", 0.97), read("AB12C0E", 0.60), read("AB12CDE", 0.93)])
    assert voted is not None and voted.text == "AB12CDE" and voted.frames_used == 3


def test_a_confident_frame_outweighs_two_doubtful_ones_on_a_slot() -> None:
    frames = [FrameRead("AB12CDE", (0.99,) * 7), FrameRead("AB12C0E", (0.99,) * 4 + (0.3,) * 3),
              FrameRead("AB12C0E", (0.99,) * 4 + (0.3,) * 3)]
    assert vote(frames).text == "AB12CDE"  # type: ignore[union-attr]


def test_reads_of_the_odd_length_are_left_out() -> None:
    voted = vote([read("AB12CDE"), read("AB12CDEE"), read("AB12CDE")])
    assert voted is not None and voted.text == "AB12CDE" and voted.frames_used == 2


def test_disagreement_lowers_confidence() -> None:
    agreed = vote([read("AB12CDE"), read("AB12CDE")])
    split = vote([read("AB12CDE"), read("AB12CDF")])
    assert agreed.confidence > split.confidence  # type: ignore[union-attr]


def test_a_weaker_frame_that_agrees_does_not_lower_confidence() -> None:
    alone = vote([read("AB12CDE", 0.96)])
    with_blurred = vote([read("AB12CDE", 0.96), read("AB12CDE", 0.55), read("AB12CDE", 0.60)])
    assert with_blurred.confidence == pytest.approx(alone.confidence)  # type: ignore[union-attr]


def test_a_contested_slot_goes_below_the_gate() -> None:
    voted = vote([read("AB12CDE", 0.96), read("AB12CDE", 0.93), FrameRead("AB12CDF", (0.95,) * 6 + (0.9,))])
    assert voted.text == "AB12CDE"  # type: ignore[union-attr]
    assert voted.confidence < 0.90  # type: ignore[union-attr]  # one of three frames says F: a person looks


def test_reads_sure_of_their_whole_text_vote_with_that_certainty() -> None:
    """A CTC read says how sure it is of its whole text: agreeing frames keep the surest frame's figure,
    a frame that disagrees pulls it down by its share of the vote, and the vote carries it to the gate."""
    sure, blurred = FrameRead("AB12CDE", (0.99,) * 7, 0.95), FrameRead("AB12CDE", (0.7,) * 7, 0.40)
    agreed = vote([sure, blurred])
    assert agreed is not None and agreed.confidence == pytest.approx(0.95)
    assert agreed.as_read().confidence == pytest.approx(0.95)
    contested = vote([sure, blurred, FrameRead("AB12CDF", (0.99,) * 7, 0.95)])
    assert contested is not None and contested.text == "AB12CDE"
    assert contested.confidence == pytest.approx(0.95 * (0.99 + 0.7) / (0.99 + 0.7 + 0.99))


def test_nothing_to_vote_on_gives_none() -> None:
    assert vote([]) is None and vote([FrameRead("", ())]) is None


@given(st.text(alphabet="ABCDEFGHJKLMNPRSTUVWXYZ0123456789", min_size=5, max_size=8),
       st.floats(0.5, 1.0), st.integers(1, 5))
def test_identical_frames_vote_for_themselves(text: str, conf: float, n: int) -> None:
    voted = vote([read(text, conf)] * n)
    assert voted.text == text and voted.confidence == pytest.approx(conf)  # type: ignore[union-attr]


@pytest.mark.parametrize(("plate", "conf", "status"), [
    ("AB12CDE", 0.95, "accepted"), ("AB12CDE", 0.90, "accepted"), ("AB12CDE", 0.7, "review"),
    ("AB12CDE", 0.2, "unreadable"), (None, 0.99, "unreadable"), ("", 0.99, "unreadable"),
])
def test_gate_routes_reads_by_confidence(plate: str | None, conf: float, status: str) -> None:
    assert ConfidenceGate(accept_at=0.9, review_from=0.5).decide(plate, conf) == status


def test_gate_thresholds_must_be_ordered() -> None:
    with pytest.raises(ValueError):
        ConfidenceGate(accept_at=0.5, review_from=0.9)


def test_roi_keeps_candidates_centred_in_the_bay_and_rejects_the_neighbours() -> None:
    bay = Roi(((100, 100), (500, 120), (520, 700), (80, 690)))
    assert bay.keeps((250, 400, 350, 440))
    assert not bay.keeps((600, 400, 700, 440))  # the next bay


def test_model_config_reads_fast_plate_ocr_keys(tmp_path: Path) -> None:
    path = tmp_path / "plate_config.yaml"
    path.write_text("max_plate_slots: 9\nalphabet: '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ_'\npad_char: '_'\n"
                    "img_height: 64\nimg_width: 128\nkeep_aspect_ratio: false\ninterpolation: linear\n"
                    "image_color_mode: grayscale\npadding_color: [114, 114, 114]\n")
    config = load_model_config(path)
    assert config.channels == 1 and config.max_plate_slots == 9


def test_model_config_with_pad_char_outside_the_alphabet_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("max_plate_slots: 9\nalphabet: 'AB'\npad_char: '_'\nimg_height: 64\nimg_width: 128\n")
    with pytest.raises(ConfigError, match="bad.yaml: .*pad_char '_' is not in the alphabet"):
        load_model_config(path)
