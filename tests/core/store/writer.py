"""A writer process for the crash and concurrency tests: appends batches and acknowledges each.

    python -m tests.core.store.writer URL KEY SITE BATCHES BATCH_SIZE

After every committed batch it prints ``acked <last seq>`` and flushes, so the
parent knows exactly what was acknowledged when it kills the process.
"""

from __future__ import annotations

import sys

from baytwin.core.events import SessionActive
from baytwin.core.privacy import Keys
from baytwin.core.store.database import connect
from baytwin.core.store.log import EventLog


def main(url: str, key: str, site: str, batches: int, size: int) -> None:
    log = EventLog(connect(url), Keys.from_text(key, "argv"))
    for b in range(batches):
        events = [SessionActive(float(b * size + i), site, f"EV{i % 7:03d}", f"s{b}", float(i), 16.0) for i in range(size)]
        last = log.append(events)[-1]
        print(f"acked {last.seq}", flush=True)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]))
