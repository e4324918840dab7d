"""Scenario, site and policy files made of anything: loading them ends in a result or the project's ConfigError,
one line each, never another exception.

Three kinds of input: arbitrary bytes (a photo, a zip, a truncated download), text built from YAML's own
punctuation, and real documents with a few values replaced by wrong types or removed, which get past the
parser and reach the validators."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from baytwin.core.config import ConfigError
from baytwin.core.rules.policy import load_policy
from baytwin.live.site import load_site
from baytwin.sim.scenario import load_scenario

from .conftest import EXAMPLES, YAML_PIECES, dump, mutated

ROOT = Path(__file__).resolve().parents[2]
POLICY = yaml.safe_load((ROOT / "scenarios" / "policies" / "standard.yaml").read_text())
SCENARIO = {
    "name": "fuzz", "days": 1, "extends": None, "policy": "policy.yaml",
    "site": {"id": "fuzz", "ev_bays": 2, "identification": {"fidelity": "error_model", "misread_rate": 0.01},
             "chargers": {"power_kw": 7.4}},
    "weather": {"rain": 0.2, "night_hours": [19, 7], "timeline": [{"start_h": 1, "end_h": 2, "condition": "rain"}]},
    "population": {"staff": {"drivers": 10, "arrivals_per_day": {"weekday": 4, "weekend": 1},
                             "stay_h": {"dist": "uniform", "min": 1, "max": 3},
                             "hourly_profile": {"weekday": [1.0] * 24}}},
    "overrides": {"site.signage": "poor"},
}
SITE = {
    "site": {"id": "garage", "timezone": "Europe/London"}, "policy": "policy.yaml",
    "cameras": {"east": {"source": "east.mp4", "sample_fps": 5, "bays": {"B01": [[0, 0], [100, 0], [100, 100]]}}},
    "csms": {"stations": {"CP1": {"evses": {1: "B01"}}}, "accept_unknown_tokens": True},
    "gate": {"accept_at": 0.9}, "listen": {"port": 9000},
}
FUZZ = settings(max_examples=EXAMPLES, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
_names = itertools.count()


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder with a good policy beside the fuzzed files (scenarios and sites name it)."""
    path = tmp_path_factory.mktemp("fuzz")
    (path / "policy.yaml").write_text(dump(POLICY))
    (path / "parent.yaml").write_text(dump({k: v for k, v in SCENARIO.items() if k not in ("extends", "overrides")}))
    return path


def _only_config_errors(load: Callable[[Path], Any], folder: Path, content: bytes) -> None:
    path = folder / f"case-{next(_names)}.yaml"
    path.write_bytes(content)
    try:
        load(path)
    except ConfigError as err:
        message = str(err)
        assert message and "\n" not in message and "\r" not in message and "\x1b" not in message
        assert message.startswith(str(folder))  # names the file
    finally:
        path.unlink()


LOADERS = {"scenario": load_scenario, "site": load_site, "policy": load_policy}


@pytest.mark.parametrize("kind", sorted(LOADERS))
@FUZZ
@given(content=st.binary(max_size=400))
def test_arbitrary_bytes(folder: Path, kind: str, content: bytes) -> None:
    _only_config_errors(LOADERS[kind], folder, content)


@pytest.mark.parametrize("kind", sorted(LOADERS))
@FUZZ
@given(text=YAML_PIECES)
def test_yaml_shaped_text(folder: Path, kind: str, text: str) -> None:
    _only_config_errors(LOADERS[kind], folder, text.encode("utf-8", "surrogatepass"))


@pytest.mark.parametrize(("kind", "document"), [("scenario", SCENARIO), ("site", SITE), ("policy", POLICY)])
@FUZZ
@given(data=st.data())
def test_real_documents_with_wrong_values(folder: Path, kind: str, document: dict[str, Any], data: st.DataObject) -> None:
    doc = mutated(document, data)
    if kind == "scenario" and doc.get("extends") is None:
        doc.pop("extends", None)
        if data.draw(st.booleans()):
            doc["extends"] = "parent.yaml"
    _only_config_errors(LOADERS[kind], folder, dump(doc).encode())


@pytest.mark.parametrize(("kind", "document"), [("scenario", SCENARIO), ("site", SITE)])
def test_the_unmutated_documents_load(folder: Path, kind: str, document: dict[str, Any]) -> None:
    """The fuzzing starts from documents that are valid, so a mutation is what any error is about."""
    doc = {k: v for k, v in document.items() if k != "extends"}
    path = folder / f"good-{kind}.yaml"
    path.write_text(dump(doc))
    LOADERS[kind](path)
