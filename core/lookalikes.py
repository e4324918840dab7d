"""Plates that a reader can mistake for each other: ``AB0123`` and ``ABO123``, ``5ABC`` and ``SABC``.

Some plate fonts draw O and 0 (or I and 1, B and 8, S and 5) almost alike, and readers confuse
them more than any other pair. A read that differs from a registered or whitelisted plate only in
such characters is most likely that vehicle, misread: enforcing against the plate as read would
fine a permit holder as a stranger, or send a ticket to whoever holds the misread registration.
:func:`fold` maps every look-alike to one representative, so two plates that a reader could
confuse fold to the same key. The classes are those of the OCR confusions in
``plate_formats.yaml`` (a test holds them together).
"""

from __future__ import annotations

from collections.abc import Iterable

#: Characters a reader confuses, each group folded to its first character.
LOOKALIKE_GROUPS = ("0ODQ", "1IL", "2Z", "4A", "5S", "6G", "7T", "8B")
_FOLD = str.maketrans({ch: group[0] for group in LOOKALIKE_GROUPS for ch in group[1:]})


def fold(plate: str) -> str:
    """``plate`` with every look-alike replaced by its group's representative."""
    return plate.translate(_FOLD)


class LookalikeIndex:
    """Known plates by their folded form, to find those a read may be a misreading of."""

    def __init__(self, plates: Iterable[str] = ()) -> None:
        self._by_fold: dict[str, set[str]] = {}
        for plate in plates:
            self.add(plate)

    def add(self, plate: str) -> None:
        self._by_fold.setdefault(fold(plate), set()).add(plate)

    def others(self, plate: str) -> tuple[str, ...]:
        """Known plates other than ``plate`` itself that differ from it only in look-alike characters."""
        return tuple(sorted(p for p in self._by_fold.get(fold(plate), ()) if p != plate))
