"""Clients that try their luck: ids that are paths or markup, and floods of wrong passwords."""

from __future__ import annotations

import asyncio

import pytest
import websockets
from ocpp.v16 import call as call16

from baytwin.core.auth_limit import AuthLimiter
from baytwin.core.csms.config import CsmsConfig, hash_password

from .conftest import charger, csms, run


@pytest.mark.parametrize("bad_id", ["..", "%2e%2e%2fetc%2fpasswd", "<script>", "a:b", "x" * 49, "CP%00"])
def test_ids_that_are_not_ocpp_identities_are_refused_even_with_auto_registration(bad_id: str) -> None:
    config = CsmsConfig(site_id="site", auto_register=True)

    async def scenario() -> None:
        async with csms(config) as site:
            with pytest.raises(websockets.InvalidStatus) as refused:
                async with websockets.connect(site.url(bad_id), subprotocols=["ocpp1.6"]):
                    pass
            assert refused.value.response.status_code == 404
            assert site.central.stations == {}
            async with charger(site.url("CP-01.a")) as cp:  # a real id still gets in
                await cp.call(call16.Heartbeat())

    run(scenario())


def test_a_flood_of_wrong_passwords_is_cut_off_and_a_connected_charger_keeps_being_answered() -> None:
    config = CsmsConfig(site_id="site", stations={"CP1": {"evses": {1: "B1"}, "password_hash": hash_password("good")},
                                                  "CP2": {"evses": {1: "B2"}, "password_hash": hash_password("other")}})

    async def attempt(port: int, password: str) -> int:
        try:
            async with websockets.connect(f"ws://CP2:{password}@127.0.0.1:{port}/CP2", subprotocols=["ocpp1.6"]):
                return 101
        except websockets.InvalidStatus as refused:
            return refused.response.status_code

    async def scenario() -> None:
        async with csms(config) as site, charger(f"ws://CP1:good@127.0.0.1:{site.port}/CP1") as good:
            flood = await asyncio.gather(*(attempt(site.port, f"guess{n}") for n in range(50)),
                                         *(good.call(call16.Heartbeat()) for _ in range(5)))
            codes = flood[:50]
            assert all(answer is not None for answer in flood[50:])  # every heartbeat answered during the flood
            assert set(codes) <= {401, 429} and codes.count(401) <= 10 and codes.count(429) >= 40
            assert await attempt(site.port, "other") == 429  # this address is locked out for a while, right or wrong

    run(scenario())


def test_the_limiter_forgets_failures_once_their_window_has_passed() -> None:
    limiter = AuthLimiter(max_failures_per_address=3, max_failures_per_station=5, window_s=60.0)
    for t in range(3):
        limiter.failed("10.0.0.1", "CP1", float(t))
    assert limiter.blocked("10.0.0.1", "CP9", 10.0) and not limiter.blocked("10.0.0.2", "CP1", 10.0)
    assert not limiter.blocked("10.0.0.1", "CP1", 70.0)
    for t in range(5):
        limiter.failed(f"10.0.1.{t}", "CP1", 100.0)
    assert limiter.blocked("10.9.9.9", "CP1", 101.0)  # one station guessed at from many addresses
