"""The site's signing key: Ed25519, so packs and checkpoints can be checked with the public key alone.

The master key (``core.privacy``) seals personal data and must stay secret; whoever checks an
evidence pack or a checkpoint must not need it. So the site holds a second key pair: the private
half signs (exports, checkpoints), the public half is handed to anyone who must check them.
Both halves live in files beside the site's key file, never in the database, so someone who can
rewrite the database still cannot sign.

    site.key            the master key (``baytwin keys generate``)
    site.signing.key    the Ed25519 private key, PEM, mode 600
    site.signing.pub    the public key, PEM: give this to auditors, courts, drivers
"""

from __future__ import annotations

import base64
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey


class SigningProblem(Exception):
    """A signing or public key is missing, unreadable or not an Ed25519 key; the message says which."""


def signing_paths(key_file: Path) -> tuple[Path, Path]:
    """The private and public signing key files that belong beside ``key_file`` (``site.key`` → ``site.signing.key``)."""
    stem = key_file.with_suffix("") if key_file.suffix == ".key" else key_file
    return stem.with_name(stem.name + ".signing.key"), stem.with_name(stem.name + ".signing.pub")


def key_id(public: Ed25519PublicKey) -> str:
    """A short name for a public key (hex of the SHA-256 of its raw bytes), printed beside verdicts."""
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def public_pem(public: Ed25519PublicKey) -> bytes:
    return public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


@dataclass(frozen=True)
class Signer:
    """The private half, loaded: signs bytes and names the public key that checks them."""

    private: Ed25519PrivateKey

    @property
    def public(self) -> Ed25519PublicKey:
        return self.private.public_key()

    @property
    def key_id(self) -> str:
        return key_id(self.public)

    def sign(self, data: bytes) -> str:
        return base64.b64encode(self.private.sign(data)).decode("ascii")

    @classmethod
    def generate(cls) -> "Signer":
        return cls(Ed25519PrivateKey.generate())

    @classmethod
    def from_file(cls, path: Path) -> "Signer":
        try:
            loaded = serialization.load_pem_private_key(path.read_bytes(), password=None)
        except FileNotFoundError:
            raise SigningProblem(f"{path}: signing key file not found (make one: baytwin keys signing --out FILE)") from None
        except (OSError, ValueError, TypeError) as err:
            raise SigningProblem(f"{path}: not a readable signing key ({str(err).splitlines()[0]})") from None
        if not isinstance(loaded, Ed25519PrivateKey):
            raise SigningProblem(f"{path}: not an Ed25519 private key")
        return cls(loaded)

    def save(self, private_path: Path, public_path: Path) -> None:
        """Write both halves; refuses to overwrite either (packs signed with a lost key can no longer be re-signed)."""
        for path in (private_path, public_path):
            if path.exists():
                raise SigningProblem(f"{path}: already exists; refusing to overwrite a key")
        pem = self.private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                         serialization.NoEncryption())
        fd = os.open(private_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(pem)
        public_path.write_bytes(public_pem(self.public))


def load_public_key(path: Path) -> Ed25519PublicKey:
    """A public key file (PEM); a private key file is accepted too and its public half used."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise SigningProblem(f"{path}: public key file not found") from None
    except OSError as err:
        raise SigningProblem(f"{path}: cannot read public key ({err})") from None
    try:
        loaded = serialization.load_pem_public_key(data)
    except (ValueError, TypeError):
        try:
            private = serialization.load_pem_private_key(data, password=None)
        except (ValueError, TypeError):
            raise SigningProblem(f"{path}: not a PEM public key") from None
        loaded = private.public_key()
    if not isinstance(loaded, Ed25519PublicKey):
        raise SigningProblem(f"{path}: not an Ed25519 public key")
    return loaded


def signature_holds(public: Ed25519PublicKey, data: bytes, signature: str) -> bool:
    """Whether ``signature`` (base64) is ``public``'s signature of ``data``; malformed signatures simply do not hold."""
    try:
        public.verify(base64.b64decode(signature.encode("ascii"), validate=True), data)
    except (InvalidSignature, ValueError, TypeError, UnicodeEncodeError, AttributeError):
        return False
    return True


def signer_from_environment(signing_key: Path | None, key_file: Path | None) -> Signer:
    """The signing key from ``signing_key``, else ``BAYTWIN_SIGNING_KEY_FILE``, else the file beside the site's key file."""
    if signing_key is not None:
        return Signer.from_file(signing_key)
    if os.environ.get("BAYTWIN_SIGNING_KEY_FILE"):
        return Signer.from_file(Path(os.environ["BAYTWIN_SIGNING_KEY_FILE"]))
    master = key_file or (Path(os.environ["BAYTWIN_KEY_FILE"]) if os.environ.get("BAYTWIN_KEY_FILE") else None)
    if master is None:
        raise SigningProblem("no signing key: pass --signing-key, or set BAYTWIN_SIGNING_KEY_FILE "
                             "(make one: baytwin keys signing --out FILE)")
    return Signer.from_file(signing_paths(master)[0])


def public_key_from_environment(public_key: Path | None) -> Ed25519PublicKey:
    """The public key that checks signatures: ``--public-key``, else ``BAYTWIN_PUBLIC_KEY_FILE``."""
    if public_key is None and os.environ.get("BAYTWIN_PUBLIC_KEY_FILE"):
        public_key = Path(os.environ["BAYTWIN_PUBLIC_KEY_FILE"])
    if public_key is None:
        raise SigningProblem("no public key: pass --public-key FILE (the site's .signing.pub), or set BAYTWIN_PUBLIC_KEY_FILE")
    return load_public_key(public_key)
