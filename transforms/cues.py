"""The words notes use around a fact of a given type, shared by grounding (transforms.extract, which
checks a located fact against them) and grounded decoding (transforms.schema, which lets the model
write a fact only where they occur)."""

from __future__ import annotations

import re

from transforms.lexicons import drug_words

TOBACCO = re.compile(r"[^\n.;]*\b(?:smok\w*|tobacco|cigar\w*|cigs?|ppd|pack[- ]?years?|nicotine|vap(?:es|ing))\b[^\n.;]*",
                     flags=re.IGNORECASE)  # fmt: skip
# the words notes use for each vital (Vital.name is a code), matched next to the vital's value
VITAL_WORDS = {
    "blood_pressure": r"bp|b/p|nibp|abp|blood pressure", "heart_rate": r"hr|heart rate|pulse|p",
    "respiratory_rate": r"rr|resp(?:iratory)?(?: rate)?|resps", "temperature": r"t|temp(?:erature)?|tmax|t max|tm",
    "oxygen_saturation": r"spo2|sao2|o2 sat(?:uration)?s?|sats?|oxygen saturation|pulse ox|o2",
    "weight": r"wt|weight", "height": r"ht|height", "bmi": r"bmi", "pain_score": r"pain(?: score)?",
}  # fmt: skip
ALLERGY = re.compile(r"allerg|nkda|nka\b|intoleran|reaction|anaphyla|sensitiv", flags=re.IGNORECASE)


_NUMBER = r"\d+(?:[.,/]\d+)*"
# a vital's words, with or without its value ("RR", "pulse 63", "BLOOD PRESSURE 146/65"): never the
# name of a medication, diagnosis, procedure, lab or allergy ("O2" may be a medication)
_VITAL_NAME = re.compile(rf"(?:{'|'.join(w for w in VITAL_WORDS.values())})\W{{0,3}}(?:{_NUMBER}\S*(?:\s+[A-Za-z%/]{{1,5}})?)?",
                         flags=re.IGNORECASE)  # fmt: skip


def vital_name(name: str) -> bool:
    """Whether `name` is only a vital's words and value."""
    return name.strip().lower() != "o2" and _VITAL_NAME.fullmatch(name.strip()) is not None


def vital_values(text: str) -> dict[str, list[str]]:
    """For each vital code, the numbers written right after its words in `text` ("BP 120/80",
    "BP: 120/80", "Temp of 38.2"; not "pain since 10/3"): the values a vital of that code can take
    there."""
    found = {}
    for code, words in VITAL_WORDS.items():
        values = re.findall(rf"\b(?:{words})\b[^\w\n;]{{0,3}}(?:(?:of|is|was|at)\s+)?({_NUMBER})", text, flags=re.IGNORECASE)
        if values:  # a score out of ten ("pain 9/10") is written down as 9 too
            found[code] = sorted({v for value in values for v in (value, value.removesuffix("/10"))})
    return found


# what a clause that speaks of a medication holds besides the drug's name: a dose, a route, a
# frequency or a medication verb ("Begin", "D/c", "Cont")
MEDICATION = re.compile(
    r"\b(?:meds?|medications?|rx|gtts?|drips?|infusions?|start(?:ed|ing)?|begin|began|stop(?:ped)?|cont|continue[sd]?|"
    r"hold|held|resume[sd]?|restart(?:ed)?|takes|taking|given|receiv\w*|d/c|dc'?d|discontinu\w*|titrat\w*|"
    r"increase[sd]?|decrease[sd]?|wean\w*|prn|po|iv|ivp|im|sc|sq|subcut\w*|sl|pr|inh\w*|nebs?|topical\w*|orally|"
    r"by mouth|intraven\w*|intramusc\w*|patch|tabs?|tablets?|caps?|capsules?|q\d+h|qd|bid|tid|qid|qhs|qam|qpm|"
    r"daily|nightly|weekly|mg|mcg|meq|units?)\b|\d(?:mg|mcg|g|u|meq|ml)\b", flags=re.IGNORECASE)  # fmt: skip
_WORD = re.compile(r"[a-z][a-z0-9-]+")
_HEADER = re.compile(r"\s*([A-Za-z][A-Za-z /&()-]{1,40}):")


def speaks_of_medication(text: str) -> bool:
    """Whether `text` names a drug the drug dictionary knows (transforms.lexicons.drug_words),
    or holds a dose, route, frequency or medication verb (MEDICATION)."""
    if MEDICATION.search(text):
        return True
    drugs = drug_words()
    return any(w in drugs for w in _WORD.findall(text.lower()))


def dosing_words_only(name: str) -> bool:
    """Whether `name` is made only of dose, route, frequency and medication-verb words and numbers
    ("po", "prn", "titrated", "cont 5 mg"): no drug's name."""
    words = re.findall(r"[\w/']+", name)
    return bool(words) and all(w.isdigit() or MEDICATION.fullmatch(w) for w in words)


def medication_sections(lines: list[str]) -> list[bool]:
    """For each line, whether it sits under a medication heading ("Discharge medications:" on a
    line of its own), up to the next heading."""
    out, inside = [], False
    for line in lines:
        m = _HEADER.match(line)
        if m and not line[m.end() :].strip():
            inside = bool(re.search(r"\b(?:meds?|medications?|rx|gtts|drips)\b", m.group(1), flags=re.IGNORECASE))
        elif m:
            inside = False
        out.append(inside)
    return out


def surrogate_name(name: str, surrogates: frozenset[frozenset[str]]) -> bool:
    """Whether `name` is part of a surrogate the de-identifier wrote, or holds one whole ("ARDEN" and
    "ARDEN) AT BEDSIDE" of "WIFE (ARDEN) AT BEDSIDE"): a person, place or date is never a clinical
    fact. `surrogates`: the lower-cased words of each surrogate (`surrogate_words`)."""
    words = frozenset(re.findall(r"\w+", name.lower()))
    return bool(words) and any(words <= s or s <= words for s in surrogates)


def surrogate_words(surrogates: list[str] | tuple[str, ...]) -> frozenset[frozenset[str]]:
    """Each surrogate as its set of lower-cased words, for `surrogate_name`."""
    return frozenset(frozenset(re.findall(r"\w+", s.lower())) for s in surrogates) - {frozenset()}
