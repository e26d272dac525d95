"""Span algebra shared by the de-identification passes: merging overlapping detections, coverage
maps, word edges, trimming, and cutting long texts into segments that never split a span."""

from __future__ import annotations

import regex

from transforms.records import PhiSpan

# When detections overlap they are merged into one span covering both; the merged span takes the
# type that ranks first here (identifiers before names before places), so nothing is left exposed.
PRIORITY = ("SSN", "MRN", "ID", "EMAIL", "URL", "IP_ADDRESS", "PHONE", "DATE", "AGE", "PERSON",
            "ADDRESS", "ORGANIZATION", "LOCATION", "ZIP")  # fmt: skip
RANK = {e: i for i, e in enumerate(PRIORITY)}

def coverage(text: str, spans: list[PhiSpan]) -> bytearray:
    """One byte per character of `text`: 1 where a span covers it."""
    covered = bytearray(len(text))
    for s in spans:
        covered[s.start : s.end] = b"\x01" * (s.end - s.start)
    return covered


def blank_before(text: str, pos: int) -> int:
    """Start of the word holding `pos` (0 when `pos` is before the text)."""
    if pos <= 0:
        return 0
    return max(text.rfind(" ", 0, pos), text.rfind("\n", 0, pos), text.rfind("\t", 0, pos)) + 1


def blank_after(text: str, pos: int) -> int:
    """End of the word holding `pos` (the text's end when `pos` is past it)."""
    if pos >= len(text):
        return len(text)
    ends = [e for e in (text.find(" ", pos), text.find("\n", pos), text.find("\t", pos)) if e >= 0]
    return min(ends) if ends else len(text)


def trimmed(span: PhiSpan, words: list[regex.Match], lo: int, hi: int) -> PhiSpan:
    """`span` cut to its words lo..hi-1; an untouched edge keeps its original offset."""
    if (lo, hi) == (0, len(words)):
        return span
    start = span.start if lo == 0 else words[lo].start()
    end = span.end if hi == len(words) else words[hi - 1].end()
    return PhiSpan(start, end, span.entity_type, span.score)


def merge_spans(spans: list[PhiSpan]) -> list[PhiSpan]:
    """Overlapping spans become one span covering all of them (nothing is left exposed). Its type is
    that of the highest-scoring detection, ties broken by PRIORITY; its score is that highest."""
    merged: list[PhiSpan] = []
    for s in sorted(spans, key=lambda s: (s.start, -s.end)):
        if merged and s.start < merged[-1].end:
            m = merged[-1]
            best = min((m, s), key=lambda x: (-x.score, RANK.get(x.entity_type, 99)))
            merged[-1] = PhiSpan(m.start, max(m.end, s.end), best.entity_type, best.score)
        else:
            merged.append(s)
    return merged


def segments(text: str, size: int, avoid: list[PhiSpan] | None = None) -> list[tuple[int, str]]:
    """(offset, piece) covering `text`, each at most about `size` characters, cut after a newline
    (else a space) and never inside one of the `avoid` spans."""
    if len(text) <= size:
        return [(0, text)]
    bounds = sorted((s.start, s.end) for s in avoid or [])
    out, start = [], 0
    while start < len(text):
        end = min(len(text), start + size)
        if end < len(text):
            cut = text.rfind("\n", start + size // 2, end)
            if cut < 0:
                cut = text.rfind(" ", start + size // 2, end)
            end = cut + 1 if cut >= 0 else end
            for b0, b1 in bounds:  # move the cut past a span it would split
                if b0 < end < b1:
                    end = b1
        out.append((start, text[start:end]))
        start = end
    return out
