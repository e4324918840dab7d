"""Tesseract as a baseline reader, so QA can see what the trained model buys over a general OCR engine.

Runs Debian's ``tesseract`` command on each crop (one text line, upper-case
letters and digits only), the fairest use of it for plates. It is only a
yardstick: nothing at run time depends on it.
"""

from __future__ import annotations

import shutil
import subprocess

import cv2
import numpy as np

from baytwin.core.plates import sanitize

WHITELIST = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"


class TesseractMissing(Exception):
    """The tesseract command is not installed."""


class TesseractBaseline:
    name = "tesseract"

    def __init__(self, command: str = "tesseract", timeout_s: float = 20.0) -> None:
        found = shutil.which(command)
        if found is None:
            raise TesseractMissing(f"{command!r} is not installed (Debian: apt-get install tesseract-ocr)")
        self.command, self.timeout_s = found, timeout_s

    def read(self, crop: np.ndarray) -> str | None:
        """The plate text Tesseract sees in an RGB crop, sanitized; None when it sees nothing."""
        gray = cv2.cvtColor(crop, cv2.COLOR_RGB2GRAY) if crop.ndim == 3 else crop
        if gray.shape[0] < 40:  # Tesseract wants characters ~20-30 px high
            scale = 40 / gray.shape[0]
            gray = cv2.resize(gray, None, fx=scale, fy=scale, interpolation=cv2.INTER_CUBIC)
        ok, png = cv2.imencode(".png", gray)
        if not ok:
            return None
        done = subprocess.run([self.command, "stdin", "stdout", "--psm", "7", "-l", "eng",
                               "-c", f"tessedit_char_whitelist={WHITELIST}"],
                              input=png.tobytes(), capture_output=True, timeout=self.timeout_s, check=False)
        text = sanitize(done.stdout.decode("utf-8", "replace"))
        return text or None
