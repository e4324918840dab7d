"""An operator's commands to chargers, kept in the event log: asked, then answered.

The person asking (``baytwin csms command``, the live page) and the process
holding the chargers' websockets (``csms serve``, ``live run``) are usually
different processes, often on different machines; what they share is the
store. So a command is an ``operator_command`` event appended by the asker
(naming them), the running central system finds it (:func:`unanswered`),
sends it and appends a ``command_answered`` naming its chain position, and the
asker waits for that row (:func:`wait_for_answer`). The queue is the
tamper-evident log itself: every request and every outcome is on record, the
same way review decisions are.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable

from sqlalchemy import and_, select

from baytwin.core.csms.central import Command
from baytwin.core.events import CommandAnswered, OperatorCommand
from baytwin.core.store import schema
from baytwin.core.store.log import EventLog, reveal

#: operator's action -> the central system's command
ACTIONS = {"remote-start": "start", "remote-stop": "stop", "unlock": "unlock", "availability": "availability",
           "reset": "reset", "trigger": "trigger"}
#: charger answers that mean "done" (or "will be done": Scheduled)
SUCCESS = frozenset({"Accepted", "Scheduled", "Unlocked"})


class CommandProblem(ValueError):
    """A command that cannot be asked as given (unknown action, missing id token …): one line."""


def build(site: str, station: str, action: str, operator: str, now: float, wait_s: float, *,
          evse: int | None = None, id_token: str | None = None, transaction_id: str | None = None,
          operative: bool | None = None, message: str | None = None, bay: str = "*") -> OperatorCommand:
    """The command as it will be recorded, checked first: what each action needs is there."""
    if action not in ACTIONS:
        raise CommandProblem(f"unknown action {action!r} (one of {', '.join(ACTIONS)})")
    if not operator.strip():
        raise CommandProblem("a command must name its operator")
    if not station.strip():
        raise CommandProblem("a command must name its charger")
    if evse is not None and evse < 0:
        raise CommandProblem(f"EVSE {evse}: a number from 1 (0: the whole charger)")
    if action == "remote-start" and not id_token:
        raise CommandProblem("remote-start needs the id token to start with (--id-token)")
    if action == "remote-stop" and not transaction_id and not evse:
        raise CommandProblem("remote-stop needs the transaction (--transaction) or its EVSE (--evse)")
    if action == "unlock" and not evse:
        raise CommandProblem("unlock needs the EVSE (--evse)")
    if action == "availability" and operative is None:
        raise CommandProblem("availability needs --operative or --inoperative")
    if action == "trigger" and not message:
        raise CommandProblem("trigger needs the message to ask for (--message, e.g. StatusNotification)")
    return OperatorCommand(now, site, bay, station.strip(), action, evse, id_token, transaction_id, operative,
                           message, operator.strip(), now + wait_s)


def request(log: EventLog, command: OperatorCommand) -> int:
    """Record ``command``; returns its chain position (what its answer will name)."""
    return log.append([command])[0].seq


def answer_to(log: EventLog, site: str, command_seq: int) -> CommandAnswered | None:
    """The recorded answer to the command at ``command_seq``, if there is one yet."""
    t = schema.event_log.c
    with log.engine.connect() as conn:
        publics = conn.execute(select(t.public).where(and_(t.site == site, t.kind == CommandAnswered.kind,
                                                           t.seq > command_seq)).order_by(t.seq)).scalars().all()
    for public in publics:
        data = json.loads(public)
        if int(data.get("command_seq", -1)) == command_seq:
            return CommandAnswered(float(data["ts"]), site, data["bay"], command_seq, data.get("station", ""),
                                   data.get("action", ""), data.get("status", ""), data.get("detail", ""))
    return None


def wait_for_answer(log: EventLog, site: str, command_seq: int, timeout_s: float, poll_s: float = 0.25,
                    clock: Callable[[], float] = time.monotonic) -> CommandAnswered | None:
    """Poll the store for the answer until ``timeout_s`` has passed; None if none came."""
    deadline = clock() + timeout_s
    while True:
        answer = answer_to(log, site, command_seq)
        if answer is not None or clock() >= deadline:
            return answer
        time.sleep(poll_s)


def unanswered(log: EventLog, site: str, after_seq: int = 0) -> list[tuple[int, OperatorCommand]]:
    """Commands recorded after ``after_seq`` that no answer names yet, oldest first, id tokens unsealed."""
    t = schema.event_log.c
    with log.engine.connect() as conn:
        rows = conn.execute(select(t.seq, t.public, t.personal)
                            .where(and_(t.site == site, t.kind == OperatorCommand.kind, t.seq > after_seq))
                            .order_by(t.seq)).mappings().all()
        if not rows:
            return []
        answered = {int(json.loads(p).get("command_seq", -1)) for p in conn.execute(
            select(t.public).where(and_(t.site == site, t.kind == CommandAnswered.kind, t.seq > rows[0]["seq"])))
            .scalars()}
    out = []
    for row in rows:
        if int(row["seq"]) in answered:
            continue
        data = reveal(log.keys, row["public"], row["personal"])
        token = data.get("id_token")
        out.append((int(row["seq"]), OperatorCommand(
            float(data["ts"]), site, data["bay"], data.get("station", ""), data.get("action", ""), data.get("evse"),
            token if token != "<personal>" else None, data.get("transaction_id"), data.get("operative"),
            data.get("message"), data.get("operator", ""), float(data.get("expires_at") or 0.0))))
    return out


def as_command(asked: OperatorCommand, transaction_id: str | None = None) -> Command:
    """The central system's command for an operator's (``transaction_id``: found for a stop given only its EVSE)."""
    return Command(asked.station, ACTIONS[asked.action], evse=asked.evse or None, id_token=asked.id_token,  # type: ignore[arg-type]
                   transaction_id=asked.transaction_id or transaction_id, operative=asked.operative,
                   message=asked.message)
