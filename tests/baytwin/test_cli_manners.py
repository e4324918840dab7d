"""What a user expects of any command line: a quick help that names no heavy library, ``--version``,
completion, flags shown as flags, help as wide as the terminal, quiet unless asked, one line for a
missing extra. Real processes, real environment variables."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import pytest

from .test_cli import SMALL_SITE, baytwin

HEAVY = ("pandas", "numpy", "simpy", "mesa", "sqlalchemy", "alembic", "cv2", "onnxruntime", "pyarrow", "scipy",
         "dask", "distributed", "streamlit", "websockets", "ocpp", "cryptography", "yaml")  # (Typer itself uses pydantic)


def run_python(code: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=cwd)


def cli_with(args: list[str], before: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """``baytwin ARGS`` through its entry point, after ``before`` ran in the same interpreter."""
    return run_python(f"import sys\n{before}\nsys.argv = ['baytwin', *{args!r}]\nfrom baytwin.cli import main\nmain()\n",
                      cwd)


@pytest.mark.parametrize("args", [["--help"], ["sim", "--help"], ["sim", "run", "--help"], ["sweep", "--help"],
                                  ["ocr", "read", "--help"], ["live", "--help"], ["audit", "verify", "--help"]])
def test_help_imports_none_of_the_heavy_libraries(args: list[str]) -> None:
    code = ("import sys\nfrom baytwin.cli import main\n"
            f"sys.argv = ['baytwin', *{args!r}]\n"
            "try:\n    main()\nexcept SystemExit as done:\n    code = done.code\n"
            f"print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]), file=sys.stderr)\n")
    result = run_python("import json\n" + code)
    assert result.returncode == 0, result.stderr
    assert "Usage: baytwin" in result.stdout
    assert json.loads(result.stderr.strip().splitlines()[-1]) == []


def test_version_is_the_installed_one() -> None:
    result = baytwin("--version")
    assert result.returncode == 0
    assert result.stdout.strip() == f"baytwin {version('baytwin')}"


def test_completion_answers_the_shell() -> None:
    result = subprocess.run([sys.executable, "-m", "baytwin"], capture_output=True, text=True, timeout=60,
                            env={**os.environ, "_BAYTWIN_COMPLETE": "complete_bash", "COMP_WORDS": "baytwin si",
                                 "COMP_CWORD": "1"})
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["sim"]
    assert "--install-completion" in baytwin("--help").stdout


def _help(*args: str, columns: int) -> str:
    result = subprocess.run([sys.executable, "-m", "baytwin", *args, "--help"], capture_output=True, text=True,
                            timeout=60, env={**os.environ, "COLUMNS": str(columns)})
    assert result.returncode == 0, result.stderr
    return result.stdout


def _row(text: str, option: str) -> str:
    return next(line for line in text.splitlines() if re.search(rf"{option}\b", line))


def test_flags_are_shown_as_flags_and_options_with_their_value() -> None:
    text = _help("sim", "run", columns=160)
    assert "<bool>" not in _row(text, "--store") and "<bool>" not in _row(text, "--help")
    assert "<path>" in _row(text, "--out")
    top = _help(columns=160)
    for flag in ("--version", "--verbose", "--quiet", "--install-completion"):
        assert "<bool>" not in _row(top, flag) and "<int>" not in _row(top, flag)


def test_help_flows_to_the_terminal_width() -> None:
    wide = _help("demo", columns=200)
    assert "the workplace garage without and with enforcement, compared; the enforced run's log kept in a demo" in wide
    narrow = _help("sim", "run", columns=60)
    assert max(len(line) for line in narrow.splitlines()) <= 60
    assert "--scheduler" in narrow and "--key-file" in narrow


def test_tables_are_whole_when_piped(tmp_path: Path) -> None:
    runs = []
    for i in range(8):
        run = tmp_path / f"a-rather-long-name-for-run-number-{i}"
        run.mkdir()
        (run / "summary.json").write_text(json.dumps({"arrivals": 1000 + i, "seed": i}))
        runs.append(str(run))
    result = subprocess.run([sys.executable, "-m", "baytwin", "sim", "compare", *runs], capture_output=True,
                            text=True, timeout=60, env={k: v for k, v in os.environ.items() if k != "COLUMNS"})
    assert result.returncode == 0, result.stderr
    assert all(Path(run).name in result.stdout for run in runs)
    assert "…" not in result.stdout


@pytest.fixture
def store_args(tmp_path: Path) -> list[str]:
    key = tmp_path / "site.key"
    assert baytwin("keys", "generate", "--out", str(key)).returncode == 0
    return ["--store", "--db", f"sqlite:///{tmp_path / 'store.db'}", "--key-file", str(key)]


def test_quiet_by_default_and_verbose_when_asked(tmp_path: Path, store_args: list[str]) -> None:
    (tmp_path / "tiny.yaml").write_text(SMALL_SITE)
    plain = baytwin("sim", "run", str(tmp_path / "tiny.yaml"), "--out", str(tmp_path / "a"), "--days", "1", *store_args)
    assert plain.returncode == 0, plain.stderr
    assert "alembic" not in plain.stderr.lower()
    (tmp_path / "store.db").unlink()
    loud = baytwin("-vv", "sim", "run", str(tmp_path / "tiny.yaml"), "--out", str(tmp_path / "b"), "--days", "1",
                   *store_args)
    assert loud.returncode == 0, loud.stderr
    assert "alembic" in loud.stderr.lower()
    assert "events appended" in loud.stderr
    hushed = baytwin("-q", "sim", "run", str(tmp_path / "tiny.yaml"), "--out", str(tmp_path / "c"), "--days", "1",
                     *store_args)
    assert hushed.returncode == 0 and hushed.stderr == ""
    assert (tmp_path / "c" / "summary.json").is_file()


def test_log_level_is_checked() -> None:
    result = baytwin("--log-level", "chatty", "sim", "list")
    assert result.returncode == 2 and "chatty" in result.stderr


@pytest.mark.parametrize(("missing", "args", "line"), [
    ("cv2", ["ocr", "read", "frame.png"], "baytwin ocr read needs the \"ocr\" extra: pip install 'baytwin[ocr]'"),
    ("distributed", ["sweep", "workplace-garage/enforced", "--grid", "grace_min=5,15", "--out", "sweep"],
     "baytwin sweep needs the \"sweep\" extra: pip install 'baytwin[sweep]'"),
    ("streamlit", ["dashboard", "--runs", "."], "baytwin dashboard needs the \"dashboards\" extra: "
                                                 "pip install 'baytwin[dashboards]'"),
])
def test_a_missing_extra_is_one_line_naming_it(tmp_path: Path, missing: str, args: list[str], line: str) -> None:
    (tmp_path / "frame.png").write_bytes(b"\x89PNG not really")
    result = cli_with(args, f"sys.modules[{missing!r}] = None  # as if it were not installed", tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip() == f"error: {line}"
    assert not (tmp_path / "sweep").exists()


def test_a_dashboard_on_a_busy_port_says_so_and_announces_nothing(tmp_path: Path) -> None:
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = baytwin("dashboard", "--runs", str(tmp_path), "--port", str(port))
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.strip() == (f"error: --port {port}: cannot listen on 127.0.0.1:{port}: already in use "
                                     "(another dashboard? pass --port)")
