"""``baytwin live``: run a real site, see its state, settle marginal reads, replay its history."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any, Optional

import typer
from rich.markup import escape
from rich.table import Table

from baytwin.group import command_group
from baytwin.common import console, err_console, fail, failing_on, print_json
from baytwin.logs import LOG_FORMAT_OPTION, LOG_LEVEL_OPTION, LogFormat, LogLevel, configure_logging
from baytwin.tls import CERT_OPTION, TLS_KEY_OPTION, server_context
from baytwin.core.config_error import ConfigError

live_app = command_group(help="Run a real site on the shared core: cameras, chargers, rules, store.")
review_app = command_group(help="Marginal plate reads waiting for a person.")
live_app.add_typer(review_app, name="review")

SITE_OPTION = typer.Option(..., "--site", help="The site file (YAML).")
EXIT_DOWN, EXIT_DEGRADED = 1, 3  # live status: not running (or stale); running with a camera or charger missing


def load(site_file: Path):  # type: ignore[no-untyped-def]
    """The site and its store, or exit 2 with one line naming the file, field and problem."""
    from baytwin.core.privacy import KeyProblem, Keys
    from baytwin.core.store.database import StoreProblem, connect
    from baytwin.core.store.log import EventLog
    from baytwin.live.site import load_site

    with failing_on(ConfigError):
        site = load_site(site_file)
    key_file = site.resolve(site.spec.store.key_file) if site.spec.store.key_file else None
    if key_file is not None and not key_file.exists():
        raise fail(f"{site_file}: store.key_file: {key_file} does not exist (make one: baytwin keys generate --out FILE)")
    try:
        log = EventLog(connect(site.store_url()), Keys.from_environment(key_file), site.policy)
    except (KeyProblem, StoreProblem) as err:
        raise fail(f"{site_file}: store: {err}") from None
    return site, log


def check_cameras(site, timeout_s: float = 5.0) -> None:  # type: ignore[no-untyped-def]
    """Every camera must open once at start: a wrong URL or path is a set-up error, not a dropout."""
    import cv2

    for name in site.spec.cameras:
        source = site.camera_source(name)
        if isinstance(source, str) and "://" not in source and not source.isdigit() and not Path(source).exists():
            raise fail(f"{site.path}: cameras.{name}.source: file {source} does not exist")
        params = [cv2.CAP_PROP_OPEN_TIMEOUT_MSEC, int(timeout_s * 1000), cv2.CAP_PROP_READ_TIMEOUT_MSEC, int(timeout_s * 1000)]
        capture = cv2.VideoCapture(int(source) if str(source).isdigit() else str(source), cv2.CAP_ANY, params)
        try:
            ok = capture.isOpened() and capture.read()[0]
        finally:
            capture.release()
        if not ok:
            from baytwin.live.camera import masked

            raise fail(f"{site.path}: cameras.{name}.source: cannot open {masked(source)}")


@live_app.command("run")
def live_run(
    site_file: Path = SITE_OPTION,
    host: Optional[str] = typer.Option(None, envvar="BAYTWIN_LISTEN_HOST",
                                       help="Address chargers connect to (default: the site file's listen.host)."),
    port: Optional[int] = typer.Option(None, help="Port chargers connect to (default: the site file's listen.port)."),
    cert: Optional[Path] = CERT_OPTION,
    tls_key: Optional[Path] = TLS_KEY_OPTION,
    log_level: Optional[LogLevel] = LOG_LEVEL_OPTION,
    log_format: LogFormat = LOG_FORMAT_OPTION,
) -> None:
    """Run the site: the central system, the cameras, the rules engine and the store, until Ctrl-C or SIGTERM."""
    import asyncio
    import signal

    from baytwin.live.runner import LiveRunner

    configure_logging(log_level, log_format)
    context = server_context(cert, tls_key)
    site, log = load(site_file)
    check_cameras(site)
    from baytwin.core.ocr.recognizer import ModelProblem
    from baytwin.core.store.signing import SigningProblem

    with failing_on(ModelProblem, ConfigError, SigningProblem):
        runner = LiveRunner(site, log)
    bind_host = host or site.spec.listen.host

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        bound = await runner.start(bind_host, port if port is not None else site.spec.listen.port, context)
        scheme = "wss" if context else "ws"
        reader = runner.reader.identity()
        err_console.print(f"site {site.id} live: chargers on {scheme}://{bind_host}:{bound}/<charge point id>, "
                          f"{len(site.spec.cameras)} camera(s), plates read with {reader['model']} (sha256 "
                          f"{reader['sha256']}…, accepted from {reader['accept_at']}); Ctrl-C stops",
                          highlight=False, soft_wrap=True)
        try:
            await stop.wait()
        finally:
            await runner.stop()

    try:
        asyncio.run(main())
    except OSError as err:
        raise fail(f"cannot listen on {bind_host}:{port or site.spec.listen.port}: {err.strerror or err}") from None
    err_console.print(f"stopped cleanly: {runner.counts['events']:,} events stored this run", highlight=False)


@live_app.command("status")
def live_status(
    site_file: Path = SITE_OPTION,
    as_json: bool = typer.Option(False, "--json", help="Print the status as one JSON object."),
) -> None:
    """Bay states, open sessions, open violations, camera health and pending reviews.

    Exits 0 when the site is ok, 1 when it is down (not running, or its status is stale) and 3 when it is
    degraded (a camera or a listed charger not connected), so a monitoring script needs only the exit code."""
    from baytwin.live.status import site_overview

    site, log = load(site_file)
    overview = site_overview(log, site.id, time.time(), site.csms.stations)
    health = overview["health"]
    code = {"ok": 0, "down": EXIT_DOWN}.get(health["status"], EXIT_DEGRADED)
    if as_json:
        print(json.dumps(overview, default=str, indent=2))
        raise typer.Exit(code)
    state = "[green]running[/]" if overview["running"] else "[yellow]not running[/]"
    console.print(f"site [bold]{site.id}[/]: {state}; chargers connected: {', '.join(overview['chargers_connected']) or 'none'}; "
                  f"reviews pending: {overview['reviews_pending']}")
    bays = Table("bay", "state", "since", "charging", "camera/source", title="bays")
    for bay in site.bays():
        b = overview["bays"].get(bay, {})
        bays.add_row(bay, "occupied" if b.get("occupied") else "free", _when(b.get("since")),
                     f"{b.get('current_a', 0):.0f} A" if b.get("locked") else "-",
                     (b.get("source") or "-") + (" (EVSE unavailable)" if b.get("unavailable") else ""))
    console.print(bays)
    sessions = Table("session", "bay", "state", "started", "kWh", title="open sessions")
    for s in overview["open_sessions"]:
        sessions.add_row(s["session_id"], s["bay"], s["state"], _when(s["started_at"]), f"{s['energy_kwh']:.2f}")
    console.print(sessions)
    violations = Table("violation", "bay", "rule", "since", "minutes", title="open violations")
    for v in overview["open_violations"]:
        violations.add_row(v["violation_id"], v["bay"], v["rule"], _when(v["since"]), f"{v['minutes_so_far']:.0f}")
    console.print(violations)
    cameras = Table("camera", "connected", "fps", "last frame", "reconnects", "error", title="cameras")
    for name, h in overview["cameras"].items():
        age = h.get("last_frame_age_s")
        cameras.add_row(name, "yes" if h.get("connected") else "no", f"{h.get('fps', 0):.1f}",
                        "-" if age is None else f"{age:.1f} s ago", str(h.get("reconnects", 0)), h.get("error") or "")
    console.print(cameras)
    barriers = overview.get("barriers")
    if barriers:
        console.print("barriers: " + ", ".join(f"{name.replace('_', ' ')} {value}" for name, value in barriers.items()),
                      highlight=False)
    if health["status"] == "degraded":  # down is the "not running" above
        console.print("[yellow]degraded[/]: " + escape("; ".join(health["problems"])), highlight=False)
    raise typer.Exit(code)


@review_app.command("list")
def review_list(
    site_file: Path = SITE_OPTION,
    crops: Optional[Path] = typer.Option(None, "--crops", help="Folder to write each pending read's crop to (PNG)."),
    as_json: bool = typer.Option(False, "--json", help="Print the reads as a JSON list (plates in clear text)."),
) -> None:
    """Pending marginal reads, oldest first (with their crops, if asked)."""
    from baytwin.live.review import pending

    site, log = load(site_file)
    waiting = pending(log, site.id)
    if crops is not None:
        crops.mkdir(parents=True, exist_ok=True)
    rows: list[dict[str, Any]] = []
    for read in waiting:
        crop_file = None
        if crops is not None and read.crop_png:
            target = crops / f"read-{read.seq}.png"
            target.write_bytes(read.crop_png)
            crop_file = str(target)
        rows.append({"read": read.seq, "bay": read.bay, "ts": read.ts, "plate": read.plate,
                     "confidence": read.confidence, "crop": crop_file})
    if as_json:
        print_json(rows)
        return
    table = Table("read", "bay", "time", "read as", "confidence", "crop", title=f"{len(waiting)} read(s) to review")
    for row in rows:
        table.add_row(str(row["read"]), row["bay"], _when(row["ts"]), row["plate"] or "?", f"{row['confidence']:.2f}",
                      row["crop"] or "-")
    console.print(table)


@review_app.command("resolve")
def review_resolve(
    read: int = typer.Argument(..., help="The read's number (from `baytwin live review list`)."),
    site_file: Path = SITE_OPTION,
    confirm: bool = typer.Option(False, "--confirm", help="The read is right."),
    plate: Optional[str] = typer.Option(None, "--plate", help="The right plate, as read from the crop."),
    reject: bool = typer.Option(False, "--reject", help="No plate can be read from the crop."),
    by: str = typer.Option(..., "--by", help="Who decides (kept in the audit trail)."),
) -> None:
    """Settle one marginal read: confirm it, correct it, or reject it."""
    from baytwin.live.review import ReviewProblem, resolve

    chosen = [name for name, given in (("--confirm", confirm), ("--plate", plate is not None), ("--reject", reject)) if given]
    if len(chosen) != 1:
        raise fail("give exactly one of --confirm, --plate PLATE, --reject")
    decision = {"--confirm": "confirmed", "--plate": "corrected", "--reject": "rejected"}[chosen[0]]
    site, log = load(site_file)
    with failing_on(ReviewProblem):
        event = resolve(log, site.id, read, decision, plate, by, time.time())
    console.print(f"read {read} {decision}" + (f" as {event.plate}" if event.plate else "") + f" by {event.reviewer}")


@review_app.command("export")
def review_export(
    site_file: Path = SITE_OPTION,
    out: Path = typer.Option(..., "--out", "-o", help="Folder for the crops (images/) and labels.csv."),
) -> None:
    """Every confirmed or corrected read's crop with its plate, as a labelled folder for `ocr eval` and
    `ocr train --labelled` (rejected reads are left out). The plates are in clear text: personal data."""
    from baytwin.live.review_export import export_reviewed

    site, log = load(site_file)  # the key unseals the plates and crops: no key, no export
    done = export_reviewed(log, site.id, out)
    console.print(f"{done.crops} reviewed crop(s) and their plates -> {done.labels} (left out: {done.rejected} rejected, "
                  f"{done.erased} erased by retention); measure a model on them: baytwin ocr eval --images {out} --out DIR",
                  highlight=False, soft_wrap=True)
    err_console.print(f"{out} holds plates in clear text, which is personal data: keep it as safe as the store and "
                      "delete it when done", highlight=False, soft_wrap=True)


@live_app.command("replay")
def live_replay(
    db: str = typer.Option(..., "--db", help="The live site's database URL."),
    out: Path = typer.Option(..., "--out", "-o", help="Folder for scenario.yaml and visits.parquet/csv."),
    site_id: Optional[str] = typer.Option(None, "--site-id", help="Which site (default: the only one in the database)."),
    site_file: Optional[Path] = typer.Option(None, "--site", help="The site file: its time zone and policy go into the scenario."),
) -> None:
    """Turn a recorded live site into a twin scenario (arrivals, stays, energy; identities stay hashed)."""
    from baytwin.core.store.database import StoreProblem, connect
    from baytwin.live.replay import sites_in, write_replay

    with failing_on(StoreProblem):
        engine = connect(db)
    sites = sites_in(engine)
    timezone, policy, bays = "UTC", None, None
    if site_file is not None:
        from baytwin.live.site import load_site

        with failing_on(ConfigError):
            site = load_site(site_file)
        site_id = site_id or site.id
        timezone, policy, bays = site.spec.site.timezone, site.policy.model_dump(mode="json"), site.bays()
    if site_id is None:
        if len(sites) != 1:
            raise fail(f"the database holds {len(sites)} sites ({', '.join(sites) or 'none'}); name one with --site-id")
        site_id = sites[0]
    if site_id not in sites:
        raise fail(f"site {site_id!r} is not in the database (it has: {', '.join(sites) or 'none'})")
    with failing_on(ValueError):
        report: dict[str, Any] = write_replay(engine, site_id, out, timezone, policy, bays)
    console.print(f"{report['visits']} visits ({report['complete']} complete, {report['identified']} identified) "
                  f"-> [bold]{out / 'scenario.yaml'}[/]; try it: baytwin sim run {out / 'scenario.yaml'} --out runs/replay")


def _when(ts: float | None) -> str:
    if ts is None:
        return "-"
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(float(ts)))
