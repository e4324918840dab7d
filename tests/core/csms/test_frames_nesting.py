"""Frames nested deeper than any OCPP message: a CALLERROR under the frame's own id where it can be read, and
the connection keeps serving (it used to close with 1011 when the JSON parser ran out of recursion)."""

from __future__ import annotations

import asyncio
import json

import pytest
import websockets

from baytwin.core.csms.frames import MAX_DEPTH, inspect

from .conftest import csms, run

DEEP = 10_000


def _deep_call(unique_id: str = "deep-1") -> str:
    return f'[2,"{unique_id}","Heartbeat",' + "[" * DEEP + "]" * DEEP + "]"


@pytest.mark.parametrize(("protocol", "code"), [("ocpp1.6", "FormationViolation"), ("ocpp2.0.1", "RpcFrameworkError")])
def test_a_frame_nested_ten_thousand_deep_gets_a_callerror_and_the_connection_serves_on(protocol: str, code: str) -> None:
    async def scenario() -> None:
        async with csms() as site:
            async with websockets.connect(site.url("CP1"), subprotocols=[protocol]) as ws:
                answers = []
                for frame in (_deep_call(), "[" * DEEP, '[2,"h1","Heartbeat",{}]'):
                    await ws.send(frame)
                    answers.append(json.loads(await asyncio.wait_for(ws.recv(), 5)))
                assert answers[0][:3] == [4, "deep-1", code]
                assert answers[1][:3] == [4, "-1", code]  # no id to be read: answered under "-1"
                assert answers[2][0] == 3 and answers[2][1] == "h1"  # the same connection answers the next frame

    run(scenario())


def test_a_deep_reply_is_never_answered() -> None:
    problem, _ = inspect('[3,"r1",' + '{"a":' * DEEP + "1" + "}" * DEEP + "]", "ocpp1.6")
    assert problem is not None and problem.unique_id == "r1" and not problem.answer


def test_a_frame_just_within_the_depth_limit_is_routed() -> None:
    nested: object = {}
    for _ in range(MAX_DEPTH - 2):  # the frame's list and the payload object are two levels
        nested = {"a": nested}
    problem, message = inspect(json.dumps([2, "ok", "DataTransfer", nested]), "ocpp2.0.1")
    assert problem is None and message is not None


def test_one_level_deeper_is_refused_before_schema_validation() -> None:
    nested: object = {}
    for _ in range(MAX_DEPTH - 1):
        nested = {"a": nested}
    problem, _ = inspect(json.dumps([2, "no", "DataTransfer", nested]), "ocpp2.0.1")
    assert problem is not None and problem.unique_id == "no" and problem.code == "RpcFrameworkError"


@pytest.mark.parametrize(("frame", "unique_id"), [
    ('[2, "a\\"b", "X", ' + "[" * DEEP, 'a"b'),
    (' [ 2 ,"x1",' + "[" * DEEP, "x1"),
    ('[2,"' + "i" * 40 + '",' + "[" * DEEP, "-1"),  # longer than an id may be
    ('[2,"\\q",' + "[" * DEEP, "-1"),  # not a JSON string
    ('[2,"",' + "[" * DEEP, "-1"),
    (("[2,\"b\"," + "[" * DEEP).encode(), "b"),
])
def test_the_id_of_a_frame_too_deep_to_parse_is_read_from_its_head(frame: str | bytes, unique_id: str) -> None:
    problem, message = inspect(frame, "ocpp1.6")
    assert message is None and problem is not None
    assert problem.unique_id == unique_id and problem.code == "FormationViolation"
