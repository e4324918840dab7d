"""A sensor's message, whatever carried it (MQTT or the webhook), as occupied or free.

Sensors are cheap devices on radio links and vendor clouds: a payload may be
truncated, binary, or a format nobody configured. Such a message must cost one
log line, never the site, so every way it can be wrong is a :class:`PayloadProblem`
with a short printable reason.
"""

from __future__ import annotations

import json
from typing import Any

from baytwin.core.config import printable
from baytwin.live.sensor_spec import PayloadSpec

MAX_PAYLOAD = 4096  # bytes; an occupancy report is a few dozen


class PayloadProblem(ValueError):
    """A payload that says neither occupied nor free; ``str(err)`` is one printable line."""


def occupied_from(payload: bytes, spec: PayloadSpec) -> bool:
    """True for occupied, False for free, as ``spec`` reads ``payload``; PayloadProblem otherwise."""
    if len(payload) > MAX_PAYLOAD:
        raise PayloadProblem(f"payload of {len(payload)} bytes, more than {MAX_PAYLOAD}")
    try:
        text = payload.decode("utf-8").strip()
    except UnicodeDecodeError:
        raise PayloadProblem("payload is not UTF-8 text") from None
    where = "payload"
    if spec.field is None:
        value = text
    else:
        where = f"field {spec.field}"
        value = _word(_field(text, spec.field), where)
    word = value.strip().lower()
    if word in spec.occupied:
        return True
    if word in spec.free:
        return False
    shown = printable(value[:40]) + ("…" if len(value) > 40 else "")
    raise PayloadProblem(f"{where} {shown!r} is neither occupied ({'/'.join(spec.occupied)}) "
                         f"nor free ({'/'.join(spec.free)})")


def _field(text: str, dotted: str) -> Any:
    try:
        document = json.loads(text)
    except ValueError:
        raise PayloadProblem(f"payload is not JSON (field {dotted} was expected)") from None
    for part in dotted.split("."):
        if not isinstance(document, dict) or part not in document:
            raise PayloadProblem(f"JSON payload has no field {dotted}")
        document = document[part]
    return document


def _word(value: Any, where: str) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int) or (isinstance(value, float) and value.is_integer()):
        return str(int(value))
    if isinstance(value, str):
        return value
    raise PayloadProblem(f"{where} is {type(value).__name__ if value is not None else 'null'}, not a state")
