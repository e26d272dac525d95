"""Keyed hashes: stable pseudonymous keys for notes and patients, and seeded integers for surrogates.

Every key is derived from the site secret in two steps. The secret is first stretched once per
process (PBKDF2-HMAC-SHA256, 200,000 iterations), so that each guess at a weak secret costs an
outsider who knows one real identifier a tenth of a second instead of a microsecond. The stretched
root then gives one subkey per purpose (note keys, patient keys, surrogates, date shifts, leak-guard
tokens, the key id), so that recovering one (for example the date shift from one known real date)
tells nothing about the others. Nothing derived here is reversible and none of it is written
except the key id (`key_id`), which names the key without revealing it.
"""

from __future__ import annotations

import functools
import hashlib
import hmac

KEY_VERSION = "v1"
_STRETCH_ITERATIONS = 200_000
_STRETCH_SALT = b"chartsift-root-" + KEY_VERSION.encode()

PURPOSES = ("note-key", "patient-key", "source-key", "surrogate", "date-shift", "leak-guard", "key-id", "registry")


@functools.lru_cache(maxsize=8)
def _root(secret: bytes) -> bytes:
    return hashlib.pbkdf2_hmac("sha256", secret, _STRETCH_SALT, _STRETCH_ITERATIONS)


@functools.lru_cache(maxsize=64)
def subkey(secret: bytes, purpose: str) -> bytes:
    """The key for one purpose (one of PURPOSES), derived from the site secret (HKDF-expand style)."""
    if purpose not in PURPOSES:
        raise ValueError(f"unknown key purpose {purpose!r}")
    return hmac.new(_root(secret), b"chartsift-subkey\x1f" + KEY_VERSION.encode() + b"\x1f" + purpose.encode(),
                    hashlib.sha256).digest()  # fmt: skip


def key_id(secret: bytes) -> str:
    """A public name for the site key: equal for equal secrets, and no help to guess the secret
    beyond what any note key already gives (one stretched guess each)."""
    return "k" + KEY_VERSION + "-" + hmac.new(subkey(secret, "key-id"), b"key-id", hashlib.sha256).hexdigest()[:16]


def keyed_hash(secret: bytes, *parts: str, length: int = 24) -> str:
    """HMAC-SHA256 over the parts, hex, truncated. Callers pass a subkey, not the site secret."""
    msg = "\x1f".join(parts).encode("utf-8")
    return hmac.new(secret, msg, hashlib.sha256).hexdigest()[:length]


def keyed_int(secret: bytes, *parts: str) -> int:
    msg = "\x1f".join(parts).encode("utf-8")
    return int.from_bytes(hmac.new(secret, msg, hashlib.sha256).digest()[:8], "big")


def scoped_id(object_name: str, source_id: str) -> str:
    """A note's source id within its object, so that two objects never share a note key."""
    return f"{object_name}\x1e{source_id}"


def note_key(secret: bytes, source_id: str) -> str:
    return keyed_hash(subkey(secret, "note-key"), "note", source_id)


def patient_key(secret: bytes, patient_id: str | None) -> str | None:
    return keyed_hash(subkey(secret, "patient-key"), "patient", patient_id) if patient_id else None


def source_key(secret: bytes, uri: str) -> str:
    """A source object's name in research tables: its path may name a patient."""
    return keyed_hash(subkey(secret, "source-key"), "source", uri.rstrip("/"))


def content_hash(*parts: str | bytes, length: int = 16) -> str:
    h = hashlib.sha256()
    for p in parts:
        h.update(p if isinstance(p, bytes) else p.encode("utf-8"))
        h.update(b"\x1f")
    return h.hexdigest()[:length]
