"""Checkpoints on a timer, for long-running services (``live run``, ``csms serve``).

A checkpoint only protects what it anchors; a site that runs for months needs one every so
often without anybody running ``baytwin audit checkpoint``. A service starts this beside its
other tasks, with the site's signing key and a folder outside the database.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Callable

from sqlalchemy import Engine

from baytwin.core.store.checkpoint import write_checkpoints
from baytwin.core.store.signing import Signer

LOG = logging.getLogger("baytwin.store.checkpoints")


async def checkpoint_periodically(engine: Engine, signer: Signer, out_dir: Path, clock_now: Callable[[], float],
                                  every_s: float = 3600.0, stop: asyncio.Event | None = None) -> None:
    """Anchor every site's head now and then every ``every_s`` seconds until ``stop`` is set.

    A failure (the folder unreachable, a head that disagrees with its log) is logged and retried:
    it must not stop the service, and the audit reports what it means.
    """
    stop = stop or asyncio.Event()
    while not stop.is_set():
        try:
            written = await asyncio.to_thread(write_checkpoints, engine, signer, out_dir, clock_now())
            LOG.info("checkpoint: %d site head(s) anchored in %s", len(written), out_dir)
        except Exception as err:  # noqa: BLE001 - retried on the next tick; the audit names any lasting problem
            LOG.warning("checkpoint failed, will retry: %s", err)
        try:
            await asyncio.wait_for(stop.wait(), every_s)
        except TimeoutError:
            pass
