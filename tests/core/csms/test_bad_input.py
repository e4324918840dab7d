"""Malformed frames, unknown chargers, wrong credentials: a clear answer, and every other charger still served."""

from __future__ import annotations

import asyncio
import json

import pytest
import websockets
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ocpp.v16 import call as call16

from baytwin.core.csms.config import CsmsConfig, hash_password
from baytwin.core.csms.frames import problem_with

from .conftest import charger, csms, run


async def _exchange(url: str, protocol: str, frames: list[str]) -> list[list]:  # type: ignore[type-arg]
    async with websockets.connect(url, subprotocols=[protocol]) as ws:
        answers = []
        for frame in frames:
            await ws.send(frame)
            answers.append(json.loads(await asyncio.wait_for(ws.recv(), 5)))
        return answers


BOOT16 = '[2,"b1","BootNotification",{"chargePointVendor":"V","chargePointModel":"M"}]'


@pytest.mark.parametrize(("protocol", "frame", "answer_id", "code"), [
    ("ocpp2.0.1", "this is not json", "-1", "RpcFrameworkError"),
    ("ocpp1.6", "this is not json", "-1", "FormationViolation"),
    ("ocpp2.0.1", '{"a": 1}', "-1", "RpcFrameworkError"),
    ("ocpp2.0.1", "[2]", "-1", "RpcFrameworkError"),
    ("ocpp2.0.1", '[7,"m1","Heartbeat",{}]', "m1", "MessageTypeNotSupported"),
    ("ocpp1.6", '[7,"m1","Heartbeat",{}]', "m1", "ProtocolError"),
    ("ocpp2.0.1", '[2,"m2","Heartbeat"]', "m2", "RpcFrameworkError"),
    ("ocpp1.6", '[2,"m2","Heartbeat"]', "m2", "ProtocolError"),
    ("ocpp2.0.1", '[2,"m3","Heartbeat",[1,2]]', "m3", "FormatViolation"),
    ("ocpp2.0.1", '[2,"m4","NoSuchAction",{}]', "m4", "NotImplemented"),
    ("ocpp1.6", '[2,"m5","BootNotification",{"chargePointVendor":"V"}]', "m5", "ProtocolError"),
    ("ocpp1.6", '[2,"m6","BootNotification",{"chargePointVendor":5,"chargePointModel":"M"}]', "m6",
     "TypeConstraintViolation"),
    ("ocpp1.6", '[2,"m7","BootNotification",{"chargePointVendor":"V","chargePointModel":"M","extra":1}]', "m7",
     "FormationViolation"),
])
def test_each_malformed_frame_gets_its_callerror_and_the_connection_keeps_serving(
        protocol: str, frame: str, answer_id: str, code: str) -> None:
    async def scenario() -> None:
        async with csms() as site:
            bad, good = await _exchange(site.url("CP1"), protocol, [frame, BOOT16 if protocol == "ocpp1.6" else
                                                                    '[2,"h1","Heartbeat",{}]'])
            assert bad[:3] == [4, answer_id, code]
            assert good[0] == 3  # the same connection answers the next, valid message

    run(scenario())


def test_an_oversized_frame_closes_that_connection_only() -> None:
    async def scenario() -> None:
        config = CsmsConfig(site_id="site", stations={"CP1": {"evses": {1: "B1"}}, "CP2": {"evses": {1: "B2"}}},
                            max_frame_bytes=4096)
        async with csms(config) as site, charger(site.url("CP2")) as healthy:
            async with websockets.connect(site.url("CP1"), subprotocols=["ocpp1.6"]) as ws:
                await ws.send('[2,"x","DataTransfer",{"vendorId":"V","data":"' + "A" * 10_000 + '"}]')
                with pytest.raises(websockets.ConnectionClosed) as closed:
                    await asyncio.wait_for(ws.recv(), 5)
                assert closed.value.rcvd is not None and closed.value.rcvd.code == 1009
            answer = await healthy.call(call16.Heartbeat())
            assert answer.current_time

    run(scenario())


def test_unknown_charge_points_are_refused_unless_the_site_auto_registers() -> None:
    async def scenario() -> None:
        async with csms() as site:
            with pytest.raises(websockets.InvalidStatus) as refused:
                async with websockets.connect(site.url("STRANGER"), subprotocols=["ocpp1.6"]):
                    pass
            assert refused.value.response.status_code == 404
        async with csms(CsmsConfig(site_id="site", auto_register=True)) as site:
            async with charger(site.url("NEWCOMER")) as cp:
                assert (await cp.call(call16.BootNotification(charge_point_model="M", charge_point_vendor="V"))).status \
                    == "Accepted"

    run(scenario())


def test_a_charger_offering_no_ocpp_subprotocol_is_closed_with_a_reason() -> None:
    async def scenario() -> None:
        async with csms() as site:
            async with websockets.connect(site.url("CP1")) as ws:
                with pytest.raises(websockets.ConnectionClosed) as closed:
                    await asyncio.wait_for(ws.recv(), 5)
                assert closed.value.rcvd.code == 1002 and "ocpp1.6" in closed.value.rcvd.reason
            async with websockets.connect(site.url("CP1"), subprotocols=["ocpp2.0.1", "ocpp1.6"]) as ws:
                assert ws.subprotocol == "ocpp2.0.1"

    run(scenario())


def test_basic_auth_with_hashed_station_passwords() -> None:
    config = CsmsConfig(site_id="site", stations={"CP1": {"evses": {1: "B1"}, "password_hash": hash_password("s3cret")}})
    assert "s3cret" not in config.model_dump_json()

    async def scenario() -> None:
        async with csms(config) as site:
            url = f"ws://CP1:s3cret@127.0.0.1:{site.port}/CP1"
            async with charger(url) as cp:
                await cp.call(call16.Heartbeat())
            for wrong in (f"ws://CP1:guess@127.0.0.1:{site.port}/CP1", f"ws://CP9:s3cret@127.0.0.1:{site.port}/CP1",
                          site.url("CP1")):
                with pytest.raises(websockets.InvalidStatus) as refused:
                    async with websockets.connect(wrong, subprotocols=["ocpp1.6"]):
                        pass
                assert refused.value.response.status_code == 401

    run(scenario())


def test_a_relaxed_charger_keeps_a_slightly_wrong_payload_and_the_deviation_is_counted() -> None:
    config = CsmsConfig(site_id="site", stations={"CP1": {"evses": {1: "B1"}, "relaxed_validation": True}},
                        accept_unknown_tokens=True)

    async def scenario() -> None:
        async with csms(config) as site:
            frame = ('[2,"s1","StartTransaction",{"connectorId":1,"idTag":"TAG","meterStart":0,'
                     '"timestamp":"2024-05-29T08:00:00Z","vendorExtra":"x"}]')
            async with websockets.connect(site.url("CP1"), subprotocols=["ocpp1.6"]) as ws:
                await ws.send(frame)
                answer = json.loads(await asyncio.wait_for(ws.recv(), 5))
                assert answer[0] == 3 and answer[2]["transactionId"] >= 1
                assert site.server.connected["CP1"].deviations == 1
            assert site.kinds() == ["session_started"]

    run(scenario())


# --- fuzzing: whatever arrives, the frame check answers or routes, never raises ------------------------------------

FUZZ_CORPUS = ["", "[]", "[2]", '[2,""]', '[2,"x"]', "null", "[null,null,null,null]", '[2,"x","A",null]',
               '[3,"x",[]]', '[4,"x","E","d"]', '[2,"x","Heartbeat",{}]', '["2","x","Heartbeat",{}]', "[true,\"x\",1,{}]",
               '[2,"' + "x" * 40 + '","Heartbeat",{}]', "\u0000", '{"2":"x"}', "[2,1,\"Heartbeat\",{}]"]


@pytest.mark.parametrize("frame", FUZZ_CORPUS)
def test_the_fuzz_corpus_is_answered_or_routed(frame: str) -> None:
    for version in ("ocpp1.6", "ocpp2.0.1"):
        problem = problem_with(frame, version)
        if problem is not None:
            reply = json.loads(problem.reply())
            assert reply[0] == 4 and isinstance(reply[1], str) and reply[2]


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(st.one_of(st.text(max_size=200), st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda children: st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=5), children, max_size=3),
    max_leaves=12).map(json.dumps)))
def test_frame_checks_never_raise(frame: str) -> None:
    for version in ("ocpp1.6", "ocpp2.0.1"):
        problem = problem_with(frame, version)
        if problem is not None:
            assert json.loads(problem.reply())[0] == 4


def _self_signed(tmp_path):  # type: ignore[no-untyped-def]
    import datetime
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=1))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = tmp_path / "server.pem", tmp_path / "server.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


def test_security_profile_2_tls_with_basic_auth(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import ssl

    from baytwin.core.csms.central import CentralSystem
    from baytwin.core.csms.server import CsmsServer

    cert, key = _self_signed(tmp_path)
    server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_context.load_cert_chain(cert, key)
    client_context = ssl.create_default_context(cafile=str(cert))
    config = CsmsConfig(site_id="site", require_auth=True,
                        stations={"CP1": {"evses": {1: "B1"}, "password_hash": hash_password("tls-pass")}})

    async def scenario() -> None:
        server = CsmsServer(CentralSystem(config))
        port = await server.start("127.0.0.1", 0, server_context)
        try:
            async with charger(f"wss://CP1:tls-pass@127.0.0.1:{port}/CP1", ssl=client_context) as cp:
                assert (await cp.call(call16.Heartbeat())).current_time
            with pytest.raises(websockets.InvalidStatus):
                async with websockets.connect(f"wss://127.0.0.1:{port}/CP1", ssl=client_context,
                                              subprotocols=["ocpp1.6"]):
                    pass
            with pytest.raises((OSError, websockets.InvalidMessage)):  # plain ws:// to a TLS port fails
                async with websockets.connect(f"ws://CP1:tls-pass@127.0.0.1:{port}/CP1", subprotocols=["ocpp1.6"],
                                              open_timeout=5):
                    pass
        finally:
            await server.stop()

    run(scenario())
