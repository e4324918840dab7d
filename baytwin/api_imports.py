"""What the Python API imports on first use, and how it says that an optional part is missing.

``import baytwin`` loads none of this (the command line imports the package too, and must start fast);
each function brings what it needs when called. A module an optional part of the install brings (an
"extra": the plate reader's OpenCV, the sweeps' Dask) is named with how to install it, in one line.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from types import ModuleType


def twin_runner() -> ModuleType:
    """``baytwin.sim.runner``, imported on first use. Mesa, imported with it, brings a progress bar for its
    batch runner that warns in a notebook without ipywidgets; baytwin never shows that bar, so the warning
    would only puzzle the reader."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="IProgress not found")
        from baytwin.sim import runner
    return runner


@contextmanager
def needing(what: str) -> Iterator[None]:
    """A module of an optional part of the install that is missing is named with how to install it, in the
    command line's one line (baytwin/extras.py), rather than as an import's traceback from deep inside."""
    from baytwin.extras import extra_for, message

    try:
        yield
    except ModuleNotFoundError as err:
        extra = extra_for(err.name)
        if extra is None:
            raise
        raise ModuleNotFoundError(message(what, extra), name=err.name) from None
