"""Replacement helpers: the per-patient date shift and masking."""

from __future__ import annotations

from transforms.keys import keyed_int, subkey


def date_shift_days(secret: bytes, scope: str, max_days: int) -> int:
    """One non-zero offset per patient in [-max_days, max_days]; intervals between dates hold."""
    if max_days <= 0:
        return 0
    n = keyed_int(subkey(secret, "date-shift"), "date-shift", scope) % (2 * max_days) - max_days
    return n if n < 0 else n + 1


def mask(value: str) -> str:
    return "".join("*" if c.isalnum() else c for c in value)
