"""The container's own command lines, run here as the container would run them: the keys service, then
``live run`` (the image's CMD) and its HEALTHCHECK, then the dashboard service, on a temporary site folder.

Each container path (/site, /keys, /checkpoints, /runs) becomes a temporary folder and the store is SQLite,
or the PostgreSQL server in ``BAYTWIN_TEST_PG_URL`` (a fresh schema) when one is given, as compose's is.
"""

from __future__ import annotations

import json
import os
import shlex
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from baytwin.core.csms.config import hash_password
from tests.live.conftest import POLICY

from .files import baytwin_commands, compose, dockerfile_env, exec_form, healthcheck_command, instruction

BIN = Path(sys.executable).parent
PG_URL = os.environ.get("BAYTWIN_TEST_PG_URL")


@pytest.fixture
def store_url(tmp_path: Path) -> Iterator[str]:
    if not PG_URL:
        yield f"sqlite:///{tmp_path / 'store.db'}"
        return
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    yield f"{PG_URL}{'&' if '?' in PG_URL else '?'}options=-csearch_path%3D{schema}"
    with admin.begin() as conn:
        conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
    admin.dispose()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Container:
    """Container paths mapped onto folders of this machine, and the service's environment."""

    def __init__(self, root: Path, store_url: str) -> None:
        self.paths = {p: root / p.strip("/") for p in ("/site", "/keys", "/checkpoints", "/runs")}
        for folder in self.paths.values():
            folder.mkdir(parents=True)
        environment = {**dockerfile_env(), **compose()["x-baytwin"]["environment"]}
        environment["BAYTWIN_DB_URL"] = store_url  # compose's points at its db service
        environment["BAYTWIN_LISTEN_HOST"] = "127.0.0.1"  # 0.0.0.0 inside a container; loopback on a test machine
        environment["BAYTWIN_KEY_FILE"] = self.here(environment["BAYTWIN_KEY_FILE"])
        self.env = {**os.environ, **environment, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"}

    def here(self, word: str) -> str:
        for inside, outside in self.paths.items():
            if word == inside or word.startswith(inside + "/"):
                return str(outside) + word[len(inside):]
        return word

    def command(self, argv: list[str]) -> list[str]:
        if argv[:2] == ["sh", "-c"]:
            return ["sh", "-c", " ".join(shlex.quote(self.here(word)) if word not in ("||", "&&") else word
                                         for word in shlex.split(argv[2]))]
        return [self.here(word) for word in argv]

    def start(self, argv: list[str], log: Path) -> subprocess.Popen[str]:
        return subprocess.Popen(self.command(argv), env=self.env, stdout=log.open("w"), stderr=subprocess.STDOUT,
                                text=True, cwd=log.parent)


def _site_folder(site: Path, checkpoints: Path, port: int) -> None:
    """What an operator puts in the site folder for compose: no store URL or key file (the service sets them)."""
    (site / "policy.yaml").write_text(POLICY)
    (site / "vehicles.csv").write_text("plate,group,id_tokens\nAB12CDE,staff,TAG-AB\n")
    (site / "users.yaml").write_text(f"users:\n  - {{username: ops, role: operator, password_hash: '{hash_password('pw')}'}}\n")
    (site / "site.yaml").write_text(f"""
site: {{id: garage, timezone: Europe/London}}
policy: policy.yaml
vehicles: vehicles.csv
store: {{checkpoints: {checkpoints}}}
listen: {{port: {port}}}
csms:
  stations:
    CP1: {{evses: {{1: B1}}}}
""")


def _until(check, what: str, process: subprocess.Popen[str], log: Path, timeout: float = 120) -> None:  # type: ignore[no-untyped-def]
    deadline = time.time() + timeout  # a loaded machine starts Python slowly; a quick start returns at once
    while time.time() < deadline:
        if check():
            return
        if process.poll() is not None:
            raise AssertionError(f"{what}: exited {process.returncode}\n{log.read_text()}")
        time.sleep(0.2)
    raise AssertionError(f"{what}: timed out\n{log.read_text()}")


def _answers(url: str) -> tuple[int, bytes] | None:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as refused:
        return refused.code, refused.read()
    except OSError:
        return None


def _stop(process: subprocess.Popen[str]) -> int:
    process.send_signal(signal.SIGTERM)
    try:
        return process.wait(timeout=60)
    except subprocess.TimeoutExpired:
        process.kill()
        return process.wait()


def test_the_containers_commands_start_the_site_and_its_health_check_passes(tmp_path: Path, store_url: str) -> None:
    container = Container(tmp_path, store_url)
    port = _free_port()
    _site_folder(container.paths["/site"], container.paths["/checkpoints"], port)
    services = compose()["services"]

    (keys,) = baytwin_commands(services["keys"]["command"])
    for _ in range(2):  # the second start finds the key and leaves it alone
        made = subprocess.run(container.command(services["keys"]["command"]), env=container.env,
                              capture_output=True, text=True, timeout=120)
        assert made.returncode == 0, made.stderr
    assert keys[:3] == ["baytwin", "keys", "generate"] and Path(container.env["BAYTWIN_KEY_FILE"]).exists()

    live_log = tmp_path / "live.log"
    live = container.start(exec_form(instruction("CMD")), live_log)
    try:
        _until(lambda: _answers(f"http://127.0.0.1:{port}/health") is not None, "live run", live, live_log)
        code, body = _answers(f"http://127.0.0.1:{port}/health")  # type: ignore[misc]
        report = json.loads(body)
        assert (code, report["status"], report["problems"]) == (503, "degraded", ["charger CP1: not connected"])
        probe = subprocess.run(container.command(healthcheck_command()), env=container.env,
                               capture_output=True, text=True, timeout=60)
        assert probe.returncode == 0 and probe.stdout.strip() == "degraded; charger CP1: not connected", probe

        dashboard_log = tmp_path / "dashboard.log"
        argv = container.command(services["dashboard"]["command"])
        dashboard_port = _free_port()
        argv[argv.index("--port") + 1] = str(dashboard_port)
        argv[argv.index("--host") + 1] = "127.0.0.1"  # as for live run: loopback on a test machine
        dashboard = container.start(argv, dashboard_log)
        try:
            _until(lambda: _answers(f"http://127.0.0.1:{dashboard_port}/_stcore/health") == (200, b"ok"),
                   "dashboard", dashboard, dashboard_log)
        finally:
            assert _stop(dashboard) == 0, dashboard_log.read_text()
    finally:
        assert _stop(live) == 0, live_log.read_text()
    after = subprocess.run(container.command(healthcheck_command()), env=container.env, capture_output=True,
                           text=True, timeout=60)
    assert after.returncode == 1 and "no answer" in after.stderr  # stopped: the container turns unhealthy
    assert list(container.paths["/checkpoints"].iterdir()), "no checkpoint at shutdown in the checkpoints volume"
