"""A training run that outlives its process: rendered data and training state kept in a folder.

A reader worth using needs many hours of CPU training; a machine that is
restarted, a session that ends or a Ctrl-C must not throw them away. The run
folder holds the rendered training set (rendering is a third of the cost, and
the same seeds give the same crops, so it is never redone) and, every few
minutes, the network, optimizer, schedule, random state and position in the
epoch. Started again with the same settings, training continues from the last
save and ends where an uninterrupted run would have.

Settings that change what is trained (samples, seed, epochs, batch, rate,
labelled folders, starting weights) are written beside the state; a folder made
with other settings is refused rather than silently mixed.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np


class RunFolderMismatch(ValueError):
    """The run folder belongs to a training run with other settings."""


class TrainingRunFolder:
    """The folder of one training run: ``settings.json``, ``dataset.npz`` and ``state.pt``."""

    def __init__(self, path: Path, settings: dict[str, Any]) -> None:
        self.path = path
        self.settings = settings
        path.mkdir(parents=True, exist_ok=True)
        recorded = path / "settings.json"
        if recorded.is_file():
            try:
                earlier = json.loads(recorded.read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError, json.JSONDecodeError):
                raise RunFolderMismatch(f"{recorded}: not a training run's settings") from None
            if earlier != settings:
                changed = sorted(k for k in set(earlier) | set(settings) if earlier.get(k) != settings.get(k))
                raise RunFolderMismatch(f"{path}: a training run with other settings ({', '.join(changed)}); "
                                        "use a new folder or the same settings")
        else:
            _replace_atomically(recorded, json.dumps(settings, indent=1, sort_keys=True).encode())

    def dataset(self, make: Callable[[], tuple[np.ndarray, np.ndarray]]) -> tuple[np.ndarray, np.ndarray]:
        """The training set: loaded if an earlier start rendered it, else made and kept."""
        stored = self.path / "dataset.npz"
        if stored.is_file():
            with np.load(stored) as data:
                return data["images"], data["targets"]
        images, targets = make()
        partial = stored.with_suffix(".partial.npz")
        np.savez(partial, images=images, targets=targets)
        os.replace(partial, stored)
        return images, targets

    def last_state(self) -> dict[str, Any] | None:
        """What the last save held, or None for a run not started yet."""
        import torch

        stored = self.path / "state.pt"
        if not stored.is_file():
            return None
        return torch.load(stored, map_location="cpu", weights_only=False)

    def save(self, state: dict[str, Any]) -> None:
        """Keep ``state`` so that a kill at any moment leaves either the previous save or this one."""
        import io

        import torch

        buffer = io.BytesIO()
        torch.save(state, buffer)
        _replace_atomically(self.path / "state.pt", buffer.getvalue())


def _replace_atomically(path: Path, data: bytes) -> None:
    partial = path.with_name(path.name + ".partial")
    with open(partial, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(partial, path)
