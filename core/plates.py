"""Licence plates: one canonical text per vehicle, whatever the camera read.

Every plate read (camera OCR, a person typing, the simulation) goes through
:func:`normalize` before it is compared, stored or hashed. Two reads of the
same car must give the same text, or the twin sees two cars and the overstay
is never noticed. Two things get in the way:

* presentation: spaces, dashes, lower case, full-width or Cyrillic
  look-alike characters. :func:`sanitize` removes these.
* OCR confusions: 0 read for O, 8 for B, and so on. :func:`normalize` undoes
  these, but only where a plate *format* says the slot must be a letter (or
  a digit), and only into characters that format actually issues.

Formats and confusion maps are data (``plate_formats.yaml`` beside this
module), so supporting another country means editing that file, not this one.

Plates are personal data. Tables that only need to recognise "the same car
again" store :func:`plate_hash`, a keyed hash, and not the text.
"""

from __future__ import annotations

import hashlib
import hmac
import operator
import random
import re
import string
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, NamedTuple

from baytwin.core.config import ConfigError, load_yaml

DEFAULT_FORMATS_PATH = Path(__file__).with_name("plate_formats.yaml")

LETTER = "L"
DIGIT = "D"
SEPARATORS = " -"
DIGITS = string.digits
ALL_LETTERS = frozenset(string.ascii_uppercase)


# --------------------------------------------------------------------------
# Public types
# --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PlateFormat:
    """One national plate format, as declared in ``plate_formats.yaml``.

    A format checks itself when it is built, so one that exists can be used:
    ``slots`` has only L and D, ``display`` groups exactly those slots, and
    ``example`` fits. A mistake in the data file fails at load time and not
    on the first plate read.
    """

    name: str
    country: str
    slots: str  # one class per character: "L" letter, "D" digit, e.g. "LLDDLLL"
    display: str  # slots grouped as printed, e.g. "LLDD LLL" or "LL-DDD-LL"
    letters: frozenset[str]  # letters allowed in L slots
    example: str
    # Derived once here because matches() runs on every plate read.
    _pattern: re.Pattern[str] = field(init=False, repr=False, compare=False)
    # Sorted so generate_plate() gives the same plate for the same rng state
    # (frozenset order changes between runs with PYTHONHASHSEED).
    _letter_pool: str = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "letters", frozenset(self.letters))
        _check_format(self)  # everything _compile_pattern relies on
        object.__setattr__(self, "_letter_pool", "".join(sorted(self.letters)))
        object.__setattr__(self, "_pattern", _compile_pattern(self.slots, self._letter_pool))
        if not self.matches(self.example):
            raise _FieldProblem(
                "example", f"does not fit {self.display!r} with the allowed letters (got {self.example!r})"
            )

    def matches(self, text: str) -> bool:
        """True if ``text`` is exactly a plate of this format.

        Presentation is forgiven (``"ab12 cde"`` fits uk) but OCR confusions
        are not: use :func:`normalize` for those.
        """
        return self._pattern.fullmatch(sanitize(text)) is not None

    def display_text(self, text: str) -> str:
        """``text`` grouped as printed on the plate, e.g. ``"AB12CDE"`` -> ``"AB12 CDE"``.

        Raises ValueError if ``text`` is not a plate of this format: grouping
        a plate by the wrong country's layout would only mislead.
        """
        compact = sanitize(text)
        if self._pattern.fullmatch(compact) is None:
            raise ValueError(f"{text!r} is not a {self.name} plate ({self.display})")
        chars = iter(compact)
        return "".join(c if c in SEPARATORS else next(chars) for c in self.display)


@dataclass(frozen=True, slots=True)
class NormalizedPlate:
    """The canonical form of one plate read.

    ``format`` is None when the read fits no known format; ``text`` is then
    just the sanitized read, kept so it can still be shown and compared.
    ``corrections`` counts the OCR look-alikes that were undone, so callers
    can treat a heavily corrected read with suspicion.
    """

    text: str
    format: str | None
    corrections: int


# --------------------------------------------------------------------------
# Loading formats
# --------------------------------------------------------------------------


def load_formats(path: Path | None = None) -> dict[str, PlateFormat]:
    """Formats by name, in file order (the order that breaks ties in normalize()).

    Without ``path`` the file beside this module is read once and cached.
    Any problem raises ValueError (a :class:`core.config.ConfigError`) whose
    message names the file, the field and the problem, e.g.
    ``plate_formats.yaml: formats.uk.slots: must contain only L and D``.
    """
    catalogue = _default_catalogue() if path is None else _read_catalogue(Path(path))
    return dict(catalogue.formats)  # a copy: callers must not edit the cache


# --------------------------------------------------------------------------
# Sanitizing and normalizing
# --------------------------------------------------------------------------

_NOT_PLATE_CHAR = re.compile(r"[^A-Z0-9]+")

# Letters from other scripts that look exactly like Latin capitals, as a
# spoofed or mis-encoded plate might contain them. NFKD does not fold these.
_LOOKALIKES = str.maketrans(
    {
        "\N{CYRILLIC CAPITAL LETTER A}": "A",
        "\N{CYRILLIC CAPITAL LETTER VE}": "B",
        "\N{CYRILLIC CAPITAL LETTER IE}": "E",
        "\N{CYRILLIC CAPITAL LETTER KA}": "K",
        "\N{CYRILLIC CAPITAL LETTER EM}": "M",
        "\N{CYRILLIC CAPITAL LETTER EN}": "H",
        "\N{CYRILLIC CAPITAL LETTER O}": "O",
        "\N{CYRILLIC CAPITAL LETTER ER}": "P",
        "\N{CYRILLIC CAPITAL LETTER ES}": "C",
        "\N{CYRILLIC CAPITAL LETTER TE}": "T",
        "\N{CYRILLIC CAPITAL LETTER U}": "Y",
        "\N{CYRILLIC CAPITAL LETTER HA}": "X",
        "\N{CYRILLIC CAPITAL LETTER BYELORUSSIAN-UKRAINIAN I}": "I",
        "\N{CYRILLIC CAPITAL LETTER JE}": "J",
        "\N{CYRILLIC CAPITAL LETTER DZE}": "S",
        "\N{GREEK CAPITAL LETTER ALPHA}": "A",
        "\N{GREEK CAPITAL LETTER BETA}": "B",
        "\N{GREEK CAPITAL LETTER EPSILON}": "E",
        "\N{GREEK CAPITAL LETTER ZETA}": "Z",
        "\N{GREEK CAPITAL LETTER ETA}": "H",
        "\N{GREEK CAPITAL LETTER IOTA}": "I",
        "\N{GREEK CAPITAL LETTER KAPPA}": "K",
        "\N{GREEK CAPITAL LETTER MU}": "M",
        "\N{GREEK CAPITAL LETTER NU}": "N",
        "\N{GREEK CAPITAL LETTER OMICRON}": "O",
        "\N{GREEK CAPITAL LETTER RHO}": "P",
        "\N{GREEK CAPITAL LETTER TAU}": "T",
        "\N{GREEK CAPITAL LETTER UPSILON}": "Y",
        "\N{GREEK CAPITAL LETTER CHI}": "X",
    }
)


def sanitize(raw: str) -> str:
    """Upper-case ASCII letters and digits only: ``" ab-12.cde "`` -> ``"AB12CDE"``.

    Spaces, dashes, dots and anything else that is not a letter or digit go.
    Non-ASCII input is first folded to ASCII: NFKD turns full-width ``"Ａ"``
    into ``"A"`` and splits ``"É"`` into ``"E"`` plus an accent (dropped), and
    Cyrillic/Greek capitals that look like Latin ones are mapped to them.
    Does no OCR correction: that needs a format and is normalize()'s job.
    """
    if not raw.isascii():
        raw = unicodedata.normalize("NFKD", raw).upper().translate(_LOOKALIKES)
    return _NOT_PLATE_CHAR.sub("", raw.upper())


def normalize(raw: str, formats: Sequence[str] | None = None) -> NormalizedPlate:
    """Sanitize ``raw`` and fit it to the format needing the fewest OCR corrections.

    Every candidate format of the right length is tried: digits in its
    letter slots go through the digit->letter map, letters in its digit slots
    through the letter->digit map, and a correction counts only if the result
    is a character the format issues. The format needing the fewest
    corrections wins; ties go to the one listed first in ``formats`` (or in
    the YAML when None). If nothing fits, the sanitized text comes back with
    ``format=None`` and 0 corrections.

    Called for every plate read, so the per-format tables are built once at
    load and a call costs a few microseconds.
    """
    text = sanitize(raw)
    if isinstance(formats, str):
        raise TypeError(f"formats must be a sequence of format names, not the string {formats!r}")
    group = _candidates_by_length(None if formats is None else tuple(formats)).get(len(text))
    if group is None:
        return NormalizedPlate(text, None, 0)
    exact = group.exact.fullmatch(text)  # the common case: one regex for all formats
    if exact is not None:
        return NormalizedPlate(text, group.correctors[exact.lastindex - 1].name, 0)  # type: ignore[operator]
    best: NormalizedPlate | None = None
    for corrector in group.correctors:
        fitted = corrector.correct(text)
        if fitted is not None and (best is None or fitted[1] < best.corrections):
            best = NormalizedPlate(fitted[0], corrector.name, fitted[1])
    return best if best is not None else NormalizedPlate(text, None, 0)


# --------------------------------------------------------------------------
# Generating and hashing
# --------------------------------------------------------------------------


def generate_plate(fmt: PlateFormat, rng: random.Random) -> str:
    """A random valid plate of ``fmt``, compact (no separators), e.g. ``"AB12CDE"``.

    The simulation uses this to give drivers plates; the same rng state
    always gives the same plate. Use ``fmt.display_text()`` to print it.
    """
    pool = fmt._letter_pool
    return "".join(rng.choice(pool) if slot == LETTER else rng.choice(DIGITS) for slot in fmt.slots)


def plate_hash(plate: str, key: bytes) -> str:
    """Keyed hash of the normalized plate: HMAC-SHA256, first 32 hex chars (128 bits).

    Plates are personal data; most tables only need to know "same car as
    before", which this answers without storing the plate. The plate is
    normalized first, so ``"ab12 cde"`` and ``"AB12CDE"`` hash alike. Without
    the key the hash cannot be recomputed from a guessed plate, which a plain
    hash of a 7-character plate would allow in seconds.
    """
    if not key:
        raise ValueError("plate_hash needs a non-empty key")
    text = normalize(plate).text
    if not text:
        # Every unreadable plate would otherwise collapse into one "vehicle".
        raise ValueError(f"plate {plate!r} is empty after sanitizing; nothing to hash")
    return hmac.digest(key, text.encode("ascii"), hashlib.sha256).hex()[:32]


# --------------------------------------------------------------------------
# Internals: format checks, compiled correctors, the YAML reader
# --------------------------------------------------------------------------


class _FieldProblem(ValueError):
    """A PlateFormat field is invalid; the loader adds the file and the format name."""

    def __init__(self, field_name: str, problem: str) -> None:
        super().__init__(f"{field_name}: {problem}")
        self.field = field_name
        self.problem = problem


_FORMAT_NAME = re.compile(r"[a-z][a-z0-9_]*")
_COUNTRY = re.compile(r"[A-Z]{2}")


def _check_format(fmt: PlateFormat) -> None:
    """Raise _FieldProblem for the first field of ``fmt`` that is unusable."""
    if not isinstance(fmt.name, str) or not _FORMAT_NAME.fullmatch(fmt.name):
        raise _FieldProblem("name", f"must be lower-case letters, digits and _ (got {fmt.name!r})")
    if not isinstance(fmt.country, str) or not _COUNTRY.fullmatch(fmt.country):
        raise _FieldProblem("country", f"must be a two-letter ISO 3166 code in capitals (got {fmt.country!r})")
    if not isinstance(fmt.slots, str) or not fmt.slots or set(fmt.slots) - {LETTER, DIGIT}:
        raise _FieldProblem("slots", f"must contain only L and D (got {fmt.slots!r})")
    if not isinstance(fmt.display, str) or set(fmt.display) - {LETTER, DIGIT, *SEPARATORS}:
        raise _FieldProblem("display", f"must contain only L, D, spaces and dashes (got {fmt.display!r})")
    grouped = fmt.display.replace(" ", "").replace("-", "")
    if grouped != fmt.slots:
        raise _FieldProblem(
            "display", f"must group the slots {fmt.slots!r} exactly (without separators it is {grouped!r})"
        )
    if not fmt.letters or not fmt.letters <= ALL_LETTERS:
        shown = "".join(sorted(map(str, fmt.letters)))
        raise _FieldProblem("letters", f"must be one or more capital letters A-Z (got {shown!r})")
    if not isinstance(fmt.example, str):
        raise _FieldProblem("example", f"must be a string (got {fmt.example!r})")


def _compile_pattern(slots: str, letters: str) -> re.Pattern[str]:
    """Regex for an exact plate: one character class per slot."""
    letter_class = f"[{letters}]"
    return re.compile("".join(letter_class if slot == LETTER else "[0-9]" for slot in slots))


@dataclass(frozen=True, slots=True)
class _Corrector:
    """A format compiled for normalize(): its translation tables are built once, at load.

    ``str.translate`` cannot see positions, so the read is translated twice,
    once as if every slot were a letter and once as if every slot were a
    digit, and the result is spliced from the two by the format's runs of
    L and D slots. The format's regex then rejects whatever could not be
    corrected (e.g. "1" in a uk letter slot: I is not issued in GB).
    """

    name: str
    pattern: re.Pattern[str]
    # look-alike digit -> letter, only into letters the format allows (the
    # pattern check after splicing enforces that too; the table stays honest)
    to_letters: dict[int, str]
    to_digits: dict[int, str]  # look-alike letter -> digit
    runs: tuple[tuple[bool, slice], ...]  # (is_letter_run, positions), e.g. LL|DD|LLL

    @classmethod
    def build(cls, fmt: PlateFormat, digit_to_letter: dict[str, str], letter_to_digit: dict[str, str]) -> _Corrector:
        runs: list[tuple[bool, slice]] = []
        start = 0
        for i in range(1, len(fmt.slots) + 1):
            if i == len(fmt.slots) or fmt.slots[i] != fmt.slots[start]:
                runs.append((fmt.slots[start] == LETTER, slice(start, i)))
                start = i
        return cls(
            name=fmt.name,
            pattern=fmt._pattern,
            to_letters=str.maketrans({d: c for d, c in digit_to_letter.items() if c in fmt.letters}),
            to_digits=str.maketrans(letter_to_digit),
            runs=tuple(runs),
        )

    def correct(self, text: str) -> tuple[str, int] | None:
        """``(corrected text, corrections)`` if ``text`` can be read as this format, else None."""
        as_letters = text.translate(self.to_letters)
        as_digits = text.translate(self.to_digits)
        fixed = "".join([as_letters[run] if is_letter else as_digits[run] for is_letter, run in self.runs])
        if self.pattern.fullmatch(fixed) is None:
            return None
        return fixed, sum(map(operator.ne, fixed, text))


class _Catalogue(NamedTuple):
    """Everything read from one formats file."""

    formats: dict[str, PlateFormat]  # in file order
    correctors: dict[str, _Corrector]


@lru_cache(maxsize=1)
def _default_catalogue() -> _Catalogue:
    return _read_catalogue(DEFAULT_FORMATS_PATH)


class _Candidates(NamedTuple):
    """The formats of one plate length, in tie-break order."""

    exact: re.Pattern[str]  # alternation of the formats' patterns; group i+1 is correctors[i]
    correctors: tuple[_Corrector, ...]


@lru_cache(maxsize=256)
def _candidates_by_length(names: tuple[str, ...] | None) -> dict[int, _Candidates]:
    """The formats to try for each plate length, in tie-break order, compiled."""
    catalogue = _default_catalogue()
    if names is None:
        names = tuple(catalogue.formats)
    by_length: dict[int, list[_Corrector]] = {}
    for name in dict.fromkeys(names):  # drop repeats, keep order
        if name not in catalogue.formats:
            raise ValueError(f"unknown plate format {name!r}; known: {', '.join(catalogue.formats)}")
        by_length.setdefault(len(catalogue.formats[name].slots), []).append(catalogue.correctors[name])
    return {
        length: _Candidates(re.compile("|".join(f"({c.pattern.pattern})" for c in group)), tuple(group))
        for length, group in by_length.items()
    }


_TOP_FIELDS = ("formats", "confusions")
_FORMAT_FIELDS = ("country", "slots", "display", "letters", "example")
_OPTIONAL_FORMAT_FIELDS = ("letters",)
_CONFUSION_MAPS = {
    # map name: (what a key must be, what a value must be)
    "digit_to_letter": (DIGITS, string.ascii_uppercase),
    "letter_to_digit": (string.ascii_uppercase, DIGITS),
}


def _read_catalogue(path: Path) -> _Catalogue:
    """Parse and check one formats file; the first problem raises ConfigError."""
    data = load_yaml(path)
    _reject_unknown(path, "", data, _TOP_FIELDS)
    maps = _read_confusions(path, _require_mapping(path, "confusions", data.get("confusions")))
    raw_formats = _require_mapping(path, "formats", data.get("formats"))
    if not raw_formats:
        raise ConfigError(path, "formats", "must declare at least one format")
    formats = {name: _read_format(path, name, spec) for name, spec in raw_formats.items()}
    correctors = {
        name: _Corrector.build(fmt, maps["digit_to_letter"], maps["letter_to_digit"]) for name, fmt in formats.items()
    }
    return _Catalogue(formats, correctors)


def _read_format(path: Path, name: Any, spec: Any) -> PlateFormat:
    where = f"formats.{name}"
    if not isinstance(name, str) or not _FORMAT_NAME.fullmatch(name):
        raise ConfigError(path, where, "format name must be lower-case letters, digits and _")
    spec = _require_mapping(path, where, spec)
    _reject_unknown(path, where, spec, _FORMAT_FIELDS)
    values: dict[str, str] = {}
    for key in _FORMAT_FIELDS:
        if key not in spec:
            if key in _OPTIONAL_FORMAT_FIELDS:
                continue
            raise ConfigError(path, f"{where}.{key}", "missing")
        if not isinstance(spec[key], str):
            raise ConfigError(path, f"{where}.{key}", f"must be a string (got {spec[key]!r}; quote it)")
        values[key] = spec[key]
    try:
        return PlateFormat(
            name=name,
            country=values["country"],
            slots=values["slots"],
            display=values["display"],
            letters=frozenset(values["letters"]) if "letters" in values else ALL_LETTERS,
            example=values["example"],
        )
    except _FieldProblem as err:
        raise ConfigError(path, f"{where}.{err.field}", err.problem) from None


def _read_confusions(path: Path, raw: dict[str, Any]) -> dict[str, dict[str, str]]:
    _reject_unknown(path, "confusions", raw, tuple(_CONFUSION_MAPS))
    maps: dict[str, dict[str, str]] = {}
    for map_name, (key_chars, value_chars) in _CONFUSION_MAPS.items():
        where = f"confusions.{map_name}"
        entries = _require_mapping(path, where, raw.get(map_name))
        for key, value in entries.items():
            _require_char(path, f"{where}.{key}", "key", key, key_chars)
            _require_char(path, f"{where}.{key}", "value", value, value_chars)
        maps[map_name] = dict(entries)
    return maps


def _require_mapping(path: Path, where: str, value: Any) -> dict[Any, Any]:
    if value is None:
        raise ConfigError(path, where, "missing")
    if not isinstance(value, dict):
        raise ConfigError(path, where, f"must be a mapping (got {type(value).__name__})")
    return value


def _require_char(path: Path, where: str, role: str, value: Any, allowed: Iterable[str]) -> None:
    kind = "a digit" if set(allowed) == set(DIGITS) else "a capital letter"
    if not isinstance(value, str):
        read_as = f"YAML read {value!r} as {type(value).__name__}"
        raise ConfigError(path, where, f"{role} must be {kind} in quotes ({read_as})")
    if len(value) != 1 or value not in allowed:
        raise ConfigError(path, where, f"{role} must be {kind} (got {value!r})")


def _reject_unknown(path: Path, where: str, mapping: dict[Any, Any], known: tuple[str, ...]) -> None:
    for key in mapping:
        if key not in known:
            field_path = f"{where}.{key}" if where else str(key)
            raise ConfigError(path, field_path, f"unknown field (expected one of: {', '.join(known)})")
