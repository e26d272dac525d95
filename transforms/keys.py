"""Keyed hashes: stable pseudonymous keys for notes and patients, and seeded integers for surrogates."""

from __future__ import annotations

import hashlib
import hmac


def keyed_hash(secret: bytes, *parts: str, length: int = 24) -> str:
    """HMAC-SHA256 over the parts, hex, truncated. The secret never leaves settings."""
    msg = "\x1f".join(parts).encode("utf-8")
    return hmac.new(secret, msg, hashlib.sha256).hexdigest()[:length]


def keyed_int(secret: bytes, *parts: str) -> int:
    msg = "\x1f".join(parts).encode("utf-8")
    return int.from_bytes(hmac.new(secret, msg, hashlib.sha256).digest()[:8], "big")


def note_key(secret: bytes, source_id: str) -> str:
    return keyed_hash(secret, "note", source_id)


def patient_key(secret: bytes, patient_id: str | None) -> str | None:
    return keyed_hash(secret, "patient", patient_id) if patient_id else None


def content_hash(*parts: str | bytes, length: int = 16) -> str:
    h = hashlib.sha256()
    for p in parts:
        h.update(p if isinstance(p, bytes) else p.encode("utf-8"))
        h.update(b"\x1f")
    return h.hexdigest()[:length]
