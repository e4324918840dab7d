"""Fitting a wider recognizer's weights into a narrower one: fewer channels, fewer residual blocks.

Why: on two CPU cores the recognizer's time is almost all convolution, and
the convolutions already run near the CPU's arithmetic peak, so reading more
crops a second means computing less. A narrower network trained from scratch
would have to relearn everything the bundled reader learned over many runs;
started from that reader's weights, keeping in each layer the channels its
batch norm scales most (a channel scaled near zero contributes little to the
next layer), it starts close to what the wide one reads, and a short
fine-tune (with the wide reader as teacher, ``TrainSettings.teacher``)
recovers the rest.

The layout is ``PlateNet``'s (``sim/ocr_training.py``): five convolutions at
``features.{0,4,8,11,15}``, each followed by its batch norm, then residual
blocks ``context.N.body.{0,1,3,4}`` working on the fifth convolution's 128
channels, which stay as they are.
"""

from __future__ import annotations

from typing import Any

#: Where each of the five convolutions sits in ``PlateNet.features``; its batch norm follows it.
CONVOLUTIONS = (0, 4, 8, 11, 15)
BATCH_NORM_PARTS = ("weight", "bias", "running_mean", "running_var")


class CannotNarrow(ValueError):
    """The saved network is not wider than the one asked for (or not this recognizer at all)."""


def feature_widths(state: dict[str, Any]) -> tuple[int, ...]:
    """The output channels of the first four convolutions of the network whose weights are ``state``."""
    return tuple(int(state[f"features.{index}.weight"].shape[0]) for index in CONVOLUTIONS[:-1])


def residual_blocks(state: dict[str, Any]) -> list[int]:
    """The numbers of the residual blocks in ``state``, in order."""
    return sorted({int(key.split(".")[1]) for key in state if key.startswith("context.")})


def narrowed(state: dict[str, Any], widths: tuple[int, ...], blocks: int) -> dict[str, Any]:
    """``state`` cut down to ``widths`` channels in the first four convolutions and ``blocks`` residual blocks.

    Each convolution keeps the channels its batch norm scales most (by the
    magnitude of the scale), in their original order, and the next
    convolution keeps the matching input channels. The residual blocks kept
    are those whose last batch norm scales most: a residual block adds its
    output to what passes through it, so one scaled near zero is nearly a
    no-op and leaving it out changes little.
    """
    import torch

    have = feature_widths(state)
    if len(widths) != len(have) or any(w < 1 or w > h for w, h in zip(widths, have)):
        raise CannotNarrow(f"widths {','.join(map(str, widths))}: each must be between 1 and the saved "
                           f"network's ({','.join(map(str, have))})")
    saved_blocks = residual_blocks(state)
    if blocks > len(saved_blocks):
        raise CannotNarrow(f"{blocks} residual blocks: the saved network has {len(saved_blocks)}")
    out = dict(state)
    for position, width in enumerate(widths):
        conv, norm, following = (CONVOLUTIONS[position], CONVOLUTIONS[position] + 1, CONVOLUTIONS[position + 1])
        scale = state[f"features.{norm}.weight"].abs()
        keep = torch.sort(torch.topk(scale, width).indices).values
        out[f"features.{conv}.weight"] = out[f"features.{conv}.weight"][keep].clone()  # its inputs already cut
        for part in BATCH_NORM_PARTS:
            out[f"features.{norm}.{part}"] = state[f"features.{norm}.{part}"][keep].clone()
        out[f"features.{following}.weight"] = out[f"features.{following}.weight"][:, keep].clone()
    strength = {n: float(state[f"context.{n}.body.4.weight"].abs().mean()) for n in saved_blocks}
    kept = sorted(sorted(saved_blocks, key=lambda n: -strength[n])[:blocks])
    out = {key: value for key, value in out.items() if not key.startswith("context.")}
    for new, old in enumerate(kept):
        prefix = f"context.{old}."
        out.update({f"context.{new}." + key[len(prefix):]: value for key, value in state.items() if key.startswith(prefix)})
    return out
