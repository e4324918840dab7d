"""``baytwin csms command``: an operator's command to a charger, through the store, answered by the running site."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from baytwin.common import DB_OPTION, KEY_OPTION, console, fail, open_store


def csms_command(
    station: str = typer.Argument(..., help="The charge point's id."),
    action: str = typer.Argument(..., help="remote-start, remote-stop, unlock, availability, reset or trigger."),
    operator: str = typer.Option(..., "--operator", help="Who asks (recorded in the audit log)."),
    evse: Optional[int] = typer.Option(None, "--evse", help="EVSE (1.6: connector) number; 0 or none: the whole charger."),
    id_token: Optional[str] = typer.Option(None, "--id-token", help="remote-start: the id token to start with."),
    transaction: Optional[str] = typer.Option(None, "--transaction", help="remote-stop: the transaction id "
                                              "(or give --evse)."),
    operative: Optional[bool] = typer.Option(None, "--operative/--inoperative", help="availability: what to make it."),
    message: Optional[str] = typer.Option(None, "--message", help="trigger: the message to ask for "
                                          "(StatusNotification, MeterValues …); reset: Soft/Hard (1.6), OnIdle/Immediate (2.0.1)."),
    site_id: Optional[str] = typer.Option(None, "--site-id", help="The site (default: the only site in the store)."),
    timeout: float = typer.Option(30.0, "--timeout", min=1.0, help="Seconds to wait for the answer."),
    db: Optional[str] = DB_OPTION,
    key_file: Optional[Path] = KEY_OPTION,
) -> None:
    """Ask a charger to act; the running central system sends it and the answer is printed. Exit 0: accepted,
    1: rejected, not connected or no answer, 2: bad input."""
    import time

    from baytwin.core.csms.operator_commands import SUCCESS, CommandProblem, build, request, wait_for_answer

    log = open_store(db, key_file)
    site = site_id or _only_site(log)
    try:
        asked = build(site, station, action, operator, time.time(), timeout, evse=evse, id_token=id_token,
                      transaction_id=transaction, operative=operative, message=message)
    except CommandProblem as err:
        raise fail(str(err)) from None
    seq = request(log, asked)
    console.print(f"{station} {action}: asked as command #{seq} by {asked.operator}; waiting up to {timeout:g} s",
                  highlight=False, markup=False)
    answer = wait_for_answer(log, site, seq, timeout)
    if answer is None:
        raise fail(f"{station} {action}: no answer within {timeout:g} s (is csms serve or live run running "
                   f"for site {site} on this store?)", code=1)
    detail = f" ({answer.detail})" if answer.detail else ""
    console.print(f"{station} {action}: {answer.status}{detail}", highlight=False, markup=False)
    if answer.status not in SUCCESS:
        raise typer.Exit(1)


def _only_site(log) -> str:  # type: ignore[no-untyped-def]
    """The store's one site; with none or several, the operator must say which."""
    from sqlalchemy import select

    from baytwin.core.store import schema

    with log.engine.connect() as conn:
        sites = sorted(conn.execute(select(schema.chain_heads.c.site)).scalars())
    if len(sites) == 1:
        return str(sites[0])
    if not sites:
        raise fail("the store holds no site yet: name it with --site-id (csms serve without a site file uses 'site')")
    raise fail(f"the store holds sites {', '.join(sites)}: name one with --site-id")
