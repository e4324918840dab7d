"""A server's port: free before it is started, and listening before its address is announced.

``baytwin dashboard`` starts Streamlit in a process of its own. Announcing the URL at once would send a
user to a page that is not there yet, or, when the port is taken, to another program's page while
Streamlit fails behind it; so the port is tried first, and the URL is said once something answers on it.
"""

from __future__ import annotations

import errno
import socket
import time
from collections.abc import Callable


class PortProblem(Exception):
    """The port cannot be listened on; ``str(err)`` is the one line for the user."""


def check_port_free(host: str, port: int) -> None:
    """Bind ``host:port`` once and let go; a PortProblem naming why when that fails (in use, no such address,
    no permission)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as servers do: a closed port in TIME_WAIT is free
        try:
            probe.bind((host, port))
        except OSError as err:
            reason = "already in use (another dashboard? pass --port)" if err.errno == errno.EADDRINUSE else \
                err.strerror or str(err)
            raise PortProblem(f"--port {port}: cannot listen on {host}:{port}: {reason}") from None
        except (socket.gaierror, OverflowError, UnicodeError) as err:
            raise PortProblem(f"--host {host}: not an address of this machine ({err})") from None


def wait_until_listening(host: str, port: int, alive: Callable[[], bool], timeout_s: float = 120.0,
                         every_s: float = 0.1) -> bool:
    """True once something accepts connections on ``host:port``; False if ``alive()`` turns false first (the
    server gave up) or ``timeout_s`` passes."""
    target = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(host, host)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline and alive():
        try:
            with socket.create_connection((target, port), timeout=every_s):
                return True
        except OSError:
            time.sleep(every_s)
    return False
