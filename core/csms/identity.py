"""Whether a string may be a charging station's identity, the last segment of its websocket URL.

The identity comes from whoever connects, before any authentication, and then
travels far: into log lines, the store, dashboards, file names and the HTTP
Basic user name it is checked against. OCPP fixes its shape: at most 48
characters of OCPP 2.0.1's ``identifierString`` set (letters, digits and
``* - _ = + | @ .``), so that it can be put into a URL without percent
encoding. This module holds that rule in one pure function, which the server
applies to the path before it looks a station up and the site loader applies
to the stations a site file declares.

Three further choices, each for a reason:

* ``:`` is refused although ``identifierString`` allows it: HTTP Basic ends
  the user name at the first colon, so a station whose id holds one could
  never authenticate as itself (OCPP 2.0.1 security profile 1 forbids it in
  the identity for that reason);
* ``%`` is refused, so ``%2e%2e%2f`` cannot become ``../`` in whatever
  decodes it later;
* ``.`` is allowed (``CP.01`` is common), but never two in a row and never
  as the whole id, so no id reads as a path step.
"""

from __future__ import annotations

import re

#: OCPP 2.0.1 (part 2, Security, A00.FR.205; part 4, 3.2): the identity is at most 48 characters.
MAX_LENGTH = 48

_ALLOWED = re.compile(r"[A-Za-z0-9*\-_=+|@.]{1,%d}" % MAX_LENGTH)


def valid_station_id(s: object) -> bool:
    """True if ``s`` may name a charging station: 1-48 of ``A-Z a-z 0-9 * - _ = + | @ .``, no ``..``,
    not ``.`` alone. Anything else (a ``/``, ``%``, ``:``, a space, ``<``, a control or non-ASCII character,
    a non-string) is False; the caller refuses the connection or the file."""
    if not isinstance(s, str) or _ALLOWED.fullmatch(s) is None:
        return False
    return ".." not in s and s != "."
