"""Whatever a charger sends, the frame check answers: a problem to reply with, or a frame fit to route. It never
raises (an exception in the receive loop closes the connection with 1011, for every message in flight)."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from baytwin.core.csms.frames import CALL, CALLERROR, CALLRESULT, MAX_DEPTH, inspect

from .conftest import EXAMPLES, VALUES

VERSIONS = st.sampled_from(["ocpp1.6", "ocpp2.0.1"])
VALID = [
    '[2,"m1","BootNotification",{"chargePointVendor":"V","chargePointModel":"M"}]',
    '[2,"m2","Heartbeat",{}]',
    '[3,"m3",{"status":"Accepted"}]',
    '[4,"m4","NotImplemented","no",{}]',
    '[2,"m5","TransactionEvent",{"eventType":"Started","meterValue":[{"sampledValue":[{"value":1}]}]}]',
]
FUZZ = settings(max_examples=EXAMPLES * 3, deadline=None)


def _judged(raw: str | bytes, version: str) -> None:
    problem, message = inspect(raw, version)
    if problem is None:
        assert isinstance(message, list) and message[0] in (CALL, CALLRESULT, CALLERROR)
        assert isinstance(message[1], str) and 0 < len(message[1]) <= 36
        return
    reply = json.loads(problem.reply())
    assert reply[0] == 4 and isinstance(reply[1], str) and 0 < len(reply[1]) <= 36
    assert isinstance(reply[2], str) and reply[2] and isinstance(reply[3], str) and reply[4] == {}


@FUZZ
@given(raw=st.one_of(st.text(max_size=300), st.binary(max_size=300)), version=VERSIONS)
def test_arbitrary_text_and_bytes(raw: str | bytes, version: str) -> None:
    _judged(raw, version)


@settings(max_examples=EXAMPLES, deadline=None)
@given(frame=st.lists(VALUES, max_size=6), version=VERSIONS)
def test_arbitrary_json_arrays(frame: list[Any], version: str) -> None:
    _judged(json.dumps(frame), version)


@FUZZ
@given(base=st.sampled_from(VALID), data=st.data(), version=VERSIONS)
def test_valid_frames_with_bytes_cut_inserted_or_changed(base: str, data: st.DataObject, version: str) -> None:
    raw = bytearray(base.encode())
    for _ in range(data.draw(st.integers(1, 4))):
        at = data.draw(st.integers(0, len(raw)))
        action = data.draw(st.sampled_from(["cut", "insert", "change", "truncate"]))
        if action == "cut" and at < len(raw):
            del raw[at]
        elif action == "insert":
            raw[at:at] = data.draw(st.sampled_from([b"[", b"{", b"]", b'"', b"\\", b",", b"\x00", b"\xff", b"1e999",
                                                    b"NaN", b'"x":', b"9" * 5000]))
        elif action == "change" and at < len(raw):
            raw[at] = data.draw(st.integers(0, 255))
        else:
            del raw[at:]
    _judged(bytes(raw), version)
    _judged(bytes(raw).decode("utf-8", "replace"), version)


@FUZZ
@given(depth=st.integers(MAX_DEPTH - 3, 20_000), opener=st.sampled_from(["[", '{"a":']),
       head=st.sampled_from(['[2,"d1","Heartbeat",', '[3,"d2",', '[4,"d3","E","x",', "[", " [ 2 , \"d4\" , ", '[2,']),
       closed=st.booleans(), version=VERSIONS)
def test_deep_nesting_at_any_depth(depth: int, opener: str, head: str, closed: bool, version: str) -> None:
    closer = "]" if opener == "[" else "}"
    body = opener * depth + "1" * (opener != "[") + (closer * depth if closed else "")
    _judged(head + body + "]", version)
