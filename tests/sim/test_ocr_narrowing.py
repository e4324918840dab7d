"""Narrowing a trained recognizer: the channels and blocks it keeps are the ones that carry what it reads.

Needs the optional ``train`` extra (PyTorch); without it these tests are skipped.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from baytwin.sim.ocr_narrowing import CONVOLUTIONS, feature_widths, narrowed  # noqa: E402
from baytwin.sim.ocr_training import (  # noqa: E402
    WeightsMismatch,
    build_network,
    load_weights,
    saved_layout,
    synthetic_sample,
    teacher_loss,
    to_grey,
)

SILENCED = {0: [3, 7, 20], 1: [0, 5, 9, 11, 30, 47], 2: [2, 40], 3: [1, 2, 3, 50, 90]}  # per convolution: channels


def _wide_network_with_silent_parts():  # type: ignore[no-untyped-def]
    """A two-block grey reader moved off its start, whose ``SILENCED`` channels and first residual block
    compute nothing: their batch norm scales and shifts by zero, so after the ReLU they are zero."""
    torch.manual_seed(3)
    net = build_network(channels=1, blocks=2).eval()
    with torch.no_grad():
        for parameter in net.parameters():
            parameter.add_(0.05 * torch.randn_like(parameter))
        for position, channels in SILENCED.items():
            norm = net.features[CONVOLUTIONS[position] + 1]
            norm.weight[channels] = 0.0
            norm.bias[channels] = 0.0
        silent_block = net.context[0].body[4]
        silent_block.weight.zero_()
        silent_block.bias.zero_()
    return net


def _crops() -> torch.Tensor:
    return torch.from_numpy(np.stack([to_grey(synthetic_sample(seed)[0][None])[0] for seed in range(6)]))


def test_a_narrowed_reader_keeps_what_carries_the_reading_and_reads_exactly_as_the_wide_one(tmp_path: Path) -> None:
    wide = _wide_network_with_silent_parts()
    torch.save(wide.state_dict(), tmp_path / "wide.pt")
    widths = tuple(w - len(SILENCED[i]) for i, w in enumerate(feature_widths(wide.state_dict())))
    narrow = build_network(channels=1, blocks=1, widths=widths).eval()
    load_weights(narrow, tmp_path / "wide.pt", narrow=True)
    with torch.no_grad():
        assert torch.allclose(narrow(_crops()), wide(_crops()), atol=1e-5)
    torch.save(narrow.state_dict(), tmp_path / "narrow.pt")
    layout = saved_layout(tmp_path / "narrow.pt")
    assert layout.widths == widths and layout.blocks == 1


def test_the_weakest_channels_go_first() -> None:
    state = _wide_network_with_silent_parts().state_dict()
    cut = narrowed(state, (24 - 3, 48 - 6, 64 - 2, 96 - 5), blocks=1)
    scale = state["features.1.weight"].abs()
    kept = [c for c in range(24) if c not in SILENCED[0]]
    assert torch.equal(cut["features.1.weight"], state["features.1.weight"][kept])
    assert torch.equal(cut["features.4.weight"], state["features.4.weight"][:, kept][[c for c in range(48) if c not in SILENCED[1]]])
    assert float(scale[kept].min()) > 0  # the silenced ones were the weakest
    assert torch.equal(cut["context.0.body.4.weight"], state["context.1.body.4.weight"])  # the block that computes stays


def test_a_network_wider_than_the_weights_or_weights_not_asked_to_narrow_are_refused(tmp_path: Path) -> None:
    torch.save(build_network(channels=1).state_dict(), tmp_path / "bundled.pt")
    with pytest.raises(WeightsMismatch, match="widths 24,48,64,128: each must be between 1 and the saved"):
        load_weights(build_network(channels=1, widths=(24, 48, 64, 128)), tmp_path / "bundled.pt", narrow=True)
    with pytest.raises(WeightsMismatch):  # a narrower network, but nobody asked to cut the weights down
        load_weights(build_network(channels=1, widths=(24, 32, 64, 64)), tmp_path / "bundled.pt")


def test_the_teachers_term_is_zero_when_the_network_reads_as_the_teacher_and_grows_as_it_reads_otherwise() -> None:
    torch.manual_seed(0)
    taught = 4 * torch.randn(5, 80, 37)
    targets = torch.full((5, 11), 36, dtype=torch.long)
    targets[:, :6] = 3
    assert float(teacher_loss(taught, taught, targets, blank=36)) == pytest.approx(0.0, abs=1e-5)
    near, far = taught + 0.3 * torch.randn_like(taught), taught + 3.0 * torch.randn_like(taught)
    assert 0 < float(teacher_loss(near, taught, targets, blank=36)) < float(teacher_loss(far, taught, targets, blank=36))
