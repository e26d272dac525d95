"""Split a long note into chunks that fit the model's context, on paragraph or sentence boundaries,
with overlap. Offsets are kept so facts found in a chunk map back to the whole note."""

from __future__ import annotations

import re
from dataclasses import dataclass

_BREAKS = (re.compile(r"\n\s*\n"), re.compile(r"\n"), re.compile(r"(?<=[.;!?])\s+"), re.compile(r"\s+"))


@dataclass(frozen=True)
class Chunk:
    index: int
    start: int
    text: str


def chunk_text(text: str, max_chars: int, overlap: int = 200) -> list[Chunk]:
    if len(text) <= max_chars:
        return [Chunk(0, 0, text)]
    overlap = min(overlap, max_chars // 4)
    chunks: list[Chunk] = []
    start = 0
    while start < len(text):
        end = min(len(text), start + max_chars)
        if end < len(text):
            end = _best_break(text, start + max_chars // 2, end)
        chunks.append(Chunk(len(chunks), start, text[start:end]))
        if end >= len(text):
            break
        nxt = _next_start(text, max(start + 1, end - overlap), end)
        start = nxt
    return chunks


def _best_break(text: str, lo: int, hi: int) -> int:
    for rx in _BREAKS:
        last = None
        for m in rx.finditer(text, lo, hi):
            last = m.end()
        if last is not None and last > lo:
            return last
    return hi


def _next_start(text: str, lo: int, hi: int) -> int:
    """Start the next chunk at a word boundary inside the overlap window."""
    m = re.search(r"\s+", text[lo:hi])
    return lo + m.end() if m else hi
