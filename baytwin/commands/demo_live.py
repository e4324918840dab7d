"""``baytwin demo --live``: a whole live site on a laptop, from rendered footage to a verified evidence pack.

Everything the live mode does on a real site happens here, on parts that are all real except the
world they look at: the footage is rendered (live/demo_script.py says what it shows), the chargers
are emulated OCPP 1.6 charge points on websockets, and the site's clock runs sixty times faster
than the wall so half an hour of site time fits in half a minute. The camera adapter, the reader,
the central system, the rules engine, the review queue and the store are the ones ``baytwin live
run`` runs. Every file goes under ``--out``.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from baytwin.common import check_out_folder, console, err_console, fail
from baytwin.live import demo_script as story

# The runner's event lines (kind, bay, detail) as the demo's progress, in words.
_SAID = {"vehicle_arrived": "a car parks", "vehicle_left": "the car leaves", "session_started": "charging starts",
         "session_ended": "charging ends", "session_suspended": "charging pauses (battery full)"}


@dataclass
class Played:
    """What happened while the story played."""

    wall_s: float = 0.0
    reviews: list[Any] = field(default_factory=list)  # ReviewResolved events the operator recorded
    commands: Counter[str] = field(default_factory=Counter)  # OCPP commands the chargers answered
    problems: list[str] = field(default_factory=list)
    ended_at: float = 0.0  # site time at the end


def demo_live(out: Path) -> None:
    """Render, set up, run, settle, export and verify; then say what happened and how to look at it."""
    check_out_folder(out)
    demo = story.DemoSite(out)
    out.mkdir(parents=True, exist_ok=True)
    began = time.monotonic()
    video, rois = _render(demo)
    _keys(demo)
    for stale in (demo.store_file, demo.store_file.with_name(demo.store_file.name + "-wal"),
                  demo.store_file.with_name(demo.store_file.name + "-shm")):
        stale.unlink(missing_ok=True)  # the demo's own store starts afresh each time
    site_file = story.write_site(demo, rois, video)
    from baytwin.commands.live import load
    from baytwin.core.ocr.recognizer import ModelProblem
    from baytwin.core.store.signing import SigningProblem
    from baytwin.live.reader import site_reader

    site, log = load(site_file)
    try:
        reader = site_reader(site)
    except ModelProblem as err:
        raise fail(str(err)) from None
    console.print(f"[bold]Live site {site.id}[/]: {story.MINUTES:g} minutes of site time at {story.SPEED:g}x "
                  "(camera, chargers, rules and store in this process)")
    try:
        played = asyncio.run(_play(site, log, reader))
    except (OSError, SigningProblem) as err:
        raise fail(f"the live site could not run: {err}") from None
    played.wall_s = time.monotonic() - began
    from baytwin.core.store.pack_format import EvidenceProblem

    try:
        pack, public = _evidence(demo, log, played.ended_at)
    except (EvidenceProblem, SigningProblem, OSError) as err:
        raise fail(f"evidence pack: {err}") from None
    _summary(demo, log, site.id, played, pack, public)


# --- the steps -------------------------------------------------------------------------------------------


def _render(demo: story.DemoSite) -> tuple[Path, dict[str, list[list[float]]]]:
    """The footage and the camera's regions of interest (its sidecar)."""
    import yaml
    from rich.progress import BarColumn, Progress, TextColumn

    from baytwin.sim.imagery.video import render_video
    from baytwin.sim.imagery.video_script import VideoScript

    script = VideoScript.model_validate(story.VIDEO_SCRIPT)
    with Progress(TextColumn("rendering the bay camera's footage"), BarColumn(), TextColumn("{task.completed}/{task.total} frames"),
                  console=console, transient=True) as progress:
        task = progress.add_task("render", total=None)
        try:
            video, sidecar = render_video(script, demo.footage, fps=story.RENDER_FPS, seed=story.SEED,
                                          progress=lambda done, total: progress.update(task, completed=done, total=total))
        except (RuntimeError, OSError) as err:  # no video encoder in this OpenCV, a folder that cannot be written
            raise fail(f"cannot render the demo's footage: {err}") from None
    info = yaml.safe_load(sidecar.read_text(encoding="utf-8"))
    console.print(f"footage: {video} ({info['frames']} frames, one second of it a minute of the site)")
    return video, {bay: [list(p) for p in polygon] for bay, polygon in info["bays"].items()}


def _keys(demo: story.DemoSite) -> None:
    """The site's key (plates sealed with it) and signing pair (packs signed with it), made once per folder."""
    from baytwin.core.privacy import KeyProblem, write_new_key
    from baytwin.core.store.signing import Signer, SigningProblem, signing_paths

    private, public = signing_paths(demo.key_file)
    try:
        if not demo.key_file.exists():
            write_new_key(demo.key_file)
        if not private.exists():
            public.unlink(missing_ok=True)
            Signer.generate().save(private, public)
    except (KeyProblem, SigningProblem, OSError) as err:
        raise fail(f"{demo.key_file}: cannot make the demo's keys: {err}") from None


async def _play(site: Any, log: Any, reader: Any) -> Played:
    """Run the site, its chargers and its operator until the story's half hour is over."""
    from baytwin.core.clock import AcceleratedClock
    from baytwin.live.runner import LiveRunner
    from baytwin.sim.charger_timetable import run_timetable

    played = Played()
    clock = AcceleratedClock(story.START, story.SPEED)  # started now: the footage starts playing with it
    runner = LiveRunner(site, log, clock, reader=reader, poll_s=0.05, status_every_s=0.5)
    handler = _ProgressLines(clock, site.spec.site.timezone)
    events = logging.getLogger("baytwin.live")
    events.addHandler(handler)
    events.propagate, level = False, events.level
    events.setLevel(logging.INFO)
    stop = threading.Event()
    try:
        port = await runner.start("127.0.0.1", 0)
        url = f"ws://127.0.0.1:{port}"
        chargers = [asyncio.create_task(asyncio.to_thread(
            run_timetable, url, name, len(evses), [(story.site_minute(m), s) for m, s in story.CHARGER_STEPS[name]],
            clock, story.SPEED, stop, handler.charger(name))) for name, evses in story.STATIONS.items()]
        end = story.site_minute(story.MINUTES)
        deadline = time.monotonic() + story.MINUTES * 60 / story.SPEED + 30  # a stalled camera cannot hold it forever
        while time.monotonic() < deadline:
            for decided in await asyncio.to_thread(story.settle_reviews, log, site.id, clock.now()):
                played.reviews.append(decided)
                handler.say(decided.bay, f"{story.REVIEWER} {decided.decision} the marginal read (review queue)")
            ended = all(camera.health().ended for camera in runner.cameras.values())
            if clock.now() >= end and ended:
                break
            await asyncio.sleep(0.2)
        else:
            played.problems.append("the footage did not finish playing in time")
        stop.set()
        for result in await asyncio.gather(*chargers):
            played.commands.update(result.commands)
            played.problems += [f"charger {result.station}: skipped {s}" for s in result.skipped]
            if result.error:
                played.problems.append(result.error)
    finally:
        stop.set()
        await runner.stop()
        events.removeHandler(handler)
        events.propagate = True
        events.setLevel(level)
    played.ended_at = clock.now()
    return played


def _evidence(demo: story.DemoSite, log: Any, now: float) -> tuple[Path | None, Path]:
    """Export the overstay's pack (else the first violation's) and check it with the public key alone."""
    from sqlalchemy import select

    from baytwin.core.store import schema
    from baytwin.core.store.evidence import export_pack
    from baytwin.core.store.evidence_check import verify_pack
    from baytwin.core.store.signing import Signer, load_public_key, signing_paths

    private, public = signing_paths(demo.key_file)
    with log.engine.connect() as conn:
        rows = conn.execute(select(schema.violations.c.violation_id, schema.violations.c.rule)
                            .order_by(schema.violations.c.opened_at)).all()
    if not rows:
        return None, public
    chosen = next((r for r in rows if r.rule == "overstay"), rows[0])
    pack = demo.folder / f"evidence-{chosen.rule.replace('_', '-')}.zip"
    export_pack(log, chosen.violation_id, pack, now, Signer.from_file(private))
    verify_pack(pack, load_public_key(public))  # raises, naming the problem, if the pack does not hold
    return pack, public


def _summary(demo: story.DemoSite, log: Any, site_id: str, played: Played, pack: Path | None, public: Path) -> None:
    """Print what happened, write it to summary.json, and exit 1 if the story did not play out."""
    from sqlalchemy import select

    from baytwin.core.store import schema

    with log.engine.connect() as conn:
        violations = Counter(conn.execute(select(schema.violations.c.rule)).scalars())
        actions = Counter(conn.execute(select(schema.actions.c.action)).scalars())
    reviews = [{"bay": r.bay, "decision": r.decision, "reviewer": r.reviewer} for r in played.reviews]
    summary = {"site": site_id, "minutes": story.MINUTES, "speed": story.SPEED, "wall_seconds": round(played.wall_s, 1),
               "violations": dict(violations), "actions": dict(actions), "charger_commands": dict(played.commands),
               "reviews": reviews, "evidence_pack": pack.name if pack else None, "pack_verified": pack is not None,
               "problems": played.problems}
    (demo.folder / "summary.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")

    def listed(counts: Counter[str]) -> str:
        return ", ".join(f"{kind} {n}" for kind, n in sorted(counts.items())) or "none"

    console.print(f"\n[bold]Half an hour of {site_id} in {played.wall_s:.0f} s[/]")
    console.print(f"violations: {listed(violations)}")
    console.print(f"actions: {listed(actions)}; commands to chargers: {listed(played.commands)}")
    console.print("reviews: " + (", ".join(f"{r['decision']} by {r['reviewer']} ({r['bay']})" for r in reviews) or "none"))
    if pack is not None:
        console.print(f"evidence pack: {pack} (verified with {public}: baytwin evidence verify {pack} --public-key {public})")
    console.print(f"results: {demo.folder} (site.yaml, site.db, summary.json, footage/)")
    console.print(f"Look at it: [bold]baytwin dashboard --site {demo.site_file}[/]")
    missing = [kind for kind in ("not_charging", "overstay") if not violations.get(kind)]
    if not reviews:
        missing.append("a review")
    for problem in played.problems:
        err_console.print(f"warning: {problem}", highlight=False)
    if missing:
        err_console.print(f"[bold red]error:[/] the story did not play out: no {', no '.join(missing)} "
                          "(a machine too busy to keep up with the footage?)", highlight=False)
        raise SystemExit(1)


class _ProgressLines(logging.Handler):
    """The site's events and the chargers' lines as they happen, stamped with site time; no plates in them."""

    def __init__(self, clock: Any, timezone: str) -> None:
        super().__init__(logging.INFO)
        self.clock, self.zone = clock, ZoneInfo(timezone)
        self._lock = threading.Lock()

    def say(self, who: str, what: str) -> None:
        stamp = datetime.fromtimestamp(self.clock.now(), self.zone).strftime("%H:%M")
        with self._lock:
            console.print(f"  {stamp}  {who:<4} {what}", highlight=False, markup=False)

    def charger(self, station: str):  # type: ignore[no-untyped-def]
        """The say() of one emulated charger: only what the central system asked of it."""
        def said(line: str) -> None:
            if line.startswith("central system:"):
                self.say(station, line.replace("central system:", "asked:", 1))
        return said

    def emit(self, record: logging.LogRecord) -> None:
        args = record.args if isinstance(record.args, tuple) else ()
        if record.levelno >= logging.WARNING:
            message = record.getMessage()
            ended = "stream ended" in message  # the footage is over, which is the story's end, not a fault
            self.say("site", "the footage ends; the camera's bays are unknown from here" if ended else f"warning: {message}")
            return
        if len(args) != 3 or not isinstance(args[0], str):
            return
        kind, bay, detail = (str(a) for a in args)
        if kind in _SAID:
            self.say(bay, _SAID[kind])
        elif kind == "vehicle_identified":
            self.say(bay, "identified by " + ("an operator's decision" if "review" in detail else "its plate"))
        elif kind == "plate_read" and "status=review" in detail:
            self.say(bay, f"plate read only marginally ({detail.split('confidence=')[-1]}): to the review queue")
        elif kind == "violation_opened":
            self.say(bay, f"VIOLATION {detail.removeprefix('rule=')}")
        elif kind == "action_taken":
            self.say(bay, f"action: {detail.removeprefix('action=')}")
