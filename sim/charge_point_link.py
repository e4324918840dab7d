"""One charge point's websocket to any central system: its own calls out, the central system's calls in.

The twin's ``WebSocketLink`` only reads while it waits for an answer, which
is enough for a simulated charger whose every move is its own. A charger
standing on its own must also hear the central system when it is idle (a
remote start arrives while nobody is charging), so here a reader thread
owns the socket's receiving side: an answer goes to the call waiting for it,
and a CALL from the central system goes to ``inbox`` for the charger's one
working thread to answer (``answer`` / ``refuse``). Nothing that changes the
charger runs on the reader, so a handler that itself makes calls (start a
transaction after accepting a remote start) can never deadlock it.

OCPP-J lets a charger have one CALL of its own in flight at a time; ``call``
keeps to that with a lock.
"""

from __future__ import annotations

import itertools
import json
import queue
import threading
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from typing import Any

from baytwin.sim.ocpp_link import OcppRefused, dial


@dataclass(frozen=True, slots=True)
class IncomingCall:
    """A CALL the central system sent: answer it with ``answer`` or ``refuse`` under ``unique_id``."""

    unique_id: str
    action: str
    payload: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Closed:
    """The connection ended (put in the inbox once, so the working thread stops waiting)."""

    reason: str


class ChargePointLink:
    """An ``OcppLink`` for one station that also receives the central system's calls into ``inbox``."""

    def __init__(self, url: str, timeout_s: float = 30.0, authorization: str | None = None) -> None:
        self.url, self.timeout_s, self.authorization = url, timeout_s, authorization
        self.inbox: queue.Queue[IncomingCall | Closed] = queue.Queue()
        self.closed = threading.Event()
        self.close_reason = ""
        self._socket: Any = None
        self._ids = itertools.count(1)
        self._calling = threading.Lock()
        self._waiting: tuple[str, Future[list[Any]]] | None = None
        self._reader: threading.Thread | None = None

    def connect(self, station: str, protocol: str) -> None:
        self._socket = dial(self.url, station, protocol, self.timeout_s, self.authorization)
        self._reader = threading.Thread(target=self._read, name=f"ocpp-reader-{station}", daemon=True)
        self._reader.start()

    def call(self, station: str, action: str, payload: dict[str, Any]) -> dict[str, Any]:
        """Send a CALL and return its answer's payload; OcppRefused for a CALLERROR, ConnectionError when the
        connection is gone or the central system does not answer within the timeout."""
        with self._calling:
            if self.closed.is_set():
                raise ConnectionError(f"the connection to the central system is closed ({self.close_reason})")
            unique_id = f"cp-{next(self._ids)}"
            answer: Future[list[Any]] = Future()
            self._waiting = (unique_id, answer)
            try:
                self._send([2, unique_id, action, payload])
                message = answer.result(timeout=self.timeout_s)
            except FutureTimeout:
                raise ConnectionError(f"the central system did not answer {action} within {self.timeout_s:g} s") from None
            finally:
                self._waiting = None
        if message[0] == 4:
            raise OcppRefused(action, str(message[2]), str(message[3]))
        return message[2]

    def answer(self, unique_id: str, payload: dict[str, Any]) -> None:
        self._send([3, unique_id, payload])

    def refuse(self, unique_id: str, code: str, description: str) -> None:
        self._send([4, unique_id, code, description, {}])

    def close(self) -> None:
        if self._socket is not None:
            self._socket.close()
        if self._reader is not None:
            self._reader.join(timeout=5)

    # --- the reader thread ---------------------------------------------------------------------------

    def _send(self, message: list[Any]) -> None:
        from websockets.exceptions import ConnectionClosed

        try:
            self._socket.send(json.dumps(message, separators=(",", ":")))
        except ConnectionClosed:
            raise ConnectionError(f"the connection to the central system is closed ({self.close_reason or 'closed'})") from None

    def _read(self) -> None:
        from websockets.exceptions import ConnectionClosed

        reason = "closed"
        try:
            while True:
                message = _frame(self._socket.recv())
                if message is None:
                    continue  # not OCPP-J: nothing a reply of ours could help
                if message[0] == 2:
                    self.inbox.put(IncomingCall(str(message[1]), str(message[2]), message[3]))
                    continue
                waiting = self._waiting
                if waiting is not None and waiting[0] == message[1]:
                    waiting[1].set_result(message)
        except ConnectionClosed as err:
            code = err.rcvd.code if err.rcvd is not None else None
            why = err.rcvd.reason if err.rcvd is not None and err.rcvd.reason else ""
            reason = f"closed by the central system (code {code}{': ' + why if why else ''})" if code else "connection lost"
        except OSError as err:
            reason = f"connection lost ({err})"
        finally:
            self.close_reason = reason
            self.closed.set()
            waiting = self._waiting
            if waiting is not None and not waiting[1].done():
                waiting[1].set_exception(ConnectionError(f"the connection to the central system ended: {reason}"))
            self.inbox.put(Closed(reason))


def _frame(raw: str | bytes) -> list[Any] | None:
    """A well-formed OCPP-J frame as a list, or None."""
    try:
        message = json.loads(raw)
    except (ValueError, RecursionError):
        return None
    if not isinstance(message, list) or len(message) < 3 or message[0] not in (2, 3, 4):
        return None
    if message[0] == 2 and (len(message) != 4 or not isinstance(message[3], dict)):
        return None
    if message[0] == 3 and not isinstance(message[2], dict):
        return None
    if message[0] == 4 and len(message) < 4:
        return None
    return message
