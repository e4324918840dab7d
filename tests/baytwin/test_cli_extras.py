"""Which extra a missing module belongs to: the one the command is named after, else the smallest."""

from __future__ import annotations

import pytest

from baytwin.extras import extra_for, message


@pytest.mark.parametrize(("module", "command", "extra"), [
    ("cv2", "baytwin ocr read", "ocr"),
    ("cv2", "baytwin live run", "live"),
    ("paho.mqtt.client", "baytwin live run", "live"),
    ("onnxruntime", "baytwin sim run", "ocr"),
    ("distributed.client", "baytwin sweep", "sweep"),
    ("streamlit", "baytwin dashboard", "dashboards"),
    ("psycopg", "baytwin audit verify", "postgres"),
    ("torch", "baytwin ocr train", "train"),
])
def test_a_missing_module_is_named_by_its_extra(module: str, command: str, extra: str) -> None:
    assert extra_for(module, command) == extra


@pytest.mark.parametrize("module", ["numpy", "pandas", "baytwin.sim.model", None])
def test_a_module_of_the_base_install_names_no_extra(module: str | None) -> None:
    assert extra_for(module, "baytwin sim run") is None


def test_the_line_says_how_to_install_it() -> None:
    assert message("baytwin ocr read", "ocr") == "baytwin ocr read needs the \"ocr\" extra: pip install 'baytwin[ocr]'"
