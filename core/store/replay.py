"""What the projections hold, as pure functions of the logged events.

The tables (sessions, plate reads, violations, actions) are a cache of the log. The
same functions fill them at append time (``core.store.log``), rebuild them from the
log to check them (``core.store.rebuild``) and derive an evidence pack's sessions
from its chain segment (``core.store.evidence``): one definition, so a table and its
check can never disagree about what a session's state or a violation's close means.
"""

from __future__ import annotations

from typing import Any

from baytwin.core.events import CAMERA, Event

_STATE = {"session_started": "started", "session_active": "charging", "session_ended": "ended",
          "session_faulted": "faulted"}


def new_session(site: str, event: Event) -> dict[str, Any]:
    """A session's row before its first event is applied."""
    return {"site": site, "session_id": event.session_id, "bay": event.bay, "subject": None,  # type: ignore[attr-defined]
            "started_at": None, "ended_at": None, "state": "started", "energy_kwh": 0.0, "current_a": 0.0,
            "updated_at": event.ts}


def apply_session(row: dict[str, Any], event: Event, subject: str | None) -> None:
    """Move a session's row on by one session event (state, energy, current, start and end)."""
    state = _STATE.get(event.kind)
    if event.kind == "session_suspended":
        state = f"suspended_{event.by}"  # type: ignore[attr-defined]
    if event.kind == "session_active" and event.current_a == 0:  # type: ignore[attr-defined]
        state = "zero_current"
    row["state"] = state or row["state"]
    if event.kind == "session_started":
        row["started_at"] = event.ts
        row["subject"] = subject or row["subject"]
    if event.kind == "session_ended":
        row["ended_at"] = event.ts
    row["energy_kwh"] = max(row["energy_kwh"], event.energy_kwh)  # type: ignore[attr-defined]
    row["current_a"] = event.current_a  # type: ignore[attr-defined]
    row["updated_at"] = event.ts


def is_read(event: Event) -> bool:
    """Whether ``event`` is a row of ``plate_reads``: every plate read, and identifications that are reads of
    their own (a patrol, a review, a charging token); a camera's identification repeats the read just before it."""
    if event.kind == "plate_read":
        return True
    return event.kind == "vehicle_identified" and getattr(event, "source", CAMERA) != CAMERA


def read_row(site: str, event: Event, seq: int, subject: str | None) -> dict[str, Any]:
    """A plate read or identification as the ``plate_reads`` table holds it (not yet tied to a violation)."""
    return {"site": site, "bay": event.bay, "ts": event.ts, "subject": subject,
            "confidence": getattr(event, "confidence", 0.0), "status": getattr(event, "status", "accepted"),
            "source": getattr(event, "source", "camera"), "log_seq": seq, "led_to_violation": False}


def evidence_from(event: Event) -> float:
    """The earliest moment a violation's evidence speaks of: the reads from then to its opening decided it."""
    return min([e.ts for e in event.evidence] + [event.ts])  # type: ignore[attr-defined]


def violation_row(site: str, event: Event, seq: int, subject: str | None,
                  policy: tuple[str | None, str | None, str | None]) -> dict[str, Any]:
    """A violation as opened; ``policy`` is the (name, version, digest) of the policy that decided it."""
    name, version, digest = policy
    return {"violation_id": event.violation_id, "site": site, "bay": event.bay, "rule": event.rule,  # type: ignore[attr-defined]
            "subject": subject, "plate_confidence": event.plate_confidence, "opened_at": event.ts,  # type: ignore[attr-defined]
            "since": event.since, "closed_at": None, "close_reason": None, "minutes": None,  # type: ignore[attr-defined]
            "opened_seq": seq, "policy_name": name, "policy_version": version, "policy_digest": digest}


def closing(event: Event) -> dict[str, Any]:
    """The columns a violation's close sets."""
    return {"closed_at": event.ts, "close_reason": event.reason, "minutes": event.minutes}  # type: ignore[attr-defined]


def action_row(site: str, event: Event, seq: int, subject: str | None) -> dict[str, Any]:
    return {"site": site, "violation_id": event.violation_id, "ts": event.ts, "action": event.action,  # type: ignore[attr-defined]
            "subject": subject, "amount": event.amount, "until": event.until, "log_seq": seq}  # type: ignore[attr-defined]


def replay_sessions(site: str, events: list[tuple[Event, str | None]]) -> dict[str, dict[str, Any]]:
    """Every session's row after the given (event, subject) pairs, in order; other kinds are skipped."""
    sessions: dict[str, dict[str, Any]] = {}
    for event, subject in events:
        if not event.kind.startswith("session_"):
            continue
        row = sessions.setdefault(event.session_id, new_session(site, event))  # type: ignore[attr-defined]
        apply_session(row, event, subject)
    return sessions
