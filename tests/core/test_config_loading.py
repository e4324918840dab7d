"""Any file handed over as YAML comes back as a mapping or as one ConfigError line naming the file."""

from __future__ import annotations

from pathlib import Path

import pytest

from baytwin.core.config import MAX_DEPTH, ConfigError, load_yaml, no_control_characters, printable

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"


def _one_line(err: ConfigError) -> str:
    message = str(err)
    assert "\n" not in message and "\x1b" not in message
    return message


@pytest.mark.parametrize(("content", "problem"), [
    (PNG_SIGNATURE + bytes(range(256)), "binary file"),
    (b"name: caf\xe9\n", "not UTF-8 text (byte 0xe9 on line 1)"),
    (b"name: ok\nsite: \xff\xfe\n", "on line 2"),
    (b"name: a\x00b\n", "binary file"),
])
def test_binary_or_non_utf8_file_is_one_line_naming_the_file(tmp_path: Path, content: bytes, problem: str) -> None:
    path = tmp_path / "scenario.yaml"
    path.write_bytes(content)
    with pytest.raises(ConfigError) as caught:
        load_yaml(path)
    message = _one_line(caught.value)
    assert message.startswith(str(path)) and problem in message


def test_a_utf8_file_with_a_byte_order_mark_still_loads(tmp_path: Path) -> None:
    path = tmp_path / "bom.yaml"
    path.write_bytes("\ufeffname: café\n".encode())
    assert load_yaml(path) == {"name": "café"}


def test_a_nul_byte_in_the_path_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="NUL byte"):
        load_yaml(Path("policies/x\x00.yaml"))


def test_a_folder_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read file"):
        load_yaml(tmp_path)


@pytest.mark.parametrize("text", [
    "a: " + "[" * 20_000,  # the parser itself would recurse past Python's limit
    "a: " + "[" * (MAX_DEPTH + 5) + "]" * (MAX_DEPTH + 5),  # parses, but merging and validation would recurse
])
def test_deeply_nested_documents_are_refused(tmp_path: Path, text: str) -> None:
    path = tmp_path / "deep.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError, match="nested more than"):
        load_yaml(path)


def test_an_alias_that_contains_itself_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "cycle.yaml"
    path.write_text("a: &a [1, *a]\n")
    with pytest.raises(ConfigError, match="alias refers to"):
        load_yaml(path)


def test_aliases_expanding_to_billions_of_values_are_refused(tmp_path: Path) -> None:
    lines = ["l0: &l0 [" + ", ".join(["x"] * 10) + "]"]
    lines += [f"l{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * 10) + "]" for i in range(1, 9)]
    path = tmp_path / "laughs.yaml"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(ConfigError, match="once aliases are expanded"):
        load_yaml(path)


def test_shared_aliases_within_limits_still_load(tmp_path: Path) -> None:
    path = tmp_path / "shared.yaml"
    path.write_text("base: &b {x: 1}\none: *b\ntwo: {<<: *b, y: 2}\n")
    assert load_yaml(path) == {"base": {"x": 1}, "one": {"x": 1}, "two": {"x": 1, "y": 2}}


def test_error_messages_escape_terminal_control_characters() -> None:
    err = ConfigError("a\x1b[2Jb.yaml", "cams.\x1b[31mc", "bad\nline")
    assert str(err) == "a\\x1b[2Jb.yaml: cams.\\x1b[31mc: bad\\nline"
    assert printable("plain text, ünïcode") == "plain text, ünïcode"


@pytest.mark.parametrize("value", ["site\x1b[31m", "a\nb", "tab\there", "bidi\u202eevil", "nul\x00"])
def test_names_with_control_characters_are_refused(value: str) -> None:
    with pytest.raises(ValueError, match="control characters"):
        no_control_characters(value)


def test_ordinary_names_pass() -> None:
    assert no_control_characters("Garage Nord – bay 3 (Zürich)") == "Garage Nord – bay 3 (Zürich)"


def test_a_config_error_raised_in_a_worker_process_reaches_the_parent_whole() -> None:
    import pickle

    from baytwin.core.config_error import ConfigError

    error = ConfigError("site.yaml", "bays", "must be at least 1", more=[ConfigError("site.yaml", "name", "missing")])
    back = pickle.loads(pickle.dumps(error))
    assert isinstance(back, ConfigError)
    assert back.lines() == ["site.yaml: bays: must be at least 1", "site.yaml: name: missing"]
