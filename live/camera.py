"""A camera on a real site: frames grabbed on a thread of their own, reconnection, and health.

OpenCV opens whatever a site has: an RTSP or HTTP (MJPEG) URL, a USB camera
by index, or a video file (for tests and for replaying footage). Grabbing
runs on its own thread so a slow consumer never stalls the stream; the
consumer takes the latest frame (older ones are dropped, as a live reader
must). When a stream drops, the camera is reopened with exponential backoff
and the drop is counted; a video file that ends simply ends.

Frames stay in memory. Nothing here writes an image anywhere.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote

import cv2
import numpy as np

LOG = logging.getLogger("baytwin.live.camera")


@dataclass(frozen=True, slots=True)
class Frame:
    image: np.ndarray  # RGB uint8
    ts: float  # wall-clock seconds when grabbed (or the file's own time, for a video file)
    seq: int


@dataclass(frozen=True, slots=True)
class Health:
    camera: str
    connected: bool
    ended: bool
    fps: float
    last_frame_age_s: float | None
    frames: int
    reconnects: int
    error: str | None


#: Query or fragment parameters whose value is a secret: password, pass, passwd, pwd, token, access_token, key,
#: api_key, secret, auth, authorization, signature, sig, X-Amz-Signature, X-Amz-Credential, session, cookie …
_SECRET_PARAMETER = re.compile(r"pass|pwd|token|key|secret|auth|sig|credential|session|cookie", re.IGNORECASE)


def masked(source: str | int) -> str:
    """A camera source fit for logs and errors: a URL's user and password, and the value of every query
    parameter named like a secret, replaced by ``***``.

    Camera URLs carry credentials in two places: ``rtsp://user:pass@host/…`` and ``http://host/mjpg?pwd=…``.
    Where the credentials end follows ``urllib.parse`` (and ffmpeg, which opens the stream): the authority
    runs to the first ``/``, ``?`` or ``#``, and within it the *last* ``@`` separates the credentials from the
    host, so a password holding ``@`` is hidden whole. A password holding an unencoded ``/`` cannot work, but
    is hidden too rather than shown in part."""
    text = str(source)
    if "://" not in text:
        return text  # a device index or a file path
    scheme, rest = text.split("://", 1)
    authority, tail = _split_authority(rest)
    if "@" in authority:
        authority = "***@" + authority.rpartition("@")[2]
    elif "@" in tail and ":" in authority and not authority.rpartition(":")[2].isdigit():
        # "user:pa/ss@host": not a port after the colon, so the part up to the last "@" is credentials
        authority, tail = _split_authority("***@" + tail.rpartition("@")[2])
    return f"{scheme}://{authority}{_masked_parameters(tail)}"


def _split_authority(rest: str) -> tuple[str, str]:
    """``rest`` (a URL after ``scheme://``) split where urllib ends the authority: the first / ? or #."""
    end = min((i for i in (rest.find(c) for c in "/?#") if i >= 0), default=len(rest))
    return rest[:end], rest[end:]


def _masked_parameters(tail: str) -> str:
    """The path, with the value of each query and fragment parameter named like a secret replaced by ***."""
    def hide(part: str) -> str:
        pieces = []
        for item in re.split(r"([&;])", part):
            name, equals, _value = item.partition("=")
            if equals and _SECRET_PARAMETER.search(unquote(name)):
                item = f"{name}=***"
            pieces.append(item)
        return "".join(pieces)

    tail, hash_, fragment = tail.partition("#")
    path, question, query = tail.partition("?")
    return path + question + hide(query) + hash_ + hide(fragment)


def open_capture(source: str | int) -> cv2.VideoCapture:
    """A VideoCapture for a URL, a device index (an int or a string of digits) or a file path."""
    if isinstance(source, int) or (isinstance(source, str) and source.isdigit()):
        return cv2.VideoCapture(int(source))
    return cv2.VideoCapture(str(source))


class Camera:
    def __init__(self, name: str, source: str | int, *, realtime: bool = True, backoff_s: float = 0.5,
                 max_backoff_s: float = 30.0, clock=time.time) -> None:  # type: ignore[no-untyped-def]
        self.name, self.source = name, source
        self.is_file = isinstance(source, str) and not source.isdigit() and "://" not in source
        self.realtime = realtime  # files: play at their own frame rate (False: as fast as they decode)
        self.backoff_s, self.max_backoff_s = backoff_s, max_backoff_s
        self.clock = clock
        self._latest: Frame | None = None
        self._lock = threading.Lock()
        self._new = threading.Condition(self._lock)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._frames = self._reconnects = 0
        self._connected = self._ended = False
        self._error: str | None = None
        self._fps = 0.0
        self._last_ts: float | None = None

    # --- lifecycle ----------------------------------------------------------------------------------------

    def start(self) -> Camera:
        self._thread = threading.Thread(target=self._run, name=f"camera-{self.name}", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        with self._new:
            self._new.notify_all()
        if self._thread is not None:
            self._thread.join(timeout=10)

    # --- what consumers see ----------------------------------------------------------------------------------

    def latest(self) -> Frame | None:
        with self._lock:
            return self._latest

    def wait_for(self, after_seq: int, timeout_s: float) -> Frame | None:
        """The first frame newer than ``after_seq``, waiting up to ``timeout_s``; None on timeout or end."""
        deadline = time.monotonic() + timeout_s
        with self._new:
            while not self._stop.is_set():
                if self._latest is not None and self._latest.seq > after_seq:
                    return self._latest
                if self._ended:
                    return None
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return None
                self._new.wait(remaining)
        return None

    def health(self) -> Health:
        with self._lock:
            age = None if self._last_ts is None else max(0.0, self.clock() - self._last_ts)
            return Health(self.name, self._connected, self._ended, round(self._fps, 2), age, self._frames,
                          self._reconnects, self._error)

    # --- the grabbing thread ------------------------------------------------------------------------------------

    def _run(self) -> None:
        backoff = self.backoff_s
        opened_once = False
        while not self._stop.is_set():
            if self.is_file and not Path(str(self.source)).exists():
                capture = None
            else:
                capture = open_capture(self.source)
            if capture is None or not capture.isOpened():
                self._set(connected=False, error=f"cannot open {masked(self.source)}")
                if capture is not None:
                    capture.release()
                self._stop.wait(backoff)
                backoff = min(backoff * 2, self.max_backoff_s)
                continue
            if opened_once:
                with self._lock:
                    self._reconnects += 1
                LOG.info("camera %s reconnected", self.name)
            opened_once = True
            backoff = self.backoff_s
            self._set(connected=True, error=None)
            ended = self._grab(capture)
            capture.release()
            if self._stop.is_set():  # asked to stop: not a dropped stream
                self._set(connected=False, error=None)
                return
            if ended:
                with self._new:
                    self._ended, self._connected = True, False
                    self._new.notify_all()
                return
            self._set(connected=False, error=f"stream from {masked(self.source)} dropped")
            LOG.warning("camera %s: stream dropped; reconnecting", self.name)

    def _grab(self, capture: cv2.VideoCapture) -> bool:
        """Read until the stream fails (returns False) or a file ends (returns True)."""
        file_fps = capture.get(cv2.CAP_PROP_FPS) if self.is_file else 0.0
        started = time.monotonic()
        index = 0
        while not self._stop.is_set():
            ok, bgr = capture.read()
            if not ok or bgr is None:
                return self.is_file
            if self.is_file and self.realtime and file_fps > 0:
                delay = started + index / file_fps - time.monotonic()
                if delay > 0:
                    self._stop.wait(delay)
            index += 1
            now = self.clock()
            frame = Frame(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB), now, self._frames + 1)
            with self._new:
                if self._last_ts is not None and now > self._last_ts:
                    self._fps = 0.9 * self._fps + 0.1 * (1.0 / (now - self._last_ts)) if self._fps else 1.0 / (now - self._last_ts)
                self._latest, self._last_ts = frame, now
                self._frames += 1
                self._new.notify_all()
        return False

    def _set(self, *, connected: bool, error: str | None) -> None:
        with self._lock:
            self._connected, self._error = connected, error
