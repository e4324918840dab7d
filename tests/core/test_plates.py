"""Plate normalization: one canonical text per vehicle, whatever the camera read."""

from __future__ import annotations

import random
import re
import string
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import assume, given
from hypothesis import strategies as st

from baytwin.core.plates import (
    DEFAULT_FORMATS_PATH,
    NormalizedPlate,
    PlateFormat,
    generate_plate,
    load_formats,
    normalize,
    plate_hash,
    sanitize,
)

FORMATS = load_formats()
NAMES = list(FORMATS)
# Read straight from the data file so the tests check that the data drives behaviour.
_RAW = yaml.safe_load(DEFAULT_FORMATS_PATH.read_text(encoding="utf-8"))
DIGIT_TO_LETTER: dict[str, str] = _RAW["confusions"]["digit_to_letter"]
LETTER_TO_DIGIT: dict[str, str] = _RAW["confusions"]["letter_to_digit"]

KEY = b"test-key-not-secret"

format_names = st.sampled_from(NAMES)
seeds = st.integers(min_value=0, max_value=2**32 - 1)
plateish_text = st.text(alphabet=string.ascii_letters + string.digits + " -.", max_size=10)


def generated(name: str, seed: int) -> str:
    return generate_plate(FORMATS[name], random.Random(seed))


# --------------------------------------------------------------------------
# The declared formats
# --------------------------------------------------------------------------


def test_formats_are_declared_in_yaml_order_with_their_slots() -> None:
    assert NAMES == ["uk", "fr", "nl", "us_ca"]
    assert {name: (f.country, f.slots, f.display) for name, f in FORMATS.items()} == {
        "uk": ("GB", "LLDDLLL", "LLDD LLL"),
        "fr": ("FR", "LLDDDLL", "LL-DDD-LL"),
        "nl": ("NL", "LLLDDL", "LLL-DD-L"),
        "us_ca": ("US", "DLLLDDD", "DLLLDDD"),
    }


def test_formats_exclude_the_letters_their_country_never_issues() -> None:
    assert not {"I", "Q"} & FORMATS["uk"].letters
    assert "Z" in FORMATS["uk"].letters  # used in the last three letters
    assert not {"I", "O", "U"} & FORMATS["fr"].letters
    assert not set("AEIOUYCQ") & FORMATS["nl"].letters
    assert FORMATS["us_ca"].letters == frozenset(string.ascii_uppercase)


@pytest.mark.parametrize("name", NAMES)
def test_each_example_is_in_display_form_and_normalizes_to_its_format(name: str) -> None:
    fmt = FORMATS[name]
    assert fmt.display_text(fmt.example) == fmt.example
    assert normalize(fmt.example) == NormalizedPlate(sanitize(fmt.example), name, 0)


def test_default_formats_are_read_once_and_callers_get_their_own_dict() -> None:
    first, second = load_formats(), load_formats()
    assert first is not second
    assert all(first[name] is second[name] for name in NAMES)


def test_explicit_path_loads_the_same_formats(tmp_path: Path) -> None:
    copy = tmp_path / "formats.yaml"
    copy.write_text(DEFAULT_FORMATS_PATH.read_text(encoding="utf-8"), encoding="utf-8")
    assert load_formats(copy) == FORMATS


# --------------------------------------------------------------------------
# sanitize
# --------------------------------------------------------------------------


def test_sanitize_strips_spaces_dashes_and_lowercase() -> None:
    assert sanitize(" ab-12.cde ") == "AB12CDE"
    assert sanitize("ab 12\tcd_e!/") == "AB12CDE"


@pytest.mark.parametrize(
    "raw",
    [
        "\uff21\uff22\uff11\uff12 \uff23\uff24\uff25",  # full-width ＡＢ１２ ＣＤＥ
        "\u0410\u0412\u0031\u0032 \u0421D\u0415",  # Cyrillic А, В, С, Е
        "\u0391\u0392\u0031\u0032 CD\u0395",  # Greek Α, Β, Ε
        "\u00c0B12CD\u00c9",  # accented ÀB12CDÉ
        "ab12\u00a0cde",  # no-break space
    ],
)
def test_sanitize_folds_unicode_lookalikes_to_ascii(raw: str) -> None:
    assert sanitize(raw) == "AB12CDE"


@given(st.text())
def test_sanitize_keeps_only_ascii_capitals_and_digits_and_is_idempotent(raw: str) -> None:
    clean = sanitize(raw)
    assert re.fullmatch(r"[A-Z0-9]*", clean)
    assert sanitize(clean) == clean


# --------------------------------------------------------------------------
# normalize: OCR corrections
# --------------------------------------------------------------------------


def test_uk_plate_with_zero_for_o_in_letter_slot_is_corrected() -> None:
    assert normalize("AB12 C0E") == NormalizedPlate("AB12COE", "uk", 1)


def test_digit_slot_letters_become_digits() -> None:
    assert normalize("AB-I23-CD") == NormalizedPlate("AB123CD", "fr", 1)
    assert normalize("AB-IZ3-CD") == NormalizedPlate("AB123CD", "fr", 2)
    assert normalize("8ABC1Z3") == NormalizedPlate("8ABC123", "us_ca", 1)


def test_digit_in_letter_slot_is_not_corrected_to_a_letter_the_format_forbids() -> None:
    # "1" would be I, which GB never issues: the read does not fit uk at all.
    assert normalize("AB12 C1E", ["uk"]) == NormalizedPlate("AB12C1E", None, 0)
    # "0" would be O, which French SIV never issues.
    assert normalize("AB-123-C0", ["fr"]) == NormalizedPlate("AB123C0", None, 0)


def test_letter_a_format_does_not_issue_is_not_accepted() -> None:
    assert normalize("AB12 CIE", ["uk"]).format is None
    assert normalize("AB-123-CO", ["fr"]).format is None


def test_format_needing_fewest_corrections_wins() -> None:
    assert normalize("AB12SCD") == NormalizedPlate("AB12SCD", "uk", 0)  # fr would need S->5
    assert normalize("AB125CD") == NormalizedPlate("AB125CD", "fr", 0)  # uk would need 5->S
    assert normalize("AB1Z5CD") == NormalizedPlate("AB125CD", "fr", 1)  # uk would need 2


def test_tie_is_broken_by_format_order() -> None:
    # 3 corrections either way: uk reads AB26STO, us_ca reads 4BZG570.
    assert normalize("4BZGSTO") == NormalizedPlate("AB26STO", "uk", 3)
    assert normalize("4BZGSTO", ["us_ca", "uk"]) == NormalizedPlate("4BZG570", "us_ca", 3)


def test_formats_argument_limits_the_candidates() -> None:
    assert normalize("AB12CDE", ["fr", "nl"]) == NormalizedPlate("AB12CDE", None, 0)
    assert normalize("AB12CDE", []) == NormalizedPlate("AB12CDE", None, 0)


def test_unknown_format_is_returned_sanitized_without_format() -> None:
    assert normalize("hello-world!") == NormalizedPlate("HELLOWORLD", None, 0)
    assert normalize("") == NormalizedPlate("", None, 0)
    assert normalize("ab12 cd") == NormalizedPlate("AB12CD", None, 0)


def test_unknown_format_name_is_rejected() -> None:
    with pytest.raises(ValueError, match="unknown plate format 'xx'"):
        normalize("AB12CDE", ["uk", "xx"])


def test_a_single_format_name_string_is_rejected_not_split_into_letters() -> None:
    with pytest.raises(TypeError):
        normalize("AB12CDE", "uk")


# --------------------------------------------------------------------------
# normalize: properties
# --------------------------------------------------------------------------


@given(format_names, seeds)
def test_every_generated_plate_normalizes_to_itself_without_corrections(name: str, seed: int) -> None:
    plate = generated(name, seed)
    assert FORMATS[name].matches(plate)
    assert normalize(plate, [name]) == NormalizedPlate(plate, name, 0)
    assert normalize(plate) == NormalizedPlate(plate, name, 0)
    assert normalize(FORMATS[name].display_text(plate).lower()) == NormalizedPlate(plate, name, 0)


@given(st.one_of(st.text(), plateish_text))
def test_normalizing_is_idempotent(raw: str) -> None:
    once = normalize(raw)
    assert normalize(once.text) == NormalizedPlate(once.text, once.format, 0)


def lookalikes(slot: str, char: str) -> list[str]:
    """What OCR may read instead of ``char`` in a slot of class ``slot``, and still be undone."""
    if slot == "L":
        return [digit for digit, letter in DIGIT_TO_LETTER.items() if letter == char]
    return [letter for letter, digit in LETTER_TO_DIGIT.items() if digit == char]


@given(format_names, seeds, st.data())
def test_one_confusable_character_swapped_for_its_lookalike_is_restored(name: str, seed: int, data: Any) -> None:
    fmt = FORMATS[name]
    plate = generated(name, seed)
    swaps = [(i, alike) for i, (slot, char) in enumerate(zip(fmt.slots, plate)) for alike in lookalikes(slot, char)]
    assume(swaps)
    i, alike = data.draw(st.sampled_from(swaps))
    misread = plate[:i] + alike + plate[i + 1 :]
    assert normalize(misread, [name]) == NormalizedPlate(plate, name, 1)


# --------------------------------------------------------------------------
# PlateFormat, display, generation
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "compact", "shown"),
    [
        ("uk", "ab12cde", "AB12 CDE"),
        ("fr", "AB123CD", "AB-123-CD"),
        ("nl", "gbb01b", "GBB-01-B"),
        ("us_ca", "8abc123", "8ABC123"),
    ],
)
def test_display_text_groups_the_plate_as_printed(name: str, compact: str, shown: str) -> None:
    assert FORMATS[name].display_text(compact) == shown


def test_display_text_rejects_a_plate_of_another_format() -> None:
    with pytest.raises(ValueError, match="not a fr plate"):
        FORMATS["fr"].display_text("AB12CDE")


def test_matches_forgives_presentation_but_not_ocr_confusions() -> None:
    uk = FORMATS["uk"]
    assert uk.matches("ab12 cde")
    assert not uk.matches("AB12 C0E")
    assert not uk.matches("AB12CDEF")


def test_generate_plate_is_deterministic_for_an_rng_state() -> None:
    for fmt in FORMATS.values():
        assert generate_plate(fmt, random.Random(7)) == generate_plate(fmt, random.Random(7))
    rng = random.Random(7)
    assert len({generate_plate(FORMATS["uk"], rng) for _ in range(50)}) > 1


def test_plate_format_built_directly_checks_its_fields() -> None:
    good = dict(name="x", country="XX", slots="LD", display="L-D", letters=frozenset("AB"), example="A-1")
    assert PlateFormat(**good).display_text("a1") == "A-1"
    with pytest.raises(ValueError, match="slots: must contain only L and D"):
        PlateFormat(**{**good, "slots": "LX", "display": "LX"})
    with pytest.raises(ValueError, match="display: must group the slots"):
        PlateFormat(**{**good, "display": "L-D-D"})
    with pytest.raises(ValueError, match="example: does not fit"):
        PlateFormat(**{**good, "example": "C-1"})


# --------------------------------------------------------------------------
# plate_hash
# --------------------------------------------------------------------------


def test_plate_hash_is_stable_for_equal_normalized_plates() -> None:
    assert plate_hash("ab12 cde", KEY) == plate_hash("AB12CDE", KEY)
    assert plate_hash("AB12 C0E", KEY) == plate_hash("AB12COE", KEY)  # same car, misread
    assert plate_hash("AB12CDE", KEY) != plate_hash("AB12CDF", KEY)


def test_plate_hash_is_32_lowercase_hex_chars() -> None:
    assert re.fullmatch(r"[0-9a-f]{32}", plate_hash("AB12CDE", KEY))


@given(format_names, seeds)
def test_plate_hash_ignores_presentation(name: str, seed: int) -> None:
    plate = generated(name, seed)
    shown = FORMATS[name].display_text(plate)
    assert plate_hash(shown.lower(), KEY) == plate_hash(plate, KEY)


@given(st.binary(min_size=1, max_size=64), st.binary(min_size=1, max_size=64))
def test_plate_hash_differs_for_different_keys(key_a: bytes, key_b: bytes) -> None:
    assume(key_a != key_b)
    assert plate_hash("AB12CDE", key_a) != plate_hash("AB12CDE", key_b)


def test_plate_hash_refuses_an_empty_key_or_an_empty_plate() -> None:
    with pytest.raises(ValueError, match="key"):
        plate_hash("AB12CDE", b"")
    with pytest.raises(ValueError, match="empty after sanitizing"):
        plate_hash(" - ", KEY)


# --------------------------------------------------------------------------
# A broken formats file
# --------------------------------------------------------------------------


def default_data() -> dict[str, Any]:
    return yaml.safe_load(DEFAULT_FORMATS_PATH.read_text(encoding="utf-8"))


def with_uk(**changes: Any) -> dict[str, Any]:
    data = default_data()
    data["formats"]["uk"].update(changes)
    return data


def without_uk_example() -> dict[str, Any]:
    data = default_data()
    del data["formats"]["uk"]["example"]
    return data


def without_formats() -> dict[str, Any]:
    data = default_data()
    del data["formats"]
    return data


def with_unquoted_digit_key() -> dict[str, Any]:
    data = default_data()
    data["confusions"]["digit_to_letter"][0] = "O"  # what YAML makes of an unquoted 0
    return data


@pytest.mark.parametrize(
    ("data", "field", "problem"),
    [
        (with_uk(slots="LLXDLLL"), "formats.uk.slots", "must contain only L and D"),
        (with_uk(display="LL DD LL"), "formats.uk.display", "must group the slots"),
        (with_uk(letters="abc"), "formats.uk.letters", "capital letters"),
        (with_uk(country="GBR"), "formats.uk.country", "two-letter"),
        (with_uk(example="AB12 CIE"), "formats.uk.example", "does not fit"),
        (with_uk(slots=7), "formats.uk.slots", "must be a string"),
        (with_uk(leters="ABC"), "formats.uk.leters", "unknown field"),
        (without_uk_example(), "formats.uk.example", "missing"),
        (without_formats(), "formats", "missing"),
        (with_unquoted_digit_key(), "confusions.digit_to_letter.0", "in quotes"),
    ],
    ids=[
        "slots", "display", "letters", "country", "example",
        "type", "unknown", "missing-field", "no-formats", "unquoted",
    ],
)
def test_broken_formats_file_raises_value_error_naming_file_and_field(
    tmp_path: Path, data: dict[str, Any], field: str, problem: str
) -> None:
    path = tmp_path / "broken_formats.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    with pytest.raises(ValueError) as caught:
        load_formats(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: {field}: ")
    assert problem in message


def test_formats_file_that_is_not_yaml_raises_value_error_naming_the_file(tmp_path: Path) -> None:
    path = tmp_path / "broken_formats.yaml"
    path.write_text("formats: {uk: [unclosed\n", encoding="utf-8")
    with pytest.raises(ValueError, match=re.escape(str(path)) + ".*invalid YAML"):
        load_formats(path)
