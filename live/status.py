"""What a live site looks like right now, from its store: bays, sessions, violations, cameras, reviews.

The running process keeps its latest view of bays and cameras in the store
(``live/runner.py``); open sessions and violations are the store's own
projections. So ``baytwin live status`` and the dashboard need only the
database, never the running process, and show nothing but hashes of plates.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite

from baytwin.core.health import Assessment, assess, camera_state
from baytwin.core.store import schema
from baytwin.core.store.log import EventLog
from baytwin.live.review import pending_count

STALE_AFTER_S = 30.0  # a running site rewrites its status every few seconds; older than this, it has stopped


def write_status(log: EventLog, site: str, status: dict[str, Any]) -> None:
    """Keep the latest status of a running site in the store (no personal data: plates are not in it)."""
    meta = schema.store_meta
    maker = postgresql.insert if log.engine.dialect.name == "postgresql" else sqlite.insert
    value = json.dumps(status, default=str)
    statement = maker(meta).values(name=f"live_status:{site}", value=value)
    with log.engine.begin() as conn:
        conn.execute(statement.on_conflict_do_update(index_elements=[meta.c.name], set_={"value": value}))


def read_status(log: EventLog, site: str) -> dict[str, Any] | None:
    meta = schema.store_meta
    with log.engine.connect() as conn:
        found = conn.execute(select(meta.c.value).where(meta.c.name == f"live_status:{site}")).scalar()
    return json.loads(found) if found else None


def stored_health(running: bool, status: dict[str, Any], chargers_expected: Iterable[str]) -> Assessment:
    """The site's health as its last stored status shows it, judged as the running process judges it
    (core/health.py): down when not running or stale, degraded when a camera or a listed charger is not connected."""
    cameras = {name: camera_state(health) for name, health in status.get("cameras", {}).items()}
    return assess(running=running, cameras=cameras, chargers_expected=chargers_expected,
                  chargers_connected=status.get("chargers", []))


def site_overview(log: EventLog, site: str, now: float, chargers_expected: Iterable[str] = ()) -> dict[str, Any]:
    """Everything ``live status`` shows; ``chargers_expected``: the stations the site file lists, each of
    which should be connected."""
    status = read_status(log, site) or {}
    updated = status.get("updated_at")
    running = bool(status.get("running")) and updated is not None and now - float(updated) < STALE_AFTER_S
    health = stored_health(running, status, chargers_expected)
    s, v = schema.sessions, schema.violations
    with log.engine.connect() as conn:
        sessions = [dict(r) for r in conn.execute(
            select(s.c.session_id, s.c.bay, s.c.state, s.c.started_at, s.c.energy_kwh, s.c.current_a)
            .where(s.c.site == site, s.c.ended_at.is_(None)).order_by(s.c.bay)).mappings()]
        violations = [dict(r) for r in conn.execute(
            select(v.c.violation_id, v.c.bay, v.c.rule, v.c.since, v.c.opened_at, v.c.subject)
            .where(v.c.site == site, v.c.closed_at.is_(None)).order_by(v.c.opened_at)).mappings()]
    for violation in violations:
        violation["minutes_so_far"] = round((now - violation["since"]) / 60.0, 1)
    return {
        "site": site,
        "running": running,
        "health": {"status": health.status, "problems": health.problems},
        "status_updated_at": updated,
        "csms_port": status.get("csms_port"),
        "chargers_connected": status.get("chargers", []),
        "bays": status.get("bays", {}),
        "cameras": status.get("cameras", {}),
        "open_sessions": sessions,
        "open_violations": violations,
        "reviews_pending": pending_count(log, site),
        "counts": status.get("counts", {}),
        "barriers": status.get("barriers"),  # the car park's gates, if the site has them (live/barriers.py)
    }
