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

A frame nested deeper than any OCPP message (``[[[[...`` ten thousand deep)
makes Python's JSON parser give up with a RecursionError; uncaught, it ends
the connection with 1011. Such a frame is answered like any other malformed
one, with the message id read from the frame's first characters when they
hold one, and the connection keeps serving. A frame that parses but nests
deeper than ``MAX_DEPTH`` is refused the same way, before the schema
validator (itself recursive) sees it.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

CALL, CALLRESULT, CALLERROR = 2, 3, 4
UNKNOWN_ID = "-1"
#: The deepest OCPP 2.0.1 message (a charging profile's schedule periods) nests under ten levels, frame included.
MAX_DEPTH = 32
# "[<type>, "<id>"" at the start of a frame: enough to answer a frame too deep to parse under its own id
_HEAD = re.compile(r'\s*\[\s*(\d{1,3})\s*,\s*("(?:[^"\\\x00-\x1f]|\\.){1,72}")')


@dataclass(frozen=True, slots=True)
class FrameProblem:
    unique_id: str
    code: str
    description: str
    answer: bool = True  # False for a malformed CALLRESULT/CALLERROR: a reply is never answered, only logged

    def reply(self) -> str:
        return json.dumps([CALLERROR, self.unique_id, self.code, self.description, {}], separators=(",", ":"))


_CODES_16 = {"unreadable": "FormationViolation", "format": "FormationViolation", "type": "ProtocolError",
             "elements": "ProtocolError", "depth": "FormationViolation"}
_CODES_201 = {"unreadable": "RpcFrameworkError", "format": "FormatViolation", "type": "MessageTypeNotSupported",
              "elements": "RpcFrameworkError", "depth": "RpcFrameworkError"}


def _codes(version: str) -> dict[str, str]:
    return _CODES_16 if version.startswith("ocpp1.6") else _CODES_201


def problem_with(raw: str | bytes, version: str) -> FrameProblem | None:
    """What is wrong with a frame, or None when it is well formed enough to route."""
    return inspect(raw, version)[0]


def inspect(raw: str | bytes, version: str) -> tuple[FrameProblem | None, list[Any] | None]:
    """The frame's problem (or None) and the parsed frame (when it is JSON): one parse per frame.

    Never raises: whatever bytes arrive, the answer is a problem or a frame fit to route."""
    try:
        message = json.loads(raw)
    except RecursionError:
        return _too_deep(raw, version), None
    except (ValueError, UnicodeDecodeError, TypeError):
        return FrameProblem(UNKNOWN_ID, _codes(version)["unreadable"], "frame is not valid JSON"), None
    if _depth(message) > MAX_DEPTH:
        return _too_deep(raw, version), None
    return _check(message, version), message if isinstance(message, list) else None


def _depth(value: Any) -> int:
    """How deeply ``value`` nests lists and objects (a scalar is 0), without recursion; stops counting past
    MAX_DEPTH, so a deep frame costs no more than a shallow one to judge."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, (list, dict)):
            deepest = max(deepest, depth)
            if depth > MAX_DEPTH:
                return depth
            stack.extend((child, depth + 1) for child in (node.values() if isinstance(node, dict) else node))
    return deepest


def _too_deep(raw: str | bytes, version: str) -> FrameProblem:
    """The answer to a frame nested too deeply: under its own id when its head can be read (a reply to a
    CALLRESULT or CALLERROR is never sent), else under ``"-1"``."""
    code, description = _codes(version)["depth"], f"frame nests more than {MAX_DEPTH} levels deep"
    head = raw[:200].decode("utf-8", "replace") if isinstance(raw, (bytes, bytearray)) else raw[:200]
    match = _HEAD.match(head)
    if match is None:
        return FrameProblem(UNKNOWN_ID, code, description)
    try:
        unique_id = json.loads(match[2])
    except ValueError:  # an escape JSON does not know, e.g. "\q"
        return FrameProblem(UNKNOWN_ID, code, description)
    if not unique_id or len(unique_id) > 36:
        return FrameProblem(UNKNOWN_ID, code, description)
    return FrameProblem(unique_id, code, description, answer=int(match[1]) not in (CALLRESULT, CALLERROR))


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


