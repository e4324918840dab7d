"""``baytwin demo``: the README's first command, the demo scenarios end to end."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from baytwin.commands.records import keys_generate
from baytwin.common import (
    DEMO_SCENARIOS,
    check_days,
    check_out_folder,
    console,
    fail,
    open_store,
    run_one,
    summary_table,
    write_comparison,
)

# --- demo --------------------------------------------------------------------------------


def demo(
    out: Optional[Path] = typer.Option(None, "--out", "-o", help="Folder for the demo's results "
                                       "(default: runs/demo, or runs/live-demo with --live)."),
    days: Optional[float] = typer.Option(None, help="Days to simulate (default: each scenario's)."),
    live: bool = typer.Option(False, "--live", help="Instead: a live site on rendered footage and emulated chargers, "
                              "half an hour of site time in about half a minute."),
) -> None:
    """Run the demo: the workplace garage without and with enforcement, compared; the enforced run's
    log kept in a demo store, its chain verified and one violation's evidence pack exported.

    With --live: the live mode end to end (camera, reader, chargers, rules, review queue, store, evidence)."""
    import time

    if live:
        if days is not None:
            raise fail("--days: the live demo's half hour is fixed; --days is for the twin's demo")
        from baytwin.commands.demo_live import demo_live

        demo_live(out or Path("runs/live-demo"))
        return
    out = out or Path("runs/demo")

    import pandas as pd

    from baytwin.core.store.evidence import export_pack
    from baytwin.core.store.signing import Signer, signing_paths
    from baytwin.core.store.verify import verify

    check_days(days)
    check_out_folder(out)
    out.mkdir(parents=True, exist_ok=True)
    key_file, db_file = out / "demo.key", out / "store.db"
    for stale in (db_file, db_file.with_name("store.db-wal"), db_file.with_name("store.db-shm")):
        stale.unlink(missing_ok=True)  # the demo's own store starts afresh each time
    if not key_file.exists():
        keys_generate(key_file)
    signing_key, public_key = signing_paths(key_file)
    if not signing_key.exists():  # a demo folder from before packs were signed
        public_key.unlink(missing_ok=True)
        Signer.generate().save(signing_key, public_key)
    store = (f"sqlite:///{db_file}", key_file)
    summaries = {}
    for name in DEMO_SCENARIOS:
        run_dir = out / name.replace("/", "-")
        summaries[name.split("/")[-1]] = run_one(name, run_dir, None, days, {}, store if name.endswith("enforced") else None)
    console.print(summary_table(summaries))
    write_comparison(summaries, out / "compare.csv")

    log = open_store(*store)
    audit = verify(log.engine)
    violations = pd.read_parquet(out / "workplace-garage-enforced" / "violations.parquet")
    detected = violations.violation_id.dropna()
    lines = [
        f"\nResults in [bold]{out}[/]: one folder per scenario (summary.json, scenario.json, Parquet tables),"
        " compare.csv side by side.",
        f"Event log of the enforced run: {db_file} ({audit.rows:,} rows, chain {'intact' if audit.intact else 'BROKEN'});"
        f" personal data sealed with {key_file}.",
    ]
    if len(detected):
        pack = out / "evidence-example.zip"
        export_pack(log, str(detected.iloc[0]), pack, time.time(), Signer.from_file(signing_key))
        lines.append(f"Evidence pack for violation {detected.iloc[0]}: {pack} (check it: baytwin evidence verify {pack}"
                     f" --public-key {public_key})")
    lines.append(f"See them in the browser: [bold]baytwin dashboard --runs {out}[/]")
    for line in lines:
        console.print(line)
