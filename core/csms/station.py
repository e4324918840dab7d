"""What both protocol versions' station connections share: frame checks, replay safety, relaxed validation.

Each connected charger is one ``ocpp`` ChargePoint object (``v16.Station16``
or ``v201.Station201``) built on this mixin, which sits in front of the
package's router:

* a malformed frame is answered with the right CALLERROR (see ``frames``)
  instead of being dropped, and the connection keeps serving;
* a CALL whose unique id was already answered is answered again from the
  cache, without running its handler twice (a charger that did not get our
  reply resends it);
* a CALL is answered only once what it changed is durable in the store; if
  the write fails the answer is InternalError and the change is undone, so the
  charger's retry is handled afresh;
* a station configured with ``relaxed_validation`` has its payloads checked
  and deviations logged, but the data kept;
* 1.6 error codes keep 1.6's own names (FormationViolation,
  OccurenceConstraintViolation) where the package uses 2.0.1's.

Handlers never call the charger themselves (the package deadlocks on a call
made from inside the receive loop): what must be sent is queued as a task.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections import OrderedDict
from collections.abc import Callable
from datetime import datetime
from typing import Any

from ocpp.exceptions import OCPPError
from ocpp.messages import unpack, validate_payload

from baytwin.core.clock import Clock
from baytwin.core.csms.central import CentralSystem, Command
from baytwin.core.csms.frames import CALL, inspect

LOG = logging.getLogger("baytwin.csms")
_REPLY_CACHE = 512
_V16_NAMES = {'"FormatViolation"': '"FormationViolation"',
              '"OccurrenceConstraintViolation"': '"OccurenceConstraintViolation"'}


class StationMixin:
    """Mixed into an ``ocpp`` ChargePoint subclass (it must come first in the bases)."""

    subprotocol: str = ""
    actions: frozenset[str] = frozenset()  # every action name of the protocol version
    id: str
    route_map: dict[str, dict[str, Any]]
    _ocpp_version: str

    def setup(self, central: CentralSystem, clock: Clock, dispatch: Callable[[Command], None]) -> None:
        self.central, self.clock, self.dispatch = central, clock, dispatch
        self._replies: OrderedDict[str, str] = OrderedDict()
        self._relaxed = central.config.relaxed(self.id)
        self.deviations = 0
        self.frame_errors = 0
        self._answering: str | None = None
        if self._relaxed:
            for handlers in self.route_map.values():
                handlers["_skip_schema_validation"] = True

    async def route_message(self, raw_msg: str | bytes) -> None:  # type: ignore[override]
        problem, message = inspect(raw_msg, self.subprotocol)
        if problem is not None:
            self.frame_errors += 1
            LOG.warning("%s: malformed frame (%s: %s): %.200r", self.id, problem.code, problem.description, raw_msg)
            if problem.answer:
                await self._send(problem.reply())  # type: ignore[attr-defined]
            return
        assert message is not None
        if message[0] != CALL:
            await super().route_message(raw_msg)  # type: ignore[misc]
            return
        unique_id, action = message[1], message[2]
        if action not in self.route_map:
            # OCPP-J: NotImplemented for an action the receiver does not know, NotSupported for one of its
            # version it recognizes but does not handle (the package answers the other way round)
            code = "NotSupported" if action in self.actions else "NotImplemented"
            LOG.warning("%s: %s for action %r", self.id, code, action)
            await self._send(json.dumps([4, unique_id, code, f"action {action!r} is not handled here", {}]))  # type: ignore[attr-defined]
            return
        if unique_id in self._replies:
            LOG.info("%s: repeated message %s answered again, not handled twice", self.id, unique_id)
            await self._send(self._replies[unique_id])  # type: ignore[attr-defined]
            return
        if self._relaxed:
            await self._note_deviation(raw_msg)
        self._answering = unique_id
        try:
            await super().route_message(raw_msg)  # type: ignore[misc]
        finally:
            self._answering = None

    async def _note_deviation(self, raw_msg: str | bytes) -> None:
        message = unpack(raw_msg)
        if message.action not in self.route_map:
            return
        try:
            await validate_payload(message, self._ocpp_version)
        except OCPPError as err:
            self.deviations += 1
            LOG.warning("%s: %s payload deviates from the schema (%s); kept, as configured for this charger",
                        self.id, message.action, err.description)

    async def _send(self, message: str) -> None:
        answering = self._answering is not None and message.startswith(("[3,", "[4,"))
        if answering and not await self.central.durable(self.id):
            # what the handler learnt is not in the store (and was undone): say so, and let the charger
            # send it again; an acknowledgement here would lose it for good
            LOG.warning("%s: message %s could not be stored; answered InternalError", self.id, self._answering)
            await super()._send(json.dumps([4, self._answering, "InternalError",  # type: ignore[misc]
                                            "the message could not be stored; send it again", {}]))
            return
        if message.startswith("[4,") and self.subprotocol.startswith("ocpp1.6"):
            for name, old in _V16_NAMES.items():
                message = message.replace(name, old, 1)
        if answering:
            self._replies[self._answering] = message  # type: ignore[index]  # routing is sequential: this answers the call in hand
            if len(self._replies) > _REPLY_CACHE:
                self._replies.popitem(last=False)
        await super()._send(message)  # type: ignore[misc]

    # --- shared helpers for the handlers --------------------------------------------------------------

    def when(self, timestamp: str | None) -> float:
        """The message's own timestamp (a queued message replayed after an outage keeps its time), else now."""
        if timestamp:
            try:
                return datetime.fromisoformat(timestamp.replace("Z", "+00:00")).timestamp()
            except ValueError:
                pass
        return self.clock.now()

    def send_later(self, commands: list[Command]) -> None:
        for command in commands:
            self.dispatch(command)

    def now_iso(self) -> str:
        return datetime.fromtimestamp(self.clock.now()).astimezone().isoformat()


def spawn(coro: Any) -> asyncio.Task[Any]:
    """Run a coroutine as its own task and log (not lose) its failure."""
    task = asyncio.ensure_future(coro)

    def done(t: asyncio.Task[Any]) -> None:
        if not t.cancelled() and t.exception() is not None:
            LOG.warning("command failed: %s", t.exception())

    task.add_done_callback(done)
    return task
