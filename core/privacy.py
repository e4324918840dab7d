"""Keys for personal data: keyed plate hashes and encryption at rest.

Plates and charging id tokens are personal data. Wherever the raw string is
not needed the store keeps a keyed hash (HMAC-SHA256 with a per-site secret,
:func:`core.plates.plate_hash`); where it is needed (evidence, a data-subject
access request) it is encrypted (Fernet: AES-128-CBC + HMAC). Both keys derive
from one master key that lives in a key file or an environment variable,
never in the database.

    BAYTWIN_KEY=<key>          the master key itself, or
    BAYTWIN_KEY_FILE=<path>    a file holding it (``baytwin keys generate``)
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet, InvalidToken

from baytwin.core.plates import sanitize


class KeyProblem(Exception):
    """The key is missing, unreadable or not the one the data was sealed with."""


def generate_key() -> str:
    return Fernet.generate_key().decode("ascii")


def write_new_key(path: Path) -> str:
    """Create the key file ``path`` with a new key (mode 600) and return the key; its folder is made if missing.

    A user who types ``--out keys/site.key`` expects the file, not an error about a missing folder. An existing
    file is never overwritten: data sealed with the key in it would be lost. Every failure is a KeyProblem
    naming the path."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as err:  # a file where a folder should be, or no permission
        raise KeyProblem(f"{path}: cannot create the key file's folder ({err.strerror or err})") from None
    except ValueError:
        raise KeyProblem(f"{path!r}: not a usable path (it contains a NUL byte)") from None
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise KeyProblem(f"{path}: already exists; refusing to overwrite a key (data sealed with it would be lost)") from None
    except OSError as err:
        raise KeyProblem(f"{path}: cannot create the key file ({err.strerror or err})") from None
    except ValueError:  # a NUL byte in the path
        raise KeyProblem(f"{path!r}: not a usable path (it contains a NUL byte)") from None
    key = generate_key()
    with os.fdopen(fd, "w") as handle:
        handle.write(key + "\n")
    return key


def _derive(master: bytes, purpose: str) -> bytes:
    return hmac.new(master, purpose.encode("utf-8"), hashlib.sha256).digest()


@dataclass
class Keys:
    """Derived keys for one installation; ``site_secret`` gives each site its own hash key."""

    master: bytes
    _fernet: Fernet = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._fernet = Fernet(base64.urlsafe_b64encode(_derive(self.master, "baytwin/encrypt")))

    @classmethod
    def from_text(cls, text: str, where: str) -> "Keys":
        text = text.strip()
        try:
            raw = base64.urlsafe_b64decode(text.encode("ascii"))
        except (ValueError, UnicodeEncodeError):
            raw = b""
        if len(raw) != 32:
            raise KeyProblem(f"{where}: not a baytwin key (expected 32 bytes, base64; make one with 'baytwin keys generate')")
        return cls(raw)

    @classmethod
    def from_file(cls, path: Path) -> "Keys":
        try:
            return cls.from_text(path.read_text(encoding="ascii"), str(path))
        except FileNotFoundError:
            raise KeyProblem(f"{path}: key file not found") from None
        except (OSError, UnicodeDecodeError) as err:
            raise KeyProblem(f"{path}: cannot read key file ({err})") from None

    @classmethod
    def from_environment(cls, key_file: Path | None = None) -> "Keys":
        """The key from ``key_file``, else ``BAYTWIN_KEY``, else ``BAYTWIN_KEY_FILE``."""
        if key_file is not None:
            return cls.from_file(key_file)
        if os.environ.get("BAYTWIN_KEY"):
            return cls.from_text(os.environ["BAYTWIN_KEY"], "BAYTWIN_KEY")
        if os.environ.get("BAYTWIN_KEY_FILE"):
            return cls.from_file(Path(os.environ["BAYTWIN_KEY_FILE"]))
        raise KeyProblem("no key: pass --key-file, or set BAYTWIN_KEY_FILE or BAYTWIN_KEY (make one with 'baytwin keys generate')")

    @property
    def fingerprint(self) -> str:
        """Names the key without revealing it, so a store can tell it is opened with the right one."""
        return _derive(self.master, "baytwin/fingerprint").hex()[:16]

    def site_secret(self, site: str) -> bytes:
        return _derive(self.master, f"baytwin/site/{site}")

    def subject(self, site: str, identifier: str | None) -> str | None:
        """Keyed hash of a plate or token at a site: stable, not reversible without the key."""
        if not identifier:
            return None
        text = sanitize(identifier) or identifier
        return hmac.new(self.site_secret(site), text.encode("utf-8"), hashlib.sha256).hexdigest()[:32]

    def seal(self, data: Any) -> str:
        return self._fernet.encrypt(json.dumps(data, separators=(",", ":")).encode("utf-8")).decode("ascii")

    def unseal(self, token: str) -> Any:
        try:
            return json.loads(self._fernet.decrypt(token.encode("ascii")))
        except InvalidToken:
            raise KeyProblem("the key does not open this data (wrong key, or the data was altered)") from None
