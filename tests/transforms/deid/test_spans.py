"""Span algebra and name propagation, the small passes of de-identification."""

from transforms.deid.propagate import occurrences, propagate_names
from transforms.deid.spans import blank_after, blank_before, coverage, segments
from transforms.records import PhiSpan


def test_when_a_long_text_is_cut_then_segments_cover_it_and_never_split_a_span():
    text = ("line of text\n" * 40) + "Name Here" + ("\nmore text" * 40)
    span = PhiSpan(text.index("Name"), text.index("Name") + 9, "PERSON")
    parts = segments(text, 60, [span])
    assert "".join(p for _, p in parts) == text and all(text[o : o + len(p)] == p for o, p in parts)
    assert not any(o < span.start < o + len(p) < span.end for o, p in parts)


def test_coverage_and_word_edges():
    text = "seen by Ann Lee today"
    cov = coverage(text, [PhiSpan(8, 15, "PERSON")])
    assert cov[8:15] == b"\x01" * 7 and sum(cov) == 7
    assert (blank_before(text, 9), blank_after(text, 9)) == (8, 11)


def test_when_a_name_is_found_once_then_it_is_masked_where_it_recurs_but_not_as_an_everyday_word():
    text = "Mrs. Heart was seen. Heart said she is well. heart failure is stable."
    found = propagate_names(text, [PhiSpan(5, 10, "PERSON", 0.9)], frozenset(), common_words=frozenset({"heart"}))
    assert sorted(s.start for s in found) == [5, 21]  # not the lower-case "heart failure"
    assert occurrences("ab abc xab ab", "ab") == [0, 11]
