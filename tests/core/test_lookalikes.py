"""Plates a reader can mistake for each other fold to one key; the groups match the OCR confusions."""

from __future__ import annotations

from pathlib import Path

import yaml

from baytwin.core.lookalikes import LOOKALIKE_GROUPS, LookalikeIndex, fold

FORMATS = Path(__file__).resolve().parents[2] / "core" / "plate_formats.yaml"


def test_plates_differing_only_in_lookalikes_fold_alike_and_others_do_not() -> None:
    assert fold("AB0123") == fold("ABO123") == fold("A8DI23")
    assert fold("AB0123") != fold("AC0123")
    index = LookalikeIndex(["AB0123", "XY99XYZ"])
    assert index.others("ABO123") == ("AB0123",)
    assert index.others("AB0123") == ()  # a plate is not a look-alike of itself
    assert index.others("ABC123") == ()


def test_every_ocr_confusion_the_plate_formats_declare_is_a_lookalike_pair() -> None:
    confusions = yaml.safe_load(FORMATS.read_text(encoding="utf-8"))["confusions"]
    pairs = [(k, v) for table in confusions.values() for k, v in table.items()]
    assert pairs and all(fold(a) == fold(b) for a, b in pairs)
    grouped = {ch for group in LOOKALIKE_GROUPS for ch in group}
    assert grouped == {ch for pair in pairs for ch in pair}  # and no group holds a pair they do not
