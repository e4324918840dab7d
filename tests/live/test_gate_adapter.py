"""The barrier adapter over real HTTP: gate events in, decisions answered, open commands sent to a real barrier
controller's server; malformed input is refused with one log line and kept in the journal."""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from baytwin.core.clock import ManualClock
from baytwin.core.config import ConfigError, validate
from baytwin.core.events import SessionEnded, SessionStarted
from baytwin.core.parking.policy import Parking
from baytwin.live.barrier_spec import BarriersSpec
from baytwin.live.barriers import BarrierAdapter, site_barriers
from baytwin.live.site import load_site
from baytwin.live.status import site_overview

from .conftest import T0, live_site, post_webhook, run, until, write_site

TOKEN = "gate-token-for-the-tests"
PARKING = Parking.model_validate({"tariff": {"rate": 2.0, "free_min": 15},
                                  "validation": {"mode": "free_minutes", "free_min": 120}})


class BarrierController:
    """A real HTTP server standing in for the barrier controller: records each open command it is sent,
    answering 503 to the first ``fail_first`` of them."""

    def __init__(self, fail_first: int = 0) -> None:
        self.commands: list[dict[str, Any]] = []
        self.tokens: list[str | None] = []
        self.fail_first = fail_first
        controller = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - the http.server name
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                if controller.fail_first > 0:
                    controller.fail_first -= 1
                    self.send_response(503)
                else:
                    controller.commands.append({"path": self.path, **json.loads(body)})
                    controller.tokens.append(self.headers.get("Authorization"))
                    self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> "BarrierController":
        self.thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.server.shutdown()
        self.server.server_close()


def _spec(barrier_url: str, open_timeout_s: float = 5.0) -> BarriersSpec:
    return BarriersSpec.model_validate({
        "webhook": {"port": 0, "path": "/gates", "token": TOKEN},
        "open_timeout_s": open_timeout_s,
        "gates": {"entry-1": {"direction": "entry", "open_url": f"{barrier_url}/entry-1/open"},
                  "exit-1": {"direction": "exit", "open_url": f"{barrier_url}/exit-1/open", "open_token": "barrier-key"},
                  "paystation": {"direction": "terminal"}},
    })


@asynccontextmanager
async def _adapter(tmp_path: Path, spec: BarriersSpec) -> AsyncIterator[tuple[BarrierAdapter, ManualClock, int]]:
    clock = ManualClock(T0)
    adapter = BarrierAdapter(spec, "car-park", PARKING, clock, tmp_path / "gates.jsonl")
    port = await adapter.start()
    try:
        yield adapter, clock, port
    finally:
        await adapter.stop()


def _post(port: int, gate: str, message: Any, token: str | None = TOKEN) -> tuple[int, str]:
    body = message if isinstance(message, bytes) else json.dumps(message).encode()
    return post_webhook(port, f"gates/{gate}", body, token)


def _kinds(answer: str) -> list[str]:
    return [d["kind"] for d in json.loads(answer)["decisions"]]


def test_a_stay_from_entry_to_paid_exit_opens_both_barriers_over_http(tmp_path: Path) -> None:
    async def scenario() -> None:
        with BarrierController() as barrier:
            async with _adapter(tmp_path, _spec(barrier.url)) as (adapter, clock, port):
                status, answer = await asyncio.to_thread(_post, port, "entry-1",
                                                         {"event": "vehicle_at_gate", "plate": "ab12 cde"})
                assert status == 200 and _kinds(answer) == ["barrier_opened"]
                await until(lambda: len(barrier.commands) == 1)
                assert barrier.commands[0]["path"] == "/entry-1/open" and barrier.commands[0]["command"] == "open"
                assert (await asyncio.to_thread(_post, port, "entry-1", {"event": "vehicle_passed"}))[0] == 200

                clock.advance(130 * 60)  # the last 50 minutes in the exit queue, which the lane reports
                status, answer = await asyncio.to_thread(_post, port, "exit-1",
                                                         {"event": "vehicle_at_gate", "plate": "AB12CDE",
                                                          "queued_s": 3000})
                held = json.loads(answer)["decisions"][0]
                assert (held["kind"], held["amount"], held["reason"]) == ("exit_held", 4.0, "payment_due")
                status, answer = await asyncio.to_thread(_post, port, "paystation",
                                                         {"event": "payment", "plate": "AB12CDE", "amount": 4.0})
                assert _kinds(answer) == ["barrier_opened", "stay_closed"]
                await until(lambda: len(barrier.commands) == 2)
                assert barrier.commands[1]["path"] == "/exit-1/open" and barrier.commands[1]["reason"] == "paid"
                assert barrier.tokens[1] == "Bearer barrier-key"
        journal = [json.loads(line) for line in (tmp_path / "gates.jsonl").read_text().splitlines()]
        assert [next(iter(r)) for r in journal].count("in") == 4
        assert any(r.get("out", {}).get("kind") == "stay_closed" and r["out"]["paid"] == 4.0 for r in journal)

    run(scenario())


def test_malformed_messages_are_refused_with_one_log_line_each_and_kept_in_the_journal(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    async def scenario() -> None:
        with BarrierController() as barrier:
            async with _adapter(tmp_path, _spec(barrier.url)) as (adapter, clock, port):
                bad = [
                    ("entry-1", b"not json {"),
                    ("entry-1", {"plate": "AB12CDE"}),
                    ("entry-1", {"event": "payment", "plate": "AB12CDE", "amount": 1}),  # an entry takes no payment
                    ("paystation", {"event": "payment", "plate": "AB12CDE", "amount": "four"}),
                    ("exit-1", {"event": "vehicle_at_gate", "plate": "\u0000\u001b[2J"}),
                    ("exit-9", {"event": "vehicle_passed"}),
                ]
                with caplog.at_level(logging.WARNING, logger="baytwin.live.sensors"):
                    answers = [await asyncio.to_thread(_post, port, gate, body) for gate, body in bad]
                    wrong_token = await asyncio.to_thread(_post, port, "entry-1", {"event": "vehicle_passed"},
                                                          token="x" * 24)
                assert [code for code, _ in answers] == [400, 400, 400, 400, 400, 404]
                assert wrong_token[0] == 401
                assert "not JSON" in answers[0][1] and "not one a entry sends" in answers[2][1]
                assert all(len(text.strip().splitlines()) == 1 for _, text in answers)
                lines = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
                assert len(lines) == len(bad) + 1 and all(line.startswith("barrier webhook: 4") for line in lines)
                assert not any(TOKEN in line for line in lines)
                assert adapter.controller.counts.entries == 0 and adapter.counts["rejected"] == len(bad)
                assert barrier.commands == []
        rejected = [json.loads(line)["rejected"] for line in (tmp_path / "gates.jsonl").read_text().splitlines()]
        assert [r["gate"] for r in rejected] == [gate for gate, _ in bad]
        assert rejected[0]["body"] == "not json {" and "problem" in rejected[0]

    run(scenario())


def test_an_open_command_is_retried_until_the_barrier_takes_it_and_journaled_if_it_never_does(tmp_path: Path) -> None:
    async def scenario() -> None:
        with BarrierController(fail_first=2) as barrier:
            async with _adapter(tmp_path, _spec(barrier.url)) as (adapter, clock, port):
                await asyncio.to_thread(_post, port, "entry-1", {"event": "vehicle_at_gate", "plate": "AB12CDE"})
                # the barrier holds the command before the adapter has its answer and counts it as sent
                await until(lambda: len(barrier.commands) == 1 and adapter.counts["opens_sent"] == 1)
                assert barrier.commands[0]["path"] == "/entry-1/open" and barrier.fail_first == 0  # the third try
        unreachable = _spec("http://127.0.0.1:9", open_timeout_s=0.5)  # nothing listens on the discard port
        async with _adapter(tmp_path, unreachable) as (adapter, clock, port):
            await asyncio.to_thread(_post, port, "entry-1", {"event": "vehicle_at_gate", "plate": "CD34EFG"})
            await until(lambda: adapter.counts["opens_failed"] == 1)
        journal = [json.loads(line) for line in (tmp_path / "gates.jsonl").read_text().splitlines()]
        assert any("open_failed" in r and r["open_failed"]["bay"] == "entry-1" for r in journal)

    run(scenario())


def test_an_unreadable_plate_gets_a_ticket_that_pays_at_the_terminal(tmp_path: Path) -> None:
    async def scenario() -> None:
        with BarrierController() as barrier:
            async with _adapter(tmp_path, _spec(barrier.url)) as (adapter, clock, port):
                _, answer = await asyncio.to_thread(_post, port, "entry-1", {"event": "vehicle_at_gate", "plate": None})
                ticket = json.loads(answer)["decisions"][0]["ticket"]
                clock.advance(70 * 60)
                _, answer = await asyncio.to_thread(_post, port, "exit-1", {"event": "vehicle_at_gate", "ticket": ticket})
                assert json.loads(answer)["decisions"][0]["amount"] == 2.0
                _, answer = await asyncio.to_thread(_post, port, "paystation",
                                                    {"event": "payment", "ticket": ticket, "amount": 2.0})
                assert _kinds(answer) == ["barrier_opened", "stay_closed"]
                assert adapter.status()["unreadable_plates"] == 2  # neither camera read it

    run(scenario())


def test_a_bad_barriers_section_is_one_line_naming_the_field() -> None:
    with pytest.raises(ConfigError) as caught:
        validate(BarriersSpec, {"webhook": {"token": TOKEN}, "gates": {"exit-1": {"direction": "exit"}}}, "site.yaml")
    assert str(caught.value).startswith("site.yaml: gates.exit-1.open_url: an exit gate needs the URL its barrier opens on")
    assert "\n" not in str(caught.value)


# --- as part of a live site ------------------------------------------------------------------------------------

PARKING_SECTION = """
parking:
  tariff: {basis: per_started_hour, rate: 2.0, free_min: 15}
  validation: {mode: whole_stay}
"""


def _live_site_with_barriers(tmp_path: Path, barrier_url: str, parking: str = PARKING_SECTION) -> Path:
    site = write_site(tmp_path, extra=f"""
barriers:
  webhook: {{port: 0, path: /gates, token: "{TOKEN}"}}
  gates:
    entry-1: {{direction: entry, open_url: "{barrier_url}/entry-1/open"}}
    exit-1: {{direction: exit, open_url: "{barrier_url}/exit-1/open"}}
""")
    policy = tmp_path / "policy.yaml"
    policy.write_text(policy.read_text() + parking)
    return site


def test_a_live_site_validates_the_stay_of_a_car_that_charged_and_keeps_its_stays_across_a_restart(
        tmp_path: Path) -> None:
    async def scenario() -> None:
        with BarrierController() as barrier:
            site = _live_site_with_barriers(tmp_path, barrier.url)
            async with live_site(site) as live:
                port = live.runner.barriers.webhook.port
                await asyncio.to_thread(_post, port, "entry-1", {"event": "vehicle_at_gate", "plate": "AB12CDE"})
                await asyncio.to_thread(_post, port, "entry-1", {"event": "vehicle_at_gate", "plate": "ZZ99ZZZ"})
                live.clock.advance(300)
                live.runner.ingest([SessionStarted(live.clock.now(), "garage", "B1", "tx-1", id_token="TAG-AB")])
                live.clock.advance(3600)
                live.runner.ingest([SessionEnded(live.clock.now(), "garage", "B1", "tx-1", 7.0)])
                assert live.runner.status()["barriers"]["inside"] == 2
            async with live_site(site, start=T0 + 5 * 3600) as live:  # the site restarted: the stays are still there
                port = live.runner.barriers.webhook.port
                _, answer = await asyncio.to_thread(_post, port, "exit-1",
                                                    {"event": "vehicle_at_gate", "plate": "AB12CDE"})
                closed = json.loads(answer)["decisions"][1]
                assert (closed["kind"], closed["validated"], closed["amount"]) == ("stay_closed", True, 0.0)
                _, answer = await asyncio.to_thread(_post, port, "exit-1",
                                                    {"event": "vehicle_at_gate", "plate": "ZZ99ZZZ"})
                held = json.loads(answer)["decisions"][0]
                assert (held["kind"], held["amount"]) == ("exit_held", 10.0)  # 5 h - 15 min free: five hours
                await until(lambda: [c["path"] for c in barrier.commands].count("/exit-1/open") == 1)
                # what `live status` shows: the barriers' counts, from the store
                await until(lambda: (site_overview(live.log, "garage", live.clock.now()).get("barriers") or {})
                            .get("held") == 1)

    run(scenario())


def test_a_site_with_barriers_and_no_parking_section_in_its_policy_is_one_line(tmp_path: Path) -> None:
    site = _live_site_with_barriers(tmp_path, "http://127.0.0.1:1", parking="")
    with pytest.raises(ConfigError) as caught:
        load_site(site)
    assert ": barriers: the policy file " in str(caught.value) and "has no parking section" in str(caught.value)
    policy = tmp_path / "policy.yaml"
    policy.write_text(policy.read_text() + "parking: {tariff: {rate: -2}}\n")
    with pytest.raises(ConfigError) as caught:
        load_site(site)
    assert "policy.yaml: parking.tariff.rate: Input should be greater than or equal to 0" in str(caught.value)


def test_a_journal_that_cannot_be_written_is_one_line_naming_the_field(tmp_path: Path) -> None:
    site_file = _live_site_with_barriers(tmp_path, "http://127.0.0.1:1")
    site_file.write_text(site_file.read_text().replace("barriers:\n", "barriers:\n  journal: site.key/gates.jsonl\n"))
    with pytest.raises(ConfigError) as caught:
        site_barriers(load_site(site_file), ManualClock(T0))
    assert ": barriers.journal: cannot write " in str(caught.value) and "\n" not in str(caught.value)
