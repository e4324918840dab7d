"""The one error exit every command shares."""

from __future__ import annotations

import pytest
import typer

from baytwin.common import failing_on
from baytwin.core.config import ConfigError


def test_a_named_error_becomes_exit_2_with_its_message(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(typer.Exit) as raised, failing_on(ConfigError):
        raise ConfigError("site.yaml", "bays[0].id", "field required")
    assert raised.value.exit_code == 2
    err = capsys.readouterr().err
    assert "site.yaml" in err and "bays[0].id" in err and "field required" in err
    assert "Traceback" not in err


def test_other_errors_pass_through_untouched() -> None:
    with pytest.raises(KeyError), failing_on(ConfigError):
        raise KeyError("a bug, not a user's mistake: keep the traceback")
