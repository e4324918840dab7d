"""Checking an incoming OCPP-J frame before it is routed, and the CALLERROR for one that is malformed.

The plain ``ocpp`` package logs and drops a frame it cannot parse. OCPP-J
says otherwise: a frame that is not JSON, or whose message id cannot be read,
is answered with a CALLERROR carrying message id ``"-1"``
(RpcFrameworkError in 2.0.1, FormationViolation in 1.6); a frame whose id
can be read but is otherwise malformed gets a CALLERROR with that id. So
every frame passes :func:`problem_with` first; only frames it finds nothing
wrong with reach the package's router (which then answers unknown actions
with NotImplemented/NotSupported and schema failures with the matching
violation itself).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

CALL, CALLRESULT, CALLERROR = 2, 3, 4
UNKNOWN_ID = "-1"


@dataclass(frozen=True, slots=True)
class FrameProblem:
    unique_id: str
    code: str
    description: str
    answer: bool = True  # False for a malformed CALLRESULT/CALLERROR: a reply is never answered, only logged

    def reply(self) -> str:
        return json.dumps([CALLERROR, self.unique_id, self.code, self.description, {}], separators=(",", ":"))


_CODES_16 = {"unreadable": "FormationViolation", "format": "FormationViolation", "type": "ProtocolError",
             "elements": "ProtocolError"}
_CODES_201 = {"unreadable": "RpcFrameworkError", "format": "FormatViolation", "type": "MessageTypeNotSupported",
              "elements": "RpcFrameworkError"}


def _codes(version: str) -> dict[str, str]:
    return _CODES_16 if version.startswith("ocpp1.6") else _CODES_201


def problem_with(raw: str | bytes, version: str) -> FrameProblem | None:
    """What is wrong with a frame, or None when it is well formed enough to route."""
    return inspect(raw, version)[0]


def inspect(raw: str | bytes, version: str) -> tuple[FrameProblem | None, list[Any] | None]:
    """The frame's problem (or None) and the parsed frame (when it is JSON): one parse per frame."""
    try:
        message = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return FrameProblem(UNKNOWN_ID, _codes(version)["unreadable"], "frame is not valid JSON"), None
    return _check(message, version), message if isinstance(message, list) else None


def _check(message: Any, version: str) -> FrameProblem | None:
    codes = _codes(version)
    if not isinstance(message, list) or len(message) < 2 or not isinstance(message[1], str) or not message[1]:
        return FrameProblem(UNKNOWN_ID, codes["unreadable"], "frame is not a JSON array with a message id")
    unique_id, type_id = message[1], message[0]
    if len(unique_id) > 36:
        return FrameProblem(unique_id[:36], codes["format"], "message id longer than 36 characters")
    if type_id not in (CALL, CALLRESULT, CALLERROR) or isinstance(type_id, bool):
        return FrameProblem(unique_id, codes["type"], f"message type id {type_id!r} is not 2, 3 or 4")
    expected = {CALL: 4, CALLRESULT: 3, CALLERROR: 5}[type_id]
    if len(message) != expected:
        return FrameProblem(unique_id, codes["elements"],
                            f"a message of type {type_id} has {expected} elements, this one {len(message)}",
                            answer=type_id == CALL)
    if type_id == CALL:
        if not isinstance(message[2], str) or not message[2]:
            return FrameProblem(unique_id, codes["format"], "action is not a string")
        if not isinstance(message[3], dict):
            return FrameProblem(unique_id, codes["format"], "payload is not a JSON object")
    if type_id == CALLRESULT and not isinstance(message[2], dict):
        return FrameProblem(unique_id, codes["format"], "payload is not a JSON object", answer=False)
    return None


