"""Shift a date string by a number of days, keeping the shape it was written in.

Handles ISO (2024-03-14, with time), m/d/yyyy, m/d/yy, m/d (no year), m/yy (8/84), 14-Mar-2024, 07MAY2024,
20240314, "March 14th, 2024", "Mar 14", "the 3rd of January", "March 2024", a year written with an
apostrophe ("'92", "74'"; moved as its middle day is) and a leading weekday, in any case. Returns
None when the string is not a date it can shift (the caller then redacts it).
Each shape here answers one `date_*` pattern of recognizers.yaml (a test holds the two sets equal
and checks that what the patterns find, these rewrite); months and weekdays are spelled once, there.
"""

from __future__ import annotations

import datetime as dt
import re

from transforms.deid.words import pattern_macros

_MONTHS = ["january", "february", "march", "april", "may", "june", "july", "august", "september",
           "october", "november", "december"]  # fmt: skip
_WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]


def _named(macro: str, group: str) -> str:
    """A recognizers.yaml macro "(?:...)" as the named group "(?P<group>...)"."""
    value = pattern_macros()[macro]
    assert value.startswith("(?:"), macro
    return f"(?P<{group}>" + value[3:]


# month and weekday spellings come from recognizers.yaml, which finds the dates these rewrite
_MONTH_RX = _named("MONTH", "mon")
_WD_RX = _named("WEEKDAY", "wd") + "?"
_NO_YEAR = 2001  # a non-leap year for dates written without one


def _month_index(token: str) -> int:
    t = token.lower().rstrip(".")
    for i, name in enumerate(_MONTHS):
        if name.startswith(t[:3]):
            return i + 1
    raise ValueError("not a month")


def _case_like(template: str, word: str) -> str:
    if template.isupper():
        return word.upper()
    if template[:1].isupper():
        return word.capitalize()
    return word.lower()


def _month_like(template: str, month: int) -> str:
    name = _MONTHS[month - 1]
    t = template.rstrip(".")
    if len(t) <= 4 and name != t.lower():
        word = name[:4] if t.lower().startswith("sept") else name[:3]
    else:
        word = name
    return _case_like(t, word) + ("." if template.endswith(".") else "")


def _pad(template: str, value: int, padded: bool | None = None) -> str:
    """Two digits when the source wrote two-digit fields (a leading zero, or all fields two wide)."""
    if padded is None:
        padded = len(template) == 2 and template.startswith("0")
    return f"{value:02d}" if padded else str(value)


def _padded(*fields: str) -> bool:
    return any(f.startswith("0") and len(f) == 2 for f in fields) or all(len(f) == 2 for f in fields)


def _year_like(template: str, year: int) -> str:
    if template.startswith("'"):
        return f"'{year % 100:02d}"
    return f"{year % 100:02d}" if len(template) == 2 else str(year)


def _full_year(text: str) -> int:
    y = int(text.lstrip("'"))
    if len(text.lstrip("'")) == 2:
        y += 2000 if y < 50 else 1900
    return y


def _ordinal(n: int) -> str:
    if 10 <= n % 100 <= 20:
        return "th"
    return {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")


def _weekday_like(template: str | None, day: dt.date, had_year: bool) -> str:
    if not template:
        return ""
    stripped = template.rstrip()
    core = stripped.rstrip(",").rstrip(".")
    trail = template[len(core) :]
    if not had_year:  # a weekday without a year cannot be recomputed honestly; keep the reader's cue
        return template
    name = _WEEKDAYS[day.weekday()]
    word = name if len(core) > 4 else name[: len(core)]
    return _case_like(core, word) + trail


_SHAPES: list[tuple[re.Pattern[str], str]] = [
    (re.compile(rf"^{_WD_RX}(?P<y>\d{{4}})-(?P<m>\d{{1,2}})-(?P<d>\d{{1,2}})(?P<rest>T.*)?$", re.I), "iso"),
    (re.compile(rf"^{_WD_RX}(?P<m>\d{{1,2}})(?P<sep>[/.-])(?P<d>\d{{1,2}})(?P=sep)(?P<y>\d{{4}}|\d{{2}})$", re.I), "mdy"),
    (re.compile(r"^(?P<m>\d{1,2})/(?P<y>3[2-9]|[4-9]\d)$"), "my"),  # before "md": 8/84 is August 1984
    (re.compile(rf"^{_WD_RX}(?P<m>\d{{1,2}})/(?P<d>\d{{1,2}})$", re.I), "md"),
    (re.compile(r"^(?P<y>\d{4})(?P<m>\d{2})(?P<d>\d{2})$"), "compact"),
    (re.compile(rf"^{_WD_RX}(?P<d>\d{{1,2}})(?P<ord>st|nd|rd|th)?(?P<s1>[-\s]?){_MONTH_RX}(?P<dot>\.?)(?P<s2>[-\s,]*)(?P<y>(?:\d{{4}}|'?\d{{2}}))$", re.I), "dmy_text"),
    (re.compile(rf"^{_WD_RX}{_MONTH_RX}(?P<dot>\.?)(?P<s1>\s+)(?P<d>\d{{1,2}})(?P<ord>st|nd|rd|th)?(?:(?P<s2>,?\s+)(?P<y>\d{{4}}))?$", re.I), "mdy_text"),
    (re.compile(rf"^(?P<the>the\s+)?(?P<d>\d{{1,2}})(?P<ord>st|nd|rd|th)(?P<of>\s+(?:day\s+)?of\s+){_MONTH_RX}(?:(?P<s2>,?\s+)(?P<y>\d{{4}}))?$", re.I), "ordinal_of"),
    (re.compile(rf"^{_MONTH_RX}(?P<dot>\.?)(?P<s1>,?\s+(?:of\s+)?)(?P<y>\d{{4}})$", re.I), "month_year"),
    (re.compile(r"^(?P<q>['’])(?P<y>\d{2})$"), "year_apostrophe"),  # "'92"
    (re.compile(r"^(?P<y>\d{2})(?P<q>['’])$"), "year_apostrophe_after"),  # "74'"
]  # fmt: skip


def shift_date_text(text: str, days: int) -> str | None:
    """`text` moved by `days`, written the same way; None if it is not a date we understand."""
    for rx, kind in _SHAPES:
        m = rx.match(text)
        if m:
            try:
                return _render(kind, m, days)
            except ValueError:
                return None
    return None


def shift_iso_date(value: str | None, days: int) -> str | None:
    if not value:
        return value
    try:
        return (dt.date.fromisoformat(value[:10]) + dt.timedelta(days=days)).isoformat()
    except ValueError:
        return None


def _render(kind: str, m: re.Match[str], days: int) -> str:
    g = m.groupdict()
    delta = dt.timedelta(days=days)
    if kind == "iso":
        new = dt.date(int(g["y"]), int(g["m"]), int(g["d"])) + delta
        p = _padded(g["m"], g["d"])
        return (_weekday_like(g["wd"], new, True) + f"{new.year:04d}-{_pad(g['m'], new.month, p)}-"
                f"{_pad(g['d'], new.day, p)}" + (g["rest"] or ""))  # fmt: skip
    if kind == "compact":
        new = dt.date(int(g["y"]), int(g["m"]), int(g["d"])) + delta
        return f"{new.year:04d}{new.month:02d}{new.day:02d}"
    if kind == "mdy":
        new = dt.date(_full_year(g["y"]), int(g["m"]), int(g["d"])) + delta
        p = _padded(g["m"], g["d"])
        return (_weekday_like(g["wd"], new, True) + _pad(g["m"], new.month, p) + g["sep"]
                + _pad(g["d"], new.day, p) + g["sep"] + _year_like(g["y"], new.year))  # fmt: skip
    if kind == "md":
        new = dt.date(_NO_YEAR, int(g["m"]), int(g["d"])) + delta
        p = any(f.startswith("0") and len(f) == 2 for f in (g["m"], g["d"]))
        return _weekday_like(g["wd"], new, False) + _pad(g["m"], new.month, p) + "/" + _pad(g["d"], new.day, p)
    if kind == "my":
        new = dt.date(_full_year(g["y"]), int(g["m"]), 15) + delta
        return _pad(g["m"], new.month) + "/" + _year_like(g["y"], new.year)
    if kind in ("year_apostrophe", "year_apostrophe_after"):  # a year alone moves as its middle day does
        year = f"{(dt.date(_full_year(g['y']), 7, 2) + delta).year % 100:02d}"
        return g["q"] + year if kind == "year_apostrophe" else year + g["q"]
    if kind == "month_year":
        new = dt.date(int(g["y"]), _month_index(g["mon"]), 15) + delta
        return _month_like(g["mon"] + g["dot"], new.month) + g["s1"] + str(new.year)
    had_year = bool(g.get("y"))
    year = _full_year(g["y"]) if had_year else _NO_YEAR
    new = dt.date(year, _month_index(g["mon"]), int(g["d"])) + delta
    day = _pad(g["d"], new.day) + (_case_like(g["ord"], _ordinal(new.day)) if g.get("ord") else "")
    month = _month_like(g["mon"] + (g.get("dot") or ""), new.month)
    year_txt = (g["s2"] + _year_like(g["y"], new.year)) if had_year else ""
    if kind == "dmy_text":
        return _weekday_like(g["wd"], new, True) + day + g["s1"] + month + g["s2"] + _year_like(g["y"], new.year)
    if kind == "mdy_text":
        return _weekday_like(g["wd"], new, had_year) + month + g["s1"] + day + year_txt
    # ordinal_of
    return (g["the"] or "") + day + g["of"] + month + year_txt
