"""``sim run --store`` into a database that already holds the run: nothing doubles, a killed run resumes."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select

from baytwin.core.privacy import Keys, generate_key
from baytwin.core.store import schema
from baytwin.core.store.database import connect
from baytwin.core.store.log import EventLog
from baytwin.sim.runner import persist, run
from baytwin.sim.scenario import load_scenario

KEY = generate_key()


def _log(path: Path) -> EventLog:
    return EventLog(connect(f"sqlite:///{path}"), Keys.from_text(KEY, "test"))


def _rows(log: EventLog) -> int:
    with log.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(schema.event_log)).scalar_one())


class DiesAfter(EventLog):
    """The store as a process sees it that is killed after ``chunks`` commits."""

    def __init__(self, *args, chunks: int, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.left = chunks

    def append_in(self, conn, by_site):  # type: ignore[no-untyped-def]
        if self.left == 0:
            raise KeyboardInterrupt("killed")
        self.left -= 1
        return super().append_in(conn, by_site)


def test_a_rerun_stores_nothing_twice_and_a_killed_run_resumes_where_it_stopped(tmp_path: Path) -> None:
    scenario = load_scenario("workplace-garage/baseline", {})
    model, _ = run(scenario, seed=3, days=2)
    path = tmp_path / "store.db"
    dying = DiesAfter(connect(f"sqlite:///{path}"), Keys.from_text(KEY, "test"), chunks=2)
    try:
        persist(model, dying, batch=50)
    except KeyboardInterrupt:
        pass
    assert _rows(_log(path)) == 100

    again, _ = run(scenario, seed=3, days=2)  # a new process, the same run
    appended, total = persist(again, _log(path), batch=50)
    assert appended == total - 100 and _rows(_log(path)) == total
    assert persist(again, _log(path), batch=50) == (0, total)
    assert _rows(_log(path)) == total

    other, _ = run(scenario, seed=4, days=2)  # another seed is another run
    appended, _ = persist(other, _log(path), batch=50)
    assert appended > 0 and _rows(_log(path)) == total + appended
