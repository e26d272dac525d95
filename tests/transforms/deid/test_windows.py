"""The NER-window pass: where spaCy NER reads, and the capitalised words no list knows."""

from tests.transforms.deid.vocab import vocabulary
from transforms.deid.propagate import NAME_WORD
from transforms.deid.spans import coverage
from transforms.deid.windows import NER_CONTEXT, asks_ner, ner_windows, unknown_words
from transforms.records import PhiSpan

V = vocabulary()


def _asks(text: str, word: str, spans: list[PhiSpan] = ()) -> bool:
    m = next(m for m in NAME_WORD.finditer(text) if m.group(0) == word)
    return asks_ner(text, m, coverage(text, list(spans)), V)


def test_when_a_capitalised_name_is_also_an_everyday_word_then_ner_is_asked():
    assert _asks("the patient saw Rose at noon", "Rose")  # a name, or a flower: NER reads the context


def test_when_a_word_is_lower_case_a_stop_word_a_drug_clinical_or_already_marked_then_ner_is_not_asked():
    assert not _asks("the patient saw rose at noon", "rose")
    assert not _asks("The patient is stable", "The")
    assert not _asks("on Xanax and Foley", "Xanax") and not _asks("on Xanax and Foley", "Foley")
    assert not _asks("the patient saw Rose at noon", "Rose", [PhiSpan(16, 20, "PERSON")])
    assert not _asks("old LAD lesion", "LAD")  # a short acronym


def test_when_an_everyday_word_opens_a_clause_then_ner_is_not_asked_but_mid_clause_it_is():
    assert not _asks("Denies pain.", "Denies")
    assert _asks("works at Summit Ridge now", "Ridge")


def test_when_a_word_no_list_knows_is_capitalised_then_it_is_phi_without_ner():
    text = "Why is Mashuu so impulsive?"
    assert not _asks(text, "Mashuu")  # NER is not needed: it is PHI anyway
    assert [text[s.start : s.end] for s in unknown_words(text, [], V)] == ["Mashuu"]
    assert unknown_words(text, [PhiSpan(7, 13, "PERSON")], V) == []  # already marked


def test_when_a_word_is_asked_about_then_its_window_holds_the_context_either_side_cut_at_blanks():
    text = "Plan: follow up in clinic next week with the patient's daughter Rose about the discharge plans"
    (lo, hi), = ner_windows(text, [], V)
    start = text.index("Rose")
    assert lo <= start - NER_CONTEXT + 8 and hi >= start + len("Rose") + NER_CONTEXT - 8
    assert lo == 0 or text[lo - 1] == " " and (hi == len(text) or text[hi] == " ")


def test_when_two_windows_meet_then_they_merge_and_capitals_notes_get_none():
    text = "saw Rose and Summit today"
    assert ner_windows(text, [], V) == [(0, len(text))]
    assert ner_windows("SAW ROSE AND SUMMIT TODAY", [], V) == []
