"""Ctrl-C while worker processes run: the command stops them, they do not each shout about it.

A terminal sends Ctrl-C to every process of the job, so Dask's workers and a portfolio's processes
would each raise KeyboardInterrupt and print a traceback while this process is already shutting them
down. Here they ignore the interrupt (the command alone answers it), and the libraries that report a
worker's end are quietened while the command stops, so the user sees the command's one line.
"""

from __future__ import annotations

import logging
import os
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

#: loggers that report workers going away (closed comms, cancelled tasks) while a cluster stops
SHUTDOWN_LOGGERS = ("distributed", "tornado", "asyncio", "bokeh")


@contextmanager
def interrupts_for_this_process_only(stop_children: bool = False) -> Iterator[None]:
    """While inside, Ctrl-C raises KeyboardInterrupt in this process only: processes forked inside inherit the
    handler below, which ignores it in any other process. With ``stop_children`` the interrupt first ends this
    process's worker processes (a process pool waits for its running tasks before it lets go, so a run of
    hours would hold Ctrl-C for hours); without, whoever started them stops them (a Dask cluster does)."""
    owner = os.getpid()

    def interrupt(signum: int, frame: FrameType | None) -> None:
        if os.getpid() != owner:
            return
        if stop_children:
            import multiprocessing

            for child in multiprocessing.active_children():
                child.terminate()
        raise KeyboardInterrupt

    try:
        previous = signal.signal(signal.SIGINT, interrupt)
    except ValueError:  # not the main thread (a test runner's worker thread): leave signals alone
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


@contextmanager
def ignoring_interrupts() -> Iterator[None]:
    """Ctrl-C ignored while inside: processes spawned here (not forked) start ignoring it too."""
    try:
        previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    except ValueError:
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


@contextmanager
def quiet_if_interrupted() -> Iterator[None]:
    """On KeyboardInterrupt, silence the loggers that would report the workers' shutdown, then let it go on."""
    try:
        yield
    except KeyboardInterrupt:
        for name in SHUTDOWN_LOGGERS:
            logging.getLogger(name).setLevel(logging.CRITICAL + 1)
        raise
