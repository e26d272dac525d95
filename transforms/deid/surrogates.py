"""Surrogate values: realistic stand-ins chosen by a keyed hash, so the same real value maps to the
same surrogate for the same patient in every note and every process (no state to share)."""

from __future__ import annotations

import re
import string

from transforms.deid.recognizers import fold_text
from transforms.keys import keyed_int

FIRST_NAMES = (
    "Avery", "Blake", "Casey", "Dana", "Emery", "Finley", "Gale", "Harper", "Indy", "Jules",
    "Kendall", "Lane", "Morgan", "Noel", "Oakley", "Parker", "Quinn", "Reese", "Sage", "Tatum",
    "Umber", "Vale", "Wren", "Xen", "Yael", "Zion", "Arden", "Briar", "Cove", "Drew",
)  # fmt: skip
LAST_NAMES = (
    "Ashdown", "Birchfield", "Copperly", "Dunmarrow", "Eastwick", "Fairhollow", "Glenrock",
    "Hartsell", "Ivywood", "Juniper", "Kestrel", "Larkspur", "Merriwell", "Northrell", "Oakrill",
    "Pembrook", "Quarrel", "Rowntree", "Stonefield", "Thistle", "Underhill", "Vantry", "Wexcombe",
    "Yarrow", "Zephyr", "Alder", "Brookside", "Calloway", "Denholm", "Everly",
)  # fmt: skip
CITIES = ("Millbrook", "Cedar Falls", "Rivermoot", "Lakemere", "Pine Hollow", "Ashvale", "Greendale")
STREETS = ("Maple", "Elm", "Harbor", "Willow", "Summit", "Orchard", "Juniper", "Meadow")
STREET_KINDS = ("Street", "Avenue", "Road", "Lane", "Drive")
FACILITIES = (
    "Riverside Medical Center", "Lakeview General Hospital", "Cedar Valley Clinic",
    "Northgate Health Center", "Summit Community Hospital", "Willow Creek Clinic",
)  # fmt: skip

_WORD = re.compile(r"[^\W\d_](?:[^\W\d_]|['\-])*")  # letters in any script ("Hernández", "Þór")


def _pick(options: tuple[str, ...], secret: bytes, *key: str) -> str:
    return options[keyed_int(secret, *key) % len(options)]


def _case_like(template: str, word: str) -> str:
    if template.isupper() and len(template) > 1:
        return word.upper()
    if template.islower():
        return word.lower()
    return word


def _name_key(word: str) -> str:
    """A name word as surrogates key it: folded ("Hernández" and "Hernandez" are one name), lower
    case, without "'s"."""
    return fold_text(word).lower().removesuffix("'s")


def name_keys(value: str) -> set[str]:
    """The keys of every word of a name (see `_name_key`)."""
    return {_name_key(m.group(0)) for m in _WORD.finditer(value)}


def surrogate_name(value: str, secret: bytes, scope: str, avoid: frozenset[str] = frozenset()) -> str:
    """Each word of a name maps on its own, so "John Smith", "Smith" and "SMITH, JOHN" agree. A fake
    word is never a word of a real name of the same note (`avoid`, folded lower case): "Michelle
    Morgan" must not become "Morgan Reese", which would leave a real surname in the text."""
    out: list[str] = []
    last = 0
    words = list(_WORD.finditer(value))
    for m in words:
        word = m.group(0)
        out.append(value[last : m.start()])
        key = _name_key(word)
        # a word is drawn from the same pool wherever it stands, so "Smith, John" and "John Smith" agree
        pool = LAST_NAMES if keyed_int(secret, "pool", key) % 2 else FIRST_NAMES
        fake = _pick(pool, secret, "name", scope, key)
        for _ in range(len(pool)):  # never "replace" a name by itself or by another real name
            if fake.lower() != key and fake.lower() not in avoid:
                break
            fake = pool[(pool.index(fake) + 1) % len(pool)]
        if len(key) == 1:  # an initial stays an initial
            fake = fake[0]
        out.append(_case_like(word, fake) + (word[-2:] if word.lower().endswith("'s") else ""))
        last = m.end()
    out.append(value[last:])
    result = "".join(out)
    return result if words else "[NAME]"


def surrogate_shape(value: str, secret: bytes, scope: str, kind: str) -> str:
    """Same shape (digits stay digits, letters stay letters, punctuation kept), keyed content."""
    seed = keyed_int(secret, kind, scope, value)
    out = []
    for i, ch in enumerate(value):
        step = (seed >> (i % 56)) + i * 7919
        if ch.isdigit():
            out.append(str(step % 10))
        elif ch.isalpha():
            letters = string.ascii_uppercase if ch.isupper() else string.ascii_lowercase
            out.append(letters[step % 26])
        else:
            out.append(ch)
    result = "".join(out)
    return result if result != value else "".join("0" if c.isdigit() else c for c in value)


def surrogate_place(value: str, secret: bytes, scope: str, kind: str) -> str:
    """A fake place, facility or address that does not hold the real value's words in a row: not
    "Greendale" for "Greendale", nor "Summit Community Hospital" for "Community" (the leak guard
    would find the real value in the text)."""
    salt = ""
    for _ in range(8):
        out = _surrogate_place(value + salt, secret, scope, kind)
        if not _holds(out, value):
            return out
        salt += "\x00"
    return "[" + kind + "]"


_TOKEN = re.compile(r"[^\W_]+")


def _holds(text: str, value: str) -> bool:
    """Whether `value`'s words occur in `text` in a row (any case)."""
    words, inner = [w.lower() for w in _TOKEN.findall(text)], [w.lower() for w in _TOKEN.findall(value)]
    return bool(inner) and any(words[i : i + len(inner)] == inner for i in range(len(words) - len(inner) + 1))


def _surrogate_place(value: str, secret: bytes, scope: str, kind: str) -> str:
    if kind == "ORGANIZATION":
        return _case_like(value, _pick(FACILITIES, secret, kind, scope, value.lower()))
    if kind == "ADDRESS":
        n = keyed_int(secret, "addrnum", scope, value.lower()) % 900 + 100
        street = _pick(STREETS, secret, "street", scope, value.lower())
        kind_word = _pick(STREET_KINDS, secret, "kind", scope, value.lower())
        return _case_like(value, f"{n} {street} {kind_word}")
    return _case_like(value, _pick(CITIES, secret, kind, scope, value.lower()))


def surrogate_email(value: str, secret: bytes, scope: str) -> str:
    first = _pick(FIRST_NAMES, secret, "email", scope, value.lower()).lower()
    return f"{first}{keyed_int(secret, 'emailn', scope, value) % 100}@example.org"


def surrogate_url(value: str, secret: bytes, scope: str) -> str:
    return f"https://example.org/r/{keyed_int(secret, 'url', scope, value) % 10**6:06d}"
