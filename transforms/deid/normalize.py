"""The view of a note that de-identification analyses: what a reader sees, not how it is encoded.

Decomposed accents (NFD "Zoë"), soft hyphens and zero-width characters inside a name ("Mül\u00adler",
"Jo\u200bhn"), compatibility forms (fullwidth "Ｊｏｈｎ") and Cyrillic or Greek look-alike letters
inside a Latin word ("Smіth" with a Cyrillic і) would each hide a name from word lists, patterns
and the tagger. The view drops invisible and combining characters, applies NFKC where a character
becomes one character, and folds look-alikes in words that also hold Latin letters (a word wholly
in another script stays as written, and is taken for a name elsewhere). Each view character keeps
the offset of the original character it came from, so spans map back onto the original text.
"""

from __future__ import annotations

import unicodedata

import regex

# Cyrillic and Greek letters drawn like Latin ones (Unicode confusables, the common subset)
_LOOKALIKE = dict(zip(
    "АВЕКМНОРСТХаеорсухкіјѕԁԛԝӏΑΒΕΖΗΙΚΜΝΟΡΤΥΧαορνικ",
    "ABEKMHOPCTXaeopcyxkijsdqwlABEZHIKMNOPTYXaopvik", strict=True,
))  # fmt: skip
_WORD = regex.compile(r"[\p{L}\p{M}\p{Cf}]+")
_LATIN = regex.compile(r"\p{Latin}")


def _dropped(c: str) -> bool:
    return unicodedata.category(c) in ("Cf", "Mn", "Me")


def analysis_view(text: str) -> tuple[str, list[int]] | None:
    """(view, origin) where view[i] came from text[origin[i]]; None when the text is its own view."""
    if text.isascii():
        return None
    mixed = [m.span() for m in _WORD.finditer(text) if _LATIN.search(m.group(0))
             and any(c in _LOOKALIKE for c in m.group(0))]  # fmt: skip
    fold_at = {i for lo, hi in mixed for i in range(lo, hi)}
    out: list[str] = []
    origin: list[int] = []
    changed = False
    for i, c in enumerate(text):
        if c.isascii():
            out.append(c)
            origin.append(i)
            continue
        if _dropped(c) and out:
            changed = True
            continue
        d = _LOOKALIKE.get(c) if i in fold_at else None
        if d is None:
            n = unicodedata.normalize("NFKC", c)
            d = n if len(n) == 1 else c
        if d == c and i + 1 < len(text) and _dropped(text[i + 1]):
            composed = unicodedata.normalize("NFC", c + text[i + 1])  # "e" + U+0308 -> "ë"
            d = composed if len(composed) == 1 else c
        changed |= d != c
        out.append(d)
        origin.append(i)
    return ("".join(out), origin) if changed else None


def to_original(start: int, end: int, origin: list[int], text: str) -> tuple[int, int]:
    """A view span's offsets in the original text, taking in the invisible characters it ends on."""
    s = origin[start]
    e = origin[end - 1] + 1
    while e < len(text) and _dropped(text[e]):
        e += 1
    return s, e


def reader_form(value: str) -> str:
    """A PHI value as a reader sees it (its analysis view): what surrogates are keyed on and
    replaced from, so "Mül\u00adler" and "Müller" get one surrogate and no invisible rest."""
    v = analysis_view(value)
    return v[0] if v else value
