"""The running central system's side of operator commands: find them in the store, send them, record the answer.

``csms serve`` and ``live run`` each run one relay beside their charger
connections. It polls the log for ``operator_command`` rows of its site that
no ``command_answered`` names, and carries each out in a task of its own (a
charger that is slow to answer holds up no other command): a command whose
asker stopped waiting is not sent but answered ``expired``; one for a charger
that is not connected is answered ``not connected``; otherwise it goes out
through :meth:`CsmsServer.send` and the charger's status (or ``timeout``) is
appended. Answers go through the service's one store writer, in order with
everything else it writes.

After a restart the relay starts from the beginning of the log, so a command
asked while the service was down is answered (sent if its asker still waits,
``expired`` if not), never silently dropped.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from sqlalchemy import func, select

from baytwin.core.csms.operator_commands import as_command, unanswered
from baytwin.core.csms.server import CsmsServer
from baytwin.core.events import CommandAnswered, OperatorCommand
from baytwin.core.store import schema
from baytwin.core.store.log import EventLog
from baytwin.core.store.writer import StoreWriter

LOG = logging.getLogger("baytwin.csms")


class CommandRelay:
    def __init__(self, log: EventLog, writer: StoreWriter, server: CsmsServer, site: str,
                 now: Callable[[], float], poll_s: float = 0.5) -> None:
        self.log, self.writer, self.server, self.site, self.now = log, writer, server, site, now
        self.poll_s = poll_s
        self._after = 0  # every command at or before this position is answered or being carried out
        self._busy: set[int] = set()
        self._tasks: set[asyncio.Task[None]] = set()

    async def run(self, stop: asyncio.Event | None = None) -> None:
        """Poll until ``stop`` is set (or the task is cancelled); a store that is briefly unreachable is retried."""
        stop = stop or asyncio.Event()
        try:
            while not stop.is_set():
                try:
                    await self.poll()
                except Exception as err:  # noqa: BLE001 - the commands wait in the store; try again
                    LOG.warning("operator commands: %s", err)
                try:
                    await asyncio.wait_for(stop.wait(), self.poll_s)
                except TimeoutError:
                    pass
        finally:
            if self._tasks:  # let answers being written finish
                await asyncio.gather(*self._tasks, return_exceptions=True)

    async def poll(self) -> None:
        head = await asyncio.to_thread(self._head)  # read first: a command appended meanwhile lies beyond it
        for seq, asked in await asyncio.to_thread(unanswered, self.log, self.site, self._after):
            if seq in self._busy:
                continue
            self._busy.add(seq)
            task = asyncio.create_task(self._carry_out(seq, asked), name=f"operator-command-{seq}")
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        if not self._busy:
            self._after = max(self._after, head)

    async def _carry_out(self, seq: int, asked: OperatorCommand) -> None:
        try:
            status, detail = await self._send(asked)
            LOG.info("operator %s: %s %s at %s: %s %s", asked.operator, asked.action, asked.evse or "",
                     asked.station, status, detail)
            answered = CommandAnswered(self.now(), self.site, asked.bay, seq, asked.station, asked.action, status, detail)
            await asyncio.wrap_future(self.writer.submit([answered]))
        finally:
            self._busy.discard(seq)

    async def _send(self, asked: OperatorCommand) -> tuple[str, str]:
        now = self.now()
        if asked.expires_at and now > asked.expires_at:
            return "expired", "not sent: its asker had stopped waiting"
        if asked.station not in self.server.connected:
            return "not connected", f"charger {asked.station} is not connected"
        transaction = None
        if asked.action == "remote-stop" and not asked.transaction_id:
            open_on = [t for t in self.server.central.open_transactions()
                       if t.station == asked.station and t.evse == asked.evse]
            if not open_on:
                return "Rejected", f"no open transaction on EVSE {asked.evse}"
            transaction = open_on[0].transaction_id
        wait = max(1.0, asked.expires_at - now) if asked.expires_at else self.server.response_timeout
        try:
            status = await asyncio.wait_for(self.server.send(as_command(asked, transaction)), wait)
        except TimeoutError:
            return "timeout", f"no answer from the charger within {wait:.0f} s"
        except LookupError:
            return "not connected", f"charger {asked.station} is not connected"
        except ValueError as err:  # the charger's protocol version has no such message
            return "Rejected", str(err)
        except Exception as err:  # noqa: BLE001 - the connection broke mid-call: recorded, not raised
            return "error", str(err) or type(err).__name__
        return status, ("" if status else "empty answer")

    def _head(self) -> int:
        t = schema.event_log.c
        with self.log.engine.connect() as conn:
            return int(conn.execute(select(func.max(t.seq)).where(t.site == self.site)).scalar() or 0)
